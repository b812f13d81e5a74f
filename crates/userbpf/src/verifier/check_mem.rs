//! Loads and stores (check_mem_access): the instruction forms (BPF_LDX,
//! BPF_ST, BPF_STX with the linking of scalar spills), the access checks
//! by pointer type (the fixed-offset stack, the context, packets, ring
//! buffer memory and map values), the legacy packet loads (LD_ABS / LD_IND)
//! and the narrowing of loaded values (coerce_reg_to_size).

use super::ctx::{self, Access, CtxField, CtxProg, Query};
use super::do_check::{Env, Res, Stop};
use super::reg::{RegState, RegType};
use super::state::{SlotType, StackSlot, VerifierState};
use crate::isa::{Instruction, MemFields, Size};
use crate::uapi::Errno;

/// sizeof(struct bpf_flow_keys).
const FLOW_KEYS_SIZE: i64 = 56;

impl Env<'_> {
    /// BPF_LDX (a load into `dst`), BPF_ST (a store of an immediate) and
    /// BPF_STX (a store of a register: a spill when `dst` is the stack).
    pub(super) fn check_load_store(&mut self, st: &mut VerifierState, ins: Instruction) -> Res<()> {
        let Some(MemFields { size, dst, src, off }) = ins.mem_fields() else {
            unreachable!("not a load or store: {ins:?}")
        };
        match ins {
            Instruction::Load { signed, .. } => {
                let base = self.read_reg(st, src)?;
                self.check_write(dst)?;
                // A sign-extending load from the context asks the type's
                // rules whether the field may be sign-extended.
                let val = if signed && base.ty == RegType::Ctx {
                    self.check_ptr_alignment(&base, off as i64, size.bytes() as i64, false)?;
                    self.check_ctx_mem(src, base, off as i64, size, Access::Read, None, true)?
                } else {
                    self.check_mem(st, src, base, off as i64, size, Access::Read, None)?
                };
                self.note_access(&base);
                let mut val = val.unwrap_or_else(RegState::unknown);
                if val.ty == RegType::Scalar && size != Size::DW {
                    coerce_to_size(&mut val, size, signed);
                }
                st.cur_mut().regs[dst as usize] = val;
            }
            Instruction::StoreImm { imm, .. } => {
                let base = self.read_reg(st, dst)?;
                let v = RegState::known(imm as i64 as u64);
                self.check_mem(st, dst, base, off as i64, size, Access::Write, Some(v))?;
                self.note_access(&base);
            }
            Instruction::StoreReg { .. } => {
                let mut v = self.read_reg(st, src)?;
                let base = self.read_reg(st, dst)?;
                // A scalar spill links the slot and the register when the
                // value fits the store.
                let total = base.off as i64 + base.var_off.value as i64 + off as i64;
                let width = 64 - v.umax.leading_zeros();
                if base.ty == RegType::Stack
                    && base.var_off.is_const()
                    && total % 8 == 0
                    && self.prog.privileged
                    && v.ty == RegType::Scalar
                    && width <= size.bits()
                {
                    super::linked::assign_id_before_mov(&mut v, &mut self.walk.next_id);
                    st.cur_mut().regs[src as usize] = v;
                } else if base.ty == RegType::Stack && v.ty == RegType::Scalar && width > size.bits() {
                    // A narrowing spill breaks the link.
                    v.id = 0;
                    v.off = 0;
                }
                self.check_mem(st, dst, base, off as i64, size, Access::Write, Some(v))?;
                self.note_access(&base);
                // A zero stored as STACK_ZERO bytes (not a spill): the
                // register's value is relied on.
                let spill = base.var_off.is_const() && total % 8 == 0 && self.prog.privileged;
                if base.ty == RegType::Stack
                    && v.ty == RegType::Scalar
                    && v.is_const()
                    && v.var_off.value == 0
                    && !spill
                {
                    self.mark_chain_precision(st, src)?;
                }
            }
            _ => unreachable!("not a load or store: {ins:?}"),
        }
        Ok(())
    }

    /// check_ld_abs(): the legacy packet loads of socket filters.
    pub(super) fn check_ld_abs(&mut self, st: &mut VerifierState, ins: Instruction) -> Res<()> {
        if !ctx::may_access_skb(self.prog.prog_type) {
            return Err(self.reject(
                Errno::EINVAL,
                "BPF_LD_[ABS|IND] instructions not allowed for this program type\n".into(),
            ));
        }
        let r6 = self.read_reg(st, 6)?;
        self.check_resource_leak(st, "BPF_LD_[ABS|IND]", true)?;
        if let Instruction::LdInd { src, .. } = ins {
            self.read_reg(st, src)?;
        }
        if r6.ty != RegType::Ctx {
            return Err(self.reject(
                Errno::EINVAL,
                "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n".into(),
            ));
        }
        // The helper-like load clobbers the caller-saved registers.
        let f = st.cur_mut();
        for r in 1..=5 {
            f.regs[r] = RegState::not_init();
        }
        f.regs[0] = RegState::unknown();
        self.vlog.scratched_regs |= 0b11_1111;
        Ok(())
    }

    /// check_mem_access() for the pointer types modelled. Returns the
    /// loaded value for reads.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn check_mem(
        &mut self,
        st: &mut VerifierState,
        regno: u8,
        reg: RegState,
        off: i64,
        size: Size,
        access: Access,
        value: Option<RegState>,
    ) -> Res<Option<RegState>> {
        let n = size.bytes() as i64;
        self.check_ptr_alignment(&reg, off, n, false)?;
        match reg.ty {
            RegType::Stack => {
                self.check_stack_access_within_bounds(st, regno, &reg, off + reg.off as i64, n, access)?;
                if reg.frameno as usize != st.frames.len() - 1 {
                    return self.caller_stack_access(st, regno, reg, off, size, access, value);
                }
                if !reg.var_off.is_const() {
                    return self.stack_var_off(st, &reg, off + reg.off as i64, n, access, value);
                }
                let total = reg.off as i64 + reg.var_off.value as i64 + off;
                // Byte fp+total+i lives in slot `spi` at index (slot - i) % 8,
                // the kernel's layout (index 0 is the slot's highest byte).
                let slot = (-total - 1) as usize;
                let spi = slot / 8;
                let idx = |i: usize| (slot - i) % 8;
                self.vlog.scratch_slot(spi);
                let privileged = self.prog.privileged;
                let f = st.cur_mut();
                f.grow_stack((-total) as usize);
                let frame = reg.frameno as usize;
                let ss = &mut f.stack[spi];
                if access == Access::Write {
                    let v = value.expect("stored value");
                    // A register spill: backtracking follows it (the
                    // history's stack-access flag).
                    if (v.ty == RegType::Scalar && total % 8 == 0 && privileged) || v.ty != RegType::Scalar {
                        self.walk.push_history(Some((frame, spi)), Vec::new());
                    }
                    if n == 8 {
                        self.mark_stack_write(frame, spi);
                    }
                    let ss = &mut st.cur_mut().stack[spi];
                    if v.ty == RegType::Scalar && total % 8 == 0 && privileged {
                        // save_register_state(): a (possibly partial) spill.
                        ss.spilled = v;
                        for i in (8 - n as usize)..8 {
                            ss.types[i] = SlotType::Spill;
                        }
                        for i in 0..(8 - n as usize) {
                            if ss.types[i] != SlotType::Zero && ss.types[i] != SlotType::Invalid {
                                ss.types[i] = SlotType::Misc;
                            }
                        }
                    } else if v.ty != RegType::Scalar {
                        if n != 8 {
                            return Err(self.reject(Errno::EACCES, "invalid size of register spill\n".into()));
                        }
                        *ss = StackSlot {
                            types: [SlotType::Spill; 8],
                            spilled: v,
                        };
                    } else {
                        ss.spilled = RegState::not_init();
                        if ss.types[7] == SlotType::Spill {
                            for t in ss.types.iter_mut() {
                                if *t == SlotType::Spill {
                                    *t = SlotType::Misc;
                                }
                            }
                        }
                        let zero = v.is_const() && v.var_off.value == 0;
                        for i in 0..n as usize {
                            ss.types[idx(i)] = if zero { SlotType::Zero } else { SlotType::Misc };
                        }
                    }
                    return Ok(None);
                }
                let ss = *ss;
                self.mark_stack_read(st, frame, spi);
                if ss.types[7] == SlotType::Spill {
                    let spill_size = 1 + ss.types[..7]
                        .iter()
                        .rev()
                        .take_while(|&&t| t == SlotType::Spill)
                        .count();
                    if n == 8 && spill_size == 8 {
                        self.walk.push_history(Some((frame, spi)), Vec::new());
                        return Ok(Some(ss.spilled));
                    }
                    if ss.spilled.ty != RegType::Scalar {
                        return Err(self.reject(Errno::EACCES, "invalid size of register fill\n".into()));
                    }
                    // bpf_stack_narrow_access_ok(): a narrower fill keeps the
                    // spilled value only from the slot start (little endian).
                    if n as usize <= spill_size && total % 8 == 0 {
                        self.walk.push_history(Some((frame, spi)), Vec::new());
                        return Ok(Some(ss.spilled));
                    }
                    let (mut spill_cnt, mut zero_cnt) = (0, 0);
                    for i in 0..n as usize {
                        match ss.types[idx(i)] {
                            SlotType::Spill => spill_cnt += 1,
                            SlotType::Zero => zero_cnt += 1,
                            SlotType::Misc => {}
                            SlotType::Invalid if privileged => {}
                            SlotType::Invalid => {
                                return Err(self.reject(
                                    Errno::EACCES,
                                    format!("invalid read from stack off {total}+{i} size {n}\n"),
                                ))
                            }
                        }
                    }
                    let zero_spill = spill_cnt == n && ss.spilled.is_const() && ss.spilled.var_off.value == 0;
                    if zero_spill {
                        self.walk.push_history(Some((frame, spi)), Vec::new());
                    }
                    return Ok(Some(if zero_spill || zero_cnt == n {
                        RegState::known(0)
                    } else {
                        RegState::unknown()
                    }));
                }
                let mut zeros = 0;
                for i in 0..n as usize {
                    match ss.types[idx(i)] {
                        SlotType::Misc | SlotType::Spill => {}
                        SlotType::Zero => zeros += 1,
                        SlotType::Invalid if privileged => {}
                        SlotType::Invalid => {
                            return Err(self.reject(
                                Errno::EACCES,
                                format!("invalid read from stack off {total}+{i} size {n}\n"),
                            ))
                        }
                    }
                }
                Ok(Some(if zeros == n {
                    RegState::known(0)
                } else {
                    RegState::unknown()
                }))
            }
            RegType::Ctx => self.check_ctx_mem(regno, reg, off, size, access, value, false),
            RegType::Packet | RegType::PacketMeta => {
                if access == Access::Write && !ctx::may_write_packet(self.prog.prog_type) {
                    return Err(self.reject(Errno::EACCES, "cannot write into packet\n".into()));
                }
                if access == Access::Write && !self.prog.privileged && value.is_some_and(|v| v.ty != RegType::Scalar) {
                    return Err(Stop::Unsupported("pointer stores into packets by the unprivileged"));
                }
                self.check_packet_access(regno, &reg, off + reg.off as i64, n)?;
                Ok(Some(RegState::unknown()))
            }
            RegType::RingbufMem => {
                if access == Access::Write && !self.prog.privileged && value.is_some_and(|v| v.ty.is_pointer()) {
                    return Err(Stop::Unsupported("pointer stores into memory by the unprivileged"));
                }
                self.check_mem_region_access(regno, &reg, off + reg.off as i64, n, reg.mem_size, false)?;
                Ok(Some(RegState::unknown()))
            }
            // check_ptr_to_map_access(): the privileged may read struct
            // bpf_map's fields, typed by the kernel's BTF (not modelled).
            RegType::MapPtr if self.prog.privileged => Err(Stop::Unsupported("map pointer field reads (BTF)")),
            RegType::Socket | RegType::SockCommon => {
                if access == Access::Write {
                    return Err(self.reject(Errno::EACCES, format!("R{regno} cannot write into {}\n", reg.ty.name())));
                }
                self.check_sock_access(regno, &reg, off + reg.off as i64, n)?;
                Ok(Some(RegState::unknown()))
            }
            RegType::FlowKeys => {
                if access == Access::Write && !self.prog.privileged && value.is_some_and(|v| v.ty.is_pointer()) {
                    return Err(self.reject(Errno::EACCES, format!("R{regno} leaks addr into flow keys\n")));
                }
                // check_flow_keys_access(): the fixed offset only.
                let at = off + reg.off as i64;
                if at < 0 || at + n > FLOW_KEYS_SIZE {
                    return Err(self.reject(
                        Errno::EACCES,
                        format!("invalid access to flow keys off={at} size={n}\n"),
                    ));
                }
                Ok(Some(RegState::unknown()))
            }
            RegType::Scalar
            | RegType::NotInit
            | RegType::MapValueOrNull
            | RegType::MapPtrOrNull
            | RegType::RingbufMemOrNull
            | RegType::SocketOrNull
            | RegType::SockCommonOrNull
            | RegType::PacketEnd
            | RegType::Func
            | RegType::MapPtr => Err(self.reject(
                Errno::EACCES,
                format!("R{regno} invalid mem access '{}'\n", reg.ty.name()),
            )),
            RegType::MapKey => self.check_map_key_access(regno, &reg, off, n, access),
            RegType::MapValue => {
                if access == Access::Write && !self.prog.privileged && value.is_some_and(|v| v.ty.is_pointer()) {
                    return Err(Stop::Unsupported("pointer stores into maps by the unprivileged"));
                }
                self.check_map_access(regno, &reg, off + reg.off as i64, n, access == Access::Write, false)?;
                Ok(Some(RegState::unknown()))
            }
        }
    }
}

impl Env<'_> {
    /// check_mem_access() through a context pointer: the register's own
    /// offset (check_ptr_off_reg), then the program type's rules
    /// (check_ctx_access), then what a load yields.
    #[allow(clippy::too_many_arguments)]
    fn check_ctx_mem(
        &mut self,
        regno: u8,
        reg: RegState,
        off: i64,
        size: Size,
        access: Access,
        value: Option<RegState>,
        ldsx: bool,
    ) -> Res<Option<RegState>> {
        let n = size.bytes() as i64;
        self.check_ptr_off_reg(regno, &reg)?;
        if access == Access::Write && value.is_some_and(|v| v.ty != RegType::Scalar) {
            return Err(Stop::Unsupported("pointer stores into ctx"));
        }
        if !ctx::supported(self.prog.prog_type) {
            return Err(Stop::Unsupported("this program type's context"));
        }
        let prog = CtxProg {
            prog_type: self.prog.prog_type,
            expected_attach_type: self.prog.expected_attach_type,
            bpf_capable: self.prog.privileged,
        };
        let q = Query {
            off,
            size: n,
            access,
            ldsx,
        };
        match ctx::access(&prog, q) {
            None => Err(self.reject(
                Errno::EACCES,
                format!("invalid bpf_context access off={off} size={n}\n"),
            )),
            Some(CtxField::Scalar) => Ok(Some(RegState::unknown())),
            Some(CtxField::Unmodelled(kind)) => Err(Stop::Unsupported(kind.unsupported())),
            Some(CtxField::Pointer(t)) => {
                let mut p = RegState::pointer(t);
                if t.is_pkt_pointer() {
                    self.walk.next_id += 1;
                    p.id = 0;
                } else if t.is_or_null() {
                    // A maybe-NULL pointer gets the id its null check
                    // resolves.
                    self.walk.next_id += 1;
                    p.id = self.walk.next_id;
                }
                Ok(Some(p))
            }
        }
    }
}

/// coerce_reg_to_size() (or coerce_reg_to_size_sx() for a sign-extending
/// load): a load of fewer than 8 bytes.
pub(super) fn coerce_to_size(r: &mut RegState, size: Size, signed: bool) {
    let bits = size.bits();
    if signed {
        // coerce_reg_to_size_sx(), as BPF_MOVSX does.
        r.coerce_reg_to_size_sx(bits as u8);
        return;
    }
    if r.is_const() {
        r.set_known(r.var_off.value & ((1u64 << bits) - 1));
        return;
    }
    // Keep what is known of the low bits.
    let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
    r.var_off = r.var_off.cast(bits / 8);
    if r.umin & !mask == r.umax & !mask {
        r.umin &= mask;
        r.umax &= mask;
    } else {
        r.umin = 0;
        r.umax = mask;
    }
    r.smin = r.umin as i64;
    r.smax = r.umax as i64;
    if bits < 32 {
        r.unbound32();
    }
    r.id = 0;
    r.sync_bounds();
}

impl Env<'_> {
    /// check_sock_access(): a read through a socket pointer (`off`
    /// includes the register's fixed offset).
    fn check_sock_access(&mut self, regno: u8, reg: &RegState, off: i64, size: i64) -> Res<()> {
        if reg.smin < 0 {
            return Err(self.reject(
                Errno::EACCES,
                format!("R{regno} min value is negative, either use unsigned index or do a if (index >=0) check.\n"),
            ));
        }
        let common = reg.ty == RegType::SockCommon;
        if ctx::sock::sk_pointer_read_ok(common, off, size) {
            return Ok(());
        }
        Err(self.reject(
            Errno::EACCES,
            format!("R{regno} invalid {} access off={off} size={size}\n", reg.ty.name()),
        ))
    }
}
