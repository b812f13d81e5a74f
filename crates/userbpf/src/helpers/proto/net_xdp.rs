//! Prototypes of net/core/filter.c, second part: xdp, perf event output, tunnels,
//! cgroup ids, socket and netns cookies.

use super::*;

pub static BPF_XDP_GET_BUFF_LEN_PROTO: Proto = Proto {
    name: "bpf_xdp_get_buff_len_proto",
    func_id: BPF_FUNC_XDP_GET_BUFF_LEN,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_XDP_GET_BUFF_LEN_TRACE_PROTO: Proto = Proto {
    name: "bpf_xdp_get_buff_len_trace_proto",
    func_id: BPF_FUNC_XDP_GET_BUFF_LEN,
    ret_type: RET_INTEGER, // unset in the kernel: 0 is RET_INTEGER
    arg_type: args![ARG_PTR_TO_BTF_ID],
    arg_btf_id: [Some(BtfId::Struct("xdp_buff")), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_XDP_ADJUST_HEAD_PROTO: Proto = Proto {
    name: "bpf_xdp_adjust_head_proto",
    func_id: BPF_FUNC_XDP_ADJUST_HEAD,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_XDP_LOAD_BYTES_PROTO: Proto = Proto {
    name: "bpf_xdp_load_bytes_proto",
    func_id: BPF_FUNC_XDP_LOAD_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_XDP_STORE_BYTES_PROTO: Proto = Proto {
    name: "bpf_xdp_store_bytes_proto",
    func_id: BPF_FUNC_XDP_STORE_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE
    ],
    ..Proto::EMPTY
};

pub static BPF_XDP_ADJUST_TAIL_PROTO: Proto = Proto {
    name: "bpf_xdp_adjust_tail_proto",
    func_id: BPF_FUNC_XDP_ADJUST_TAIL,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_XDP_ADJUST_META_PROTO: Proto = Proto {
    name: "bpf_xdp_adjust_meta_proto",
    func_id: BPF_FUNC_XDP_ADJUST_META,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_XDP_REDIRECT_PROTO: Proto = Proto {
    name: "bpf_xdp_redirect_proto",
    func_id: BPF_FUNC_REDIRECT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_XDP_REDIRECT_MAP_PROTO: Proto = Proto {
    name: "bpf_xdp_redirect_map_proto",
    func_id: BPF_FUNC_REDIRECT_MAP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_EVENT_OUTPUT_PROTO: Proto = Proto {
    name: "bpf_skb_event_output_proto",
    func_id: BPF_FUNC_PERF_EVENT_OUTPUT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_CONST_MAP_PTR,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    ..Proto::EMPTY
};

pub static BPF_SKB_OUTPUT_PROTO: Proto = Proto {
    name: "bpf_skb_output_proto",
    func_id: BPF_FUNC_SKB_OUTPUT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_CONST_MAP_PTR,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    arg_btf_id: [Some(BtfId::Struct("sk_buff")), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_SKB_GET_TUNNEL_KEY_PROTO: Proto = Proto {
    name: "bpf_skb_get_tunnel_key_proto",
    func_id: BPF_FUNC_SKB_GET_TUNNEL_KEY,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_GET_TUNNEL_OPT_PROTO: Proto = Proto {
    name: "bpf_skb_get_tunnel_opt_proto",
    func_id: BPF_FUNC_SKB_GET_TUNNEL_OPT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_SKB_SET_TUNNEL_KEY_PROTO: Proto = Proto {
    name: "bpf_skb_set_tunnel_key_proto",
    func_id: BPF_FUNC_SKB_SET_TUNNEL_KEY,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SKB_SET_TUNNEL_OPT_PROTO: Proto = Proto {
    name: "bpf_skb_set_tunnel_opt_proto",
    func_id: BPF_FUNC_SKB_SET_TUNNEL_OPT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_SKB_UNDER_CGROUP_PROTO: Proto = Proto {
    name: "bpf_skb_under_cgroup_proto",
    func_id: BPF_FUNC_SKB_UNDER_CGROUP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_CGROUP_ID_PROTO: Proto = Proto {
    name: "bpf_skb_cgroup_id_proto",
    func_id: BPF_FUNC_SKB_CGROUP_ID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_SKB_ANCESTOR_CGROUP_ID_PROTO: Proto = Proto {
    name: "bpf_skb_ancestor_cgroup_id_proto",
    func_id: BPF_FUNC_SKB_ANCESTOR_CGROUP_ID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SK_CGROUP_ID_PROTO: Proto = Proto {
    name: "bpf_sk_cgroup_id_proto",
    func_id: BPF_FUNC_SK_CGROUP_ID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ..Proto::EMPTY
};

pub static BPF_SK_ANCESTOR_CGROUP_ID_PROTO: Proto = Proto {
    name: "bpf_sk_ancestor_cgroup_id_proto",
    func_id: BPF_FUNC_SK_ANCESTOR_CGROUP_ID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_XDP_EVENT_OUTPUT_PROTO: Proto = Proto {
    name: "bpf_xdp_event_output_proto",
    func_id: BPF_FUNC_PERF_EVENT_OUTPUT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_CONST_MAP_PTR,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    ..Proto::EMPTY
};

pub static BPF_XDP_OUTPUT_PROTO: Proto = Proto {
    name: "bpf_xdp_output_proto",
    func_id: BPF_FUNC_XDP_OUTPUT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_CONST_MAP_PTR,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    arg_btf_id: [Some(BtfId::Struct("xdp_buff")), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_GET_SOCKET_COOKIE_PROTO: Proto = Proto {
    name: "bpf_get_socket_cookie_proto",
    func_id: BPF_FUNC_GET_SOCKET_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_SOCKET_COOKIE_SOCK_ADDR_PROTO: Proto = Proto {
    name: "bpf_get_socket_cookie_sock_addr_proto",
    func_id: BPF_FUNC_GET_SOCKET_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_SOCKET_COOKIE_SOCK_PROTO: Proto = Proto {
    name: "bpf_get_socket_cookie_sock_proto",
    func_id: BPF_FUNC_GET_SOCKET_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_SOCKET_PTR_COOKIE_PROTO: Proto = Proto {
    name: "bpf_get_socket_ptr_cookie_proto",
    func_id: BPF_FUNC_GET_SOCKET_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID_SOCK_COMMON.with(PTR_MAYBE_NULL)],
    ..Proto::EMPTY
};

pub static BPF_GET_SOCKET_COOKIE_SOCK_OPS_PROTO: Proto = Proto {
    name: "bpf_get_socket_cookie_sock_ops_proto",
    func_id: BPF_FUNC_GET_SOCKET_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_NETNS_COOKIE_SOCK_PROTO: Proto = Proto {
    name: "bpf_get_netns_cookie_sock_proto",
    func_id: BPF_FUNC_GET_NETNS_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX_OR_NULL],
    ..Proto::EMPTY
};

pub static BPF_GET_NETNS_COOKIE_SOCK_ADDR_PROTO: Proto = Proto {
    name: "bpf_get_netns_cookie_sock_addr_proto",
    func_id: BPF_FUNC_GET_NETNS_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX_OR_NULL],
    ..Proto::EMPTY
};

pub static BPF_GET_NETNS_COOKIE_SOCK_OPS_PROTO: Proto = Proto {
    name: "bpf_get_netns_cookie_sock_ops_proto",
    func_id: BPF_FUNC_GET_NETNS_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX_OR_NULL],
    ..Proto::EMPTY
};

pub static BPF_GET_NETNS_COOKIE_SK_MSG_PROTO: Proto = Proto {
    name: "bpf_get_netns_cookie_sk_msg_proto",
    func_id: BPF_FUNC_GET_NETNS_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX_OR_NULL],
    ..Proto::EMPTY
};
