//! The environment of one run, which helpers reach through
//! [`HelperCall::env`](crate::exec::helper_table::HelperCall): the
//! program's maps, the CPU it runs on, its packet, the trace pipe, the
//! calling task, and the tail call it asked for. [`KernelEnv`] is what the
//! engines know of it (exec::ExecEnv), the JIT's field offsets included.

use std::cell::{Cell, RefCell};
use std::mem::offset_of;
use std::sync::Arc;

use super::ctx_layout::CtxLayout;
use super::trace::TracePipe;
use crate::exec::{EnvOffsets, ExecEnv, GuestMemory, HelperExit, JitEnv};
use crate::maps::guest::MapTable;
use crate::prog::Prog;

/// Where the packet of a networking run lives in guest memory.
#[derive(Clone, Copy, Debug)]
pub struct PacketView {
    /// Guest address of the context (the shadow slots hold data/data_end).
    pub ctx: u64,
    pub layout: &'static CtxLayout,
    /// Guest address of the packet buffer (headroom included).
    pub buf: u64,
    /// Length of the whole buffer (headroom + room for the data + tailroom).
    pub buf_len: u64,
    /// Bytes of the packet in XDP fragments, past the buffer.
    pub frags_len: u64,
}

/// The task a run is "current" for (bpf_get_current_*).
#[derive(Clone, Debug, Default)]
pub struct Task {
    pub pid: u32,
    pub tgid: u32,
    pub uid: u32,
    pub gid: u32,
    /// TASK_COMM_LEN bytes, NUL padded.
    pub comm: [u8; 16],
}

impl Task {
    /// The calling thread of the host process, with `comm` instead of its
    /// own name if given (None: prctl(PR_GET_NAME)).
    pub fn host(comm: Option<[u8; 16]>) -> Task {
        // SAFETY: getpid/gettid/getuid/getgid have no preconditions.
        let (tgid, pid, uid, gid) = unsafe { (libc::getpid(), libc::gettid(), libc::getuid(), libc::getgid()) };
        let comm = comm.unwrap_or_else(|| {
            let mut name = [0u8; 16];
            // SAFETY: PR_GET_NAME writes at most 16 bytes (NUL included)
            // into the buffer, which is 16 bytes long.
            unsafe { libc::prctl(libc::PR_GET_NAME, name.as_mut_ptr() as libc::c_ulong, 0, 0, 0) };
            name[15] = 0;
            name
        });
        Task {
            pid: pid as u32,
            tgid: tgid as u32,
            uid,
            gid,
            comm,
        }
    }
}

/// The kernel's MAX_TAIL_CALL_CNT.
pub const MAX_TAIL_CALL_CNT: u32 = 33;

/// Everything a helper may need besides guest memory.
#[derive(Default)]
pub struct RunEnv<'m> {
    /// The program's maps as guest regions (None: a run without maps).
    pub maps: Option<MapTable<'m>>,
    /// The CPU the run is on (bpf_get_smp_processor_id, per-CPU maps).
    pub cpu: u32,
    pub prog_type: u32,
    /// The packet, for the packet helpers.
    pub packet: Option<PacketView>,
    pub trace: Option<&'m TracePipe>,
    pub task: Task,
    /// The program a successful bpf_tail_call() jumps to; the driver picks
    /// it up when the current program stops.
    pub tail_call: RefCell<Option<Arc<Prog>>>,
    /// Tail calls taken so far in this run.
    pub tail_calls: Cell<u32>,
    /// State of bpf_get_prandom_u32() (never 0).
    pub prandom: Cell<u64>,
    /// The running program's instructions, for callbacks.
    pub program: Option<&'m crate::exec::Program>,
    /// Callbacks running now (nesting level).
    pub callback_depth: Cell<usize>,
    /// The guest address of the bpf_spin_lock this run holds. The verifier
    /// makes lock and unlock pair up; this catches programs loaded with
    /// `VerifierMode::Structural` (a second lock would spin forever).
    pub spin_lock: Cell<Option<u64>>,
}

/// The environment kind of loaded programs' runs: [`RunEnv`], as the
/// engines and the JIT's inlined environment helpers see it.
pub enum KernelEnv {}

impl ExecEnv for KernelEnv {
    type Run<'m> = RunEnv<'m>;

    #[inline]
    fn cpu(env: &RunEnv<'_>) -> u32 {
        env.cpu
    }

    #[inline]
    fn map_lookup_elem<'m>(
        env: &RunEnv<'m>,
        mem: &mut GuestMemory<'m>,
        map: u64,
        key: u64,
    ) -> Option<Result<u64, HelperExit>> {
        let maps = env.maps.as_ref()?;
        Some(maps.map_lookup_elem(mem, map, key, env.cpu))
    }

    fn map_object(env: &RunEnv<'_>, handle: u64) -> Option<*const ()> {
        let map = env.maps.as_ref()?.used_at(handle)?;
        Some(Arc::as_ptr(map).cast())
    }
}

impl JitEnv for KernelEnv {
    const OFFSETS: EnvOffsets = {
        const TASK: usize = offset_of!(RunEnv<'static>, task);
        EnvOffsets {
            // A `Cell<u64>`: a plain u64 in place.
            prandom: offset_of!(RunEnv<'static>, prandom),
            pid: TASK + offset_of!(Task, pid),
            tgid: TASK + offset_of!(Task, tgid),
            uid: TASK + offset_of!(Task, uid),
            gid: TASK + offset_of!(Task, gid),
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_task_is_named_as_the_calling_thread_unless_renamed() {
        let own = std::fs::read("/proc/thread-self/comm").expect("comm");
        let own = own.strip_suffix(b"\n").unwrap_or(&own);
        let t = Task::host(None);
        assert_eq!(&t.comm[..own.len()], own);
        assert!(t.comm[own.len()..].iter().all(|&b| b == 0));
        let mut named = [0u8; 16];
        named[..7].copy_from_slice(b"python3");
        assert_eq!(Task::host(Some(named)).comm, named);
    }

    #[test]
    fn the_jit_reads_the_fields_where_they_are() {
        let env = RunEnv { ..Default::default() };
        let base = &env as *const RunEnv<'_> as usize;
        let at = |field: *const u8| field as usize - base;
        let off = KernelEnv::OFFSETS;
        assert_eq!(off.prandom, at(env.prandom.as_ptr().cast()));
        assert_eq!(off.pid, at((&env.task.pid as *const u32).cast()));
        assert_eq!(off.tgid, at((&env.task.tgid as *const u32).cast()));
        assert_eq!(off.uid, at((&env.task.uid as *const u32).cast()));
        assert_eq!(off.gid, at((&env.task.gid as *const u32).cast()));
    }
}
