//! Assemblers for two syntaxes: the bpf_conformance/uBPF syntax and the
//! kernel's own disassembly syntax.

pub mod kernel;
pub mod ubpf;
