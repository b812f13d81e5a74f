//! struct bpf_sock_ops (sock_ops_is_valid_access, net/core/filter.c):
//! words, two 8-byte counters, the socket and the TCP header as packet
//! pointers; only reply and sk_txhash are writable.

use super::{in_range, narrow_ok, scalar_if, CtxField, CtxPtr, Query};
use crate::verifier::reg::RegType;

// struct bpf_sock_ops (224 bytes).
const SIZE: i64 = 224;
const REPLY: i64 = 4;
const SK_TXHASH: i64 = 164;
/// bytes_received and bytes_acked, two u64s.
const BYTES_RECEIVED: i64 = 168;
const SK: i64 = 184;
const SKB_DATA: i64 = 192;
const SKB_DATA_END: i64 = 200;
const SKB_TCP_FLAGS: i64 = 212;
const SKB_HWTSTAMP: i64 = 216;

pub(super) fn access(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() {
        return None;
    }
    if q.is_write() {
        return scalar_if(matches!(off, REPLY | SK_TXHASH) && size == 4);
    }
    let ptr = |f| (size == 8).then_some(f);
    match off {
        o if in_range(o, BYTES_RECEIVED, 16) => scalar_if(size == 8),
        o if in_range(o, SK, 8) => ptr(CtxField::Unmodelled(CtxPtr::SocketOrNull)),
        o if in_range(o, SKB_DATA, 8) => ptr(CtxField::Pointer(RegType::Packet)),
        o if in_range(o, SKB_DATA_END, 8) => ptr(CtxField::Pointer(RegType::PacketEnd)),
        SKB_TCP_FLAGS => scalar_if(narrow_ok(size, 4)),
        o if in_range(o, SKB_HWTSTAMP, 8) => scalar_if(size == 8),
        _ => scalar_if(size == 4),
    }
}
