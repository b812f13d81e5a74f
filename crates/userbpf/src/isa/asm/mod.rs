//! Assemblers for two syntaxes: the bpf_conformance/uBPF syntax
//! (`mov %r0, 1`) and the kernel's own disassembly syntax (`r0 = 1`), so
//! that whatever [`crate::isa::disasm`] prints assembles back.

pub mod kernel;
pub mod ubpf;

use super::decode::encode;
use super::insn::Insn;

/// An assembly syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// bpf_conformance / uBPF: `mov %r0, 1`, `ldxdw %r0, [%r1+8]`.
    Ubpf,
    /// The kernel's verifier-log syntax: `r0 = 1`, `(79) r0 = *(u64 *)(r1 +8)`.
    Kernel,
}

impl Syntax {
    /// Guess the syntax: uBPF names registers `%rN`, the kernel never does.
    pub fn detect(text: &str) -> Syntax {
        let code_lines = text
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty());
        for line in code_lines {
            if line.contains("%r") {
                return Syntax::Ubpf;
            }
            if line.contains(" = ") || line.contains("goto") || line.starts_with('(') {
                return Syntax::Kernel;
            }
        }
        Syntax::Ubpf
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AsmError {
    #[error(transparent)]
    Ubpf(#[from] ubpf::AsmError),
    #[error(transparent)]
    Kernel(#[from] kernel::AsmError),
}

/// Assemble text in `syntax` (detected when `None`) into instruction slots.
pub fn assemble(text: &str, syntax: Option<Syntax>) -> Result<Vec<Insn>, AsmError> {
    let program = match syntax.unwrap_or_else(|| Syntax::detect(text)) {
        Syntax::Ubpf => ubpf::assemble(text)?,
        Syntax::Kernel => kernel::assemble(text)?,
    };
    Ok(encode(&program))
}
