//! struct sk_reuseport_md (sk_reuseport_is_valid_access,
//! net/core/filter.c): read-only; the packet, the sockets and words that
//! allow narrow reads.

use super::{in_range, narrow_ok, scalar_if, CtxField, CtxPtr, Query};
use crate::verifier::reg::RegType;

// struct sk_reuseport_md (56 bytes).
const SIZE: i64 = 56;
const DATA: i64 = 0;
const DATA_END: i64 = 8;
const LEN: i64 = 16;
const ETH_PROTOCOL: i64 = 20;
const IP_PROTOCOL: i64 = 24;
const BIND_INANY: i64 = 28;
const HASH: i64 = 32;
const SK: i64 = 40;
const MIGRATING_SK: i64 = 48;

pub(super) fn access(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() || q.is_write() {
        return None;
    }
    let ptr = |f| (size == 8).then_some(f);
    match off {
        DATA => ptr(CtxField::Pointer(RegType::Packet)),
        DATA_END => ptr(CtxField::Pointer(RegType::PacketEnd)),
        HASH => scalar_if(size == 4),
        SK => ptr(CtxField::Unmodelled(CtxPtr::Socket)),
        MIGRATING_SK => ptr(CtxField::Unmodelled(CtxPtr::SockCommonOrNull)),
        // eth_protocol is read from the 2-byte skb->protocol.
        o if in_range(o, ETH_PROTOCOL, 4) => scalar_if(size >= 2 && narrow_ok(size, 4)),
        o if in_range(o, IP_PROTOCOL, 4) || in_range(o, BIND_INANY, 4) || in_range(o, LEN, 4) => {
            scalar_if(narrow_ok(size, 4))
        }
        _ => None,
    }
}
