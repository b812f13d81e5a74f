//! struct sk_msg_md (sk_msg_is_valid_access, net/core/filter.c): read-only
//! words, the message as packet pointers and the socket.

use super::{in_range, scalar_if, CtxField, CtxPtr, Query};
use crate::verifier::reg::RegType;

// struct sk_msg_md (80 bytes).
const DATA: i64 = 0;
const DATA_END: i64 = 8;
/// family .. size: 4-byte fields.
const FAMILY: i64 = 16;
const SIZE_END: i64 = 72;
const SK: i64 = 72;

pub(super) fn access(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if q.is_write() || q.misaligned() {
        return None;
    }
    let ptr = |f| (size == 8).then_some(f);
    match off {
        o if in_range(o, DATA, 8) => ptr(CtxField::Pointer(RegType::Packet)),
        o if in_range(o, DATA_END, 8) => ptr(CtxField::Pointer(RegType::PacketEnd)),
        o if in_range(o, SK, 8) => ptr(CtxField::Unmodelled(CtxPtr::Socket)),
        o if (FAMILY..SIZE_END).contains(&o) => scalar_if(size == 4),
        _ => None,
    }
}
