//! Execution of BPF programs.
