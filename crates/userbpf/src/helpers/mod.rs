//! Kernel helper functions: ids, names, and (later) prototypes and
//! implementations.

pub mod ids;
pub mod protos;
