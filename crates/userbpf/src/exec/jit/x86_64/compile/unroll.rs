//! Counted loops, unrolled.
//!
//! clang compiles `for (i = 0; i < N; i++)` over a packet to a loop whose
//! last instruction is `if i != N goto head` (or `i < N`) and whose only
//! write of `i` is `i += step`. The image runs such a loop `factor` bodies
//! at a time when a guard at its entry shows that the trip count is a
//! multiple of `factor` (`(N - i) % (factor * step) == 0`): the copies then
//! need no compare between them. When every other read of `i` in the body
//! can take a displacement (a `dst = src; dst += i` pair the compiler fuses
//! into one `lea`), the increments aren't emitted either: copy `j` reads
//! `i + j * step` through the displacement, and one `add` per round (and on
//! each way out of the body) brings the register up to date.
//!
//! The loop as written stays in the image, entered when the guard fails;
//! its back edge goes through the guard again, so a loop whose trip count
//! isn't a multiple of `factor` runs single iterations only until the rest
//! is (csum's 750 iterations: six, then 93 rounds of eight).
//! Only loops the compiler can copy safely qualify: straight-line code and
//! forward jumps (inside the body or out of the loop), no calls, no exits,
//! nothing jumping into the body from outside but to its head.
//!
//! Rotated loops too: clang's `for` with `continue`s (the inlined lookup's
//! miss path) puts the increment and the test in a block before the body,
//! `test: i += 1; if i != N goto head`, which the body's last instruction
//! (`goto test`) and its `continue`s reach. A copy's jumps to `test` go on
//! with the next copy. The index may be 32-bit (`w7 += 1; if w7 != 256`);
//! its copies' reads (`w1 = w7`) then take the lag as a 32-bit `lea`.

use super::exit_tests::{exit_tests, ExitTest};
use super::fusion::fused_lea;
use super::{host, width, Compiler, Lag, Width};
use crate::exec::jit::x86_64::emit::{mem, Alu, Cc, Label, R, W};
use crate::isa::cfg::target;
use crate::isa::{AluOp, Instruction, JmpOp, Operand};

/// A loop the compiler unrolls, by pc.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountedLoop {
    /// First instruction of the body (the back edge's target).
    pub head: usize,
    /// The back edge: `if iv != bound goto head` or `if iv < bound goto
    /// head`, 64-bit.
    pub tail: usize,
    pub iv: u8,
    /// `iv += step`, the body's only write of `iv`.
    pub inc: usize,
    pub step: i32,
    pub bound: i32,
    /// Jne or Jlt.
    pub op: JmpOp,
    /// Bodies per round.
    pub factor: u32,
    /// Every read of `iv` in the body takes a displacement: the increments
    /// become displacements.
    pub lazy: bool,
    /// Accesses whose address is `s + iv + k` for an `s` the body never
    /// writes: one range check per round can cover all copies (hinted
    /// images; see `Compiler::round_check`).
    pub strided: Vec<StridedAccess>,
    /// The index's width (the test's and the increment's).
    pub width: Width,
    /// Exit tests whose value grows with the index (exit_tests.rs): one
    /// check before a round decides them for every copy.
    pub exit_tests: Vec<ExitTest>,
    /// A rotated loop: the pc of its test block (`iv += step; if iv <op>
    /// bound goto head`, before the head), which `tail` (a `goto`) and
    /// the body's `continue`s jump to. `inc` is that block's first pc.
    pub rotated: Option<usize>,
}

/// A load or store at `s + iv + disp` (its base register set by `b = s;
/// b += iv` or `b = iv; b += s`, 64-bit, earlier on the same straight line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StridedAccess {
    /// The access.
    pub pc: usize,
    /// The first instruction of the pair setting its base (its copy's
    /// index offset is the one the address sees).
    pub def: usize,
    pub s: u8,
    pub disp: i32,
    pub bytes: usize,
    pub write: bool,
}

/// An access whose address the ranges bound in a copy: from `first` to
/// `last`, `bytes` wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KnownAddress {
    pub pc: usize,
    pub first: u64,
    pub last: u64,
    pub bytes: usize,
    pub write: bool,
}

/// Widest address range a round checks for one access (wider ones are
/// no lookup table, and would often send rounds to the loop as written).
const MAX_KNOWN_SPAN: u64 = 4096;

impl CountedLoop {
    /// How far the register of `iv` lags behind `iv` at `pc` of copy
    /// `copy` (0 when the increments are emitted).
    pub fn delta(&self, copy: u32, pc: usize) -> i32 {
        if !self.lazy {
            return 0;
        }
        self.advance(copy, pc)
    }

    /// `iv` at `pc` of copy `copy`, less `iv` at the round's start.
    pub fn advance(&self, copy: u32, pc: usize) -> i32 {
        let after_inc = self.rotated.is_none() && pc > self.inc;
        self.step * copy as i32 + if after_inc { self.step } else { 0 }
    }

    /// Where the loop goes on when its test fails.
    pub fn exit(&self) -> usize {
        match self.rotated {
            Some(test) => test + 2,
            None => self.tail + 1,
        }
    }
}

/// `dst = iv` (either width, dst not iv): a read of the index a lagging
/// copy compiles as `lea dst, [iv + lag]`.
fn index_copy(ins: &Instruction, iv: u8) -> Option<(u8, Width)> {
    match *ins {
        Instruction::Alu {
            width,
            op: AluOp::Mov,
            dst,
            src: Operand::Reg(s),
        } if s == iv && dst != iv => Some((dst, width)),
        _ => None,
    }
}

/// `iv += step` (1, 2, 4 or 8) of width `w`: the increment.
fn increment(ins: &Instruction, iv: u8, w: Width) -> Option<i32> {
    match *ins {
        Instruction::Alu {
            width,
            op: AluOp::Add,
            dst,
            src: Operand::Imm(step @ (1 | 2 | 4 | 8)),
        } if dst == iv && width == w => Some(step),
        _ => None,
    }
}

/// Bodies longer than this (instructions) are not copied; up to 9
/// instructions eight times, up to 19 four times, else twice.
const MAX_BODY: usize = 32;

/// The loops of `program` (pc, instruction, in order) that qualify.
/// `landing[pc]`: something jumps to pc.
pub fn counted_loops(program: &[(usize, Instruction)], landing: &[bool]) -> Vec<CountedLoop> {
    let index = |pc: usize| program.binary_search_by_key(&pc, |&(p, _)| p).ok();
    let mut found = Vec::new();
    for (t_idx, &(tail, ins)) in program.iter().enumerate() {
        // The test: at the tail, or (rotated) in the block the tail's
        // backward `goto` reaches.
        let (test_pc, rotated) = match ins {
            Instruction::Jcond { .. } => (tail, None),
            Instruction::Ja { .. } | Instruction::Ja32 { .. } => match jump_target(tail, &ins) {
                Some(t) if t < tail => (t + 1, Some(t)),
                _ => continue,
            },
            _ => continue,
        };
        let Some(Instruction::Jcond {
            width,
            op: op @ (JmpOp::Jne | JmpOp::Jlt),
            dst: iv,
            src: Operand::Imm(bound),
            off,
        }) = index(test_pc).map(|i| program[i].1)
        else {
            continue;
        };
        let head = target(test_pc, off as i64);
        if off >= 0 && rotated.is_none() || head < 0 || head as usize > tail || iv == 10 {
            continue;
        }
        let head = head as usize;
        // A rotated loop's head follows its test block, which holds the
        // increment then the test.
        let inc = match rotated {
            Some(test) => {
                let step = index(test).and_then(|i| increment(&program[i].1, iv, width));
                if head <= test_pc || step.is_none() || landing[test_pc] {
                    continue;
                }
                Some((test, step.expect("checked")))
            }
            None => None,
        };
        let Some(h_idx) = index(head) else {
            continue;
        };
        let body = &program[h_idx..t_idx];
        if body.len() + 1 > MAX_BODY {
            continue;
        }
        let shape = Shape {
            head,
            tail,
            iv,
            bound,
            op,
            width,
            rotated,
        };
        if let Some(lp) = plan(program, landing, body, &shape, inc) {
            found.push(lp);
        }
    }
    found
}

/// A candidate loop, before the body is checked.
struct Shape {
    head: usize,
    tail: usize,
    iv: u8,
    bound: i32,
    op: JmpOp,
    width: Width,
    rotated: Option<usize>,
}

fn plan(
    program: &[(usize, Instruction)],
    landing: &[bool],
    body: &[(usize, Instruction)],
    shape: &Shape,
    mut inc: Option<(usize, i32)>,
) -> Option<CountedLoop> {
    let &Shape {
        head,
        tail,
        iv,
        bound,
        op,
        width,
        rotated,
    } = shape;
    // The body: simple instructions, forward jumps (and a rotated loop's
    // `continue`s, to its test block).
    for &(pc, ins) in body {
        match ins {
            Instruction::Alu { .. }
            | Instruction::MovSx { .. }
            | Instruction::Neg { .. }
            | Instruction::End { .. }
            | Instruction::LdImm64 { src: 0, .. }
            | Instruction::Load { .. }
            | Instruction::StoreImm { .. }
            | Instruction::StoreReg { .. } => {}
            Instruction::Ja { .. } | Instruction::Ja32 { .. } | Instruction::Jcond { .. } => {
                let t = jump_target(pc, &ins)?;
                if t <= pc && Some(t) != rotated {
                    return None;
                }
            }
            _ => return None,
        }
        if super::writes(&ins) == Some(iv) {
            match increment(&ins, iv, width) {
                Some(step) if inc.is_none() => inc = Some((pc, step)),
                _ => return None,
            }
        }
    }
    let (inc, step) = inc?;
    // Every pass through the body runs the increment: no jump inside the
    // body crosses it.
    for &(pc, ins) in body {
        if let Some(t) = jump_target(pc, &ins) {
            if rotated.is_none() && pc < inc && t > inc && t <= tail {
                return None;
            }
        }
    }
    // Nothing from outside jumps into the body but to its head.
    for &(pc, ins) in program {
        if (head..=tail).contains(&pc) {
            continue;
        }
        if jump_target(pc, &ins).is_some_and(|t| t > head && t <= tail) {
            return None;
        }
    }
    let factor: u32 = match body.len() {
        n if n < 10 => 8,
        n if n < 20 => 4,
        _ => 2,
    };
    // A 32-bit index wraps: only its copies (`w1 = w7`) take the lag, as
    // 32-bit `lea`s; a 64-bit one also as a term of a fused `lea`.
    let wide = width == Width::W64;
    let lazy = body.iter().enumerate().all(|(i, &(pc, ins))| {
        pc == inc || !reads(&ins, iv) || index_copy(&ins, iv).is_some() || (wide && folds(body, i, iv, landing))
    });
    Some(CountedLoop {
        head,
        tail,
        iv,
        inc,
        step,
        bound,
        op,
        factor,
        lazy,
        strided: if wide { strided(body, iv, landing) } else { Vec::new() },
        exit_tests: exit_tests(body, iv, width, landing),
        width,
        rotated,
    })
}

/// The body's accesses at `s + iv + disp` ([`StridedAccess`]).
fn strided(body: &[(usize, Instruction)], iv: u8, landing: &[bool]) -> Vec<StridedAccess> {
    let mut found = Vec::new();
    for (i, &(pc, ins)) in body.iter().enumerate() {
        let (b, off, size, write) = match ins {
            Instruction::Load { src, off, size, .. } => (src, off, size, false),
            Instruction::StoreImm { dst, off, size, .. } | Instruction::StoreReg { dst, off, size, .. } => {
                (dst, off, size, true)
            }
            _ => continue,
        };
        // The base's last write before the access: the pair's add.
        let Some(d) = body[..i].iter().rposition(|(_, x)| super::writes(x) == Some(b)) else {
            continue;
        };
        let Some(&(def, first)) = d.checked_sub(1).and_then(|f| body.get(f)) else {
            continue;
        };
        let Some(f) = fused_lea(&first, &body[d].1) else {
            continue;
        };
        let s = match (f.base, f.index) {
            (x, Some(y)) if y == iv && x != iv => x,
            (x, Some(y)) if x == iv && y != iv => y,
            _ => continue,
        };
        let straight = !(def + 1..=pc).any(|p| landing[p]);
        // r10 qualifies: no call in the body moves the frame.
        let s_fixed = s != b && !body.iter().any(|(_, x)| super::writes(x) == Some(s));
        if f.width == Width::W64 && straight && s_fixed {
            found.push(StridedAccess {
                pc,
                def,
                s,
                disp: off as i32,
                bytes: size.bytes(),
                write,
            });
        }
    }
    found
}

impl Compiler {
    /// The guard and the unrolled rounds of `lp` (`body`: its instructions
    /// but the back edge), bound at the head's label; the guard fails to
    /// `original` (the loop as written, whose back edge comes back to the
    /// guard), and the rounds go on after the loop.
    pub(super) fn unrolled(
        &mut self,
        lp: &CountedLoop,
        body: &[(usize, Instruction)],
        landing: &[bool],
        original: Label,
    ) {
        let iv = host(lp.iv);
        let w = width(lp.width);
        let a = &mut self.a;
        a.bind(self.labels[lp.head]);
        self.out.notes.push((
            a.pos() as u32,
            format!(
                "{}-{}: unrolled {}x when ({} - {}{}) is a multiple of {}{}",
                lp.head,
                lp.tail,
                lp.factor,
                lp.bound,
                if lp.width == Width::W64 { "r" } else { "w" },
                lp.iv,
                lp.factor as i32 * lp.step,
                if lp.lazy { ", increments folded" } else { "" }
            ),
        ));
        // rcx = bound - iv: zero (or, for `<`, a borrow) means the loop
        // doesn't run its trip count from here.
        a.mov_imm64_sext(R::Rcx, lp.bound);
        a.alu(w, Alu::Sub, R::Rcx, iv);
        a.jcc(if lp.op == JmpOp::Jne { Cc::E } else { Cc::Be }, original);
        a.test_imm(W::D32, R::Rcx, lp.factor as i32 * lp.step - 1);
        a.jcc(Cc::Ne, original);
        self.copy.copy_body = Some((lp.head, lp.tail));
        let tests: Vec<ExitTest> = lp
            .exit_tests
            .iter()
            .filter(|t| t.first(lp).is_some())
            .copied()
            .collect();
        self.copy.hoisted = tests.iter().map(|t| t.pc).collect();
        if !self.opts.trust_proofs {
            // Accesses whose address range the copies know: checked once
            // before the rounds (neither the range nor the region table
            // changes while they run: no calls).
            for known in self.known_addresses(body, landing) {
                let strided = lp.strided.iter().any(|sa| sa.pc == known.pc);
                if !strided && self.range_round_check(&known, original) {
                    self.copy.range_checked.push((known.pc, known.first, known.last));
                }
            }
        }
        let round = self.a.label();
        self.a.bind(round);
        for t in &tests {
            self.exit_test_check(lp, t, original);
        }
        if !self.opts.trust_proofs {
            for sa in &lp.strided {
                if self.round_check(lp, sa, original) {
                    self.copy.round_checked.push(sa.pc);
                }
            }
        }
        // The labels a copy rebinds: its body's, and a rotated loop's test
        // block (where its `continue`s go on with the next copy).
        let rebound: Vec<usize> = (lp.head..=lp.tail).chain(lp.rotated).collect();
        let saved: Vec<Label> = rebound.iter().map(|&pc| self.labels[pc]).collect();
        self.forget();
        let inc = Instruction::Alu {
            width: lp.width,
            op: AluOp::Add,
            dst: lp.iv,
            src: Operand::Imm(lp.step),
        };
        for copy in 0..lp.factor {
            for &pc in &rebound {
                self.labels[pc] = self.a.label();
            }
            let mut fused_rest = 0usize;
            // Instructions a threaded `goto` skips in this copy.
            let mut skip_to = 0usize;
            let inc_idx = body.iter().position(|&(pc, _)| pc == lp.inc).unwrap_or(body.len());
            for (i, &(pc, ins)) in body.iter().enumerate() {
                if pc < skip_to {
                    continue;
                }
                self.a.bind(self.labels[pc]);
                if landing[pc] {
                    self.forget();
                }
                self.copy.lag = lp.lazy.then_some(Lag {
                    reg: lp.iv,
                    delta: lp.delta(copy, pc),
                    width: w,
                    head: lp.head,
                    tail: lp.tail,
                    cont: lp.rotated,
                });
                if fused_rest > 0 {
                    fused_rest -= 1;
                } else if let Some(t) = self.skipped_in_copy(body, i, |p| self.a.is_referenced(self.labels[p])) {
                    skip_to = t;
                    continue;
                } else if lp.lazy && pc == lp.inc {
                    // Folded.
                } else if self.copy.hoisted.contains(&pc) {
                    // Decided before the round: never taken.
                } else if let Some((dst, mw)) = index_copy(&ins, lp.iv).filter(|_| lp.lazy) {
                    let delta = lp.delta(copy, pc);
                    if delta == 0 {
                        self.insn(pc, &ins);
                    } else if lp.width == Width::W32 || mw == Width::W32 {
                        self.a.lea32(host(dst), mem(iv, delta));
                    } else {
                        self.a.lea(host(dst), mem(iv, delta));
                    }
                } else {
                    // (Never fused across a folded increment.)
                    let run = if lp.lazy && i < inc_idx {
                        &body[i..inc_idx]
                    } else {
                        &body[i..]
                    };
                    match self.fused(run, landing) {
                        0 => self.insn(pc, &ins),
                        n => fused_rest = n - 1,
                    }
                }
                self.track(&ins);
            }
            self.copy.lag = None;
            // Jumps to the back edge (and a rotated loop's `continue`s) go
            // on with the next copy (or the round's end), through the
            // increment unless it is folded.
            self.a.bind(self.labels[lp.tail]);
            if let Some(test) = lp.rotated {
                self.a.bind(self.labels[test]);
                if !lp.lazy {
                    self.insn(test, &inc);
                    self.track(&inc);
                }
            }
        }
        if lp.lazy {
            self.a.alu_imm(w, Alu::Add, iv, lp.step * lp.factor as i32);
        }
        self.a.alu_imm(w, Alu::Cmp, iv, lp.bound);
        self.a.jcc(if lp.op == JmpOp::Jne { Cc::Ne } else { Cc::B }, round);
        self.a.jmp(self.labels[lp.exit()]);
        for (&pc, &l) in rebound.iter().zip(&saved) {
            self.labels[pc] = l;
        }
        self.copy.copy_body = None;
        self.forget();
        self.copy.round_checked.clear();
        self.copy.range_checked.clear();
        self.copy.hoisted.clear();
    }

    /// The accesses of a copy whose address range the compiler's
    /// bookkeeping bounds, found by walking the body as a copy is
    /// compiled (from nothing known, skipping what it skips) without
    /// emitting: every copy knows at least that much there.
    fn known_addresses(&mut self, body: &[(usize, Instruction)], landing: &[bool]) -> Vec<KnownAddress> {
        let saved = (
            self.line.frame_offset,
            self.line.ranges,
            std::mem::take(&mut self.line.slots),
        );
        self.forget();
        // Where the jumps a copy emits so far land.
        let mut reached: Vec<usize> = Vec::new();
        let mut found = Vec::new();
        let mut skip_to = 0;
        for (i, &(pc, ins)) in body.iter().enumerate() {
            if pc < skip_to {
                continue;
            }
            if landing[pc] {
                self.forget();
            }
            match ins {
                Instruction::Ja { .. } | Instruction::Ja32 { .. } => {
                    if let Some(t) = self.skipped_in_copy(body, i, |p| reached.contains(&p)) {
                        skip_to = t;
                        continue;
                    }
                    let rel = super::branch_rel(&ins).expect("a jump");
                    reached.extend(usize::try_from(target(pc, self.threaded(pc, rel))).ok());
                }
                Instruction::Jcond { off, .. }
                    if self.decided(&ins) != Some(false) && !self.copy.hoisted.contains(&pc) =>
                {
                    reached.extend(usize::try_from(target(pc, off as i64)).ok());
                }
                Instruction::Load {
                    src: base, off, size, ..
                }
                | Instruction::StoreImm {
                    dst: base, off, size, ..
                }
                | Instruction::StoreReg {
                    dst: base, off, size, ..
                } => {
                    let range = if base == 10 {
                        None
                    } else {
                        self.line.ranges[base as usize]
                    };
                    let at = |v: u64| v.checked_add_signed(off as i64);
                    if let Some((Some(first), Some(last))) = range.map(|(lo, hi)| (at(lo), at(hi))) {
                        if last - first <= MAX_KNOWN_SPAN && self.frame_access(base, off as i32, size.bytes()).is_none()
                        {
                            found.push(KnownAddress {
                                pc,
                                first,
                                last,
                                bytes: size.bytes(),
                                write: !matches!(ins, Instruction::Load { .. }),
                            });
                        }
                    }
                }
                _ => {}
            }
            self.track(&ins);
        }
        (self.line.frame_offset, self.line.ranges, self.line.slots) = saved;
        found
    }

    /// In a copy: a `goto` at `body[i]` the ranges thread forward inside
    /// the body, over instructions no jump of this copy has reached
    /// (`reached`; the inlined lookup's miss path once its bound test is
    /// decided). The copy then runs on at the target: returns its pc.
    fn skipped_in_copy(
        &self,
        body: &[(usize, Instruction)],
        i: usize,
        reached: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let (pc, ins) = body[i];
        let rel = ins.goto_rel()?;
        let to = target(pc, self.threaded(pc, rel));
        let end = body.iter().position(|&(p, _)| p as i64 == to).filter(|&e| e > i)?;
        let unreached = body[i + 1..end].iter().all(|&(p, _)| !reached(p));
        unreached.then_some(to as usize)
    }
}

/// Where a jump (or a bpf-to-bpf call) at `pc` goes, if it does.
fn jump_target(pc: usize, ins: &Instruction) -> Option<usize> {
    let t = target(pc, super::branch_rel(ins)?);
    (t >= 0).then_some(t as usize)
}

/// Whether `ins` reads register `r` (for the instructions a body may hold;
/// anything else counts as reading everything).
fn reads(ins: &Instruction, r: u8) -> bool {
    let reg = |o: Operand| o == Operand::Reg(r);
    match *ins {
        Instruction::Alu { op, dst, src, .. } => (op != AluOp::Mov && dst == r) || reg(src),
        Instruction::MovSx { src, .. } => src == r,
        Instruction::Neg { dst, .. } | Instruction::End { dst, .. } => dst == r,
        Instruction::Load { src, .. } => src == r,
        Instruction::StoreImm { dst, .. } => dst == r,
        Instruction::StoreReg { dst, src, .. } => dst == r || src == r,
        Instruction::Jcond { dst, src, .. } => dst == r || reg(src),
        Instruction::Ja { .. } | Instruction::Ja32 { .. } | Instruction::LdImm64 { .. } => false,
        _ => true,
    }
}

/// Whether body instruction `i`'s read of `iv` is part of a pair the
/// compiler fuses into one `lea` ([`fused_lea`]), where it takes a
/// displacement.
fn folds(body: &[(usize, Instruction)], i: usize, iv: u8, landing: &[bool]) -> bool {
    let pair = |i: usize| -> bool {
        match (body.get(i), body.get(i + 1)) {
            (Some(&(_, first)), Some(&(next_pc, second))) => {
                !landing[next_pc] && fused_lea(&first, &second).is_some_and(|f| f.reads_only_in_address(iv))
            }
            _ => false,
        }
    };
    // `i` is the pair's first or second instruction.
    pair(i) || (i > 0 && pair(i - 1))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::isa::{decode, Insn};
    use crate::uapi::helper_ids::func::*;

    fn loops(text: &[Insn]) -> Vec<CountedLoop> {
        let program = decode(text).unwrap();
        let len = text.len();
        let mut landing = vec![false; len + 1];
        for (pc, ins) in &program {
            if let Some(t) = jump_target(*pc, ins) {
                if t <= len {
                    landing[t] = true;
                }
            }
        }
        counted_loops(&program, &landing)
    }

    use crate::isa::opcode::*;
    /// An instruction from its fields (the loop tests here and in
    /// exit_tests.rs).
    pub(crate) const fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(code, dst, src, off, imm)
    }
    pub(crate) const MOV64_X: u8 = BPF_ALU64 | BPF_MOV | BPF_X;
    pub(crate) const ADD64_X: u8 = BPF_ALU64 | BPF_ADD | BPF_X;
    pub(crate) const ADD64_K: u8 = BPF_ALU64 | BPF_ADD | BPF_K;
    const LDXB: u8 = BPF_LDX | BPF_MEM | BPF_B;
    const JNE_K: u8 = BPF_JMP | BPF_JNE | BPF_K;
    pub(crate) const JGT_X: u8 = BPF_JMP | BPF_JGT | BPF_X;

    /// clang's sum of the bytes (benches/programs/bench.h): r2 the index.
    fn sum_bytes() -> Vec<Insn> {
        vec![
            i(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 0, 0),
            i(MOV64_X, 4, 1, 0, 0),                   // 1: r4 = r1
            i(ADD64_X, 4, 2, 0, 0),                   // 2: r4 += r2
            i(MOV64_X, 5, 4, 0, 0),                   // 3: r5 = r4
            i(ADD64_K, 5, 0, 0, 1),                   // 4: r5 += 1
            i(JGT_X, 5, 3, 4, 0),                     // 5: if r5 > r3 goto 10
            i(LDXB, 4, 4, 0, 0),                      // 6: r4 = *(u8 *)(r4 + 0)
            i(BPF_ALU | BPF_ADD | BPF_X, 0, 4, 0, 0), // 7: w0 += w4
            i(ADD64_K, 2, 0, 0, 1),                   // 8: r2 += 1
            i(JNE_K, 2, 0, -9, 1500),                 // 9: if r2 != 1500 goto 1
            i(EXIT, 0, 0, 0, 0),
        ]
    }

    #[test]
    fn finds_the_packet_loop_with_its_increment_folded() {
        let found = loops(&sum_bytes());
        assert_eq!(
            found,
            vec![CountedLoop {
                head: 1,
                tail: 9,
                iv: 2,
                inc: 8,
                step: 1,
                bound: 1500,
                op: JmpOp::Jne,
                factor: 8,
                lazy: true,
                strided: vec![StridedAccess {
                    pc: 6,
                    def: 1,
                    s: 1,
                    disp: 0,
                    bytes: 1,
                    write: false,
                }],
                exit_tests: vec![ExitTest {
                    pc: 5,
                    base: 1,
                    read: 2,
                    k: 1,
                    limit: 3,
                    op: JmpOp::Jgt,
                }],
                width: Width::W64,
                rotated: None,
            }]
        );
        // Copy 2, before and after the increment.
        assert_eq!(found[0].delta(2, 3), 2);
        assert_eq!(found[0].delta(2, 9), 3);
    }

    #[test]
    fn another_read_of_the_index_keeps_the_increments() {
        let mut p = sum_bytes();
        p[7] = i(BPF_ALU | BPF_ADD | BPF_X, 0, 2, 0, 0); // w0 += w2
        assert!(!loops(&p)[0].lazy);
    }

    /// Whether no loop is found once `edits` are made to `program`.
    fn refused(mut program: Vec<Insn>, edits: &[(usize, Insn)]) -> bool {
        for &(at, ins) in edits {
            program[at] = ins;
        }
        loops(&program).is_empty()
    }

    #[test]
    fn refuses_loops_it_cannot_copy() {
        // A second write of the index.
        assert!(refused(sum_bytes(), &[(7, i(ADD64_K, 2, 0, 0, 1))]));
        // A step that is no power of two up to 8.
        assert!(refused(sum_bytes(), &[(8, i(ADD64_K, 2, 0, 0, 3))]));
        // A jump over the increment.
        let mut p = sum_bytes();
        p[5] = i(JGT_X, 5, 3, 2, 0); // to the increment: crosses nothing
        assert_eq!(loops(&p).len(), 1);
        p[5] = i(JGT_X, 5, 3, 3, 0); // to 9, over the increment at 8
        assert!(loops(&p).is_empty());
        // A jump from outside into the body (to 3).
        assert!(refused(sum_bytes(), &[(0, i(BPF_JMP | BPF_JA, 0, 0, 2, 0))]));
        // A call in the body.
        assert!(refused(sum_bytes(), &[(7, i(CALL, 0, 0, 0, BPF_FUNC_GET_PRANDOM_U32))]));
        // A 32-bit back edge over a 64-bit increment.
        let mut p = sum_bytes();
        p[9] = i(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, -9, 1500);
        assert!(loops(&p).is_empty());
        // Both 32-bit: a loop.
        p[8] = i(BPF_ALU | BPF_ADD | BPF_K, 2, 0, 0, 1);
        assert_eq!(loops(&p)[0].width, Width::W32);
    }

    /// clang's 256 inlined array lookups (benches/programs/bench.h, as
    /// the verifier rewrites them): a rotated loop with a 32-bit index
    /// whose miss path `continue`s to the test block.
    fn array_lookups() -> Vec<Insn> {
        const W: u8 = BPF_ALU;
        vec![
            i(W | BPF_MOV | BPF_K, 7, 0, 0, 0),           // 0: w7 = 0
            i(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 0),   // 1: r6 = 0
            i(BPF_JMP | BPF_JA, 0, 0, 4, 0),              // 2: goto 7
            i(W | BPF_ADD | BPF_K, 7, 0, 0, 1),           // 3: w7 += 1
            i(BPF_JMP32 | BPF_JNE | BPF_K, 7, 0, 2, 256), // 4: if w7 != 256 goto 7
            i(W | BPF_MOV | BPF_X, 0, 6, 0, 0),           // 5: w0 = w6
            i(EXIT, 0, 0, 0, 0),                          // 6
            i(W | BPF_MOV | BPF_X, 1, 7, 0, 0),           // 7: w1 = w7
            i(W | BPF_AND | BPF_K, 1, 0, 0, 15),          // 8: w1 &= 15
            i(BPF_STX | BPF_MEM | BPF_W, 10, 1, -4, 0),   // 9
            i(MOV64_X, 2, 10, 0, 0),                      // 10: r2 = r10
            i(ADD64_K, 2, 0, 0, -4),                      // 11: r2 += -4
            i(BPF_LD | BPF_DW | BPF_IMM, 1, 0, 0, 312),   // 12-13: r1 = values
            i(0, 0, 0, 0, 1),
            i(BPF_LDX | BPF_MEM | BPF_W, 0, 2, 0, 0),   // 14: r0 = *(u32 *)r2
            i(BPF_JMP | BPF_JGE | BPF_K, 0, 0, 3, 16),  // 15: if r0 >= 16 goto 19
            i(BPF_ALU64 | BPF_LSH | BPF_K, 0, 0, 0, 3), // 16
            i(ADD64_X, 0, 1, 0, 0),                     // 17: r0 += r1
            i(BPF_JMP | BPF_JA, 0, 0, 1, 0),            // 18: goto 20
            i(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0), // 19: r0 = 0
            i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, -18, 0), // 20: if r0 == 0 goto 3
            i(BPF_LDX | BPF_MEM | BPF_DW, 1, 0, 0, 0),  // 21
            i(ADD64_X, 1, 6, 0, 0),                     // 22: r1 += r6
            i(MOV64_X, 6, 1, 0, 0),                     // 23: r6 = r1
            i(BPF_JMP | BPF_JA, 0, 0, -22, 0),          // 24: goto 3
        ]
    }

    #[test]
    fn finds_a_rotated_loop_with_continues() {
        let found = loops(&array_lookups());
        assert_eq!(found.len(), 1, "{found:?}");
        let lp = &found[0];
        assert_eq!((lp.head, lp.tail, lp.iv, lp.inc, lp.step), (7, 24, 7, 3, 1));
        assert_eq!(
            (lp.bound, lp.op, lp.width, lp.rotated),
            (256, JmpOp::Jne, Width::W32, Some(3))
        );
        assert_eq!(lp.factor, 4);
        assert!(lp.lazy, "the only read of w7 is a copy");
        assert_eq!(lp.exit(), 5);
        // Copy 3 reads w7 + 3 everywhere in its body.
        assert_eq!(lp.delta(3, 7), 3);
        assert_eq!(lp.delta(3, 23), 3);
    }

    #[test]
    fn refuses_rotated_loops_it_cannot_copy() {
        // The body writes the index.
        assert!(refused(array_lookups(), &[(22, i(ADD64_K, 7, 0, 0, 1))]));
        // A `continue` past the increment, to the test itself (to 4).
        assert!(refused(
            array_lookups(),
            &[(20, i(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, -17, 0))]
        ));
        // The test block's increment of another width.
        assert!(refused(array_lookups(), &[(3, i(ADD64_K, 7, 0, 0, 1))]));
        // Another read of the index keeps the increments.
        let mut p = array_lookups();
        p[22] = i(ADD64_X, 1, 7, 0, 0);
        assert!(!loops(&p)[0].lazy);
    }
}
