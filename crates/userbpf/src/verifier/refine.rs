//! reg_set_min_max() for a scalar compared with a constant (either
//! operand): what each branch learns (regs_refine_cond_op), 64- and
//! 32-bit, then reg_bounds_sync. Comparisons of two non-constant
//! registers keep their (sound, wider) bounds.

use super::ptr_cmp::flip;
use crate::isa::{JmpOp, Operand, Width};
use crate::verifier::reg::RegState;
use crate::verifier::state::VerifierState;
use crate::verifier::tnum::Tnum;

/// The operator that holds on the other branch (`None`: JSET's false
/// branch, "no bit of the constant is set").
fn negate(op: JmpOp) -> Option<JmpOp> {
    Some(match op {
        JmpOp::Jeq => JmpOp::Jne,
        JmpOp::Jne => JmpOp::Jeq,
        JmpOp::Jgt => JmpOp::Jle,
        JmpOp::Jle => JmpOp::Jgt,
        JmpOp::Jge => JmpOp::Jlt,
        JmpOp::Jlt => JmpOp::Jge,
        JmpOp::Jsgt => JmpOp::Jsle,
        JmpOp::Jsle => JmpOp::Jsgt,
        JmpOp::Jsge => JmpOp::Jslt,
        JmpOp::Jslt => JmpOp::Jsge,
        JmpOp::Jset => return None,
    })
}

/// Narrow `r` knowing `r op c` holds (`op` None: `r & c == 0`).
fn refine_const(r: &mut RegState, op: Option<JmpOp>, c: u64, w32: bool) {
    let Some(op) = op else {
        // JSET's false branch: the constant's bits are clear.
        r.unbound();
        if w32 {
            let t = r.var_off.subreg().and(Tnum::constant(!c & 0xffff_ffff));
            r.var_off = r.var_off.with_subreg(t);
        } else {
            r.var_off = r.var_off.and(Tnum::constant(!c));
        }
        return;
    };
    if w32 {
        let c32 = c as u32;
        let (lo, hi) = (&mut r.u32_min, &mut r.u32_max);
        match op {
            JmpOp::Jeq => {
                *lo = c32;
                *hi = c32;
                r.s32_min = c32 as i32;
                r.s32_max = c32 as i32;
                r.var_off = r.var_off.const_subreg(c32);
            }
            JmpOp::Jne => {
                if r.u32_min == c32 {
                    r.u32_min = r.u32_min.wrapping_add(1);
                }
                if r.u32_max == c32 {
                    r.u32_max = r.u32_max.wrapping_sub(1);
                }
                if r.s32_min == c32 as i32 {
                    r.s32_min = r.s32_min.wrapping_add(1);
                }
                if r.s32_max == c32 as i32 {
                    r.s32_max = r.s32_max.wrapping_sub(1);
                }
            }
            JmpOp::Jgt => *lo = (*lo).max(c32.saturating_add(1)),
            JmpOp::Jge => *lo = (*lo).max(c32),
            JmpOp::Jlt => *hi = (*hi).min(c32.saturating_sub(1)),
            JmpOp::Jle => *hi = (*hi).min(c32),
            JmpOp::Jsgt => r.s32_min = r.s32_min.max((c32 as i32).saturating_add(1)),
            JmpOp::Jsge => r.s32_min = r.s32_min.max(c32 as i32),
            JmpOp::Jslt => r.s32_max = r.s32_max.min((c32 as i32).saturating_sub(1)),
            JmpOp::Jsle => r.s32_max = r.s32_max.min(c32 as i32),
            JmpOp::Jset => {
                if c32.is_power_of_two() {
                    let t = r.var_off.subreg().or(Tnum::constant(c32 as u64));
                    r.var_off = r.var_off.with_subreg(t);
                }
            }
        }
        return;
    }
    match op {
        JmpOp::Jeq => r.set_known(c),
        JmpOp::Jne => {
            if r.umin == c {
                r.umin = r.umin.wrapping_add(1);
            }
            if r.umax == c {
                r.umax = r.umax.wrapping_sub(1);
            }
            if r.smin == c as i64 {
                r.smin = r.smin.wrapping_add(1);
            }
            if r.smax == c as i64 {
                r.smax = r.smax.wrapping_sub(1);
            }
        }
        JmpOp::Jgt => r.umin = r.umin.max(c.saturating_add(1)),
        JmpOp::Jge => r.umin = r.umin.max(c),
        JmpOp::Jlt => r.umax = r.umax.min(c.saturating_sub(1)),
        JmpOp::Jle => r.umax = r.umax.min(c),
        JmpOp::Jsgt => r.smin = r.smin.max((c as i64).saturating_add(1)),
        JmpOp::Jsge => r.smin = r.smin.max(c as i64),
        JmpOp::Jslt => r.smax = r.smax.min((c as i64).saturating_sub(1)),
        JmpOp::Jsle => r.smax = r.smax.min(c as i64),
        JmpOp::Jset => {
            if c.is_power_of_two() {
                r.var_off = r.var_off.or(Tnum::constant(c));
            }
        }
    }
}

fn consistent(r: &RegState) -> bool {
    r.umin <= r.umax && r.smin <= r.smax && r.u32_min <= r.u32_max && r.s32_min <= r.s32_max
}

/// reg_set_min_max() on the branch where the jump is `taken` or not: the
/// scalar compared with a constant learns the condition (and so do the
/// live registers linked to it: `live`, per frame).
#[allow(clippy::too_many_arguments)]
pub(super) fn refine(
    st: &mut VerifierState,
    width: Width,
    op: JmpOp,
    dst: u8,
    src: Operand,
    d: &RegState,
    s: &RegState,
    taken: bool,
    live: &[u16],
) {
    let w32 = width == Width::W32;
    let is_const = |r: &RegState| {
        if w32 {
            r.var_off.subreg().is_const()
        } else {
            r.var_off.is_const()
        }
    };
    let (regno, reg, c, op) = if is_const(s) && !is_const(d) {
        (dst, *d, s.var_off.value, op)
    } else if is_const(d) && !is_const(s) {
        match src {
            Operand::Reg(r) => (r, *s, d.var_off.value, flip(op)),
            Operand::Imm(_) => return,
        }
    } else {
        return;
    };
    let holds = if taken { Some(op) } else { negate(op) };
    let mut r = reg;
    refine_const(&mut r, holds, c, w32);
    if !consistent(&r) {
        return;
    }
    r.sync_bounds();
    if !consistent(&r) {
        return;
    }
    st.cur_mut().regs[regno as usize] = r;
    let frame = st.frames.len() - 1;
    super::linked::sync_linked_regs(st, &r, (frame, regno), live);
}
