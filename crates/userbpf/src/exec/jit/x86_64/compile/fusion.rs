//! Pairs of instructions compiled as one: `dst = src; dst += x` as a
//! `lea`, `dst = imm64; dst += k` as one `mov`. Only when nothing jumps
//! between the two (the caller checks), so no path sees the middle state.

use super::{host, Compiler};
use crate::exec::jit::x86_64::emit::{mem, mem_idx};
use crate::isa::{AluOp, Instruction, Operand, Width};

/// `dst = src; dst += x` as one `lea dst, [src + x]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FusedLea {
    pub width: Width,
    pub dst: u8,
    pub base: u8,
    pub index: Option<u8>,
    pub disp: i32,
}

impl FusedLea {
    /// `r` appears only as an address term (once), not as the result.
    pub fn reads_only_in_address(&self, r: u8) -> bool {
        self.dst != r && (self.base == r) != (self.index == Some(r))
    }
}

/// The pair `dst = src; dst += imm | reg` (same width, dst not r10) as a
/// `lea`, or None.
pub fn fused_lea(first: &Instruction, second: &Instruction) -> Option<FusedLea> {
    let (
        Instruction::Alu {
            width: w1,
            op: AluOp::Mov,
            dst: d1,
            src: Operand::Reg(src),
        },
        Instruction::Alu {
            width: w2,
            op: AluOp::Add,
            dst: d2,
            src: add,
        },
    ) = (*first, *second)
    else {
        return None;
    };
    if w1 != w2 || d1 != d2 || d1 == 10 {
        return None;
    }
    let (index, disp) = match add {
        Operand::Imm(k) => (None, k),
        // dst += dst after dst = src adds src to itself.
        Operand::Reg(r) => (Some(if r == d1 { src } else { r }), 0),
    };
    Some(FusedLea {
        width: w1,
        dst: d1,
        base: src,
        index,
        disp,
    })
}

impl Compiler {
    /// `dst = src; dst += imm` (or `+= reg`), 64- or 32-bit, as one `lea`
    /// (the kernel's JIT emits two instructions; compilers one). Only when
    /// nothing jumps between the two, so no path sees the middle state.
    /// In an unrolled loop's copy, a term reading the lagging index takes
    /// its lag as displacement.
    pub(super) fn fuse_lea(&mut self, first: &Instruction, second: &Instruction) -> bool {
        let Some(f) = fused_lea(first, second) else {
            return false;
        };
        let mut disp = f.disp as i64;
        if let Some(lag) = self.lag {
            disp += lag.delta as i64 * ((f.base == lag.reg) as i64 + (f.index == Some(lag.reg)) as i64);
        }
        let Ok(disp) = i32::try_from(disp) else {
            return false;
        };
        let m = match f.index {
            None => mem(host(f.base), disp),
            Some(i) => mem_idx(host(f.base), host(i), disp),
        };
        match f.width {
            Width::W64 => self.a.lea(host(f.dst), m),
            Width::W32 => self.a.lea32(host(f.dst), m),
        }
        true
    }

    /// `dst = imm64; dst += k` as one `mov` of the sum (the inlined array
    /// lookup's map address and value offset). Only when nothing jumps
    /// between the two.
    pub(super) fn fuse_const(&mut self, first: &Instruction, second: &Instruction) -> bool {
        let (
            Instruction::LdImm64 {
                dst,
                src: 0,
                imm,
                next_imm,
            },
            Instruction::Alu {
                width,
                op: AluOp::Add,
                dst: d2,
                src: Operand::Imm(k),
            },
        ) = (*first, *second)
        else {
            return false;
        };
        if dst != d2 {
            return false;
        }
        let v = imm as u32 as u64 | (next_imm as u32 as u64) << 32;
        let sum = match width {
            Width::W64 => v.wrapping_add(k as i64 as u64),
            Width::W32 => (v as u32).wrapping_add(k as u32) as u64,
        };
        self.a.mov_imm(host(dst), sum);
        true
    }
}
