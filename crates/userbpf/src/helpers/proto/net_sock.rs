//! Prototypes of net/core/filter.c, third part: socket uid and options, fib and
//! MTU lookups, lwt. The socket lookups and what follows are net_lookup.rs.

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
    // MEM_WRITE on the host's Linux 6.18 (tests/fixtures/helpers/mem_write.txt); 6.12's row has plain ARG_PTR_TO_MEM.
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_WRITE),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SKB_FIB_LOOKUP_PROTO: Proto = Proto {
    name: "bpf_skb_fib_lookup_proto",
    func_id: BPF_FUNC_FIB_LOOKUP,
    gpl_only: true,
    ret_type: RET_INTEGER,
    // MEM_WRITE on the host's Linux 6.18 (tests/fixtures/helpers/mem_write.txt); 6.12's row has plain ARG_PTR_TO_MEM.
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_WRITE),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
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
