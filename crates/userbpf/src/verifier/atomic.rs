//! BPF_ATOMIC: read-modify-write operations (check_atomic_rmw), and
//! load-acquire / store-release (check_atomic_load / check_atomic_store),
//! in the kernel's order, on any memory the verifier models except the
//! context and packets (atomic_ptr_type_ok).

use super::check_mem::coerce_to_size;
use super::do_check::{Env, Res, Stop};
use crate::isa::{AtomicOp, Instruction, MemFields, Size};
use crate::uapi::Errno;
use crate::verifier::ctx::Access;
use crate::verifier::reg::{RegState, RegType};
use crate::verifier::state::VerifierState;

impl Env<'_> {
    /// atomic_ptr_type_ok(): None when fine, else the refusal.
    pub(super) fn atomic_ptr_type_ok(&mut self, st: &VerifierState, regno: u8, what: &str) -> Res<()> {
        let t = st.cur().regs[regno as usize].ty;
        if matches!(
            t,
            RegType::Ctx | RegType::Packet | RegType::PacketMeta | RegType::PacketEnd
        ) {
            return Err(self.reject(
                Errno::EACCES,
                format!("BPF_ATOMIC {what} R{regno} {} is not allowed\n", t.name()),
            ));
        }
        Ok(())
    }

    pub(super) fn check_atomic(&mut self, st: &mut VerifierState, ins: Instruction) -> Res<()> {
        let (Instruction::Atomic { op, .. }, Some(MemFields { size, dst, src, off })) = (ins, ins.mem_fields()) else {
            unreachable!("not an atomic: {ins:?}")
        };
        match op {
            AtomicOp::LoadAcquire => {
                // check_load_mem(): `dst = *(src + off)`.
                let base = self.read_reg(st, src)?;
                self.check_write(dst)?;
                self.check_ptr_alignment(&base, off as i64, size.bytes() as i64, true)?;
                let v = self.check_mem(st, src, base, off as i64, size, Access::Read, None)?;
                let mut v = v.unwrap_or_else(RegState::unknown);
                if v.ty == RegType::Scalar && size != Size::DW {
                    coerce_to_size(&mut v, size, false);
                }
                st.cur_mut().regs[dst as usize] = v;
                return self.atomic_ptr_type_ok(st, src, "loads from");
            }
            AtomicOp::StoreRelease => {
                // check_store_reg(): `*(dst + off) = src`.
                let v = self.read_reg(st, src)?;
                let base = self.read_reg(st, dst)?;
                self.check_ptr_alignment(&base, off as i64, size.bytes() as i64, true)?;
                self.check_mem(st, dst, base, off as i64, size, Access::Write, Some(v))?;
                return self.atomic_ptr_type_ok(st, dst, "stores into");
            }
            _ => {}
        }
        // check_atomic_rmw().
        if !matches!(size, Size::W | Size::DW) {
            return Err(self.reject(Errno::EINVAL, "invalid atomic operand size\n".into()));
        }
        let v = self.read_reg(st, src)?;
        let base = self.read_reg(st, dst)?;
        if op == AtomicOp::CmpXchg {
            let r0 = self.read_reg(st, 0)?;
            if r0.ty.is_pointer() && !self.prog.privileged {
                return Err(self.reject(Errno::EACCES, "R0 leaks addr into mem\n".into()));
            }
        }
        if v.ty.is_pointer() && !self.prog.privileged {
            return Err(self.reject(Errno::EACCES, format!("R{src} leaks addr into mem\n")));
        }
        self.atomic_ptr_type_ok(st, dst, "stores into")?;
        let load_reg = op.fetch_reg(src);
        if let Some(r) = load_reg {
            self.check_write(r)?;
        }
        if !matches!(base.ty, RegType::Stack | RegType::MapValue | RegType::RingbufMem) {
            return Err(Stop::Unsupported("atomics on this memory"));
        }
        // Atomics are always checked for alignment (strict_alignment_once).
        self.check_ptr_alignment(&base, off as i64, size.bytes() as i64, true)?;
        let old = self.check_mem(st, dst, base, off as i64, size, Access::Read, None)?;
        // The memory afterwards: an unknown value (not a spill).
        self.check_mem(
            st,
            dst,
            base,
            off as i64,
            size,
            Access::Write,
            Some(RegState::unknown()),
        )?;
        if let Some(r) = load_reg {
            let mut u = old.unwrap_or_else(RegState::unknown);
            if u.ty == RegType::Scalar && size == Size::W {
                coerce_to_size(&mut u, size, false);
            }
            st.cur_mut().regs[r as usize] = u;
        }
        Ok(())
    }
}
