//! Conditional jumps over scalars (check_cond_jmp_op): the operands,
//! is_branch_taken from the bounds, and otherwise both branches, each
//! refined by what it learns (see [`super::refine`]); pointer operands go
//! to [`super::ptr_cmp`].

use super::do_check::{Env, Next, Res};
use super::refine::refine;
use super::reg::{RegState, RegType};
use super::state::VerifierState;
use crate::isa::{JmpOp, Operand, Width};

/// A conditional jump being checked: `if dst op src goto target` at `pc`,
/// falling through to `next`.
#[derive(Clone, Copy)]
pub(super) struct CondJmp {
    pub(super) pc: usize,
    pub(super) target: usize,
    pub(super) next: usize,
    /// The comparison: width, operator, dst and src.
    pub(super) cmp: (Width, JmpOp, u8, Operand),
}

impl Env<'_> {
    pub(super) fn check_cond_jmp(&mut self, st: &mut VerifierState, j: CondJmp) -> Res<Next> {
        let (pc, target, next) = (j.pc, j.target, j.next);
        let (width, op, dst, src) = j.cmp;
        let d = self.read_reg(st, dst)?;
        let s = match src {
            Operand::Reg(r) => self.read_reg(st, r)?,
            Operand::Imm(imm) => RegState::known(if width == Width::W64 {
                imm as i64 as u64
            } else {
                imm as u32 as u64
            }),
        };
        if d.ty != RegType::Scalar || s.ty != RegType::Scalar {
            return self.ptr_cond_jmp(st, j, d, s);
        }
        let decided = branch_taken(op, width, &d, &s);
        if decided.is_some() {
            // The operands that decided it must keep their values in
            // states pruned against this path.
            self.mark_chain_precision(st, dst)?;
            if let Operand::Reg(r) = src {
                self.mark_chain_precision(st, r)?;
            }
        }
        if decided.is_some() {
            self.print_branch_state(st, pc);
        }
        match decided {
            Some(true) => Ok(Next::Goto(target)),
            Some(false) => Ok(Next::Goto(next)),
            None => {
                // Scalars linked to the operands, in the jump history for
                // backtracking (before the branch, so both paths share it).
                let live = self.frame_live_regs(st, pc);
                self.push_linked_regs(st, &s, &d, &live);
                // Both ways: the taken branch is explored later.
                let mut other = st.clone();
                refine(&mut other, width, op, dst, src, &d, &s, true, &live);
                refine(st, width, op, dst, src, &d, &s, false, &live);
                self.push_branch(other, target, pc);
                Ok(Next::Goto(next))
            }
        }
    }
}

impl Env<'_> {
    /// print_insn_state() of a decided branch, at the jump (the kernel
    /// prints it before following the one way).
    pub(super) fn print_branch_state(&mut self, st: &VerifierState, pc: usize) {
        if self.vlog.log.enabled() {
            let f = st.cur().clone();
            let refs = st.printed_refs();
            self.vlog.print_insn_state(&f, &refs, pc);
        }
    }
}

/// is_branch_taken() for scalars: Some(outcome) when the bounds decide it.
fn branch_taken(op: JmpOp, width: Width, d: &RegState, s: &RegState) -> Option<bool> {
    let (dmin, dmax, smin_s, smax_s, umin_d, umax_d, umin_s, umax_s);
    if width == Width::W32 {
        dmin = d.s32_min as i64;
        dmax = d.s32_max as i64;
        smin_s = s.s32_min as i64;
        smax_s = s.s32_max as i64;
        umin_d = d.u32_min as u64;
        umax_d = d.u32_max as u64;
        umin_s = s.u32_min as u64;
        umax_s = s.u32_max as u64;
    } else {
        dmin = d.smin;
        dmax = d.smax;
        smin_s = s.smin;
        smax_s = s.smax;
        umin_d = d.umin;
        umax_d = d.umax;
        umin_s = s.umin;
        umax_s = s.umax;
    }
    let (dt, st) = if width == Width::W32 {
        (d.var_off.subreg(), s.var_off.subreg())
    } else {
        (d.var_off, s.var_off)
    };
    match op {
        JmpOp::Jeq | JmpOp::Jne => {
            let eq = if dt.is_const() && st.is_const() {
                Some(dt.value == st.value)
            } else if umin_d > umax_s
                || umax_d < umin_s
                || dmin > smax_s
                || dmax < smin_s
                || (dt.value ^ st.value) & !(dt.mask | st.mask) != 0
            {
                // Disjoint ranges, or known bits that differ.
                Some(false)
            } else {
                None
            };
            eq.map(|e| if op == JmpOp::Jeq { e } else { !e })
        }
        JmpOp::Jset => {
            if dt.value & st.value != 0 {
                Some(true)
            } else if (dt.value | dt.mask) & (st.value | st.mask) == 0 {
                Some(false)
            } else {
                None
            }
        }
        JmpOp::Jgt => decide(umin_d > umax_s, umax_d <= umin_s),
        JmpOp::Jge => decide(umin_d >= umax_s, umax_d < umin_s),
        JmpOp::Jlt => decide(umax_d < umin_s, umin_d >= umax_s),
        JmpOp::Jle => decide(umax_d <= umin_s, umin_d > umax_s),
        JmpOp::Jsgt => decide(dmin > smax_s, dmax <= smin_s),
        JmpOp::Jsge => decide(dmin >= smax_s, dmax < smin_s),
        JmpOp::Jslt => decide(dmax < smin_s, dmin >= smax_s),
        JmpOp::Jsle => decide(dmax <= smin_s, dmin > smax_s),
    }
}

fn decide(always: bool, never: bool) -> Option<bool> {
    if always {
        Some(true)
    } else if never {
        Some(false)
    } else {
        None
    }
}
