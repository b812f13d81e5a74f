//! The tracing program types of kernel/trace/bpf_trace.c: kprobes (and
//! uprobes, multi and session), tracepoints, perf events, raw
//! tracepoints and BTF-typed tracing (fentry, fexit, fmod_ret, tp_btf,
//! iterators).

use super::base::{bpf_base_func_proto, read_kernel};
use super::{host, proto, FuncProto, ProgFacts};
use crate::uapi::helper_ids::func::*;
use crate::uapi::types::attach_type as at;
use crate::uapi::types::prog_type as pt;

/// bpf_prog_has_trampoline().
pub(super) fn has_trampoline(prog: &ProgFacts<'_>) -> bool {
    let eat = prog.expected_attach_type;
    (prog.prog_type == pt::TRACING && matches!(eat, at::TRACE_FENTRY | at::TRACE_FEXIT | at::MODIFY_RETURN))
        || (prog.prog_type == pt::LSM && eat == at::LSM_MAC)
}

/// bpf_tracing_func_proto(): what every tracing type shares. In 6.18
/// (recorded) the helpers 6.12 listed here that bpf_base_func_proto also
/// offers come from the base alone, with its capability tiers (a syscall
/// program with CAP_BPF but not CAP_PERFMON gets no bpf_trace_printk).
pub(super) fn bpf_tracing_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_GET_SMP_PROCESSOR_ID => proto!(BPF_GET_SMP_PROCESSOR_ID_PROTO),
        BPF_FUNC_PROBE_WRITE_USER => {
            if host::LOCKDOWN_BPF_WRITE_USER {
                None
            } else {
                proto!(BPF_PROBE_WRITE_USER_PROTO)
            }
        }
        BPF_FUNC_PROBE_READ => read_kernel(proto!(BPF_PROBE_READ_COMPAT_PROTO)),
        BPF_FUNC_PROBE_READ_STR => read_kernel(proto!(BPF_PROBE_READ_COMPAT_STR_PROTO)),
        BPF_FUNC_GET_FUNC_IP => proto!(BPF_GET_FUNC_IP_PROTO_TRACING),
        _ => bpf_base_func_proto(id, prog),
    }
}

/// is_kprobe_multi(): kprobe.multi and kprobe.session programs.
fn is_kprobe_multi(prog: &ProgFacts<'_>) -> bool {
    matches!(
        prog.expected_attach_type,
        at::TRACE_KPROBE_MULTI | at::TRACE_KPROBE_SESSION
    )
}

/// kprobe_prog_func_proto(): BPF_PROG_TYPE_KPROBE (kprobes and uprobes).
pub(super) fn kprobe_prog_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let uprobe_multi = prog.expected_attach_type == at::TRACE_UPROBE_MULTI;
    match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_PERF_EVENT_OUTPUT_PROTO),
        BPF_FUNC_GET_STACKID => proto!(BPF_GET_STACKID_PROTO),
        BPF_FUNC_GET_STACK => {
            if prog.sleepable {
                proto!(BPF_GET_STACK_SLEEPABLE_PROTO)
            } else {
                proto!(BPF_GET_STACK_PROTO)
            }
        }
        BPF_FUNC_OVERRIDE_RETURN if host::KPROBE_OVERRIDE => proto!(BPF_OVERRIDE_RETURN_PROTO),
        BPF_FUNC_GET_FUNC_IP if is_kprobe_multi(prog) => proto!(BPF_GET_FUNC_IP_PROTO_KPROBE_MULTI),
        BPF_FUNC_GET_FUNC_IP if uprobe_multi => proto!(BPF_GET_FUNC_IP_PROTO_UPROBE_MULTI),
        BPF_FUNC_GET_FUNC_IP => proto!(BPF_GET_FUNC_IP_PROTO_KPROBE),
        BPF_FUNC_GET_ATTACH_COOKIE if is_kprobe_multi(prog) => proto!(BPF_GET_ATTACH_COOKIE_PROTO_KMULTI),
        BPF_FUNC_GET_ATTACH_COOKIE if uprobe_multi => proto!(BPF_GET_ATTACH_COOKIE_PROTO_UMULTI),
        BPF_FUNC_GET_ATTACH_COOKIE => proto!(BPF_GET_ATTACH_COOKIE_PROTO_TRACE),
        _ => bpf_tracing_func_proto(id, prog),
    }
}

/// tp_prog_func_proto(): BPF_PROG_TYPE_TRACEPOINT.
pub(super) fn tp_prog_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_PERF_EVENT_OUTPUT_PROTO_TP),
        BPF_FUNC_GET_STACKID => proto!(BPF_GET_STACKID_PROTO_TP),
        BPF_FUNC_GET_STACK => proto!(BPF_GET_STACK_PROTO_TP),
        BPF_FUNC_GET_ATTACH_COOKIE => proto!(BPF_GET_ATTACH_COOKIE_PROTO_TRACE),
        _ => bpf_tracing_func_proto(id, prog),
    }
}

/// pe_prog_func_proto(): BPF_PROG_TYPE_PERF_EVENT.
pub(super) fn pe_prog_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_PERF_EVENT_OUTPUT_PROTO_TP),
        BPF_FUNC_GET_STACKID => proto!(BPF_GET_STACKID_PROTO_PE),
        BPF_FUNC_GET_STACK => proto!(BPF_GET_STACK_PROTO_PE),
        BPF_FUNC_PERF_PROG_READ_VALUE => proto!(BPF_PERF_PROG_READ_VALUE_PROTO),
        BPF_FUNC_READ_BRANCH_RECORDS => proto!(BPF_READ_BRANCH_RECORDS_PROTO),
        BPF_FUNC_GET_ATTACH_COOKIE => proto!(BPF_GET_ATTACH_COOKIE_PROTO_PE),
        _ => bpf_tracing_func_proto(id, prog),
    }
}

/// raw_tp_prog_func_proto(): raw tracepoints (writable ones too).
pub(super) fn raw_tp_prog_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_PERF_EVENT_OUTPUT_PROTO_RAW_TP),
        BPF_FUNC_GET_STACKID => proto!(BPF_GET_STACKID_PROTO_RAW_TP),
        BPF_FUNC_GET_STACK => proto!(BPF_GET_STACK_PROTO_RAW_TP),
        BPF_FUNC_GET_ATTACH_COOKIE => proto!(BPF_GET_ATTACH_COOKIE_PROTO_TRACING),
        _ => bpf_tracing_func_proto(id, prog),
    }
}

/// tracing_prog_func_proto(): BPF_PROG_TYPE_TRACING (and, through
/// bpf_lsm_func_proto and syscall_prog_func_proto, lsm and syscall).
pub(super) fn tracing_prog_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let iter = prog.expected_attach_type == at::TRACE_ITER;
    let trampoline = has_trampoline(prog);
    match id {
        BPF_FUNC_SKB_OUTPUT => proto!(BPF_SKB_OUTPUT_PROTO),
        BPF_FUNC_XDP_OUTPUT => proto!(BPF_XDP_OUTPUT_PROTO),
        BPF_FUNC_SKC_TO_TCP6_SOCK => proto!(BPF_SKC_TO_TCP6_SOCK_PROTO),
        BPF_FUNC_SKC_TO_TCP_SOCK => proto!(BPF_SKC_TO_TCP_SOCK_PROTO),
        BPF_FUNC_SKC_TO_TCP_TIMEWAIT_SOCK => proto!(BPF_SKC_TO_TCP_TIMEWAIT_SOCK_PROTO),
        BPF_FUNC_SKC_TO_TCP_REQUEST_SOCK => proto!(BPF_SKC_TO_TCP_REQUEST_SOCK_PROTO),
        BPF_FUNC_SKC_TO_UDP6_SOCK => proto!(BPF_SKC_TO_UDP6_SOCK_PROTO),
        BPF_FUNC_SKC_TO_UNIX_SOCK => proto!(BPF_SKC_TO_UNIX_SOCK_PROTO),
        BPF_FUNC_SKC_TO_MPTCP_SOCK => proto!(BPF_SKC_TO_MPTCP_SOCK_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_TRACING_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_TRACING_PROTO),
        BPF_FUNC_SOCK_FROM_FILE => proto!(BPF_SOCK_FROM_FILE_PROTO),
        BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_PTR_COOKIE_PROTO),
        BPF_FUNC_XDP_GET_BUFF_LEN => proto!(BPF_XDP_GET_BUFF_LEN_TRACE_PROTO),
        BPF_FUNC_SEQ_PRINTF if iter => proto!(BPF_SEQ_PRINTF_PROTO),
        BPF_FUNC_SEQ_WRITE if iter => proto!(BPF_SEQ_WRITE_PROTO),
        BPF_FUNC_SEQ_PRINTF_BTF if iter => proto!(BPF_SEQ_PRINTF_BTF_PROTO),
        BPF_FUNC_SEQ_PRINTF | BPF_FUNC_SEQ_WRITE | BPF_FUNC_SEQ_PRINTF_BTF => None,
        BPF_FUNC_D_PATH => proto!(BPF_D_PATH_PROTO),
        BPF_FUNC_GET_FUNC_ARG if trampoline => proto!(BPF_GET_FUNC_ARG_PROTO),
        BPF_FUNC_GET_FUNC_RET if trampoline => proto!(BPF_GET_FUNC_RET_PROTO),
        BPF_FUNC_GET_FUNC_ARG_CNT if trampoline => proto!(BPF_GET_FUNC_ARG_CNT_PROTO),
        BPF_FUNC_GET_FUNC_ARG | BPF_FUNC_GET_FUNC_RET | BPF_FUNC_GET_FUNC_ARG_CNT => None,
        BPF_FUNC_GET_ATTACH_COOKIE => {
            let raw_tp = prog.prog_type == pt::TRACING && prog.expected_attach_type == at::TRACE_RAW_TP;
            if raw_tp || trampoline {
                proto!(BPF_GET_ATTACH_COOKIE_PROTO_TRACING)
            } else {
                None
            }
        }
        // The iterator targets' own get_func_proto (bpf_iter_get_func_proto)
        // would come after raw_tp's for iterators; none of the recorded
        // targets has one.
        _ => raw_tp_prog_func_proto(id, prog),
    }
}
