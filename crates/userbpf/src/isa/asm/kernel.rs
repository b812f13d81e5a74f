//! Assembler for the kernel syntax (what `isa::disasm` prints).
