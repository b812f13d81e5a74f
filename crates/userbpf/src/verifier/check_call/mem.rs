//! Memory arguments of a helper call: check_helper_mem_access() over the
//! stack and map values (bounds, initialization, raw mode), strict
//! alignment for aligned fixed-size memory, and get_constant_map_key().

use super::super::do_check::{Env, Res, Stop};
use crate::uapi::Errno;
use crate::verifier::reg::{tnum_text, RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};
use crate::verifier::tnum::Tnum;

/// A memory argument waiting for its size (meta->raw_mode and the register).
#[derive(Clone, Copy)]
pub(super) struct MemArg {
    pub(super) regno: u8,
    pub(super) reg: RegState,
    pub(super) write: bool,
    /// MEM_UNINIT: a constant-size stack write may cover uninit bytes.
    pub(super) uninit: bool,
}

impl Env<'_> {
    /// get_constant_map_key(): the key's value when the stack holds a
    /// known constant of exactly the key's size (zeros, or a spilled
    /// constant scalar).
    pub(in crate::verifier) fn constant_map_key(
        &mut self,
        st: &VerifierState,
        key: &RegState,
        key_size: u32,
    ) -> Option<u64> {
        if !self.prog.privileged || key.ty != RegType::Stack || !key.var_off.is_const() {
            return None;
        }
        if key.frameno as usize != st.frames.len() - 1 {
            return None;
        }
        let stack_off = key.off as i64 + key.var_off.value as i64;
        if stack_off >= 0 {
            return None;
        }
        let slot = (-stack_off - 1) as usize;
        let (spi, off) = (slot / 8, slot % 8);
        let ss = st.cur().stack.get(spi)?;
        let zero = (0..=off).rev().take_while(|&i| ss.types[i] == SlotType::Zero).count();
        if zero >= key_size as usize {
            return Some(0);
        }
        if ss.types[7] != SlotType::Spill || ss.spilled.ty != RegType::Scalar {
            return None;
        }
        let spill = (0..=off).rev().take_while(|&i| ss.types[i] == SlotType::Spill).count();
        if spill != key_size as usize || !ss.spilled.var_off.is_const() {
            return None;
        }
        Some(ss.spilled.var_off.value)
    }

    /// check_ptr_alignment() with strict alignment, for a helper's aligned
    /// fixed-size memory (the stack and map values, the pointers a memory
    /// argument may be here).
    pub(super) fn check_strict_alignment(&mut self, reg: &RegState, size: u64) -> Res<()> {
        let desc = match reg.ty {
            RegType::Stack => "stack ",
            RegType::MapValue => "value ",
            _ => return Err(Stop::Unsupported("the alignment of this memory argument")),
        };
        let at = reg.var_off.add(Tnum::constant(reg.off as i64 as u64));
        if size > 1 && !at.is_aligned(size) {
            return Err(self.reject(
                Errno::EACCES,
                format!(
                    "misaligned {desc}access off {}+{}+0 size {size}\n",
                    tnum_text(reg.var_off),
                    reg.off
                ),
            ));
        }
        Ok(())
    }

    /// check_helper_mem_access() for a memory argument of `size` bytes.
    /// Returns the raw-mode write to do after the arguments.
    pub(super) fn helper_mem_access(
        &mut self,
        st: &mut VerifierState,
        m: MemArg,
        size: u64,
        zero_ok: bool,
        raw_mode: bool,
    ) -> Res<Option<(u8, i64, u64)>> {
        let MemArg { regno, reg, write, .. } = m;
        match reg.ty {
            RegType::Stack => {}
            RegType::MapValue => {
                return self
                    .check_map_access(regno, &reg, reg.off as i64, size as i64, write, zero_ok)
                    .map(|()| None)
            }
            RegType::Scalar if zero_ok && size == 0 && reg.is_const() && reg.var_off.value == 0 => return Ok(None),
            RegType::Scalar | RegType::NotInit => {
                return Err(self.reject(Errno::EACCES, format!("R{regno} type={} expected=fp\n", reg.ty.name())))
            }
            _ => return Err(Stop::Unsupported("this memory argument")),
        }
        if reg.frameno as usize != st.frames.len() - 1 || !reg.is_const() {
            return Err(Stop::Unsupported("this stack argument"));
        }
        // check_stack_range_initialized().
        if size == 0 && !zero_ok {
            return Err(self.reject(Errno::EACCES, "invalid zero-sized read\n".into()));
        }
        let min_off = reg.var_off.value as i64 + reg.off as i64;
        let max_off = min_off + size as i64;
        // check_stack_access_within_bounds().
        if let Some(errno) = self.stack_slot_out_of_bounds(st, min_off, max_off, write) {
            let what = if write { "write to" } else { "read from" };
            return Err(self.reject(
                errno,
                format!("invalid {what} stack R{regno} off={min_off} size={size}\n"),
            ));
        }
        st.cur_mut().grow_stack((-min_off) as usize);
        if raw_mode {
            return Ok(Some((regno, min_off, size)));
        }
        let privileged = self.prog.privileged;
        for i in min_off..max_off {
            let slot = (-i - 1) as usize;
            let spi = slot / 8;
            self.mark_stack_read(st, reg.frameno as usize, spi);
            let f = st.cur_mut();
            let ss = &mut f.stack[spi];
            let t = ss.types[slot % 8];
            match t {
                SlotType::Misc => continue,
                SlotType::Zero => {
                    if write {
                        ss.types[slot % 8] = SlotType::Misc;
                    }
                    continue;
                }
                SlotType::Invalid if privileged => {
                    if write {
                        ss.types[slot % 8] = SlotType::Misc;
                    }
                    continue;
                }
                SlotType::Spill if ss.spilled.ty == RegType::Scalar || privileged => {
                    if write {
                        for t in ss.types.iter_mut() {
                            if *t == SlotType::Spill {
                                *t = SlotType::Misc;
                            }
                        }
                        ss.spilled = RegState::not_init();
                    }
                    continue;
                }
                _ => {}
            }
            return Err(self.reject(
                Errno::EACCES,
                format!(
                    "invalid read from stack R{regno} off {min_off}+{} size {size}\n",
                    i - min_off
                ),
            ));
        }
        Ok(None)
    }
}
