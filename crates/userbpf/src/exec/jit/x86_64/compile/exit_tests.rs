//! A counted loop's own exit tests, decided once per unrolled round.
//!
//! clang's packet loops test `data + i + k > data_end` in every iteration
//! (the verifier requires it). In an unrolled round, copy j's value of
//! `data + i + k` is the first copy's plus `j * step`: one test of the
//! last copy's value before the round (and that the values don't wrap
//! around from the first) decides every copy's. A round whose last copy
//! would leave runs the loop as written, which leaves at the right
//! iteration; the others run no test at all.

use super::unroll::CountedLoop;
use super::{host, writes, Compiler};
use crate::exec::jit::x86_64::emit::{mem_idx, Alu, Cc, Label, W};
use crate::isa::{AluOp, Instruction, JmpOp, Operand, Width};

/// `if base + iv + k > limit goto ...` (or `>=`) in the body, where `iv`
/// is the index as read at pc `read` and neither `base` nor `limit` is
/// written in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitTest {
    pub pc: usize,
    pub base: u8,
    pub read: usize,
    pub k: i64,
    pub limit: u8,
    pub op: JmpOp,
}

/// What the body's straight line knows a register holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// A register the body never writes.
    Fixed(u8),
    /// The index as read at `read`, plus `k`.
    Index { read: usize, k: i64 },
    /// `base` (fixed) plus the index as read at `read`, plus `k`.
    Affine { base: u8, read: usize, k: i64 },
}

/// The exit tests of a 64-bit counted loop's body (`iv` its index) whose
/// value the body computes as `base + iv + k` on the straight line before
/// the test.
pub fn exit_tests(body: &[(usize, Instruction)], iv: u8, width: Width, landing: &[bool]) -> Vec<ExitTest> {
    if width != Width::W64 {
        return Vec::new();
    }
    let written: u16 = body
        .iter()
        .filter_map(|(_, ins)| writes(ins))
        .fold(0, |acc, r| acc | 1 << r);
    let fixed = |r: u8| r != iv && written & (1 << r) == 0;
    let mut forms: [Option<Form>; 11] = [None; 11];
    let mut found = Vec::new();
    for &(pc, ins) in body {
        if landing[pc] {
            forms = [None; 11];
        }
        let form = |forms: &[Option<Form>; 11], r: u8| {
            if fixed(r) {
                Some(Form::Fixed(r))
            } else if r == iv {
                Some(Form::Index { read: pc, k: 0 })
            } else {
                forms[r as usize]
            }
        };
        if let Instruction::Jcond {
            width: Width::W64,
            op: op @ (JmpOp::Jgt | JmpOp::Jge),
            dst,
            src: Operand::Reg(limit),
            ..
        } = ins
        {
            if let (Some(Form::Affine { base, read, k }), true) = (form(&forms, dst), fixed(limit)) {
                found.push(ExitTest {
                    pc,
                    base,
                    read,
                    k,
                    limit,
                    op,
                });
            }
        }
        let Some(d) = writes(&ins) else {
            continue;
        };
        let new = match ins {
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                src: Operand::Reg(s),
                ..
            } => form(&forms, s),
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Add,
                src: Operand::Imm(c),
                ..
            } => match form(&forms, d) {
                Some(Form::Index { read, k }) => Some(Form::Index { read, k: k + c as i64 }),
                Some(Form::Affine { base, read, k }) => Some(Form::Affine {
                    base,
                    read,
                    k: k + c as i64,
                }),
                _ => None,
            },
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Add,
                src: Operand::Reg(s),
                ..
            } => match (form(&forms, d), form(&forms, s)) {
                (Some(Form::Fixed(base)), Some(Form::Index { read, k }))
                | (Some(Form::Index { read, k }), Some(Form::Fixed(base))) => Some(Form::Affine { base, read, k }),
                _ => None,
            },
            _ => None,
        };
        forms[d as usize] = new;
    }
    found
}

impl ExitTest {
    /// The first copy's value less `base + iv` at the round's start, when
    /// 32 bits hold it (a displacement).
    pub fn first(&self, lp: &CountedLoop) -> Option<i32> {
        i32::try_from(self.k + lp.advance(0, self.read) as i64).ok()
    }
}

impl Compiler {
    /// Before a round of `lp`: `t`'s value in the first copy plus the
    /// round's span must not wrap, and in the last copy must not make the
    /// test jump; else `fail`, the loop as written. The copies then run no
    /// test. (Only for tests whose [`ExitTest::first`] fits.)
    pub(super) fn exit_test_check(&mut self, lp: &CountedLoop, t: &ExitTest, fail: Label) {
        let first = t.first(lp).expect("the caller checked");
        let span = lp.advance(lp.factor - 1, t.read) - lp.advance(0, t.read);
        let r = crate::exec::jit::x86_64::emit::R::Rcx;
        let a = &mut self.a;
        a.lea(r, mem_idx(host(t.base), host(lp.iv), first));
        a.alu_imm(W::Q64, Alu::Add, r, span);
        a.jcc(Cc::B, fail);
        a.alu(W::Q64, Alu::Cmp, r, host(t.limit));
        a.jcc(if t.op == JmpOp::Jgt { Cc::A } else { Cc::Ae }, fail);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::opcode::*;
    use crate::isa::{decode, Insn};

    /// A body in the kernel's assembly.
    fn asm(text: &str) -> Vec<Insn> {
        crate::isa::asm::assemble(text, Some(crate::isa::asm::Syntax::Kernel)).unwrap()
    }

    fn tests_of(text: &[Insn], iv: u8) -> Vec<ExitTest> {
        let program = decode(text).unwrap();
        let landing = vec![false; text.len() + 1];
        exit_tests(&program, iv, Width::W64, &landing)
    }

    use super::super::unroll::tests::{i, ADD64_K};

    #[test]
    fn finds_clangs_packet_bound_test() {
        // r4 = r1; r4 += r2; r5 = r4; r5 += 1; if r5 > r3 goto out; ...;
        // r2 += 1 (the index is r2).
        let body = asm("r4 = r1\nr4 += r2\nr5 = r4\nr5 += 1\nif r5 > r3 goto pc+9\nr2 += 1");
        let want = ExitTest {
            pc: 4,
            base: 1,
            read: 1,
            k: 1,
            limit: 3,
            op: JmpOp::Jgt,
        };
        assert_eq!(tests_of(&body, 2), vec![want]);
        // The limit written in the body, the base written, or a value not
        // of the form base + index + k: no test.
        let edited = |at: usize, ins: Insn| {
            let mut b = body.clone();
            b[at] = ins;
            b
        };
        assert!(tests_of(&edited(5, i(ADD64_K, 3, 0, 0, 1)), 2).is_empty());
        assert!(tests_of(&edited(5, i(ADD64_K, 1, 0, 0, 1)), 2).is_empty());
        assert!(tests_of(&edited(3, i(BPF_ALU64 | BPF_MUL | BPF_K, 5, 0, 0, 2)), 2).is_empty());
        // A 32-bit test: no.
        assert!(tests_of(&edited(4, i(BPF_JMP32 | BPF_JGT | BPF_X, 5, 3, 9, 0)), 2).is_empty());
    }

    #[test]
    fn a_landing_forgets_what_the_line_knew() {
        let body = asm("r4 = r1\nr4 += r2\nif r4 > r3 goto pc+9\nr2 += 1");
        let program = decode(&body).unwrap();
        let mut landing = vec![false; 5];
        assert_eq!(exit_tests(&program, 2, Width::W64, &landing).len(), 1);
        landing[2] = true;
        assert!(exit_tests(&program, 2, Width::W64, &landing).is_empty());
    }
}
