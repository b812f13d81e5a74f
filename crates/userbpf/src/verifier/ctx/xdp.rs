//! struct xdp_md (xdp_is_valid_access, net/core/filter.c): read-only
//! 4-byte fields; data, data_end and data_meta are packet pointers;
//! egress_ifindex is for devmap programs only.

use super::{CtxField, CtxProg, Query};
use crate::uapi::types::attach_type as at;
use crate::verifier::reg::RegType;

const SIZE: i64 = 24;
const DATA: i64 = 0;
const DATA_END: i64 = 4;
const DATA_META: i64 = 8;
const EGRESS_IFINDEX: i64 = 20;

pub(super) fn access(p: &CtxProg, q: Query) -> Option<CtxField> {
    let off = q.off;
    if p.expected_attach_type != at::XDP_DEVMAP && off == EGRESS_IFINDEX {
        return None;
    }
    // Writes (rx_queue_index) are for offloaded programs alone.
    if q.is_write() {
        return None;
    }
    let ty = match off {
        DATA => CtxField::Pointer(RegType::Packet),
        DATA_END => CtxField::Pointer(RegType::PacketEnd),
        DATA_META => CtxField::Pointer(RegType::PacketMeta),
        _ => CtxField::Scalar,
    };
    if ty != CtxField::Scalar && q.ldsx {
        return None;
    }
    // __is_valid_xdp_access(): whole words inside the structure.
    ((0..SIZE).contains(&off) && !q.misaligned() && q.size == 4).then_some(ty)
}
