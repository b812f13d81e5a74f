//! Execution of BPF programs: guest memory, the helper table, the
//! interpreter.

pub mod helper_table;
pub mod interp;
pub mod memory;

pub use helper_table::{HelperExit, HelperTable};
pub use interp::{ExecError, Fault, Interpreter, Program, RunOptions};
pub use memory::{AccessFault, AlignedBuf, GuestMemory, RegionKind};
