//! Scalar arithmetic on abstract values (adjust_scalar_min_max_vals): the
//! result's tnum and bounds for each ALU operation. Sound first: where the
//! kernel's range tracking is finer than what is implemented here, the
//! result is wider, never narrower.

use super::reg::RegState;
use super::tnum::Tnum;
use crate::isa::{AluOp, Width};

/// `dst = dst op src` on scalars.
pub fn scalar_op(op: AluOp, width: Width, dst: &mut RegState, src: &RegState) {
    let bits = if width == Width::W64 { 64 } else { 32 };
    // is_safe_to_compute_dst_reg_range(): divisions, and shifts by an
    // unknown or too large amount, give an unknown 64-bit value (not
    // zero-extended, even for 32-bit operations, as 6.18 leaves it).
    let src_const = if width == Width::W64 {
        src.var_off.is_const()
    } else {
        src.var_off.subreg().is_const()
    };
    let unsafe_range = match op {
        AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => true,
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => !(src_const && src.umax < bits as u64),
        _ => false,
    };
    if unsafe_range {
        *dst = RegState::unknown();
        return;
    }
    if width == Width::W32 {
        // Operate on the low halves; the result is zero-extended.
        let mut a = *dst;
        truncate32(&mut a);
        let mut b = *src;
        truncate32(&mut b);
        op64(op, bits, &mut a, &b);
        a.var_off = a.var_off.subreg();
        a.unbound();
        a.umax = u32::MAX as u64;
        a.sync_bounds();
        // Keep the 32-bit view the kernel reports for the sub-register.
        a.zext_32_to_64();
        a.sync_bounds();
        *dst = a;
    } else {
        op64(op, bits, dst, src);
        dst.sync_bounds();
    }
    dst.id = 0;
    dst.off = 0;
}

/// The low 32 bits of a scalar as a 64-bit value in [0, 2^32).
fn truncate32(r: &mut RegState) {
    if r.is_const() {
        r.set_known(r.var_off.value as u32 as u64);
        return;
    }
    let (lo, hi) = (r.u32_min, r.u32_max);
    r.var_off = r.var_off.subreg();
    r.unbound();
    r.umin = lo as u64;
    r.umax = hi as u64;
    r.sync_bounds();
}

fn unknown(dst: &mut RegState) {
    *dst = RegState::unknown();
}

fn op64(op: AluOp, bits: u32, dst: &mut RegState, src: &RegState) {
    match op {
        AluOp::Mov => {
            *dst = *src;
        }
        AluOp::Add => {
            dst.var_off = dst.var_off.add(src.var_off);
            let (smin, o1) = dst.smin.overflowing_add(src.smin);
            let (smax, o2) = dst.smax.overflowing_add(src.smax);
            let (umin, o3) = dst.umin.overflowing_add(src.umin);
            let (umax, o4) = dst.umax.overflowing_add(src.umax);
            set64(
                dst,
                (!(o1 || o2)).then_some((smin, smax)),
                (!(o3 || o4)).then_some((umin, umax)),
            );
        }
        AluOp::Sub => {
            dst.var_off = dst.var_off.sub(src.var_off);
            let (smin, o1) = dst.smin.overflowing_sub(src.smax);
            let (smax, o2) = dst.smax.overflowing_sub(src.smin);
            let u = (dst.umin >= src.umax).then(|| (dst.umin - src.umax, dst.umax - src.umin));
            set64(dst, (!(o1 || o2)).then_some((smin, smax)), u);
        }
        AluOp::Mul => {
            dst.var_off = dst.var_off.mul(src.var_off);
            if dst.smin < 0 || src.smin < 0 || dst.umax > u32::MAX as u64 || src.umax > u32::MAX as u64 {
                set64(dst, None, None);
            } else {
                let (umin, umax) = (dst.umin * src.umin, dst.umax * src.umax);
                let s = (umax <= i64::MAX as u64).then_some((umin as i64, umax as i64));
                set64(dst, s, Some((umin, umax)));
            }
        }
        AluOp::And => {
            dst.var_off = dst.var_off.and(src.var_off);
            let umax = dst.umax.min(src.umax);
            let umin = dst.var_off.value;
            set64_from_unsigned(dst, umin, umax);
        }
        AluOp::Or => {
            dst.var_off = dst.var_off.or(src.var_off);
            let umin = dst.umin.max(src.umin);
            let umax = dst.var_off.value | dst.var_off.mask;
            set64_from_unsigned(dst, umin, umax);
        }
        AluOp::Xor => {
            dst.var_off = dst.var_off.xor(src.var_off);
            let (umin, umax) = (dst.var_off.value, dst.var_off.value | dst.var_off.mask);
            set64_from_unsigned(dst, umin, umax);
        }
        AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => {
            if !src.is_const() || src.var_off.value >= bits as u64 {
                return unknown(dst);
            }
            let s = src.var_off.value as u32;
            match op {
                AluOp::Lsh => {
                    dst.var_off = dst.var_off.lshift(s);
                    let u = (dst.umax <= u64::MAX >> s).then(|| (dst.umin << s, dst.umax << s));
                    set64(dst, None, u);
                }
                AluOp::Rsh => {
                    dst.var_off = dst.var_off.rshift(s);
                    let (umin, umax) = (dst.umin >> s, dst.umax >> s);
                    set64(dst, None, Some((umin, umax)));
                }
                _ => {
                    dst.var_off = dst.var_off.arshift(s, bits);
                    let (smin, smax) = if bits == 64 {
                        (dst.smin >> s, dst.smax >> s)
                    } else {
                        (i64::MIN, i64::MAX)
                    };
                    set64(dst, Some((smin, smax)), None);
                }
            }
        }
        AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => {
            // is_safe_to_compute_dst_reg_range(): 6.18 tracks no range
            // through divisions, not even of constants (its logs show
            // `r0 %= 1000 ; R0=scalar()` with r0 = 1).
            unknown(dst);
        }
    }
}

/// Set 64-bit bounds (None: unbounded) and reset the 32-bit ones, to be
/// re-derived by sync_bounds.
fn set64(dst: &mut RegState, s: Option<(i64, i64)>, u: Option<(u64, u64)>) {
    let var_off: Tnum = dst.var_off;
    dst.unbound();
    if let Some((a, b)) = s {
        dst.smin = a;
        dst.smax = b;
    }
    if let Some((a, b)) = u {
        dst.umin = a;
        dst.umax = b;
    }
    dst.var_off = var_off;
}

/// Bitwise results: signed bounds follow the unsigned ones unless the range
/// crosses the sign boundary.
fn set64_from_unsigned(dst: &mut RegState, umin: u64, umax: u64) {
    let s = ((umin as i64) <= (umax as i64)).then_some((umin as i64, umax as i64));
    set64(dst, s, Some((umin, umax)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn contains(r: &RegState, x: u64) -> bool {
        x & !r.var_off.mask == r.var_off.value
            && r.umin <= x
            && x <= r.umax
            && r.smin <= x as i64
            && x as i64 <= r.smax
            && r.u32_min <= x as u32
            && x as u32 <= r.u32_max
            && r.s32_min <= x as i32
            && x as i32 <= r.s32_max
    }

    /// A scalar known to lie in [lo, hi], and a member.
    fn ranged() -> impl Strategy<Value = (RegState, u64)> {
        (any::<u64>(), 0u64..1000, any::<bool>(), 0u64..1000).prop_map(|(base, span, konst, pick)| {
            let base = if base % 3 == 0 { base % 1000 } else { base };
            let mut r = RegState::unknown();
            if konst {
                r.set_known(base);
                return (r, base);
            }
            let hi = base.saturating_add(span);
            r.umin = base;
            r.umax = hi;
            r.sync_bounds();
            (r, base + pick % (hi - base + 1))
        })
    }

    fn concrete(op: AluOp, w: Width, a: u64, b: u64) -> u64 {
        use crate::exec::Executor as _;
        use crate::isa::Operand;
        use crate::isa::{Insn, Instruction};
        // The interpreter is the reference for concrete semantics.
        let ins = Instruction::Alu {
            width: w,
            op,
            dst: 0,
            src: Operand::Reg(1),
        };
        let mut slots = vec![
            Insn::new(0x18, 0, 0, 0, a as i32),
            Insn::new(0, 0, 0, 0, (a >> 32) as i32),
        ];
        slots.push(Insn::new(0x18, 1, 0, 0, b as i32));
        slots.push(Insn::new(0, 0, 0, 0, (b >> 32) as i32));
        slots.extend(ins.encode());
        slots.push(Insn::new(0x95, 0, 0, 0, 0));
        let prog = crate::exec::Program::new(slots).unwrap();
        let helpers = crate::exec::HelperTable::new();
        crate::exec::Interpreter::new(&prog, &helpers)
            .run(&mut crate::exec::GuestMemory::new(), &[], &Default::default())
            .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn abstract_ops_contain_concrete_results((a, x) in ranged(), (b, y) in ranged(), op_i in 0usize..14, w64 in any::<bool>()) {
            let ops = [AluOp::Add, AluOp::Sub, AluOp::Mul, AluOp::Div, AluOp::SDiv, AluOp::Or, AluOp::And,
                AluOp::Lsh, AluOp::Rsh, AluOp::Mod, AluOp::SMod, AluOp::Xor, AluOp::Mov, AluOp::Arsh];
            let op = ops[op_i];
            let w = if w64 { Width::W64 } else { Width::W32 };
            let mut r = a;
            scalar_op(op, w, &mut r, &b);
            let z = concrete(op, w, x, y);
            prop_assert!(contains(&r, z), "{op:?} {w:?} {x:#x} {y:#x} = {z:#x} not in {r:?}");
        }
    }
}
