//! Helpers shared by the integration tests: each test file includes this
//! module with `mod common;` and uses what it needs.
//!
//! - [`fixtures`]: where the fixture files, examples and the conformance
//!   suite live;
//! - [`hex`]: hex text to bytes and back;
//! - [`btf`]: hand-built BTF blobs;
//! - [`isa`]: the recorded disassembly and the valid opcodes;
//! - [`map_refs`]: the library's map-reference patcher with the rules the
//!   recorded fixtures were made with;
//! - [`engines`]: every run of a program on the interpreter or the JIT (the
//!   one place the engines' entry points are called), and the both-engines
//!   runner the semantic tests use;
//! - [`maps`]: the fixtures' map specs;
//! - [`process`]: a `Bpf` instance and its root process;
//! - [`verifier_log`]: a log's error line and R0's state after the first
//!   instruction, read as the recorders read the kernel's.
#![allow(dead_code, unused_imports)]

pub mod btf;
pub mod engines;
pub mod fixtures;
pub mod hex;
pub mod isa;
pub mod map_refs;
pub mod maps;
pub mod process;
pub mod verifier_log;

pub use btf::{btf_blob, btf_str};
pub use hex::{hex, unhex};

/// The number in the environment variable `name`, or `default` when it is
/// unset or not a number (the campaigns' sizes and seeds).
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
