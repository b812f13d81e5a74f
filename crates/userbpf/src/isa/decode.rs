//! Decoding raw slots into typed instructions, and encoding them back.
//!
//! `decode` accepts exactly the encodings the ISA defines (RFC 9669 plus the
//! Linux extensions: ld_imm64 pseudo sources, kfunc calls, callx, may_goto,
//! load-acquire/store-release) and names the precise problem otherwise.
//! `Instruction::encode` is its inverse: `decode(encode(x)) == x`.

use super::insn::Insn;
use super::opcode::*;

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

/// Which field of an instruction is at fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Field {
    Dst,
    Src,
    Off,
    Imm,
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Field::Dst => "dst_reg",
            Field::Src => "src_reg",
            Field::Off => "off",
            Field::Imm => "imm",
        })
    }
}

/// Why a slot does not decode. `pc` is the slot index.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("insn {pc}: unknown opcode {code:#04x}")]
    UnknownOpcode { pc: usize, code: u8 },
    #[error("insn {pc}: reserved field {field} is {value}, must be 0 (opcode {code:#04x})")]
    ReservedField {
        pc: usize,
        code: u8,
        field: Field,
        value: i64,
    },
    #[error("insn {pc}: invalid {field} value {value} for opcode {code:#04x}")]
    InvalidField {
        pc: usize,
        code: u8,
        field: Field,
        value: i64,
    },
    #[error("insn {pc}: register r{reg} in {field} does not exist (r0..r10)")]
    BadRegister { pc: usize, field: Field, reg: u8 },
    #[error("insn {pc}: ld_imm64 needs a second slot but the program ends")]
    TruncatedLdImm64 { pc: usize },
    #[error("insn {pc}: second slot of ld_imm64 must have code, registers and off 0")]
    BadLdImm64Tail { pc: usize },
}

impl DecodeError {
    /// The slot the error refers to.
    pub fn pc(&self) -> usize {
        match *self {
            DecodeError::UnknownOpcode { pc, .. }
            | DecodeError::ReservedField { pc, .. }
            | DecodeError::InvalidField { pc, .. }
            | DecodeError::BadRegister { pc, .. }
            | DecodeError::TruncatedLdImm64 { pc }
            | DecodeError::BadLdImm64Tail { pc } => pc,
        }
    }
}

/// Field checks shared by every class.
struct Checker {
    pc: usize,
    insn: Insn,
}

impl Checker {
    fn zero(&self, field: Field) -> Result<(), DecodeError> {
        let value = self.value(field);
        if value != 0 {
            return Err(DecodeError::ReservedField {
                pc: self.pc,
                code: self.insn.code,
                field,
                value,
            });
        }
        Ok(())
    }

    fn value(&self, field: Field) -> i64 {
        match field {
            Field::Dst => self.insn.dst as i64,
            Field::Src => self.insn.src as i64,
            Field::Off => self.insn.off as i64,
            Field::Imm => self.insn.imm as i64,
        }
    }

    fn reg(&self, field: Field) -> Result<Reg, DecodeError> {
        let reg = self.value(field) as u8;
        if reg >= MAX_BPF_REG {
            return Err(DecodeError::BadRegister {
                pc: self.pc,
                field,
                reg,
            });
        }
        Ok(reg)
    }

    fn invalid(&self, field: Field) -> DecodeError {
        DecodeError::InvalidField {
            pc: self.pc,
            code: self.insn.code,
            field,
            value: self.value(field),
        }
    }

    fn unknown(&self) -> DecodeError {
        DecodeError::UnknownOpcode {
            pc: self.pc,
            code: self.insn.code,
        }
    }
}

/// Decode the instruction starting at slot `pc` of `slots`. Returns the
/// instruction and the number of slots it covers (1, or 2 for ld_imm64).
pub fn decode_at(slots: &[Insn], pc: usize) -> Result<(Instruction, usize), DecodeError> {
    let insn = slots[pc];
    let c = Checker { pc, insn };
    let code = insn.code;
    let width = |cls| {
        if cls == BPF_ALU64 || cls == BPF_JMP {
            Width::W64
        } else {
            Width::W32
        }
    };
    let ins = match class(code) {
        cls @ (BPF_ALU | BPF_ALU64) => {
            let w = width(cls);
            let dst = c.reg(Field::Dst)?;
            let src_operand = || -> Result<Operand, DecodeError> {
                if source(code) == BPF_X {
                    c.zero(Field::Imm)?;
                    Ok(Operand::Reg(c.reg(Field::Src)?))
                } else {
                    c.zero(Field::Src)?;
                    Ok(Operand::Imm(insn.imm))
                }
            };
            let plain = |op: AluOp| -> Result<Instruction, DecodeError> {
                c.zero(Field::Off)?;
                Ok(Instruction::Alu {
                    width: w,
                    op,
                    dst,
                    src: src_operand()?,
                })
            };
            match op(code) {
                BPF_ADD => plain(AluOp::Add)?,
                BPF_SUB => plain(AluOp::Sub)?,
                BPF_MUL => plain(AluOp::Mul)?,
                BPF_OR => plain(AluOp::Or)?,
                BPF_AND => plain(AluOp::And)?,
                BPF_LSH => plain(AluOp::Lsh)?,
                BPF_RSH => plain(AluOp::Rsh)?,
                BPF_XOR => plain(AluOp::Xor)?,
                BPF_ARSH => plain(AluOp::Arsh)?,
                o @ (BPF_DIV | BPF_MOD) => {
                    let signed = match insn.off {
                        0 => false,
                        BPF_OFF_SIGNED => true,
                        _ => return Err(c.invalid(Field::Off)),
                    };
                    let op = match (o, signed) {
                        (BPF_DIV, false) => AluOp::Div,
                        (BPF_DIV, true) => AluOp::SDiv,
                        (_, false) => AluOp::Mod,
                        (_, true) => AluOp::SMod,
                    };
                    Instruction::Alu {
                        width: w,
                        op,
                        dst,
                        src: src_operand()?,
                    }
                }
                BPF_NEG => {
                    if source(code) == BPF_X {
                        return Err(c.unknown());
                    }
                    c.zero(Field::Src)?;
                    c.zero(Field::Off)?;
                    c.zero(Field::Imm)?;
                    Instruction::Neg { width: w, dst }
                }
                BPF_MOV => {
                    if source(code) == BPF_K || insn.off == 0 {
                        plain(AluOp::Mov)?
                    } else {
                        let src = c.reg(Field::Src)?;
                        match (w, insn.off) {
                            (Width::W64, BPF_ADDR_SPACE_CAST) => {
                                let dst_as = (insn.imm as u32 >> 16) as u16;
                                let src_as = insn.imm as u32 as u16;
                                // The kernel accepts only casts between the
                                // arena (1) and the kernel (0) space.
                                if !matches!((dst_as, src_as), (0, 1) | (1, 0)) {
                                    return Err(c.invalid(Field::Imm));
                                }
                                Instruction::AddrSpaceCast {
                                    dst,
                                    src,
                                    dst_as,
                                    src_as,
                                }
                            }
                            (_, 8 | 16) | (Width::W64, 32) => {
                                c.zero(Field::Imm)?;
                                Instruction::MovSx {
                                    width: w,
                                    bits: insn.off as u8,
                                    dst,
                                    src,
                                }
                            }
                            _ => return Err(c.invalid(Field::Off)),
                        }
                    }
                }
                BPF_END => {
                    let kind = match (cls, source(code)) {
                        (BPF_ALU, BPF_TO_LE) => Endian::ToLe,
                        (BPF_ALU, _) => Endian::ToBe,
                        (_, BPF_K) => Endian::Swap,
                        _ => return Err(c.unknown()),
                    };
                    c.zero(Field::Src)?;
                    c.zero(Field::Off)?;
                    if !matches!(insn.imm, 16 | 32 | 64) {
                        return Err(c.invalid(Field::Imm));
                    }
                    Instruction::End {
                        kind,
                        bits: insn.imm as u8,
                        dst,
                    }
                }
                _ => return Err(c.unknown()),
            }
        }
        cls @ (BPF_JMP | BPF_JMP32) => {
            let w = width(cls);
            match (op(code), cls) {
                (BPF_JA, BPF_JMP) => {
                    if source(code) != BPF_K {
                        return Err(c.unknown());
                    }
                    c.zero(Field::Dst)?;
                    c.zero(Field::Src)?;
                    c.zero(Field::Imm)?;
                    Instruction::Ja { off: insn.off }
                }
                (BPF_JA, _) => {
                    if source(code) != BPF_K {
                        return Err(c.unknown());
                    }
                    c.zero(Field::Dst)?;
                    c.zero(Field::Src)?;
                    c.zero(Field::Off)?;
                    Instruction::Ja32 { imm: insn.imm }
                }
                (BPF_CALL, BPF_JMP) => {
                    if source(code) == BPF_X {
                        let reg = c.reg(Field::Dst)?;
                        c.zero(Field::Src)?;
                        c.zero(Field::Off)?;
                        c.zero(Field::Imm)?;
                        Instruction::CallX { reg }
                    } else {
                        c.zero(Field::Dst)?;
                        let kind = match insn.src {
                            BPF_PSEUDO_HELPER => {
                                c.zero(Field::Off)?;
                                CallKind::Helper(insn.imm)
                            }
                            BPF_PSEUDO_CALL => {
                                c.zero(Field::Off)?;
                                CallKind::Local(insn.imm)
                            }
                            BPF_PSEUDO_KFUNC_CALL => CallKind::Kfunc {
                                btf_id: insn.imm,
                                off: insn.off,
                            },
                            _ => return Err(c.invalid(Field::Src)),
                        };
                        Instruction::Call(kind)
                    }
                }
                (BPF_EXIT, BPF_JMP) => {
                    if source(code) != BPF_K {
                        return Err(c.unknown());
                    }
                    c.zero(Field::Dst)?;
                    c.zero(Field::Src)?;
                    c.zero(Field::Off)?;
                    c.zero(Field::Imm)?;
                    Instruction::Exit
                }
                (BPF_JCOND, BPF_JMP) => {
                    if source(code) != BPF_K {
                        return Err(c.unknown());
                    }
                    c.zero(Field::Dst)?;
                    c.zero(Field::Src)?;
                    c.zero(Field::Imm)?;
                    Instruction::MayGoto { off: insn.off }
                }
                (o, _) => {
                    let op = JmpOp::from_field(o).ok_or_else(|| c.unknown())?;
                    let dst = c.reg(Field::Dst)?;
                    let src = if source(code) == BPF_X {
                        c.zero(Field::Imm)?;
                        Operand::Reg(c.reg(Field::Src)?)
                    } else {
                        c.zero(Field::Src)?;
                        Operand::Imm(insn.imm)
                    };
                    Instruction::Jcond {
                        width: w,
                        op,
                        dst,
                        src,
                        off: insn.off,
                    }
                }
            }
        }
        BPF_LD => match mode(code) {
            BPF_IMM if size(code) == BPF_DW => {
                let dst = c.reg(Field::Dst)?;
                c.zero(Field::Off)?;
                if insn.src > BPF_PSEUDO_MAP_IDX_VALUE {
                    return Err(c.invalid(Field::Src));
                }
                let Some(next) = slots.get(pc + 1) else {
                    return Err(DecodeError::TruncatedLdImm64 { pc });
                };
                if next.code != 0 || next.dst != 0 || next.src != 0 || next.off != 0 {
                    return Err(DecodeError::BadLdImm64Tail { pc });
                }
                return Ok((
                    Instruction::LdImm64 {
                        dst,
                        src: insn.src,
                        imm: insn.imm,
                        next_imm: next.imm,
                    },
                    2,
                ));
            }
            m @ (BPF_ABS | BPF_IND) if size(code) != BPF_DW => {
                c.zero(Field::Dst)?;
                c.zero(Field::Off)?;
                let size = Size::from_field(size(code));
                if m == BPF_ABS {
                    c.zero(Field::Src)?;
                    Instruction::LdAbs { size, imm: insn.imm }
                } else {
                    Instruction::LdInd {
                        size,
                        src: c.reg(Field::Src)?,
                        imm: insn.imm,
                    }
                }
            }
            _ => return Err(c.unknown()),
        },
        BPF_LDX => {
            let signed = match mode(code) {
                BPF_MEM => false,
                BPF_MEMSX if size(code) != BPF_DW => true,
                _ => return Err(c.unknown()),
            };
            c.zero(Field::Imm)?;
            Instruction::Load {
                size: Size::from_field(size(code)),
                signed,
                dst: c.reg(Field::Dst)?,
                src: c.reg(Field::Src)?,
                off: insn.off,
            }
        }
        BPF_ST => {
            if mode(code) != BPF_MEM {
                return Err(c.unknown());
            }
            c.zero(Field::Src)?;
            Instruction::StoreImm {
                size: Size::from_field(size(code)),
                dst: c.reg(Field::Dst)?,
                off: insn.off,
                imm: insn.imm,
            }
        }
        _ => {
            // BPF_STX
            let size = Size::from_field(size(code));
            match mode(code) {
                BPF_MEM => {
                    c.zero(Field::Imm)?;
                    Instruction::StoreReg {
                        size,
                        dst: c.reg(Field::Dst)?,
                        src: c.reg(Field::Src)?,
                        off: insn.off,
                    }
                }
                BPF_ATOMIC => {
                    let op = AtomicOp::from_imm(insn.imm).ok_or_else(|| c.invalid(Field::Imm))?;
                    if !op.allows_size(size) {
                        return Err(c.unknown());
                    }
                    Instruction::Atomic {
                        size,
                        op,
                        dst: c.reg(Field::Dst)?,
                        src: c.reg(Field::Src)?,
                        off: insn.off,
                    }
                }
                _ => return Err(c.unknown()),
            }
        }
    };
    Ok((ins, 1))
}

/// Decode a whole program: each instruction with the slot index it starts at.
pub fn decode(slots: &[Insn]) -> Result<Vec<(usize, Instruction)>, DecodeError> {
    let mut out = Vec::with_capacity(slots.len());
    let mut pc = 0;
    while pc < slots.len() {
        let (ins, n) = decode_at(slots, pc)?;
        out.push((pc, ins));
        pc += n;
    }
    Ok(out)
}

impl Instruction {
    /// Slots this instruction occupies.
    pub const fn slots(&self) -> usize {
        match self {
            Instruction::LdImm64 { .. } => 2,
            _ => 1,
        }
    }

    /// Encode into one or two raw slots (appended to `out`).
    pub fn encode_into(&self, out: &mut Vec<Insn>) {
        let w = |width: Width, c32: u8, c64: u8| match width {
            Width::W32 => c32,
            Width::W64 => c64,
        };
        let operand = |src: Operand| match src {
            Operand::Reg(r) => (BPF_X, r, 0),
            Operand::Imm(i) => (BPF_K, 0, i),
        };
        let insn = match *self {
            Instruction::Alu { width, op, dst, src } => {
                let (opf, off) = op.encoding();
                let (s, sreg, imm) = operand(src);
                Insn::new(w(width, BPF_ALU, BPF_ALU64) | opf | s, dst, sreg, off, imm)
            }
            Instruction::MovSx { width, bits, dst, src } => {
                Insn::new(w(width, BPF_ALU, BPF_ALU64) | BPF_MOV | BPF_X, dst, src, bits as i16, 0)
            }
            Instruction::AddrSpaceCast {
                dst,
                src,
                dst_as,
                src_as,
            } => Insn::new(
                BPF_ALU64 | BPF_MOV | BPF_X,
                dst,
                src,
                BPF_ADDR_SPACE_CAST,
                ((dst_as as u32) << 16 | src_as as u32) as i32,
            ),
            Instruction::Neg { width, dst } => Insn::new(w(width, BPF_ALU, BPF_ALU64) | BPF_NEG, dst, 0, 0, 0),
            Instruction::End { kind, bits, dst } => {
                let code = match kind {
                    Endian::ToLe => BPF_ALU | BPF_END | BPF_TO_LE,
                    Endian::ToBe => BPF_ALU | BPF_END | BPF_TO_BE,
                    Endian::Swap => BPF_ALU64 | BPF_END,
                };
                Insn::new(code, dst, 0, 0, bits as i32)
            }
            Instruction::LdImm64 {
                dst,
                src,
                imm,
                next_imm,
            } => {
                out.push(Insn::new(LD_IMM64, dst, src, 0, imm));
                Insn::new(0, 0, 0, 0, next_imm)
            }
            Instruction::LdAbs { size, imm } => Insn::new(BPF_LD | BPF_ABS | size.field(), 0, 0, 0, imm),
            Instruction::LdInd { size, src, imm } => Insn::new(BPF_LD | BPF_IND | size.field(), 0, src, 0, imm),
            Instruction::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => {
                let m = if signed { BPF_MEMSX } else { BPF_MEM };
                Insn::new(BPF_LDX | m | size.field(), dst, src, off, 0)
            }
            Instruction::StoreImm { size, dst, off, imm } => {
                Insn::new(BPF_ST | BPF_MEM | size.field(), dst, 0, off, imm)
            }
            Instruction::StoreReg { size, dst, src, off } => {
                Insn::new(BPF_STX | BPF_MEM | size.field(), dst, src, off, 0)
            }
            Instruction::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => Insn::new(BPF_STX | BPF_ATOMIC | size.field(), dst, src, off, op.imm()),
            Instruction::Ja { off } => Insn::new(JA, 0, 0, off, 0),
            Instruction::Ja32 { imm } => Insn::new(JA32, 0, 0, 0, imm),
            Instruction::Jcond {
                width,
                op,
                dst,
                src,
                off,
            } => {
                let (s, sreg, imm) = operand(src);
                Insn::new(w(width, BPF_JMP32, BPF_JMP) | op.field() | s, dst, sreg, off, imm)
            }
            Instruction::MayGoto { off } => Insn::new(MAY_GOTO, 0, 0, off, 0),
            Instruction::Call(kind) => match kind {
                CallKind::Helper(id) => Insn::new(CALL, 0, BPF_PSEUDO_HELPER, 0, id),
                CallKind::Local(rel) => Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, rel),
                CallKind::Kfunc { btf_id, off } => Insn::new(CALL, 0, BPF_PSEUDO_KFUNC_CALL, off, btf_id),
            },
            Instruction::CallX { reg } => Insn::new(CALLX, reg, 0, 0, 0),
            Instruction::Exit => Insn::new(EXIT, 0, 0, 0, 0),
        };
        out.push(insn);
    }

    /// Encode into raw slots.
    pub fn encode(&self) -> Vec<Insn> {
        let mut v = Vec::with_capacity(2);
        self.encode_into(&mut v);
        v
    }
}

/// Encode a sequence of instructions into raw slots.
pub fn encode(program: &[Instruction]) -> Vec<Insn> {
    let mut out = Vec::with_capacity(program.len() + 1);
    for i in program {
        i.encode_into(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(slots: &[Insn]) -> Result<Instruction, DecodeError> {
        decode_at(slots, 0).map(|(i, _)| i)
    }

    #[test]
    fn names_reserved_field() {
        // mov r0, 7 with a stray src_reg.
        let e = dec(&[Insn::new(0xb7, 0, 3, 0, 7)]).unwrap_err();
        assert_eq!(
            e,
            DecodeError::ReservedField {
                pc: 0,
                code: 0xb7,
                field: Field::Src,
                value: 3
            }
        );
    }

    #[test]
    fn names_unknown_opcode_and_bad_register() {
        assert!(matches!(
            dec(&[Insn::new(0xff, 0, 0, 0, 0)]),
            Err(DecodeError::UnknownOpcode { code: 0xff, .. })
        ));
        assert!(matches!(
            dec(&[Insn::new(0xbf, 11, 1, 0, 0)]),
            Err(DecodeError::BadRegister {
                field: Field::Dst,
                reg: 11,
                ..
            })
        ));
    }

    #[test]
    fn ld_imm64_needs_its_tail() {
        assert_eq!(
            dec(&[Insn::new(LD_IMM64, 1, 0, 0, 1)]),
            Err(DecodeError::TruncatedLdImm64 { pc: 0 })
        );
        assert_eq!(
            dec(&[Insn::new(LD_IMM64, 1, 0, 0, 1), Insn::new(0x95, 0, 0, 0, 0)]),
            Err(DecodeError::BadLdImm64Tail { pc: 0 })
        );
        // Every pseudo source 0..=6 decodes; 7 does not.
        for src in 0..=6 {
            assert!(dec(&[Insn::new(LD_IMM64, 1, src, 0, 1), Insn::default()]).is_ok());
        }
        assert!(dec(&[Insn::new(LD_IMM64, 1, 7, 0, 1), Insn::default()]).is_err());
    }

    #[test]
    fn v4_encodings() {
        // sdiv: off 1; off 2 is invalid.
        assert_eq!(
            dec(&[Insn::new(0x3f, 1, 2, 1, 0)]).unwrap(),
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::SDiv,
                dst: 1,
                src: Operand::Reg(2)
            }
        );
        assert!(dec(&[Insn::new(0x3f, 1, 2, 2, 0)]).is_err());
        // movsx32 exists only in 64-bit width.
        assert!(dec(&[Insn::new(0xbf, 1, 2, 32, 0)]).is_ok());
        assert!(dec(&[Insn::new(0xbc, 1, 2, 32, 0)]).is_err());
        // bswap is ALU64|END|K; the X form is unknown.
        assert!(dec(&[Insn::new(0xd7, 1, 0, 0, 16)]).is_ok());
        assert!(dec(&[Insn::new(0xdf, 1, 0, 0, 16)]).is_err());
        // ldsx has no DW form.
        assert!(dec(&[Insn::new(0x91, 1, 2, 0, 0)]).is_ok());
        assert!(dec(&[Insn::new(0x99, 1, 2, 0, 0)]).is_err());
        // Atomics of B/H exist only for load-acquire/store-release.
        assert!(dec(&[Insn::new(0xd3, 1, 2, 0, BPF_LOAD_ACQ)]).is_ok());
        assert!(dec(&[Insn::new(0xd3, 1, 2, 0, 0)]).is_err());
    }

    #[test]
    fn encode_inverts_decode_for_every_valid_single_slot() {
        // Exhaustive over opcodes with representative fields.
        let fields: &[(u8, u8, i16, i32)] = &[
            (0, 0, 0, 0),
            (1, 2, 0, 0),
            (1, 0, 0, 16),
            (1, 2, 1, 0),
            (1, 2, 8, 0),
            (1, 2, 32, 0),
            (1, 0, -3, 7),
            (0, 0, 5, 0),
            (0, 1, 0, 3),
            (0, 2, 1, 9),
            (1, 2, 0, BPF_CMPXCHG),
            (1, 2, 0, BPF_STORE_REL),
            (1, 2, 1, 0x10000),
        ];
        let mut seen = 0;
        for code in 0..=255u8 {
            for &(dst, src, off, imm) in fields {
                let slots = [Insn::new(code, dst, src, off, imm), Insn::default()];
                if let Ok((ins, n)) = decode_at(&slots, 0) {
                    seen += 1;
                    assert_eq!(ins.encode(), slots[..n].to_vec(), "{ins:?}");
                }
            }
        }
        assert!(seen > 150, "only {seen} valid encodings");
    }
}
