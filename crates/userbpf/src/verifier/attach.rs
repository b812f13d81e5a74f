//! check_attach_btf_id(): what a program type demands of its attach target
//! and sleepability, checked before any instruction is simulated.

use super::CheckInput;
use crate::uapi::types::prog_type as pt;
use crate::uapi::Errno;

// Attach types that allow sleepable programs (can_be_sleepable()).
const TRACE_FENTRY: u32 = 24;
const TRACE_FEXIT: u32 = 25;
const MODIFY_RETURN: u32 = 26;
const TRACE_ITER: u32 = 28;

fn can_be_sleepable(input: &CheckInput<'_>) -> bool {
    match input.prog_type {
        pt::TRACING => matches!(
            input.expected_attach_type,
            TRACE_FENTRY | TRACE_FEXIT | MODIFY_RETURN | TRACE_ITER
        ),
        // Only uprobes may sleep, but that is known at attach time: the
        // load takes any sleepable kprobe (6.18 accepts one with attach
        // type 0, as libbpf loads SEC("uprobe.s")).
        pt::KPROBE => true,
        pt::LSM | pt::STRUCT_OPS => true,
        _ => false,
    }
}

/// The kernel's message and errno when the program can't be attached as
/// declared. No BTF exists here, so BTF-attached types always lack a target.
pub fn check_attach_btf_id(input: &CheckInput<'_>) -> Result<(), (String, Errno)> {
    let fail = |msg: &str, e| Err((format!("{msg}\n"), e));
    if input.prog_type == pt::SYSCALL {
        return if input.sleepable {
            Ok(())
        } else {
            fail("Syscall programs can only be sleepable", Errno::EINVAL)
        };
    }
    if input.sleepable && !can_be_sleepable(input) {
        return fail(
            "Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable",
            Errno::EINVAL,
        );
    }
    match input.prog_type {
        pt::STRUCT_OPS if !input.gpl_compatible => {
            fail("struct ops programs must have a GPL compatible license", Errno::EINVAL)
        }
        // No attach_btf_id: ENOTSUPP (524).
        pt::STRUCT_OPS => Err((String::new(), Errno::ENOTSUPP)),
        pt::TRACING | pt::LSM | pt::EXT => fail("Tracing programs must provide btf_id", Errno::EINVAL),
        _ => Ok(()),
    }
}
