//! Typed instructions back to raw slots: the inverse of decoding.

use super::{CallKind, Endian, Instruction, MemFields, Operand, Width};
use crate::isa::insn::Insn;
use crate::isa::opcode::*;

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
            Instruction::LdImm64 { dst, src, imm, .. } => {
                out.push(Insn::new(LD_IMM64, dst, src, 0, imm));
                Insn::new(0, 0, 0, 0, (self.imm64().unwrap_or_default() >> 32) as i32)
            }
            Instruction::LdAbs { size, imm } => Insn::new(BPF_LD | BPF_ABS | size.field(), 0, 0, 0, imm),
            Instruction::LdInd { size, src, imm } => Insn::new(BPF_LD | BPF_IND | size.field(), 0, src, 0, imm),
            Instruction::Load { signed: false, .. } => self.mem_slot(BPF_LDX | BPF_MEM, 0),
            Instruction::Load { signed: true, .. } => self.mem_slot(BPF_LDX | BPF_MEMSX, 0),
            Instruction::StoreImm { imm, .. } => self.mem_slot(BPF_ST | BPF_MEM, imm),
            Instruction::StoreReg { .. } => self.mem_slot(BPF_STX | BPF_MEM, 0),
            Instruction::Atomic { op, .. } => self.mem_slot(BPF_STX | BPF_ATOMIC, op.imm()),
            Instruction::Ja { off } => Insn::new(JA, 0, 0, off, 0),
            Instruction::Ja32 { imm } => Insn::new(JA32, 0, 0, 0, imm),
            Instruction::Jcond {
                width, op, dst, src, ..
            } => {
                let (s, sreg, imm) = operand(src);
                let off = self.jump_rel().unwrap_or_default() as i16;
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

    /// The slot of a load, store or atomic: `code` with the size field,
    /// its [`MemFields`] and `imm`.
    fn mem_slot(&self, code: u8, imm: i32) -> Insn {
        let Some(MemFields { size, dst, src, off }) = self.mem_fields() else {
            unreachable!("not a load, store or atomic: {self:?}")
        };
        Insn::new(code | size.field(), dst, src, off, imm)
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
