//! The bpf_conformance plugin protocol: run a program on a memory buffer and
//! report r0.
//!
//! The suite passes the program's bytes as hex on standard input and the
//! memory as hex in the last argument; r1 points to a copy of that memory
//! (0 when there is none) and r2 holds its length. Helper 5 is "unwind"
//! (see [`HelperTable::conformance`]). Either engine can run it.

use crate::exec::{
    AlignedBuf, ExecError, Executor, GuestMemory, HelperTable, Interpreter, Jit, JitError, JitOptions, JitProgram,
    Program, RegionKind, RunOptions,
};
use crate::isa::{insns_from_bytes, DecodeError};

/// Why a plugin run produced no r0.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("{0}")]
    Length(#[from] crate::isa::insn::TrailingBytes),
    #[error("invalid program: {0}")]
    Decode(#[from] DecodeError),
    #[error("execution failed: {0}")]
    Exec(#[from] ExecError),
    #[error("JIT compilation failed: {0}")]
    Jit(#[from] JitError),
}

/// Which engine runs a plugin program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Interp,
    Jit,
}

/// Run `program` (raw instruction bytes) over `memory` with the
/// interpreter; returns r0.
pub fn run_interp(program: &[u8], memory: &[u8], budget: Option<u64>) -> Result<u64, PluginError> {
    run(Engine::Interp, program, memory, budget)
}

/// Run `program` over `memory` with the JIT (metered when there is a
/// budget); returns r0.
pub fn run_jit(program: &[u8], memory: &[u8], budget: Option<u64>) -> Result<u64, PluginError> {
    run(Engine::Jit, program, memory, budget)
}

/// Run `program` (raw instruction bytes) over `memory` with `engine`;
/// returns r0.
pub fn run(engine: Engine, program: &[u8], memory: &[u8], budget: Option<u64>) -> Result<u64, PluginError> {
    let prog = Program::new(insns_from_bytes(program)?)?;
    let helpers = HelperTable::conformance();
    let mut buf = AlignedBuf::from_bytes(memory);
    let mut mem = GuestMemory::new();
    let addr = if memory.is_empty() {
        0
    } else {
        mem.add(buf.as_mut_bytes(), RegionKind::Memory)
    };
    let opts = RunOptions { budget, packet: None };
    let args = [addr, memory.len() as u64];
    Ok(match engine {
        Engine::Interp => Interpreter::new(&prog, &helpers).run(&mut mem, &args, &opts)?,
        Engine::Jit => {
            let options = JitOptions {
                meter: budget.is_some(),
                ..JitOptions::default()
            };
            let jit = JitProgram::compile(&prog, options)?;
            Jit::new(&jit, &helpers).run(&mut mem, &args, &opts)?
        }
    })
}
