//! Prototypes of net/core/sock_map.c, net/core/bpf_sk_storage.c and
//! net/ipv4/bpf_tcp_ca.c.

use super::*;

/// `bpf_sock_map_update_proto` (net/core/sock_map.c)
pub static BPF_SOCK_MAP_UPDATE_PROTO: Proto = Proto {
    name: "bpf_sock_map_update_proto",
    func_id: BPF_FUNC_SOCK_MAP_UPDATE,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_sk_redirect_map_proto` (net/core/sock_map.c)
pub static BPF_SK_REDIRECT_MAP_PROTO: Proto = Proto {
    name: "bpf_sk_redirect_map_proto",
    func_id: BPF_FUNC_SK_REDIRECT_MAP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_msg_redirect_map_proto` (net/core/sock_map.c)
pub static BPF_MSG_REDIRECT_MAP_PROTO: Proto = Proto {
    name: "bpf_msg_redirect_map_proto",
    func_id: BPF_FUNC_MSG_REDIRECT_MAP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_sock_hash_update_proto` (net/core/sock_map.c)
pub static BPF_SOCK_HASH_UPDATE_PROTO: Proto = Proto {
    name: "bpf_sock_hash_update_proto",
    func_id: BPF_FUNC_SOCK_HASH_UPDATE,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_sk_redirect_hash_proto` (net/core/sock_map.c)
pub static BPF_SK_REDIRECT_HASH_PROTO: Proto = Proto {
    name: "bpf_sk_redirect_hash_proto",
    func_id: BPF_FUNC_SK_REDIRECT_HASH,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_msg_redirect_hash_proto` (net/core/sock_map.c)
pub static BPF_MSG_REDIRECT_HASH_PROTO: Proto = Proto {
    name: "bpf_msg_redirect_hash_proto",
    func_id: BPF_FUNC_MSG_REDIRECT_HASH,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_sk_storage_get_proto` (net/core/bpf_sk_storage.c)
pub static BPF_SK_STORAGE_GET_PROTO: Proto = Proto {
    name: "bpf_sk_storage_get_proto",
    func_id: BPF_FUNC_SK_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_sk_storage_get_cg_sock_proto` (net/core/bpf_sk_storage.c)
pub static BPF_SK_STORAGE_GET_CG_SOCK_PROTO: Proto = Proto {
    name: "bpf_sk_storage_get_cg_sock_proto",
    func_id: BPF_FUNC_SK_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_sk_storage_delete_proto` (net/core/bpf_sk_storage.c)
pub static BPF_SK_STORAGE_DELETE_PROTO: Proto = Proto {
    name: "bpf_sk_storage_delete_proto",
    func_id: BPF_FUNC_SK_STORAGE_DELETE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_SOCK_COMMON],
    ..Proto::EMPTY
};

/// `bpf_sk_storage_get_tracing_proto` (net/core/bpf_sk_storage.c)
pub static BPF_SK_STORAGE_GET_TRACING_PROTO: Proto = Proto {
    name: "bpf_sk_storage_get_tracing_proto",
    func_id: BPF_FUNC_SK_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_BTF_ID_OR_NULL,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    arg_btf_id: [None, Some(BtfId::Struct("sock_common")), None, None, None],
    allowed: Some("bpf_sk_storage_tracing_allowed"),
    ..Proto::EMPTY
};

/// `bpf_sk_storage_delete_tracing_proto` (net/core/bpf_sk_storage.c)
pub static BPF_SK_STORAGE_DELETE_TRACING_PROTO: Proto = Proto {
    name: "bpf_sk_storage_delete_tracing_proto",
    func_id: BPF_FUNC_SK_STORAGE_DELETE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL],
    arg_btf_id: [None, Some(BtfId::Struct("sock_common")), None, None, None],
    allowed: Some("bpf_sk_storage_tracing_allowed"),
    ..Proto::EMPTY
};

/// `bpf_tcp_send_ack_proto` (net/ipv4/bpf_tcp_ca.c)
pub static BPF_TCP_SEND_ACK_PROTO: Proto = Proto {
    name: "bpf_tcp_send_ack_proto",
    func_id: BPF_FUNC_TCP_SEND_ACK,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID, ARG_ANYTHING],
    arg_btf_id: [Some(BtfId::Struct("tcp_sock")), None, None, None, None],
    ..Proto::EMPTY
};
