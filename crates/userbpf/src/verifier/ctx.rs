//! Context access per program type (the `is_valid_access` callbacks of
//! net/core/filter.c): which `__sk_buff` / `xdp_md` fields a program may
//! read or write, at which sizes, and what a load yields.

use super::reg::RegType;
use crate::uapi::types::prog_type as pt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// What a valid context load produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtxField {
    /// A scalar of the access size.
    Scalar,
    /// A pointer of this type (data, data_end, data_meta).
    Pointer(RegType),
    /// `skb->sk`: a socket pointer, not modelled yet.
    SockCommonOrNull,
}

/// Program types whose context accesses are modelled here.
pub fn supported(prog_type: u32) -> bool {
    matches!(
        prog_type,
        pt::SOCKET_FILTER
            | pt::SCHED_CLS
            | pt::SCHED_ACT
            | pt::XDP
            | pt::CGROUP_SKB
            | pt::KPROBE
            | pt::TRACEPOINT
            | pt::RAW_TRACEPOINT
            | pt::PERF_EVENT
    )
}

// struct __sk_buff offsets.
const SKB_SIZE: i64 = 192;
const SKB_CB0: i64 = 48;
const SKB_CB_END: i64 = 68;
const SKB_TC_CLASSID: i64 = 72;
const SKB_DATA: i64 = 76;
const SKB_DATA_END: i64 = 80;
const SKB_FAMILY: i64 = 88;
const SKB_REMOTE_IP4: i64 = 92;
const SKB_REMOTE_PORT: i64 = 132;
const SKB_LOCAL_PORT_END: i64 = 140;
const SKB_DATA_META: i64 = 140;
const SKB_FLOW_KEYS: i64 = 144;
const SKB_TSTAMP: i64 = 152;
const SKB_WIRE_LEN: i64 = 160;
const SKB_SK: i64 = 168;
const SKB_TSTAMP_TYPE: i64 = 180;
const SKB_HWTSTAMP: i64 = 184;
// struct __sk_buff fields tc programs may write besides cb[].
const SKB_MARK: i64 = 8;
const SKB_QUEUE_MAPPING: i64 = 12;
const SKB_PRIORITY: i64 = 32;
const SKB_TC_INDEX: i64 = 44;

/// The field range `[start, start + len)` containing `off`.
fn in_field(off: i64, start: i64, len: i64) -> bool {
    off >= start && off < start + len
}

/// bpf_ctx_narrow_access_ok() for 4-byte fields.
fn narrow_ok(size: i64) -> bool {
    size <= 4 && size.count_ones() == 1
}

/// cg_skb_is_valid_access() (for a loader with CAP_BPF).
fn cg_skb_access(off: i64, size: i64, access: Access) -> Option<CtxField> {
    if in_field(off, SKB_TC_CLASSID, 4) || in_field(off, SKB_DATA_META, 4) || in_field(off, SKB_WIRE_LEN, 4) {
        return None;
    }
    if access == Access::Write {
        let writable = [SKB_MARK, SKB_PRIORITY].iter().any(|&f| in_field(off, f, 4))
            || (SKB_CB0..SKB_CB_END).contains(&off)
            || in_field(off, SKB_TSTAMP, 8);
        if !writable {
            return None;
        }
    }
    skb_common(off, size, access)
}

/// bpf_skb_is_valid_access() plus each type's own filter.
fn skb_access(prog_type: u32, off: i64, size: i64, access: Access) -> Option<CtxField> {
    let tc = matches!(prog_type, pt::SCHED_CLS | pt::SCHED_ACT);
    // Fields a socket filter may not touch at all.
    if !tc
        && (in_field(off, SKB_TC_CLASSID, 4)
            || in_field(off, SKB_DATA, 4)
            || in_field(off, SKB_DATA_META, 4)
            || in_field(off, SKB_DATA_END, 4)
            || (SKB_FAMILY..SKB_LOCAL_PORT_END).contains(&off)
            || in_field(off, SKB_TSTAMP, 8)
            || in_field(off, SKB_WIRE_LEN, 4)
            || in_field(off, SKB_HWTSTAMP, 8))
    {
        return None;
    }
    if tc && (SKB_FAMILY..SKB_LOCAL_PORT_END).contains(&off) {
        return None;
    }
    // tc programs may read tstamp_type, one byte.
    if tc && off == SKB_TSTAMP_TYPE {
        return (access == Access::Read && size == 1).then_some(CtxField::Scalar);
    }
    if access == Access::Write {
        let writable = (SKB_CB0..SKB_CB_END).contains(&off)
            || (tc
                && [SKB_MARK, SKB_QUEUE_MAPPING, SKB_PRIORITY, SKB_TC_INDEX, SKB_TC_CLASSID]
                    .iter()
                    .any(|&f| in_field(off, f, 4)))
            || (tc && in_field(off, SKB_TSTAMP, 8));
        if !writable {
            return None;
        }
    }
    skb_common(off, size, access)
}

/// bpf_skb_is_valid_access(): the rules every __sk_buff user shares.
fn skb_common(off: i64, size: i64, access: Access) -> Option<CtxField> {
    if !(0..SKB_SIZE).contains(&off) || off % size != 0 {
        return None;
    }
    if (SKB_CB0..SKB_CB_END).contains(&off) {
        return (off + size <= SKB_CB_END).then_some(CtxField::Scalar);
    }
    let ptr = |t| if size == 4 { Some(CtxField::Pointer(t)) } else { None };
    match off {
        SKB_DATA => ptr(RegType::Packet),
        SKB_DATA_META => ptr(RegType::PacketMeta),
        SKB_DATA_END => ptr(RegType::PacketEnd),
        // remote_ip4, local_ip4, remote_ip6[4], local_ip6[4]: whole words.
        o if (SKB_REMOTE_IP4..SKB_REMOTE_PORT).contains(&o) => (size == 4).then_some(CtxField::Scalar),
        o if in_field(o, SKB_DATA, 4) || in_field(o, SKB_DATA_END, 4) || in_field(o, SKB_DATA_META, 4) => None,
        o if in_field(o, SKB_FLOW_KEYS, 8) => None,
        o if in_field(o, SKB_HWTSTAMP, 8) => (access == Access::Read && size == 8).then_some(CtxField::Scalar),
        o if in_field(o, SKB_TSTAMP, 8) => (size == 8).then_some(CtxField::Scalar),
        // The socket pointer needs BTF-typed socket tracking, not modelled.
        o if in_field(o, SKB_SK, 8) => (access == Access::Read && size == 8).then_some(CtxField::SockCommonOrNull),
        o if (SKB_TSTAMP_TYPE..SKB_HWTSTAMP).contains(&o) => None,
        _ => match access {
            Access::Write => (size == 4).then_some(CtxField::Scalar),
            Access::Read => narrow_ok(size).then_some(CtxField::Scalar),
        },
    }
}

// struct xdp_md.
const XDP_SIZE: i64 = 24;
const XDP_DATA: i64 = 0;
const XDP_DATA_END: i64 = 4;
const XDP_DATA_META: i64 = 8;
const XDP_EGRESS_IFINDEX: i64 = 20;

fn xdp_access(off: i64, size: i64, access: Access, expected_attach_type: u32) -> Option<CtxField> {
    const BPF_XDP_DEVMAP: u32 = 33;
    if access == Access::Write || !(0..XDP_SIZE).contains(&off) || off % size != 0 {
        return None;
    }
    if in_field(off, XDP_EGRESS_IFINDEX, 4) && expected_attach_type != BPF_XDP_DEVMAP {
        return None;
    }
    let ptr = |t| if size == 4 { Some(CtxField::Pointer(t)) } else { None };
    match off {
        XDP_DATA => ptr(RegType::Packet),
        XDP_DATA_END => ptr(RegType::PacketEnd),
        XDP_DATA_META => ptr(RegType::PacketMeta),
        // __is_valid_xdp_access(): whole words only.
        _ => (size == 4).then_some(CtxField::Scalar),
    }
}

/// sizeof(struct pt_regs) on x86-64.
const PT_REGS_SIZE: i64 = 168;
/// PERF_MAX_TRACE_SIZE.
const PERF_MAX_TRACE_SIZE: i64 = 8192;
/// Raw tracepoint arguments: MAX_BPF_FUNC_ARGS u64s.
const RAW_TP_ARGS_SIZE: i64 = 12 * 8;

/// Read-only contexts: any naturally aligned read inside `[min, size)`.
fn read_only(off: i64, size: i64, access: Access, min: i64, len: i64) -> Option<CtxField> {
    (access == Access::Read && off >= min && off < len && off % size == 0 && off + size <= len)
        .then_some(CtxField::Scalar)
}

/// pe_prog_is_valid_access(): struct bpf_perf_event_data is pt_regs, then
/// sample_period and addr (u64s that allow narrow reads); pt_regs words
/// are read whole.
fn perf_event_access(off: i64, size: i64, access: Access) -> Option<CtxField> {
    const SIZE: i64 = PT_REGS_SIZE + 16;
    if !(0..SIZE).contains(&off) || access != Access::Read || off % size != 0 {
        return None;
    }
    let ok = if off >= PT_REGS_SIZE {
        size <= 8 && size.count_ones() == 1
    } else {
        size == 8
    };
    ok.then_some(CtxField::Scalar)
}

/// Whether an access of `size` bytes at context offset `off` is valid.
pub fn access(prog_type: u32, expected_attach_type: u32, off: i64, size: i64, a: Access) -> Option<CtxField> {
    match prog_type {
        pt::XDP => xdp_access(off, size, a, expected_attach_type),
        pt::CGROUP_SKB => cg_skb_access(off, size, a),
        pt::KPROBE => read_only(off, size, a, 0, PT_REGS_SIZE),
        // The first 8 bytes of a tracepoint record are the common header.
        pt::TRACEPOINT => read_only(off, size, a, 8, PERF_MAX_TRACE_SIZE),
        pt::RAW_TRACEPOINT => read_only(off, size, a, 0, RAW_TP_ARGS_SIZE),
        pt::PERF_EVENT => perf_event_access(off, size, a),
        _ => skb_access(prog_type, off, size, a),
    }
}

/// check_return_code(): the range R0 must lie in at exit, if any.
pub fn return_range(prog_type: u32, expected_attach_type: u32) -> Option<(i64, i64)> {
    use crate::uapi::types::attach_type as at;
    match prog_type {
        pt::CGROUP_SKB if expected_attach_type == at::CGROUP_INET_EGRESS => Some((0, 3)),
        pt::CGROUP_SOCK_ADDR => Some(match expected_attach_type {
            at::CGROUP_UDP4_RECVMSG
            | at::CGROUP_UDP6_RECVMSG
            | at::CGROUP_UNIX_RECVMSG
            | at::CGROUP_INET4_GETPEERNAME
            | at::CGROUP_INET6_GETPEERNAME
            | at::CGROUP_UNIX_GETPEERNAME
            | at::CGROUP_INET4_GETSOCKNAME
            | at::CGROUP_INET6_GETSOCKNAME
            | at::CGROUP_UNIX_GETSOCKNAME => (1, 1),
            at::CGROUP_INET4_BIND | at::CGROUP_INET6_BIND => (0, 3),
            _ => (0, 1),
        }),
        pt::CGROUP_SKB
        | pt::CGROUP_SOCK
        | pt::CGROUP_DEVICE
        | pt::CGROUP_SYSCTL
        | pt::CGROUP_SOCKOPT
        | pt::SOCK_OPS
        | pt::SK_LOOKUP => Some((0, 1)),
        _ => None,
    }
}

/// may_access_skb(): the types that may use LD_ABS/LD_IND.
pub fn may_access_skb(prog_type: u32) -> bool {
    matches!(prog_type, pt::SOCKET_FILTER | pt::SCHED_CLS | pt::SCHED_ACT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_filter_fields() {
        let sf = |off, size, a| access(pt::SOCKET_FILTER, 0, off, size, a);
        assert_eq!(sf(0, 4, Access::Read), Some(CtxField::Scalar), "len");
        assert_eq!(sf(0, 2, Access::Read), Some(CtxField::Scalar), "narrow len");
        assert_eq!(sf(0, 8, Access::Read), None, "wide len");
        assert_eq!(sf(0, 4, Access::Write), None, "len is read-only");
        assert_eq!(sf(48, 4, Access::Write), Some(CtxField::Scalar), "cb[0]");
        assert_eq!(sf(76, 4, Access::Read), None, "data is for tc");
        assert_eq!(sf(1000, 4, Access::Read), None);
        assert_eq!(sf(2, 4, Access::Read), None, "misaligned");
    }

    #[test]
    fn packet_pointers() {
        assert_eq!(
            access(pt::SCHED_CLS, 0, 76, 4, Access::Read),
            Some(CtxField::Pointer(RegType::Packet))
        );
        assert_eq!(
            access(pt::XDP, 0, 4, 4, Access::Read),
            Some(CtxField::Pointer(RegType::PacketEnd))
        );
        assert_eq!(access(pt::XDP, 0, 0, 8, Access::Read), None);
        assert_eq!(
            access(pt::XDP, 0, 20, 4, Access::Read),
            None,
            "egress_ifindex needs devmap"
        );
    }
}
