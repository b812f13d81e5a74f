//! What a loaded program runs with: the engine chosen at load
//! ([`select`]), the environment its helpers see ([`RunEnv`], the engines'
//! [`KernelEnv`]), the layout of its context in guest memory
//! ([`ctx_layout`]), the kernel's trace pipe ([`TracePipe`]) and the run
//! driver that follows tail calls ([`run_prog`]).

pub mod callback;
pub mod ctx_layout;
pub mod driver;
pub mod env;
pub mod select;
pub mod trace;

pub use driver::{run_prog, run_prog_repeat, Engine, PacketOffsets, ProgRun, RunSetup, SkbHeaders};
pub use env::{KernelEnv, PacketView, RunEnv, Task};
pub use trace::TracePipe;
