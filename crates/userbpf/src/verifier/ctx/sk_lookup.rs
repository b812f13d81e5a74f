//! struct bpf_sk_lookup (sk_lookup_is_valid_access, net/core/filter.c):
//! read-only; the socket, words allowing narrow reads, and remote_port (a
//! 2-byte field also read as a word) with its zero padding.

use super::{in_range, narrow_ok, scalar_if, CtxField, CtxPtr, Query};

// struct bpf_sk_lookup (72 bytes).
const SIZE: i64 = 72;
const SK: i64 = 0;
const FAMILY: i64 = 8;
const PROTOCOL: i64 = 12;
const REMOTE_IP4: i64 = 16;
const REMOTE_IP6: i64 = 20;
const REMOTE_PORT: i64 = 36;
const REMOTE_PORT_PAD: i64 = 38;
const LOCAL_IP4: i64 = 40;
const LOCAL_IP6: i64 = 44;
const LOCAL_PORT: i64 = 60;
const INGRESS_IFINDEX: i64 = 64;

pub(super) fn access(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() || q.is_write() {
        return None;
    }
    let words = [
        (FAMILY, 4),
        (PROTOCOL, 4),
        (REMOTE_IP4, 4),
        (LOCAL_IP4, 4),
        (REMOTE_IP6, 16),
        (LOCAL_IP6, 16),
    ];
    match off {
        o if in_range(o, SK, 8) => (size == 8).then_some(CtxField::Unmodelled(CtxPtr::SocketOrNull)),
        o if words.iter().any(|&(f, n)| in_range(o, f, n))
            || in_range(o, LOCAL_PORT, 4)
            || in_range(o, INGRESS_IFINDEX, 4) =>
        {
            scalar_if(narrow_ok(size, 4))
        }
        o if in_range(o, REMOTE_PORT, 2) => scalar_if(size == 4 || narrow_ok(size, 2)),
        o if (REMOTE_PORT_PAD..LOCAL_IP4).contains(&o) => scalar_if(narrow_ok(size, 2)),
        _ => None,
    }
}
