//! Test runs of programs whose context is plain memory:
//! bpf_prog_test_run_raw_tp() (raw tracepoint arguments) and
//! bpf_prog_test_run_syscall() (the syscall program's argument block).

use super::{get32, Finish, Runner, TestAttr};
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

/// MAX_BPF_FUNC_ARGS * sizeof(u64).
const RAW_TP_MAX_CTX: u32 = 12 * 8;
/// BPF_F_TEST_RUN_ON_CPU.
const F_RUN_ON_CPU: u32 = 1 << 0;

fn read_ctx(t: &TestAttr, mem: &dyn UserMemory) -> Result<Vec<u8>, Errno> {
    let mut ctx = vec![0u8; t.ctx_size_in as usize];
    if !ctx.is_empty() {
        mem.read(t.ctx_in, &mut ctx)?;
    }
    Ok(ctx)
}

/// Raw tracepoints: only ctx_in; run once.
pub(crate) fn test_run_raw_tp(r: &Runner<'_>, t: &TestAttr, mem: &dyn UserMemory) -> Result<Finish, Errno> {
    if t.data_in != 0 || t.data_out != 0 || t.ctx_out != 0 || t.duration != 0 || t.repeat != 0 || t.batch_size != 0 {
        return Err(Errno::EINVAL);
    }
    if t.ctx_size_in < r.prog.max_ctx_offset || t.ctx_size_in > RAW_TP_MAX_CTX {
        return Err(Errno::EINVAL);
    }
    if t.flags & F_RUN_ON_CPU == 0 && t.cpu != 0 {
        return Err(Errno::EINVAL);
    }
    if t.flags & F_RUN_ON_CPU != 0 && t.cpu >= r.process.kernel.config.possible_cpus {
        return Err(Errno::ENXIO);
    }
    let mut ctx = read_ctx(t, mem)?;
    let mut setup = r.setup(&mut ctx);
    if t.flags & F_RUN_ON_CPU != 0 {
        setup.cpu = t.cpu;
    }
    let (retval, _) = r.run(1, &mut setup)?;
    Ok(Finish::retval_only(retval))
}

/// Syscall programs: ctx_in is read and written back.
pub(crate) fn test_run_syscall(r: &Runner<'_>, t: &TestAttr, mem: &mut dyn UserMemory) -> Result<Finish, Errno> {
    if t.data_in != 0
        || t.data_out != 0
        || t.ctx_out != 0
        || t.duration != 0
        || t.repeat != 0
        || t.flags != 0
        || t.batch_size != 0
    {
        return Err(Errno::EINVAL);
    }
    if t.ctx_size_in < r.prog.max_ctx_offset || t.ctx_size_in > u16::MAX as u32 {
        return Err(Errno::EINVAL);
    }
    let mut ctx = read_ctx(t, mem)?;
    let retval = {
        let mut setup = r.setup(&mut ctx);
        r.run(1, &mut setup)?.0
    };
    if !ctx.is_empty() {
        mem.write(t.ctx_in, &ctx)?;
    }
    Ok(Finish::retval_only(retval))
}

/// sizeof(struct bpf_sk_lookup).
const SK_LOOKUP_SIZE: usize = 72;

/// sk_lookup programs: the lookup described by ctx_in (required); ctx_out
/// gets it back with the cookie of the selected socket (none here: 0).
pub(crate) fn test_run_sk_lookup(r: &Runner<'_>, t: &TestAttr, mem: &dyn UserMemory) -> Result<Finish, Errno> {
    if t.flags != 0 || t.cpu != 0 || t.batch_size != 0 {
        return Err(Errno::EINVAL);
    }
    if t.data_in != 0 || t.data_size_in != 0 || t.data_out != 0 || t.data_size_out != 0 {
        return Err(Errno::EINVAL);
    }
    let Some(mut ctx) = super::ctx_init(t, mem, SK_LOOKUP_SIZE)? else {
        return Err(Errno::EINVAL);
    };
    // `sk` must be NULL and nothing may follow local_port.
    if ctx[..8].iter().any(|&b| b != 0) || ctx[64..].iter().any(|&b| b != 0) {
        return Err(Errno::EINVAL);
    }
    if get32(&ctx, 60) > u16::MAX as u32 {
        return Err(Errno::ERANGE);
    }
    const AF_INET: u32 = 2;
    const AF_INET6: u32 = 10;
    if !matches!(get32(&ctx, 8) & 0xffff, AF_INET | AF_INET6) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let user = ctx.clone();
    let (retval, duration) = {
        let mut setup = r.setup(&mut ctx);
        r.run(t.repeat, &mut setup)?
    };
    // The caller's lookup comes back with cookie 0 (no socket selected).
    Ok(Finish {
        retval,
        duration,
        data: None,
        frags_len: 0,
        ctx: Some(user),
    })
}
