//! userbpf: the Linux kernel's BPF subsystem, rebuilt in Rust to run in user
//! space.
//!
//! The pipeline, one folder per stage:
//! - [`isa`]: the instruction set (decode, encode, disassemble, assemble)
//! - [`exec`]: execution: guest memory, helpers, the interpreter
//! - [`conformance`]: the bpf_conformance test format and plugin protocol
//! - [`fuzzing`]: entry points shared by fuzz targets and property tests

pub mod conformance;
pub mod exec;
pub mod fuzzing;
pub mod helpers;
pub mod isa;
pub mod plugin;
