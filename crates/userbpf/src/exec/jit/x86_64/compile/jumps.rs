//! Fewer jumps taken.
//!
//! A backward `goto` to a short block that ends in a conditional jump (a
//! rotated loop's header, as clang emits `for` loops whose test comes
//! first: `i += 1; if i != n goto body`) runs a copy of that block in
//! place. Each iteration then takes one jump (the copy's conditional one,
//! back into the body) instead of the `goto` and the header's.
//!
//! A `goto` to a test of a register against zero whose outcome the
//! compiler knows goes straight to where the test leads. The compiler
//! tracks unsigned ranges of registers along straight lines (as it tracks
//! frame pointers): the inlined array lookup's `r0 = index << 3; r0 +=
//! values; goto +1; r0 = 0` meets the program's `if r0 == 0` with r0 at
//! least the values' address, so the lookup's hit path skips the test;
//! the `r0 = 0; if r0 == 0` it then jumps over moves out of line, and the
//! hit path runs straight on.

use std::ops::Range;

use super::{host, width, writes, Compiler, Instruction};
use crate::exec::jit::x86_64::emit::{Alu, Cc, R, W};
use crate::isa::cfg::target;
use crate::isa::{AluOp, JmpOp, Operand, Size, Width};

/// An unsigned range of a register's values (inclusive).
pub(super) type Range64 = Option<(u64, u64)>;

/// Register instructions a copied block may hold before its jump.
const MAX_COPIED: usize = 3;

/// The block (indices into `program`) the backward `goto` at index `i`
/// reaches, when it is worth copying: up to [`MAX_COPIED`] register
/// instructions, then a conditional jump. Never a block starting at one of
/// `keep` (unrolled loops' heads, whose guard the `goto` must pass).
pub(super) fn copied_block(program: &[(usize, Instruction)], i: usize, keep: &[usize]) -> Option<Range<usize>> {
    let (pc, ins) = program[i];
    let rel = ins.goto_rel()?;
    let t = target(pc, rel);
    if t < 0 || t > pc as i64 || keep.contains(&(t as usize)) {
        return None;
    }
    let start = program.binary_search_by_key(&(t as usize), |&(p, _)| p).ok()?;
    for (k, &(_, ins)) in program[start..].iter().enumerate().take(MAX_COPIED + 1) {
        match ins {
            Instruction::Alu { .. } | Instruction::MovSx { .. } | Instruction::Neg { .. } | Instruction::End { .. } => {
            }
            Instruction::Jcond { .. } => return Some(start..start + k + 1),
            _ => return None,
        }
    }
    None
}

/// The test of a register against zero at each pc, if that is what it
/// holds: (register, `==` (else `!=`), jump offset).
pub(super) fn zero_tests(program: &[(usize, Instruction)], len: usize) -> Vec<Option<(u8, bool, i16)>> {
    let mut tests = vec![None; len + 1];
    for &(pc, ins) in program {
        if let Instruction::Jcond {
            width: Width::W64,
            op: op @ (JmpOp::Jeq | JmpOp::Jne),
            dst,
            src: Operand::Imm(0),
            off,
        } = ins
        {
            tests[pc] = Some((dst, op == JmpOp::Jeq, off));
        }
    }
    tests
}

/// The range of `dst` after the straight-line instruction `ins` (which
/// writes it), from the ranges before.
fn range_after(ins: &Instruction, ranges: &[Range64; 11]) -> Range64 {
    let of = |r: u8| if r == 10 { None } else { ranges[r as usize] };
    match *ins {
        Instruction::LdImm64 {
            src: 0, imm, next_imm, ..
        } => {
            let v = imm as u32 as u64 | (next_imm as u32 as u64) << 32;
            Some((v, v))
        }
        Instruction::Load {
            size, signed: false, ..
        } if size != Size::DW => Some((0, (1u64 << (size.bytes() * 8)) - 1)),
        Instruction::Alu {
            width: Width::W32,
            op: AluOp::Mov,
            src: Operand::Imm(k),
            ..
        } => Some((k as u32 as u64, k as u32 as u64)),
        Instruction::Alu {
            width: Width::W32,
            op: AluOp::Mov,
            src: Operand::Reg(s),
            ..
        } => Some(
            of(s)
                .filter(|&(_, hi)| hi <= u32::MAX as u64)
                .unwrap_or((0, u32::MAX as u64)),
        ),
        Instruction::Alu {
            width: Width::W32,
            op: AluOp::And,
            dst,
            src: Operand::Imm(m),
        } => {
            let hi = of(dst).map_or(u32::MAX as u64, |(_, hi)| hi.min(u32::MAX as u64));
            Some((0, hi.min(m as u32 as u64)))
        }
        // 32-bit results are zero-extended.
        Instruction::Alu { width: Width::W32, .. } => Some((0, u32::MAX as u64)),
        Instruction::Alu {
            width: Width::W64,
            op,
            dst,
            src,
        } => {
            let k = match src {
                Operand::Imm(k) => Some(k as i64),
                Operand::Reg(_) => None,
            };
            match (op, src) {
                (AluOp::Mov, Operand::Reg(s)) => of(s),
                (AluOp::Mov, Operand::Imm(k)) => Some((k as i64 as u64, k as i64 as u64)),
                (AluOp::Add, Operand::Imm(_)) => {
                    let (lo, hi) = of(dst)?;
                    let k = k?;
                    Some((lo.checked_add_signed(k)?, hi.checked_add_signed(k)?))
                }
                (AluOp::Add, Operand::Reg(s)) => {
                    let ((a, b), (c, d)) = (of(dst)?, of(s)?);
                    Some((a.checked_add(c)?, b.checked_add(d)?))
                }
                (AluOp::Lsh, Operand::Imm(k)) => {
                    let (lo, hi) = of(dst)?;
                    let k = k as u32 & 63;
                    (hi.leading_zeros() >= k).then_some((lo << k, hi << k))
                }
                (AluOp::Rsh, Operand::Imm(k)) => {
                    let (lo, hi) = of(dst).unwrap_or((0, u64::MAX));
                    let k = k as u32 & 63;
                    Some((lo >> k, hi >> k))
                }
                (AluOp::And, Operand::Imm(m)) if m >= 0 => {
                    let hi = of(dst).map_or(m as u64, |(_, hi)| hi.min(m as u64));
                    Some((0, hi))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

/// The range of `r` where a 64-bit `if r <op> k` falls through.
fn range_if_not(op: JmpOp, k: u64, r: Range64) -> Range64 {
    let (lo, hi) = r.unwrap_or((0, u64::MAX));
    let (lo, hi) = match op {
        JmpOp::Jge => (lo, hi.min(k.checked_sub(1)?)),
        JmpOp::Jgt => (lo, hi.min(k)),
        JmpOp::Jlt => (lo.max(k), hi),
        JmpOp::Jle => (lo.max(k.checked_add(1)?), hi),
        JmpOp::Jne => (k, k),
        JmpOp::Jeq if k == lo => (lo.checked_add(1)?, hi),
        JmpOp::Jeq if k == hi => (lo, hi.checked_sub(1)?),
        _ => (lo, hi),
    };
    (lo <= hi).then_some((lo, hi))
}

impl Compiler {
    /// The copy of `block` (a [`copied_block`]) where the `goto` was: its
    /// instructions, its conditional jump to the same target, then a jump
    /// to where its fall-through goes.
    pub(super) fn copy_block(&mut self, block: &[(usize, Instruction)]) {
        self.forget();
        for (pc, ins) in block {
            self.insn(*pc, ins);
            self.track(ins);
        }
        let &(last, _) = block.last().expect("a block ends in its jump");
        self.a.jmp(self.labels[last + 1]);
        self.forget();
    }

    /// Where jumps land: nothing is known of the registers.
    pub(super) fn forget(&mut self) {
        self.line.frame_offset = [None; 11];
        self.line.ranges = [None; 11];
        self.line.slots.clear();
        self.line.alias = [None; 11];
        self.line.alias_pending = None;
    }

    /// What the straight line knows after `ins`: frame pointers
    /// (access.rs), ranges of registers and of frame slots.
    pub(super) fn track(&mut self, ins: &Instruction) {
        let loaded = self.track_slots(ins);
        self.track_frame_offset(ins);
        self.track_alias(ins);
        match *ins {
            Instruction::Call(_)
            | Instruction::CallX { .. }
            | Instruction::LdAbs { .. }
            | Instruction::LdInd { .. } => {
                self.line.ranges = [None; 11];
            }
            Instruction::Jcond {
                width: Width::W64,
                op,
                dst,
                src: Operand::Imm(k),
                ..
            } if dst != 10 => {
                self.line.ranges[dst as usize] = range_if_not(op, k as i64 as u64, self.line.ranges[dst as usize]);
            }
            // A 32-bit test of a register known to fit in 32 bits.
            Instruction::Jcond {
                width: Width::W32,
                op,
                dst,
                src: Operand::Imm(k),
                ..
            } if dst != 10 => {
                let r = self.line.ranges[dst as usize];
                if r.is_some_and(|(_, hi)| hi <= u32::MAX as u64) {
                    self.line.ranges[dst as usize] = range_if_not(op, k as u32 as u64, r);
                }
            }
            _ => {
                if let Some(d) = writes(ins) {
                    if d != 10 {
                        self.line.ranges[d as usize] = loaded.or_else(|| range_after(ins, &self.line.ranges));
                    }
                }
            }
        }
    }

    /// Constants kept in registers (constants.rs): a write ends an
    /// alias; a pending one starts once its definition is tracked.
    fn track_alias(&mut self, ins: &Instruction) {
        if let Some(d) = writes(ins) {
            self.line.alias[d as usize] = None;
        }
        if matches!(
            ins,
            Instruction::Call(_) | Instruction::CallX { .. } | Instruction::LdAbs { .. } | Instruction::LdInd { .. }
        ) {
            self.line.alias = [None; 11];
        }
        if let Some((d, c, left)) = self.line.alias_pending.take() {
            if left <= 1 {
                self.line.alias[d as usize] = Some(c);
            } else {
                self.line.alias_pending = Some((d, c, left - 1));
            }
        }
    }

    /// Frame slots' ranges after `ins` (the key clang stores at r10 - 4
    /// and the inlined lookup loads back); returns the range of what a
    /// load from a known slot reads. Stores anywhere but a known frame
    /// slot, atomics there, and calls forget them all.
    fn track_slots(&mut self, ins: &Instruction) -> Range64 {
        let fits = |r: Range64, bytes: usize| {
            let max = if bytes == 8 {
                u64::MAX
            } else {
                (1u64 << (8 * bytes)) - 1
            };
            r.filter(|&(_, hi)| hi <= max)
        };
        let (base, off, size, value) = match *ins {
            Instruction::Load {
                size,
                signed: false,
                src,
                off,
                ..
            } => {
                let at = self.frame_access(src, off as i32, size.bytes())?;
                return self
                    .line
                    .slots
                    .iter()
                    .find(|s| s.0 == at && s.1 == size.bytes())
                    .map(|s| s.2);
            }
            Instruction::StoreImm { size, dst, off, imm } => {
                let v = imm as i64 as u64;
                let v = if size == Size::DW {
                    v
                } else {
                    v & ((1u64 << (8 * size.bytes())) - 1)
                };
                (dst, off, size, Some((v, v)))
            }
            Instruction::StoreReg { size, dst, src, off } => {
                let r = if src == 10 {
                    None
                } else {
                    self.line.ranges[src as usize]
                };
                (dst, off, size, fits(r, size.bytes()))
            }
            Instruction::Atomic { size, dst, off, .. } => (dst, off, size, None),
            Instruction::Call(_)
            | Instruction::CallX { .. }
            | Instruction::LdAbs { .. }
            | Instruction::LdInd { .. } => {
                self.line.slots.clear();
                return None;
            }
            _ => return None,
        };
        let bytes = size.bytes();
        let Some(at) = self.frame_access(base, off as i32, bytes) else {
            // Anywhere, the frame included.
            self.line.slots.clear();
            return None;
        };
        self.line
            .slots
            .retain(|&(o, n, _)| o + n as i32 <= at || at + bytes as i32 <= o);
        if let Some(r) = value {
            self.line.slots.push((at, bytes, r));
        }
        None
    }

    /// Whether the conditional jump `ins` is taken, when the ranges decide
    /// it (the inlined lookup's bound test of a key the program masked).
    pub(super) fn decided(&self, ins: &Instruction) -> Option<bool> {
        if self.opts.meter || self.opts.blind.is_some() {
            return None;
        }
        let Instruction::Jcond {
            width,
            op,
            dst,
            src: Operand::Imm(k),
            ..
        } = *ins
        else {
            return None;
        };
        if dst == 10 {
            return None;
        }
        let (lo, hi) = self.line.ranges[dst as usize]?;
        let (k, smax) = match width {
            Width::W64 => (k as i64 as u64, i64::MAX as u64),
            Width::W32 if hi <= u32::MAX as u64 => (k as u32 as u64, i32::MAX as u64),
            Width::W32 => return None,
        };
        // Signed compares of values both non-negative are unsigned ones.
        let nonneg = hi <= smax && k <= smax;
        let op = match op {
            JmpOp::Jsgt if nonneg => JmpOp::Jgt,
            JmpOp::Jsge if nonneg => JmpOp::Jge,
            JmpOp::Jslt if nonneg => JmpOp::Jlt,
            JmpOp::Jsle if nonneg => JmpOp::Jle,
            op => op,
        };
        match op {
            JmpOp::Jeq | JmpOp::Jne => {
                let eq = if lo == k && hi == k {
                    true
                } else if k < lo || k > hi {
                    false
                } else {
                    return None;
                };
                Some(eq == (op == JmpOp::Jeq))
            }
            JmpOp::Jgt => (lo > k).then_some(true).or((hi <= k).then_some(false)),
            JmpOp::Jge => (lo >= k).then_some(true).or((hi < k).then_some(false)),
            JmpOp::Jlt => (hi < k).then_some(true).or((lo >= k).then_some(false)),
            JmpOp::Jle => (hi <= k).then_some(true).or((lo > k).then_some(false)),
            _ => None,
        }
    }

    /// `if cond goto +1; goto X` (nothing landing on the `goto`) as one
    /// `if !cond goto X`: one jump instead of two on the way to X (clang
    /// puts a loop's `==` exit before its back edge). Returns how many
    /// instructions it took (0: none).
    pub(super) fn inverted_branch(&mut self, run: &[(usize, Instruction)], landing: &[bool]) -> usize {
        let [(
            pc,
            cond @ Instruction::Jcond {
                width: w,
                op,
                dst,
                src,
                off: 1,
            },
        ), (gpc, goto), ..] = run
        else {
            return 0;
        };
        let rel = match *goto {
            Instruction::Ja { off } => off as i64,
            Instruction::Ja32 { imm } => imm as i64,
            _ => return 0,
        };
        // (Where the test jumps must be an instruction: leaving the
        // program is the test's fault to report, at its pc.)
        if landing[*gpc] || gpc + 1 >= self.facts.len || self.decided(cond).is_some() || self.copy.hoisted.contains(pc)
        {
            return 0;
        }
        let l = self.branch_label(*gpc, self.threaded(*gpc, rel));
        let cc = self.compare(super::width(*w), *op, super::host(*dst), *src);
        self.a.jcc(cc.negate(), l);
        2
    }

    /// The short block a forward `goto` at index `i` of `program` now
    /// skips (its target threaded past a zero test: the array lookup's
    /// `r0 = 0; if r0 == 0`), as indices of `program`, to place out of line
    /// so that the `goto` becomes a fall-through: up to three one-slot
    /// instructions, none an unrolled loop's head (`keep`).
    pub(super) fn skipped_block(
        &self,
        program: &[(usize, Instruction)],
        i: usize,
        keep: &[usize],
    ) -> Option<Range<usize>> {
        let (pc, ins) = program[i];
        let rel = ins.goto_rel()?;
        let threaded = self.threaded(pc, rel);
        if threaded == rel || threaded <= 0 {
            return None;
        }
        let t = target(pc, threaded) as usize;
        let end = program.binary_search_by_key(&t, |&(p, _)| p).ok()?;
        let block = i + 1..end;
        let fits = !block.is_empty()
            && block.len() <= 3
            && program[block.clone()]
                .iter()
                .all(|(p, ins)| ins.slots() == 1 && !keep.contains(p));
        fits.then_some(block)
    }

    /// A [`skipped_block`](Self::skipped_block), out of line: its
    /// instructions, then a jump to where the last one falls through.
    pub(super) fn place_block(&mut self, block: &[(usize, Instruction)]) {
        self.forget();
        for (pc, ins) in block {
            self.a.bind(self.labels[*pc]);
            // Jumps land here too: what the line before knew may not hold.
            if self.facts.landing[*pc] {
                self.forget();
            }
            self.out.placed.push((*pc, self.a.pos() as u32));
            self.insn(*pc, ins);
            self.track(ins);
        }
        let &(last, ins) = block.last().expect("a block holds instructions");
        if !matches!(
            ins,
            Instruction::Ja { .. } | Instruction::Ja32 { .. } | Instruction::Exit
        ) {
            self.a.jmp(self.labels[last + 1]);
        }
        self.forget();
    }

    /// The offset a `goto pc + 1 + rel` takes: past a zero test whose
    /// outcome the ranges decide, to where that test leads.
    pub(super) fn threaded(&self, pc: usize, rel: i64) -> i64 {
        if self.opts.meter || self.opts.blind.is_some() {
            return rel;
        }
        let t = target(pc, rel);
        let Some(&Some((r, eq, off))) = usize::try_from(t).ok().and_then(|t| self.facts.zero_tests.get(t)) else {
            return rel;
        };
        let zero = match self.line.ranges[r as usize] {
            Some((lo, _)) if lo > 0 => false,
            Some((_, 0)) => true,
            _ => return rel,
        };
        // Taken when `==` meets zero or `!=` meets non-zero.
        let to = if zero == eq {
            target(t as usize, off as i64)
        } else {
            t + 1
        };
        // Only to an instruction: leaving the program is the test's fault
        // to report, at its pc.
        if to < 0 || to >= self.facts.len as i64 {
            return rel;
        }
        // In an unrolled loop's copies, only forward inside the body: a
        // jump there to the loop's back edge goes on with the next copy,
        // not where the edge leads.
        if let Some((head, tail)) = self.copy.copy_body {
            if to <= pc as i64 || to <= head as i64 || to >= tail as i64 {
                return rel;
            }
        }
        crate::isa::cfg::rel(pc, to)
    }
}

impl Compiler {
    /// A conditional jump: nothing, or a `jmp`, where the ranges decide
    /// it; otherwise the compare and a `jcc`.
    pub(super) fn jcond(&mut self, pc: usize, ins: &Instruction) {
        let (Some((w, op, dst, src)), Some(off)) = (ins.comparison(), ins.jump_rel()) else {
            unreachable!("not a conditional jump: {ins:?}")
        };
        match self.decided(ins) {
            Some(false) => {}
            Some(true) => {
                let l = self.branch_label(pc, off);
                self.a.jmp(l);
            }
            None => {
                let l = self.branch_label(pc, off);
                let cc = self.compare(width(w), op, host(dst), src);
                self.a.jcc(cc, l);
            }
        }
    }

    /// The compare (or test) of a conditional jump; returns the condition
    /// under which it jumps.
    pub(super) fn compare(&mut self, w: W, op: JmpOp, d: R, src: Operand) -> Cc {
        if op == JmpOp::Jset {
            match self.operand(src) {
                Ok(s) => self.a.test(w, d, s),
                Err(i) => self.a.test_imm(w, d, i),
            }
        } else {
            match self.operand(src) {
                Ok(s) => self.a.alu(w, Alu::Cmp, d, s),
                Err(0) if matches!(op, JmpOp::Jeq | JmpOp::Jne) => self.a.test(w, d, d),
                Err(i) => self.a.alu_imm(w, Alu::Cmp, d, i),
            }
        }
        match op {
            JmpOp::Jeq => Cc::E,
            JmpOp::Jne | JmpOp::Jset => Cc::Ne,
            JmpOp::Jgt => Cc::A,
            JmpOp::Jge => Cc::Ae,
            JmpOp::Jlt => Cc::B,
            JmpOp::Jle => Cc::Be,
            JmpOp::Jsgt => Cc::G,
            JmpOp::Jsge => Cc::Ge,
            JmpOp::Jslt => Cc::L,
            JmpOp::Jsle => Cc::Le,
        }
    }
}
