//! bpf_prog_select_runtime(): how a loaded program will run. The JIT when
//! bpf_jit_enable asks for it (or the interpreter is compiled out) and the
//! program compiles, with constants blinded when bpf_jit_harden says so;
//! the interpreter otherwise, unless CONFIG_BPF_JIT_ALWAYS_ON leaves none
//! (the load fails with ENOTSUPP). The verifier's proofs go to the JIT as
//! hints, or trusted when the instance opted into that.

use crate::creds::{Creds, Sysctls};
use crate::exec::jit::direct::DirectCall;
use crate::exec::{AccessProof, JitError, JitOptions, JitProgram, Program, Proofs};
use crate::isa::Insn;
use crate::prog::Runtime;
use crate::uapi::Errno;

/// The sysctls and build options bpf_prog_select_runtime consults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimePolicy {
    /// net.core.bpf_jit_enable (0: interpreter; 1, 2: JIT).
    pub jit_enable: u32,
    /// net.core.bpf_jit_harden (0: off; 1: blind for unprivileged loaders;
    /// 2: blind for everyone).
    pub jit_harden: u32,
    /// CONFIG_BPF_JIT_ALWAYS_ON: no interpreter; a program the JIT can't
    /// compile fails to load.
    pub jit_always_on: bool,
    /// The loader has CAP_SYS_ADMIN (bpf_jit_blinding_enabled exempts it at
    /// harden level 1).
    pub privileged: bool,
    /// Compile metered images (for runs with an instruction budget).
    pub meter: bool,
}

/// The JIT failed and the interpreter is not available (jit_always_on):
/// the load fails with ENOTSUPP.
#[derive(Debug, thiserror::Error)]
#[error("the JIT is required (jit_always_on) but failed: {0}")]
pub struct JitRequired(#[from] pub JitError);

/// The runtime `policy` selects for `prog`, compiled without proofs or
/// direct calls.
pub fn select_runtime(prog: Program, policy: &RuntimePolicy) -> Result<Runtime, JitRequired> {
    select_with(prog, policy, Proofs::default(), &[])
}

/// [`select_runtime`] compiling with the verifier's `proofs` and `direct`
/// naming the map-helper calls to compile as direct calls.
pub fn select_with(
    prog: Program,
    policy: &RuntimePolicy,
    proofs: Proofs<'_>,
    direct: &[DirectCall],
) -> Result<Runtime, JitRequired> {
    if policy.jit_enable == 0 && !policy.jit_always_on {
        return Ok(Runtime::Interpreter(prog));
    }
    let blind = match policy.jit_harden {
        0 => false,
        1 => !policy.privileged,
        _ => true,
    };
    let options = JitOptions {
        meter: policy.meter,
        blind,
    };
    match JitProgram::compile_with(&prog, options, proofs, direct) {
        Ok(jit) => Ok(Runtime::Jit(jit)),
        Err(e) if policy.jit_always_on => Err(JitRequired(e)),
        Err(_) => Ok(Runtime::Interpreter(prog)),
    }
}

/// BPF_PROG_LOAD's bpf_prog_select_runtime() step for the loader `creds`:
/// the JIT when bpf_jit_enable asks for it and it compiles; otherwise the
/// interpreter, unless the interpreter is compiled out (jit_always_on:
/// ENOTSUPP). bpf_jit_harden blinds constants.
pub(crate) fn load_runtime(
    sysctls: &Sysctls,
    creds: &Creds,
    xlated: &[Insn],
    jit_requested: bool,
    proven: &[AccessProof],
    trust: bool,
    direct: &[DirectCall],
) -> Result<Runtime, Errno> {
    let prog = Program::new(xlated.to_vec()).map_err(|_| Errno::EINVAL)?;
    let policy = RuntimePolicy {
        jit_enable: if jit_requested {
            sysctls.bpf_jit_enable.max(1)
        } else {
            0
        },
        jit_harden: sysctls.bpf_jit_harden,
        jit_always_on: sysctls.jit_always_on,
        privileged: creds.caps.sys_admin,
        meter: false,
    };
    let proofs = if trust {
        // SAFETY: `proven` comes from a full verification of exactly these
        // instructions (aligned through the fixups above), and the instance
        // opted into trusting it (Config::jit_trust_verifier).
        unsafe { Proofs::trusted(proven) }
    } else {
        Proofs::hints(proven)
    };
    select_with(prog, &policy, proofs, direct).map_err(|_| Errno::ENOTSUPP)
}
