//! struct bpf_sock for cgroup_sock programs (bpf_sock_is_valid_access and
//! __sock_filter_check_attach_type, net/core/filter.c): which fields each
//! attach point may read, and the three create/release may write.

use super::{in_range, narrow_ok, scalar_if, CtxProg, Query};
use crate::uapi::types::attach_type as at;

// struct bpf_sock (80 bytes).
const SIZE: i64 = 80;
const BOUND_DEV_IF: i64 = 0;
const FAMILY: i64 = 4;
const TYPE: i64 = 8;
const PROTOCOL: i64 = 12;
const MARK: i64 = 16;
const PRIORITY: i64 = 20;
const SRC_IP4: i64 = 24;
const SRC_IP6: i64 = 28;
const SRC_PORT: i64 = 44;
const DST_PORT: i64 = 48;
/// The 2-byte padding after dst_port.
const DST_PORT_PAD: i64 = 50;
const DST_IP4: i64 = 52;
const DST_IP6: i64 = 56;
const STATE: i64 = 72;
const RX_QUEUE_MAPPING: i64 = 76;

/// bpf_sock_is_valid_access(): the fields' sizes.
pub(super) fn bpf_sock_ok(q: Query) -> bool {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() {
        return false;
    }
    match off {
        STATE | FAMILY | TYPE | PROTOCOL | SRC_PORT | RX_QUEUE_MAPPING => narrow_ok(size, 4),
        o if in_range(o, SRC_IP4, 4)
            || in_range(o, SRC_IP6, 16)
            || in_range(o, DST_IP4, 4)
            || in_range(o, DST_IP6, 16) =>
        {
            narrow_ok(size, 4)
        }
        // dst_port is 2 bytes, read whole as 4 for compatibility.
        o if in_range(o, DST_PORT, 2) => narrow_ok(size, if size == 4 { 4 } else { 2 }),
        o if (DST_PORT_PAD..DST_IP4).contains(&o) => false,
        _ => size == 4,
    }
}

/// sock_filter_is_valid_access(): the sizes, then what the attach point
/// may touch.
pub(super) fn sock_filter(p: &CtxProg, q: Query) -> Option<super::CtxField> {
    if !bpf_sock_ok(q) {
        return None;
    }
    let eat = p.expected_attach_type;
    let off = q.off;
    let read_only = !q.is_write();
    let ok = match off {
        BOUND_DEV_IF | MARK | PRIORITY => {
            matches!(eat, at::CGROUP_INET_SOCK_CREATE | at::CGROUP_INET_SOCK_RELEASE)
        }
        o if in_range(o, SRC_IP4, 4) => eat == at::CGROUP_INET4_POST_BIND && read_only,
        o if in_range(o, SRC_IP6, 16) => eat == at::CGROUP_INET6_POST_BIND && read_only,
        o if in_range(o, SRC_PORT, 4) => {
            matches!(eat, at::CGROUP_INET4_POST_BIND | at::CGROUP_INET6_POST_BIND) && read_only
        }
        _ => read_only,
    };
    scalar_if(ok)
}
