//! userbpf: the Linux kernel's BPF subsystem, rebuilt in Rust to run in user
//! space.
//!
//! The public surface, one line per module (the root re-exports the types
//! most callers need: [`Bpf`], [`Process`], its typed requests, [`Creds`]):
//! - [`syscall`]: bpf(2): the [`Bpf`] instance, processes and fds, the
//!   typed requests (`request`, `map_cmds`) and the raw `sys_bpf`
//! - [`uapi`]: the ABI: attr layouts, command, type and flag constants, errno
//! - [`verifier`]: the verifier's modes, its input and its log
//! - [`prog`]: the loaded program object and its runtime (JIT image or
//!   interpreter)
//! - [`maps`]: the map object and the map types user space reads directly
//!   (fd arrays, ring buffers), maps in a bare run's guest memory
//! - [`exec`]: the engines for bare runs (interpreter, JIT), generic over
//!   an environment, with guest memory and helper tables
//! - [`runtime`]: what loaded programs run with: the kernel environment,
//!   the kernel's helper table, runtime selection
//! - [`btf`]: BTF parsing and the raw dump
//! - [`obj`]: the ELF loader (a client of [`Process`]), CO-RE and relocation
//! - [`isa`]: the instruction set: decode, encode, disassemble, assemble,
//!   CFG as DOT, program files
//! - [`security`], [`netdev`], [`user_mem`]: the LSM policy hook, the net
//!   devices test runs see, caller memory behind attr pointers
//! - `conformance`, `plugin` and `fuzzing` (cargo features of the same
//!   names): the bpf_conformance format and protocol; entry points shared by
//!   fuzz targets and property tests
//!
//! Internal (`pub(crate)`): creds, memlock accounting, the helpers'
//! prototypes and bodies, BPF_PROG_TEST_RUN, and inside the public modules
//! the verifier's analysis and fixups, the syscall's command steps, the map
//! types' implementations, the JIT's compiler and the ELF loader's passes.

pub mod btf;
#[cfg(feature = "conformance")]
pub mod conformance;
pub(crate) mod creds;
pub mod exec;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub(crate) mod helpers;
pub mod isa;
pub mod maps;
pub(crate) mod memlock;
pub mod netdev;
pub mod obj;
#[cfg(feature = "plugin")]
pub mod plugin;
pub mod prog;
pub mod runtime;
pub mod security;
pub mod syscall;
pub(crate) mod test_run;
pub mod uapi;
pub mod user_mem;
pub mod verifier;

pub use creds::{Caps, Creds, Sysctls};
pub use netdev::NetDevice;
pub use syscall::map_cmds::{MapCreateRequest, MapInfo};
pub use syscall::request::{ProgInfo, ProgLoadOutcome, ProgLoadRequest, TestRunOutcome, TestRunRequest};
pub use syscall::{Bpf, Config, LoadStep, Process};
pub use uapi::Errno;
