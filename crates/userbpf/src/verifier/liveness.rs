//! Register liveness before each instruction (compute_live_registers, as
//! Linux 6.18 computes it before the walk): a register is live at an
//! instruction when some path from it reads the register before writing
//! it. Explored states forget their dead registers (clean_func_state), so
//! two states differing only in dead registers compare equal.

use crate::helpers::protos::{proto, ArgType};
use crate::isa::opcode::*;
use crate::isa::Insn;

/// R0..R5, clobbered by calls.
const CALLER_SAVED: u16 = 0x3f;

/// (use, def) masks of the instruction at `pc` (compute_insn_live_regs).
fn use_def(insns: &[Insn], pc: usize) -> (u16, u16) {
    let i = insns[pc];
    let dst = 1u16 << (i.dst & 0xf);
    let src = 1u16 << (i.src & 0xf);
    let code = i.code;
    let is_x = source(code) == BPF_X;
    match class(code) {
        BPF_ALU | BPF_ALU64 => match op(code) {
            BPF_END => (dst, dst),
            BPF_MOV => (if is_x { src } else { 0 }, dst),
            _ => (if is_x { dst | src } else { dst }, dst),
        },
        BPF_LD => match mode(code) {
            BPF_IMM => (0, dst),
            BPF_IND => (1 << 6 | src, CALLER_SAVED),
            _ => (1 << 6, CALLER_SAVED),
        },
        BPF_LDX => (src, dst),
        BPF_ST => (dst, 0),
        BPF_STX if mode(code) == BPF_ATOMIC => {
            if i.imm == BPF_CMPXCHG {
                (dst | src | 1, 1)
            } else if i.imm & BPF_FETCH != 0 {
                (dst | src, src)
            } else {
                (dst | src, 0)
            }
        }
        BPF_STX => (dst | src, 0),
        _ => match op(code) {
            BPF_JA => (0, 0),
            BPF_EXIT => (1, 0),
            BPF_CALL => {
                // A helper reads the arguments of its prototype; anything
                // else (subprograms, unmodelled helpers) R1-R5.
                let n = match (i.src, proto(i.imm)) {
                    (0, Some(p)) => p.args.iter().take_while(|a| **a != ArgType::DontCare).count(),
                    _ => 5,
                };
                (((1u16 << (n + 1)) - 1) & !1, CALLER_SAVED)
            }
            _ => (if is_x { dst | src } else { dst }, 0),
        },
    }
}

/// Per instruction slot: the registers live before it (bit i: Ri).
pub(super) fn live_regs_before(insns: &[Insn], decoded_at: &[bool]) -> Vec<u16> {
    let n = insns.len();
    let mut live = vec![0u16; n];
    let ud: Vec<(u16, u16)> = (0..n)
        .map(|pc| if decoded_at[pc] { use_def(insns, pc) } else { (0, 0) })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            if !decoded_at[pc] {
                continue;
            }
            let mut after = 0u16;
            for s in crate::isa::cfg::successors(insns, pc).into_iter().flatten() {
                if let Some(&l) = usize::try_from(s).ok().and_then(|s| live.get(s)) {
                    after |= l;
                }
            }
            let (u, d) = ud[pc];
            let before = u | (after & !d);
            if before != live[pc] {
                live[pc] = before;
                changed = true;
            }
        }
    }
    live
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ins(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(code, dst, src, off, imm)
    }

    /// Derived by hand: `r0 = 1; if r1 == 100 goto +1; r0 = r2; exit`.
    #[test]
    fn live_before_each_insn() {
        let p = [
            ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
            ins(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 100),
            ins(BPF_ALU64 | BPF_MOV | BPF_X, 0, 2, 0, 0),
            ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        ];
        let live = live_regs_before(&p, &[true; 4]);
        assert_eq!(live, vec![0b110, 0b111, 0b100, 0b1]);
    }
}
