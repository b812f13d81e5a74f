//! The cgroup contexts of kernel/bpf/cgroup.c: struct bpf_cgroup_dev_ctx
//! (cgroup_dev_is_valid_access), struct bpf_sysctl (sysctl_is_valid_access)
//! and struct bpf_sockopt (cg_sockopt_is_valid_access).

use super::{in_range, narrow_ok, scalar_if, CtxField, CtxProg, CtxPtr, Query};
use crate::uapi::types::attach_type as at;
use crate::verifier::reg::RegType;

/// struct bpf_cgroup_dev_ctx (12 bytes): access_type (narrow reads), major,
/// minor; read-only.
pub(super) fn device(q: Query) -> Option<CtxField> {
    const SIZE: i64 = 12;
    const ACCESS_TYPE: i64 = 0;
    let (off, size) = (q.off, q.size);
    if q.is_write() || off < 0 || off + size > SIZE || q.misaligned() {
        return None;
    }
    if in_range(off, ACCESS_TYPE, 4) {
        scalar_if(narrow_ok(size, 4))
    } else {
        scalar_if(size == 4)
    }
}

/// struct bpf_sysctl (8 bytes): write (read-only), file_pos (narrow reads,
/// word writes).
pub(super) fn sysctl(q: Query) -> Option<CtxField> {
    const SIZE: i64 = 8;
    const WRITE: i64 = 0;
    const FILE_POS: i64 = 4;
    let (off, size) = (q.off, q.size);
    if off < 0 || off + size > SIZE || q.misaligned() {
        return None;
    }
    match off {
        o if in_range(o, WRITE, 4) => scalar_if(!q.is_write() && narrow_ok(size, 4)),
        o if in_range(o, FILE_POS, 4) => scalar_if(if q.is_write() { size == 4 } else { narrow_ok(size, 4) }),
        _ => None,
    }
}

/// struct bpf_sockopt (40 bytes): the socket, the option value as packet
/// pointers, level/optname (written by setsockopt programs), optlen,
/// retval (getsockopt programs).
pub(super) fn sockopt(p: &CtxProg, q: Query) -> Option<CtxField> {
    const SIZE: i64 = 40;
    const SK: i64 = 0;
    const OPTVAL: i64 = 8;
    const OPTVAL_END: i64 = 16;
    const LEVEL: i64 = 24;
    const OPTNAME: i64 = 28;
    const OPTLEN: i64 = 32;
    const RETVAL: i64 = 36;
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() {
        return None;
    }
    let get = p.expected_attach_type == at::CGROUP_GETSOCKOPT;
    let set = p.expected_attach_type == at::CGROUP_SETSOCKOPT;
    if q.is_write() {
        return scalar_if(match off {
            RETVAL => size == 4 && get,
            OPTNAME | LEVEL => size == 4 && set,
            OPTLEN => size == 4,
            _ => false,
        });
    }
    let ptr = |f| (size == 8).then_some(f);
    match off {
        o if in_range(o, SK, 8) => ptr(CtxField::Unmodelled(CtxPtr::Socket)),
        o if in_range(o, OPTVAL, 8) => ptr(CtxField::Pointer(RegType::Packet)),
        o if in_range(o, OPTVAL_END, 8) => ptr(CtxField::Pointer(RegType::PacketEnd)),
        o if in_range(o, RETVAL, 4) => scalar_if(size == 4 && get),
        _ => scalar_if(size == 4),
    }
}
