//! What the engines need of the environment a run executes in, as a trait
//! (as sbpf's VM is generic over its context object): the helpers see the
//! environment whole, the engines only through [`ExecEnv`], and JIT code
//! that inlines an environment helper reads its fields at the offsets
//! [`JitEnv`] states. The loaded programs' environment (maps, CPU, packet,
//! task...) implements both (its KernelEnv); runs of bare programs (the
//! conformance plugin, the CLI's `run`, tests) use [`NoEnv`].
//!
//! The engines are generic over the environment, so a helper call or a
//! map lookup is as direct as if they named it: no dynamic dispatch.

use super::helper_table::HelperExit;
use super::memory::GuestMemory;

/// A kind of run environment: a family of types, one per lifetime of the
/// guest memory a run borrows (an environment holds views into it).
pub trait ExecEnv: 'static {
    /// The environment of one run over guest memory that lives for `'m`.
    /// Its default is what a run without one gets.
    type Run<'m>: Default;

    /// The CPU the run is on (per-CPU maps, direct map updates).
    fn cpu(env: &Self::Run<'_>) -> u32;

    /// bpf_map_lookup_elem over the run's maps, for a helper table whose
    /// helper 1 is that ([`HelperTable::direct_map_lookup`]); None when
    /// the run has no maps (the table's helper answers then).
    ///
    /// [`HelperTable::direct_map_lookup`]: super::HelperTable::direct_map_lookup
    fn map_lookup_elem<'m>(
        env: &Self::Run<'m>,
        mem: &mut GuestMemory<'m>,
        map: u64,
        key: u64,
    ) -> Option<Result<u64, HelperExit>>;

    /// The address of the map object the run has at guest `handle`, which
    /// a direct map call compiled for that map checks before it is taken.
    fn map_object(env: &Self::Run<'_>, handle: u64) -> Option<*const ()>;
}

/// An environment whose fields JIT code reads and writes in place when it
/// inlines environment helpers (exec/jit/x86_64/compile/calls.rs).
pub trait JitEnv: ExecEnv {
    /// Where those fields are in every `Self::Run<'_>`.
    const OFFSETS: EnvOffsets;
}

/// Byte offsets, from the environment's address, of the fields inlined
/// environment helpers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvOffsets {
    /// bpf_get_prandom_u32's state: a u64 in place (a `Cell<u64>`),
    /// advanced by xorshift64*, never 0.
    pub prandom: usize,
    /// The current task's ids, u32 each.
    pub pid: usize,
    pub tgid: usize,
    pub uid: usize,
    pub gid: usize,
}

/// A helper whose answer depends on the run's environment alone (clocks,
/// prandom, CPU, task ids), as a native function the JIT calls directly
/// (exec/jit/direct.rs): r0, never failing. Typed by the environment it
/// reads, so an image calls it only with that environment.
pub struct EnvFn<E: JitEnv>(pub for<'a, 'm> extern "C" fn(&'a E::Run<'m>) -> u64);

impl<E: JitEnv> Clone for EnvFn<E> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<E: JitEnv> Copy for EnvFn<E> {}

/// The environment of bare runs: guest memory and nothing else (no maps,
/// CPU 0).
pub enum NoEnv {}

impl ExecEnv for NoEnv {
    type Run<'m> = ();

    fn cpu(_: &()) -> u32 {
        0
    }

    fn map_lookup_elem(_: &(), _: &mut GuestMemory<'_>, _: u64, _: u64) -> Option<Result<u64, HelperExit>> {
        None
    }

    fn map_object(_: &(), _: u64) -> Option<*const ()> {
        None
    }
}
