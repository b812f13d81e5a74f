//! Prototypes of the other kernel/bpf/*.c files: ring buffers (ringbuf.c), stack
//! traces (stackmap.c), cgroup programs (cgroup.c), local storage (bpf_task_storage.c,
//! bpf_inode_storage.c, bpf_cgrp_storage.c), LSM (bpf_lsm.c), syscall programs
//! (syscall.c), iterators (bpf_iter.c, task_iter.c), BTF (btf.c) and core.c.

use super::*;
use std::mem::size_of;

/// `bpf_inode_storage_get_proto` (kernel/bpf/bpf_inode_storage.c)
pub static BPF_INODE_STORAGE_GET_PROTO: Proto = Proto {
    name: "bpf_inode_storage_get_proto",
    func_id: BPF_FUNC_INODE_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_BTF_ID_OR_NULL,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    arg_btf_id: [None, Some(BtfId::Struct("inode")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_inode_storage_delete_proto` (kernel/bpf/bpf_inode_storage.c)
pub static BPF_INODE_STORAGE_DELETE_PROTO: Proto = Proto {
    name: "bpf_inode_storage_delete_proto",
    func_id: BPF_FUNC_INODE_STORAGE_DELETE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL],
    arg_btf_id: [None, Some(BtfId::Struct("inode")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_for_each_map_elem_proto` (kernel/bpf/bpf_iter.c)
pub static BPF_FOR_EACH_MAP_ELEM_PROTO: Proto = Proto {
    name: "bpf_for_each_map_elem_proto",
    func_id: BPF_FUNC_FOR_EACH_MAP_ELEM,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_FUNC,
        ARG_PTR_TO_STACK_OR_NULL,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_loop_proto` (kernel/bpf/bpf_iter.c)
pub static BPF_LOOP_PROTO: Proto = Proto {
    name: "bpf_loop_proto",
    func_id: BPF_FUNC_LOOP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_SCALAR, ARG_PTR_TO_FUNC, ARG_PTR_TO_STACK_OR_NULL, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_get_stackid_proto` (kernel/bpf/stackmap.c)
pub static BPF_GET_STACKID_PROTO: Proto = Proto {
    name: "bpf_get_stackid_proto",
    func_id: BPF_FUNC_GET_STACKID,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_get_stackid_proto_pe` (kernel/bpf/stackmap.c)
pub static BPF_GET_STACKID_PROTO_PE: Proto = Proto {
    name: "bpf_get_stackid_proto_pe",
    func_id: BPF_FUNC_GET_STACKID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_get_stack_proto` (kernel/bpf/stackmap.c)
pub static BPF_GET_STACK_PROTO: Proto = Proto {
    name: "bpf_get_stack_proto",
    func_id: BPF_FUNC_GET_STACK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_get_stack_sleepable_proto` (kernel/bpf/stackmap.c)
pub static BPF_GET_STACK_SLEEPABLE_PROTO: Proto = Proto {
    name: "bpf_get_stack_sleepable_proto",
    func_id: BPF_FUNC_GET_STACK,
    gpl_only: true,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_get_task_stack_proto` (kernel/bpf/stackmap.c)
pub static BPF_GET_TASK_STACK_PROTO: Proto = Proto {
    name: "bpf_get_task_stack_proto",
    func_id: BPF_FUNC_GET_TASK_STACK,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    arg_btf_id: [Some(BtfId::Struct("task_struct")), None, None, None, None],
    ..Proto::EMPTY
};

/// `bpf_get_task_stack_sleepable_proto` (kernel/bpf/stackmap.c)
pub static BPF_GET_TASK_STACK_SLEEPABLE_PROTO: Proto = Proto {
    name: "bpf_get_task_stack_sleepable_proto",
    func_id: BPF_FUNC_GET_TASK_STACK,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    arg_btf_id: [Some(BtfId::Struct("task_struct")), None, None, None, None],
    ..Proto::EMPTY
};

/// `bpf_get_stack_proto_pe` (kernel/bpf/stackmap.c)
pub static BPF_GET_STACK_PROTO_PE: Proto = Proto {
    name: "bpf_get_stack_proto_pe",
    func_id: BPF_FUNC_GET_STACK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_cgrp_storage_get_proto` (kernel/bpf/bpf_cgrp_storage.c)
pub static BPF_CGRP_STORAGE_GET_PROTO: Proto = Proto {
    name: "bpf_cgrp_storage_get_proto",
    func_id: BPF_FUNC_CGRP_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_BTF_ID_OR_NULL,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    arg_btf_id: [None, Some(BtfId::Struct("cgroup")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_cgrp_storage_delete_proto` (kernel/bpf/bpf_cgrp_storage.c)
pub static BPF_CGRP_STORAGE_DELETE_PROTO: Proto = Proto {
    name: "bpf_cgrp_storage_delete_proto",
    func_id: BPF_FUNC_CGRP_STORAGE_DELETE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL],
    arg_btf_id: [None, Some(BtfId::Struct("cgroup")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_reserve_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_RESERVE_PROTO: Proto = Proto {
    name: "bpf_ringbuf_reserve_proto",
    func_id: BPF_FUNC_RINGBUF_RESERVE,
    ret_type: RET_PTR_TO_RINGBUF_MEM_OR_NULL,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_CONST_ALLOC_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_submit_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_SUBMIT_PROTO: Proto = Proto {
    name: "bpf_ringbuf_submit_proto",
    func_id: BPF_FUNC_RINGBUF_SUBMIT,
    ret_type: RET_VOID,
    arg_type: args![ARG_PTR_TO_RINGBUF_MEM.with(OBJ_RELEASE), ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_discard_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_DISCARD_PROTO: Proto = Proto {
    name: "bpf_ringbuf_discard_proto",
    func_id: BPF_FUNC_RINGBUF_DISCARD,
    ret_type: RET_VOID,
    arg_type: args![ARG_PTR_TO_RINGBUF_MEM.with(OBJ_RELEASE), ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_output_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_OUTPUT_PROTO: Proto = Proto {
    name: "bpf_ringbuf_output_proto",
    func_id: BPF_FUNC_RINGBUF_OUTPUT,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_query_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_QUERY_PROTO: Proto = Proto {
    name: "bpf_ringbuf_query_proto",
    func_id: BPF_FUNC_RINGBUF_QUERY,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_reserve_dynptr_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_RESERVE_DYNPTR_PROTO: Proto = Proto {
    name: "bpf_ringbuf_reserve_dynptr_proto",
    func_id: BPF_FUNC_RINGBUF_RESERVE_DYNPTR,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_ANYTHING,
        ARG_ANYTHING,
        ARG_PTR_TO_DYNPTR
            .with(DYNPTR_TYPE_RINGBUF)
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
    ],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_submit_dynptr_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_SUBMIT_DYNPTR_PROTO: Proto = Proto {
    name: "bpf_ringbuf_submit_dynptr_proto",
    func_id: BPF_FUNC_RINGBUF_SUBMIT_DYNPTR,
    ret_type: RET_VOID,
    arg_type: args![
        ARG_PTR_TO_DYNPTR.with(DYNPTR_TYPE_RINGBUF).with(OBJ_RELEASE),
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_ringbuf_discard_dynptr_proto` (kernel/bpf/ringbuf.c)
pub static BPF_RINGBUF_DISCARD_DYNPTR_PROTO: Proto = Proto {
    name: "bpf_ringbuf_discard_dynptr_proto",
    func_id: BPF_FUNC_RINGBUF_DISCARD_DYNPTR,
    ret_type: RET_VOID,
    arg_type: args![
        ARG_PTR_TO_DYNPTR.with(DYNPTR_TYPE_RINGBUF).with(OBJ_RELEASE),
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_user_ringbuf_drain_proto` (kernel/bpf/ringbuf.c)
pub static BPF_USER_RINGBUF_DRAIN_PROTO: Proto = Proto {
    name: "bpf_user_ringbuf_drain_proto",
    func_id: BPF_FUNC_USER_RINGBUF_DRAIN,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_FUNC,
        ARG_PTR_TO_STACK_OR_NULL,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_tail_call_proto` (kernel/bpf/core.c)
pub static BPF_TAIL_CALL_PROTO: Proto = Proto {
    name: "bpf_tail_call_proto",
    func_id: BPF_FUNC_TAIL_CALL,
    ret_type: RET_VOID,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_find_vma_proto` (kernel/bpf/task_iter.c)
pub static BPF_FIND_VMA_PROTO: Proto = Proto {
    name: "bpf_find_vma_proto",
    func_id: BPF_FUNC_FIND_VMA,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_ANYTHING,
        ARG_PTR_TO_FUNC,
        ARG_PTR_TO_STACK_OR_NULL,
        ARG_ANYTHING
    ],
    arg_btf_id: [Some(BtfId::Struct("task_struct")), None, None, None, None],
    ..Proto::EMPTY
};

/// `bpf_bprm_opts_set_proto` (kernel/bpf/bpf_lsm.c)
pub static BPF_BPRM_OPTS_SET_PROTO: Proto = Proto {
    name: "bpf_bprm_opts_set_proto",
    func_id: BPF_FUNC_BPRM_OPTS_SET,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID, ARG_ANYTHING],
    arg_btf_id: [Some(BtfId::Struct("linux_binprm")), None, None, None, None],
    ..Proto::EMPTY
};

/// `bpf_ima_inode_hash_proto` (kernel/bpf/bpf_lsm.c)
pub static BPF_IMA_INODE_HASH_PROTO: Proto = Proto {
    name: "bpf_ima_inode_hash_proto",
    func_id: BPF_FUNC_IMA_INODE_HASH,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    arg_btf_id: [Some(BtfId::Struct("inode")), None, None, None, None],
    allowed: Some("bpf_ima_inode_hash_allowed"),
    ..Proto::EMPTY
};

/// `bpf_ima_file_hash_proto` (kernel/bpf/bpf_lsm.c)
pub static BPF_IMA_FILE_HASH_PROTO: Proto = Proto {
    name: "bpf_ima_file_hash_proto",
    func_id: BPF_FUNC_IMA_FILE_HASH,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    arg_btf_id: [Some(BtfId::Struct("file")), None, None, None, None],
    allowed: Some("bpf_ima_inode_hash_allowed"),
    ..Proto::EMPTY
};

/// `bpf_get_attach_cookie_proto` (kernel/bpf/bpf_lsm.c)
pub static BPF_GET_ATTACH_COOKIE_PROTO: Proto = Proto {
    name: "bpf_get_attach_cookie_proto",
    func_id: BPF_FUNC_GET_ATTACH_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

/// `bpf_sys_bpf_proto` (kernel/bpf/syscall.c)
pub static BPF_SYS_BPF_PROTO: Proto = Proto {
    name: "bpf_sys_bpf_proto",
    func_id: BPF_FUNC_SYS_BPF,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE],
    ..Proto::EMPTY
};

/// `bpf_sys_close_proto` (kernel/bpf/syscall.c)
pub static BPF_SYS_CLOSE_PROTO: Proto = Proto {
    name: "bpf_sys_close_proto",
    func_id: BPF_FUNC_SYS_CLOSE,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_kallsyms_lookup_name_proto` (kernel/bpf/syscall.c)
pub static BPF_KALLSYMS_LOOKUP_NAME_PROTO: Proto = Proto {
    name: "bpf_kallsyms_lookup_name_proto",
    func_id: BPF_FUNC_KALLSYMS_LOOKUP_NAME,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_PTR_TO_FIXED_SIZE_MEM
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
            .with(MEM_ALIGNED)
    ],
    arg_size: [0, 0, 0, size_of::<u64>(), 0],
    ..Proto::EMPTY
};

/// `bpf_btf_find_by_name_kind_proto` (kernel/bpf/btf.c)
pub static BPF_BTF_FIND_BY_NAME_KIND_PROTO: Proto = Proto {
    name: "bpf_btf_find_by_name_kind_proto",
    func_id: BPF_FUNC_BTF_FIND_BY_NAME_KIND,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

/// `bpf_task_storage_get_recur_proto` (kernel/bpf/bpf_task_storage.c)
pub static BPF_TASK_STORAGE_GET_RECUR_PROTO: Proto = Proto {
    name: "bpf_task_storage_get_recur_proto",
    func_id: BPF_FUNC_TASK_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_BTF_ID_OR_NULL,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    arg_btf_id: [None, Some(BtfId::Struct("task_struct")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_task_storage_get_proto` (kernel/bpf/bpf_task_storage.c)
pub static BPF_TASK_STORAGE_GET_PROTO: Proto = Proto {
    name: "bpf_task_storage_get_proto",
    func_id: BPF_FUNC_TASK_STORAGE_GET,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_BTF_ID_OR_NULL,
        ARG_PTR_TO_MAP_VALUE_OR_NULL,
        ARG_ANYTHING
    ],
    arg_btf_id: [None, Some(BtfId::Struct("task_struct")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_task_storage_delete_recur_proto` (kernel/bpf/bpf_task_storage.c)
pub static BPF_TASK_STORAGE_DELETE_RECUR_PROTO: Proto = Proto {
    name: "bpf_task_storage_delete_recur_proto",
    func_id: BPF_FUNC_TASK_STORAGE_DELETE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL],
    arg_btf_id: [None, Some(BtfId::Struct("task_struct")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_task_storage_delete_proto` (kernel/bpf/bpf_task_storage.c)
pub static BPF_TASK_STORAGE_DELETE_PROTO: Proto = Proto {
    name: "bpf_task_storage_delete_proto",
    func_id: BPF_FUNC_TASK_STORAGE_DELETE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_BTF_ID_OR_NULL],
    arg_btf_id: [None, Some(BtfId::Struct("task_struct")), None, None, None],
    ..Proto::EMPTY
};

/// `bpf_get_local_storage_proto` (kernel/bpf/cgroup.c)
pub static BPF_GET_LOCAL_STORAGE_PROTO: Proto = Proto {
    name: "bpf_get_local_storage_proto",
    func_id: BPF_FUNC_GET_LOCAL_STORAGE,
    ret_type: RET_PTR_TO_MAP_VALUE,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_get_retval_proto` (kernel/bpf/cgroup.c)
pub static BPF_GET_RETVAL_PROTO: Proto = Proto {
    name: "bpf_get_retval_proto",
    func_id: BPF_FUNC_GET_RETVAL,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

/// `bpf_set_retval_proto` (kernel/bpf/cgroup.c)
pub static BPF_SET_RETVAL_PROTO: Proto = Proto {
    name: "bpf_set_retval_proto",
    func_id: BPF_FUNC_SET_RETVAL,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_sysctl_get_name_proto` (kernel/bpf/cgroup.c)
pub static BPF_SYSCTL_GET_NAME_PROTO: Proto = Proto {
    name: "bpf_sysctl_get_name_proto",
    func_id: BPF_FUNC_SYSCTL_GET_NAME,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_MEM, ARG_CONST_SIZE, ARG_ANYTHING],
    ..Proto::EMPTY
};

/// `bpf_sysctl_get_current_value_proto` (kernel/bpf/cgroup.c)
pub static BPF_SYSCTL_GET_CURRENT_VALUE_PROTO: Proto = Proto {
    name: "bpf_sysctl_get_current_value_proto",
    func_id: BPF_FUNC_SYSCTL_GET_CURRENT_VALUE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

/// `bpf_sysctl_get_new_value_proto` (kernel/bpf/cgroup.c)
pub static BPF_SYSCTL_GET_NEW_VALUE_PROTO: Proto = Proto {
    name: "bpf_sysctl_get_new_value_proto",
    func_id: BPF_FUNC_SYSCTL_GET_NEW_VALUE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

/// `bpf_sysctl_set_new_value_proto` (kernel/bpf/cgroup.c)
pub static BPF_SYSCTL_SET_NEW_VALUE_PROTO: Proto = Proto {
    name: "bpf_sysctl_set_new_value_proto",
    func_id: BPF_FUNC_SYSCTL_SET_NEW_VALUE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE],
    ..Proto::EMPTY
};

/// `bpf_get_netns_cookie_sockopt_proto` (kernel/bpf/cgroup.c)
pub static BPF_GET_NETNS_COOKIE_SOCKOPT_PROTO: Proto = Proto {
    name: "bpf_get_netns_cookie_sockopt_proto",
    func_id: BPF_FUNC_GET_NETNS_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX_OR_NULL],
    ..Proto::EMPTY
};
