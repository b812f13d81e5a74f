//! Raw slots to typed instructions: every field checked, the precise
//! problem named otherwise.

use super::{AluOp, AtomicOp, CallKind, Endian, Instruction, JmpOp, Operand, Reg, Size, Width};
use crate::isa::insn::Insn;
use crate::isa::opcode::*;

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

    /// Only the immediate (BPF_K) form exists: with BPF_X the opcode is
    /// unknown.
    fn k_only(&self) -> Result<(), DecodeError> {
        if source(self.insn.code) != BPF_K {
            return Err(self.unknown());
        }
        Ok(())
    }

    /// [`zero`](Self::zero) for each field, in order.
    fn zeros(&self, fields: &[Field]) -> Result<(), DecodeError> {
        fields.iter().try_for_each(|&f| self.zero(f))
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
                    c.zeros(&[Field::Src, Field::Off, Field::Imm])?;
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
                    c.zeros(&[Field::Src, Field::Off])?;
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
                    c.k_only()?;
                    c.zeros(&[Field::Dst, Field::Src, Field::Imm])?;
                    Instruction::Ja { off: insn.off }
                }
                (BPF_JA, _) => {
                    c.k_only()?;
                    c.zeros(&[Field::Dst, Field::Src, Field::Off])?;
                    Instruction::Ja32 { imm: insn.imm }
                }
                (BPF_CALL, BPF_JMP) => {
                    if source(code) == BPF_X {
                        let reg = c.reg(Field::Dst)?;
                        c.zeros(&[Field::Src, Field::Off, Field::Imm])?;
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
                    c.k_only()?;
                    c.zeros(&[Field::Dst, Field::Src, Field::Off, Field::Imm])?;
                    Instruction::Exit
                }
                (BPF_JCOND, BPF_JMP) => {
                    c.k_only()?;
                    c.zeros(&[Field::Dst, Field::Src, Field::Imm])?;
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
                c.zeros(&[Field::Dst, Field::Off])?;
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

/// Field values `(dst, src, off, imm)` that between them reach every
/// variant of every opcode: what tells a known opcode from an unknown one
/// by decoding, and what the round-trip tests try on each opcode.
pub const SAMPLE_FIELDS: &[(u8, u8, i16, i32)] = &[
    (0, 0, 0, 0),
    (1, 2, 0, 0),
    (1, 0, 0, 16),
    (1, 0, 0, 32),
    (1, 0, 0, 64),
    (1, 2, 1, 0),
    (1, 2, 8, 0),
    (1, 2, 16, 0),
    (1, 2, 32, 0),
    (10, 0, -8, -1),
    (1, 0, 0, i32::MIN),
    (1, 0, 0, i32::MAX),
    (1, 0, 0, 0x7fff_ff80),
    (9, 3, i16::MIN, 11),
    (1, 0, i16::MAX, -11),
    (1, 0, -3, 7),
    (0, 0, 5, 0),
    (0, 1, 0, 0),
    (0, 2, 0, 0),
    (0, 1, 0, 3),
    (0, 2, 1, 9),
    (0, 4, 0, -3),
    (1, 2, 0, BPF_FETCH),
    (1, 2, 0, BPF_XCHG),
    (1, 2, 0, BPF_CMPXCHG),
    (1, 2, 0, 0x41),
    (1, 2, 0, 0xa1),
    (1, 2, 0, BPF_LOAD_ACQ),
    (1, 2, 0, BPF_STORE_REL),
    (1, 2, 7, BPF_LOAD_ACQ),
    (1, 2, -7, BPF_STORE_REL),
    (1, 2, 1, 0x10000),
    (1, 2, 1, 1),
];

/// Whether some choice of the other fields makes `code` decode: the
/// opcode is one the ISA defines.
pub fn opcode_decodes(code: u8) -> bool {
    static TABLE: std::sync::OnceLock<[bool; 256]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        std::array::from_fn(|c| {
            SAMPLE_FIELDS
                .iter()
                .any(|&(d, s, o, i)| decode_at(&[Insn::new(c as u8, d, s, o, i), Insn::default()], 0).is_ok())
        })
    })[code as usize]
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
