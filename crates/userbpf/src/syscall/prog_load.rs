//! BPF_PROG_LOAD, step by step as kernel/bpf/syscall.c's bpf_prog_load()
//! (6.18) takes them, each with the kernel's errno. Resources taken along
//! the way (memlock charge, ID, fd) are owned values, so any early return
//! releases them: the error path can't leak.

use std::sync::Arc;

use super::{AttrOut, Process};
use crate::isa::{insns_from_bytes, INSN_SIZE};
use crate::prog::{calc_digest, license_is_gpl_compatible, Prog, Runtime};
use crate::runtime::select::load_runtime;
use crate::uapi::attr::prog_load as F;
use crate::uapi::types::{attach_type as at, prog_flags, prog_type as pt, BPF_COMPLEXITY_LIMIT_INSNS, BPF_MAXINSNS};
use crate::uapi::PAGE_SIZE;
use crate::uapi::{Attr, Errno};
use crate::user_mem::UserMemory;
use crate::verifier::log::VerifierLog;
use crate::verifier::{bpf_check, LoadFds, LoadInput};

/// The steps of the load path, in order; fault injection names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoadStep {
    AttrCheck,
    Flags,
    Token,
    Capabilities,
    InsnCount,
    AttachType,
    Alloc,
    Memlock,
    CopyInsns,
    License,
    DevBound,
    ProgType,
    Name,
    Security,
    Verifier,
    Runtime,
    Id,
    Fd,
}

impl LoadStep {
    pub const ALL: [LoadStep; 18] = [
        LoadStep::AttrCheck,
        LoadStep::Flags,
        LoadStep::Token,
        LoadStep::Capabilities,
        LoadStep::InsnCount,
        LoadStep::AttachType,
        LoadStep::Alloc,
        LoadStep::Memlock,
        LoadStep::CopyInsns,
        LoadStep::License,
        LoadStep::DevBound,
        LoadStep::ProgType,
        LoadStep::Name,
        LoadStep::Security,
        LoadStep::Verifier,
        LoadStep::Runtime,
        LoadStep::Id,
        LoadStep::Fd,
    ];
}

/// bpf_prog_load_fixup_attach_type(): types that once loaded without an
/// expected attach type get their historical default.
fn fixup_attach_type(prog_type: u32, eat: u32) -> u32 {
    match (prog_type, eat) {
        (pt::CGROUP_SOCK, 0) => at::CGROUP_INET_SOCK_CREATE,
        (pt::SK_REUSEPORT, 0) => at::SK_REUSEPORT_SELECT,
        _ => eat,
    }
}

/// bpf_prog_load_check_attach() without BTF or target programs.
fn check_attach(prog_type: u32, eat: u32) -> Result<(), Errno> {
    let ok = match prog_type {
        pt::CGROUP_SOCK => matches!(
            eat,
            at::CGROUP_INET_SOCK_CREATE
                | at::CGROUP_INET_SOCK_RELEASE
                | at::CGROUP_INET4_POST_BIND
                | at::CGROUP_INET6_POST_BIND
        ),
        pt::CGROUP_SOCK_ADDR => matches!(
            eat,
            at::CGROUP_INET4_BIND
                | at::CGROUP_INET6_BIND
                | at::CGROUP_INET4_CONNECT
                | at::CGROUP_INET6_CONNECT
                | at::CGROUP_UNIX_CONNECT
                | at::CGROUP_INET4_GETPEERNAME
                | at::CGROUP_INET6_GETPEERNAME
                | at::CGROUP_UNIX_GETPEERNAME
                | at::CGROUP_INET4_GETSOCKNAME
                | at::CGROUP_INET6_GETSOCKNAME
                | at::CGROUP_UNIX_GETSOCKNAME
                | at::CGROUP_UDP4_SENDMSG
                | at::CGROUP_UDP6_SENDMSG
                | at::CGROUP_UNIX_SENDMSG
                | at::CGROUP_UDP4_RECVMSG
                | at::CGROUP_UDP6_RECVMSG
                | at::CGROUP_UNIX_RECVMSG
        ),
        pt::CGROUP_SKB => matches!(eat, at::CGROUP_INET_INGRESS | at::CGROUP_INET_EGRESS),
        pt::CGROUP_SOCKOPT => matches!(eat, at::CGROUP_SETSOCKOPT | at::CGROUP_GETSOCKOPT),
        pt::SK_LOOKUP => eat == at::SK_LOOKUP,
        pt::SK_REUSEPORT => matches!(eat, at::SK_REUSEPORT_SELECT | at::SK_REUSEPORT_SELECT_OR_MIGRATE),
        pt::NETFILTER => eat == at::NETFILTER,
        pt::SYSCALL | pt::EXT => eat == 0,
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// is_net_admin_prog_type().
fn needs_net_admin(t: u32) -> bool {
    matches!(
        t,
        pt::SCHED_CLS
            | pt::SCHED_ACT
            | pt::XDP
            | pt::LWT_IN
            | pt::LWT_OUT
            | pt::LWT_XMIT
            | pt::LWT_SEG6LOCAL
            | pt::SK_SKB
            | pt::SK_MSG
            | pt::FLOW_DISSECTOR
            | pt::CGROUP_DEVICE
            | pt::CGROUP_SOCK
            | pt::CGROUP_SOCK_ADDR
            | pt::CGROUP_SOCKOPT
            | pt::CGROUP_SYSCTL
            | pt::SOCK_OPS
            | pt::EXT
            | pt::NETFILTER
    )
}

/// is_perfmon_prog_type().
fn needs_perfmon(t: u32) -> bool {
    matches!(
        t,
        pt::KPROBE
            | pt::TRACEPOINT
            | pt::PERF_EVENT
            | pt::RAW_TRACEPOINT
            | pt::RAW_TRACEPOINT_WRITABLE
            | pt::TRACING
            | pt::LSM
            | pt::STRUCT_OPS
            | pt::EXT
    )
}

/// find_prog_type(): the types this build has verifier ops for. LIRC_MODE2
/// needs a remote-control driver the reference kernel lacks; UNSPEC and
/// unknown numbers have none.
fn prog_type_supported(t: u32) -> bool {
    (pt::SOCKET_FILTER..=pt::NETFILTER).contains(&t) && t != pt::LIRC_MODE2
}

/// The kernel's isalnum() (lib/ctype.c): ASCII letters and digits, and the
/// Latin-1 letters 0xc0..=0xff except 0xd7 (×) and 0xf7 (÷).
fn kernel_isalnum(c: u8) -> bool {
    c.is_ascii_alphanumeric() || (c >= 0xc0 && c != 0xd7 && c != 0xf7)
}

/// bpf_obj_name_cpy(): letters, digits, '_' and '.', NUL-terminated within
/// the 16 bytes; the name without its NUL.
pub(crate) fn obj_name(raw: &[u8]) -> Result<Vec<u8>, Errno> {
    let end = raw.iter().position(|&b| b == 0).ok_or(Errno::EINVAL)?;
    let name = &raw[..end];
    if name.iter().all(|&c| kernel_isalnum(c) || c == b'_' || c == b'.') {
        Ok(name.to_vec())
    } else {
        Err(Errno::EINVAL)
    }
}

/// sizeof(struct bpf_prog) on x86-64 (the header before the instructions).
const BPF_PROG_HEADER: u64 = 72;

/// bpf_prog_size() rounded to whole pages.
fn prog_pages(insn_cnt: u32) -> u64 {
    (BPF_PROG_HEADER + insn_cnt as u64 * INSN_SIZE as u64).div_ceil(PAGE_SIZE)
}

pub(crate) fn prog_load(
    p: &Process,
    attr: &Attr,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
) -> Result<u32, Errno> {
    let k = &p.kernel;
    let creds = &p.creds;

    k.inject(LoadStep::AttrCheck)?;
    attr.check_unused_zero(F::LAST_FIELD_END)?;

    k.inject(LoadStep::Flags)?;
    let flags = attr.u32(F::PROG_FLAGS);
    if flags & !prog_flags::ALL != 0 {
        return Err(Errno::EINVAL);
    }

    let prog_type = attr.u32(F::PROG_TYPE);
    let eat = fixup_attach_type(prog_type, attr.u32(F::EXPECTED_ATTACH_TYPE));

    // BPF tokens (delegated permissions) don't exist here: an fd is never
    // a token, so asking for one fails as bpf_token_get_from_fd() does.
    k.inject(LoadStep::Token)?;
    if flags & prog_flags::TOKEN_FD != 0 {
        let fd = attr.u32(F::PROG_TOKEN_FD);
        return Err(if p.fds.lock().expect("fd lock").get(fd).is_some() {
            Errno::EINVAL
        } else {
            Errno::EBADF
        });
    }

    // x86-64 has efficient unaligned access, so BPF_F_ANY_ALIGNMENT needs no
    // privilege.
    k.inject(LoadStep::Capabilities)?;
    let bpf_cap = creds.bpf_capable();
    if k.config.sysctls.unprivileged_bpf_disabled != 0 && !bpf_cap {
        return Err(Errno::EPERM);
    }

    k.inject(LoadStep::InsnCount)?;
    let insn_cnt = attr.u32(F::INSN_CNT);
    let limit = if bpf_cap {
        BPF_COMPLEXITY_LIMIT_INSNS
    } else {
        BPF_MAXINSNS
    };
    if insn_cnt == 0 || insn_cnt > limit {
        return Err(Errno::E2BIG);
    }

    if prog_type != pt::SOCKET_FILTER && prog_type != pt::CGROUP_SKB && !bpf_cap {
        return Err(Errno::EPERM);
    }
    if needs_net_admin(prog_type) && !creds.net_admin() {
        return Err(Errno::EPERM);
    }
    if needs_perfmon(prog_type) && !creds.perfmon_capable() {
        return Err(Errno::EPERM);
    }

    // attach_prog_fd / attach_btf_id name a target program or BTF type; no
    // BTF objects exist here, so a non-program fd or a bare BTF id fails
    // as the kernel fails without them.
    k.inject(LoadStep::AttachType)?;
    let attach_prog_fd = attr.u32(F::ATTACH_PROG_FD);
    let attach_btf_id = attr.u32(F::ATTACH_BTF_ID);
    let dst_prog = if attach_prog_fd != 0 {
        Some(p.prog_by_fd(attach_prog_fd).map_err(|_| Errno::EINVAL)?)
    } else if attach_btf_id != 0 {
        return Err(Errno::EINVAL);
    } else {
        None
    };
    if attach_btf_id != 0 && dst_prog.is_none() {
        return Err(Errno::EINVAL);
    }
    if dst_prog.is_some() && !matches!(prog_type, pt::TRACING | pt::EXT) {
        return Err(Errno::EINVAL);
    }
    check_attach(prog_type, eat)?;

    // Allocation: the program's pages, charged to the user's memlock.
    k.inject(LoadStep::Alloc)?;
    let pages = prog_pages(insn_cnt);
    let jit_requested = k.config.sysctls.bpf_jit_enable != 0;
    k.inject(LoadStep::Memlock)?;
    let memlock = k.memlock.charge(creds.uid, pages)?;

    k.inject(LoadStep::CopyInsns)?;
    let mut insn_bytes = vec![0u8; insn_cnt as usize * INSN_SIZE];
    mem.read(attr.u64(F::INSNS), &mut insn_bytes)?;
    let insns = insns_from_bytes(&insn_bytes).expect("whole instructions");

    k.inject(LoadStep::License)?;
    let license = mem.read_cstr(attr.u64(F::LICENSE), 127)?;
    let gpl_compatible = license_is_gpl_compatible(&license);

    if attr.u64(F::SIGNATURE) != 0 {
        verify_signature(attr, mem)?;
    }

    // Device offload (bpf_prog_dev_bound_init): the only device here is
    // the loopback (ifindex 1), which can neither offload nor bind XDP
    // programs; other types can't be device-bound at all.
    k.inject(LoadStep::DevBound)?;
    let ifindex = attr.u32(F::PROG_IFINDEX);
    if ifindex != 0 {
        let bindable = matches!(prog_type, pt::XDP | pt::SCHED_CLS);
        return Err(if bindable && ifindex == LOOPBACK_IFINDEX {
            Errno::EOPNOTSUPP
        } else {
            Errno::EINVAL
        });
    }

    // kern_version: accepted and ignored since 5.0.
    k.inject(LoadStep::ProgType)?;
    if !prog_type_supported(prog_type) {
        return Err(Errno::EINVAL);
    }

    let load_time_ns = k.boottime_ns();
    k.inject(LoadStep::Name)?;
    let name = obj_name(attr.slice(F::PROG_NAME, 16))?;

    k.inject(LoadStep::Security)?;
    k.policy().prog_load(creds, prog_type, eat)?;

    k.inject(LoadStep::Verifier)?;
    let digest = calc_digest(&insns);
    let tag: [u8; 8] = digest[..8].try_into().expect("8 bytes");
    let mut log = VerifierLog::new(attr.u32(F::LOG_LEVEL), attr.u64(F::LOG_BUF), attr.u32(F::LOG_SIZE))?;
    let checked = bpf_check(
        &LoadInput {
            mode: k.config.verifier,
            insns: &insns,
            attr,
            prog_type,
            expected_attach_type: eat,
            sleepable: flags & prog_flags::SLEEPABLE != 0,
            gpl_compatible,
            privileged: bpf_cap,
            strict_alignment: flags & prog_flags::STRICT_ALIGNMENT != 0 && flags & prog_flags::ANY_ALIGNMENT == 0,
            digest,
            jit_requested,
            kernel_btf: k.config.kernel_btf.as_deref(),
            fds: p,
            mem: &*mem,
        },
        &mut log,
    );
    // bpf_vlog_finalize(): the log reaches the caller whatever the verdict;
    // truncation turns the verdict into ENOSPC.
    let (log_bytes, log_fit) = log.finalize();
    if !log_bytes.is_empty() {
        mem.write(attr.u64(F::LOG_BUF), &log_bytes)?;
    }
    out.put_u32(F::LOG_TRUE_SIZE, log.true_size());
    // ENOSPC wins over the verifier's own error.
    log_fit?;
    let checked = checked?;

    k.inject(LoadStep::Runtime)?;
    // The verifier's proofs: trusted when the instance says so (Config),
    // else hints that shorten the checks.
    let trust = k.config.jit_trust_verifier;
    let runtime = load_runtime(
        &k.config.sysctls,
        &p.creds,
        &checked.xlated,
        jit_requested,
        &checked.proofs,
        trust,
        &checked.direct_calls,
    )?;
    check_tail_call(&checked.used_maps, prog_type, flags, &runtime)?;

    k.inject(LoadStep::Id)?;
    let id = k.progs.alloc()?;
    // bpf_prog_kallsyms_add(): JIT images only, and only for CAP_SYS_ADMIN.
    let ksym = match &runtime {
        Runtime::Jit(j) if creds.caps.sys_admin => Some(k.kallsyms.add(
            j.addr(),
            j.len() as u64,
            crate::syscall::kallsyms::prog_symbol_name(&tag, &String::from_utf8_lossy(&name)),
        )),
        _ => None,
    };
    let prog = Arc::new(Prog {
        prog_type,
        expected_attach_type: eat,
        prog_flags: flags,
        name,
        tag,
        gpl_compatible,
        load_time_ns,
        created_by_uid: creds.uid,
        xlated: checked.xlated,
        verified_insns: checked.verified_insns,
        max_ctx_offset: checked.max_ctx_offset,
        runtime,
        jit_requested,
        used_maps: checked.used_maps,
        map_loads: checked.map_loads,
        id,
        _memlock: Some(memlock),
        _ksym: ksym,
    });
    k.progs.publish(prog.id(), &prog);

    k.inject(LoadStep::Fd)?;
    p.new_prog_fd(prog)
}

/// What bpf_check reaches through the caller's fds.
impl LoadFds for Process {
    fn map_fd(&self, fd: u32) -> Result<Arc<crate::maps::Map>, Errno> {
        self.map_by_fd(fd).map(|(m, _)| m)
    }

    fn btf_fd(&self, fd: u32) -> Result<Arc<crate::btf::Btf>, Errno> {
        self.btf_by_fd(fd)
    }
}

/// The loopback device's ifindex.
const LOOPBACK_IFINDEX: u32 = 1;

/// bpf_prog_verify_signature() without keyrings: the signature is copied
/// in (over 8 KiB: EINVAL; unreadable: ENOMEM, as 6.18 reports a failed
/// copy), then no key can check it (EOPNOTSUPP). Recorded from the
/// reference kernel.
fn verify_signature(attr: &Attr, mem: &dyn UserMemory) -> Result<(), Errno> {
    const MAX_SIGNATURE: u32 = 8192;
    let size = attr.u32(F::SIGNATURE_SIZE);
    if size > MAX_SIGNATURE {
        return Err(Errno::EINVAL);
    }
    let mut sig = vec![0u8; size as usize];
    mem.read(attr.u64(F::SIGNATURE), &mut sig).map_err(|_| Errno::ENOMEM)?;
    Err(Errno::EOPNOTSUPP)
}

/// bpf_check_tail_call(): every prog_array the program uses must accept
/// it (the first program to use one fixes its owner type).
fn check_tail_call(
    used: &[Arc<crate::maps::Map>],
    prog_type: u32,
    prog_flags: u32,
    runtime: &Runtime,
) -> Result<(), Errno> {
    let owner = crate::maps::ProgOwner {
        prog_type,
        jited: !matches!(runtime, Runtime::Interpreter(_)),
        xdp_has_frags: prog_flags & prog_flags::XDP_HAS_FRAGS != 0,
    };
    for m in used {
        if let Some(a) = m.downcast::<crate::maps::fd_array::FdArray>() {
            if m.map_type == crate::uapi::types::map_type::PROG_ARRAY && !a.owner_compatible(owner) {
                return Err(Errno::EINVAL);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_bpf_obj_name_cpy() {
        let raw = |s: &[u8]| {
            let mut b = [0u8; 16];
            b[..s.len()].copy_from_slice(s);
            b
        };
        assert_eq!(obj_name(&raw(b"a.b_c9")).unwrap(), b"a.b_c9");
        assert_eq!(obj_name(&raw(b"")).unwrap(), b"");
        assert_eq!(obj_name(&raw(b"a-b")), Err(Errno::EINVAL));
        assert_eq!(obj_name(&[b'a'; 16]), Err(Errno::EINVAL), "no NUL in 16 bytes");
        // Latin-1 letters count as alphanumeric in the kernel's ctype.
        assert!(obj_name(&raw(&[0xc0, 0xff])).is_ok());
        assert_eq!(obj_name(&raw(&[0xd7])), Err(Errno::EINVAL));
    }

    #[test]
    fn pages_include_the_header() {
        assert_eq!(prog_pages(1), 1);
        assert_eq!(prog_pages(503), 1); // 72 + 503 * 8 = 4096
        assert_eq!(prog_pages(504), 2);
    }
}
