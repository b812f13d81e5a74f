//! Fewer jumps taken: a backward `goto` to a short block that ends in a
//! conditional jump (a rotated loop's header, as clang emits `for` loops
//! whose test comes first: `i += 1; if i != n goto body`) runs a copy of
//! that block in place. Each iteration then takes one jump (the copy's
//! conditional one, back into the body) instead of the `goto` and the
//! header's.

use std::ops::Range;

use super::{Compiler, Instruction};

/// Register instructions a copied block may hold before its jump.
const MAX_COPIED: usize = 3;

/// The block (indices into `program`) the backward `goto` at index `i`
/// reaches, when it is worth copying: up to [`MAX_COPIED`] register
/// instructions, then a conditional jump. Never a block starting at one of
/// `keep` (unrolled loops' heads, whose guard the `goto` must pass).
pub(super) fn copied_block(program: &[(usize, Instruction)], i: usize, keep: &[usize]) -> Option<Range<usize>> {
    let (pc, ins) = program[i];
    let rel = match ins {
        Instruction::Ja { off } => off as i64,
        Instruction::Ja32 { imm } => imm as i64,
        _ => return None,
    };
    let t = pc as i64 + 1 + rel;
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

impl Compiler {
    /// The copy of `block` (a [`copied_block`]) where the `goto` was: its
    /// instructions, its conditional jump to the same target, then a jump
    /// to where its fall-through goes.
    pub(super) fn copy_block(&mut self, block: &[(usize, Instruction)]) {
        self.frame_offset = [None; 11];
        for (pc, ins) in block {
            self.insn(*pc, ins);
            self.track_frame_offset(ins);
        }
        let &(last, _) = block.last().expect("a block ends in its jump");
        self.a.jmp(self.labels[last + 1]);
        self.frame_offset = [None; 11];
    }
}
