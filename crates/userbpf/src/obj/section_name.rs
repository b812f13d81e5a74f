//! Program types by ELF section name, with libbpf's conventions
//! (SEC("xdp"), SEC("kprobe/do_sys_open"), SEC("cgroup_skb/ingress"), ...):
//! libbpf's section_defs table, matched as libbpf matches it
//! (sec_def_matches), and its `?` prefix (the program is not autoloaded).

use crate::uapi::types::{attach_type as at, prog_flags, prog_type as pt};

/// What a section name says about its programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionDef {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// prog_flags implied by the name (sleepable, XDP frags).
    pub prog_flags: u32,
    /// libbpf's SEC_ATTACH_BTF: the attach target is a BTF id named after
    /// the first '/' (fentry/do_unlinkat, iter/task, lsm/file_open, ...).
    pub attach_btf: bool,
}

/// libbpf's sec_def flags that change the load (SEC_ATTACHABLE and
/// SEC_EXP_ATTACH_OPT only matter to kernels older than userbpf models).
const SLEEP: u8 = 1;
const FRAGS: u8 = 2;
const BTF: u8 = 4;
/// SEC_USDT: with uprobe-multi links (6.6+), usdt programs are loaded with
/// expected_attach_type BPF_TRACE_UPROBE_MULTI.
const USDT: u8 = 8;

/// One row of libbpf's table: the name with libbpf's suffix convention
/// (`name+`: exactly `name` or `name/...`; `name/`: any `name/...`;
/// otherwise the exact name), program type, expected attach type, flags.
struct Def {
    name: &'static str,
    prog_type: u32,
    attach: u32,
    flags: u8,
}

const fn d(name: &'static str, prog_type: u32, attach: u32, flags: u8) -> Def {
    Def {
        name,
        prog_type,
        attach,
        flags,
    }
}

/// libbpf's section_defs (libbpf.c, Linux 6.12), in its order: the first
/// match wins.
const DEFS: &[Def] = &[
    d("socket", pt::SOCKET_FILTER, 0, 0),
    d(
        "sk_reuseport/migrate",
        pt::SK_REUSEPORT,
        at::SK_REUSEPORT_SELECT_OR_MIGRATE,
        0,
    ),
    d("sk_reuseport", pt::SK_REUSEPORT, at::SK_REUSEPORT_SELECT, 0),
    d("kprobe+", pt::KPROBE, 0, 0),
    d("uprobe+", pt::KPROBE, 0, 0),
    d("uprobe.s+", pt::KPROBE, 0, SLEEP),
    d("kretprobe+", pt::KPROBE, 0, 0),
    d("uretprobe+", pt::KPROBE, 0, 0),
    d("uretprobe.s+", pt::KPROBE, 0, SLEEP),
    d("kprobe.multi+", pt::KPROBE, at::TRACE_KPROBE_MULTI, 0),
    d("kretprobe.multi+", pt::KPROBE, at::TRACE_KPROBE_MULTI, 0),
    d("kprobe.session+", pt::KPROBE, at::TRACE_KPROBE_SESSION, 0),
    d("uprobe.multi+", pt::KPROBE, at::TRACE_UPROBE_MULTI, 0),
    d("uretprobe.multi+", pt::KPROBE, at::TRACE_UPROBE_MULTI, 0),
    d("uprobe.multi.s+", pt::KPROBE, at::TRACE_UPROBE_MULTI, SLEEP),
    d("uretprobe.multi.s+", pt::KPROBE, at::TRACE_UPROBE_MULTI, SLEEP),
    d("ksyscall+", pt::KPROBE, 0, 0),
    d("kretsyscall+", pt::KPROBE, 0, 0),
    d("usdt+", pt::KPROBE, 0, USDT),
    d("usdt.s+", pt::KPROBE, 0, USDT | SLEEP),
    d("tc/ingress", pt::SCHED_CLS, at::TCX_INGRESS, 0),
    d("tc/egress", pt::SCHED_CLS, at::TCX_EGRESS, 0),
    d("tcx/ingress", pt::SCHED_CLS, at::TCX_INGRESS, 0),
    d("tcx/egress", pt::SCHED_CLS, at::TCX_EGRESS, 0),
    d("tc", pt::SCHED_CLS, 0, 0),
    d("classifier", pt::SCHED_CLS, 0, 0),
    d("action", pt::SCHED_ACT, 0, 0),
    d("netkit/primary", pt::SCHED_CLS, at::NETKIT_PRIMARY, 0),
    d("netkit/peer", pt::SCHED_CLS, at::NETKIT_PEER, 0),
    d("tracepoint+", pt::TRACEPOINT, 0, 0),
    d("tp+", pt::TRACEPOINT, 0, 0),
    d("raw_tracepoint+", pt::RAW_TRACEPOINT, 0, 0),
    d("raw_tp+", pt::RAW_TRACEPOINT, 0, 0),
    d("raw_tracepoint.w+", pt::RAW_TRACEPOINT_WRITABLE, 0, 0),
    d("raw_tp.w+", pt::RAW_TRACEPOINT_WRITABLE, 0, 0),
    d("tp_btf+", pt::TRACING, at::TRACE_RAW_TP, BTF),
    d("fentry+", pt::TRACING, at::TRACE_FENTRY, BTF),
    d("fmod_ret+", pt::TRACING, at::MODIFY_RETURN, BTF),
    d("fexit+", pt::TRACING, at::TRACE_FEXIT, BTF),
    d("fentry.s+", pt::TRACING, at::TRACE_FENTRY, BTF | SLEEP),
    d("fmod_ret.s+", pt::TRACING, at::MODIFY_RETURN, BTF | SLEEP),
    d("fexit.s+", pt::TRACING, at::TRACE_FEXIT, BTF | SLEEP),
    d("freplace+", pt::EXT, 0, BTF),
    d("lsm+", pt::LSM, at::LSM_MAC, BTF),
    d("lsm.s+", pt::LSM, at::LSM_MAC, BTF | SLEEP),
    d("lsm_cgroup+", pt::LSM, at::LSM_CGROUP, BTF),
    d("iter+", pt::TRACING, at::TRACE_ITER, BTF),
    d("iter.s+", pt::TRACING, at::TRACE_ITER, BTF | SLEEP),
    d("syscall", pt::SYSCALL, 0, SLEEP),
    d("xdp.frags/devmap", pt::XDP, at::XDP_DEVMAP, FRAGS),
    d("xdp/devmap", pt::XDP, at::XDP_DEVMAP, 0),
    d("xdp.frags/cpumap", pt::XDP, at::XDP_CPUMAP, FRAGS),
    d("xdp/cpumap", pt::XDP, at::XDP_CPUMAP, 0),
    d("xdp.frags", pt::XDP, at::XDP, FRAGS),
    d("xdp", pt::XDP, at::XDP, 0),
    d("perf_event", pt::PERF_EVENT, 0, 0),
    d("lwt_in", pt::LWT_IN, 0, 0),
    d("lwt_out", pt::LWT_OUT, 0, 0),
    d("lwt_xmit", pt::LWT_XMIT, 0, 0),
    d("lwt_seg6local", pt::LWT_SEG6LOCAL, 0, 0),
    d("sockops", pt::SOCK_OPS, at::CGROUP_SOCK_OPS, 0),
    d("sk_skb/stream_parser", pt::SK_SKB, at::SK_SKB_STREAM_PARSER, 0),
    d("sk_skb/stream_verdict", pt::SK_SKB, at::SK_SKB_STREAM_VERDICT, 0),
    d("sk_skb/verdict", pt::SK_SKB, at::SK_SKB_VERDICT, 0),
    d("sk_skb", pt::SK_SKB, 0, 0),
    d("sk_msg", pt::SK_MSG, at::SK_MSG_VERDICT, 0),
    d("lirc_mode2", pt::LIRC_MODE2, at::LIRC_MODE2, 0),
    d("flow_dissector", pt::FLOW_DISSECTOR, at::FLOW_DISSECTOR, 0),
    d("cgroup_skb/ingress", pt::CGROUP_SKB, at::CGROUP_INET_INGRESS, 0),
    d("cgroup_skb/egress", pt::CGROUP_SKB, at::CGROUP_INET_EGRESS, 0),
    d("cgroup/skb", pt::CGROUP_SKB, 0, 0),
    d("cgroup/sock_create", pt::CGROUP_SOCK, at::CGROUP_INET_SOCK_CREATE, 0),
    d("cgroup/sock_release", pt::CGROUP_SOCK, at::CGROUP_INET_SOCK_RELEASE, 0),
    d("cgroup/sock", pt::CGROUP_SOCK, at::CGROUP_INET_SOCK_CREATE, 0),
    d("cgroup/post_bind4", pt::CGROUP_SOCK, at::CGROUP_INET4_POST_BIND, 0),
    d("cgroup/post_bind6", pt::CGROUP_SOCK, at::CGROUP_INET6_POST_BIND, 0),
    d("cgroup/bind4", pt::CGROUP_SOCK_ADDR, at::CGROUP_INET4_BIND, 0),
    d("cgroup/bind6", pt::CGROUP_SOCK_ADDR, at::CGROUP_INET6_BIND, 0),
    d("cgroup/connect4", pt::CGROUP_SOCK_ADDR, at::CGROUP_INET4_CONNECT, 0),
    d("cgroup/connect6", pt::CGROUP_SOCK_ADDR, at::CGROUP_INET6_CONNECT, 0),
    d("cgroup/connect_unix", pt::CGROUP_SOCK_ADDR, at::CGROUP_UNIX_CONNECT, 0),
    d("cgroup/sendmsg4", pt::CGROUP_SOCK_ADDR, at::CGROUP_UDP4_SENDMSG, 0),
    d("cgroup/sendmsg6", pt::CGROUP_SOCK_ADDR, at::CGROUP_UDP6_SENDMSG, 0),
    d("cgroup/sendmsg_unix", pt::CGROUP_SOCK_ADDR, at::CGROUP_UNIX_SENDMSG, 0),
    d("cgroup/recvmsg4", pt::CGROUP_SOCK_ADDR, at::CGROUP_UDP4_RECVMSG, 0),
    d("cgroup/recvmsg6", pt::CGROUP_SOCK_ADDR, at::CGROUP_UDP6_RECVMSG, 0),
    d("cgroup/recvmsg_unix", pt::CGROUP_SOCK_ADDR, at::CGROUP_UNIX_RECVMSG, 0),
    d(
        "cgroup/getpeername4",
        pt::CGROUP_SOCK_ADDR,
        at::CGROUP_INET4_GETPEERNAME,
        0,
    ),
    d(
        "cgroup/getpeername6",
        pt::CGROUP_SOCK_ADDR,
        at::CGROUP_INET6_GETPEERNAME,
        0,
    ),
    d(
        "cgroup/getpeername_unix",
        pt::CGROUP_SOCK_ADDR,
        at::CGROUP_UNIX_GETPEERNAME,
        0,
    ),
    d(
        "cgroup/getsockname4",
        pt::CGROUP_SOCK_ADDR,
        at::CGROUP_INET4_GETSOCKNAME,
        0,
    ),
    d(
        "cgroup/getsockname6",
        pt::CGROUP_SOCK_ADDR,
        at::CGROUP_INET6_GETSOCKNAME,
        0,
    ),
    d(
        "cgroup/getsockname_unix",
        pt::CGROUP_SOCK_ADDR,
        at::CGROUP_UNIX_GETSOCKNAME,
        0,
    ),
    d("cgroup/sysctl", pt::CGROUP_SYSCTL, at::CGROUP_SYSCTL, 0),
    d("cgroup/getsockopt", pt::CGROUP_SOCKOPT, at::CGROUP_GETSOCKOPT, 0),
    d("cgroup/setsockopt", pt::CGROUP_SOCKOPT, at::CGROUP_SETSOCKOPT, 0),
    d("cgroup/dev", pt::CGROUP_DEVICE, at::CGROUP_DEVICE, 0),
    d("struct_ops+", pt::STRUCT_OPS, 0, 0),
    d("struct_ops.s+", pt::STRUCT_OPS, 0, SLEEP),
    d("sk_lookup", pt::SK_LOOKUP, at::SK_LOOKUP, 0),
    d("netfilter", pt::NETFILTER, at::NETFILTER, 0),
];

/// sec_def_matches(): whether a section name matches one row.
fn matches(def: &str, section: &str) -> bool {
    if def.ends_with('/') {
        return section.starts_with(def);
    }
    if let Some(word) = def.strip_suffix('+') {
        return section
            .strip_prefix(word)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    }
    section == def
}

/// The section name without libbpf's `?` prefix, and whether the program
/// is autoloaded (`SEC("?raw_tp")` is `SEC("raw_tp")`, not autoloaded).
pub fn strip_autoload_prefix(section: &str) -> (&str, bool) {
    match section.strip_prefix('?') {
        Some(rest) => (rest, false),
        None => (section, true),
    }
}

/// The program type a section name (without its `?`) gives its programs.
pub fn section_def(section: &str) -> Option<SectionDef> {
    let def = DEFS.iter().find(|d| matches(d.name, section))?;
    let has = |f: u8| def.flags & f != 0;
    let mut prog_flags = 0;
    if has(SLEEP) {
        prog_flags |= prog_flags::SLEEPABLE;
    }
    if has(FRAGS) && def.prog_type == pt::XDP {
        prog_flags |= prog_flags::XDP_HAS_FRAGS;
    }
    Some(SectionDef {
        prog_type: def.prog_type,
        expected_attach_type: if has(USDT) { at::TRACE_UPROBE_MULTI } else { def.attach },
        prog_flags,
        attach_btf: has(BTF),
    })
}

/// The attach target after the first '/' ("do_sys_open" of
/// "kprobe/do_sys_open"), if any.
#[cfg(test)]
pub fn attach_target(section: &str) -> Option<&str> {
    section.split_once('/').map(|(_, t)| t).filter(|t| !t.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(s: &str) -> Option<(u32, u32, u32)> {
        section_def(s).map(|d| (d.prog_type, d.expected_attach_type, d.prog_flags))
    }

    /// Expected values read off libbpf's section_defs table (libbpf.c)
    /// and its sec_def_matches() rules.
    #[test]
    fn libbpf_section_names() {
        assert_eq!(def("xdp"), Some((pt::XDP, at::XDP, 0)));
        assert_eq!(def("xdp.frags"), Some((pt::XDP, at::XDP, prog_flags::XDP_HAS_FRAGS)));
        assert_eq!(
            def("xdp.frags/devmap"),
            Some((pt::XDP, at::XDP_DEVMAP, prog_flags::XDP_HAS_FRAGS))
        );
        assert_eq!(def("xdp/cpumap"), Some((pt::XDP, at::XDP_CPUMAP, 0)));
        assert_eq!(def("socket"), Some((pt::SOCKET_FILTER, 0, 0)));
        assert_eq!(def("tc"), Some((pt::SCHED_CLS, 0, 0)));
        assert_eq!(def("tc/ingress"), Some((pt::SCHED_CLS, at::TCX_INGRESS, 0)));
        assert_eq!(def("tcx/egress"), Some((pt::SCHED_CLS, at::TCX_EGRESS, 0)));
        assert_eq!(def("netkit/peer"), Some((pt::SCHED_CLS, at::NETKIT_PEER, 0)));
        assert_eq!(def("classifier"), Some((pt::SCHED_CLS, 0, 0)));
        assert_eq!(def("action"), Some((pt::SCHED_ACT, 0, 0)));
        assert_eq!(def("kprobe"), Some((pt::KPROBE, 0, 0)));
        assert_eq!(def("kprobe/do_sys_open"), Some((pt::KPROBE, 0, 0)));
        assert_eq!(def("kretprobe/do_sys_open"), Some((pt::KPROBE, 0, 0)));
        assert_eq!(def("kprobe.multi/x*"), Some((pt::KPROBE, at::TRACE_KPROBE_MULTI, 0)));
        assert_eq!(def("kprobe.session/x"), Some((pt::KPROBE, at::TRACE_KPROBE_SESSION, 0)));
        assert_eq!(
            def("uprobe.multi.s/x"),
            Some((pt::KPROBE, at::TRACE_UPROBE_MULTI, prog_flags::SLEEPABLE))
        );
        assert_eq!(def("uprobe.s/x"), Some((pt::KPROBE, 0, prog_flags::SLEEPABLE)));
        // SEC_USDT: the uprobe-multi attach type on kernels with those links.
        assert_eq!(def("usdt/p:x"), Some((pt::KPROBE, at::TRACE_UPROBE_MULTI, 0)));
        assert_eq!(
            def("usdt.s"),
            Some((pt::KPROBE, at::TRACE_UPROBE_MULTI, prog_flags::SLEEPABLE))
        );
        assert_eq!(
            def("tracepoint/syscalls/sys_enter_openat"),
            Some((pt::TRACEPOINT, 0, 0))
        );
        assert_eq!(def("tp/syscalls/sys_enter_openat"), Some((pt::TRACEPOINT, 0, 0)));
        assert_eq!(def("raw_tp"), Some((pt::RAW_TRACEPOINT, 0, 0)));
        assert_eq!(def("raw_tp/sys_enter"), Some((pt::RAW_TRACEPOINT, 0, 0)));
        assert_eq!(def("raw_tracepoint/sys_enter"), Some((pt::RAW_TRACEPOINT, 0, 0)));
        assert_eq!(def("raw_tp.w/sys_enter"), Some((pt::RAW_TRACEPOINT_WRITABLE, 0, 0)));
        assert_eq!(
            def("cgroup_skb/ingress"),
            Some((pt::CGROUP_SKB, at::CGROUP_INET_INGRESS, 0))
        );
        assert_eq!(
            def("cgroup_skb/egress"),
            Some((pt::CGROUP_SKB, at::CGROUP_INET_EGRESS, 0))
        );
        assert_eq!(def("cgroup/skb"), Some((pt::CGROUP_SKB, 0, 0)));
        assert_eq!(def("fentry/do_unlinkat"), Some((pt::TRACING, at::TRACE_FENTRY, 0)));
        assert_eq!(
            def("fexit.s/x"),
            Some((pt::TRACING, at::TRACE_FEXIT, prog_flags::SLEEPABLE))
        );
        assert_eq!(def("tp_btf/sched_switch"), Some((pt::TRACING, at::TRACE_RAW_TP, 0)));
        assert_eq!(
            def("iter.s/cgroup"),
            Some((pt::TRACING, at::TRACE_ITER, prog_flags::SLEEPABLE))
        );
        assert_eq!(def("freplace/x"), Some((pt::EXT, 0, 0)));
        assert_eq!(def("lsm/file_open"), Some((pt::LSM, at::LSM_MAC, 0)));
        assert_eq!(def("lsm.s/bprm"), Some((pt::LSM, at::LSM_MAC, prog_flags::SLEEPABLE)));
        assert_eq!(def("lsm_cgroup/x"), Some((pt::LSM, at::LSM_CGROUP, 0)));
        assert_eq!(def("syscall"), Some((pt::SYSCALL, 0, prog_flags::SLEEPABLE)));
        assert_eq!(
            def("cgroup/connect4"),
            Some((pt::CGROUP_SOCK_ADDR, at::CGROUP_INET4_CONNECT, 0))
        );
        assert_eq!(
            def("cgroup/getsockname_unix"),
            Some((pt::CGROUP_SOCK_ADDR, at::CGROUP_UNIX_GETSOCKNAME, 0))
        );
        assert_eq!(
            def("cgroup/sock"),
            Some((pt::CGROUP_SOCK, at::CGROUP_INET_SOCK_CREATE, 0))
        );
        assert_eq!(def("sk_msg"), Some((pt::SK_MSG, at::SK_MSG_VERDICT, 0)));
        assert_eq!(def("sk_skb"), Some((pt::SK_SKB, 0, 0)));
        assert_eq!(def("sk_skb/verdict"), Some((pt::SK_SKB, at::SK_SKB_VERDICT, 0)));
        assert_eq!(
            def("sk_reuseport/migrate"),
            Some((pt::SK_REUSEPORT, at::SK_REUSEPORT_SELECT_OR_MIGRATE, 0))
        );
        assert_eq!(def("struct_ops.s/x"), Some((pt::STRUCT_OPS, 0, prog_flags::SLEEPABLE)));
        assert_eq!(def("netfilter"), Some((pt::NETFILTER, at::NETFILTER, 0)));
        assert_eq!(attach_target("kprobe/do_sys_open"), Some("do_sys_open"));
        assert_eq!(attach_target("xdp"), None);
    }

    /// Names libbpf's exact and `+` rows refuse.
    #[test]
    fn libbpf_refuses_these_names() {
        // "xdp", "socket", "tc", "sk_skb" are exact: no "/..." tail.
        assert_eq!(def("xdp/foo"), None);
        assert_eq!(def("socket/1"), None);
        assert_eq!(def("tc/foo"), None);
        assert_eq!(def("sk_skb/foo"), None);
        // A `+` row matches whole words only.
        assert_eq!(def("xdpfoo"), None);
        assert_eq!(def("kprobes/x"), None);
        assert_eq!(def("raw_tpx"), None);
        // "tcx" alone is no row; nor is the `?` prefix itself.
        assert_eq!(def("tcx"), None);
        assert_eq!(def("?raw_tp"), None);
        assert_eq!(def(".text"), None);
    }

    #[test]
    fn attach_btf_rows() {
        for s in [
            "fentry/x",
            "fmod_ret.s/x",
            "tp_btf/x",
            "freplace/x",
            "lsm/x",
            "lsm_cgroup/x",
            "iter/task",
        ] {
            assert!(section_def(s).is_some_and(|d| d.attach_btf), "{s}");
        }
        for s in ["kprobe/x", "raw_tp/x", "xdp", "syscall", "struct_ops/x"] {
            assert!(section_def(s).is_some_and(|d| !d.attach_btf), "{s}");
        }
    }

    #[test]
    fn question_mark_prefix() {
        assert_eq!(strip_autoload_prefix("?raw_tp"), ("raw_tp", false));
        assert_eq!(strip_autoload_prefix("raw_tp"), ("raw_tp", true));
        assert_eq!(strip_autoload_prefix("??x"), ("?x", false));
    }
}
