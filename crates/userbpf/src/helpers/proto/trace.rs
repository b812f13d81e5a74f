//! Prototypes of kernel/trace/bpf_trace.c: probe reads, printk, perf events, stacks,
//! tracing-program variants.

use super::*;
use std::mem::size_of;

pub static BPF_OVERRIDE_RETURN_PROTO: Proto = Proto {
    name: "bpf_override_return_proto",
    func_id: BPF_FUNC_OVERRIDE_RETURN,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_READ_USER_PROTO: Proto = Proto {
    name: "bpf_probe_read_user_proto",
    func_id: BPF_FUNC_PROBE_READ_USER,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_READ_USER_STR_PROTO: Proto = Proto {
    name: "bpf_probe_read_user_str_proto",
    func_id: BPF_FUNC_PROBE_READ_USER_STR,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_READ_KERNEL_PROTO: Proto = Proto {
    name: "bpf_probe_read_kernel_proto",
    func_id: BPF_FUNC_PROBE_READ_KERNEL,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_READ_KERNEL_STR_PROTO: Proto = Proto {
    name: "bpf_probe_read_kernel_str_proto",
    func_id: BPF_FUNC_PROBE_READ_KERNEL_STR,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_READ_COMPAT_PROTO: Proto = Proto {
    name: "bpf_probe_read_compat_proto",
    func_id: BPF_FUNC_PROBE_READ,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_READ_COMPAT_STR_PROTO: Proto = Proto {
    name: "bpf_probe_read_compat_str_proto",
    func_id: BPF_FUNC_PROBE_READ_STR,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PROBE_WRITE_USER_PROTO: Proto = Proto {
    name: "bpf_probe_write_user_proto",
    func_id: BPF_FUNC_PROBE_WRITE_USER,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING, ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_TRACE_PRINTK_PROTO: Proto = Proto {
    name: "bpf_trace_printk_proto",
    func_id: BPF_FUNC_TRACE_PRINTK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_MEM.with(MEM_RDONLY), ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_TRACE_VPRINTK_PROTO: Proto = Proto {
    name: "bpf_trace_vprintk_proto",
    func_id: BPF_FUNC_TRACE_VPRINTK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    ..Proto::EMPTY
};

pub static BPF_SEQ_PRINTF_PROTO: Proto = Proto {
    name: "bpf_seq_printf_proto",
    func_id: BPF_FUNC_SEQ_PRINTF,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    arg_btf_id: [Some(BtfId::Struct("seq_file")), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_SEQ_WRITE_PROTO: Proto = Proto {
    name: "bpf_seq_write_proto",
    func_id: BPF_FUNC_SEQ_WRITE,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO
    ],
    arg_btf_id: [Some(BtfId::Struct("seq_file")), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_SEQ_PRINTF_BTF_PROTO: Proto = Proto {
    name: "bpf_seq_printf_btf_proto",
    func_id: BPF_FUNC_SEQ_PRINTF_BTF,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_BTF_ID,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    arg_btf_id: [Some(BtfId::Struct("seq_file")), None, None, None, None],
    ..Proto::EMPTY
};

pub static BPF_PERF_EVENT_READ_PROTO: Proto = Proto {
    name: "bpf_perf_event_read_proto",
    func_id: BPF_FUNC_PERF_EVENT_READ,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_PERF_EVENT_READ_VALUE_PROTO: Proto = Proto {
    name: "bpf_perf_event_read_value_proto",
    func_id: BPF_FUNC_PERF_EVENT_READ_VALUE,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_CONST_MAP_PTR, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_PERF_EVENT_OUTPUT_PROTO: Proto = Proto {
    name: "bpf_perf_event_output_proto",
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

pub static BPF_GET_CURRENT_TASK_PROTO: Proto = Proto {
    name: "bpf_get_current_task_proto",
    func_id: BPF_FUNC_GET_CURRENT_TASK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![],
    ..Proto::EMPTY
};

pub static BPF_GET_CURRENT_TASK_BTF_PROTO: Proto = Proto {
    name: "bpf_get_current_task_btf_proto",
    func_id: BPF_FUNC_GET_CURRENT_TASK_BTF,
    gpl_only: true,
    ret_type: RET_PTR_TO_BTF_ID_TRUSTED,
    arg_type: args![],
    ret_btf_id: Some(BtfId::Struct("task_struct")),
    ..Proto::EMPTY
};

pub static BPF_TASK_PT_REGS_PROTO: Proto = Proto {
    name: "bpf_task_pt_regs_proto",
    func_id: BPF_FUNC_TASK_PT_REGS,
    gpl_only: true,
    ret_type: RET_PTR_TO_BTF_ID,
    arg_type: args![ARG_PTR_TO_BTF_ID],
    arg_btf_id: [Some(BtfId::Struct("task_struct")), None, None, None, None],
    ret_btf_id: Some(BtfId::Struct("pt_regs")),
    ..Proto::EMPTY
};

pub static BPF_SEND_SIGNAL_PROTO: Proto = Proto {
    name: "bpf_send_signal_proto",
    func_id: BPF_FUNC_SEND_SIGNAL,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_SEND_SIGNAL_THREAD_PROTO: Proto = Proto {
    name: "bpf_send_signal_thread_proto",
    func_id: BPF_FUNC_SEND_SIGNAL_THREAD,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_D_PATH_PROTO: Proto = Proto {
    name: "bpf_d_path_proto",
    func_id: BPF_FUNC_D_PATH,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_BTF_ID, ARG_PTR_TO_MEM, ARG_CONST_SIZE_OR_ZERO],
    arg_btf_id: [Some(BtfId::Struct("path")), None, None, None, None],
    allowed: Some("bpf_d_path_allowed"),
    ..Proto::EMPTY
};

pub static BPF_SNPRINTF_BTF_PROTO: Proto = Proto {
    name: "bpf_snprintf_btf_proto",
    func_id: BPF_FUNC_SNPRINTF_BTF,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_MEM,
        ARG_CONST_SIZE,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_IP_PROTO_TRACING: Proto = Proto {
    name: "bpf_get_func_ip_proto_tracing",
    func_id: BPF_FUNC_GET_FUNC_IP,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_IP_PROTO_KPROBE: Proto = Proto {
    name: "bpf_get_func_ip_proto_kprobe",
    func_id: BPF_FUNC_GET_FUNC_IP,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_IP_PROTO_KPROBE_MULTI: Proto = Proto {
    name: "bpf_get_func_ip_proto_kprobe_multi",
    func_id: BPF_FUNC_GET_FUNC_IP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_ATTACH_COOKIE_PROTO_KMULTI: Proto = Proto {
    name: "bpf_get_attach_cookie_proto_kmulti",
    func_id: BPF_FUNC_GET_ATTACH_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_IP_PROTO_UPROBE_MULTI: Proto = Proto {
    name: "bpf_get_func_ip_proto_uprobe_multi",
    func_id: BPF_FUNC_GET_FUNC_IP,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_ATTACH_COOKIE_PROTO_UMULTI: Proto = Proto {
    name: "bpf_get_attach_cookie_proto_umulti",
    func_id: BPF_FUNC_GET_ATTACH_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_ATTACH_COOKIE_PROTO_TRACE: Proto = Proto {
    name: "bpf_get_attach_cookie_proto_trace",
    func_id: BPF_FUNC_GET_ATTACH_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_ATTACH_COOKIE_PROTO_PE: Proto = Proto {
    name: "bpf_get_attach_cookie_proto_pe",
    func_id: BPF_FUNC_GET_ATTACH_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_ATTACH_COOKIE_PROTO_TRACING: Proto = Proto {
    name: "bpf_get_attach_cookie_proto_tracing",
    func_id: BPF_FUNC_GET_ATTACH_COOKIE,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_GET_BRANCH_SNAPSHOT_PROTO: Proto = Proto {
    name: "bpf_get_branch_snapshot_proto",
    func_id: BPF_FUNC_GET_BRANCH_SNAPSHOT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE_OR_ZERO],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_ARG_PROTO: Proto = Proto {
    name: "bpf_get_func_arg_proto",
    func_id: BPF_FUNC_GET_FUNC_ARG,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_ANYTHING,
        ARG_PTR_TO_FIXED_SIZE_MEM
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
            .with(MEM_ALIGNED)
    ],
    arg_size: [0, 0, size_of::<u64>(), 0, 0],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_RET_PROTO: Proto = Proto {
    name: "bpf_get_func_ret_proto",
    func_id: BPF_FUNC_GET_FUNC_RET,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_FIXED_SIZE_MEM
            .with(MEM_UNINIT)
            .with(MEM_WRITE)
            .with(MEM_ALIGNED)
    ],
    arg_size: [0, size_of::<u64>(), 0, 0, 0],
    ..Proto::EMPTY
};

pub static BPF_GET_FUNC_ARG_CNT_PROTO: Proto = Proto {
    name: "bpf_get_func_arg_cnt_proto",
    func_id: BPF_FUNC_GET_FUNC_ARG_CNT,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static BPF_PERF_EVENT_OUTPUT_PROTO_TP: Proto = Proto {
    name: "bpf_perf_event_output_proto_tp",
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

pub static BPF_GET_STACKID_PROTO_TP: Proto = Proto {
    name: "bpf_get_stackid_proto_tp",
    func_id: BPF_FUNC_GET_STACKID,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_GET_STACK_PROTO_TP: Proto = Proto {
    name: "bpf_get_stack_proto_tp",
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

pub static BPF_PERF_PROG_READ_VALUE_PROTO: Proto = Proto {
    name: "bpf_perf_prog_read_value_proto",
    func_id: BPF_FUNC_PERF_PROG_READ_VALUE,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE],
    ..Proto::EMPTY
};

pub static BPF_READ_BRANCH_RECORDS_PROTO: Proto = Proto {
    name: "bpf_read_branch_records_proto",
    func_id: BPF_FUNC_READ_BRANCH_RECORDS,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM_OR_NULL,
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};

pub static BPF_PERF_EVENT_OUTPUT_PROTO_RAW_TP: Proto = Proto {
    name: "bpf_perf_event_output_proto_raw_tp",
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

pub static BPF_GET_STACKID_PROTO_RAW_TP: Proto = Proto {
    name: "bpf_get_stackid_proto_raw_tp",
    func_id: BPF_FUNC_GET_STACKID,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_CONST_MAP_PTR, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static BPF_GET_STACK_PROTO_RAW_TP: Proto = Proto {
    name: "bpf_get_stack_proto_raw_tp",
    func_id: BPF_FUNC_GET_STACK,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![
        ARG_PTR_TO_CTX,
        ARG_PTR_TO_MEM.with(MEM_RDONLY),
        ARG_CONST_SIZE_OR_ZERO,
        ARG_ANYTHING
    ],
    ..Proto::EMPTY
};
