//! struct __sk_buff for its users (net/core/filter.c): the shared rules
//! (bpf_skb_is_valid_access) and each type's own filter in front of them:
//! socket filters, tc, cgroup_skb, lwt, sk_skb; and the flow dissector's
//! separate view of the same structure.

use super::{in_range, narrow_ok, CtxField, CtxProg, CtxPtr, Query};
use crate::verifier::reg::RegType;

// struct __sk_buff (192 bytes).
const SIZE: i64 = 192;
const MARK: i64 = 8;
const QUEUE_MAPPING: i64 = 12;
const PRIORITY: i64 = 32;
const TC_INDEX: i64 = 44;
const CB: i64 = 48;
const CB_END: i64 = 68;
const TC_CLASSID: i64 = 72;
const DATA: i64 = 76;
const DATA_END: i64 = 80;
const FAMILY: i64 = 88;
const REMOTE_IP4: i64 = 92;
const LOCAL_IP4: i64 = 96;
const REMOTE_IP6: i64 = 100;
const LOCAL_IP6: i64 = 116;
/// offsetofend(local_port): the end of family..local_port.
const LOCAL_PORT_END: i64 = 140;
const DATA_META: i64 = 140;
const FLOW_KEYS: i64 = 144;
const TSTAMP: i64 = 152;
const WIRE_LEN: i64 = 160;
const SK: i64 = 168;
const TSTAMP_TYPE: i64 = 180;
const HWTSTAMP: i64 = 184;

fn cb(off: i64) -> bool {
    (CB..CB_END).contains(&off)
}

fn family_to_local_port(off: i64) -> bool {
    (FAMILY..LOCAL_PORT_END).contains(&off)
}

/// The type a load of a packet-pointer field yields (info->reg_type as
/// the type's own filter set it).
fn pkt(t: RegType) -> CtxField {
    CtxField::Pointer(t)
}

/// bpf_skb_is_valid_access(): `ty` is what the type's filter set.
fn common(q: Query, ty: CtxField) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() {
        return None;
    }
    let ok = match off {
        o if cb(o) => off + size <= CB_END,
        o if in_range(o, DATA, 4) || in_range(o, DATA_META, 4) || in_range(o, DATA_END, 4) => !q.ldsx && size == 4,
        o if (REMOTE_IP4..LOCAL_IP4 + 4).contains(&o) || (REMOTE_IP6..LOCAL_IP6 + 16).contains(&o) => size == 4,
        o if in_range(o, FLOW_KEYS, 8) => false,
        o if in_range(o, HWTSTAMP, 8) => !q.is_write() && size == 8,
        o if in_range(o, TSTAMP, 8) => size == 8,
        o if in_range(o, SK, 8) => {
            return (!q.is_write() && size == 8).then_some(CtxField::Unmodelled(CtxPtr::SockCommonOrNull))
        }
        TSTAMP_TYPE => false,
        // The padding after tstamp_type.
        o if (TSTAMP_TYPE + 1..HWTSTAMP).contains(&o) => false,
        // Only narrow reads; writes are whole words.
        _ if q.is_write() => size == 4,
        _ => narrow_ok(size, 4),
    };
    ok.then_some(ty)
}

/// sk_filter_is_valid_access().
pub(super) fn sk_filter(q: Query) -> Option<CtxField> {
    let off = q.off;
    if in_range(off, TC_CLASSID, 4)
        || in_range(off, DATA, 4)
        || in_range(off, DATA_META, 4)
        || in_range(off, DATA_END, 4)
        || family_to_local_port(off)
        || in_range(off, TSTAMP, 8)
        || in_range(off, WIRE_LEN, 4)
        || in_range(off, HWTSTAMP, 8)
    {
        return None;
    }
    if q.is_write() && !cb(off) {
        return None;
    }
    common(q, CtxField::Scalar)
}

/// cg_skb_is_valid_access(): data and data_end need CAP_BPF.
pub(super) fn cg_skb(p: &CtxProg, q: Query) -> Option<CtxField> {
    let off = q.off;
    if in_range(off, TC_CLASSID, 4) || in_range(off, DATA_META, 4) || in_range(off, WIRE_LEN, 4) {
        return None;
    }
    if (in_range(off, DATA, 4) || in_range(off, DATA_END, 4)) && !p.bpf_capable {
        return None;
    }
    if q.is_write() {
        let ok = in_range(off, MARK, 4)
            || in_range(off, PRIORITY, 4)
            || cb(off)
            || (in_range(off, TSTAMP, 8) && p.bpf_capable);
        if !ok {
            return None;
        }
    }
    common(q, data_and_end(off))
}

/// lwt_is_valid_access() (lwt_in, lwt_out, lwt_xmit, lwt_seg6local).
pub(super) fn lwt(q: Query) -> Option<CtxField> {
    let off = q.off;
    if in_range(off, TC_CLASSID, 4)
        || family_to_local_port(off)
        || in_range(off, DATA_META, 4)
        || in_range(off, TSTAMP, 8)
        || in_range(off, WIRE_LEN, 4)
        || in_range(off, HWTSTAMP, 8)
    {
        return None;
    }
    if q.is_write() && !(in_range(off, MARK, 4) || in_range(off, PRIORITY, 4) || cb(off)) {
        return None;
    }
    common(q, data_and_end(off))
}

/// data and data_end as packet pointers, anything else a scalar.
fn data_and_end(off: i64) -> CtxField {
    if in_range(off, DATA, 4) {
        pkt(RegType::Packet)
    } else if in_range(off, DATA_END, 4) {
        pkt(RegType::PacketEnd)
    } else {
        CtxField::Scalar
    }
}

/// tc_cls_act_is_valid_access() (sched_cls, sched_act).
pub(super) fn tc_cls_act(q: Query) -> Option<CtxField> {
    let off = q.off;
    if q.is_write() {
        let ok = [MARK, TC_INDEX, PRIORITY, TC_CLASSID, QUEUE_MAPPING]
            .iter()
            .any(|&f| in_range(off, f, 4))
            || cb(off)
            || in_range(off, TSTAMP, 8);
        if !ok {
            return None;
        }
    }
    let ty = if in_range(off, DATA_META, 4) {
        pkt(RegType::PacketMeta)
    } else {
        data_and_end(off)
    };
    if family_to_local_port(off) {
        return None;
    }
    if off == TSTAMP_TYPE {
        return (q.size == 1).then_some(CtxField::Scalar);
    }
    common(q, ty)
}

/// sk_skb_is_valid_access(): no mark, writes to tc_index and priority only.
pub(super) fn sk_skb(q: Query) -> Option<CtxField> {
    let off = q.off;
    if in_range(off, TC_CLASSID, 4)
        || in_range(off, DATA_META, 4)
        || in_range(off, TSTAMP, 8)
        || in_range(off, WIRE_LEN, 4)
        || in_range(off, HWTSTAMP, 8)
    {
        return None;
    }
    if q.is_write() && !(in_range(off, TC_INDEX, 4) || in_range(off, PRIORITY, 4)) {
        return None;
    }
    if in_range(off, MARK, 4) {
        return None;
    }
    common(q, data_and_end(off))
}

/// flow_dissector_is_valid_access(): data, data_end and flow_keys only,
/// read-only.
pub(super) fn flow_dissector(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() || q.is_write() {
        return None;
    }
    match off {
        o if in_range(o, DATA, 4) => (!q.ldsx && size == 4).then_some(pkt(RegType::Packet)),
        o if in_range(o, DATA_END, 4) => (!q.ldsx && size == 4).then_some(pkt(RegType::PacketEnd)),
        o if in_range(o, FLOW_KEYS, 8) => (size == 8).then_some(CtxField::Unmodelled(CtxPtr::FlowKeys)),
        _ => None,
    }
}
