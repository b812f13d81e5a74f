//! struct bpf_sock_addr for cgroup_sock_addr programs
//! (sock_addr_is_valid_access, net/core/filter.c): the address fields of
//! the attach point's family, the rest read-only.

use super::{in_range, narrow_ok, scalar_if, wide_ok, CtxField, CtxProg, CtxPtr, Query};
use crate::uapi::types::attach_type as at;

// struct bpf_sock_addr (72 bytes).
const SIZE: i64 = 72;
const USER_FAMILY: i64 = 0;
const USER_IP4: i64 = 4;
const USER_IP6: i64 = 8;
const USER_PORT: i64 = 24;
const FAMILY: i64 = 28;
const TYPE: i64 = 32;
const PROTOCOL: i64 = 36;
const MSG_SRC_IP4: i64 = 40;
const MSG_SRC_IP6: i64 = 44;
const SK: i64 = 64;

/// Whether the attach point's address family owns the field at `off`.
fn family_allows(eat: u32, off: i64) -> bool {
    if in_range(off, USER_IP4, 4) {
        matches!(
            eat,
            at::CGROUP_INET4_BIND
                | at::CGROUP_INET4_CONNECT
                | at::CGROUP_INET4_GETPEERNAME
                | at::CGROUP_INET4_GETSOCKNAME
                | at::CGROUP_UDP4_SENDMSG
                | at::CGROUP_UDP4_RECVMSG
        )
    } else if in_range(off, USER_IP6, 16) {
        matches!(
            eat,
            at::CGROUP_INET6_BIND
                | at::CGROUP_INET6_CONNECT
                | at::CGROUP_INET6_GETPEERNAME
                | at::CGROUP_INET6_GETSOCKNAME
                | at::CGROUP_UDP6_SENDMSG
                | at::CGROUP_UDP6_RECVMSG
        )
    } else if in_range(off, MSG_SRC_IP4, 4) {
        eat == at::CGROUP_UDP4_SENDMSG
    } else if in_range(off, MSG_SRC_IP6, 16) {
        eat == at::CGROUP_UDP6_SENDMSG
    } else {
        true
    }
}

pub(super) fn access(p: &CtxProg, q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() || !family_allows(p.expected_attach_type, off) {
        return None;
    }
    let address = in_range(off, USER_IP4, 4)
        || in_range(off, USER_IP6, 16)
        || in_range(off, MSG_SRC_IP4, 4)
        || in_range(off, MSG_SRC_IP6, 16)
        || in_range(off, USER_PORT, 4);
    if address {
        // 8-byte accesses inside the IPv6 arrays, else words (reads may
        // be narrow).
        let wide = wide_ok(off, size, USER_IP6, 16) || wide_ok(off, size, MSG_SRC_IP6, 16);
        return scalar_if(wide || if q.is_write() { size == 4 } else { narrow_ok(size, 4) });
    }
    match off {
        o if in_range(o, SK, 8) => (!q.is_write() && size == 8).then_some(CtxField::Unmodelled(CtxPtr::Socket)),
        o if in_range(o, USER_FAMILY, 4)
            || in_range(o, FAMILY, 4)
            || in_range(o, TYPE, 4)
            || in_range(o, PROTOCOL, 4) =>
        {
            scalar_if(!q.is_write() && size == 4)
        }
        _ => None,
    }
}
