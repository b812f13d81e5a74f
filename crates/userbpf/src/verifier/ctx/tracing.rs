//! The tracing contexts (kernel/trace/bpf_trace.c) and the syscall
//! program's (kernel/bpf/syscall.c): read-only memory of a fixed size
//! (pt_regs, a tracepoint record, raw tracepoint arguments, perf event
//! data) and the syscall program's buffer, which is also writable.

use super::{in_range, narrow_ok, scalar_if, CtxField, CtxPtr, Query};

/// sizeof(struct pt_regs) on x86-64.
const PT_REGS_SIZE: i64 = 168;
/// PERF_MAX_TRACE_SIZE.
const PERF_MAX_TRACE_SIZE: i64 = 8192;
/// Raw tracepoint arguments: MAX_BPF_FUNC_ARGS u64s.
const RAW_TP_ARGS_SIZE: i64 = 12 * 8;

/// kprobe_prog_is_valid_access(): aligned reads inside pt_regs.
pub(super) fn kprobe(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    scalar_if((0..PT_REGS_SIZE).contains(&off) && !q.is_write() && !q.misaligned() && off + size <= PT_REGS_SIZE)
}

/// tp_prog_is_valid_access(): aligned reads past the common header
/// (whose first 8 bytes are not for programs). The kernel compares the
/// offset with `sizeof(void *)`, unsigned, so a negative offset passes
/// that test and the signed one against PERF_MAX_TRACE_SIZE: 6.18 accepts
/// aligned reads before the record (recorded).
pub(super) fn tracepoint(q: Query) -> Option<CtxField> {
    let header = (0..8).contains(&q.off);
    scalar_if(!header && q.off < PERF_MAX_TRACE_SIZE && !q.is_write() && !q.misaligned())
}

/// bpf_tracing_ctx_access(): aligned reads starting inside the arguments.
pub(super) fn raw_tp(q: Query) -> Option<CtxField> {
    scalar_if((0..RAW_TP_ARGS_SIZE).contains(&q.off) && !q.is_write() && !q.misaligned())
}

/// raw_tp_writable_prog_is_valid_access(): argument 0 is the writable
/// buffer.
pub(super) fn raw_tp_writable(q: Query) -> Option<CtxField> {
    if q.off == 0 {
        if q.size != 8 || q.is_write() {
            return None;
        }
        return raw_tp(q).map(|_| CtxField::Unmodelled(CtxPtr::TpBuffer));
    }
    raw_tp(q)
}

/// pe_prog_is_valid_access(): struct bpf_perf_event_data is pt_regs (read
/// a word at a time), then sample_period and addr (u64s that allow narrow
/// reads).
pub(super) fn perf_event(q: Query) -> Option<CtxField> {
    const SIZE: i64 = PT_REGS_SIZE + 16;
    const SAMPLE_PERIOD: i64 = PT_REGS_SIZE;
    const ADDR: i64 = PT_REGS_SIZE + 8;
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.is_write() || q.misaligned() {
        return None;
    }
    if in_range(off, SAMPLE_PERIOD, 8) || in_range(off, ADDR, 8) {
        scalar_if(narrow_ok(size, 8))
    } else {
        scalar_if(size == 8)
    }
}

/// syscall_prog_is_valid_access(): any aligned access below U16_MAX,
/// reads and writes alike.
pub(super) fn syscall(q: Query) -> Option<CtxField> {
    scalar_if((0..u16::MAX as i64).contains(&q.off) && !q.misaligned())
}
