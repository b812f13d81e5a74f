//! Prototypes of net/core/filter.c, third part: socket uid and options, fib and
//! MTU lookups, lwt, socket lookups, syncookies, header options, reuseport,
//! sk_lookup and the skc_to_* casts.

use super::*;
use std::mem::size_of;

pub static BPF_GET_SOCKET_UID_PROTO: Proto = Proto {
    name: "bpf_get_socket_uid_proto",
    func_id: BPF_FUNC_GET_SOCKET_UID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_SK_SETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_sk_setsockopt_proto",
    func_id: BPF_FUNC_SETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SK_GETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_sk_getsockopt_proto",
    func_id: BPF_FUNC_GETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_UNLOCKED_SK_SETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_unlocked_sk_setsockopt_proto",
    func_id: BPF_FUNC_SETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_UNLOCKED_SK_GETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_unlocked_sk_getsockopt_proto",
    func_id: BPF_FUNC_GETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_ADDR_SETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_sock_addr_setsockopt_proto",
    func_id: BPF_FUNC_SETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_ADDR_GETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_sock_addr_getsockopt_proto",
    func_id: BPF_FUNC_GETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_OPS_SETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_sock_ops_setsockopt_proto",
    func_id: BPF_FUNC_SETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_OPS_GETSOCKOPT_PROTO: Proto = Proto {
    name: "bpf_sock_ops_getsockopt_proto",
    func_id: BPF_FUNC_GETSOCKOPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_OPS_CB_FLAGS_SET_PROTO: Proto = Proto {
    name: "bpf_sock_ops_cb_flags_set_proto",
    func_id: BPF_FUNC_SOCK_OPS_CB_FLAGS_SET,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_BIND_PROTO: Proto = Proto {
    name: "bpf_bind_proto",
    func_id: BPF_FUNC_BIND,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_SKB_GET_XFRM_STATE_PROTO: Proto = Proto {
    name: "bpf_skb_get_xfrm_state_proto",
    func_id: BPF_FUNC_SKB_GET_XFRM_STATE,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_XDP_FIB_LOOKUP_PROTO: Proto = Proto {
    name: "bpf_xdp_fib_lookup_proto",
    func_id: BPF_FUNC_FIB_LOOKUP,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_FIB_LOOKUP_PROTO: Proto = Proto {
    name: "bpf_skb_fib_lookup_proto",
    func_id: BPF_FUNC_FIB_LOOKUP,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_CHECK_MTU_PROTO: Proto = Proto {
    name: "bpf_skb_check_mtu_proto",
    func_id: BPF_FUNC_CHECK_MTU,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_WRITE).with(MEM_ALIGNED),
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    arg_size: [0, 0, size_of::<u32>(), 0, 0],
    ..Proto::EMPTY
};

pub static BPF_XDP_CHECK_MTU_PROTO: Proto = Proto {
    name: "bpf_xdp_check_mtu_proto",
    func_id: BPF_FUNC_CHECK_MTU,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_FIXED_SIZE_MEM.with(MEM_WRITE).with(MEM_ALIGNED),
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    arg_size: [0, 0, size_of::<u32>(), 0, 0],
    ..Proto::EMPTY
};

pub static BPF_LWT_IN_PUSH_ENCAP_PROTO: Proto = Proto {
    name: "bpf_lwt_in_push_encap_proto",
    func_id: BPF_FUNC_LWT_PUSH_ENCAP,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_LWT_XMIT_PUSH_ENCAP_PROTO: Proto = Proto {
    name: "bpf_lwt_xmit_push_encap_proto",
    func_id: BPF_FUNC_LWT_PUSH_ENCAP,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_LWT_SEG6_STORE_BYTES_PROTO: Proto = Proto {
    name: "bpf_lwt_seg6_store_bytes_proto",
    func_id: BPF_FUNC_LWT_SEG6_STORE_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_LWT_SEG6_ACTION_PROTO: Proto = Proto {
    name: "bpf_lwt_seg6_action_proto",
    func_id: BPF_FUNC_LWT_SEG6_ACTION,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_LWT_SEG6_ADJUST_SRH_PROTO: Proto = Proto {
    name: "bpf_lwt_seg6_adjust_srh_proto",
    func_id: BPF_FUNC_LWT_SEG6_ADJUST_SRH,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKC_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_skc_lookup_tcp_proto",
    func_id: BPF_FUNC_SKC_LOOKUP_TCP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCK_COMMON_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SK_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_sk_lookup_tcp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_TCP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SK_LOOKUP_UDP_PROTO: Proto = Proto {
    name: "bpf_sk_lookup_udp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_UDP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_TC_SKC_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_tc_skc_lookup_tcp_proto",
    func_id: BPF_FUNC_SKC_LOOKUP_TCP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCK_COMMON_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_TC_SK_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_tc_sk_lookup_tcp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_TCP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_TC_SK_LOOKUP_UDP_PROTO: Proto = Proto {
    name: "bpf_tc_sk_lookup_udp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_UDP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SK_RELEASE_PROTO: Proto = Proto {
    name: "bpf_sk_release_proto",
    func_id: BPF_FUNC_SK_RELEASE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(OBJ_RELEASE)],
    ..Proto::EMPTY
};

pub static BPF_XDP_SK_LOOKUP_UDP_PROTO: Proto = Proto {
    name: "bpf_xdp_sk_lookup_udp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_UDP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_XDP_SKC_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_xdp_skc_lookup_tcp_proto",
    func_id: BPF_FUNC_SKC_LOOKUP_TCP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCK_COMMON_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_XDP_SK_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_xdp_sk_lookup_tcp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_TCP,
    pkt_access: true,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_ADDR_SKC_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_sock_addr_skc_lookup_tcp_proto",
    func_id: BPF_FUNC_SKC_LOOKUP_TCP,
    ret_type: RET_PTR_TO_SOCK_COMMON_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_ADDR_SK_LOOKUP_TCP_PROTO: Proto = Proto {
    name: "bpf_sock_addr_sk_lookup_tcp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_TCP,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_ADDR_SK_LOOKUP_UDP_PROTO: Proto = Proto {
    name: "bpf_sock_addr_sk_lookup_udp_proto",
    func_id: BPF_FUNC_SK_LOOKUP_UDP,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_TCP_SOCK_PROTO: Proto = Proto {
    name: "bpf_tcp_sock_proto",
    func_id: BPF_FUNC_TCP_SOCK,
    ret_type: RET_PTR_TO_TCP_SOCK_OR_NULL,
    arg_type: args![ARG_PTR_TO_SOCK_COMMON],
    ..Proto::EMPTY
};

pub static BPF_GET_LISTENER_SOCK_PROTO: Proto = Proto {
    name: "bpf_get_listener_sock_proto",
    func_id: BPF_FUNC_GET_LISTENER_SOCK,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![ARG_PTR_TO_SOCK_COMMON],
    ..Proto::EMPTY
};

pub static BPF_SKB_ECN_SET_CE_PROTO: Proto = Proto {
    name: "bpf_skb_ecn_set_ce_proto",
    func_id: BPF_FUNC_SKB_ECN_SET_CE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_TCP_CHECK_SYNCOOKIE_PROTO: Proto = Proto {
    name: "bpf_tcp_check_syncookie_proto",
    func_id: BPF_FUNC_TCP_CHECK_SYNCOOKIE,
    gpl_only: true,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_TCP_GEN_SYNCOOKIE_PROTO: Proto = Proto {
    name: "bpf_tcp_gen_syncookie_proto",
    func_id: BPF_FUNC_TCP_GEN_SYNCOOKIE,
    gpl_only: true,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_SK_ASSIGN_PROTO: Proto = Proto {
    name: "bpf_sk_assign_proto",
    func_id: BPF_FUNC_SK_ASSIGN,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SOCK_OPS_LOAD_HDR_OPT_PROTO: Proto = Proto {
    name: "bpf_sock_ops_load_hdr_opt_proto",
    func_id: BPF_FUNC_LOAD_HDR_OPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_WRITE),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_OPS_STORE_HDR_OPT_PROTO: Proto = Proto {
    name: "bpf_sock_ops_store_hdr_opt_proto",
    func_id: BPF_FUNC_STORE_HDR_OPT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SOCK_OPS_RESERVE_HDR_OPT_PROTO: Proto = Proto {
    name: "bpf_sock_ops_reserve_hdr_opt_proto",
    func_id: BPF_FUNC_RESERVE_HDR_OPT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_SET_TSTAMP_PROTO: Proto = Proto {
    name: "bpf_skb_set_tstamp_proto",
    func_id: BPF_FUNC_SKB_SET_TSTAMP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_TCP_RAW_GEN_SYNCOOKIE_IPV4_PROTO: Proto = Proto {
    name: "bpf_tcp_raw_gen_syncookie_ipv4_proto",
    func_id: BPF_FUNC_TCP_RAW_GEN_SYNCOOKIE_IPV4,
    gpl_only: true,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO],
    arg_size: [20, 0, 0, 0, 0], // sizeof(struct iphdr)
    ..Proto::EMPTY
};

pub static BPF_TCP_RAW_GEN_SYNCOOKIE_IPV6_PROTO: Proto = Proto {
    name: "bpf_tcp_raw_gen_syncookie_ipv6_proto",
    func_id: BPF_FUNC_TCP_RAW_GEN_SYNCOOKIE_IPV6,
    gpl_only: true,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO],
    arg_size: [40, 0, 0, 0, 0], // sizeof(struct ipv6hdr)
    ..Proto::EMPTY
};

pub static BPF_TCP_RAW_CHECK_SYNCOOKIE_IPV4_PROTO: Proto = Proto {
    name: "bpf_tcp_raw_check_syncookie_ipv4_proto",
    func_id: BPF_FUNC_TCP_RAW_CHECK_SYNCOOKIE_IPV4,
    gpl_only: true,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_FIXED_SIZE_MEM],
    arg_size: [20, 20, 0, 0, 0], // sizeof(struct iphdr), sizeof(struct tcphdr)
    ..Proto::EMPTY
};

pub static BPF_TCP_RAW_CHECK_SYNCOOKIE_IPV6_PROTO: Proto = Proto {
    name: "bpf_tcp_raw_check_syncookie_ipv6_proto",
    func_id: BPF_FUNC_TCP_RAW_CHECK_SYNCOOKIE_IPV6,
    gpl_only: true,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_FIXED_SIZE_MEM, ARG_PTR_TO_FIXED_SIZE_MEM],
    arg_size: [40, 20, 0, 0, 0], // sizeof(struct ipv6hdr), sizeof(struct tcphdr)
    ..Proto::EMPTY
};

pub static SK_SELECT_REUSEPORT_PROTO: Proto = Proto {
    name: "sk_select_reuseport_proto",
    func_id: BPF_FUNC_SK_SELECT_REUSEPORT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static SK_REUSEPORT_LOAD_BYTES_PROTO: Proto = Proto {
    name: "sk_reuseport_load_bytes_proto",
    func_id: BPF_FUNC_SKB_LOAD_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static SK_REUSEPORT_LOAD_BYTES_RELATIVE_PROTO: Proto = Proto {
    name: "sk_reuseport_load_bytes_relative_proto",
    func_id: BPF_FUNC_SKB_LOAD_BYTES_RELATIVE,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SK_LOOKUP_ASSIGN_PROTO: Proto = Proto {
    name: "bpf_sk_lookup_assign_proto",
    func_id: BPF_FUNC_SK_ASSIGN,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_SOCKET_OR_NULL, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_TCP6_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_tcp6_sock_proto",
    func_id: BPF_FUNC_SKC_TO_TCP6_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("tcp6_sock")),
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_TCP_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_tcp_sock_proto",
    func_id: BPF_FUNC_SKC_TO_TCP_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("tcp_sock")),
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_TCP_TIMEWAIT_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_tcp_timewait_sock_proto",
    func_id: BPF_FUNC_SKC_TO_TCP_TIMEWAIT_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("tcp_timewait_sock")),
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_TCP_REQUEST_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_tcp_request_sock_proto",
    func_id: BPF_FUNC_SKC_TO_TCP_REQUEST_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("tcp_request_sock")),
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_UDP6_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_udp6_sock_proto",
    func_id: BPF_FUNC_SKC_TO_UDP6_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("udp6_sock")),
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_UNIX_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_unix_sock_proto",
    func_id: BPF_FUNC_SKC_TO_UNIX_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("unix_sock")),
    ..Proto::EMPTY
};

pub static BPF_SKC_TO_MPTCP_SOCK_PROTO: Proto = Proto {
    name: "bpf_skc_to_mptcp_sock_proto",
    func_id: BPF_FUNC_SKC_TO_MPTCP_SOCK,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_SOCK_COMMON],
    ret_btf_id: Some(BtfId::Struct("mptcp_sock")),
    ..Proto::EMPTY
};

pub static BPF_SOCK_FROM_FILE_PROTO: Proto = Proto {
    name: "bpf_sock_from_file_proto",
    func_id: BPF_FUNC_SOCK_FROM_FILE,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_PTR_TO_BTF_ID],
    arg_btf_id: [Some(BtfId::Struct("file")), None, None, None, None],
    ret_btf_id: Some(BtfId::Struct("socket")),
    ..Proto::EMPTY
};
