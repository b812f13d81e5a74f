//! The cgroup program types of kernel/bpf/cgroup.c: device, sysctl and
//! sockopt hooks.

use super::base::{bpf_base_func_proto, cgroup_common_func_proto, cgroup_current_func_proto};
use super::{proto, FuncProto, ProgFacts};
use crate::uapi::helper_ids::func::*;
use crate::uapi::types::attach_type as at;

/// The cgroup hooks' shared head: common, then current-task helpers.
fn cgroup_head(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    cgroup_common_func_proto(id, prog).or_else(|| cgroup_current_func_proto(id, prog))
}

/// cgroup_dev_func_proto(): BPF_PROG_TYPE_CGROUP_DEVICE.
pub(super) fn cgroup_dev_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    cgroup_head(id, prog).or_else(|| match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
        _ => bpf_base_func_proto(id, prog),
    })
}

/// sysctl_func_proto(): BPF_PROG_TYPE_CGROUP_SYSCTL.
pub(super) fn sysctl_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    cgroup_head(id, prog).or_else(|| match id {
        BPF_FUNC_SYSCTL_GET_NAME => proto!(BPF_SYSCTL_GET_NAME_PROTO),
        BPF_FUNC_SYSCTL_GET_CURRENT_VALUE => proto!(BPF_SYSCTL_GET_CURRENT_VALUE_PROTO),
        BPF_FUNC_SYSCTL_GET_NEW_VALUE => proto!(BPF_SYSCTL_GET_NEW_VALUE_PROTO),
        BPF_FUNC_SYSCTL_SET_NEW_VALUE => proto!(BPF_SYSCTL_SET_NEW_VALUE_PROTO),
        BPF_FUNC_KTIME_GET_COARSE_NS => proto!(BPF_KTIME_GET_COARSE_NS_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
        _ => bpf_base_func_proto(id, prog),
    })
}

/// cg_sockopt_func_proto(): BPF_PROG_TYPE_CGROUP_SOCKOPT; only the
/// setsockopt hook may call bpf_setsockopt/bpf_getsockopt.
pub(super) fn cg_sockopt_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let set_hook = prog.expected_attach_type == at::CGROUP_SETSOCKOPT;
    cgroup_head(id, prog).or_else(|| match id {
        BPF_FUNC_GET_NETNS_COOKIE => proto!(BPF_GET_NETNS_COOKIE_SOCKOPT_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_SETSOCKOPT if set_hook => proto!(BPF_SK_SETSOCKOPT_PROTO),
        BPF_FUNC_GETSOCKOPT if set_hook => proto!(BPF_SK_GETSOCKOPT_PROTO),
        BPF_FUNC_SETSOCKOPT | BPF_FUNC_GETSOCKOPT => None,
        BPF_FUNC_TCP_SOCK => proto!(BPF_TCP_SOCK_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
        _ => bpf_base_func_proto(id, prog),
    })
}
