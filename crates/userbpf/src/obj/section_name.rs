//! Program types by ELF section name, with libbpf's conventions
//! (SEC("xdp"), SEC("kprobe/do_sys_open"), SEC("cgroup_skb/ingress"), ...).

use crate::uapi::types::{attach_type as at, prog_flags, prog_type as pt};

/// What a section name says about its programs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionDef {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// prog_flags implied by the name (sleepable, XDP frags).
    pub prog_flags: u32,
}

/// (name, program type, expected attach type, flags, how it matches).
/// `Exact` matches only the name; `Prefix` the name or `name/...`.
#[derive(Clone, Copy)]
enum Match {
    Exact,
    Prefix,
}

const SLEEP: u32 = prog_flags::SLEEPABLE;
const FRAGS: u32 = prog_flags::XDP_HAS_FRAGS;

/// libbpf's section_defs, most specific first.
const DEFS: &[(&str, u32, u32, u32, Match)] = {
    use Match::*;
    &[
        ("socket", pt::SOCKET_FILTER, 0, 0, Prefix),
        (
            "sk_reuseport/migrate",
            pt::SK_REUSEPORT,
            at::SK_REUSEPORT_SELECT_OR_MIGRATE,
            0,
            Exact,
        ),
        ("sk_reuseport", pt::SK_REUSEPORT, at::SK_REUSEPORT_SELECT, 0, Exact),
        ("kprobe.multi", pt::KPROBE, at::TRACE_KPROBE_MULTI, 0, Prefix),
        ("kretprobe.multi", pt::KPROBE, at::TRACE_KPROBE_MULTI, 0, Prefix),
        ("uprobe.multi.s", pt::KPROBE, at::TRACE_UPROBE_MULTI, SLEEP, Prefix),
        ("uretprobe.multi.s", pt::KPROBE, at::TRACE_UPROBE_MULTI, SLEEP, Prefix),
        ("uprobe.multi", pt::KPROBE, at::TRACE_UPROBE_MULTI, 0, Prefix),
        ("uretprobe.multi", pt::KPROBE, at::TRACE_UPROBE_MULTI, 0, Prefix),
        ("kprobe", pt::KPROBE, 0, 0, Prefix),
        ("kretprobe", pt::KPROBE, 0, 0, Prefix),
        ("uprobe.s", pt::KPROBE, 0, SLEEP, Prefix),
        ("uretprobe.s", pt::KPROBE, 0, SLEEP, Prefix),
        ("uprobe", pt::KPROBE, 0, 0, Prefix),
        ("uretprobe", pt::KPROBE, 0, 0, Prefix),
        ("ksyscall", pt::KPROBE, 0, 0, Prefix),
        ("kretsyscall", pt::KPROBE, 0, 0, Prefix),
        ("usdt.s", pt::KPROBE, 0, SLEEP, Prefix),
        ("usdt", pt::KPROBE, 0, 0, Prefix),
        ("tc/ingress", pt::SCHED_CLS, at::TCX_INGRESS, 0, Exact),
        ("tc/egress", pt::SCHED_CLS, at::TCX_EGRESS, 0, Exact),
        ("tcx/ingress", pt::SCHED_CLS, at::TCX_INGRESS, 0, Exact),
        ("tcx/egress", pt::SCHED_CLS, at::TCX_EGRESS, 0, Exact),
        ("tc", pt::SCHED_CLS, 0, 0, Prefix),
        ("classifier", pt::SCHED_CLS, 0, 0, Prefix),
        ("action", pt::SCHED_ACT, 0, 0, Prefix),
        ("tracepoint", pt::TRACEPOINT, 0, 0, Prefix),
        ("tp", pt::TRACEPOINT, 0, 0, Prefix),
        ("raw_tracepoint.w", pt::RAW_TRACEPOINT_WRITABLE, 0, 0, Prefix),
        ("raw_tp.w", pt::RAW_TRACEPOINT_WRITABLE, 0, 0, Prefix),
        ("raw_tracepoint", pt::RAW_TRACEPOINT, 0, 0, Prefix),
        ("raw_tp", pt::RAW_TRACEPOINT, 0, 0, Prefix),
        ("tp_btf", pt::TRACING, at::TRACE_RAW_TP, 0, Prefix),
        ("fentry.s", pt::TRACING, at::TRACE_FENTRY, SLEEP, Prefix),
        ("fmod_ret.s", pt::TRACING, at::MODIFY_RETURN, SLEEP, Prefix),
        ("fexit.s", pt::TRACING, at::TRACE_FEXIT, SLEEP, Prefix),
        ("fentry", pt::TRACING, at::TRACE_FENTRY, 0, Prefix),
        ("fmod_ret", pt::TRACING, at::MODIFY_RETURN, 0, Prefix),
        ("fexit", pt::TRACING, at::TRACE_FEXIT, 0, Prefix),
        ("freplace", pt::EXT, 0, 0, Prefix),
        ("lsm.s", pt::LSM, at::LSM_MAC, SLEEP, Prefix),
        ("lsm_cgroup", pt::LSM, at::LSM_CGROUP, 0, Prefix),
        ("lsm", pt::LSM, at::LSM_MAC, 0, Prefix),
        ("iter.s", pt::TRACING, at::TRACE_ITER, SLEEP, Prefix),
        ("iter", pt::TRACING, at::TRACE_ITER, 0, Prefix),
        ("syscall", pt::SYSCALL, 0, SLEEP, Exact),
        ("xdp.frags/devmap", pt::XDP, at::XDP_DEVMAP, FRAGS, Exact),
        ("xdp/devmap", pt::XDP, at::XDP_DEVMAP, 0, Exact),
        ("xdp.frags/cpumap", pt::XDP, at::XDP_CPUMAP, FRAGS, Exact),
        ("xdp/cpumap", pt::XDP, at::XDP_CPUMAP, 0, Exact),
        ("xdp.frags", pt::XDP, at::XDP, FRAGS, Exact),
        ("xdp", pt::XDP, at::XDP, 0, Prefix),
        ("perf_event", pt::PERF_EVENT, 0, 0, Exact),
        ("lwt_in", pt::LWT_IN, 0, 0, Exact),
        ("lwt_out", pt::LWT_OUT, 0, 0, Exact),
        ("lwt_xmit", pt::LWT_XMIT, 0, 0, Exact),
        ("lwt_seg6local", pt::LWT_SEG6LOCAL, 0, 0, Exact),
        ("sockops", pt::SOCK_OPS, at::CGROUP_SOCK_OPS, 0, Exact),
        ("sk_skb/stream_parser", pt::SK_SKB, at::SK_SKB_STREAM_PARSER, 0, Exact),
        ("sk_skb/stream_verdict", pt::SK_SKB, at::SK_SKB_STREAM_VERDICT, 0, Exact),
        ("sk_skb/verdict", pt::SK_SKB, at::SK_SKB_VERDICT, 0, Exact),
        ("sk_skb", pt::SK_SKB, 0, 0, Prefix),
        ("sk_msg", pt::SK_MSG, at::SK_MSG_VERDICT, 0, Exact),
        ("lirc_mode2", pt::LIRC_MODE2, at::LIRC_MODE2, 0, Exact),
        ("flow_dissector", pt::FLOW_DISSECTOR, at::FLOW_DISSECTOR, 0, Exact),
        ("cgroup_skb/ingress", pt::CGROUP_SKB, at::CGROUP_INET_INGRESS, 0, Exact),
        ("cgroup_skb/egress", pt::CGROUP_SKB, at::CGROUP_INET_EGRESS, 0, Exact),
        ("cgroup/skb", pt::CGROUP_SKB, 0, 0, Exact),
        (
            "cgroup/sock_create",
            pt::CGROUP_SOCK,
            at::CGROUP_INET_SOCK_CREATE,
            0,
            Exact,
        ),
        (
            "cgroup/sock_release",
            pt::CGROUP_SOCK,
            at::CGROUP_INET_SOCK_RELEASE,
            0,
            Exact,
        ),
        ("cgroup/sock", pt::CGROUP_SOCK, at::CGROUP_INET_SOCK_CREATE, 0, Exact),
        (
            "cgroup/post_bind4",
            pt::CGROUP_SOCK,
            at::CGROUP_INET4_POST_BIND,
            0,
            Exact,
        ),
        (
            "cgroup/post_bind6",
            pt::CGROUP_SOCK,
            at::CGROUP_INET6_POST_BIND,
            0,
            Exact,
        ),
        ("cgroup/bind4", pt::CGROUP_SOCK_ADDR, at::CGROUP_INET4_BIND, 0, Exact),
        ("cgroup/bind6", pt::CGROUP_SOCK_ADDR, at::CGROUP_INET6_BIND, 0, Exact),
        (
            "cgroup/connect4",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_INET4_CONNECT,
            0,
            Exact,
        ),
        (
            "cgroup/connect6",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_INET6_CONNECT,
            0,
            Exact,
        ),
        (
            "cgroup/connect_unix",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UNIX_CONNECT,
            0,
            Exact,
        ),
        (
            "cgroup/sendmsg4",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UDP4_SENDMSG,
            0,
            Exact,
        ),
        (
            "cgroup/sendmsg6",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UDP6_SENDMSG,
            0,
            Exact,
        ),
        (
            "cgroup/sendmsg_unix",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UNIX_SENDMSG,
            0,
            Exact,
        ),
        (
            "cgroup/recvmsg4",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UDP4_RECVMSG,
            0,
            Exact,
        ),
        (
            "cgroup/recvmsg6",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UDP6_RECVMSG,
            0,
            Exact,
        ),
        (
            "cgroup/recvmsg_unix",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UNIX_RECVMSG,
            0,
            Exact,
        ),
        (
            "cgroup/getpeername4",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_INET4_GETPEERNAME,
            0,
            Exact,
        ),
        (
            "cgroup/getpeername6",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_INET6_GETPEERNAME,
            0,
            Exact,
        ),
        (
            "cgroup/getpeername_unix",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UNIX_GETPEERNAME,
            0,
            Exact,
        ),
        (
            "cgroup/getsockname4",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_INET4_GETSOCKNAME,
            0,
            Exact,
        ),
        (
            "cgroup/getsockname6",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_INET6_GETSOCKNAME,
            0,
            Exact,
        ),
        (
            "cgroup/getsockname_unix",
            pt::CGROUP_SOCK_ADDR,
            at::CGROUP_UNIX_GETSOCKNAME,
            0,
            Exact,
        ),
        ("cgroup/sysctl", pt::CGROUP_SYSCTL, at::CGROUP_SYSCTL, 0, Exact),
        ("cgroup/getsockopt", pt::CGROUP_SOCKOPT, at::CGROUP_GETSOCKOPT, 0, Exact),
        ("cgroup/setsockopt", pt::CGROUP_SOCKOPT, at::CGROUP_SETSOCKOPT, 0, Exact),
        ("cgroup/dev", pt::CGROUP_DEVICE, at::CGROUP_DEVICE, 0, Exact),
        ("struct_ops.s", pt::STRUCT_OPS, 0, SLEEP, Prefix),
        ("struct_ops", pt::STRUCT_OPS, 0, 0, Prefix),
        ("sk_lookup", pt::SK_LOOKUP, at::SK_LOOKUP, 0, Exact),
        ("netfilter", pt::NETFILTER, at::NETFILTER, 0, Exact),
    ]
};

/// The program type a section name gives its programs, if any.
pub fn section_def(section: &str) -> Option<SectionDef> {
    DEFS.iter()
        .find_map(|&(name, prog_type, expected_attach_type, prog_flags, how)| {
            let hit = match how {
                Match::Exact => section == name,
                Match::Prefix => section == name || section.strip_prefix(name).is_some_and(|r| r.starts_with('/')),
            };
            hit.then_some(SectionDef {
                prog_type,
                expected_attach_type,
                prog_flags,
            })
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

    /// Expected values from libbpf's section_defs table (libbpf.c).
    #[test]
    fn libbpf_section_names() {
        assert_eq!(def("xdp"), Some((pt::XDP, at::XDP, 0)));
        assert_eq!(def("xdp.frags"), Some((pt::XDP, at::XDP, prog_flags::XDP_HAS_FRAGS)));
        assert_eq!(def("socket"), Some((pt::SOCKET_FILTER, 0, 0)));
        assert_eq!(def("tc"), Some((pt::SCHED_CLS, 0, 0)));
        assert_eq!(def("classifier"), Some((pt::SCHED_CLS, 0, 0)));
        assert_eq!(def("kprobe/do_sys_open"), Some((pt::KPROBE, 0, 0)));
        assert_eq!(def("kretprobe/do_sys_open"), Some((pt::KPROBE, 0, 0)));
        assert_eq!(
            def("tracepoint/syscalls/sys_enter_openat"),
            Some((pt::TRACEPOINT, 0, 0))
        );
        assert_eq!(def("tp/syscalls/sys_enter_openat"), Some((pt::TRACEPOINT, 0, 0)));
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
        assert_eq!(def("fentry/do_unlinkat"), Some((pt::TRACING, at::TRACE_FENTRY, 0)));
        assert_eq!(
            def("fexit.s/x"),
            Some((pt::TRACING, at::TRACE_FEXIT, prog_flags::SLEEPABLE))
        );
        assert_eq!(def("lsm/file_open"), Some((pt::LSM, at::LSM_MAC, 0)));
        assert_eq!(
            def("cgroup/connect4"),
            Some((pt::CGROUP_SOCK_ADDR, at::CGROUP_INET4_CONNECT, 0))
        );
        assert_eq!(def("sk_msg"), Some((pt::SK_MSG, at::SK_MSG_VERDICT, 0)));
        // Prefixes only match whole words: "tcx" is not "tc", "xdpfoo" not "xdp".
        assert_eq!(def("xdpfoo"), None);
        assert_eq!(def("kprobes/x"), None);
        assert_eq!(def(".text"), None);
        assert_eq!(attach_target("kprobe/do_sys_open"), Some("do_sys_open"));
        assert_eq!(attach_target("xdp"), None);
    }
}
