//! Which helper a program may call, and with which prototype: each program
//! type's `get_func_proto` (the `bpf_verifier_ops` of its type), one
//! function per kernel function, as Linux 6.18 decides on the recording
//! host (tests/fixtures/helpers/availability.json).
//!
//! The kernel's functions return the prototype variable (`&bpf_skb_load_bytes_proto`
//! for tc, `&bpf_flow_dissector_load_bytes_proto` for the flow dissector):
//! so do these, the catalogue's static of that name ([`FuncProto`]). NULL there is
//! `None` here, and check_helper_call turns it into "program of this type
//! cannot use helper".
//!
//! Files by the kernel's: base.rs (kernel/bpf/helpers.c bpf_base_func_proto,
//! cgroup.c's common parts), net.rs (net/core/filter.c, skb and xdp
//! types), sock.rs (filter.c, socket types), cgroup.rs (kernel/bpf/cgroup.c
//! device, sysctl, sockopt), trace.rs (kernel/trace/bpf_trace.c), other.rs
//! (lsm, syscall, netfilter, struct_ops, lirc).

mod base;
mod cgroup;
mod net;
mod other;
mod sock;
mod trace;

#[cfg(test)]
mod tests;

use crate::helpers::proto::Proto;
use crate::uapi::helper_ids::HELPER_COUNT;
use crate::uapi::types::prog_type as pt;

/// What a get_func_proto returns: the kernel's prototype variable (the
/// catalogue's static of the same name, [`crate::helpers::proto`]); None
/// is NULL.
pub type FuncProto = Option<&'static Proto>;

/// `proto!(BPF_X_PROTO)`: get_func_proto's `return &bpf_x_proto;`.
macro_rules! proto {
    ($name:ident) => {
        Some(&crate::helpers::proto::$name)
    };
}
pub(crate) use proto;

/// The capabilities the helpers' tiers test (bpf_token_capable and
/// capable() in the kernel; no tokens exist here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caps {
    /// bpf_capable(): CAP_BPF or CAP_SYS_ADMIN.
    pub bpf: bool,
    /// perfmon_capable(): CAP_PERFMON or CAP_SYS_ADMIN.
    pub perfmon: bool,
    /// CAP_SYS_ADMIN itself.
    pub sys_admin: bool,
}

/// What a load names as its attach target (attach_btf_id), when the
/// answer depends on it. The load path resolves no BTF attach target yet
/// (a bare attach_btf_id fails there), so only the replay names one.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// A BTF function or typedef by name (`bpf_lsm_socket_bind`, `bpf_iter_task`).
    Func(&'a str),
    /// A struct_ops member: the struct's name and the member's.
    StructOpsMember { ops: &'a str, member: &'a str },
}

/// The program facts every get_func_proto reads (prog->type,
/// prog->expected_attach_type, prog->sleepable, prog->aux->token's
/// capabilities, prog->aux->attach_btf_id).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgFacts<'a> {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    pub sleepable: bool,
    pub caps: Caps,
    pub target: Option<Target<'a>>,
}

impl ProgFacts<'_> {
    /// The attach target's function name, if it is one.
    fn target_func(&self) -> Option<&str> {
        match self.target {
            Some(Target::Func(name)) => Some(name),
            _ => None,
        }
    }
}

/// The recording host's kernel build, where it changes an answer
/// (Kconfig and the lockdown mode). Kept in one place so that another
/// build is one edit.
pub(crate) mod host {
    /// CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY: LOCKDOWN_BPF_WRITE_USER
    /// refuses bpf_probe_write_user; reading kernel memory
    /// (confidentiality) stays allowed.
    pub const LOCKDOWN_BPF_WRITE_USER: bool = true;
    pub const LOCKDOWN_BPF_READ_KERNEL: bool = false;
    /// CONFIG_BPF_KPROBE_OVERRIDE (needs CONFIG_KPROBES, unset).
    pub const KPROBE_OVERRIDE: bool = false;
    /// CONFIG_IPV6_SEG6_BPF (unset).
    pub const IPV6_SEG6_BPF: bool = false;
    /// XDP programs may call bpf_xdp_adjust_meta: 6.12's xdp_func_proto
    /// offers it, the recorded 6.18 host refuses it ("program of this
    /// type cannot use helper") for every XDP attach type and with
    /// BPF_F_XDP_HAS_FRAGS; why is not established (no 6.18 source here).
    pub const XDP_ADJUST_META: bool = false;
}

/// `env->ops->get_func_proto(func_id, prog)`, by the program's type. A
/// type without get_func_proto (bpf_dummy_ops's struct_ops, unknown
/// types) returns None for every helper, as get_helper_proto's -EINVAL.
/// Ids outside 0..__BPF_FUNC_MAX_ID are the caller's ("invalid func").
pub fn get_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    if !(0..HELPER_COUNT as i32).contains(&id) {
        return None;
    }
    match prog.prog_type {
        pt::SOCKET_FILTER => net::sk_filter_func_proto(id, prog),
        pt::KPROBE => trace::kprobe_prog_func_proto(id, prog),
        pt::SCHED_CLS | pt::SCHED_ACT => net::tc_cls_act_func_proto(id, prog),
        pt::TRACEPOINT => trace::tp_prog_func_proto(id, prog),
        pt::XDP => net::xdp_func_proto(id, prog),
        pt::PERF_EVENT => trace::pe_prog_func_proto(id, prog),
        pt::CGROUP_SKB => net::cg_skb_func_proto(id, prog),
        pt::CGROUP_SOCK => sock::sock_filter_func_proto(id, prog),
        pt::LWT_IN => net::lwt_in_func_proto(id, prog),
        pt::LWT_OUT => net::lwt_out_func_proto(id, prog),
        pt::LWT_XMIT => net::lwt_xmit_func_proto(id, prog),
        pt::LWT_SEG6LOCAL => net::lwt_seg6local_func_proto(id, prog),
        pt::SOCK_OPS => sock::sock_ops_func_proto(id, prog),
        pt::SK_SKB => sock::sk_skb_func_proto(id, prog),
        pt::CGROUP_DEVICE => cgroup::cgroup_dev_func_proto(id, prog),
        pt::SK_MSG => sock::sk_msg_func_proto(id, prog),
        pt::RAW_TRACEPOINT | pt::RAW_TRACEPOINT_WRITABLE => trace::raw_tp_prog_func_proto(id, prog),
        pt::CGROUP_SOCK_ADDR => sock::sock_addr_func_proto(id, prog),
        pt::LIRC_MODE2 => other::lirc_mode2_func_proto(id, prog),
        pt::SK_REUSEPORT => sock::sk_reuseport_func_proto(id, prog),
        pt::FLOW_DISSECTOR => net::flow_dissector_func_proto(id, prog),
        pt::CGROUP_SYSCTL => cgroup::sysctl_func_proto(id, prog),
        pt::CGROUP_SOCKOPT => cgroup::cg_sockopt_func_proto(id, prog),
        pt::TRACING => trace::tracing_prog_func_proto(id, prog),
        pt::STRUCT_OPS => other::struct_ops_func_proto(id, prog),
        pt::LSM => other::bpf_lsm_func_proto(id, prog),
        pt::SK_LOOKUP => sock::sk_lookup_func_proto(id, prog),
        pt::SYSCALL => other::syscall_prog_func_proto(id, prog),
        pt::NETFILTER => other::bpf_nf_func_proto(id, prog),
        // EXT takes its target program's type (resolve_prog_type): the
        // caller passes that type instead.
        _ => None,
    }
}
