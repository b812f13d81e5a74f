//! Stack accesses beyond the fixed-offset fast path: alignment
//! (check_generic_ptr_alignment, strict for the stack), bounds for fixed
//! and variable offsets (check_stack_access_within_bounds), and reads and
//! writes through a variable-offset stack pointer
//! (check_stack_read_var_off / check_stack_write_var_off).

use super::do_check::{Env, Res};
use super::ptr_alu::MAX_VAR_OFF;
use crate::isa::opcode::MAX_BPF_STACK;
use crate::uapi::Errno;
use crate::verifier::ctx::Access;
use crate::verifier::reg::{tnum_text, RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};
use crate::verifier::tnum::Tnum;

impl Env<'_> {
    /// check_stack_slot_within_bounds(): the errno for `[min_off, max_off)`
    /// outside the frame (below what a reader may see of the allocated
    /// stack: EACCES; past the frame pointer: EINVAL), or None.
    pub(super) fn stack_slot_out_of_bounds(
        &self,
        st: &VerifierState,
        min_off: i64,
        max_off: i64,
        write: bool,
    ) -> Option<Errno> {
        let allocated = (st.cur().stack.len() * 8) as i64;
        let min_valid = if write || self.prog.privileged {
            -(MAX_BPF_STACK as i64)
        } else {
            -allocated
        };
        if min_off < min_valid || min_off > -1 {
            Some(Errno::EACCES)
        } else if max_off > 0 {
            Some(Errno::EINVAL)
        } else {
            None
        }
    }

    /// check_generic_ptr_alignment() for the stack: `off` is the
    /// instruction's offset (the fixed offset is added here).
    pub(super) fn check_stack_alignment(&mut self, reg: &RegState, off: i64, size: i64) -> Res<()> {
        if size == 1 {
            return Ok(());
        }
        let at = reg.var_off.add(Tnum::constant((reg.off as i64 + off) as u64));
        if !at.is_aligned(size as u64) {
            return Err(self.reject(
                Errno::EACCES,
                format!(
                    "misaligned stack access off {}+{}+{off} size {size}\n",
                    tnum_text(reg.var_off),
                    reg.off
                ),
            ));
        }
        Ok(())
    }

    /// check_stack_access_within_bounds(): `off` includes the fixed offset.
    /// Grows the tracked stack to the lowest byte the access may touch.
    pub(super) fn check_stack_access_within_bounds(
        &mut self,
        st: &mut VerifierState,
        regno: u8,
        reg: &RegState,
        off: i64,
        size: i64,
        access: Access,
    ) -> Res<()> {
        let extra = if access == Access::Read {
            " read from"
        } else {
            " write to"
        };
        let (min_off, max_off) = if reg.var_off.is_const() {
            let min = reg.var_off.value as i64 + off;
            (min, min + size)
        } else {
            if reg.smax >= MAX_VAR_OFF || reg.smin <= -MAX_VAR_OFF {
                return Err(self.reject(
                    Errno::EACCES,
                    format!("invalid unbounded variable-offset{extra} stack R{regno}\n"),
                ));
            }
            (reg.smin + off, reg.smax + off + size)
        };
        if let Some(errno) = self.stack_slot_out_of_bounds(st, min_off, max_off, access == Access::Write) {
            let msg = if reg.var_off.is_const() {
                format!("invalid{extra} stack R{regno} off={off} size={size}\n")
            } else {
                format!(
                    "invalid variable-offset{extra} stack R{regno} var_off={} off={off} size={size}\n",
                    tnum_text(reg.var_off)
                )
            };
            return Err(self.reject(errno, msg));
        }
        st.cur_mut().grow_stack((-min_off) as usize);
        Ok(())
    }

    /// A read or write through a stack pointer with a variable offset
    /// (bounds already checked). `off` includes the fixed offset.
    pub(super) fn stack_var_off(
        &mut self,
        st: &mut VerifierState,
        reg: &RegState,
        off: i64,
        size: i64,
        access: Access,
        value: Option<RegState>,
    ) -> Res<Option<RegState>> {
        let min_off = reg.smin + off;
        let max_off = reg.smax + off + size;
        if !self.prog.privileged {
            return Err(super::do_check::Stop::Unsupported(
                "variable stack offsets for the unprivileged",
            ));
        }
        if access == Access::Read {
            // check_stack_range_initialized() passes for the privileged
            // (uninitialized bytes and spilled pointers may be read);
            // mark_reg_stack_read(): zero only if every byte is.
            let f = st.cur();
            let mut zeros = true;
            for i in min_off..max_off {
                let slot = (-i - 1) as usize;
                let t = f.stack.get(slot / 8).map_or(SlotType::Invalid, |s| s.types[slot % 8]);
                if t != SlotType::Zero {
                    zeros = false;
                }
            }
            for i in min_off..max_off {
                let spi = ((-i - 1) as usize) / 8;
                self.vlog.scratch_slot(spi);
                self.mark_stack_read(st, reg.frameno as usize, spi);
            }
            return Ok(Some(if zeros { RegState::known(0) } else { RegState::unknown() }));
        }
        // check_stack_write_var_off().
        let writing_zero = value.is_some_and(|v| v.ty == RegType::Scalar && v.is_const() && v.var_off.value == 0);
        for i in min_off..max_off {
            let slot = (-i - 1) as usize;
            let spi = slot / 8;
            self.vlog.scratch_slot(spi);
            let ss = &mut st.cur_mut().stack[spi];
            let t = ss.types[slot % 8];
            if writing_zero
                && t == SlotType::Spill
                && ss.types[7] == SlotType::Spill
                && ss.spilled.ty == RegType::Scalar
                && ss.spilled.is_const()
                && ss.spilled.var_off.value == 0
            {
                continue;
            }
            ss.spilled.ty = RegType::NotInit;
            ss.types[slot % 8] = if writing_zero && t == SlotType::Zero {
                SlotType::Zero
            } else {
                SlotType::Misc
            };
        }
        Ok(None)
    }
}
