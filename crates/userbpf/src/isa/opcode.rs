//! Opcode constants of the BPF instruction set (RFC 9669 and the Linux uapi
//! `include/uapi/linux/bpf.h` / `bpf_common.h`).
//!
//! Every consumer (decoder, disassembler, assemblers, interpreter, JIT)
//! matches on these names, never on bare numbers.
//!
//! An opcode byte is `class | ...`:
//! - ALU/ALU64/JMP/JMP32: `op (4 bits) | source (1 bit) | class (3 bits)`
//! - LD/LDX/ST/STX:       `mode (3 bits) | size (2 bits) | class (3 bits)`

// ---- instruction classes (low 3 bits) ----
pub const BPF_LD: u8 = 0x00;
pub const BPF_LDX: u8 = 0x01;
pub const BPF_ST: u8 = 0x02;
pub const BPF_STX: u8 = 0x03;
pub const BPF_ALU: u8 = 0x04;
pub const BPF_JMP: u8 = 0x05;
pub const BPF_JMP32: u8 = 0x06;
pub const BPF_ALU64: u8 = 0x07;

/// The class of an opcode byte.
#[inline]
pub const fn class(code: u8) -> u8 {
    code & 0x07
}

// ---- load/store sizes (bits 3-4) ----
pub const BPF_W: u8 = 0x00;
pub const BPF_H: u8 = 0x08;
pub const BPF_B: u8 = 0x10;
pub const BPF_DW: u8 = 0x18;

#[inline]
pub const fn size(code: u8) -> u8 {
    code & 0x18
}

/// Bytes accessed by a load/store of this size field.
#[inline]
pub const fn size_bytes(size: u8) -> usize {
    match size {
        BPF_B => 1,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    }
}

// ---- load/store modes (bits 5-7) ----
pub const BPF_IMM: u8 = 0x00;
pub const BPF_ABS: u8 = 0x20;
pub const BPF_IND: u8 = 0x40;
pub const BPF_MEM: u8 = 0x60;
/// Sign-extending load (v4): LDX only.
pub const BPF_MEMSX: u8 = 0x80;
pub const BPF_ATOMIC: u8 = 0xc0;

#[inline]
pub const fn mode(code: u8) -> u8 {
    code & 0xe0
}

// ---- source operand (bit 3) for ALU/JMP ----
/// Use the 32-bit immediate as the source operand.
pub const BPF_K: u8 = 0x00;
/// Use the source register as the source operand.
pub const BPF_X: u8 = 0x08;

#[inline]
pub const fn source(code: u8) -> u8 {
    code & 0x08
}

// ---- ALU operations (bits 4-7) ----
pub const BPF_ADD: u8 = 0x00;
pub const BPF_SUB: u8 = 0x10;
pub const BPF_MUL: u8 = 0x20;
pub const BPF_DIV: u8 = 0x30;
pub const BPF_OR: u8 = 0x40;
pub const BPF_AND: u8 = 0x50;
pub const BPF_LSH: u8 = 0x60;
pub const BPF_RSH: u8 = 0x70;
pub const BPF_NEG: u8 = 0x80;
pub const BPF_MOD: u8 = 0x90;
pub const BPF_XOR: u8 = 0xa0;
pub const BPF_MOV: u8 = 0xb0;
pub const BPF_ARSH: u8 = 0xc0;
/// Byte swap; in class ALU the source bit selects the target order.
pub const BPF_END: u8 = 0xd0;

/// The operation field of an ALU or JMP opcode.
#[inline]
pub const fn op(code: u8) -> u8 {
    code & 0xf0
}

/// BPF_END in class ALU: convert to little endian (source bit clear).
pub const BPF_TO_LE: u8 = 0x00;
/// BPF_END in class ALU: convert to big endian (source bit set).
pub const BPF_TO_BE: u8 = 0x08;

// ---- JMP operations (bits 4-7) ----
pub const BPF_JA: u8 = 0x00;
pub const BPF_JEQ: u8 = 0x10;
pub const BPF_JGT: u8 = 0x20;
pub const BPF_JGE: u8 = 0x30;
pub const BPF_JSET: u8 = 0x40;
pub const BPF_JNE: u8 = 0x50;
pub const BPF_JSGT: u8 = 0x60;
pub const BPF_JSGE: u8 = 0x70;
pub const BPF_CALL: u8 = 0x80;
pub const BPF_EXIT: u8 = 0x90;
pub const BPF_JLT: u8 = 0xa0;
pub const BPF_JLE: u8 = 0xb0;
pub const BPF_JSLT: u8 = 0xc0;
pub const BPF_JSLE: u8 = 0xd0;
/// `may_goto` (kernel 6.9+): a conditional pseudo-jump, src_reg 0.
pub const BPF_JCOND: u8 = 0xe0;

// ---- atomic operations (the imm field of BPF_STX | BPF_ATOMIC) ----
/// Return the old value in src (or r0 for cmpxchg).
pub const BPF_FETCH: i32 = 0x01;
pub const BPF_XCHG: i32 = 0xe0 | BPF_FETCH;
pub const BPF_CMPXCHG: i32 = 0xf0 | BPF_FETCH;
/// Load-acquire (kernel 6.15+): `dst = load_acquire((size *)(src + off))`.
pub const BPF_LOAD_ACQ: i32 = 0x100;
/// Store-release (kernel 6.15+): `store_release((size *)(dst + off), src)`.
pub const BPF_STORE_REL: i32 = 0x110;

// ---- pseudo src_reg values of BPF_LD | BPF_IMM | BPF_DW (ld_imm64) ----
/// Plain 64-bit immediate.
pub const BPF_PSEUDO_NONE: u8 = 0;
/// imm is a map fd; the register gets the map pointer.
pub const BPF_PSEUDO_MAP_FD: u8 = 1;
/// imm is a map fd, next imm an offset into its value.
pub const BPF_PSEUDO_MAP_VALUE: u8 = 2;
/// imm is a BTF id of a kernel variable.
pub const BPF_PSEUDO_BTF_ID: u8 = 3;
/// imm is a relative instruction offset of a subprogram.
pub const BPF_PSEUDO_FUNC: u8 = 4;
/// imm is an index into fd_array naming a map.
pub const BPF_PSEUDO_MAP_IDX: u8 = 5;
/// imm is an index into fd_array, next imm an offset into the value.
pub const BPF_PSEUDO_MAP_IDX_VALUE: u8 = 6;

// ---- src_reg values of BPF_JMP | BPF_CALL ----
/// imm is a helper id.
pub const BPF_PSEUDO_HELPER: u8 = 0;
/// imm is a relative instruction offset of a bpf-to-bpf callee.
pub const BPF_PSEUDO_CALL: u8 = 1;
/// imm is a BTF id of a kernel function, off an fd_array index of its BTF.
pub const BPF_PSEUDO_KFUNC_CALL: u8 = 2;

// ---- sdiv/smod and movsx are encoded in `off` ----
/// `off` of a signed div/mod.
pub const BPF_OFF_SIGNED: i16 = 1;
/// `off` of `ALU64 | MOV | X` converting between address spaces (arena).
pub const BPF_ADDR_SPACE_CAST: i16 = 1;

// ---- complete opcodes used throughout ----
pub const LD_IMM64: u8 = BPF_LD | BPF_IMM | BPF_DW; // 0x18
pub const JA: u8 = BPF_JMP | BPF_JA; // 0x05
pub const JA32: u8 = BPF_JMP32 | BPF_JA; // 0x06 (gotol)
pub const CALL: u8 = BPF_JMP | BPF_CALL; // 0x85
pub const CALLX: u8 = BPF_JMP | BPF_CALL | BPF_X; // 0x8d
pub const EXIT: u8 = BPF_JMP | BPF_EXIT; // 0x95
pub const MAY_GOTO: u8 = BPF_JMP | BPF_JCOND; // 0xe5

/// Number of BPF registers (r0..r10).
pub const MAX_BPF_REG: u8 = 11;
/// The read-only frame pointer.
pub const BPF_REG_FP: u8 = 10;
/// Bytes of stack each frame gets.
pub const MAX_BPF_STACK: usize = 512;
/// Deepest bpf-to-bpf call chain (frames, including the main program).
pub const MAX_CALL_FRAMES: usize = 8;
