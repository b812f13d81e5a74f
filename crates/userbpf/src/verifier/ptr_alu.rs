//! adjust_ptr_min_max_vals(): pointer ± scalar, in the kernel's order and
//! words: 32-bit arithmetic, maybe-null pointers, the pointer types that
//! allow arithmetic, check_reg_sane_offset on the operands, the operator,
//! the new fixed or variable offset, and check_reg_sane_offset on the
//! result.

use super::check_alu::alu_str;
use super::do_check::{Env, Res};
use crate::isa::{AluOp, Width};
use crate::uapi::Errno;
use crate::verifier::reg::{RegState, RegType};

/// BPF_MAX_VAR_OFF.
pub(super) const MAX_VAR_OFF: i64 = 1 << 29;

impl Env<'_> {
    /// check_reg_sane_offset(): None when sane, else the message.
    pub(super) fn reg_sane_offset(reg: &RegState, t: &str) -> Option<String> {
        let known = reg.var_off.is_const();
        let val = reg.var_off.value as i64;
        if known && (val >= MAX_VAR_OFF || val <= -MAX_VAR_OFF) {
            return Some(format!("math between {t} pointer and {val} is not allowed\n"));
        }
        if reg.off as i64 >= MAX_VAR_OFF || reg.off as i64 <= -MAX_VAR_OFF {
            return Some(format!("{t} pointer offset {} is not allowed\n", reg.off));
        }
        if reg.smin == i64::MIN {
            return Some(format!(
                "math between {t} pointer and register with unbounded min value is not allowed\n"
            ));
        }
        if reg.smin >= MAX_VAR_OFF || reg.smin <= -MAX_VAR_OFF {
            return Some(format!("value {} makes {t} pointer be out of bounds\n", reg.smin));
        }
        None
    }

    /// adjust_ptr_min_max_vals(): `ptr op off` (`scalar_is_dst`: the
    /// scalar was the destination, `scalar += pointer`).
    pub(super) fn ptr_arith(
        &mut self,
        width: Width,
        op: AluOp,
        dst: u8,
        ptr: RegState,
        off: RegState,
        scalar_is_dst: bool,
    ) -> Res<RegState> {
        let known = off.is_const();
        let (smin_val, smax_val, umin_val, umax_val) = (off.smin, off.smax, off.umin, off.umax);
        if (known && (smin_val != smax_val || umin_val != umax_val)) || smin_val > smax_val || umin_val > umax_val {
            // Bounds from a dead branch: the result taints to unknown.
            return Ok(RegState::unknown());
        }
        if width == Width::W32 {
            if op == AluOp::Sub && self.prog.privileged {
                return Ok(RegState::unknown());
            }
            return Err(self.reject(Errno::EACCES, format!("R{dst} 32-bit pointer arithmetic prohibited\n")));
        }
        let t = ptr.ty.name();
        if matches!(
            ptr.ty,
            RegType::MapValueOrNull | RegType::RingbufMemOrNull | RegType::MapPtrOrNull
        ) {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{dst} pointer arithmetic on {t} prohibited, null-check it first\n"),
            ));
        }
        let allowed = match ptr.ty {
            RegType::Ctx
            | RegType::MapValue
            | RegType::Stack
            | RegType::Packet
            | RegType::PacketMeta
            | RegType::RingbufMem
            | RegType::MapKey
            | RegType::Func => true,
            RegType::MapPtr => known && smin_val == 0 && op == AluOp::Add,
            _ => false,
        };
        if !allowed {
            return Err(self.reject(Errno::EACCES, format!("R{dst} pointer arithmetic on {t} prohibited\n")));
        }
        let mut r = ptr;
        if let Some(m) = Self::reg_sane_offset(&off, t).or_else(|| Self::reg_sane_offset(&ptr, t)) {
            return Err(self.reject(Errno::EINVAL, m));
        }
        // Pointers carry no 32-bit bounds.
        r.unbound32();
        let (smin_ptr, smax_ptr, umin_ptr, umax_ptr) = (ptr.smin, ptr.smax, ptr.umin, ptr.umax);
        match op {
            AluOp::Add => {
                let new_off = ptr.off as i64 + smin_val;
                if known && new_off == new_off as i32 as i64 {
                    r.off = new_off as i32;
                } else {
                    match (smin_ptr.checked_add(smin_val), smax_ptr.checked_add(smax_val)) {
                        (Some(a), Some(b)) => (r.smin, r.smax) = (a, b),
                        _ => (r.smin, r.smax) = (i64::MIN, i64::MAX),
                    }
                    match (umin_ptr.checked_add(umin_val), umax_ptr.checked_add(umax_val)) {
                        (Some(a), Some(b)) => (r.umin, r.umax) = (a, b),
                        _ => (r.umin, r.umax) = (0, u64::MAX),
                    }
                    r.var_off = ptr.var_off.add(off.var_off);
                    if ptr.ty.is_pkt_pointer() {
                        self.walk.next_id += 1;
                        r.id = self.walk.next_id;
                        r.range = 0;
                    }
                }
            }
            AluOp::Sub if scalar_is_dst => {
                return Err(self.reject(Errno::EACCES, format!("R{dst} tried to subtract pointer from scalar\n")));
            }
            AluOp::Sub if ptr.ty == RegType::Stack => {
                return Err(self.reject(
                    Errno::EACCES,
                    format!("R{dst} subtraction from stack pointer prohibited\n"),
                ));
            }
            AluOp::Sub => {
                let new_off = ptr.off as i64 - smin_val;
                if known && new_off == new_off as i32 as i64 {
                    r.off = new_off as i32;
                } else {
                    match (smin_ptr.checked_sub(smax_val), smax_ptr.checked_sub(smin_val)) {
                        (Some(a), Some(b)) => (r.smin, r.smax) = (a, b),
                        _ => (r.smin, r.smax) = (i64::MIN, i64::MAX),
                    }
                    if umin_ptr < umax_val {
                        (r.umin, r.umax) = (0, u64::MAX);
                    } else {
                        (r.umin, r.umax) = (umin_ptr - umax_val, umax_ptr - umin_val);
                    }
                    r.var_off = ptr.var_off.sub(off.var_off);
                    if ptr.ty.is_pkt_pointer() {
                        self.walk.next_id += 1;
                        r.id = self.walk.next_id;
                        if smin_val < 0 {
                            r.range = 0;
                        }
                    }
                }
            }
            AluOp::And | AluOp::Or | AluOp::Xor => {
                return Err(self.reject(
                    Errno::EACCES,
                    format!("R{dst} bitwise operator {} on pointer prohibited\n", alu_str(op)),
                ));
            }
            _ => {
                return Err(self.reject(
                    Errno::EACCES,
                    format!("R{dst} pointer arithmetic with {} operator prohibited\n", alu_str(op)),
                ));
            }
        }
        if let Some(m) = Self::reg_sane_offset(&r, t) {
            return Err(self.reject(Errno::EINVAL, m));
        }
        r.sync_bounds();
        Ok(r)
    }
}
