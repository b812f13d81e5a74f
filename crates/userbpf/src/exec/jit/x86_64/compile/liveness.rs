//! Which registers a later instruction may still read: backward dataflow
//! over the BPF program, as the compiler sees it (not the verifier's
//! liveness, which trusts the program). A value no path reads needs no
//! host instruction: the copy in clang's `r1 = *p; r1 += r6; r6 = r1`, or
//! a frame pointer every use of which the compiler resolves to r10 + k.
//!
//! Conservative where the program leaves its own code: calls (helpers,
//! subprograms, tail calls) and LD_ABS/LD_IND read every register, and
//! `exit` reads every register when the program has subprograms (their
//! exits return r0-r5 to the caller). Faults read none: a run that stops
//! reports only its error.

use super::{target, writes};
use crate::isa::{CallKind, Instruction, Operand};

/// A set of BPF registers, bit r for register r.
pub type Regs = u16;

/// r0..r10.
const ALL: Regs = (1 << 11) - 1;

fn bit(r: u8) -> Regs {
    1 << r
}

fn reg(o: Operand) -> Regs {
    match o {
        Operand::Reg(r) => bit(r),
        Operand::Imm(_) => 0,
    }
}

/// The registers `ins` reads, and the ones it writes whatever it read.
fn uses_defs(ins: &Instruction, subprograms: bool) -> (Regs, Regs) {
    let defs = writes(ins).map_or(0, bit);
    let uses = match *ins {
        Instruction::Alu { op, dst, src, .. } => reg(src) | if op == crate::isa::AluOp::Mov { 0 } else { bit(dst) },
        Instruction::MovSx { src, .. } => bit(src),
        Instruction::Neg { dst, .. } | Instruction::End { dst, .. } => bit(dst),
        Instruction::LdImm64 { .. } => 0,
        Instruction::Load { src, .. } => bit(src),
        Instruction::StoreImm { dst, .. } => bit(dst),
        Instruction::StoreReg { dst, src, .. } => bit(dst) | bit(src),
        Instruction::Atomic { dst, src, .. } => bit(dst) | bit(src) | bit(0),
        Instruction::Ja { .. } | Instruction::Ja32 { .. } | Instruction::MayGoto { .. } => 0,
        Instruction::Jcond { dst, src, .. } => bit(dst) | reg(src),
        Instruction::Exit if !subprograms => bit(0),
        _ => ALL,
    };
    // What reads everything kills nothing worth knowing.
    (uses, if uses == ALL { 0 } else { defs })
}

/// Whether `ins` may read register `r` (subprograms assumed).
pub fn reads(ins: &Instruction, r: u8) -> bool {
    uses_defs(ins, true).0 & bit(r) != 0
}

/// Registers live before and after each instruction, by pc (second
/// slots of ld_imm64 and pcs past the end: none).
pub struct Liveness {
    pub before: Vec<Regs>,
    pub after: Vec<Regs>,
}

/// Whether any instruction may read every register (a call, LD_ABS):
/// then no register is the compiler's to use.
pub fn touches_all(program: &[(usize, Instruction)]) -> bool {
    program.iter().any(|(_, ins)| uses_defs(ins, false).0 == ALL)
}

/// The registers the instructions of a program that [`touches_all`]
/// doesn't hold name.
pub fn named(program: &[(usize, Instruction)]) -> Regs {
    program.iter().fold(0, |acc, (_, ins)| {
        let (u, d) = uses_defs(ins, false);
        acc | u | d | writes(ins).map_or(0, bit)
    })
}

/// Registers live before and after each instruction.
pub fn liveness(program: &[(usize, Instruction)], len: usize) -> Liveness {
    let subprograms = program
        .iter()
        .any(|(_, ins)| matches!(ins, Instruction::Call(CallKind::Local(_)) | Instruction::CallX { .. }));
    let succs: Vec<(usize, Option<usize>, Option<usize>)> = program
        .iter()
        .map(|&(pc, ins)| {
            let fall = Some(pc + ins.slots()).filter(|&n| ins.falls_through() && n < len);
            let jump = ins.jump_rel().and_then(|rel| target(pc, rel, len).ok());
            (pc, fall, jump)
        })
        .collect();
    let ud: Vec<(Regs, Regs)> = program.iter().map(|(_, ins)| uses_defs(ins, subprograms)).collect();
    let mut live_in = vec![0 as Regs; len + 1];
    let mut live_out = vec![0 as Regs; len + 1];
    loop {
        let mut changed = false;
        for (k, &(pc, fall, jump)) in succs.iter().enumerate().rev() {
            let out = fall.map_or(0, |n| live_in[n]) | jump.map_or(0, |t| live_in[t]);
            let (uses, defs) = ud[k];
            let inn = uses | (out & !defs);
            if out != live_out[pc] || inn != live_in[pc] {
                live_out[pc] = out;
                live_in[pc] = inn;
                changed = true;
            }
        }
        if !changed {
            return Liveness {
                before: live_in,
                after: live_out,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::opcode::*;
    use crate::isa::{decode, Insn};
    use crate::uapi::helper_ids::func::*;

    fn live(text: &[Insn]) -> Vec<Regs> {
        liveness(&decode(text).unwrap(), text.len()).after
    }

    const fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(code, dst, src, off, imm)
    }

    #[test]
    fn an_accumulators_copy_source_dies_at_the_copy() {
        // 0: r6 = 0; 1: r1 = *(u64 *)(r10 - 8); 2: r1 += r6; 3: r6 = r1;
        // 4: r2 += 1; 5: if r2 != 9 goto 1; 6: r0 = r6; 7: exit.
        let p = [
            i(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 0),
            i(BPF_LDX | BPF_MEM | BPF_DW, 1, 10, -8, 0),
            i(BPF_ALU64 | BPF_ADD | BPF_X, 1, 6, 0, 0),
            i(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
            i(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, 1),
            i(BPF_JMP | BPF_JNE | BPF_K, 2, 0, -5, 9),
            i(BPF_ALU64 | BPF_MOV | BPF_X, 0, 6, 0, 0),
            i(EXIT, 0, 0, 0, 0),
        ];
        let l = live(&p);
        // After 3, r1 is rewritten (1) before any read: dead; r6, r2 and
        // r10 are read again.
        assert_eq!(l[3], bit(2) | bit(6) | bit(10));
        // After 2 r1 is read by the copy.
        assert_eq!(l[2] & bit(1), bit(1));
        // At the exit only r0.
        assert_eq!(l[6], bit(0));
        assert_eq!(l[7], 0);
    }

    #[test]
    fn calls_and_subprogram_exits_keep_everything() {
        // 0: r1 = 1; 1: call 7; 2: r1 = 2; 3: exit.
        let p = [
            i(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1),
            i(CALL, 0, 0, 0, BPF_FUNC_GET_PRANDOM_U32),
            i(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 2),
            i(EXIT, 0, 0, 0, 0),
        ];
        let l = live(&p);
        assert_eq!(l[0], ALL, "a helper may read any register");
        assert_eq!(l[2], bit(0), "a lone program's exit reads r0");
        // With a subprogram, every exit may return r1-r5 to a caller.
        let p = [
            i(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 2),
            i(EXIT, 0, 0, 0, 0),
            i(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 2),
            i(EXIT, 0, 0, 0, 0),
        ];
        assert_eq!(live(&p)[2], ALL);
    }

    #[test]
    fn jumps_out_of_the_program_and_into_ld_imm64_read_nothing() {
        // 0: r1 = 1; 1: if r2 == 0 goto 99 (out of range); 2: goto 4 (the
        // second slot of the ld_imm64 at 3); 3-4: r1 = imm64; 5: exit.
        let p = [
            i(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1),
            i(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 97, 0),
            i(BPF_JMP | BPF_JA, 0, 0, 1, 0),
            i(BPF_LD | BPF_DW | BPF_IMM, 1, 0, 0, 5),
            i(0, 0, 0, 0, 0),
            i(EXIT, 0, 0, 0, 0),
        ];
        let l = live(&p);
        assert_eq!(l[0], bit(2), "r1 dies: every path faults or rewrites it");
        assert_eq!(l[2], 0);
    }
}
