//! Context access per program type: each type's `is_valid_access` callback
//! (net/core/filter.c, kernel/bpf/cgroup.c, kernel/trace/bpf_trace.c,
//! net/netfilter/nf_bpf_link.c, kernel/bpf/syscall.c): which fields of the
//! context a program may read or write, at which sizes, and what a load
//! yields. This file dispatches by program type and holds the shared
//! rules (bpf_ctx_range, bpf_ctx_narrow_access_ok, bpf_ctx_wide_access_ok);
//! one file per context structure does the rest.
//!
//! The truth is the kernel the project measures against (6.18): every
//! answer here is replayed against the matrix recorded from it
//! (tests/fixtures/ctx_access, test `ctx_access`).

mod cgroup;
mod netfilter;
mod sk_lookup;
mod sk_msg;
mod sk_reuseport;
mod skb;
pub(super) mod sock;
mod sock_addr;
mod sock_ops;
mod tracing;
mod xdp;

use super::reg::RegType;
use crate::uapi::types::prog_type as pt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A pointer kind a context load yields that the verifier's register
/// types do not model yet (enum bpf_reg_type's name in the comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtxPtr {
    /// PTR_TO_TP_BUFFER: a writable raw tracepoint's buffer.
    TpBuffer,
    /// PTR_TO_BTF_ID: netfilter's `bpf_nf_ctx.state` and `.skb`.
    BtfId,
}

impl CtxPtr {
    /// The reason the full verifier stops at such a load.
    pub fn unsupported(self) -> &'static str {
        match self {
            CtxPtr::TpBuffer => "tp_buffer pointers loaded from the context",
            CtxPtr::BtfId => "trusted_ptr_ pointers loaded from the context",
        }
    }
}

/// What a valid context access gives (info->reg_type): for a load, the
/// type of the loaded register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CtxField {
    /// A scalar of the access size.
    Scalar,
    /// A pointer of a modelled kind (packet, socket, flow keys).
    Pointer(RegType),
    /// A pointer kind the verifier does not model yet.
    Unmodelled(CtxPtr),
}

/// The program a context access is checked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CtxProg {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// bpf_capable(): cgroup_skb's packet pointers are for CAP_BPF.
    pub bpf_capable: bool,
}

/// One access: offset into the context, size in bytes, direction, and
/// whether a load sign-extends (BPF_MEMSX: never for packet pointers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    pub off: i64,
    pub size: i64,
    pub access: Access,
    pub ldsx: bool,
}

impl Query {
    #[cfg(test)]
    pub fn read(off: i64, size: i64) -> Query {
        Query {
            off,
            size,
            access: Access::Read,
            ldsx: false,
        }
    }

    #[cfg(test)]
    pub fn write(off: i64, size: i64) -> Query {
        Query {
            off,
            size,
            access: Access::Write,
            ldsx: false,
        }
    }

    fn is_write(&self) -> bool {
        self.access == Access::Write
    }

    /// `off % size != 0` (C's remainder: negative offsets can be aligned).
    fn misaligned(&self) -> bool {
        self.off % self.size != 0
    }
}

/// bpf_ctx_range(): `off` lies in the field `[start, start + len)`.
fn in_range(off: i64, start: i64, len: i64) -> bool {
    off >= start && off < start + len
}

/// bpf_ctx_narrow_access_ok(): a power of two no wider than the field.
fn narrow_ok(size: i64, size_default: i64) -> bool {
    size <= size_default && size.count_ones() == 1
}

/// bpf_ctx_wide_access_ok(): an aligned 8-byte access inside the array
/// field `[start, start + len)`.
fn wide_ok(off: i64, size: i64, start: i64, len: i64) -> bool {
    size == 8 && off >= start && off + 8 <= start + len && off % 8 == 0
}

/// A scalar when `ok`.
fn scalar_if(ok: bool) -> Option<CtxField> {
    ok.then_some(CtxField::Scalar)
}

/// Whether this verifier knows the program type's context. The BTF-typed
/// contexts (tracing, lsm, struct_ops, ext: btf_ctx_access over the
/// attach target's prototype) and lirc_mode2 (no driver here) are not.
pub fn supported(prog_type: u32) -> bool {
    matches!(
        prog_type,
        pt::SOCKET_FILTER
            | pt::KPROBE
            | pt::SCHED_CLS
            | pt::SCHED_ACT
            | pt::TRACEPOINT
            | pt::XDP
            | pt::PERF_EVENT
            | pt::CGROUP_SKB
            | pt::CGROUP_SOCK
            | pt::LWT_IN
            | pt::LWT_OUT
            | pt::LWT_XMIT
            | pt::SOCK_OPS
            | pt::SK_SKB
            | pt::CGROUP_DEVICE
            | pt::SK_MSG
            | pt::RAW_TRACEPOINT
            | pt::CGROUP_SOCK_ADDR
            | pt::LWT_SEG6LOCAL
            | pt::SK_REUSEPORT
            | pt::FLOW_DISSECTOR
            | pt::CGROUP_SYSCTL
            | pt::RAW_TRACEPOINT_WRITABLE
            | pt::CGROUP_SOCKOPT
            | pt::SK_LOOKUP
            | pt::SYSCALL
            | pt::NETFILTER
    )
}

/// The program type's is_valid_access(): None when the kernel says
/// `invalid bpf_context access`. Only for [`supported`] types.
pub fn access(p: &CtxProg, q: Query) -> Option<CtxField> {
    match p.prog_type {
        pt::SOCKET_FILTER => skb::sk_filter(q),
        pt::SCHED_CLS | pt::SCHED_ACT => skb::tc_cls_act(q),
        pt::CGROUP_SKB => skb::cg_skb(p, q),
        pt::LWT_IN | pt::LWT_OUT | pt::LWT_XMIT | pt::LWT_SEG6LOCAL => skb::lwt(q),
        pt::SK_SKB => skb::sk_skb(q),
        pt::FLOW_DISSECTOR => skb::flow_dissector(q),
        pt::XDP => xdp::access(p, q),
        pt::CGROUP_SOCK => sock::sock_filter(p, q),
        pt::CGROUP_SOCK_ADDR => sock_addr::access(p, q),
        pt::SOCK_OPS => sock_ops::access(q),
        pt::SK_MSG => sk_msg::access(q),
        pt::SK_REUSEPORT => sk_reuseport::access(q),
        pt::SK_LOOKUP => sk_lookup::access(q),
        pt::CGROUP_DEVICE => cgroup::device(q),
        pt::CGROUP_SYSCTL => cgroup::sysctl(q),
        pt::CGROUP_SOCKOPT => cgroup::sockopt(p, q),
        pt::NETFILTER => netfilter::access(q),
        pt::KPROBE => tracing::kprobe(q),
        pt::TRACEPOINT => tracing::tracepoint(q),
        pt::RAW_TRACEPOINT => tracing::raw_tp(q),
        pt::RAW_TRACEPOINT_WRITABLE => tracing::raw_tp_writable(q),
        pt::PERF_EVENT => tracing::perf_event(q),
        pt::SYSCALL => tracing::syscall(q),
        _ => None,
    }
}

/// check_return_code(): the range R0 must lie in at exit, if any.
pub fn return_range(prog_type: u32, expected_attach_type: u32) -> Option<(i64, i64)> {
    use crate::uapi::types::attach_type as at;
    match prog_type {
        pt::CGROUP_SKB if expected_attach_type == at::CGROUP_INET_EGRESS => Some((0, 3)),
        pt::CGROUP_SOCK_ADDR => Some(match expected_attach_type {
            at::CGROUP_UDP4_RECVMSG
            | at::CGROUP_UDP6_RECVMSG
            | at::CGROUP_UNIX_RECVMSG
            | at::CGROUP_INET4_GETPEERNAME
            | at::CGROUP_INET6_GETPEERNAME
            | at::CGROUP_UNIX_GETPEERNAME
            | at::CGROUP_INET4_GETSOCKNAME
            | at::CGROUP_INET6_GETSOCKNAME
            | at::CGROUP_UNIX_GETSOCKNAME => (1, 1),
            at::CGROUP_INET4_BIND | at::CGROUP_INET6_BIND => (0, 3),
            _ => (0, 1),
        }),
        pt::CGROUP_SKB
        | pt::CGROUP_SOCK
        | pt::CGROUP_DEVICE
        | pt::CGROUP_SYSCTL
        | pt::CGROUP_SOCKOPT
        | pt::SOCK_OPS
        | pt::SK_LOOKUP
        // NF_DROP..NF_ACCEPT.
        | pt::NETFILTER => Some((0, 1)),
        _ => None,
    }
}

/// may_access_skb(): the types that may use LD_ABS/LD_IND.
pub fn may_access_skb(prog_type: u32) -> bool {
    matches!(prog_type, pt::SOCKET_FILTER | pt::SCHED_CLS | pt::SCHED_ACT)
}

/// may_access_direct_pkt_data() for a store: the types that may write
/// their packet (cgroup_sockopt's packet is the option value).
pub fn may_write_packet(prog_type: u32) -> bool {
    matches!(
        prog_type,
        pt::SCHED_CLS | pt::SCHED_ACT | pt::XDP | pt::LWT_XMIT | pt::SK_SKB | pt::SK_MSG | pt::CGROUP_SOCKOPT
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prog(prog_type: u32) -> CtxProg {
        CtxProg {
            prog_type,
            expected_attach_type: 0,
            bpf_capable: true,
        }
    }

    #[test]
    fn socket_filter_fields() {
        let sf = |q| access(&prog(pt::SOCKET_FILTER), q);
        assert_eq!(sf(Query::read(0, 4)), Some(CtxField::Scalar), "len");
        assert_eq!(sf(Query::read(0, 2)), Some(CtxField::Scalar), "narrow len");
        assert_eq!(sf(Query::read(0, 8)), None, "wide len");
        assert_eq!(sf(Query::write(0, 4)), None, "len is read-only");
        assert_eq!(sf(Query::write(48, 4)), Some(CtxField::Scalar), "cb[0]");
        assert_eq!(sf(Query::read(76, 4)), None, "data is for tc");
        assert_eq!(sf(Query::read(1000, 4)), None);
        assert_eq!(sf(Query::read(2, 4)), None, "misaligned");
    }

    #[test]
    fn packet_pointers() {
        assert_eq!(
            access(&prog(pt::SCHED_CLS), Query::read(76, 4)),
            Some(CtxField::Pointer(RegType::Packet))
        );
        assert_eq!(
            access(&prog(pt::XDP), Query::read(4, 4)),
            Some(CtxField::Pointer(RegType::PacketEnd))
        );
        assert_eq!(access(&prog(pt::XDP), Query::read(0, 8)), None);
        let sx = Query {
            ldsx: true,
            ..Query::read(0, 4)
        };
        assert_eq!(access(&prog(pt::XDP), sx), None, "no sign-extended packet pointer");
        assert_eq!(
            access(&prog(pt::XDP), Query::read(20, 4)),
            None,
            "egress_ifindex needs devmap"
        );
    }

    #[test]
    fn socket_and_flow_key_pointers() {
        assert_eq!(
            access(&prog(pt::SOCKET_FILTER), Query::read(168, 8)),
            Some(CtxField::Pointer(RegType::SockCommonOrNull))
        );
        assert_eq!(
            access(&prog(pt::FLOW_DISSECTOR), Query::read(144, 8)),
            Some(CtxField::Pointer(RegType::FlowKeys))
        );
    }
}
