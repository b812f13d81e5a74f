//! The disassembler: instructions printed exactly as the Linux kernel prints
//! them (kernel/bpf/disasm.c), in verifier logs and `bpftool prog dump xlated`.
