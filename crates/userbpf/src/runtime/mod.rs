//! What a loaded program runs with: the engine chosen at load
//! (`select`), the environment its helpers see ([`RunEnv`], the engines'
//! [`KernelEnv`]), the layout of its context in guest memory
//! (`ctx_layout`), the kernel's trace pipe ([`TracePipe`]) and the run
//! driver that follows tail calls (`run_prog_repeat`).

pub(crate) mod callback;
pub(crate) mod ctx_layout;
pub(crate) mod driver;
pub(crate) mod env;
pub(crate) mod select;
pub(crate) mod trace;

pub use driver::Engine;
pub(crate) use driver::{run_prog_repeat, PacketOffsets, RunSetup, SkbHeaders};
pub use env::{KernelEnv, PacketView, RunEnv, Task};
pub use select::{select_runtime, RuntimePolicy};
pub use trace::TracePipe;

/// The kernel helpers' table, for bare runs that want the same helpers a
/// loaded program gets.
pub use crate::helpers::run::kernel_helpers;
