//! One run of a loaded program, as bpf_prog_run() does it: guest memory
//! laid out (maps, stack, context, packet), the program started with r1 =
//! the context on the chosen engine, and tail calls followed, each callee
//! getting its own map regions over the same context and packet.

use std::sync::Arc;

use super::ctx_layout::CtxLayout;
use super::env::{KernelEnv, PacketView, RunEnv, Task};
use super::trace::TracePipe;
use crate::exec::interp::STACK_SIZE;
use crate::exec::{ExecError, Executor, GuestMemory, Interpreter, Jit, LdAbsPacket, RegionKind, RunOptions};
use crate::helpers::run::kernel_helpers;
use crate::maps::guest::MapTable;
use crate::prog::{Prog, Runtime};

/// Which engine runs the program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// What bpf_prog_select_runtime() chose at load.
    #[default]
    Loaded,
    /// The interpreter, whatever was chosen.
    Interpreter,
    /// The JIT image; programs loaded for the interpreter are refused
    /// (`Fault::Unsupported`).
    Jit,
}

/// Offsets of the packet pointers within the packet buffer. They persist
/// between the programs of a tail-call chain and tell the caller where
/// the data ended up (bpf_xdp_adjust_head moves them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacketOffsets {
    pub data: u64,
    pub data_end: u64,
    pub data_meta: u64,
}

/// Where an skb's MAC and network headers are, as offsets into the packet
/// buffer (eth_type_trans() sets them; LD_ABS/LD_IND read from them at
/// SKF_LL_OFF and SKF_NET_OFF).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SkbHeaders {
    pub mac: u64,
    pub network: u64,
}

impl SkbHeaders {
    /// What LD_ABS/LD_IND see with the buffer at guest address `buf` and
    /// the packet at `data..end`.
    fn view(&self, buf: u64, data: u64, end: u64) -> LdAbsPacket {
        let rel = |off: u64| buf.wrapping_add(off).wrapping_sub(data) as i64 as i32;
        LdAbsPacket {
            data,
            len: end.wrapping_sub(data) as u32,
            network: rel(self.network),
            mac: rel(self.mac),
        }
    }
}

/// What the caller prepared for a run.
pub struct RunSetup<'b> {
    /// The context region (for packet types: the uapi struct followed by
    /// the shadow slots of `layout`).
    pub ctx: &'b mut [u8],
    /// The packet buffer (headroom included) and its layout, if any.
    pub packet: Option<(&'b mut [u8], &'static CtxLayout)>,
    /// Where data, data_end and data_meta are in `packet`; updated.
    pub offsets: PacketOffsets,
    /// Whether LD_ABS/LD_IND see the packet (socket filters, tc), and
    /// where its headers are for the negative offsets.
    pub ld_abs: Option<SkbHeaders>,
    /// Bytes of the packet in XDP fragments (not in `packet`).
    pub frags_len: u64,
    pub cpu: u32,
    pub trace: Option<&'b TracePipe>,
    pub task: Task,
    pub engine: Engine,
}

/// What a run returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgRun {
    pub r0: u64,
    /// Tail calls taken.
    pub tail_calls: u32,
}

/// Run `prog` `repeat` times (at least once) on the same context and
/// packet, as bpf_test_run() does; the last run's result. Guest memory is
/// laid out once for all the runs that take no tail call.
pub fn run_prog_repeat(prog: &Arc<Prog>, setup: &mut RunSetup<'_>, repeat: u32) -> Result<ProgRun, ExecError> {
    let mut left = repeat.max(1);
    let mut prandom = seed();
    let mut last = ProgRun { r0: 0, tail_calls: 0 };
    while left > 0 {
        let step = run_one(prog, setup, 0, prandom, left)?;
        prandom = step.prandom;
        left -= step.runs;
        let (mut r0, mut next, mut tail_calls) = (step.r0, step.next, 0);
        while let Some(p) = next {
            tail_calls += 1;
            let s = run_one(&p, setup, tail_calls, prandom, 1)?;
            prandom = s.prandom;
            r0 = s.r0;
            next = s.next;
        }
        last = ProgRun { r0, tail_calls };
    }
    Ok(last)
}

/// What [`run_one`] did.
struct Step {
    /// r0 of the last run.
    r0: u64,
    /// The tail call the last run took.
    next: Option<Arc<Prog>>,
    prandom: u64,
    /// Runs made.
    runs: u32,
}

fn seed() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    t | 1
}

/// One program of a chain, up to `repeat` times over one layout of guest
/// memory; stops early after a run that takes a tail call.
fn run_one(
    prog: &Arc<Prog>,
    setup: &mut RunSetup<'_>,
    tail_calls: u32,
    prandom: u64,
    repeat: u32,
) -> Result<Step, ExecError> {
    let setup_fault = |what| ExecError {
        pc: 0,
        fault: crate::exec::Fault::Unsupported { what },
    };
    let mut gm = GuestMemory::new();
    let maps =
        MapTable::install(&prog.used_maps, &mut gm).map_err(|_| setup_fault("a map too large for guest memory"))?;
    let fp = gm.stack_top(STACK_SIZE);
    let ctx_addr = gm.add(&mut *setup.ctx, RegionKind::Context);
    let mut packet = None;
    let mut opts = RunOptions::default();
    if let Some((buf, layout)) = setup.packet.as_mut() {
        let buf_len = buf.len() as u64;
        let base = gm.add(buf, RegionKind::Packet);
        let o = setup.offsets;
        let put = |gm: &mut GuestMemory<'_>, off: usize, v: u64| gm.store(ctx_addr + off as u64, 8, v);
        put(&mut gm, layout.data, base + o.data).map_err(|_| setup_fault("a context too small for its layout"))?;
        put(&mut gm, layout.data_end, base + o.data_end)
            .map_err(|_| setup_fault("a context too small for its layout"))?;
        put(&mut gm, layout.data_meta, base + o.data_meta)
            .map_err(|_| setup_fault("a context too small for its layout"))?;
        if let Some((field, target)) = layout.self_pointer {
            put(&mut gm, field, ctx_addr + target as u64)
                .map_err(|_| setup_fault("a context too small for its layout"))?;
        }
        if let Some(h) = setup.ld_abs {
            opts.packet = Some(h.view(base, base + o.data, base + o.data_end));
        }
        packet = Some(PacketView {
            ctx: ctx_addr,
            layout,
            buf: base,
            buf_len,
            frags_len: setup.frags_len,
        });
    }
    // The instructions either engine runs (the JIT image's own, when one
    // was chosen at load).
    let program = match &prog.runtime {
        Runtime::Jit(j) => j.program(),
        Runtime::Interpreter(p) => p,
    };
    let env = RunEnv {
        maps: Some(maps),
        cpu: setup.cpu,
        prog_type: prog.prog_type,
        packet,
        trace: setup.trace,
        task: setup.task.clone(),
        tail_call: Default::default(),
        tail_calls: std::cell::Cell::new(tail_calls),
        prandom: std::cell::Cell::new(prandom),
        program: Some(program),
        callback_depth: Default::default(),
        spin_lock: Default::default(),
    };
    let helpers = kernel_helpers();
    let mut series = Series {
        gm: &mut gm,
        env: &env,
        fp,
        ctx_addr,
        opts,
        ld_abs: setup.ld_abs,
        repeat,
        tail_calls,
    };
    let (r0, runs) = match (&prog.runtime, setup.engine) {
        (Runtime::Jit(j), Engine::Loaded | Engine::Jit) => series.run(&Jit::new(j, helpers))?,
        (Runtime::Interpreter(_), Engine::Jit) => return Err(setup_fault("the JIT for a program loaded without one")),
        _ => series.run(&Interpreter::new(program, helpers))?,
    };
    // Where the packet pointers ended up, relative to the buffer.
    if let Some(view) = env.packet {
        let get = |off: usize| gm.load(ctx_addr + off as u64, 8).unwrap_or(0).wrapping_sub(view.buf);
        setup.offsets = PacketOffsets {
            data: get(view.layout.data),
            data_end: get(view.layout.data_end),
            data_meta: get(view.layout.data_meta),
        };
    }
    let next = env.tail_call.borrow_mut().take();
    Ok(Step {
        r0,
        next,
        prandom: env.prandom.get(),
        runs,
    })
}

/// Runs of one program over one layout of guest memory.
struct Series<'s, 'm> {
    gm: &'s mut GuestMemory<'m>,
    env: &'s RunEnv<'m>,
    fp: u64,
    ctx_addr: u64,
    opts: RunOptions,
    ld_abs: Option<SkbHeaders>,
    repeat: u32,
    tail_calls: u32,
}

impl Series<'_, '_> {
    /// Up to `repeat` runs on `engine`, set up once (as the kernel sets
    /// its test run up once and loops over the program); stops early after
    /// a run that takes a tail call. r0 of the last run, and the runs made.
    fn run<X: Executor<Env = KernelEnv>>(&mut self, engine: &X) -> Result<(u64, u32), ExecError> {
        let (env, ctx_addr) = (self.env, self.ctx_addr);
        let mut prepared = engine.prepare(self.gm, self.fp, &self.opts)?;
        let mut r0 = 0;
        let mut runs = 0;
        while runs < self.repeat {
            env.tail_calls.set(self.tail_calls);
            let ran = engine.execute_prepared(&mut prepared, self.gm, env, &[ctx_addr], &self.opts);
            // A lock still held at exit (only a structurally checked program
            // can get here) is released, and the run fails.
            if let Some(lock) = env.spin_lock.take() {
                let _ = self.gm.atomic_update(lock, 4, |_| 0);
                ran?;
                return Err(ExecError {
                    pc: 0,
                    fault: crate::exec::Fault::HelperFailed {
                        name: "bpf_spin_lock",
                        reason: "the program ended holding the lock".into(),
                    },
                });
            }
            r0 = ran?;
            runs += 1;
            if env.tail_call.borrow().is_some() {
                break;
            }
            // LD_ABS sees the packet as the last run left it.
            if let (Some(h), Some(view)) = (self.ld_abs, env.packet) {
                let data = self.gm.load(ctx_addr + view.layout.data as u64, 8).unwrap_or(0);
                let end = self.gm.load(ctx_addr + view.layout.data_end as u64, 8).unwrap_or(0);
                self.opts.packet = Some(h.view(view.buf, data, end));
            }
        }
        Ok((r0, runs))
    }
}
