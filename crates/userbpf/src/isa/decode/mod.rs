//! Decoding raw slots into typed instructions, and encoding them back.
//!
//! `decode` accepts exactly the encodings the ISA defines (RFC 9669 plus the
//! Linux extensions: ld_imm64 pseudo sources, kfunc calls, callx, may_goto,
//! load-acquire/store-release) and names the precise problem otherwise.
//! `Instruction::encode` is its inverse: `decode(encode(x)) == x`.

use super::opcode::*;

mod decoder;
mod encoder;

pub(crate) use decoder::opcode_decodes;
pub use decoder::{decode, decode_at, DecodeError, Field, SAMPLE_FIELDS};
pub use encoder::encode;

/// A register number, r0..r10.
pub type Reg = u8;

/// Operand width of ALU and JMP instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Width {
    W32,
    W64,
}

/// Memory access size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Size {
    B,
    H,
    W,
    DW,
}

impl Size {
    pub const fn bytes(self) -> usize {
        match self {
            Size::B => 1,
            Size::H => 2,
            Size::W => 4,
            Size::DW => 8,
        }
    }
    pub const fn bits(self) -> u32 {
        self.bytes() as u32 * 8
    }
    /// The size field of an opcode byte.
    pub const fn field(self) -> u8 {
        match self {
            Size::B => BPF_B,
            Size::H => BPF_H,
            Size::W => BPF_W,
            Size::DW => BPF_DW,
        }
    }
    pub const fn from_field(f: u8) -> Size {
        match f & 0x18 {
            BPF_B => Size::B,
            BPF_H => Size::H,
            BPF_W => Size::W,
            _ => Size::DW,
        }
    }
}

/// The source operand of ALU and conditional jump instructions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    Reg(Reg),
    Imm(i32),
}

/// Binary ALU operations (NEG, END and MOV variants are separate variants of
/// `Instruction`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AluOp {
    Add,
    Sub,
    Mul,
    Div,
    /// Signed division (`off == 1`).
    SDiv,
    Or,
    And,
    Lsh,
    Rsh,
    Mod,
    /// Signed modulo (`off == 1`).
    SMod,
    Xor,
    Mov,
    Arsh,
}

impl AluOp {
    pub const ALL: [AluOp; 14] = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Div,
        AluOp::SDiv,
        AluOp::Or,
        AluOp::And,
        AluOp::Lsh,
        AluOp::Rsh,
        AluOp::Mod,
        AluOp::SMod,
        AluOp::Xor,
        AluOp::Mov,
        AluOp::Arsh,
    ];

    /// The (op field, off field) of the encoding.
    pub const fn encoding(self) -> (u8, i16) {
        match self {
            AluOp::Add => (BPF_ADD, 0),
            AluOp::Sub => (BPF_SUB, 0),
            AluOp::Mul => (BPF_MUL, 0),
            AluOp::Div => (BPF_DIV, 0),
            AluOp::SDiv => (BPF_DIV, BPF_OFF_SIGNED),
            AluOp::Or => (BPF_OR, 0),
            AluOp::And => (BPF_AND, 0),
            AluOp::Lsh => (BPF_LSH, 0),
            AluOp::Rsh => (BPF_RSH, 0),
            AluOp::Mod => (BPF_MOD, 0),
            AluOp::SMod => (BPF_MOD, BPF_OFF_SIGNED),
            AluOp::Xor => (BPF_XOR, 0),
            AluOp::Mov => (BPF_MOV, 0),
            AluOp::Arsh => (BPF_ARSH, 0),
        }
    }
}

/// Byte-order conversions of `BPF_END`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endian {
    /// `ALU | END | TO_LE` (`le16/32/64`).
    ToLe,
    /// `ALU | END | TO_BE` (`be16/32/64`).
    ToBe,
    /// `ALU64 | END` (v4 `bswap16/32/64`): unconditional swap.
    Swap,
}

/// Conditional jump comparisons.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum JmpOp {
    Jeq,
    Jgt,
    Jge,
    Jset,
    Jne,
    Jsgt,
    Jsge,
    Jlt,
    Jle,
    Jslt,
    Jsle,
}

impl JmpOp {
    pub const ALL: [JmpOp; 11] = [
        JmpOp::Jeq,
        JmpOp::Jgt,
        JmpOp::Jge,
        JmpOp::Jset,
        JmpOp::Jne,
        JmpOp::Jsgt,
        JmpOp::Jsge,
        JmpOp::Jlt,
        JmpOp::Jle,
        JmpOp::Jslt,
        JmpOp::Jsle,
    ];

    pub const fn field(self) -> u8 {
        match self {
            JmpOp::Jeq => BPF_JEQ,
            JmpOp::Jgt => BPF_JGT,
            JmpOp::Jge => BPF_JGE,
            JmpOp::Jset => BPF_JSET,
            JmpOp::Jne => BPF_JNE,
            JmpOp::Jsgt => BPF_JSGT,
            JmpOp::Jsge => BPF_JSGE,
            JmpOp::Jlt => BPF_JLT,
            JmpOp::Jle => BPF_JLE,
            JmpOp::Jslt => BPF_JSLT,
            JmpOp::Jsle => BPF_JSLE,
        }
    }

    pub const fn from_field(f: u8) -> Option<JmpOp> {
        Some(match f {
            BPF_JEQ => JmpOp::Jeq,
            BPF_JGT => JmpOp::Jgt,
            BPF_JGE => JmpOp::Jge,
            BPF_JSET => JmpOp::Jset,
            BPF_JNE => JmpOp::Jne,
            BPF_JSGT => JmpOp::Jsgt,
            BPF_JSGE => JmpOp::Jsge,
            BPF_JLT => JmpOp::Jlt,
            BPF_JLE => JmpOp::Jle,
            BPF_JSLT => JmpOp::Jslt,
            BPF_JSLE => JmpOp::Jsle,
            _ => return None,
        })
    }
}

/// Read-modify-write operations of `STX | ATOMIC`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AtomicOp {
    /// add/or/and/xor, optionally returning the old value in src.
    Add {
        fetch: bool,
    },
    Or {
        fetch: bool,
    },
    And {
        fetch: bool,
    },
    Xor {
        fetch: bool,
    },
    /// Exchange: src gets the old value.
    Xchg,
    /// Compare r0 with memory, store src if equal; r0 gets the old value.
    CmpXchg,
    /// `dst = load_acquire(src + off)`.
    LoadAcquire,
    /// `store_release(dst + off, src)`.
    StoreRelease,
}

impl AtomicOp {
    /// The register a read-modify-write loads the old value into (r0 for
    /// cmpxchg, `src` for xchg and the fetching forms), if any.
    pub const fn fetch_reg(self, src: u8) -> Option<u8> {
        match self {
            AtomicOp::CmpXchg => Some(0),
            AtomicOp::Xchg
            | AtomicOp::Add { fetch: true }
            | AtomicOp::Or { fetch: true }
            | AtomicOp::And { fetch: true }
            | AtomicOp::Xor { fetch: true } => Some(src),
            _ => None,
        }
    }

    pub const fn imm(self) -> i32 {
        const fn f(fetch: bool) -> i32 {
            if fetch {
                BPF_FETCH
            } else {
                0
            }
        }
        match self {
            AtomicOp::Add { fetch } => BPF_ADD as i32 | f(fetch),
            AtomicOp::Or { fetch } => BPF_OR as i32 | f(fetch),
            AtomicOp::And { fetch } => BPF_AND as i32 | f(fetch),
            AtomicOp::Xor { fetch } => BPF_XOR as i32 | f(fetch),
            AtomicOp::Xchg => BPF_XCHG,
            AtomicOp::CmpXchg => BPF_CMPXCHG,
            AtomicOp::LoadAcquire => BPF_LOAD_ACQ,
            AtomicOp::StoreRelease => BPF_STORE_REL,
        }
    }

    pub const fn from_imm(imm: i32) -> Option<AtomicOp> {
        const ADD: i32 = BPF_ADD as i32;
        const ADD_F: i32 = BPF_ADD as i32 | BPF_FETCH;
        const OR: i32 = BPF_OR as i32;
        const OR_F: i32 = BPF_OR as i32 | BPF_FETCH;
        const AND: i32 = BPF_AND as i32;
        const AND_F: i32 = BPF_AND as i32 | BPF_FETCH;
        const XOR: i32 = BPF_XOR as i32;
        const XOR_F: i32 = BPF_XOR as i32 | BPF_FETCH;
        Some(match imm {
            ADD => AtomicOp::Add { fetch: false },
            ADD_F => AtomicOp::Add { fetch: true },
            OR => AtomicOp::Or { fetch: false },
            OR_F => AtomicOp::Or { fetch: true },
            AND => AtomicOp::And { fetch: false },
            AND_F => AtomicOp::And { fetch: true },
            XOR => AtomicOp::Xor { fetch: false },
            XOR_F => AtomicOp::Xor { fetch: true },
            BPF_XCHG => AtomicOp::Xchg,
            BPF_CMPXCHG => AtomicOp::CmpXchg,
            BPF_LOAD_ACQ => AtomicOp::LoadAcquire,
            BPF_STORE_REL => AtomicOp::StoreRelease,
            _ => return None,
        })
    }

    /// Load-acquire and store-release also exist for bytes and halfwords.
    const fn allows_size(self, size: Size) -> bool {
        match self {
            AtomicOp::LoadAcquire | AtomicOp::StoreRelease => true,
            _ => matches!(size, Size::W | Size::DW),
        }
    }
}

/// Targets of `BPF_CALL`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// A helper function by id (`src_reg = 0`).
    Helper(i32),
    /// A bpf-to-bpf call: `imm` is the callee's offset from the next
    /// instruction (`src_reg = 1`).
    Local(i32),
    /// A kernel function by BTF id; `off` indexes fd_array for its module's
    /// BTF (0: vmlinux) (`src_reg = 2`).
    Kfunc { btf_id: i32, off: i16 },
}

/// A decoded instruction. ld_imm64 is one instruction covering two slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Instruction {
    /// `dst op= src` for every binary ALU op, including mov.
    Alu {
        width: Width,
        op: AluOp,
        dst: Reg,
        src: Operand,
    },
    /// `dst = (sN)src`: sign-extending move (v4); `bits` is 8, 16 or 32
    /// (32 only in 64-bit width).
    MovSx {
        width: Width,
        bits: u8,
        dst: Reg,
        src: Reg,
    },
    /// `dst = addr_space_cast(src, dst_as, src_as)` (arena pointers).
    AddrSpaceCast {
        dst: Reg,
        src: Reg,
        dst_as: u16,
        src_as: u16,
    },
    Neg {
        width: Width,
        dst: Reg,
    },
    /// Byte-order conversion of the low `bits` (16, 32 or 64).
    End {
        kind: Endian,
        bits: u8,
        dst: Reg,
    },
    /// `dst = imm64`, interpreted according to the pseudo source `src`
    /// (`BPF_PSEUDO_*`): `imm` is the first slot's imm, `next_imm` the
    /// second's.
    LdImm64 {
        dst: Reg,
        src: u8,
        imm: i32,
        next_imm: i32,
    },
    /// Legacy packet load: `r0 = ntoh(*(size *)(skb->data + imm))`.
    LdAbs {
        size: Size,
        imm: i32,
    },
    /// Legacy packet load: `r0 = ntoh(*(size *)(skb->data + src + imm))`.
    LdInd {
        size: Size,
        src: Reg,
        imm: i32,
    },
    /// `dst = *(size *)(src + off)`, sign-extended when `signed`.
    Load {
        size: Size,
        signed: bool,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// `*(size *)(dst + off) = imm`.
    StoreImm {
        size: Size,
        dst: Reg,
        off: i16,
        imm: i32,
    },
    /// `*(size *)(dst + off) = src`.
    StoreReg {
        size: Size,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    Atomic {
        size: Size,
        op: AtomicOp,
        dst: Reg,
        src: Reg,
        off: i16,
    },
    /// `goto pc + off + 1`.
    Ja {
        off: i16,
    },
    /// `gotol pc + imm + 1` (v4).
    Ja32 {
        imm: i32,
    },
    /// `if dst op src goto pc + off + 1`.
    Jcond {
        width: Width,
        op: JmpOp,
        dst: Reg,
        src: Operand,
        off: i16,
    },
    /// `may_goto pc + off + 1`: taken once a loop's budget runs out.
    MayGoto {
        off: i16,
    },
    Call(CallKind),
    /// Indirect call through a register (`callx dst`, LLVM's encoding).
    CallX {
        reg: Reg,
    },
    Exit,
}

/// The encoding fields a load, store or atomic carries besides its kind:
/// the access `size`, the registers `dst` and `src` (0 for a store of an
/// immediate) and the offset `off`, which applies to `src` for loads and
/// load-acquire and to `dst` otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemFields {
    pub size: Size,
    pub dst: Reg,
    pub src: Reg,
    pub off: i16,
}

impl Instruction {
    /// The [`MemFields`] of a load, store or atomic.
    pub const fn mem_fields(&self) -> Option<MemFields> {
        match *self {
            Instruction::Load {
                size, dst, src, off, ..
            }
            | Instruction::StoreReg { size, dst, src, off }
            | Instruction::Atomic {
                size, dst, src, off, ..
            } => Some(MemFields { size, dst, src, off }),
            Instruction::StoreImm { size, dst, off, .. } => Some(MemFields { size, dst, src: 0, off }),
            _ => None,
        }
    }

    /// The address a load, store or atomic accesses, as base register and
    /// offset: `src + off` for loads and load-acquire, `dst + off` otherwise.
    pub const fn mem_operand(&self) -> Option<(Reg, i16)> {
        match *self {
            Instruction::Load { src, off, .. }
            | Instruction::Atomic {
                op: AtomicOp::LoadAcquire,
                src,
                off,
                ..
            } => Some((src, off)),
            Instruction::StoreImm { dst, off, .. }
            | Instruction::StoreReg { dst, off, .. }
            | Instruction::Atomic { dst, off, .. } => Some((dst, off)),
            _ => None,
        }
    }

    /// A conditional jump's comparison `dst op src` at `width`, as
    /// `(width, op, dst, src)`.
    pub const fn comparison(&self) -> Option<(Width, JmpOp, Reg, Operand)> {
        match *self {
            Instruction::Jcond {
                width, op, dst, src, ..
            } => Some((width, op, dst, src)),
            _ => None,
        }
    }

    /// The 64-bit value of an ld_imm64: `imm` the low half, `next_imm` the
    /// high one.
    pub const fn imm64(&self) -> Option<u64> {
        match *self {
            Instruction::LdImm64 { imm, next_imm, .. } => Some((next_imm as u32 as u64) << 32 | imm as u32 as u64),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests;
