//! The control-flow graph of a program: where each instruction goes next,
//! jump and call targets, subprograms, reachability and back-edges.
//!
//! Everything here follows the kernel's rules (check_subprogs(),
//! add_subprog_and_kfunc(), check_cfg()), on raw slots so the verifier can
//! run it before anything decodes, and on typed instructions for the
//! engines:
//! - a jump is any JMP/JMP32 instruction but `call` and `exit`; its offset
//!   is `off`, except `gotol` (JMP32 | JA), whose offset is the 32-bit `imm`;
//! - a bpf-to-bpf call (`call` with src_reg BPF_PSEUDO_CALL) and a function
//!   reference (ld_imm64 with src_reg BPF_PSEUDO_FUNC) name a subprogram
//!   by `imm`;
//! - every relative offset counts from the next slot: the target is
//!   `pc + 1 + offset` ([`target`]);
//! - an ld_imm64 covers two slots, so it falls through to `pc + 2`;
//!   `exit` and the two gotos never fall through; a call does (the callee
//!   returns).
//!
//! Targets are computed unchecked (`i64`): whoever reports a jump out of
//! range decides how; the graph walks here skip such edges.

use super::decode::{CallKind, Instruction};
use super::insn::Insn;
use super::opcode::*;

/// `pc + 1 + rel`: where a jump, call or function reference at slot `pc`
/// with relative offset `rel` leads. May lie outside the program.
#[inline]
pub const fn target(pc: usize, rel: i64) -> i64 {
    pc as i64 + 1 + rel
}

/// The relative offset that takes a jump or call at slot `pc` to slot
/// `to`: the inverse of [`target`].
#[inline]
pub const fn rel(pc: usize, to: i64) -> i64 {
    to - pc as i64 - 1
}

/// [`target`] as a slot index of a program of `len` slots, or the
/// out-of-range target.
#[inline]
pub fn target_in(pc: usize, rel: i64, len: usize) -> Result<usize, i64> {
    let t = target(pc, rel);
    if t >= 0 && t < len as i64 {
        Ok(t as usize)
    } else {
        Err(t)
    }
}

impl Insn {
    /// `exit`.
    pub const fn is_exit(self) -> bool {
        self.code == EXIT
    }

    /// `goto` or `gotol`: a jump that never falls through.
    pub const fn is_goto(self) -> bool {
        self.code == JA || self.code == JA32
    }

    /// A jump slot: class JMP or JMP32, neither a call nor an exit.
    pub const fn is_jump(self) -> bool {
        self.is_jmp() && !matches!(op(self.code), BPF_CALL | BPF_EXIT)
    }

    /// A jump's relative offset: `imm` for `gotol`, else `off`.
    pub const fn jump_rel(self) -> Option<i64> {
        if !self.is_jump() {
            None
        } else if self.code == JA32 {
            Some(self.imm as i64)
        } else {
            Some(self.off as i64)
        }
    }

    /// Where the jump at slot `pc` goes (unchecked).
    pub const fn jump_target(self, pc: usize) -> Option<i64> {
        match self.jump_rel() {
            Some(rel) => Some(target(pc, rel)),
            None => None,
        }
    }

    /// Where the bpf-to-bpf call at slot `pc` goes (unchecked).
    pub const fn callee_target(self, pc: usize) -> Option<i64> {
        if self.code == CALL && self.src == BPF_PSEUDO_CALL {
            Some(target(pc, self.imm as i64))
        } else {
            None
        }
    }

    /// The subprogram slot `pc` names (unchecked): a bpf-to-bpf call's
    /// callee or a function reference's (BPF_PSEUDO_FUNC ld_imm64) target.
    pub const fn subprog_target(self, pc: usize) -> Option<i64> {
        if self.is_ld_imm64() && self.src == BPF_PSEUDO_FUNC {
            Some(target(pc, self.imm as i64))
        } else {
            self.callee_target(pc)
        }
    }

    /// Slots the instruction starting here covers: 2 for ld_imm64.
    pub const fn slots(self) -> usize {
        if self.is_ld_imm64() {
            2
        } else {
            1
        }
    }
}

impl Instruction {
    /// A jump's relative offset (`goto`, `gotol`, conditional, `may_goto`).
    pub const fn jump_rel(&self) -> Option<i64> {
        match *self {
            Instruction::Ja { off } | Instruction::Jcond { off, .. } | Instruction::MayGoto { off } => Some(off as i64),
            Instruction::Ja32 { imm } => Some(imm as i64),
            _ => None,
        }
    }

    /// The relative offset of `goto` or `gotol`, which never fall through.
    pub const fn goto_rel(&self) -> Option<i64> {
        match *self {
            Instruction::Ja { off } => Some(off as i64),
            Instruction::Ja32 { imm } => Some(imm as i64),
            _ => None,
        }
    }

    /// A bpf-to-bpf call's relative offset.
    pub const fn callee_rel(&self) -> Option<i64> {
        match *self {
            Instruction::Call(CallKind::Local(imm)) => Some(imm as i64),
            _ => None,
        }
    }

    /// Whether control may go on with the next instruction.
    pub const fn falls_through(&self) -> bool {
        !matches!(
            self,
            Instruction::Exit | Instruction::Ja { .. } | Instruction::Ja32 { .. }
        )
    }
}

/// Where control may go after slot `pc`, unchecked: the fall-through
/// first, then the jump target. Calls count as falling through.
pub fn successors(insns: &[Insn], pc: usize) -> [Option<i64>; 2] {
    let i = insns[pc];
    let next = Some((pc + i.slots()) as i64);
    if i.is_exit() {
        [None, None]
    } else if i.is_goto() {
        [None, i.jump_target(pc)]
    } else {
        [next, i.jump_target(pc)]
    }
}

/// Why [`subprog_starts`] gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubprogError {
    /// A call or function reference at `pc` names a slot outside the
    /// program.
    InvalidDestination { pc: usize, target: i64 },
    /// More than the allowed number of subprograms.
    TooMany,
}

/// The first slot of every subprogram, sorted: 0 and each bpf-to-bpf call
/// or function reference target; at most `max` of them, main included.
pub fn subprog_starts(insns: &[Insn], max: usize) -> Result<Vec<usize>, SubprogError> {
    let len = insns.len() as i64;
    let mut starts = vec![0usize];
    for (pc, i) in insns.iter().enumerate() {
        if let Some(t) = i.subprog_target(pc) {
            if t < 0 || t >= len {
                return Err(SubprogError::InvalidDestination { pc, target: t });
            }
            if !starts.contains(&(t as usize)) {
                if starts.len() >= max {
                    return Err(SubprogError::TooMany);
                }
                starts.push(t as usize);
            }
        }
    }
    starts.sort_unstable();
    Ok(starts)
}

/// What a depth-first walk from the entries saw.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Walk {
    /// Per slot: some path from an entry reaches it.
    pub reached: Vec<bool>,
    /// Edges `(from, to)` back to a slot on the current path (loops), in
    /// the order the walk found them.
    pub back_edges: Vec<(usize, usize)>,
}

/// Depth-first over the slot graph from each of `entries` in turn (the
/// kernel's check_cfg() order: fall-through before jump). Edges leaving
/// the program are skipped.
pub fn walk(insns: &[Insn], entries: &[usize]) -> Walk {
    let len = insns.len();
    // 0: unseen, 1: on the path, 2: explored.
    let mut state = vec![0u8; len];
    let mut back_edges = Vec::new();
    for &entry in entries {
        if entry >= len || state[entry] != 0 {
            continue;
        }
        let mut stack = vec![(entry, 0usize)];
        state[entry] = 1;
        while let Some((node, k)) = stack.pop() {
            if k < 2 {
                stack.push((node, k + 1));
                let Some(s) = successors(insns, node)[k].filter(|&s| s >= 0 && s < len as i64) else {
                    continue;
                };
                let s = s as usize;
                match state[s] {
                    0 => {
                        state[s] = 1;
                        stack.push((s, 0));
                    }
                    1 => back_edges.push((node, s)),
                    _ => {}
                }
            } else {
                state[node] = 2;
            }
        }
    }
    Walk {
        reached: state.iter().map(|&s| s != 0).collect(),
        back_edges,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::asm::{assemble, Syntax};

    fn program(text: &str) -> Vec<Insn> {
        assemble(text, Some(Syntax::Ubpf)).unwrap()
    }

    #[test]
    fn a_loop_has_one_back_edge() {
        let p = program("mov %r1, 0\n add %r1, 1\n jne %r1, 9, -2\n exit");
        assert_eq!(successors(&p, 0), [Some(1), None]);
        assert_eq!(successors(&p, 2), [Some(3), Some(1)]);
        assert_eq!(successors(&p, 3), [None, None]);
        assert_eq!(p[2].jump_target(2), Some(1));
        assert_eq!(p[1].jump_target(1), None);
        let w = walk(&p, &[0]);
        assert_eq!(w.reached, [true; 4]);
        assert_eq!(w.back_edges, [(2, 1)]);
        assert_eq!(subprog_starts(&p, 256), Ok(vec![0]));
    }

    #[test]
    fn a_call_starts_a_subprogram_and_falls_through() {
        // 0 calls 3; 2 is reached by nothing.
        let p = program("call local sub\n exit\n exit\n sub:\n mov %r0, 1\n exit");
        assert_eq!(p[0].callee_target(0), Some(3));
        assert_eq!(p[0].jump_target(0), None);
        assert_eq!(successors(&p, 0), [Some(1), None]);
        let starts = subprog_starts(&p, 256).unwrap();
        assert_eq!(starts, [0, 3]);
        let w = walk(&p, &starts);
        assert_eq!(w.reached, [true, true, false, true, true]);
        assert!(w.back_edges.is_empty());
        // A helper call names no subprogram.
        assert_eq!(program("call 2")[0].subprog_target(0), None);
        assert_eq!(subprog_starts(&p, 1), Err(SubprogError::TooMany));
    }

    #[test]
    fn gotol_takes_its_offset_from_imm() {
        let mut p = program("ja32 +1\n exit\n mov %r0, 0\n exit");
        // gotol ignores off.
        p[0].off = 7;
        assert_eq!(p[0].jump_target(0), Some(2));
        assert_eq!(successors(&p, 0), [None, Some(2)]);
        assert_eq!(Insn::new(JA, 0, 0, 1, 7).jump_target(0), Some(2));
        assert_eq!(Instruction::Ja32 { imm: 1 }.jump_rel(), Some(1));
        let w = walk(&p, &[0]);
        assert_eq!(w.reached, [true, false, true, true]);
    }

    #[test]
    fn ld_imm64_falls_through_past_its_second_slot() {
        // 0-1: r1 = the function at 4.
        let p = program("lddw %r1, func f\n mov %r0, 0\n exit\n f:\n exit");
        assert_eq!(successors(&p, 0), [Some(2), None]);
        assert_eq!(p[0].subprog_target(0), Some(4));
        assert_eq!(p[0].callee_target(0), None);
        assert_eq!(subprog_starts(&p, 256), Ok(vec![0, 4]));
        let w = walk(&p, &[0]);
        assert_eq!(w.reached, [true, false, true, true, false]);
    }

    #[test]
    fn a_jump_out_of_range_is_reported_not_followed() {
        // 0 jumps to 6 (past the end), 1 to -1.
        let p = program("jne %r1, 0, +5\n ja -3\n exit");
        assert_eq!(successors(&p, 0), [Some(1), Some(6)]);
        assert_eq!(successors(&p, 1), [None, Some(-1)]);
        assert_eq!(target_in(0, 5, p.len()), Err(6));
        assert_eq!(target_in(1, -3, p.len()), Err(-1));
        assert_eq!(target_in(1, 0, p.len()), Ok(2));
        assert_eq!(rel(1, -1), -3);
        let w = walk(&p, &[0]);
        assert_eq!(w.reached, [true, true, false]);
        // A call out of the program is refused by name.
        let call = program("call local -5\n exit");
        assert_eq!(
            subprog_starts(&call, 256),
            Err(SubprogError::InvalidDestination { pc: 0, target: -4 })
        );
    }
}
