//! Prototypes of net/core/filter.c, first part: skb data, checksums, redirects,
//! sk_msg, classids, hashes, vlan, protocol and size changes.

use super::*;

pub static BPF_SKB_STORE_BYTES_PROTO: Proto = Proto {
    name: "bpf_skb_store_bytes_proto",
    func_id: BPF_FUNC_SKB_STORE_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_SKB_LOAD_BYTES_PROTO: Proto = Proto {
    name: "bpf_skb_load_bytes_proto",
    func_id: BPF_FUNC_SKB_LOAD_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_FLOW_DISSECTOR_LOAD_BYTES_PROTO: Proto = Proto {
    name: "bpf_flow_dissector_load_bytes_proto",
    func_id: BPF_FUNC_SKB_LOAD_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_SKB_LOAD_BYTES_RELATIVE_PROTO: Proto = Proto {
    name: "bpf_skb_load_bytes_relative_proto",
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

pub static BPF_SKB_PULL_DATA_PROTO: Proto = Proto {
    name: "bpf_skb_pull_data_proto",
    func_id: BPF_FUNC_SKB_PULL_DATA,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SK_FULLSOCK_PROTO: Proto = Proto {
    name: "bpf_sk_fullsock_proto",
    func_id: BPF_FUNC_SK_FULLSOCK,
    ret_type: RET_PTR_TO_SOCKET_OR_NULL,
    arg_type: args![ARG_PTR_TO_SOCK_COMMON],
    ..Proto::EMPTY
};

pub static SK_SKB_PULL_DATA_PROTO: Proto = Proto {
    name: "sk_skb_pull_data_proto",
    func_id: BPF_FUNC_SKB_PULL_DATA,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_L3_CSUM_REPLACE_PROTO: Proto = Proto {
    name: "bpf_l3_csum_replace_proto",
    func_id: BPF_FUNC_L3_CSUM_REPLACE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_L4_CSUM_REPLACE_PROTO: Proto = Proto {
    name: "bpf_l4_csum_replace_proto",
    func_id: BPF_FUNC_L4_CSUM_REPLACE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_CSUM_DIFF_PROTO: Proto = Proto {
    name: "bpf_csum_diff_proto",
    func_id: BPF_FUNC_CSUM_DIFF,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_CSUM_UPDATE_PROTO: Proto = Proto {
    name: "bpf_csum_update_proto",
    func_id: BPF_FUNC_CSUM_UPDATE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_CSUM_LEVEL_PROTO: Proto = Proto {
    name: "bpf_csum_level_proto",
    func_id: BPF_FUNC_CSUM_LEVEL,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_CLONE_REDIRECT_PROTO: Proto = Proto {
    name: "bpf_clone_redirect_proto",
    func_id: BPF_FUNC_CLONE_REDIRECT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_REDIRECT_PROTO: Proto = Proto {
    name: "bpf_redirect_proto",
    func_id: BPF_FUNC_REDIRECT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_REDIRECT_PEER_PROTO: Proto = Proto {
    name: "bpf_redirect_peer_proto",
    func_id: BPF_FUNC_REDIRECT_PEER,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_REDIRECT_NEIGH_PROTO: Proto = Proto {
    name: "bpf_redirect_neigh_proto",
    func_id: BPF_FUNC_REDIRECT_NEIGH,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_MSG_APPLY_BYTES_PROTO: Proto = Proto {
    name: "bpf_msg_apply_bytes_proto",
    func_id: BPF_FUNC_MSG_APPLY_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_MSG_CORK_BYTES_PROTO: Proto = Proto {
    name: "bpf_msg_cork_bytes_proto",
    func_id: BPF_FUNC_MSG_CORK_BYTES,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_MSG_PULL_DATA_PROTO: Proto = Proto {
    name: "bpf_msg_pull_data_proto",
    func_id: BPF_FUNC_MSG_PULL_DATA,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_MSG_PUSH_DATA_PROTO: Proto = Proto {
    name: "bpf_msg_push_data_proto",
    func_id: BPF_FUNC_MSG_PUSH_DATA,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_MSG_POP_DATA_PROTO: Proto = Proto {
    name: "bpf_msg_pop_data_proto",
    func_id: BPF_FUNC_MSG_POP_DATA,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_GET_CGROUP_CLASSID_CURR_PROTO: Proto = Proto {
    name: "bpf_get_cgroup_classid_curr_proto",
    func_id: BPF_FUNC_GET_CGROUP_CLASSID,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_SKB_CGROUP_CLASSID_PROTO: Proto = Proto {
    name: "bpf_skb_cgroup_classid_proto",
    func_id: BPF_FUNC_SKB_CGROUP_CLASSID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_CGROUP_CLASSID_PROTO: Proto = Proto {
    name: "bpf_get_cgroup_classid_proto",
    func_id: BPF_FUNC_GET_CGROUP_CLASSID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_ROUTE_REALM_PROTO: Proto = Proto {
    name: "bpf_get_route_realm_proto",
    func_id: BPF_FUNC_GET_ROUTE_REALM,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_HASH_RECALC_PROTO: Proto = Proto {
    name: "bpf_get_hash_recalc_proto",
    func_id: BPF_FUNC_GET_HASH_RECALC,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_SET_HASH_INVALID_PROTO: Proto = Proto {
    name: "bpf_set_hash_invalid_proto",
    func_id: BPF_FUNC_SET_HASH_INVALID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_SET_HASH_PROTO: Proto = Proto {
    name: "bpf_set_hash_proto",
    func_id: BPF_FUNC_SET_HASH,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_VLAN_PUSH_PROTO: Proto = Proto {
    name: "bpf_skb_vlan_push_proto",
    func_id: BPF_FUNC_SKB_VLAN_PUSH,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_VLAN_POP_PROTO: Proto = Proto {
    name: "bpf_skb_vlan_pop_proto",
    func_id: BPF_FUNC_SKB_VLAN_POP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_SKB_CHANGE_PROTO_PROTO: Proto = Proto {
    name: "bpf_skb_change_proto_proto",
    func_id: BPF_FUNC_SKB_CHANGE_PROTO,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_CHANGE_TYPE_PROTO: Proto = Proto {
    name: "bpf_skb_change_type_proto",
    func_id: BPF_FUNC_SKB_CHANGE_TYPE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static SK_SKB_ADJUST_ROOM_PROTO: Proto = Proto {
    name: "sk_skb_adjust_room_proto",
    func_id: BPF_FUNC_SKB_ADJUST_ROOM,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_ADJUST_ROOM_PROTO: Proto = Proto {
    name: "bpf_skb_adjust_room_proto",
    func_id: BPF_FUNC_SKB_ADJUST_ROOM,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_CHANGE_TAIL_PROTO: Proto = Proto {
    name: "bpf_skb_change_tail_proto",
    func_id: BPF_FUNC_SKB_CHANGE_TAIL,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static SK_SKB_CHANGE_TAIL_PROTO: Proto = Proto {
    name: "sk_skb_change_tail_proto",
    func_id: BPF_FUNC_SKB_CHANGE_TAIL,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SKB_CHANGE_HEAD_PROTO: Proto = Proto {
    name: "bpf_skb_change_head_proto",
    func_id: BPF_FUNC_SKB_CHANGE_HEAD,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static SK_SKB_CHANGE_HEAD_PROTO: Proto = Proto {
    name: "sk_skb_change_head_proto",
    func_id: BPF_FUNC_SKB_CHANGE_HEAD,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};
