//! Instructions compiled as one: `dst = src; dst += x` as a `lea`, `dst =
//! imm64; dst += k` as one `mov`, `dst <<= k; dst += src` as a scaled
//! `lea`; and, where the value in between is dead (liveness.rs), clang's
//! accumulator `a = *p; a += b; b = a` as `add b, [p]`. Definitions nobody
//! reads emit nothing. Only when nothing jumps into the middle (the
//! caller's `landing`), so no path sees a middle state.

use super::liveness::Regs;
use super::{host, width, writes, Access, Compiler};
use crate::exec::jit::x86_64::emit::{mem, mem_idx, mem_scaled, Alu};
use crate::isa::{AluOp, Instruction, Operand, Size, Width};

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
        if let Some(lag) = self.copy.lag {
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

/// A definition with no effect but its register: skipped when dead.
fn pure(ins: &Instruction) -> bool {
    matches!(
        ins,
        Instruction::Alu { .. }
            | Instruction::MovSx { .. }
            | Instruction::Neg { .. }
            | Instruction::End { .. }
            | Instruction::LdImm64 { src: 0, .. }
    )
}

fn bit(r: u8) -> Regs {
    1 << r
}

/// The ALU operations `b = a op b` may compute as `b op= a`.
fn commutative(op: AluOp) -> Option<Alu> {
    match op {
        AluOp::Add => Some(Alu::Add),
        AluOp::Or => Some(Alu::Or),
        AluOp::And => Some(Alu::And),
        AluOp::Xor => Some(Alu::Xor),
        _ => None,
    }
}

impl Compiler {
    /// Whether register `r` is dead after `pc`.
    pub(super) fn dead_after(&self, pc: usize, r: u8) -> bool {
        r != 10 && self.facts.live.after.get(pc).is_some_and(|l| l & bit(r) == 0)
    }

    /// Whether `r`, defined by `run[..from]`, is read on this straight
    /// line only where `allowed` says it costs nothing (it returns how many
    /// instructions such a read spans at the start of the slice it is
    /// given), until it dies or is written: then `r` needs no register.
    /// The scans of frame pointers, constants kept in registers and values
    /// only decided tests read.
    pub(super) fn reads_only(
        &self,
        run: &[(usize, Instruction)],
        from: usize,
        r: u8,
        landing: &[bool],
        allowed: impl Fn(&[(usize, Instruction)]) -> Option<usize>,
    ) -> bool {
        let mut k = from;
        while let Some(&(pc, ins)) = run.get(k) {
            if landing[pc] {
                return false;
            }
            if let Some(n) = allowed(&run[k..]) {
                let span = &run[k..k + n];
                if span[1..].iter().any(|(p, _)| landing[*p]) {
                    return false;
                }
                let (last, last_ins) = span[n - 1];
                if writes(&last_ins) == Some(r) || self.dead_after(last, r) {
                    return true;
                }
                k += n;
                continue;
            }
            if super::liveness::reads(&ins, r) {
                return false;
            }
            if writes(&ins) == Some(r) || self.dead_after(pc, r) {
                return true;
            }
            match self.jump_needs(pc, &ins, r) {
                // A way off this straight line where `r` is still live.
                Some((true, _)) => return false,
                Some((false, false)) => return true,
                _ => {}
            }
            k += 1;
        }
        false
    }

    /// At a jump, whether the way it leaves may need `r` (live where it
    /// lands), and whether the line goes on after it.
    fn jump_needs(&self, pc: usize, ins: &Instruction, r: u8) -> Option<(bool, bool)> {
        let rel = super::branch_rel(ins)?;
        let needs = match super::target(pc, rel, self.facts.len) {
            Ok(t) => self.facts.live.before.get(t).is_some_and(|l| l & bit(r) != 0),
            // Out of the program: a fault, which reads nothing.
            Err(_) => false,
        };
        let goes_on = !matches!(ins, Instruction::Ja { .. } | Instruction::Ja32 { .. });
        Some((needs, goes_on))
    }

    /// Compile the instructions `run` starts with as one, if a rule above
    /// applies: returns how many it took (0: none). `landing[pc]`:
    /// something jumps to pc.
    pub(super) fn fused(&mut self, run: &[(usize, Instruction)], landing: &[bool]) -> usize {
        if self.opts.meter || self.opts.blind.is_some() {
            return 0;
        }
        let Some(&(pc, first)) = run.first() else {
            return 0;
        };
        let next = |k: usize| run.get(k).filter(|(p, _)| !landing[*p]).copied();
        if pure(&first)
            && writes(&first).is_some_and(|d| self.dead_after(pc, d) || self.read_by_hoisted(run, 1, d, landing))
        {
            return 1;
        }
        if let Some((pc2, second)) = next(1) {
            debug_assert!(
                matches!(first, Instruction::Alu { op: AluOp::Lsh, .. })
                    || (0..11).all(|r| self.line.alias[r as usize].is_none() || !super::liveness::reads(&first, r)),
                "a constant kept in a register is read at {pc}: {:?} {run:?}",
                self.line.alias
            );
            if let Some(n) = self.accumulate(pc, &first, (pc2, &second), next(2)) {
                return n;
            }
            let pair = pure(&first) && pure(&second) && writes(&first) == writes(&second);
            let unread = |c: &Self, d| {
                c.dead_after(pc2, d) || c.frame_only(run, 2, d, landing) || c.read_by_hoisted(run, 2, d, landing)
            };
            if pair && writes(&second).is_some_and(|d| unread(self, d)) {
                return 2;
            }
        }
        let n = self.cached_constant(run, landing);
        if n > 0 {
            return n;
        }
        let Some((_, second)) = next(1) else {
            return 0;
        };
        if self.fuse_lea(&first, &second) || self.fuse_const(&first, &second) || self.fuse_scaled(&first, &second) {
            return 2;
        }
        self.inverted_branch(run, landing)
    }

    /// `a = *(u64 *)p; a += b; b = a` (or `a = *p; b += a`, or `a op= b;
    /// b = a` for a commutative op), 64-bit with an 8-byte load or 32-bit
    /// with a 4-byte one, `a` dead after: `b op= [p]` (or `b op= a`).
    fn accumulate(
        &mut self,
        pc: usize,
        first: &Instruction,
        (pc2, second): (usize, &Instruction),
        third: Option<(usize, Instruction)>,
    ) -> Option<usize> {
        let alu = |ins: &Instruction| match *ins {
            Instruction::Alu {
                width,
                op,
                dst,
                src: Operand::Reg(s),
            } if dst != s && dst != 10 => Some((width, op, dst, s)),
            _ => None,
        };
        // `a op= b; b = a`: b op= a.
        if let (Some((w, op, a, b)), Some((w2, AluOp::Mov, b2, a2))) = (alu(first), alu(second)) {
            let x = commutative(op)?;
            if w == w2 && b2 == b && a2 == a && self.dead_after(pc2, a) {
                self.a.alu(width(w), x, host(b), host(a));
                return Some(2);
            }
            return None;
        }
        let Instruction::Load {
            size,
            signed: false,
            dst: a,
            src: p,
            off,
        } = *first
        else {
            return None;
        };
        let (w, op, d, s) = alu(second)?;
        let fits = matches!((w, size), (Width::W64, Size::DW) | (Width::W32, Size::W));
        let x = commutative(op)?;
        if !fits || a == 10 {
            return None;
        }
        let (b, n) = match third.and_then(|(pc3, ins)| Some((pc3, alu(&ins)?))) {
            // a = *p; a op= b; b = a
            Some((pc3, (w3, AluOp::Mov, b, a3)))
                if d == a && a3 == a && s == b && w3 == w && self.dead_after(pc3, a) =>
            {
                (b, 3)
            }
            // a = *p; b op= a
            _ if s == a && d != a && self.dead_after(pc2, a) => (d, 2),
            _ => return None,
        };
        let m = self.access(pc, p, off, size.bytes(), Access::Read);
        self.a.alu_mem(width(w), x, host(b), m);
        Some(n)
    }

    /// `dst <<= k; dst += src` (k 1..=3, same width, src not dst) as `lea
    /// dst, [src + dst << k]`: the inlined array lookup's `index * 8 +
    /// values`.
    pub(super) fn fuse_scaled(&mut self, first: &Instruction, second: &Instruction) -> bool {
        let (
            Instruction::Alu {
                width: w1,
                op: AluOp::Lsh,
                dst: d1,
                src: Operand::Imm(k @ 1..=3),
            },
            Instruction::Alu {
                width: w2,
                op: AluOp::Add,
                dst: d2,
                src: Operand::Reg(s),
            },
        ) = (*first, *second)
        else {
            return false;
        };
        if w1 != w2 || d1 != d2 || s == d1 || d1 == 10 {
            return false;
        }
        let mut disp = 0;
        if let Some(lag) = self.copy.lag {
            if lag.reg == s {
                disp = lag.delta;
            }
        }
        let m = mem_scaled(self.reg_of(s), host(d1), k as u8, disp);
        match w1 {
            Width::W64 => self.a.lea(host(d1), m),
            Width::W32 => self.a.lea32(host(d1), m),
        }
        true
    }

    /// Whether the frame pointer `r` (r10 + k, defined by `run[..from]`)
    /// is read only as the base of accesses inside the frame, which
    /// address through r10 (`Compiler::access`), until it dies or is
    /// written, all on this straight line: then it needs no register.
    fn frame_only(&self, run: &[(usize, Instruction)], from: usize, r: u8, landing: &[bool]) -> bool {
        let Some(k) = frame_def(&run[..from]) else {
            return false;
        };
        if !self.facts.stack_fast || r == 10 {
            return false;
        }
        let in_frame = |off: i16, size: Size| {
            let at = k as i64 + off as i64;
            at >= -(crate::isa::opcode::MAX_BPF_STACK as i64) && at + size.bytes() as i64 <= 0
        };
        let frame_access = |at: &[(usize, Instruction)]| {
            let ok = match at[0].1 {
                Instruction::Load { src, off, size, .. } => src == r && in_frame(off, size),
                Instruction::StoreImm { dst, off, size, .. } => dst == r && in_frame(off, size),
                Instruction::StoreReg { dst, src, off, size } => dst == r && src != r && in_frame(off, size),
                _ => false,
            };
            ok.then_some(1)
        };
        self.reads_only(run, from, r, landing, frame_access)
    }
}

impl Compiler {
    /// In an unrolled round: whether `r` (defined by `run[..from]`) is
    /// read only by exit tests the round's start decided (exit_tests.rs),
    /// which run no code, until it dies or is written on this straight
    /// line (clang's `r5 = r4; r5 += 1` before `if r5 > r3`).
    fn read_by_hoisted(&self, run: &[(usize, Instruction)], from: usize, r: u8, landing: &[bool]) -> bool {
        if self.copy.hoisted.is_empty() || r == 10 {
            return false;
        }
        // (A decided test runs no code and never jumps.)
        let hoisted = |at: &[(usize, Instruction)]| self.copy.hoisted.contains(&at[0].0).then_some(1);
        self.reads_only(run, from, r, landing, hoisted)
    }
}

/// The k of `r = r10; r += k` (or `r = r10`), 64-bit, if `defs` is that.
fn frame_def(defs: &[(usize, Instruction)]) -> Option<i32> {
    let mov = |ins: &Instruction| {
        matches!(
            ins,
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                src: Operand::Reg(10),
                ..
            }
        )
    };
    match defs {
        [(_, m)] if mov(m) => Some(0),
        [(_, m), (
            _,
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Add,
                src: Operand::Imm(k),
                ..
            },
        )] if mov(m) => Some(*k),
        _ => None,
    }
}
