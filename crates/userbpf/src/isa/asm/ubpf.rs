//! Assembler for the bpf_conformance / uBPF syntax.
