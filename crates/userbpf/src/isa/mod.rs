//! The BPF instruction set: opcode constants, raw slots, typed decoding and
//! encoding, the kernel-format disassembler and the two assemblers.

pub mod asm;
pub(crate) mod cfg;
pub mod cfg_dot;
pub mod decode;
pub mod disasm;
pub mod hex;
pub(crate) mod insn;
pub mod map_refs;
pub mod opcode;
pub mod source;

pub use decode::{
    decode, decode_at, encode, AluOp, AtomicOp, CallKind, DecodeError, Endian, Instruction, JmpOp, MemFields, Operand,
    Reg, Size, Width,
};
pub use insn::{insns_from_bytes, insns_to_bytes, Insn, INSN_SIZE};
