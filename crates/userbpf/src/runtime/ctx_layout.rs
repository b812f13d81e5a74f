//! How a program's context looks in guest memory.
//!
//! The context region starts with the uapi struct the program was verified
//! against (`struct __sk_buff`, `struct xdp_md`), so scalar fields are read
//! and written in place. The uapi's packet pointers (`data`, `data_end`,
//! `data_meta`) are 32-bit fields, too narrow for a 64-bit guest address,
//! so, as the kernel's `convert_ctx_accesses()` rewrites them into loads of
//! the real `sk_buff`/`xdp_buff` pointers, ours rewrite them into 64-bit
//! loads of *shadow* slots placed after the uapi struct. The verifier never
//! lets a program reach the shadow slots directly: they lie past the uapi
//! struct's size.

use crate::uapi::types::prog_type as pt;

/// The shadow slots of a context with packet pointers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtxLayout {
    /// Size of the uapi struct (what ctx_in/ctx_out carry).
    pub uapi_size: usize,
    /// Offset of the 64-bit `data` shadow slot.
    pub data: usize,
    /// Offset of the 64-bit `data_end` shadow slot.
    pub data_end: usize,
    /// Offset of the 64-bit `data_meta` shadow slot.
    pub data_meta: usize,
    /// (uapi offset, shadow offset) of each pointer field.
    pub pointer_fields: [(i16, i16); 3],
    /// Size of the whole context region.
    pub region_size: usize,
    /// A pointer field (8 bytes) the driver points at a part of the
    /// context region itself: (field offset, target offset). The flow
    /// dissector's `flow_keys` points at its `struct bpf_flow_keys`.
    pub self_pointer: Option<(usize, usize)>,
}

impl CtxLayout {
    /// A uapi struct of `uapi_size` bytes whose `data`, `data_end` and
    /// `data_meta` fields (at these offsets) are shadowed, in that order,
    /// by the three 64-bit slots right after it.
    const fn shadowed(uapi_size: usize, data: usize, data_end: usize, data_meta: usize) -> CtxLayout {
        let shadow = uapi_size as i16;
        CtxLayout {
            uapi_size,
            data: uapi_size,
            data_end: uapi_size + 8,
            data_meta: uapi_size + 16,
            pointer_fields: [
                (data as i16, shadow),
                (data_end as i16, shadow + 8),
                (data_meta as i16, shadow + 16),
            ],
            region_size: uapi_size + 24,
            self_pointer: None,
        }
    }
}

/// `struct __sk_buff` offsets the runtime uses; the whole uapi layout, so
/// some fields no conversion reads yet.
#[allow(dead_code)]
pub mod skb {
    pub const LEN: usize = 0;
    pub const PKT_TYPE: usize = 4;
    pub const MARK: usize = 8;
    pub const QUEUE_MAPPING: usize = 12;
    pub const PROTOCOL: usize = 16;
    pub const VLAN_PRESENT: usize = 20;
    pub const VLAN_TCI: usize = 24;
    pub const VLAN_PROTO: usize = 28;
    pub const PRIORITY: usize = 32;
    pub const INGRESS_IFINDEX: usize = 36;
    pub const IFINDEX: usize = 40;
    pub const TC_INDEX: usize = 44;
    pub const CB: usize = 48;
    pub const HASH: usize = 68;
    pub const TC_CLASSID: usize = 72;
    pub const DATA: usize = 76;
    pub const DATA_END: usize = 80;
    pub const NAPI_ID: usize = 84;
    pub const FAMILY: usize = 88;
    pub const REMOTE_IP4: usize = 92;
    pub const LOCAL_IP4: usize = 96;
    pub const REMOTE_IP6: usize = 100;
    pub const LOCAL_IP6: usize = 116;
    pub const DATA_META: usize = 140;
    pub const FLOW_KEYS: usize = 144;
    pub const TSTAMP: usize = 152;
    pub const WIRE_LEN: usize = 160;
    pub const GSO_SEGS: usize = 164;
    pub const GSO_SIZE: usize = 176;
    pub const TSTAMP_TYPE: usize = 180;
    pub const HWTSTAMP: usize = 184;
    pub const SIZE: usize = 192;
}

/// `struct xdp_md` offsets.
pub mod xdp {
    pub const DATA: usize = 0;
    pub const DATA_END: usize = 4;
    pub const DATA_META: usize = 8;
    pub const INGRESS_IFINDEX: usize = 12;
    pub const RX_QUEUE_INDEX: usize = 16;
    pub const EGRESS_IFINDEX: usize = 20;
    pub const SIZE: usize = 24;
}

pub const SKB: CtxLayout = CtxLayout::shadowed(skb::SIZE, skb::DATA, skb::DATA_END, skb::DATA_META);

/// sizeof(struct bpf_flow_keys).
pub const FLOW_KEYS_SIZE: usize = 56;

/// The flow dissector's `__sk_buff`: data, data_end and `flow_keys`, which
/// points at the flow keys kept after the shadow slots.
pub const FLOW_DISSECTOR: CtxLayout = CtxLayout {
    self_pointer: Some((skb::FLOW_KEYS, skb::SIZE + 24)),
    region_size: skb::SIZE + 24 + FLOW_KEYS_SIZE,
    ..SKB
};

pub const XDP: CtxLayout = CtxLayout::shadowed(xdp::SIZE, xdp::DATA, xdp::DATA_END, xdp::DATA_META);

/// Program types whose context is a `struct __sk_buff` over an skb.
pub fn is_skb_type(prog_type: u32) -> bool {
    matches!(
        prog_type,
        pt::SOCKET_FILTER | pt::SCHED_CLS | pt::SCHED_ACT | pt::CGROUP_SKB | pt::LWT_IN | pt::LWT_OUT | pt::LWT_XMIT
    )
}

/// The layout of a program type's context, where it has packet pointers.
pub fn layout(prog_type: u32) -> Option<&'static CtxLayout> {
    match prog_type {
        t if is_skb_type(t) => Some(&SKB),
        pt::XDP => Some(&XDP),
        pt::FLOW_DISSECTOR => Some(&FLOW_DISSECTOR),
        _ => None,
    }
}
