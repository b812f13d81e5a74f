//! One entry point for both engines: [`Executor`], which the interpreter
//! and the JIT implement over an environment kind ([`ExecEnv`]). Callers
//! that pick an engine per run (the run driver) write the run once,
//! generic over it.

use super::env::ExecEnv;
use super::interp::{ExecError, RunOptions, STACK_SIZE};
use super::memory::GuestMemory;

/// A program bound to an engine and a helper table, ready to run.
pub trait Executor {
    /// The environment the helpers of a run see.
    type Env: ExecEnv;
    /// What a series of runs over the same guest memory and stack shares
    /// (the JIT's run context; the interpreter's frame pointer).
    type Prepared;

    /// Check `mem` and set up runs with the stack just below `fp`, the
    /// guest address past the top of a writable stack region of at least
    /// `STACK_SIZE` bytes (8-byte aligned for the JIT). Regions mapped
    /// later (by helpers) are picked up at each run.
    fn prepare(&self, mem: &GuestMemory<'_>, fp: u64, opts: &RunOptions) -> Result<Self::Prepared, ExecError>;

    /// One run over a [`prepare`](Self::prepare)d setup; `args` become
    /// r1..r5 (the other registers start at zero, r10 at `fp`).
    fn execute_prepared<'m>(
        &self,
        prepared: &mut Self::Prepared,
        mem: &mut GuestMemory<'m>,
        env: &<Self::Env as ExecEnv>::Run<'m>,
        args: &[u64],
        opts: &RunOptions,
    ) -> Result<u64, ExecError>;

    /// Run with the stack of `mem` (mapped on first use).
    fn run(&self, mem: &mut GuestMemory<'_>, args: &[u64], opts: &RunOptions) -> Result<u64, ExecError> {
        let fp = mem.stack_top(STACK_SIZE);
        self.execute(mem, fp, args, opts)
    }

    /// Run with the caller's stack below `fp` (see [`prepare`](Self::prepare))
    /// in the default environment.
    fn execute(&self, mem: &mut GuestMemory<'_>, fp: u64, args: &[u64], opts: &RunOptions) -> Result<u64, ExecError> {
        self.execute_in(mem, &Default::default(), fp, args, opts)
    }

    /// [`execute`](Self::execute) with an environment for the helpers.
    fn execute_in<'m>(
        &self,
        mem: &mut GuestMemory<'m>,
        env: &<Self::Env as ExecEnv>::Run<'m>,
        fp: u64,
        args: &[u64],
        opts: &RunOptions,
    ) -> Result<u64, ExecError> {
        let mut prepared = self.prepare(mem, fp, opts)?;
        self.execute_prepared(&mut prepared, mem, env, args, opts)
    }
}
