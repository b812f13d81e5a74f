//! Maps in the verifier: ld_imm64 of a map (CONST_PTR_TO_MAP) or of a map
//! value (PTR_TO_MAP_VALUE), accesses to map values with fixed and
//! variable offsets (check_map_access / check_mem_region_access), and the
//! null-check refinement of lookup results (mark_ptr_or_null_regs).

use super::do_check::{Env, Res, Stop};
use super::ptr_alu::MAX_VAR_OFF;
use crate::isa::opcode::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE};
use crate::uapi::Errno;
use crate::verifier::reg::{RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};

/// BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG.
const F_RDONLY_PROG: u32 = 1 << 7;
const F_WRONLY_PROG: u32 = 1 << 8;

impl Env<'_> {
    /// check_ld_imm() for a pseudo source: the register the ld_imm64 at
    /// `pc` loads.
    pub(super) fn ld_imm64_pseudo(&mut self, pc: usize, src: u8) -> Res<RegState> {
        if src == crate::isa::opcode::BPF_PSEUDO_FUNC {
            return self.ld_imm64_func(pc);
        }
        let Some(m) = self.prog.maps.iter().find(|m| m.pc == pc).copied() else {
            return Err(Stop::Unsupported("ld_imm64 pseudo sources"));
        };
        match src {
            BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_IDX => {
                let mut r = RegState::pointer(RegType::MapPtr);
                r.map = m.map;
                Ok(r)
            }
            BPF_PSEUDO_MAP_VALUE | BPF_PSEUDO_MAP_IDX_VALUE => {
                let mut r = RegState::pointer(RegType::MapValue);
                r.map = m.map;
                r.off = m.value_off.unwrap_or(0) as i32;
                Ok(r)
            }
            _ => Err(Stop::Unsupported("ld_imm64 pseudo sources")),
        }
    }

    /// map->inner_map_meta: the inner map template of a map-in-map.
    pub(super) fn inner_map_of(&self, map: &crate::verifier::reg::MapShape) -> Option<crate::verifier::reg::MapShape> {
        if map.index == crate::verifier::reg::INNER_MAP_INDEX {
            return None;
        }
        self.prog
            .maps
            .iter()
            .find(|m| m.map.index == map.index)
            .and_then(|m| m.inner)
    }

    /// __check_mem_access(): `off` and `size` within `mem_size` bytes.
    pub(super) fn mem_access_ok(
        &mut self,
        regno: u8,
        reg: &RegState,
        off: i32,
        size: i64,
        mem_size: u32,
        zero_ok: bool,
    ) -> bool {
        let size_ok = size > 0 || (size == 0 && zero_ok);
        if off >= 0 && size_ok && off as i64 + size <= mem_size as i64 {
            return true;
        }
        let msg = match reg.ty {
            RegType::MapValue => format!("invalid access to map value, value_size={mem_size} off={off} size={size}\n"),
            RegType::Packet | RegType::PacketMeta => format!(
                "invalid access to packet, off={off} size={size}, R{regno}(id={},off={off},r={mem_size})\n",
                reg.id
            ),
            _ => format!("invalid access to memory, mem_size={mem_size} off={off} size={size}\n"),
        };
        self.verbose(&msg);
        false
    }

    /// check_mem_region_access(): the access at `off` (the instruction's
    /// offset plus the fixed offset) of `size` bytes, for every value of
    /// the variable offset.
    pub(super) fn check_mem_region_access(
        &mut self,
        regno: u8,
        reg: &RegState,
        off: i64,
        size: i64,
        mem_size: u32,
        zero_ok: bool,
    ) -> Res<()> {
        if reg.smin < 0
            && (reg.smin == i64::MIN
                || off.wrapping_add(reg.smin) != off.wrapping_add(reg.smin) as i32 as i64
                || reg.smin.wrapping_add(off) < 0)
        {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n"),
            ));
        }
        if !self.mem_access_ok(regno, reg, reg.smin.wrapping_add(off) as i32, size, mem_size, zero_ok) {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{regno} min value is outside of the allowed memory range\n"),
            ));
        }
        if reg.umax >= MAX_VAR_OFF as u64 {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{regno} unbounded memory access, make sure to bounds check any such access\n"),
            ));
        }
        if !self.mem_access_ok(
            regno,
            reg,
            reg.umax.wrapping_add(off as u64) as i32,
            size,
            mem_size,
            zero_ok,
        ) {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{regno} max value is outside of the allowed memory range\n"),
            ));
        }
        Ok(())
    }

    /// check_map_access_type() then check_map_access(): `off` includes the
    /// register's fixed offset.
    pub(super) fn check_map_access(
        &mut self,
        regno: u8,
        reg: &RegState,
        off: i64,
        size: i64,
        write: bool,
        zero_ok: bool,
    ) -> Res<()> {
        let flags = reg.map.map_flags;
        if (write && flags & F_RDONLY_PROG != 0) || (!write && flags & F_WRONLY_PROG != 0) {
            let what = if write { "write into" } else { "read from" };
            return Err(self.reject(
                Errno::EACCES,
                format!(
                    "{what} map forbidden, value_size={} off={off} size={size}\n",
                    reg.map.value_size
                ),
            ));
        }
        self.check_mem_region_access(regno, reg, off, size, reg.map.value_size, zero_ok)?;
        // Special fields (bpf_spin_lock, timers) can't be touched by loads,
        // stores or helpers: [smin+off, umax+off+size) must miss them.
        let lo = reg.smin.saturating_add(off);
        let hi = (reg.umax as i64).saturating_add(off).saturating_add(size);
        if let Some(field) = reg.map.record.overlapping(lo, hi) {
            return Err(self.reject(
                Errno::EACCES,
                format!("{} cannot be accessed directly by load/store\n", field.kind.name()),
            ));
        }
        Ok(())
    }
}

/// mark_ptr_or_null_regs(): after `reg == 0` / `reg != 0`, every register
/// (and spilled register) sharing the maybe-null pointer's id is NULL (a
/// known zero scalar) or the pointer without its maybe-null flag.
pub(super) fn mark_ptr_or_null_regs(st: &mut VerifierState, reg: &RegState, is_null: bool) {
    let id = reg.id;
    if id == 0 {
        return;
    }
    // The NULL branch holds no reference: nothing to release.
    if is_null && reg.ref_obj_id != 0 && reg.ref_obj_id == id {
        st.refs.retain(|&(r, _)| r != id);
    }
    let mark = |r: &mut RegState| {
        let not_null = match r.ty {
            RegType::MapValueOrNull => RegType::MapValue,
            RegType::MapPtrOrNull => RegType::MapPtr,
            RegType::RingbufMemOrNull => RegType::RingbufMem,
            _ => return,
        };
        if r.id == id {
            if is_null {
                *r = RegState::known(0);
            } else {
                r.ty = not_null;
                // reg_may_point_to_spin_lock(): the id names the lock.
                if !(r.ty == RegType::MapValue && r.map.record.spin_lock_off().is_some()) {
                    r.id = 0;
                }
            }
        }
    };
    for f in st.frames.iter_mut() {
        for r in f.regs.iter_mut() {
            mark(r);
        }
        for s in f.stack.iter_mut() {
            if s.types[7] == SlotType::Spill {
                mark(&mut s.spilled);
            }
        }
    }
}

impl Env<'_> {
    /// __check_ptr_off_reg() without a fixed offset allowed: a pointer
    /// (ctx) used in its original form.
    pub(super) fn check_ptr_off_reg(&mut self, regno: u8, reg: &RegState) -> Res<()> {
        let t = reg.ty.name();
        if reg.off < 0 {
            return Err(self.reject(
                Errno::EACCES,
                format!("negative offset {t} ptr R{regno} off={} disallowed\n", reg.off),
            ));
        }
        if reg.off != 0 {
            return Err(self.reject(
                Errno::EACCES,
                format!("dereference of modified {t} ptr R{regno} off={} disallowed\n", reg.off),
            ));
        }
        if !reg.var_off.is_const() || reg.var_off.value != 0 {
            return Err(self.reject(
                Errno::EACCES,
                format!(
                    "variable {t} access var_off={} disallowed\n",
                    crate::verifier::reg::tnum_text(reg.var_off)
                ),
            ));
        }
        Ok(())
    }

    /// check_packet_access(): `off` includes the fixed offset; the range
    /// proven by a comparison with pkt_end covers the variable part.
    pub(super) fn check_packet_access(&mut self, regno: u8, reg: &RegState, off: i64, size: i64) -> Res<()> {
        if reg.smin < 0 {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n"),
            ));
        }
        let ok = reg.range >= 0 && self.mem_access_ok(regno, reg, off as i32, size, reg.range as u32, false);
        if !ok {
            let errno = if reg.range < 0 { Errno::EINVAL } else { Errno::EACCES };
            return Err(self.reject(errno, format!("R{regno} offset is outside of the packet\n")));
        }
        Ok(())
    }
}

impl Env<'_> {
    /// check_reference_leak() (main program): every acquired reference
    /// must have been released; `what` names the instruction.
    pub(super) fn check_resource_leak(&mut self, st: &VerifierState, what: &str, check_lock: bool) -> Res<()> {
        if check_lock && st.lock.is_some() {
            return Err(self.reject(
                Errno::EINVAL,
                format!("{what} cannot be used inside bpf_spin_lock-ed region\n"),
            ));
        }
        self.check_reference_leak(st, what)
    }

    pub(super) fn check_reference_leak(&mut self, st: &VerifierState, what: &str) -> Res<()> {
        if st.refs.is_empty() || st.frames.len() > 1 {
            return Ok(());
        }
        let mut msg = String::new();
        for &(id, insn) in &st.refs {
            msg.push_str(&format!("Unreleased reference id={id} alloc_insn={insn}\n"));
        }
        msg.push_str(&format!("{what} would lead to reference leak\n"));
        Err(self.reject(Errno::EINVAL, msg))
    }
}
