//! The bpf_conformance suite's `.data` test format.
