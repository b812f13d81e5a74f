//! One run of a loaded program, as bpf_prog_run() does it: guest memory
//! laid out (maps, stack, context, packet), the program started with r1 =
//! the context on the chosen engine, and tail calls followed, each callee
//! getting its own map regions over the same context and packet.

use std::sync::Arc;

use super::ctx_layout::CtxLayout;
use super::env::{PacketView, RunEnv, Task};
use super::trace::TracePipe;
use crate::exec::interp::STACK_SIZE;
use crate::exec::{ExecError, GuestMemory, Interpreter, Jit, RegionKind, RunOptions};
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

/// What the caller prepared for a run.
pub struct RunSetup<'b> {
    /// The context region (for packet types: the uapi struct followed by
    /// the shadow slots of `layout`).
    pub ctx: &'b mut [u8],
    /// The packet buffer (headroom included) and its layout, if any.
    pub packet: Option<(&'b mut [u8], &'static CtxLayout)>,
    /// Where data, data_end and data_meta are in `packet`; updated.
    pub offsets: PacketOffsets,
    /// Whether LD_ABS/LD_IND see the packet (socket filters, tc).
    pub ld_abs: bool,
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

/// Run `prog` (and the programs it tail-calls) once.
pub fn run_prog(prog: &Arc<Prog>, setup: &mut RunSetup<'_>) -> Result<ProgRun, ExecError> {
    let mut current = Arc::clone(prog);
    let mut tail_calls = 0u32;
    let mut prandom = seed();
    loop {
        let (r0, next, seed_after) = run_one(&current, setup, tail_calls, prandom)?;
        prandom = seed_after;
        match next {
            Some(p) => {
                tail_calls += 1;
                current = p;
            }
            None => return Ok(ProgRun { r0, tail_calls }),
        }
    }
}

fn seed() -> u64 {
    use std::time::{SystemTime, UNIX_EPOCH};
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    t | 1
}

/// One program of the chain: returns r0, the tail-call target if one was
/// taken, and the prandom state.
fn run_one(
    prog: &Arc<Prog>,
    setup: &mut RunSetup<'_>,
    tail_calls: u32,
    prandom: u64,
) -> Result<(u64, Option<Arc<Prog>>, u64), ExecError> {
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
        let base = gm.add(&mut **buf, RegionKind::Packet);
        let o = setup.offsets;
        let put = |gm: &mut GuestMemory<'_>, off: usize, v: u64| gm.store(ctx_addr + off as u64, 8, v);
        put(&mut gm, layout.data, base + o.data).map_err(|_| setup_fault("a context too small for its layout"))?;
        put(&mut gm, layout.data_end, base + o.data_end)
            .map_err(|_| setup_fault("a context too small for its layout"))?;
        put(&mut gm, layout.data_meta, base + o.data_meta)
            .map_err(|_| setup_fault("a context too small for its layout"))?;
        if setup.ld_abs {
            opts.packet = Some((base + o.data, (o.data_end - o.data) as u32));
        }
        packet = Some(PacketView {
            ctx: ctx_addr,
            layout,
            buf: base,
            buf_len,
        });
    }
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
    };
    let helpers = kernel_helpers();
    let r0 = match (&prog.runtime, setup.engine) {
        (Runtime::Jit(j), Engine::Loaded | Engine::Jit) => {
            Jit::new(j, helpers).execute_in(&mut gm, &env, fp, &[ctx_addr], &opts)?
        }
        (Runtime::Jit(j), Engine::Interpreter) => {
            Interpreter::new(j.program(), helpers).execute_in(&mut gm, &env, fp, &[ctx_addr], &opts)?
        }
        (Runtime::Interpreter(p), Engine::Loaded | Engine::Interpreter) => {
            Interpreter::new(p, helpers).execute_in(&mut gm, &env, fp, &[ctx_addr], &opts)?
        }
        (Runtime::Interpreter(_), Engine::Jit) => return Err(setup_fault("the JIT for a program loaded without one")),
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
    Ok((r0, next, env.prandom.get()))
}
