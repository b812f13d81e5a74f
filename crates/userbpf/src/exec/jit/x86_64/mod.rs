//! The x86-64 back end: an assembler (`emit`), the BPF compiler
//! (`compile`) and W^X code memory (`mem`).

pub mod compile;
pub mod emit;
pub mod mem;
