//! The remaining types: lsm (kernel/bpf/bpf_lsm.c), syscall
//! (kernel/bpf/syscall.c), netfilter (net/netfilter/nf_bpf_link.c),
//! struct_ops (each struct's verifier_ops: net/ipv4/bpf_tcp_ca.c,
//! net/bpf/bpf_dummy_struct_ops.c) and lirc_mode2.

use super::base::{bpf_base_func_proto, cgroup_common_func_proto};
use super::trace::{has_trampoline, tracing_prog_func_proto};
use super::{proto, FuncProto, ProgFacts, Target};
use crate::uapi::helper_ids::func::*;
use crate::uapi::types::attach_type as at;

/// bpf_lsm_locked_sockopt_hooks: LSM hooks that run with the socket
/// locked (CONFIG_SECURITY_NETWORK).
const LOCKED_SOCKOPT_HOOKS: &[&str] = &[
    "bpf_lsm_sock_graft",
    "bpf_lsm_inet_csk_clone",
    "bpf_lsm_inet_conn_established",
];
/// bpf_lsm_unlocked_sockopt_hooks: unlocked, but the socket is still
/// being set up.
const UNLOCKED_SOCKOPT_HOOKS: &[&str] = &["bpf_lsm_socket_post_create", "bpf_lsm_socket_socketpair"];

/// bpf_lsm_func_proto(): BPF_PROG_TYPE_LSM (lsm_mac and lsm_cgroup).
pub(super) fn bpf_lsm_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    let cgroup = prog.expected_attach_type == at::LSM_CGROUP;
    if cgroup {
        if let Some(p) = cgroup_common_func_proto(id, prog) {
            return Some(p);
        }
    }
    let hook = prog.target_func().unwrap_or("");
    let locked = LOCKED_SOCKOPT_HOOKS.contains(&hook);
    let unlocked = UNLOCKED_SOCKOPT_HOOKS.contains(&hook);
    match id {
        BPF_FUNC_INODE_STORAGE_GET => proto!(BPF_INODE_STORAGE_GET_PROTO),
        BPF_FUNC_INODE_STORAGE_DELETE => proto!(BPF_INODE_STORAGE_DELETE_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_SPIN_LOCK => proto!(BPF_SPIN_LOCK_PROTO),
        BPF_FUNC_SPIN_UNLOCK => proto!(BPF_SPIN_UNLOCK_PROTO),
        BPF_FUNC_BPRM_OPTS_SET => proto!(BPF_BPRM_OPTS_SET_PROTO),
        BPF_FUNC_IMA_INODE_HASH => proto!(BPF_IMA_INODE_HASH_PROTO),
        BPF_FUNC_IMA_FILE_HASH => proto!(BPF_IMA_FILE_HASH_PROTO),
        BPF_FUNC_GET_ATTACH_COOKIE if has_trampoline(prog) => proto!(BPF_GET_ATTACH_COOKIE_PROTO),
        BPF_FUNC_GET_ATTACH_COOKIE => None,
        BPF_FUNC_SETSOCKOPT if cgroup && locked => proto!(BPF_SK_SETSOCKOPT_PROTO),
        BPF_FUNC_SETSOCKOPT if cgroup && unlocked => proto!(BPF_UNLOCKED_SK_SETSOCKOPT_PROTO),
        BPF_FUNC_GETSOCKOPT if cgroup && locked => proto!(BPF_SK_GETSOCKOPT_PROTO),
        BPF_FUNC_GETSOCKOPT if cgroup && unlocked => proto!(BPF_UNLOCKED_SK_GETSOCKOPT_PROTO),
        BPF_FUNC_SETSOCKOPT | BPF_FUNC_GETSOCKOPT => None,
        _ => tracing_prog_func_proto(id, prog),
    }
}

/// syscall_prog_func_proto(): BPF_PROG_TYPE_SYSCALL.
pub(super) fn syscall_prog_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match id {
        BPF_FUNC_SYS_BPF if prog.caps.perfmon => proto!(BPF_SYS_BPF_PROTO),
        BPF_FUNC_SYS_BPF => None,
        BPF_FUNC_BTF_FIND_BY_NAME_KIND => proto!(BPF_BTF_FIND_BY_NAME_KIND_PROTO),
        BPF_FUNC_SYS_CLOSE => proto!(BPF_SYS_CLOSE_PROTO),
        BPF_FUNC_KALLSYMS_LOOKUP_NAME => proto!(BPF_KALLSYMS_LOOKUP_NAME_PROTO),
        _ => tracing_prog_func_proto(id, prog),
    }
}

/// bpf_nf_func_proto(): BPF_PROG_TYPE_NETFILTER, the base set alone.
pub(super) fn bpf_nf_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    bpf_base_func_proto(id, prog)
}

/// bpf_tcp_ca_get_func_proto(): tcp_congestion_ops members; release()
/// may not set or get socket options (the congestion control is retiring).
fn bpf_tcp_ca_get_func_proto(id: i32, prog: &ProgFacts<'_>, member: &str) -> FuncProto {
    let release = member == "release";
    match id {
        BPF_FUNC_TCP_SEND_ACK => proto!(BPF_TCP_SEND_ACK_PROTO),
        BPF_FUNC_SK_STORAGE_GET => proto!(BPF_SK_STORAGE_GET_PROTO),
        BPF_FUNC_SK_STORAGE_DELETE => proto!(BPF_SK_STORAGE_DELETE_PROTO),
        BPF_FUNC_SETSOCKOPT if !release => proto!(BPF_SK_SETSOCKOPT_PROTO),
        BPF_FUNC_GETSOCKOPT if !release => proto!(BPF_SK_GETSOCKOPT_PROTO),
        BPF_FUNC_SETSOCKOPT | BPF_FUNC_GETSOCKOPT => None,
        BPF_FUNC_KTIME_GET_COARSE_NS => proto!(BPF_KTIME_GET_COARSE_NS_PROTO),
        _ => bpf_base_func_proto(id, prog),
    }
}

/// BPF_PROG_TYPE_STRUCT_OPS: the struct's own verifier_ops. Of this
/// host's struct_ops (vmlinux BTF's bpf_struct_ops_* types), only
/// tcp_congestion_ops has a get_func_proto; bpf_dummy_ops has none, so
/// get_helper_proto refuses every helper, as for any other struct.
pub(super) fn struct_ops_func_proto(id: i32, prog: &ProgFacts<'_>) -> FuncProto {
    match prog.target {
        Some(Target::StructOpsMember {
            ops: "tcp_congestion_ops",
            member,
        }) => bpf_tcp_ca_get_func_proto(id, prog, member),
        _ => None,
    }
}

/// BPF_PROG_TYPE_LIRC_MODE2: the host has no CONFIG_BPF_LIRC_MODE2, so
/// the type has no verifier_ops at all (its loads fail with EINVAL
/// before the verifier).
pub(super) fn lirc_mode2_func_proto(_id: i32, _prog: &ProgFacts<'_>) -> FuncProto {
    None
}
