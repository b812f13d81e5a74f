//! Execution of BPF programs: guest memory, the helper table, the
//! interpreter and the x86-64 JIT.

pub mod helper_table;
pub mod interp;
pub mod jit;
pub mod ld_abs;
pub mod memory;
pub mod proof;

pub use helper_table::{HelperCall, HelperExit, HelperTable};
pub use interp::{ExecError, Fault, Interpreter, Program, RunOptions};
pub use jit::{select_runtime, Jit, JitError, JitOptions, JitProgram, PreparedRun, RuntimePolicy, SelectedRuntime};
pub use ld_abs::LdAbsPacket;
pub use memory::{AccessFault, AlignedBuf, GuestMemory, RegionKind};
pub use proof::AccessProof;
