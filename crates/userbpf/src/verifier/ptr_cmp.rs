//! Conditional jumps with a pointer operand (check_cond_jmp_op's pointer
//! half): is_branch_taken's "a valid pointer is never 0", the null checks
//! of maybe-null pointers (mark_ptr_or_null_regs), packet range learning
//! (try_match_pkt_pointers), and otherwise both ways with no refinement
//! (reg_set_min_max learns nothing from pointers).
//!
//! Declared inside do_check (it extends `Env`).

use super::check_map::mark_ptr_or_null_regs;
use super::{Env, Next, Res};
use crate::isa::{JmpOp, Operand, Width};
use crate::uapi::Errno;
use crate::verifier::reg::{RegState, RegType};
use crate::verifier::state::VerifierState;

/// reg_not_null() for the pointer types modelled.
fn reg_not_null(r: &RegState) -> bool {
    matches!(r.ty, RegType::MapValue | RegType::MapPtr | RegType::RingbufMem)
}

/// flip_opcode(): the operator with its operands swapped.
pub(super) fn flip(op: JmpOp) -> JmpOp {
    match op {
        JmpOp::Jgt => JmpOp::Jlt,
        JmpOp::Jlt => JmpOp::Jgt,
        JmpOp::Jge => JmpOp::Jle,
        JmpOp::Jle => JmpOp::Jge,
        JmpOp::Jsgt => JmpOp::Jslt,
        JmpOp::Jslt => JmpOp::Jsgt,
        JmpOp::Jsge => JmpOp::Jsle,
        JmpOp::Jsle => JmpOp::Jsge,
        other => other,
    }
}

/// is_reg_const() and its value.
fn const_value(r: &RegState, width: Width) -> Option<u64> {
    if r.ty != RegType::Scalar {
        return None;
    }
    let t = if width == Width::W32 {
        r.var_off.subreg()
    } else {
        r.var_off
    };
    t.is_const().then_some(t.value)
}

impl Env<'_> {
    /// A conditional jump where `d` or `s` is a pointer.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ptr_cond_jmp(
        &mut self,
        st: &mut VerifierState,
        pc: usize,
        width: Width,
        op: JmpOp,
        dst: u8,
        src: Operand,
        d: RegState,
        s: RegState,
        target: usize,
        next: usize,
    ) -> Res<Next> {
        // is_branch_taken(): pointer against a constant.
        let (p, c, pop) = if const_value(&s, width).is_some() {
            (d, s, op)
        } else {
            (s, d, flip(op))
        };
        if let Some(v) = const_value(&c, width) {
            if reg_not_null(&p) && v == 0 {
                match pop {
                    JmpOp::Jeq => return Ok(Next::Goto(next)),
                    JmpOp::Jne => return Ok(Next::Goto(target)),
                    _ => {}
                }
            }
        }
        if width == Width::W64 && (d.ty.is_pkt_pointer() || s.ty.is_pkt_pointer()) {
            if let Some(n) = self.pkt_compare(st, pc, op, dst, d, s, target, next)? {
                return Ok(n);
            }
        }
        let mut other = st.clone();
        let null_check = width == Width::W64
            && matches!(src, Operand::Imm(0))
            && matches!(op, JmpOp::Jeq | JmpOp::Jne)
            && matches!(d.ty, RegType::MapValueOrNull | RegType::RingbufMemOrNull);
        if null_check {
            mark_ptr_or_null_regs(st, &d, op == JmpOp::Jne);
            mark_ptr_or_null_regs(&mut other, &d, op == JmpOp::Jeq);
        } else if d.ty.is_pointer() && !self.privileged {
            return Err(self.reject(Errno::EACCES, format!("R{dst} pointer comparison prohibited\n")));
        }
        self.push_branch(other, target, pc);
        Ok(Next::Goto(next))
    }
}
