//! Kernel helper functions: ids, names, prototypes, and
//! implementations at run time (run/).

pub mod ids;
pub mod protos;
pub mod run;
