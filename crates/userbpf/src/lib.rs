//! userbpf: the Linux kernel's BPF subsystem, rebuilt in Rust to run in user
//! space.
//!
//! The path of one load, one module per stage:
//! - [`syscall`]: bpf(2): the [`Bpf`] instance, processes and fds, the
//!   commands (`prog_load` steps, IDs, info, pins)
//! - [`uapi`]: the ABI (attr layouts, enums, errno)
//! - [`verifier`]: bpf_check and its log
//! - [`prog`]: the program object (tag, license, resources)
//! - [`maps`]: the map object, one ops table per map type, maps in guest
//!   memory, the ld_imm64 map fixup
//! - [`exec`]: execution: guest memory, helpers, the interpreter
//! - [`btf`]: kernel-side BTF: parsing, validation, the raw dump
//! - [`obj`]: the ELF loader, a client of [`Process`]
//! - [`isa`]: the instruction set (decode, encode, disassemble, assemble)
//! - `conformance` and `plugin` (cargo features of the same names): the
//!   bpf_conformance format and protocol
//! - `fuzzing` (cargo feature): entry points shared by fuzz targets and
//!   property tests

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
