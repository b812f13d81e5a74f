//! The ALU instructions (check_alu_op): register moves with the linking
//! of copies, scalar arithmetic (see [`super::alu`]), pointer arithmetic
//! (see [`super::ptr_alu`]), sign-extending moves, negation and byte swaps.

use super::alu::scalar_op;
use super::do_check::{Env, Res};
use super::reg::{RegState, RegType};
use super::state::VerifierState;
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
            r.coerce_subreg_to_size_sx(bits);
            r.zext_32_to_64();
            r.sync_bounds();
        } else {
            r.coerce_reg_to_size_sx(bits);
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
