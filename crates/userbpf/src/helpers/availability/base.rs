//! What every program type builds on: bpf_base_func_proto
//! (kernel/bpf/helpers.c) with its three privilege tiers (6.18 moved many
//! of the tracing types' helpers here, behind CAP_BPF or CAP_PERFMON), and the cgroup
//! types' shared parts (cgroup_common_func_proto, cgroup_current_func_proto
//! in kernel/bpf/cgroup.c).

use super::{host, proto, FuncProto, ProgFacts};
use crate::uapi::helper_ids::func::*;
use crate::uapi::types::attach_type as at;
use crate::uapi::types::prog_type as pt;

/// bpf_base_func_proto(): everyone's helpers, then CAP_BPF's, then
/// CAP_PERFMON's.
pub(super) fn bpf_base_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let unprivileged = match id {
        BPF_FUNC_MAP_LOOKUP_ELEM => proto!(BPF_MAP_LOOKUP_ELEM_PROTO),
        BPF_FUNC_MAP_UPDATE_ELEM => proto!(BPF_MAP_UPDATE_ELEM_PROTO),
        BPF_FUNC_MAP_DELETE_ELEM => proto!(BPF_MAP_DELETE_ELEM_PROTO),
        BPF_FUNC_MAP_PUSH_ELEM => proto!(BPF_MAP_PUSH_ELEM_PROTO),
        BPF_FUNC_MAP_POP_ELEM => proto!(BPF_MAP_POP_ELEM_PROTO),
        BPF_FUNC_MAP_PEEK_ELEM => proto!(BPF_MAP_PEEK_ELEM_PROTO),
        BPF_FUNC_MAP_LOOKUP_PERCPU_ELEM => proto!(BPF_MAP_LOOKUP_PERCPU_ELEM_PROTO),
        BPF_FUNC_GET_PRANDOM_U32 => proto!(BPF_GET_PRANDOM_U32_PROTO),
        BPF_FUNC_GET_SMP_PROCESSOR_ID => proto!(BPF_GET_RAW_SMP_PROCESSOR_ID_PROTO),
        BPF_FUNC_GET_NUMA_NODE_ID => proto!(BPF_GET_NUMA_NODE_ID_PROTO),
        BPF_FUNC_TAIL_CALL => proto!(BPF_TAIL_CALL_PROTO),
        BPF_FUNC_KTIME_GET_NS => proto!(BPF_KTIME_GET_NS_PROTO),
        BPF_FUNC_KTIME_GET_BOOT_NS => proto!(BPF_KTIME_GET_BOOT_NS_PROTO),
        BPF_FUNC_KTIME_GET_TAI_NS => proto!(BPF_KTIME_GET_TAI_NS_PROTO),
        BPF_FUNC_RINGBUF_OUTPUT => proto!(BPF_RINGBUF_OUTPUT_PROTO),
        BPF_FUNC_RINGBUF_RESERVE => proto!(BPF_RINGBUF_RESERVE_PROTO),
        BPF_FUNC_RINGBUF_SUBMIT => proto!(BPF_RINGBUF_SUBMIT_PROTO),
        BPF_FUNC_RINGBUF_DISCARD => proto!(BPF_RINGBUF_DISCARD_PROTO),
        BPF_FUNC_RINGBUF_QUERY => proto!(BPF_RINGBUF_QUERY_PROTO),
        BPF_FUNC_STRNCMP => proto!(BPF_STRNCMP_PROTO),
        BPF_FUNC_STRTOL => proto!(BPF_STRTOL_PROTO),
        BPF_FUNC_STRTOUL => proto!(BPF_STRTOUL_PROTO),
        BPF_FUNC_GET_CURRENT_PID_TGID => proto!(BPF_GET_CURRENT_PID_TGID_PROTO),
        BPF_FUNC_GET_NS_CURRENT_PID_TGID => proto!(BPF_GET_NS_CURRENT_PID_TGID_PROTO),
        _ => None,
    };
    if unprivileged.is_some() {
        return unprivileged;
    }
    if !prog.caps.bpf {
        return None;
    }
    let bpf = match id {
        BPF_FUNC_SPIN_LOCK => proto!(BPF_SPIN_LOCK_PROTO),
        BPF_FUNC_SPIN_UNLOCK => proto!(BPF_SPIN_UNLOCK_PROTO),
        BPF_FUNC_JIFFIES64 => proto!(BPF_JIFFIES64_PROTO),
        BPF_FUNC_TIMER_INIT => proto!(BPF_TIMER_INIT_PROTO),
        BPF_FUNC_TIMER_SET_CALLBACK => proto!(BPF_TIMER_SET_CALLBACK_PROTO),
        BPF_FUNC_TIMER_START => proto!(BPF_TIMER_START_PROTO),
        BPF_FUNC_TIMER_CANCEL => proto!(BPF_TIMER_CANCEL_PROTO),
        BPF_FUNC_KPTR_XCHG => proto!(BPF_KPTR_XCHG_PROTO),
        BPF_FUNC_FOR_EACH_MAP_ELEM => proto!(BPF_FOR_EACH_MAP_ELEM_PROTO),
        BPF_FUNC_LOOP => proto!(BPF_LOOP_PROTO),
        BPF_FUNC_USER_RINGBUF_DRAIN => proto!(BPF_USER_RINGBUF_DRAIN_PROTO),
        BPF_FUNC_RINGBUF_RESERVE_DYNPTR => proto!(BPF_RINGBUF_RESERVE_DYNPTR_PROTO),
        BPF_FUNC_RINGBUF_SUBMIT_DYNPTR => proto!(BPF_RINGBUF_SUBMIT_DYNPTR_PROTO),
        BPF_FUNC_RINGBUF_DISCARD_DYNPTR => proto!(BPF_RINGBUF_DISCARD_DYNPTR_PROTO),
        BPF_FUNC_DYNPTR_FROM_MEM => proto!(BPF_DYNPTR_FROM_MEM_PROTO),
        BPF_FUNC_DYNPTR_READ => proto!(BPF_DYNPTR_READ_PROTO),
        BPF_FUNC_DYNPTR_WRITE => proto!(BPF_DYNPTR_WRITE_PROTO),
        BPF_FUNC_DYNPTR_DATA => proto!(BPF_DYNPTR_DATA_PROTO),
        BPF_FUNC_CGRP_STORAGE_GET => proto!(BPF_CGRP_STORAGE_GET_PROTO),
        BPF_FUNC_CGRP_STORAGE_DELETE => proto!(BPF_CGRP_STORAGE_DELETE_PROTO),
        BPF_FUNC_GET_CURRENT_CGROUP_ID => proto!(BPF_GET_CURRENT_CGROUP_ID_PROTO),
        BPF_FUNC_GET_CURRENT_ANCESTOR_CGROUP_ID => proto!(BPF_GET_CURRENT_ANCESTOR_CGROUP_ID_PROTO),
        // 6.18 (recorded): moved here from the tracing types' list; not
        // in 6.12's base. Recorded with CAP_BPF; whether unprivileged
        // programs would get them is unrecorded (the host forbids
        // unprivileged BPF), so they sit in this tier.
        BPF_FUNC_GET_CURRENT_UID_GID => proto!(BPF_GET_CURRENT_UID_GID_PROTO),
        BPF_FUNC_GET_CGROUP_CLASSID => proto!(BPF_GET_CGROUP_CLASSID_CURR_PROTO),
        BPF_FUNC_CURRENT_TASK_UNDER_CGROUP => proto!(BPF_CURRENT_TASK_UNDER_CGROUP_PROTO),
        BPF_FUNC_TASK_STORAGE_GET => {
            if check_recur(prog) {
                proto!(BPF_TASK_STORAGE_GET_RECUR_PROTO)
            } else {
                proto!(BPF_TASK_STORAGE_GET_PROTO)
            }
        }
        BPF_FUNC_TASK_STORAGE_DELETE => {
            if check_recur(prog) {
                proto!(BPF_TASK_STORAGE_DELETE_RECUR_PROTO)
            } else {
                proto!(BPF_TASK_STORAGE_DELETE_PROTO)
            }
        }
        _ => None,
    };
    if bpf.is_some() {
        return bpf;
    }
    if !prog.caps.perfmon {
        return None;
    }
    match id {
        BPF_FUNC_TRACE_PRINTK => proto!(BPF_TRACE_PRINTK_PROTO),
        BPF_FUNC_GET_CURRENT_TASK => proto!(BPF_GET_CURRENT_TASK_PROTO),
        BPF_FUNC_GET_CURRENT_TASK_BTF => proto!(BPF_GET_CURRENT_TASK_BTF_PROTO),
        BPF_FUNC_PROBE_READ_USER => proto!(BPF_PROBE_READ_USER_PROTO),
        BPF_FUNC_PROBE_READ_KERNEL => read_kernel(proto!(BPF_PROBE_READ_KERNEL_PROTO)),
        BPF_FUNC_PROBE_READ_USER_STR => proto!(BPF_PROBE_READ_USER_STR_PROTO),
        BPF_FUNC_PROBE_READ_KERNEL_STR => read_kernel(proto!(BPF_PROBE_READ_KERNEL_STR_PROTO)),
        BPF_FUNC_SNPRINTF_BTF => proto!(BPF_SNPRINTF_BTF_PROTO),
        BPF_FUNC_SNPRINTF => proto!(BPF_SNPRINTF_PROTO),
        BPF_FUNC_TASK_PT_REGS => proto!(BPF_TASK_PT_REGS_PROTO),
        BPF_FUNC_TRACE_VPRINTK => proto!(BPF_TRACE_VPRINTK_PROTO),
        // 6.18 (recorded): from 6.12's CAP_BPF tier (per-CPU pointers)
        // and the tracing types' list.
        BPF_FUNC_PER_CPU_PTR => proto!(BPF_PER_CPU_PTR_PROTO),
        BPF_FUNC_THIS_CPU_PTR => proto!(BPF_THIS_CPU_PTR_PROTO),
        BPF_FUNC_GET_CURRENT_COMM => proto!(BPF_GET_CURRENT_COMM_PROTO),
        BPF_FUNC_PERF_EVENT_READ => proto!(BPF_PERF_EVENT_READ_PROTO),
        BPF_FUNC_PERF_EVENT_READ_VALUE => proto!(BPF_PERF_EVENT_READ_VALUE_PROTO),
        BPF_FUNC_SEND_SIGNAL => proto!(BPF_SEND_SIGNAL_PROTO),
        BPF_FUNC_SEND_SIGNAL_THREAD => proto!(BPF_SEND_SIGNAL_THREAD_PROTO),
        BPF_FUNC_GET_TASK_STACK => {
            if prog.sleepable {
                proto!(BPF_GET_TASK_STACK_SLEEPABLE_PROTO)
            } else {
                proto!(BPF_GET_TASK_STACK_PROTO)
            }
        }
        BPF_FUNC_COPY_FROM_USER => proto!(BPF_COPY_FROM_USER_PROTO),
        BPF_FUNC_COPY_FROM_USER_TASK => proto!(BPF_COPY_FROM_USER_TASK_PROTO),
        BPF_FUNC_GET_BRANCH_SNAPSHOT => proto!(BPF_GET_BRANCH_SNAPSHOT_PROTO),
        BPF_FUNC_FIND_VMA => proto!(BPF_FIND_VMA_PROTO),
        _ => None,
    }
}

/// bpf_prog_check_recur(): whether the program may recurse into itself
/// through a helper (task storage then takes the _recur variants).
pub(super) fn check_recur(prog: &ProgFacts<'_>) -> bool {
    match prog.prog_type {
        pt::TRACING => prog.expected_attach_type != at::TRACE_ITER,
        pt::STRUCT_OPS | pt::LSM => false,
        _ => true,
    }
}

/// `security_locked_down(LOCKDOWN_BPF_READ_KERNEL) < 0 ? NULL : proto`.
pub(super) fn read_kernel(p: FuncProto) -> FuncProto {
    if host::LOCKDOWN_BPF_READ_KERNEL {
        None
    } else {
        p
    }
}

/// The attach types whose hook has no return value to get or set
/// (cgroup_common_func_proto's bpf_get_retval/bpf_set_retval cases).
fn no_retval(eat: u32) -> bool {
    matches!(
        eat,
        at::CGROUP_INET_INGRESS
            | at::CGROUP_INET_EGRESS
            | at::CGROUP_SOCK_OPS
            | at::CGROUP_UDP4_RECVMSG
            | at::CGROUP_UDP6_RECVMSG
            | at::CGROUP_UNIX_RECVMSG
            | at::CGROUP_INET4_GETPEERNAME
            | at::CGROUP_INET6_GETPEERNAME
            | at::CGROUP_UNIX_GETPEERNAME
            | at::CGROUP_INET4_GETSOCKNAME
            | at::CGROUP_INET6_GETSOCKNAME
            | at::CGROUP_UNIX_GETSOCKNAME
    )
}

/// cgroup_common_func_proto(): the cgroup hooks' local storage and return
/// value.
pub(super) fn cgroup_common_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_GET_LOCAL_STORAGE => proto!(BPF_GET_LOCAL_STORAGE_PROTO),
        BPF_FUNC_GET_RETVAL if !no_retval(prog.expected_attach_type) => proto!(BPF_GET_RETVAL_PROTO),
        BPF_FUNC_SET_RETVAL if !no_retval(prog.expected_attach_type) => proto!(BPF_SET_RETVAL_PROTO),
        _ => None,
    }
}

/// cgroup_current_func_proto(): the hooks that run in the caller's task.
/// 6.18 (recorded) no longer gives these hooks bpf_get_current_comm
/// without CAP_PERFMON: it comes from bpf_base_func_proto's tier.
pub(super) fn cgroup_current_func_proto(id: i32, _prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_GET_CURRENT_UID_GID => proto!(BPF_GET_CURRENT_UID_GID_PROTO),
        BPF_FUNC_GET_CGROUP_CLASSID => proto!(BPF_GET_CGROUP_CLASSID_CURR_PROTO),
        BPF_FUNC_CURRENT_TASK_UNDER_CGROUP => proto!(BPF_CURRENT_TASK_UNDER_CGROUP_PROTO),
        _ => None,
    }
}
