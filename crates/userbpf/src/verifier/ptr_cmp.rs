//! Conditional jumps with a pointer operand (check_cond_jmp_op's pointer
//! half): is_branch_taken's "a valid pointer is never 0", the null checks
//! of maybe-null pointers (mark_ptr_or_null_regs), packet range learning
//! (try_match_pkt_pointers), and otherwise both ways with no refinement
//! (reg_set_min_max learns nothing from pointers).

use super::check_map::mark_ptr_or_null_regs;
use super::cond_jmp::CondJmp;
use super::do_check::{Env, Next, Res};
use crate::isa::{JmpOp, Operand, Width};
use crate::uapi::Errno;
use crate::verifier::reg::{RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};

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
    pub(super) fn ptr_cond_jmp(&mut self, st: &mut VerifierState, j: CondJmp, d: RegState, s: RegState) -> Res<Next> {
        let (pc, target, next) = (j.pc, j.target, j.next);
        let (width, op, dst, src) = j.cmp;
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
            if let Some(n) = self.pkt_compare(st, j, d, s)? {
                return Ok(n);
            }
        }
        let mut other = st.clone();
        let null_check = width == Width::W64
            && matches!(src, Operand::Imm(0))
            && matches!(op, JmpOp::Jeq | JmpOp::Jne)
            && matches!(
                d.ty,
                RegType::MapValueOrNull | RegType::RingbufMemOrNull | RegType::MapPtrOrNull
            );
        if null_check {
            mark_ptr_or_null_regs(st, &d, op == JmpOp::Jne);
            mark_ptr_or_null_regs(&mut other, &d, op == JmpOp::Jeq);
        } else if d.ty.is_pointer() && !self.prog.privileged {
            return Err(self.reject(Errno::EACCES, format!("R{dst} pointer comparison prohibited\n")));
        }
        self.push_branch(other, target, pc);
        Ok(Next::Goto(next))
    }

    pub(super) fn pkt_compare(
        &mut self,
        st: &mut VerifierState,
        j: CondJmp,
        d: RegState,
        s: RegState,
    ) -> Res<Option<Next>> {
        let (pc, target, next) = (j.pc, j.target, j.next);
        let op = j.cmp.1;
        // `pkt > pkt_end` style checks: on the branch where the access
        // stays inside, every pointer with the same id gets range = off.
        let (pkt, end_on_right) = match (d.ty, s.ty) {
            // pkt' vs pkt_end, and pkt_meta' vs the packet start.
            (RegType::Packet, RegType::PacketEnd) => (d, true),
            (RegType::PacketMeta, RegType::Packet) if init_pkt(&s) => (d, true),
            (RegType::PacketEnd, RegType::Packet) => (s, false),
            (RegType::Packet, RegType::PacketMeta) if init_pkt(&d) => (s, false),
            _ => return Ok(None),
        };
        // Which branch proves pkt + off <= end?
        let safe_on_taken = match (op, end_on_right) {
            (JmpOp::Jgt, true) | (JmpOp::Jge, true) | (JmpOp::Jlt, false) | (JmpOp::Jle, false) => false,
            (JmpOp::Jle, true) | (JmpOp::Jlt, true) | (JmpOp::Jge, false) | (JmpOp::Jgt, false) => true,
            _ => return Ok(None),
        };
        // find_good_pkt_pointers(): `pkt' < end` (from the `>=`/`<` forms)
        // proves one byte more than `pkt' <= end`; a negative offset, or
        // `pkt < end` itself, proves nothing.
        let right_open = matches!(
            (op, end_on_right),
            (JmpOp::Jge, true) | (JmpOp::Jlt, true) | (JmpOp::Jle, false) | (JmpOp::Jgt, false)
        );
        // MAX_PACKET_OFF: a pointer that may have wrapped proves nothing.
        let overflow = pkt.umax > 0xffff || pkt.umax + pkt.off.max(0) as u64 > 0xffff;
        if pkt.off < 0 || (pkt.off == 0 && right_open) || overflow {
            self.push_branch(st.clone(), target, pc);
            return Ok(Some(Next::Goto(next)));
        }
        let range = pkt.off + right_open as i32;
        let mut safe = st.clone();
        if range > 0 {
            // Every copy, in any frame and spilled, shares the range.
            for f in safe.frames.iter_mut() {
                for r in f.regs.iter_mut() {
                    if r.ty == pkt.ty && r.id == pkt.id {
                        r.range = r.range.max(range);
                    }
                }
                for sl in f.stack.iter_mut() {
                    let r = &mut sl.spilled;
                    if sl.types[7] == SlotType::Spill && r.ty == pkt.ty && r.id == pkt.id {
                        r.range = r.range.max(range);
                    }
                }
            }
        }
        let (taken, fall) = if safe_on_taken {
            (safe, st.clone())
        } else {
            (st.clone(), safe)
        };
        *st = fall;
        self.push_branch(taken, target, pc);
        Ok(Some(Next::Goto(next)))
    }
}

/// reg_is_init_pkt_pointer(): the packet start itself.
fn init_pkt(r: &RegState) -> bool {
    r.ty == RegType::Packet && r.off == 0 && r.var_off.is_const() && r.var_off.value == 0
}
