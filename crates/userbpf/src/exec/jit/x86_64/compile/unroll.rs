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

use super::fusion::fused_lea;
use super::{host, Compiler, Lag, Width};
use crate::exec::jit::x86_64::emit::{Alu, Cc, Label, R, W};
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
        self.step * copy as i32 + if pc > self.inc { self.step } else { 0 }
    }
}

/// Bodies longer than this (instructions) are not copied; up to 9
/// instructions eight times, up to half of it four times, else twice.
const MAX_BODY: usize = 32;

/// The loops of `program` (pc, instruction, in order) that qualify.
/// `landing[pc]`: something jumps to pc.
pub fn counted_loops(program: &[(usize, Instruction)], landing: &[bool]) -> Vec<CountedLoop> {
    let mut found = Vec::new();
    for (t_idx, &(tail, ins)) in program.iter().enumerate() {
        let Instruction::Jcond {
            width: Width::W64,
            op: op @ (JmpOp::Jne | JmpOp::Jlt),
            dst: iv,
            src: Operand::Imm(bound),
            off,
        } = ins
        else {
            continue;
        };
        let head = tail as i64 + 1 + off as i64;
        if off >= 0 || head < 0 || iv == 10 {
            continue;
        }
        let head = head as usize;
        let Some(h_idx) = program.iter().position(|&(pc, _)| pc == head) else {
            continue;
        };
        let body = &program[h_idx..t_idx];
        if body.len() + 1 > MAX_BODY {
            continue;
        }
        if let Some(lp) = plan(program, landing, body, head, tail, iv, bound, op) {
            found.push(lp);
        }
    }
    found
}

#[allow(clippy::too_many_arguments)]
fn plan(
    program: &[(usize, Instruction)],
    landing: &[bool],
    body: &[(usize, Instruction)],
    head: usize,
    tail: usize,
    iv: u8,
    bound: i32,
    op: JmpOp,
) -> Option<CountedLoop> {
    // The body: simple instructions, forward jumps.
    let mut inc = None;
    for &(pc, ins) in body {
        match ins {
            Instruction::Alu { .. }
            | Instruction::MovSx { .. }
            | Instruction::Neg { .. }
            | Instruction::End { .. }
            | Instruction::Load { .. }
            | Instruction::StoreImm { .. }
            | Instruction::StoreReg { .. } => {}
            Instruction::Ja { off } | Instruction::Jcond { off, .. } if off >= 0 => {}
            _ => return None,
        }
        if super::writes(&ins) == Some(iv) {
            match ins {
                Instruction::Alu {
                    width: Width::W64,
                    op: AluOp::Add,
                    src: Operand::Imm(step @ (1 | 2 | 4 | 8)),
                    ..
                } if inc.is_none() => inc = Some((pc, step)),
                _ => return None,
            }
        }
    }
    let (inc, step) = inc?;
    // Every pass through the body runs the increment: no jump inside the
    // body crosses it.
    for &(pc, ins) in body {
        if let Some(t) = jump_target(pc, &ins) {
            if pc < inc && t > inc && t <= tail {
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
        n if n < MAX_BODY / 2 => 4,
        _ => 2,
    };
    let lazy = body
        .iter()
        .enumerate()
        .all(|(i, &(pc, ins))| pc == inc || !reads(&ins, iv) || folds(body, i, iv, landing));
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
        strided: strided(body, iv, landing),
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
        let a = &mut self.a;
        a.bind(self.labels[lp.head]);
        self.notes.push((
            a.pos() as u32,
            format!(
                "{}-{}: unrolled {}x when ({} - r{}) is a multiple of {}{}",
                lp.head,
                lp.tail,
                lp.factor,
                lp.bound,
                lp.iv,
                lp.factor as i32 * lp.step,
                if lp.lazy { ", increments folded" } else { "" }
            ),
        ));
        // rcx = bound - iv: zero (or, for `<`, a borrow) means the loop
        // doesn't run its trip count from here.
        a.mov_imm64_sext(R::Rcx, lp.bound);
        a.alu(W::Q64, Alu::Sub, R::Rcx, iv);
        a.jcc(if lp.op == JmpOp::Jne { Cc::E } else { Cc::Be }, original);
        a.test_imm(W::D32, R::Rcx, lp.factor as i32 * lp.step - 1);
        a.jcc(Cc::Ne, original);
        let round = a.label();
        a.bind(round);
        if !self.opts.trust_proofs {
            for sa in &lp.strided {
                if self.round_check(lp, sa, original) {
                    self.round_checked.push(sa.pc);
                }
            }
        }
        let saved = self.labels[lp.head..=lp.tail].to_vec();
        self.copying = true;
        self.forget();
        for copy in 0..lp.factor {
            for pc in lp.head..=lp.tail {
                self.labels[pc] = self.a.label();
            }
            let mut fused_rest = 0usize;
            let inc_idx = body.iter().position(|&(pc, _)| pc == lp.inc).unwrap_or(body.len());
            for (i, &(pc, ins)) in body.iter().enumerate() {
                self.a.bind(self.labels[pc]);
                if landing[pc] {
                    self.forget();
                }
                self.lag = lp.lazy.then_some(Lag {
                    reg: lp.iv,
                    delta: lp.delta(copy, pc),
                    head: lp.head,
                    tail: lp.tail,
                });
                if fused_rest > 0 {
                    fused_rest -= 1;
                } else if !(lp.lazy && pc == lp.inc) {
                    // (Never fused across a folded increment.)
                    let run = if lp.lazy && i < inc_idx { &body[i..inc_idx] } else { &body[i..] };
                    match self.fused(run, landing) {
                        0 => self.insn(pc, &ins),
                        n => fused_rest = n - 1,
                    }
                }
                self.track(&ins);
            }
            self.lag = None;
            // Jumps to the back edge go on with the next copy (or the
            // round's end).
            self.a.bind(self.labels[lp.tail]);
        }
        let delta = lp.delta(lp.factor - 1, lp.tail);
        if delta != 0 {
            self.a.alu_imm(W::Q64, Alu::Add, iv, delta);
        }
        self.a.alu_imm(W::Q64, Alu::Cmp, iv, lp.bound);
        self.a.jcc(if lp.op == JmpOp::Jne { Cc::Ne } else { Cc::B }, round);
        self.a.jmp(self.labels[lp.tail + 1]);
        self.labels[lp.head..=lp.tail].copy_from_slice(&saved);
        self.copying = false;
        self.forget();
        self.round_checked.clear();
    }
}

/// Where a jump (or a bpf-to-bpf call) at `pc` goes, if it does.
fn jump_target(pc: usize, ins: &Instruction) -> Option<usize> {
    let t = pc as i64 + 1 + super::branch_rel(ins)?;
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
        Instruction::Ja { .. } => false,
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
mod tests {
    use super::*;
    use crate::isa::{decode, Insn};

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
    const fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(code, dst, src, off, imm)
    }
    const MOV64_X: u8 = BPF_ALU64 | BPF_MOV | BPF_X;
    const ADD64_X: u8 = BPF_ALU64 | BPF_ADD | BPF_X;
    const ADD64_K: u8 = BPF_ALU64 | BPF_ADD | BPF_K;
    const LDXB: u8 = BPF_LDX | BPF_MEM | BPF_B;
    const JNE_K: u8 = BPF_JMP | BPF_JNE | BPF_K;
    const JGT_X: u8 = BPF_JMP | BPF_JGT | BPF_X;

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

    #[test]
    fn refuses_loops_it_cannot_copy() {
        // A second write of the index.
        let mut p = sum_bytes();
        p[7] = i(ADD64_K, 2, 0, 0, 1);
        assert!(loops(&p).is_empty());
        // A step that is no power of two up to 8.
        let mut p = sum_bytes();
        p[8] = i(ADD64_K, 2, 0, 0, 3);
        assert!(loops(&p).is_empty());
        // A jump over the increment.
        let mut p = sum_bytes();
        p[5] = i(JGT_X, 5, 3, 2, 0); // to the increment: crosses nothing
        assert_eq!(loops(&p).len(), 1);
        p[5] = i(JGT_X, 5, 3, 3, 0); // to 9, over the increment at 8
        assert!(loops(&p).is_empty());
        // A jump from outside into the body.
        let mut p = sum_bytes();
        p[0] = i(BPF_JMP | BPF_JA, 0, 0, 2, 0); // to 3
        assert!(loops(&p).is_empty());
        // A call in the body.
        let mut p = sum_bytes();
        p[7] = i(CALL, 0, 0, 0, 7);
        assert!(loops(&p).is_empty());
        // A 32-bit back edge.
        let mut p = sum_bytes();
        p[9] = i(BPF_JMP32 | BPF_JNE | BPF_K, 2, 0, -9, 1500);
        assert!(loops(&p).is_empty());
    }
}
