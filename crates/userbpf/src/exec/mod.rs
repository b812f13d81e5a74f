//! Execution of BPF programs: guest memory, the helper table, the
//! interpreter and the x86-64 JIT, behind one entry point ([`Executor`])
//! generic over the run's environment ([`ExecEnv`]).

pub mod env;
pub mod executor;
pub mod helper_table;
pub mod interp;
pub mod jit;
pub mod ld_abs;
pub mod memory;
pub mod proof;

pub use env::{EnvFn, EnvOffsets, ExecEnv, JitEnv, NoEnv};
pub use executor::Executor;
pub use helper_table::{HelperCall, HelperExit, HelperTable};
pub use interp::{ExecError, Fault, Interpreter, Program, RunOptions};
pub use jit::{Jit, JitError, JitOptions, JitProgram, PreparedRun, Proofs};
pub use ld_abs::LdAbsPacket;
pub use memory::{AccessFault, AlignedBuf, GuestMemory, RegionKind};
pub use proof::AccessProof;
