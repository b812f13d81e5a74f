//! The socket program types of net/core/filter.c: cgroup sock and
//! sock_addr hooks, sock_ops, sk_msg, sk_skb, SO_REUSEPORT selection and
//! socket lookup.

use super::base::{bpf_base_func_proto, cgroup_common_func_proto, cgroup_current_func_proto};
use super::net::bpf_sk_base_func_proto;
use super::{proto, FuncProto, ProgFacts};
use crate::uapi::helper_ids::func::*;
use crate::uapi::types::attach_type as at;

/// sock_filter_func_proto(): BPF_PROG_TYPE_CGROUP_SOCK.
pub(super) fn sock_filter_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    cgroup_common_func_proto(id, prog)
        .or_else(|| cgroup_current_func_proto(id, prog))
        .or_else(|| match id {
            BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_COOKIE_SOCK_PROTO),
            BPF_FUNC_GET_NETNS_COOKIE => proto!(BPF_GET_NETNS_COOKIE_SOCK_PROTO),
            BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
            BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_CG_SOCK_PROTO),
            BPF_FUNC_KTIME_GET_COARSE_NS => proto!(BPF_KTIME_GET_COARSE_NS_PROTO),
            _ => bpf_base_func_proto(id, prog),
        })
}

/// The sock_addr hooks that may call bpf_setsockopt/bpf_getsockopt: 6.12
/// left out the unix socket's getpeername/getsockname, 6.18 (recorded)
/// offers them to every sock_addr hook.
fn sock_addr_sockopt(eat: u32) -> bool {
    matches!(
        eat,
        at::CGROUP_INET4_BIND
            | at::CGROUP_INET6_BIND
            | at::CGROUP_INET4_CONNECT
            | at::CGROUP_INET6_CONNECT
            | at::CGROUP_UNIX_CONNECT
            | at::CGROUP_UDP4_RECVMSG
            | at::CGROUP_UDP6_RECVMSG
            | at::CGROUP_UNIX_RECVMSG
            | at::CGROUP_UDP4_SENDMSG
            | at::CGROUP_UDP6_SENDMSG
            | at::CGROUP_UNIX_SENDMSG
            | at::CGROUP_INET4_GETPEERNAME
            | at::CGROUP_INET6_GETPEERNAME
            | at::CGROUP_INET4_GETSOCKNAME
            | at::CGROUP_INET6_GETSOCKNAME
            | at::CGROUP_UNIX_GETPEERNAME
            | at::CGROUP_UNIX_GETSOCKNAME
    )
}

/// sock_addr_func_proto(): BPF_PROG_TYPE_CGROUP_SOCK_ADDR, by hook.
pub(super) fn sock_addr_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let eat = prog.expected_attach_type;
    cgroup_common_func_proto(id, prog)
        .or_else(|| cgroup_current_func_proto(id, prog))
        .or_else(|| match id {
            BPF_FUNC_BIND => match eat {
                at::CGROUP_INET4_CONNECT | at::CGROUP_INET6_CONNECT => proto!(BPF_BIND_PROTO),
                _ => None,
            },
            BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_COOKIE_SOCK_ADDR_PROTO),
            BPF_FUNC_GET_NETNS_COOKIE => proto!(BPF_GET_NETNS_COOKIE_SOCK_ADDR_PROTO),
            BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
            BPF_FUNC_SK_LOOKUP_TCP => proto!(BPF_SOCK_ADDR_SK_LOOKUP_TCP_PROTO),
            BPF_FUNC_SK_LOOKUP_UDP => proto!(BPF_SOCK_ADDR_SK_LOOKUP_UDP_PROTO),
            BPF_FUNC_SK_RELEASE => proto!(BPF_SK_RELEASE_PROTO),
            BPF_FUNC_SKC_LOOKUP_TCP => proto!(BPF_SOCK_ADDR_SKC_LOOKUP_TCP_PROTO),
            BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
            BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
            BPF_FUNC_SETSOCKOPT if sock_addr_sockopt(eat) => proto!(BPF_SOCK_ADDR_SETSOCKOPT_PROTO),
            BPF_FUNC_GETSOCKOPT if sock_addr_sockopt(eat) => proto!(BPF_SOCK_ADDR_GETSOCKOPT_PROTO),
            BPF_FUNC_SETSOCKOPT | BPF_FUNC_GETSOCKOPT => None,
            _ => bpf_sk_base_func_proto(id, prog),
        })
}

/// sock_ops_func_proto(): BPF_PROG_TYPE_SOCK_OPS.
pub(super) fn sock_ops_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    cgroup_common_func_proto(id, prog).or_else(|| match id {
        BPF_FUNC_SETSOCKOPT => proto!(BPF_SOCK_OPS_SETSOCKOPT_PROTO),
        BPF_FUNC_GETSOCKOPT => proto!(BPF_SOCK_OPS_GETSOCKOPT_PROTO),
        BPF_FUNC_SOCK_OPS_CB_FLAGS_SET => proto!(BPF_SOCK_OPS_CB_FLAGS_SET_PROTO),
        BPF_FUNC_SOCK_MAP_UPDATE => proto!(BPF_SOCK_MAP_UPDATE_PROTO),
        BPF_FUNC_SOCK_HASH_UPDATE => proto!(BPF_SOCK_HASH_UPDATE_PROTO),
        BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_COOKIE_SOCK_OPS_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_GET_NETNS_COOKIE => proto!(BPF_GET_NETNS_COOKIE_SOCK_OPS_PROTO),
        BPF_FUNC_LOAD_HDR_OPT => proto!(BPF_SOCK_OPS_LOAD_HDR_OPT_PROTO),
        BPF_FUNC_STORE_HDR_OPT => proto!(BPF_SOCK_OPS_STORE_HDR_OPT_PROTO),
        BPF_FUNC_RESERVE_HDR_OPT => proto!(BPF_SOCK_OPS_RESERVE_HDR_OPT_PROTO),
        BPF_FUNC_TCP_SOCK => proto!(BPF_TCP_SOCK_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    })
}

/// sk_msg_func_proto(): BPF_PROG_TYPE_SK_MSG.
pub(super) fn sk_msg_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_MSG_REDIRECT_MAP => proto!(BPF_MSG_REDIRECT_MAP_PROTO),
        BPF_FUNC_MSG_REDIRECT_HASH => proto!(BPF_MSG_REDIRECT_HASH_PROTO),
        BPF_FUNC_MSG_APPLY_BYTES => proto!(BPF_MSG_APPLY_BYTES_PROTO),
        BPF_FUNC_MSG_CORK_BYTES => proto!(BPF_MSG_CORK_BYTES_PROTO),
        BPF_FUNC_MSG_PULL_DATA => proto!(BPF_MSG_PULL_DATA_PROTO),
        BPF_FUNC_MSG_PUSH_DATA => proto!(BPF_MSG_PUSH_DATA_PROTO),
        BPF_FUNC_MSG_POP_DATA => proto!(BPF_MSG_POP_DATA_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
        BPF_FUNC_GET_CURRENT_UID_GID => proto!(BPF_GET_CURRENT_UID_GID_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_GET_NETNS_COOKIE => proto!(BPF_GET_NETNS_COOKIE_SK_MSG_PROTO),
        BPF_FUNC_GET_CGROUP_CLASSID => proto!(BPF_GET_CGROUP_CLASSID_CURR_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    }
}

/// sk_skb_func_proto(): BPF_PROG_TYPE_SK_SKB (parser and verdicts alike).
pub(super) fn sk_skb_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SKB_STORE_BYTES => proto!(BPF_SKB_STORE_BYTES_PROTO),
        BPF_FUNC_SKB_LOAD_BYTES => proto!(BPF_SKB_LOAD_BYTES_PROTO),
        BPF_FUNC_SKB_PULL_DATA => proto!(SK_SKB_PULL_DATA_PROTO),
        BPF_FUNC_SKB_CHANGE_TAIL => proto!(SK_SKB_CHANGE_TAIL_PROTO),
        BPF_FUNC_SKB_CHANGE_HEAD => proto!(SK_SKB_CHANGE_HEAD_PROTO),
        BPF_FUNC_SKB_ADJUST_ROOM => proto!(SK_SKB_ADJUST_ROOM_PROTO),
        BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_COOKIE_PROTO),
        BPF_FUNC_GET_SOCKET_UID => proto!(BPF_GET_SOCKET_UID_PROTO),
        BPF_FUNC_SK_REDIRECT_MAP => proto!(BPF_SK_REDIRECT_MAP_PROTO),
        BPF_FUNC_SK_REDIRECT_HASH => proto!(BPF_SK_REDIRECT_HASH_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_SKB_EVENT_OUTPUT_PROTO),
        BPF_FUNC_SK_LOOKUP_TCP => proto!(BPF_SK_LOOKUP_TCP_PROTO),
        BPF_FUNC_SK_LOOKUP_UDP => proto!(BPF_SK_LOOKUP_UDP_PROTO),
        BPF_FUNC_SK_RELEASE => proto!(BPF_SK_RELEASE_PROTO),
        BPF_FUNC_SKC_LOOKUP_TCP => proto!(BPF_SKC_LOOKUP_TCP_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    }
}

/// sk_reuseport_func_proto(): BPF_PROG_TYPE_SK_REUSEPORT.
pub(super) fn sk_reuseport_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SK_SELECT_REUSEPORT => proto!(SK_SELECT_REUSEPORT_PROTO),
        BPF_FUNC_SKB_LOAD_BYTES => proto!(SK_REUSEPORT_LOAD_BYTES_PROTO),
        BPF_FUNC_SKB_LOAD_BYTES_RELATIVE => proto!(SK_REUSEPORT_LOAD_BYTES_RELATIVE_PROTO),
        BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_PTR_COOKIE_PROTO),
        BPF_FUNC_KTIME_GET_COARSE_NS => proto!(BPF_KTIME_GET_COARSE_NS_PROTO),
        _ => bpf_base_func_proto(id, prog),
    }
}

/// sk_lookup_func_proto(): BPF_PROG_TYPE_SK_LOOKUP.
pub(super) fn sk_lookup_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_EVENT_OUTPUT_DATA_PROTO),
        BPF_FUNC_SK_ASSIGN => proto!(BPF_SK_LOOKUP_ASSIGN_PROTO),
        BPF_FUNC_SK_RELEASE => proto!(BPF_SK_RELEASE_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    }
}
