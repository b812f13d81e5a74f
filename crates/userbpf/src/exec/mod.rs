//! Execution of BPF programs: guest memory, the helper table, the
//! interpreter and the x86-64 JIT, behind one entry point ([`Executor`])
//! generic over the run's environment ([`ExecEnv`]).

pub(crate) mod env;
pub(crate) mod executor;
pub(crate) mod helper_table;
pub(crate) mod interp;
pub(crate) mod jit;
pub(crate) mod ld_abs;
pub(crate) mod memory;
pub(crate) mod proof;

pub use env::{EnvFn, EnvOffsets, ExecEnv, JitEnv, NoEnv};
pub use executor::Executor;
pub use helper_table::{HelperCall, HelperExit, HelperTable};
pub use interp::STACK_SIZE;
pub use interp::{ExecError, Fault, Interpreter, Program, RunOptions};
pub(crate) use jit::Proofs;
pub use jit::{Jit, JitError, JitOptions, JitProgram, PreparedRun};
pub use ld_abs::LdAbsPacket;
pub use memory::{AccessFault, AlignedBuf, GuestMemory, RegionKind};
pub use proof::AccessProof;
