//! BPF_PROG_TEST_RUN (net/bpf/test_run.c): run a loaded program on a packet
//! or a context the caller passes, and hand back what it returned and what
//! it left in the packet and the context.
//!
//! mod.rs holds the command's own checks (bpf_prog_test_run() in
//! syscall.c), the shared pieces of test_run.c (bpf_test_run's repeat
//! loop and timing, bpf_test_finish, bpf_ctx_init/bpf_ctx_finish); each
//! program type family has its file: skb.rs, xdp.rs, flow_dissector.rs,
//! raw.rs, nf.rs.

mod flow_dissector;
mod nf;
mod raw;
mod skb;
mod xdp;

use std::sync::Arc;
use std::time::Instant;

use crate::prog::Prog;
use crate::runtime::{run_prog_repeat, Engine, RunSetup};
use crate::syscall::{AttrOut, Process};
use crate::uapi::attr::{test_run as F, Attr};
use crate::uapi::types::prog_type as pt;
use crate::uapi::{Errno, PAGE_SIZE};
use crate::user_mem::UserMemory;

const ETH_HLEN: usize = 14;

/// The test attr, as read from the union.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct TestAttr {
    pub data_size_in: u32,
    pub data_size_out: u32,
    pub data_in: u64,
    pub data_out: u64,
    pub repeat: u32,
    pub duration: u32,
    pub ctx_size_in: u32,
    pub ctx_size_out: u32,
    pub ctx_in: u64,
    pub ctx_out: u64,
    pub flags: u32,
    pub cpu: u32,
    pub batch_size: u32,
}

impl TestAttr {
    fn read(a: &Attr) -> TestAttr {
        TestAttr {
            data_size_in: a.u32(F::DATA_SIZE_IN),
            data_size_out: a.u32(F::DATA_SIZE_OUT),
            data_in: a.u64(F::DATA_IN),
            data_out: a.u64(F::DATA_OUT),
            repeat: a.u32(F::REPEAT),
            duration: a.u32(F::DURATION),
            ctx_size_in: a.u32(F::CTX_SIZE_IN),
            ctx_size_out: a.u32(F::CTX_SIZE_OUT),
            ctx_in: a.u64(F::CTX_IN),
            ctx_out: a.u64(F::CTX_OUT),
            flags: a.u32(F::FLAGS),
            cpu: a.u32(F::CPU),
            batch_size: a.u32(F::BATCH_SIZE),
        }
    }
}

/// What a type's test run hands back to the command.
pub(crate) struct Finish {
    pub retval: u32,
    pub duration: u32,
    /// The output packet (None: the type has none), fragments last.
    pub data: Option<Vec<u8>>,
    /// How many bytes at the end of `data` are XDP fragments.
    pub frags_len: usize,
    /// The output context (None: none to copy out).
    pub ctx: Option<Vec<u8>>,
}

/// A little-endian u32 of a uapi struct.
pub(crate) fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

impl Finish {
    /// A run that hands back only its return value.
    pub(crate) fn retval_only(retval: u32) -> Finish {
        Finish {
            retval,
            duration: 0,
            data: None,
            frags_len: 0,
            ctx: None,
        }
    }
}

/// One test run's shared inputs.
pub(crate) struct Runner<'a> {
    pub prog: &'a Arc<Prog>,
    pub process: &'a Process,
    pub engine: Engine,
}

impl Runner<'_> {
    /// bpf_test_run(): `repeat` runs (0 counts as 1) on the same context;
    /// retval of the last, duration = mean ns per run (saturating u32).
    /// A run that faults (a program the verifier should have refused, or
    /// an unmodelled helper) is EFAULT.
    pub fn run(&self, repeat: u32, setup: &mut RunSetup<'_>) -> Result<(u32, u32), Errno> {
        let repeat = repeat.max(1);
        let start = Instant::now();
        let retval = match run_prog_repeat(self.prog, setup, repeat) {
            Ok(r) => r.r0 as u32,
            Err(_) => return Err(Errno::EFAULT),
        };
        let ns = start.elapsed().as_nanos() / repeat as u128;
        Ok((retval, ns.min(u32::MAX as u128) as u32))
    }

    pub fn setup<'b>(&'b self, ctx: &'b mut [u8]) -> RunSetup<'b> {
        RunSetup {
            ctx,
            packet: None,
            offsets: Default::default(),
            ld_abs: None,
            frags_len: 0,
            cpu: crate::maps::current_cpu(),
            trace: Some(&self.process.kernel.trace),
            task: self.process.current_task(),
            engine: self.engine,
        }
    }
}

/// bpf_test_init(): data_in of `size` bytes copied into a buffer with
/// `headroom` before it and room for `max` bytes plus `tailroom`.
pub(crate) fn test_init(
    t: &TestAttr,
    mem: &dyn UserMemory,
    size: u32,
    max: u64,
    headroom: usize,
    tailroom: usize,
) -> Result<Vec<u8>, Errno> {
    if (size as usize) < ETH_HLEN || size as u64 > max {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; headroom + max as usize + tailroom];
    mem.read(t.data_in, &mut buf[headroom..headroom + size as usize])?;
    Ok(buf)
}

/// bpf_ctx_init(): the context the caller passed, zero-extended to
/// `max_size` (bytes past it must be zero: E2BIG); None without ctx_in
/// and ctx_out.
pub(crate) fn ctx_init(t: &TestAttr, mem: &dyn UserMemory, max_size: usize) -> Result<Option<Vec<u8>>, Errno> {
    if t.ctx_in == 0 && t.ctx_out == 0 {
        return Ok(None);
    }
    let mut ctx = vec![0u8; max_size];
    if t.ctx_in != 0 {
        let size = t.ctx_size_in as usize;
        if size > PAGE_SIZE as usize {
            return Err(Errno::E2BIG);
        }
        if size > max_size {
            // bpf_check_uarg_tail_zero(): the tail must be zeros.
            let mut tail = vec![0u8; (size - max_size).min(PAGE_SIZE as usize * 16)];
            if size - max_size > tail.len() {
                return Err(Errno::E2BIG);
            }
            mem.read(t.ctx_in + max_size as u64, &mut tail)?;
            if tail.iter().any(|&b| b != 0) {
                return Err(Errno::E2BIG);
            }
        }
        let n = size.min(max_size);
        mem.read(t.ctx_in, &mut ctx[..n])?;
    }
    Ok(Some(ctx))
}

/// BPF_PROG_TEST_RUN. `engine` picks the engine (the syscall uses the one
/// chosen at load; the typed API and the CLI may force one).
pub(crate) fn prog_test_run(
    p: &Process,
    a: &Attr,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
    engine: Engine,
) -> Result<u32, Errno> {
    a.check_unused_zero(F::LAST_FIELD_END)?;
    let t = TestAttr::read(a);
    if (t.ctx_size_in != 0) != (t.ctx_in != 0) || (t.ctx_size_out != 0) != (t.ctx_out != 0) {
        return Err(Errno::EINVAL);
    }
    let prog = p.prog_by_fd(a.u32(F::PROG_FD))?;
    let runner = Runner {
        prog: &prog,
        process: p,
        engine,
    };
    let finish = match prog.prog_type {
        ty if crate::runtime::ctx_layout::is_skb_type(ty) => skb::test_run(&runner, &t, mem)?,
        pt::XDP => xdp::test_run(&runner, &t, mem)?,
        pt::FLOW_DISSECTOR => flow_dissector::test_run(&runner, &t, mem)?,
        pt::RAW_TRACEPOINT => raw::test_run_raw_tp(&runner, &t, mem)?,
        pt::SYSCALL => raw::test_run_syscall(&runner, &t, mem)?,
        pt::SK_LOOKUP => raw::test_run_sk_lookup(&runner, &t, mem)?,
        pt::NETFILTER => nf::test_run(&runner, &t, mem)?,
        _ => return Err(Errno::ENOTSUPP),
    };
    finish_out(&t, out, mem, finish)
}

/// bpf_test_finish() then bpf_ctx_finish(): outputs truncated to the
/// caller's sizes with ENOSPC (the truncated bytes and the full sizes are
/// still written), retval and duration.
fn finish_out(t: &TestAttr, out: &mut AttrOut<'_>, mem: &mut dyn UserMemory, f: Finish) -> Result<u32, Errno> {
    let mut err = None;
    if let Some(data) = &f.data {
        let size = data.len() as u32;
        if t.data_out != 0 {
            let mut n = data.len();
            // data_size_out 0 means "no limit".
            if t.data_size_out != 0 && size > t.data_size_out {
                n = t.data_size_out as usize;
                err = Some(Errno::ENOSPC);
            }
            // The fragments always go out whole, after as much of the
            // linear part as still fits; if they alone do not fit,
            // nothing is written at all.
            let Some(linear) = n.checked_sub(f.frags_len) else {
                return Err(Errno::ENOSPC);
            };
            mem.write(t.data_out, &data[..linear])?;
            mem.write(t.data_out + linear as u64, &data[data.len() - f.frags_len..])?;
        }
        out.put_u32(F::DATA_SIZE_OUT, size);
    }
    out.put_u32(F::RETVAL, f.retval);
    out.put_u32(F::DURATION, f.duration);
    if let Some(e) = err {
        return Err(e);
    }
    if let (Some(ctx), true) = (&f.ctx, t.ctx_out != 0) {
        let size = ctx.len() as u32;
        let mut n = ctx.len();
        if size > t.ctx_size_out {
            n = t.ctx_size_out as usize;
            err = Some(Errno::ENOSPC);
        }
        mem.write(t.ctx_out, &ctx[..n])?;
        out.put_u32(F::CTX_SIZE_OUT, size);
    }
    match err {
        Some(e) => Err(e),
        None => Ok(0),
    }
}
