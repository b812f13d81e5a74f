//! The packet program types of net/core/filter.c: socket filters, cgroup
//! skb, tc, XDP, the flow dissector, lightweight tunnels; and
//! bpf_sk_base_func_proto, which the socket types share.

use super::base::{bpf_base_func_proto, cgroup_common_func_proto};
use super::{host, proto, FuncProto, ProgFacts};
use crate::helpers::proto::{Proto, ARG_DONTCARE, ARG_PTR_TO_CTX_OR_NULL, RET_INTEGER};
use crate::uapi::helper_ids::func::*;

/// bpf_get_netns_cookie_proto: 6.18's netns cookie for the skb types,
/// newer than the 6.12 catalogue (helpers/proto), so kept here until the
/// catalogue has it. Like the socket variants it takes a context that may
/// be NULL: the recorded 6.18 host accepts `r1 = 0; call
/// bpf_get_netns_cookie` from socket filters, tc and cgroup skb programs.
pub(super) static BPF_GET_NETNS_COOKIE_PROTO: Proto = Proto {
    name: "bpf_get_netns_cookie_proto",
    func_id: BPF_FUNC_GET_NETNS_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: [
        ARG_PTR_TO_CTX_OR_NULL,
        ARG_DONTCARE,
        ARG_DONTCARE,
        ARG_DONTCARE,
        ARG_DONTCARE,
    ],
    ..Proto::EMPTY
};

/// bpf_sk_base_func_proto(): the socket casts (for CAP_PERFMON) and
/// the coarse clock on top of the base set.
pub(super) fn bpf_sk_base_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let cast = match id {
        BPF_FUNC_SKC_TO_TCP6_SOCK => proto!(BPF_SKC_TO_TCP6_SOCK_PROTO),
        BPF_FUNC_SKC_TO_TCP_SOCK => proto!(BPF_SKC_TO_TCP_SOCK_PROTO),
        BPF_FUNC_SKC_TO_TCP_TIMEWAIT_SOCK => proto!(BPF_SKC_TO_TCP_TIMEWAIT_SOCK_PROTO),
        BPF_FUNC_SKC_TO_TCP_REQUEST_SOCK => proto!(BPF_SKC_TO_TCP_REQUEST_SOCK_PROTO),
        BPF_FUNC_SKC_TO_UDP6_SOCK => proto!(BPF_SKC_TO_UDP6_SOCK_PROTO),
        BPF_FUNC_SKC_TO_UNIX_SOCK => proto!(BPF_SKC_TO_UNIX_SOCK_PROTO),
        BPF_FUNC_SKC_TO_MPTCP_SOCK => proto!(BPF_SKC_TO_MPTCP_SOCK_PROTO),
        BPF_FUNC_KTIME_GET_COARSE_NS => return proto!(BPF_KTIME_GET_COARSE_NS_PROTO),
        _ => return bpf_base_func_proto(id, prog),
    };
    if prog.caps.perfmon {
        cast
    } else {
        None
    }
}

/// sk_filter_func_proto(): socket filters.
pub(super) fn sk_filter_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SKB_LOAD_BYTES => proto!(BPF_SKB_LOAD_BYTES_PROTO),
        BPF_FUNC_SKB_LOAD_BYTES_RELATIVE => proto!(BPF_SKB_LOAD_BYTES_RELATIVE_PROTO),
        BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_COOKIE_PROTO),
        BPF_FUNC_GET_SOCKET_UID => proto!(BPF_GET_SOCKET_UID_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_SKB_EVENT_OUTPUT_PROTO),
        // 6.18 (recorded; not in 6.12): the skb's network namespace cookie.
        BPF_FUNC_GET_NETNS_COOKIE => Some(&BPF_GET_NETNS_COOKIE_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    }
}

/// cg_skb_func_proto(): cgroup ingress/egress skb programs.
pub(super) fn cg_skb_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    cgroup_common_func_proto(id, prog).or_else(|| match id {
        BPF_FUNC_SK_FULLSOCK => proto!(BPF_SK_FULLSOCK_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_SKB_EVENT_OUTPUT_PROTO),
        BPF_FUNC_SKB_CGROUP_ID => proto!(BPF_SKB_CGROUP_ID_PROTO),
        BPF_FUNC_SKB_ANCESTOR_CGROUP_ID => proto!(BPF_SKB_ANCESTOR_CGROUP_ID_PROTO),
        BPF_FUNC_SK_CGROUP_ID => proto!(BPF_SK_CGROUP_ID_PROTO),
        BPF_FUNC_SK_ANCESTOR_CGROUP_ID => proto!(BPF_SK_ANCESTOR_CGROUP_ID_PROTO),
        BPF_FUNC_SK_LOOKUP_TCP => proto!(BPF_SK_LOOKUP_TCP_PROTO),
        BPF_FUNC_SK_LOOKUP_UDP => proto!(BPF_SK_LOOKUP_UDP_PROTO),
        BPF_FUNC_SK_RELEASE => proto!(BPF_SK_RELEASE_PROTO),
        BPF_FUNC_SKC_LOOKUP_TCP => proto!(BPF_SKC_LOOKUP_TCP_PROTO),
        BPF_FUNC_TCP_SOCK => proto!(BPF_TCP_SOCK_PROTO),
        BPF_FUNC_GET_LISTENER_SOCK => proto!(BPF_GET_LISTENER_SOCK_PROTO),
        BPF_FUNC_SKB_ECN_SET_CE => proto!(BPF_SKB_ECN_SET_CE_PROTO),
        _ => sk_filter_func_proto(id, prog),
    })
}

/// The raw SYN-cookie helpers (CONFIG_SYN_COOKIES), tc and XDP alike.
fn raw_syncookie(id: i32) -> FuncProto {
    match id {
        BPF_FUNC_TCP_RAW_GEN_SYNCOOKIE_IPV4 => proto!(BPF_TCP_RAW_GEN_SYNCOOKIE_IPV4_PROTO),
        BPF_FUNC_TCP_RAW_GEN_SYNCOOKIE_IPV6 => proto!(BPF_TCP_RAW_GEN_SYNCOOKIE_IPV6_PROTO),
        BPF_FUNC_TCP_RAW_CHECK_SYNCOOKIE_IPV4 => proto!(BPF_TCP_RAW_CHECK_SYNCOOKIE_IPV4_PROTO),
        BPF_FUNC_TCP_RAW_CHECK_SYNCOOKIE_IPV6 => proto!(BPF_TCP_RAW_CHECK_SYNCOOKIE_IPV6_PROTO),
        _ => None,
    }
}

/// tc_cls_act_func_proto(): tc classifiers and actions (tcx, netkit).
pub(super) fn tc_cls_act_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SKB_STORE_BYTES => proto!(BPF_SKB_STORE_BYTES_PROTO),
        BPF_FUNC_SKB_LOAD_BYTES => proto!(BPF_SKB_LOAD_BYTES_PROTO),
        BPF_FUNC_SKB_LOAD_BYTES_RELATIVE => proto!(BPF_SKB_LOAD_BYTES_RELATIVE_PROTO),
        BPF_FUNC_SKB_PULL_DATA => proto!(BPF_SKB_PULL_DATA_PROTO),
        BPF_FUNC_CSUM_DIFF => proto!(BPF_CSUM_DIFF_PROTO),
        BPF_FUNC_CSUM_UPDATE => proto!(BPF_CSUM_UPDATE_PROTO),
        BPF_FUNC_CSUM_LEVEL => proto!(BPF_CSUM_LEVEL_PROTO),
        BPF_FUNC_L3_CSUM_REPLACE => proto!(BPF_L3_CSUM_REPLACE_PROTO),
        BPF_FUNC_L4_CSUM_REPLACE => proto!(BPF_L4_CSUM_REPLACE_PROTO),
        BPF_FUNC_CLONE_REDIRECT => proto!(BPF_CLONE_REDIRECT_PROTO),
        BPF_FUNC_GET_CGROUP_CLASSID => proto!(BPF_GET_CGROUP_CLASSID_PROTO),
        BPF_FUNC_SKB_VLAN_PUSH => proto!(BPF_SKB_VLAN_PUSH_PROTO),
        BPF_FUNC_SKB_VLAN_POP => proto!(BPF_SKB_VLAN_POP_PROTO),
        BPF_FUNC_SKB_CHANGE_PROTO => proto!(BPF_SKB_CHANGE_PROTO_PROTO),
        BPF_FUNC_SKB_CHANGE_TYPE => proto!(BPF_SKB_CHANGE_TYPE_PROTO),
        BPF_FUNC_SKB_ADJUST_ROOM => proto!(BPF_SKB_ADJUST_ROOM_PROTO),
        BPF_FUNC_SKB_CHANGE_TAIL => proto!(BPF_SKB_CHANGE_TAIL_PROTO),
        BPF_FUNC_SKB_CHANGE_HEAD => proto!(BPF_SKB_CHANGE_HEAD_PROTO),
        BPF_FUNC_SKB_GET_TUNNEL_KEY => proto!(BPF_SKB_GET_TUNNEL_KEY_PROTO),
        BPF_FUNC_SKB_SET_TUNNEL_KEY => proto!(BPF_SKB_SET_TUNNEL_KEY_PROTO),
        BPF_FUNC_SKB_GET_TUNNEL_OPT => proto!(BPF_SKB_GET_TUNNEL_OPT_PROTO),
        BPF_FUNC_SKB_SET_TUNNEL_OPT => proto!(BPF_SKB_SET_TUNNEL_OPT_PROTO),
        BPF_FUNC_REDIRECT => proto!(BPF_REDIRECT_PROTO),
        BPF_FUNC_REDIRECT_NEIGH => proto!(BPF_REDIRECT_NEIGH_PROTO),
        BPF_FUNC_REDIRECT_PEER => proto!(BPF_REDIRECT_PEER_PROTO),
        BPF_FUNC_GET_ROUTE_REALM => proto!(BPF_GET_ROUTE_REALM_PROTO),
        BPF_FUNC_GET_HASH_RECALC => proto!(BPF_GET_HASH_RECALC_PROTO),
        BPF_FUNC_SET_HASH_INVALID => proto!(BPF_SET_HASH_INVALID_PROTO),
        BPF_FUNC_SET_HASH => proto!(BPF_SET_HASH_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_SKB_EVENT_OUTPUT_PROTO),
        BPF_FUNC_GET_SMP_PROCESSOR_ID => proto!(BPF_GET_SMP_PROCESSOR_ID_PROTO),
        BPF_FUNC_SKB_UNDER_CGROUP => proto!(BPF_SKB_UNDER_CGROUP_PROTO),
        BPF_FUNC_GET_SOCKET_COOKIE => proto!(BPF_GET_SOCKET_COOKIE_PROTO),
        BPF_FUNC_GET_SOCKET_UID => proto!(BPF_GET_SOCKET_UID_PROTO),
        BPF_FUNC_FIB_LOOKUP => proto!(BPF_SKB_FIB_LOOKUP_PROTO),
        BPF_FUNC_CHECK_MTU => proto!(BPF_SKB_CHECK_MTU_PROTO),
        BPF_FUNC_SK_FULLSOCK => proto!(BPF_SK_FULLSOCK_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_SKB_GET_XFRM_STATE => proto!(BPF_SKB_GET_XFRM_STATE_PROTO),
        BPF_FUNC_SKB_CGROUP_CLASSID => proto!(BPF_SKB_CGROUP_CLASSID_PROTO),
        BPF_FUNC_SKB_CGROUP_ID => proto!(BPF_SKB_CGROUP_ID_PROTO),
        BPF_FUNC_SKB_ANCESTOR_CGROUP_ID => proto!(BPF_SKB_ANCESTOR_CGROUP_ID_PROTO),
        BPF_FUNC_SK_LOOKUP_TCP => proto!(BPF_TC_SK_LOOKUP_TCP_PROTO),
        BPF_FUNC_SK_LOOKUP_UDP => proto!(BPF_TC_SK_LOOKUP_UDP_PROTO),
        BPF_FUNC_SK_RELEASE => proto!(BPF_SK_RELEASE_PROTO),
        BPF_FUNC_TCP_SOCK => proto!(BPF_TCP_SOCK_PROTO),
        BPF_FUNC_GET_LISTENER_SOCK => proto!(BPF_GET_LISTENER_SOCK_PROTO),
        BPF_FUNC_SKC_LOOKUP_TCP => proto!(BPF_TC_SKC_LOOKUP_TCP_PROTO),
        BPF_FUNC_TCP_CHECK_SYNCOOKIE => proto!(BPF_TCP_CHECK_SYNCOOKIE_PROTO),
        BPF_FUNC_SKB_ECN_SET_CE => proto!(BPF_SKB_ECN_SET_CE_PROTO),
        BPF_FUNC_TCP_GEN_SYNCOOKIE => proto!(BPF_TCP_GEN_SYNCOOKIE_PROTO),
        BPF_FUNC_SK_ASSIGN => proto!(BPF_SK_ASSIGN_PROTO),
        BPF_FUNC_SKB_SET_TSTAMP => proto!(BPF_SKB_SET_TSTAMP_PROTO),
        // 6.18 (recorded; not in 6.12).
        BPF_FUNC_GET_NETNS_COOKIE => Some(&BPF_GET_NETNS_COOKIE_PROTO),
        _ => raw_syncookie(id).or_else(|| bpf_sk_base_func_proto(id, prog)),
    }
}

/// xdp_func_proto(): XDP (devmap and cpumap programs alike).
pub(super) fn xdp_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_XDP_EVENT_OUTPUT_PROTO),
        BPF_FUNC_GET_SMP_PROCESSOR_ID => proto!(BPF_GET_SMP_PROCESSOR_ID_PROTO),
        BPF_FUNC_CSUM_DIFF => proto!(BPF_CSUM_DIFF_PROTO),
        BPF_FUNC_XDP_ADJUST_HEAD => proto!(BPF_XDP_ADJUST_HEAD_PROTO),
        BPF_FUNC_XDP_ADJUST_META if host::XDP_ADJUST_META => proto!(BPF_XDP_ADJUST_META_PROTO),
        BPF_FUNC_XDP_ADJUST_META => None,
        BPF_FUNC_REDIRECT => proto!(BPF_XDP_REDIRECT_PROTO),
        BPF_FUNC_REDIRECT_MAP => proto!(BPF_XDP_REDIRECT_MAP_PROTO),
        BPF_FUNC_XDP_ADJUST_TAIL => proto!(BPF_XDP_ADJUST_TAIL_PROTO),
        BPF_FUNC_XDP_GET_BUFF_LEN => proto!(BPF_XDP_GET_BUFF_LEN_PROTO),
        BPF_FUNC_XDP_LOAD_BYTES => proto!(BPF_XDP_LOAD_BYTES_PROTO),
        BPF_FUNC_XDP_STORE_BYTES => proto!(BPF_XDP_STORE_BYTES_PROTO),
        BPF_FUNC_FIB_LOOKUP => proto!(BPF_XDP_FIB_LOOKUP_PROTO),
        BPF_FUNC_CHECK_MTU => proto!(BPF_XDP_CHECK_MTU_PROTO),
        BPF_FUNC_SK_LOOKUP_UDP => proto!(BPF_XDP_SK_LOOKUP_UDP_PROTO),
        BPF_FUNC_SK_LOOKUP_TCP => proto!(BPF_XDP_SK_LOOKUP_TCP_PROTO),
        BPF_FUNC_SK_RELEASE => proto!(BPF_SK_RELEASE_PROTO),
        BPF_FUNC_SKC_LOOKUP_TCP => proto!(BPF_XDP_SKC_LOOKUP_TCP_PROTO),
        BPF_FUNC_TCP_CHECK_SYNCOOKIE => proto!(BPF_TCP_CHECK_SYNCOOKIE_PROTO),
        BPF_FUNC_TCP_GEN_SYNCOOKIE => proto!(BPF_TCP_GEN_SYNCOOKIE_PROTO),
        _ => raw_syncookie(id).or_else(|| bpf_sk_base_func_proto(id, prog)),
    }
}

/// flow_dissector_func_proto(): its own skb_load_bytes.
pub(super) fn flow_dissector_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SKB_LOAD_BYTES => proto!(BPF_FLOW_DISSECTOR_LOAD_BYTES_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    }
}

/// lwt_out_func_proto(): read-mostly lightweight-tunnel programs.
pub(super) fn lwt_out_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SKB_LOAD_BYTES => proto!(BPF_SKB_LOAD_BYTES_PROTO),
        BPF_FUNC_SKB_PULL_DATA => proto!(BPF_SKB_PULL_DATA_PROTO),
        BPF_FUNC_CSUM_DIFF => proto!(BPF_CSUM_DIFF_PROTO),
        BPF_FUNC_GET_CGROUP_CLASSID => proto!(BPF_GET_CGROUP_CLASSID_PROTO),
        BPF_FUNC_GET_ROUTE_REALM => proto!(BPF_GET_ROUTE_REALM_PROTO),
        BPF_FUNC_GET_HASH_RECALC => proto!(BPF_GET_HASH_RECALC_PROTO),
        BPF_FUNC_PERF_EVENT_OUTPUT => proto!(BPF_SKB_EVENT_OUTPUT_PROTO),
        BPF_FUNC_GET_SMP_PROCESSOR_ID => proto!(BPF_GET_SMP_PROCESSOR_ID_PROTO),
        BPF_FUNC_SKB_UNDER_CGROUP => proto!(BPF_SKB_UNDER_CGROUP_PROTO),
        _ => bpf_sk_base_func_proto(id, prog),
    }
}

/// lwt_in_func_proto(): lwt_out's, plus encapsulation.
pub(super) fn lwt_in_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_LWT_PUSH_ENCAP => proto!(BPF_LWT_IN_PUSH_ENCAP_PROTO),
        _ => lwt_out_func_proto(id, prog),
    }
}

/// lwt_xmit_func_proto(): lwt_out's, plus writes and redirects.
pub(super) fn lwt_xmit_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SKB_GET_TUNNEL_KEY => proto!(BPF_SKB_GET_TUNNEL_KEY_PROTO),
        BPF_FUNC_SKB_SET_TUNNEL_KEY => proto!(BPF_SKB_SET_TUNNEL_KEY_PROTO),
        BPF_FUNC_SKB_GET_TUNNEL_OPT => proto!(BPF_SKB_GET_TUNNEL_OPT_PROTO),
        BPF_FUNC_SKB_SET_TUNNEL_OPT => proto!(BPF_SKB_SET_TUNNEL_OPT_PROTO),
        BPF_FUNC_REDIRECT => proto!(BPF_REDIRECT_PROTO),
        BPF_FUNC_CLONE_REDIRECT => proto!(BPF_CLONE_REDIRECT_PROTO),
        BPF_FUNC_SKB_CHANGE_TAIL => proto!(BPF_SKB_CHANGE_TAIL_PROTO),
        BPF_FUNC_SKB_CHANGE_HEAD => proto!(BPF_SKB_CHANGE_HEAD_PROTO),
        BPF_FUNC_SKB_STORE_BYTES => proto!(BPF_SKB_STORE_BYTES_PROTO),
        BPF_FUNC_CSUM_UPDATE => proto!(BPF_CSUM_UPDATE_PROTO),
        BPF_FUNC_CSUM_LEVEL => proto!(BPF_CSUM_LEVEL_PROTO),
        BPF_FUNC_L3_CSUM_REPLACE => proto!(BPF_L3_CSUM_REPLACE_PROTO),
        BPF_FUNC_L4_CSUM_REPLACE => proto!(BPF_L4_CSUM_REPLACE_PROTO),
        BPF_FUNC_SET_HASH_INVALID => proto!(BPF_SET_HASH_INVALID_PROTO),
        BPF_FUNC_LWT_PUSH_ENCAP => proto!(BPF_LWT_XMIT_PUSH_ENCAP_PROTO),
        _ => lwt_out_func_proto(id, prog),
    }
}

/// lwt_seg6local_func_proto(): the SRv6 helpers need
/// CONFIG_IPV6_SEG6_BPF. (6.12 refused skb_pull_data here; 6.18, as
/// recorded, offers lwt_out's.)
pub(super) fn lwt_seg6local_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_LWT_SEG6_STORE_BYTES if host::IPV6_SEG6_BPF => proto!(BPF_LWT_SEG6_STORE_BYTES_PROTO),
        BPF_FUNC_LWT_SEG6_ACTION if host::IPV6_SEG6_BPF => proto!(BPF_LWT_SEG6_ACTION_PROTO),
        BPF_FUNC_LWT_SEG6_ADJUST_SRH if host::IPV6_SEG6_BPF => proto!(BPF_LWT_SEG6_ADJUST_SRH_PROTO),
        _ => lwt_out_func_proto(id, prog),
    }
}
