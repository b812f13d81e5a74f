//! Constants in registers the program leaves free.
//!
//! A program without calls that never names some of r1-r9 leaves their
//! host registers to the compiler. The 64-bit constants it materialises
//! most (loop-weighted: the inlined array lookup's map value address,
//! `r1 = map; r1 += off`, in every iteration) are loaded into them once,
//! in the prologue. A definition of such a constant then costs a register
//! copy instead of a 10-byte `mov`, or nothing at all when the value's
//! only reads are the address terms of scaled `lea`s (`r0 <<= 3; r0 +=
//! r1`), which read the constant's register directly.

use super::liveness::{named, touches_all};
use super::{host, loop_weights, Compiler};
use crate::exec::jit::x86_64::emit::R;
use crate::isa::{AluOp, Instruction, Operand, Width};

/// The constant `run` starts by defining, if it does: `d = imm64` and a
/// following `d += k` (nothing landing on it): (register, value, how many
/// instructions).
pub(super) fn constant_def(run: &[(usize, Instruction)], landing: &[bool]) -> Option<(u8, u64, usize)> {
    let &(
        _,
        Instruction::LdImm64 {
            dst,
            src: 0,
            imm,
            next_imm,
        },
    ) = run.first()?
    else {
        return None;
    };
    let v = imm as u32 as u64 | (next_imm as u32 as u64) << 32;
    match run.get(1) {
        Some(&(
            pc,
            Instruction::Alu {
                width,
                op: AluOp::Add,
                dst: d2,
                src: Operand::Imm(k),
            },
        )) if d2 == dst && !landing[pc] => {
            let sum = match width {
                Width::W64 => v.wrapping_add(k as i64 as u64),
                Width::W32 => (v as u32).wrapping_add(k as u32) as u64,
            };
            Some((dst, sum, 2))
        }
        _ => Some((dst, v, 1)),
    }
}

/// The constants to keep in registers, with their registers: the most
/// used (a definition inside a loop counts a hundred) of those a `mov`
/// can't encode in 32 bits, one per BPF register (r1-r9) the program
/// never names, when it makes no calls.
pub(super) fn cached_constants(program: &[(usize, Instruction)], landing: &[bool]) -> Vec<(u64, R)> {
    if touches_all(program) {
        return Vec::new();
    }
    let names = named(program);
    let spare: Vec<R> = (1..=9u8).filter(|r| names & (1 << r) == 0).map(host).collect();
    if spare.is_empty() {
        return Vec::new();
    }
    let weights = loop_weights(program, program.last().map_or(0, |&(pc, ins)| pc + ins.slots()));
    let mut counts: Vec<(u64, usize)> = Vec::new();
    for (i, &(pc, _)) in program.iter().enumerate() {
        let Some((_, v, _)) = constant_def(&program[i..], landing) else {
            continue;
        };
        if v as i64 == v as i32 as i64 || v == v as u32 as u64 {
            continue;
        }
        let weight = weights[pc];
        match counts.iter_mut().find(|(c, _)| *c == v) {
            Some((_, n)) => *n += weight,
            None => counts.push((v, weight)),
        }
    }
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    counts.into_iter().zip(spare).map(|((v, _), r)| (v, r)).collect()
}

impl Compiler {
    /// The register holding constant `v` for the whole run, if one does.
    pub(super) fn constant_reg(&self, v: u64) -> Option<R> {
        if self.opts.blind.is_some() {
            return None;
        }
        self.facts.constants.iter().find(|(c, _)| *c == v).map(|&(_, r)| r)
    }

    /// The host register holding BPF register `r`'s value here: its own,
    /// or a constant's (`alias`).
    pub(super) fn reg_of(&self, r: u8) -> R {
        self.line.alias[r as usize].unwrap_or(host(r))
    }

    /// A constant definition at the start of `run` (whose value a register
    /// holds): nothing when every read of it before it dies is the address
    /// term of a scaled `lea` (`x <<= k; x += d`) on this straight line,
    /// which then reads the constant's register; else a register copy.
    /// Returns how many instructions it took (0: none).
    pub(super) fn cached_constant(&mut self, run: &[(usize, Instruction)], landing: &[bool]) -> usize {
        let Some((d, v, n)) = constant_def(run, landing).filter(|&(d, _, _)| d != 10) else {
            return 0;
        };
        let Some(c) = self.constant_reg(v) else {
            return 0;
        };
        if self.scaled_reads_only(run, n, d, landing) {
            self.line.alias_pending = Some((d, c, n));
        } else {
            self.a.mov(crate::exec::jit::x86_64::emit::W::Q64, host(d), c);
        }
        n
    }

    /// Whether `d` (defined by `run[..from]`) is read only as the added
    /// register of `x <<= k; x += d` pairs (k 1..=3, 64-bit, x not d)
    /// until it dies or is written, on this straight line.
    fn scaled_reads_only(&self, run: &[(usize, Instruction)], from: usize, d: u8, landing: &[bool]) -> bool {
        let scaled_pair = |at: &[(usize, Instruction)]| match at {
            [(
                _,
                Instruction::Alu {
                    width: Width::W64,
                    op: AluOp::Lsh,
                    dst: x,
                    src: Operand::Imm(1..=3),
                },
            ), (
                _,
                Instruction::Alu {
                    width: Width::W64,
                    op: AluOp::Add,
                    dst: x2,
                    src: Operand::Reg(s),
                },
            ), ..]
                if x == x2 && *s == d && *x != d && *x != 10 =>
            {
                Some(2)
            }
            _ => None,
        };
        self.reads_only(run, from, d, landing, scaled_pair)
    }
}
