//! Calls of kernel functions (kfuncs: `call` with src_reg
//! BPF_PSEUDO_KFUNC_CALL, imm the function's BTF id in the kernel BTF).
//! What the kernel checks of them before the walk (add_subprog_and_kfunc,
//! add_kfunc_call) is checked here with its messages; the walk does not
//! model kfuncs (their argument and return rules, the kfunc id sets per
//! program type) and stops with `Unsupported("kfunc <name>")`, which
//! refuses the load with EOPNOTSUPP: no engine can call a kernel function,
//! so a structural accept would only defer the failure to the run.

use std::collections::HashSet;
use std::sync::Mutex;

use super::do_check::Stop;
use crate::btf::{Btf, BtfKind};
use crate::isa::opcode::{BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, CALL};
use crate::isa::Insn;
use crate::uapi::Errno;

/// BPF_MAX_SUBPROGS, the main program included.
const MAX_SUBPROGS: usize = 256;

/// What add_subprog_and_kfunc() needs of the load.
pub struct KfuncEnv<'a> {
    /// The instance's kernel BTF (None: no CONFIG_DEBUG_INFO_BTF).
    pub kernel_btf: Option<&'a Btf>,
    pub privileged: bool,
    pub jit_requested: bool,
    pub gpl_compatible: bool,
    /// The load passed an fd_array (module BTFs are named through it).
    pub fd_array: bool,
}

fn fail(msg: String, errno: Errno) -> Result<(), (String, Errno)> {
    Err((msg, errno))
}

/// add_subprog_and_kfunc(): every call, function reference and kfunc
/// call in order; calls need CAP_BPF, kfunc calls a kernel BTF, the JIT
/// and a GPL-compatible license (checked at the first one), and each
/// names a FUNC with a FUNC_PROTO. Call targets are checked here too so
/// that the first faulty instruction reports, as in the kernel.
pub fn add_subprog_and_kfunc(insns: &[Insn], env: &KfuncEnv<'_>) -> Result<(), (String, Errno)> {
    let mut starts = vec![0usize];
    let mut kfunc_tab = false;
    for (pc, insn) in insns.iter().enumerate() {
        let pseudo_call = insn.code == CALL && insn.src == BPF_PSEUDO_CALL;
        let pseudo_func = insn.is_ld_imm64() && insn.src == BPF_PSEUDO_FUNC;
        let kfunc = insn.code == CALL && insn.src == BPF_PSEUDO_KFUNC_CALL;
        if !pseudo_call && !pseudo_func && !kfunc {
            continue;
        }
        if !env.privileged {
            return fail(
                "loading/calling other bpf or kernel functions are allowed for CAP_BPF and CAP_SYS_ADMIN\n".into(),
                Errno::EPERM,
            );
        }
        if !kfunc {
            let target = pc as i64 + insn.imm as i64 + 1;
            if target < 0 || target >= insns.len() as i64 {
                return fail("call to invalid destination\n".into(), Errno::EINVAL);
            }
            if !starts.contains(&(target as usize)) {
                if starts.len() >= MAX_SUBPROGS {
                    return fail("too many subprograms\n".into(), Errno::E2BIG);
                }
                starts.push(target as usize);
            }
            continue;
        }
        if !kfunc_tab {
            let Some(_) = env.kernel_btf else {
                return fail(
                    "calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF\n".into(),
                    Errno::ENOTSUPP,
                );
            };
            if !env.jit_requested {
                return fail("JIT is required for calling kernel function\n".into(), Errno::ENOTSUPP);
            }
            if !env.gpl_compatible {
                return fail(
                    "cannot call kernel function from non-GPL compatible program\n".into(),
                    Errno::EINVAL,
                );
            }
            kfunc_tab = true;
        }
        add_kfunc_call(env, insn.imm as u32, insn.off)?;
    }
    Ok(())
}

/// add_kfunc_call() for one call, past the first-call checks.
fn add_kfunc_call(env: &KfuncEnv<'_>, func_id: u32, off: i16) -> Result<(), (String, Errno)> {
    // Id 0 is refused later, and only if the call is reachable.
    if func_id == 0 && off == 0 {
        return Ok(());
    }
    const NO_BTF: &str = "failed to find BTF for kernel function\n";
    if off < 0 {
        return fail(
            format!("negative offset disallowed for kernel module function call\n{NO_BTF}"),
            Errno::EINVAL,
        );
    }
    if off > 0 && !env.fd_array {
        return fail(
            format!("kfunc offset > 0 without fd_array is invalid\n{NO_BTF}"),
            Errno::EPROTO,
        );
    }
    // Module BTFs (an fd_array index): the walk names it as not modelled.
    if off > 0 {
        return Ok(());
    }
    let Some(btf) = env.kernel_btf else {
        return Ok(());
    };
    let Some(BtfKind::Func { type_id, .. }) = btf.get(func_id).ok().map(|t| &t.kind) else {
        return fail(format!("kernel btf_id {func_id} is not a function\n"), Errno::EINVAL);
    };
    if !matches!(btf.get(*type_id).map(|t| &t.kind), Ok(BtfKind::FuncProto { .. })) {
        return fail(
            format!("kernel function btf_id {func_id} does not have a valid func_proto\n"),
            Errno::EINVAL,
        );
    }
    Ok(())
}

/// Names live as long as the process: one copy per distinct kfunc name
/// (the unsupported marker of a loaded program is a `&'static str`).
fn intern(s: String) -> &'static str {
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = NAMES.lock().unwrap_or_else(|p| p.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(&known) = set.get(s.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(s.into_boxed_str());
    set.insert(leaked);
    leaked
}

/// Where the walk stops at a kfunc call: "kfunc <name>" (the name from
/// the kernel BTF), "kfunc #<id>" when the id names nothing there, or
/// "kfunc in a module BTF".
pub(super) fn unsupported_kfunc(kernel_btf: Option<&Btf>, btf_id: i32, off: i16) -> Stop {
    if off != 0 {
        return Stop::Unsupported("kfunc in a module BTF");
    }
    let name = kernel_btf
        .and_then(|b| {
            b.get(btf_id as u32)
                .ok()
                .map(|t| t.name_off)
                .and_then(|n| b.name(n).ok())
        })
        .filter(|n| !n.is_empty());
    Stop::Unsupported(intern(match name {
        Some(n) => format!("kfunc {n}"),
        None => format!("kfunc #{btf_id}"),
    }))
}
