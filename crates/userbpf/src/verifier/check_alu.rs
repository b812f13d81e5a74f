//! The ALU instructions (check_alu_op): register moves with the linking
//! of copies, scalar arithmetic (see [`super::alu`]), pointer arithmetic
//! (see [`super::ptr_alu`]), sign-extending moves, negation and byte swaps.

use super::alu::scalar_op;
use super::do_check::{Env, Res};
use super::reg::{RegState, RegType};
use super::state::VerifierState;
use super::tnum::Tnum;
use crate::isa::{AluOp, Endian, Operand, Width};
use crate::uapi::Errno;

pub(super) fn alu_str(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div | AluOp::SDiv => "/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod | AluOp::SMod => "%=",
        AluOp::Xor => "^=",
        AluOp::Mov => "=",
        AluOp::Arsh => "s>>=",
    }
}

fn src_reg(src: Operand) -> u8 {
    match src {
        Operand::Reg(r) => r,
        Operand::Imm(_) => 0,
    }
}

impl Env<'_> {
    pub(super) fn check_alu(
        &mut self,
        st: &mut VerifierState,
        width: Width,
        op: AluOp,
        dst: u8,
        src: Operand,
    ) -> Res<()> {
        let s = match src {
            Operand::Reg(r) => self.read_reg(st, r)?,
            Operand::Imm(imm) => {
                if matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod) && imm == 0 {
                    return Err(self.reject(Errno::EINVAL, "div by zero\n".into()));
                }
                let bits = if width == Width::W64 { 64 } else { 32 };
                if matches!(op, AluOp::Lsh | AluOp::Rsh | AluOp::Arsh) && (imm < 0 || imm >= bits) {
                    return Err(self.reject(Errno::EINVAL, format!("invalid shift {imm}\n")));
                }
                let v = if width == Width::W64 {
                    imm as i64 as u64
                } else {
                    imm as u32 as u64
                };
                RegState::known(v)
            }
        };
        if op == AluOp::Mov {
            self.check_write(dst)?;
            let mut s = s;
            if let (Width::W64, Operand::Reg(sr)) = (width, src) {
                // The copy and the original stay linked.
                if self.prog.privileged {
                    super::linked::assign_id_before_mov(&mut s, &mut self.walk.next_id);
                    st.cur_mut().regs[sr as usize] = s;
                }
            }
            let mut r = s;
            if width == Width::W32 {
                if s.ty != RegType::Scalar {
                    if !self.prog.privileged {
                        return Err(self.reject(Errno::EACCES, format!("R{} partial copy of pointer\n", src_reg(src))));
                    }
                    r = RegState::unknown();
                }
                let mut z = r;
                scalar_op(AluOp::Mov, Width::W32, &mut z, &r);
                r = z;
            }
            st.cur_mut().regs[dst as usize] = r;
            return Ok(());
        }
        let d = self.read_reg(st, dst)?;
        self.check_write(dst)?;
        let r = match (d.ty.is_pointer(), s.ty.is_pointer()) {
            (false, false) => {
                let mut r = d;
                scalar_op(op, width, &mut r, &s);
                if self.prog.privileged {
                    super::linked::after_add(&mut r, &d, &s, op, width);
                }
                r
            }
            (true, true) => {
                if op == AluOp::Sub && self.prog.privileged {
                    RegState::unknown()
                } else {
                    return Err(self.reject(
                        Errno::EACCES,
                        format!("R{dst} pointer {} pointer prohibited\n", alu_str(op)),
                    ));
                }
            }
            (true, false) => {
                // The scalar added to a pointer must be precise.
                if let Operand::Reg(r) = src {
                    self.mark_chain_precision(st, r)?;
                }
                self.ptr_arith(width, op, dst, d, s, false)?
            }
            (false, true) => {
                self.mark_chain_precision(st, dst)?;
                self.ptr_arith(width, op, dst, s, d, true)?
            }
        };
        st.cur_mut().regs[dst as usize] = r;
        Ok(())
    }

    /// BPF_MOVSX: a sign-extending move (check_alu_op's BPF_MOV with an
    /// offset): the source's bounds carried through the sign extension
    /// (coerce_reg_to_size_sx / coerce_subreg_to_size_sx), and the two
    /// registers linked when no sign bit can be set.
    pub(super) fn check_movsx(&mut self, st: &mut VerifierState, width: Width, bits: u8, dst: u8, src: u8) -> Res<()> {
        let mut s = self.read_reg(st, src)?;
        self.check_write(dst)?;
        if s.ty != RegType::Scalar {
            return Err(self.reject(Errno::EACCES, format!("R{src} sign-extension part of pointer\n")));
        }
        let no_sext = s.umax < 1u64 << (bits - 1);
        if no_sext && self.prog.privileged {
            super::linked::assign_id_before_mov(&mut s, &mut self.walk.next_id);
            st.cur_mut().regs[src as usize] = s;
        }
        let mut r = s;
        if !no_sext {
            r.id = 0;
            r.off = 0;
        }
        if width == Width::W32 {
            coerce_subreg_to_size_sx(&mut r, bits);
            r.zext_32_to_64();
            r.sync_bounds();
        } else {
            coerce_reg_to_size_sx(&mut r, bits);
        }
        st.cur_mut().regs[dst as usize] = r;
        Ok(())
    }

    /// The operand of NEG or END, `dst` itself: None when it holds a
    /// pointer (the privileged get an unknown scalar in it, see
    /// is_pointer_value(); pointer leaks are allowed to them).
    fn read_unary_operand(&mut self, st: &mut VerifierState, dst: u8) -> Res<Option<RegState>> {
        let d = self.read_reg(st, dst)?;
        self.check_write(dst)?;
        if d.ty != RegType::Scalar {
            if !self.prog.privileged {
                return Err(self.reject(Errno::EACCES, format!("R{dst} pointer arithmetic prohibited\n")));
            }
            st.cur_mut().regs[dst as usize] = RegState::unknown();
            return Ok(None);
        }
        Ok(Some(d))
    }

    /// BPF_NEG.
    pub(super) fn check_neg(&mut self, st: &mut VerifierState, width: Width, dst: u8) -> Res<()> {
        let Some(d) = self.read_unary_operand(st, dst)? else {
            return Ok(());
        };
        let mut r = RegState::known(0);
        scalar_op(AluOp::Sub, width, &mut r, &d);
        st.cur_mut().regs[dst as usize] = r;
        Ok(())
    }

    /// BPF_END: byte swaps and truncations.
    pub(super) fn check_end(&mut self, st: &mut VerifierState, kind: Endian, bits: u8, dst: u8) -> Res<()> {
        let Some(d) = self.read_unary_operand(st, dst)? else {
            return Ok(());
        };
        let r = if d.is_const() {
            let v = d.var_off.value;
            let swap = |v: u64| match bits {
                16 => (v as u16).swap_bytes() as u64,
                32 => (v as u32).swap_bytes() as u64,
                _ => v.swap_bytes(),
            };
            let trunc = |v: u64| match bits {
                16 => v as u16 as u64,
                32 => v as u32 as u64,
                _ => v,
            };
            RegState::known(match kind {
                Endian::ToLe => trunc(v),
                _ => swap(v),
            })
        } else {
            let mut r = RegState::unknown();
            if bits < 64 {
                r.umax = (1u64 << bits) - 1;
                r.sync_bounds();
            }
            r
        };
        st.cur_mut().regs[dst as usize] = r;
        Ok(())
    }
}

/// Sign-extends the low `bits` of `v`.
fn sext(v: u64, bits: u8) -> i64 {
    match bits {
        8 => v as i8 as i64,
        16 => v as i16 as i64,
        _ => v as i32 as i64,
    }
}

/// coerce_reg_to_size_sx(): the 64-bit bounds after sign-extending the
/// low `bits`, exact when the signed range keeps one sign.
fn coerce_reg_to_size_sx(r: &mut RegState, bits: u8) {
    if r.var_off.is_const() {
        let v = sext(r.var_off.value, bits) as u64;
        r.set_known(v);
        return;
    }
    let n = bits as u32;
    let top = |x: i64| ((x as u64) >> n) << n;
    if top(r.smax) == top(r.smin) {
        let (a, b) = (sext(r.smax as u64, bits), sext(r.smin as u64, bits));
        let (lo, hi) = (a.min(b), a.max(b));
        if (hi >= 0) == (lo >= 0) {
            r.smin = lo;
            r.smax = hi;
            r.s32_min = lo as i32;
            r.s32_max = hi as i32;
            r.umin = lo as u64;
            r.umax = hi as u64;
            r.u32_min = lo as u32;
            r.u32_max = hi as u32;
            r.var_off = Tnum::range(lo as u64, hi as u64);
            return;
        }
    }
    // set_sext64_default_val().
    let lim = 1i64 << (bits - 1);
    r.smin = -lim;
    r.smax = lim - 1;
    r.s32_min = -lim as i32;
    r.s32_max = (lim - 1) as i32;
    r.umin = 0;
    r.umax = u64::MAX;
    r.u32_min = 0;
    r.u32_max = u32::MAX;
    r.var_off = Tnum::UNKNOWN;
}

/// coerce_subreg_to_size_sx(): the 32-bit bounds after sign-extending
/// the low `bits` (8 or 16) into the subregister.
fn coerce_subreg_to_size_sx(r: &mut RegState, bits: u8) {
    if r.var_off.is_const() {
        let v = sext(r.var_off.value, bits) as i32;
        r.var_off = Tnum::constant(v as u32 as u64);
        r.s32_min = v;
        r.s32_max = v;
        r.u32_min = v as u32;
        r.u32_max = v as u32;
        return;
    }
    let n = bits as u32;
    let top = |x: i32| ((x as u32) >> n) << n;
    if top(r.s32_max) == top(r.s32_min) {
        let (a, b) = (
            sext(r.s32_max as u32 as u64, bits) as i32,
            sext(r.s32_min as u32 as u64, bits) as i32,
        );
        let (lo, hi) = (a.min(b), a.max(b));
        if (lo >= 0) == (hi >= 0) {
            r.s32_min = lo;
            r.s32_max = hi;
            r.u32_min = lo as u32;
            r.u32_max = hi as u32;
            r.var_off = Tnum::range(lo as i64 as u64, hi as i64 as u64).subreg();
            return;
        }
    }
    // set_sext32_default_val().
    let lim = 1i32 << (bits - 1);
    r.s32_min = -lim;
    r.s32_max = lim - 1;
    r.u32_min = 0;
    r.u32_max = u32::MAX;
    r.var_off = Tnum::UNKNOWN.subreg();
}
