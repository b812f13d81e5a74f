//! Prototypes of kernel/bpf/helpers.c: maps, time, CPU and task ids, spin locks,
//! strings, timers, kptrs, dynptrs, callbacks.

use super::*;
use std::mem::size_of;

pub static BPF_MAP_LOOKUP_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_lookup_elem_proto",
    func_id: BPF_FUNC_MAP_LOOKUP_ELEM,
    pkt_access: true,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY],
    ..Proto::EMPTY
};

pub static BPF_MAP_UPDATE_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_update_elem_proto",
    func_id: BPF_FUNC_MAP_UPDATE_ELEM,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_CONST_MAP_PTR,
        ARG_PTR_TO_MAP_KEY,
        ARG_PTR_TO_MAP_VALUE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_MAP_DELETE_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_delete_elem_proto",
    func_id: BPF_FUNC_MAP_DELETE_ELEM,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY],
    ..Proto::EMPTY
};

pub static BPF_MAP_PUSH_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_push_elem_proto",
    func_id: BPF_FUNC_MAP_PUSH_ELEM,
    pkt_access: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_MAP_POP_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_pop_elem_proto",
    func_id: BPF_FUNC_MAP_POP_ELEM,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE.with(MEM_UNINIT).with(MEM_WRITE)],
    ..Proto::EMPTY
};

pub static BPF_MAP_PEEK_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_peek_elem_proto",
    func_id: BPF_FUNC_MAP_PEEK_ELEM,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_VALUE.with(MEM_UNINIT).with(MEM_WRITE)],
    ..Proto::EMPTY
};

pub static BPF_MAP_LOOKUP_PERCPU_ELEM_PROTO: Proto = Proto {
    name: "bpf_map_lookup_percpu_elem_proto",
    func_id: BPF_FUNC_MAP_LOOKUP_PERCPU_ELEM,
    pkt_access: true,
    ret_type: RET_PTR_TO_MAP_VALUE_OR_NULL,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_GET_PRANDOM_U32_PROTO: Proto = Proto {
    name: "bpf_get_prandom_u32_proto",
    func_id: BPF_FUNC_GET_PRANDOM_U32,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_SMP_PROCESSOR_ID_PROTO: Proto = Proto {
    name: "bpf_get_smp_processor_id_proto",
    func_id: BPF_FUNC_GET_SMP_PROCESSOR_ID,
    allow_fastcall: true,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_NUMA_NODE_ID_PROTO: Proto = Proto {
    name: "bpf_get_numa_node_id_proto",
    func_id: BPF_FUNC_GET_NUMA_NODE_ID,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_KTIME_GET_NS_PROTO: Proto = Proto {
    name: "bpf_ktime_get_ns_proto",
    func_id: BPF_FUNC_KTIME_GET_NS,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_KTIME_GET_BOOT_NS_PROTO: Proto = Proto {
    name: "bpf_ktime_get_boot_ns_proto",
    func_id: BPF_FUNC_KTIME_GET_BOOT_NS,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_KTIME_GET_COARSE_NS_PROTO: Proto = Proto {
    name: "bpf_ktime_get_coarse_ns_proto",
    func_id: BPF_FUNC_KTIME_GET_COARSE_NS,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_KTIME_GET_TAI_NS_PROTO: Proto = Proto {
    name: "bpf_ktime_get_tai_ns_proto",
    func_id: BPF_FUNC_KTIME_GET_TAI_NS,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_CURRENT_PID_TGID_PROTO: Proto = Proto {
    name: "bpf_get_current_pid_tgid_proto",
    func_id: BPF_FUNC_GET_CURRENT_PID_TGID,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_CURRENT_UID_GID_PROTO: Proto = Proto {
    name: "bpf_get_current_uid_gid_proto",
    func_id: BPF_FUNC_GET_CURRENT_UID_GID,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_CURRENT_COMM_PROTO: Proto = Proto {
    name: "bpf_get_current_comm_proto",
    func_id: BPF_FUNC_GET_CURRENT_COMM,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_SPIN_LOCK_PROTO: Proto = Proto {
    name: "bpf_spin_lock_proto",
    func_id: BPF_FUNC_SPIN_LOCK,
    ret_type: RET_VOID,
    arg_type: args![ARG_PTR_TO_SPIN_LOCK],
    arg_btf_id: [Some(BtfId::Poison), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_SPIN_UNLOCK_PROTO: Proto = Proto {
    name: "bpf_spin_unlock_proto",
    func_id: BPF_FUNC_SPIN_UNLOCK,
    ret_type: RET_VOID,
    arg_type: args![ARG_PTR_TO_SPIN_LOCK],
    arg_btf_id: [Some(BtfId::Poison), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_JIFFIES64_PROTO: Proto = Proto {
    name: "bpf_jiffies64_proto",
    func_id: BPF_FUNC_JIFFIES64,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_CURRENT_CGROUP_ID_PROTO: Proto = Proto {
    name: "bpf_get_current_cgroup_id_proto",
    func_id: BPF_FUNC_GET_CURRENT_CGROUP_ID,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_CURRENT_ANCESTOR_CGROUP_ID_PROTO: Proto = Proto {
    name: "bpf_get_current_ancestor_cgroup_id_proto",
    func_id: BPF_FUNC_GET_CURRENT_ANCESTOR_CGROUP_ID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_STRTOL_PROTO: Proto = Proto {
    name: "bpf_strtol_proto",
    func_id: BPF_FUNC_STRTOL,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING,
        ARG_PTR_TO_FIXED_SIZE_MEM
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
            .with(MEM_ALIGNED)
    ],
    arg_size: [0, 0, 0, size_of::<i64>(), 0],
    ..Proto::EMPTY
};

pub static BPF_STRTOUL_PROTO: Proto = Proto {
    name: "bpf_strtoul_proto",
    func_id: BPF_FUNC_STRTOUL,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING,
        ARG_PTR_TO_FIXED_SIZE_MEM
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
            .with(MEM_ALIGNED)
    ],
    arg_size: [0, 0, 0, size_of::<u64>(), 0],
    ..Proto::EMPTY
};

pub static BPF_STRNCMP_PROTO: Proto = Proto {
    name: "bpf_strncmp_proto",
    func_id: BPF_FUNC_STRNCMP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE, ARG_PTR_TO_CONST_STR],
    ..Proto::EMPTY
};

pub static BPF_GET_NS_CURRENT_PID_TGID_PROTO: Proto = Proto {
    name: "bpf_get_ns_current_pid_tgid_proto",
    func_id: BPF_FUNC_GET_NS_CURRENT_PID_TGID,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_GET_RAW_SMP_PROCESSOR_ID_PROTO: Proto = Proto {
    name: "bpf_get_raw_smp_processor_id_proto",
    func_id: BPF_FUNC_GET_SMP_PROCESSOR_ID,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_EVENT_OUTPUT_DATA_PROTO: Proto = Proto {
    name: "bpf_event_output_data_proto",
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

pub static BPF_COPY_FROM_USER_PROTO: Proto = Proto {
    name: "bpf_copy_from_user_proto",
    func_id: BPF_FUNC_COPY_FROM_USER,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_COPY_FROM_USER_TASK_PROTO: Proto = Proto {
    name: "bpf_copy_from_user_task_proto",
    func_id: BPF_FUNC_COPY_FROM_USER_TASK,
    gpl_only: true,
    might_sleep: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_PTR_TO_BTF_ID,
        ARG_ANYTHING
    ],
    arg_btf_id: [None, None, None, Some(BtfId::Struct("task_struct")), None],
    ..Proto::EMPTY
};

pub static BPF_PER_CPU_PTR_PROTO: Proto = Proto {
    name: "bpf_per_cpu_ptr_proto",
    func_id: BPF_FUNC_PER_CPU_PTR,
    ret_type: RET_PTR_TO_MEM_OR_BTF_ID.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
    arg_type: args![ARG_PTR_TO_PERCPU_BTF_ID, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_THIS_CPU_PTR_PROTO: Proto = Proto {
    name: "bpf_this_cpu_ptr_proto",
    func_id: BPF_FUNC_THIS_CPU_PTR,
    ret_type: RET_PTR_TO_MEM_OR_BTF_ID.with(MEM_RDONLY),
    arg_type: args![ARG_PTR_TO_PERCPU_BTF_ID],
    ..Proto::EMPTY
};

pub static BPF_SNPRINTF_PROTO: Proto = Proto {
    name: "bpf_snprintf_proto",
    func_id: BPF_FUNC_SNPRINTF,
    gpl_only: true,
    ret_type: RET_INTEGER,
    // The output buffer is MEM_WRITE on the host's Linux (6.18: a frozen
    // map value there is refused "write into map forbidden"); 6.12's row
    // has plain ARG_PTR_TO_MEM_OR_NULL.
    arg_type: args![
        ARG_PTR_TO_MEM_OR_NULL.with(MEM_WRITE),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_PTR_TO_CONST_STR,
        ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    ..Proto::EMPTY
};

pub static BPF_TIMER_INIT_PROTO: Proto = Proto {
    name: "bpf_timer_init_proto",
    func_id: BPF_FUNC_TIMER_INIT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_TIMER, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_TIMER_SET_CALLBACK_PROTO: Proto = Proto {
    name: "bpf_timer_set_callback_proto",
    func_id: BPF_FUNC_TIMER_SET_CALLBACK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_TIMER, ARG_PTR_TO_FUNC],
    ..Proto::EMPTY
};

pub static BPF_TIMER_START_PROTO: Proto = Proto {
    name: "bpf_timer_start_proto",
    func_id: BPF_FUNC_TIMER_START,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_TIMER, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_TIMER_CANCEL_PROTO: Proto = Proto {
    name: "bpf_timer_cancel_proto",
    func_id: BPF_FUNC_TIMER_CANCEL,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_TIMER],
    ..Proto::EMPTY
};

pub static BPF_KPTR_XCHG_PROTO: Proto = Proto {
    name: "bpf_kptr_xchg_proto",
    func_id: BPF_FUNC_KPTR_XCHG,
    ret_type: RET_PTR_TO_BTF_ID_OR_NULL,
    arg_type: args![ARG_KPTR_XCHG_DEST, ARG_PTR_TO_BTF_ID_OR_NULL.with(OBJ_RELEASE)],
    arg_btf_id: [None, Some(BtfId::Poison), None, None, None],
    ret_btf_id: Some(BtfId::Poison),
    ..Proto::EMPTY
};

pub static BPF_DYNPTR_FROM_MEM_PROTO: Proto = Proto {
    name: "bpf_dynptr_from_mem_proto",
    func_id: BPF_FUNC_DYNPTR_FROM_MEM,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING,
        ARG_PTR_TO_DYNPTR
            .with(DYNPTR_TYPE_LOCAL)
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
    ],
    ..Proto::EMPTY
};

pub static BPF_DYNPTR_READ_PROTO: Proto = Proto {
    name: "bpf_dynptr_read_proto",
    func_id: BPF_FUNC_DYNPTR_READ,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_UNINIT_MEM,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_PTR_TO_DYNPTR.with(MEM_RDONLY),
        ARG_ANYTHING,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_DYNPTR_WRITE_PROTO: Proto = Proto {
    name: "bpf_dynptr_write_proto",
    func_id: BPF_FUNC_DYNPTR_WRITE,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_DYNPTR.with(MEM_RDONLY),
        ARG_ANYTHING,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_DYNPTR_DATA_PROTO: Proto = Proto {
    name: "bpf_dynptr_data_proto",
    func_id: BPF_FUNC_DYNPTR_DATA,
    ret_type: RET_PTR_TO_DYNPTR_MEM_OR_NULL,
    arg_type: args![
        ARG_PTR_TO_DYNPTR.with(MEM_RDONLY),
        ARG_ANYTHING,
        ARG_CONST_ALLOC_SIZE_OR_ZERO
    ],
    ..Proto::EMPTY
};

pub static BPF_CURRENT_TASK_UNDER_CGROUP_PROTO: Proto = Proto {
    name: "bpf_current_task_under_cgroup_proto",
    func_id: BPF_FUNC_CURRENT_TASK_UNDER_CGROUP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};
