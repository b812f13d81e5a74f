//! Helpers shared by the integration tests: each test file includes this
//! module with `mod common;` and uses what it needs.
//!
//! - [`fixtures`]: where the fixture files, examples and the conformance
//!   suite live;
//! - [`hex`]: hex text to bytes and back;
//! - [`btf`]: hand-built BTF blobs;
//! - [`map_refs`]: the library's map-reference patcher with the rules the
//!   recorded fixtures were made with;
//! - [`engines`]: every run of a program on the interpreter or the JIT (the
//!   one place the engines' entry points are called), and the both-engines
//!   runner the semantic tests use;
//! - [`process`]: a `Bpf` instance and its root process.
#![allow(dead_code, unused_imports)]

pub mod btf;
pub mod engines;
pub mod fixtures;
pub mod hex;
pub mod map_refs;
pub mod process;

pub use btf::{btf_blob, btf_str};
pub use hex::{hex, unhex};
