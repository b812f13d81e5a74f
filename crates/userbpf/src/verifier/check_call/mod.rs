//! check_helper_call(): a call to a kernel helper, in the kernel's order
//! and with its messages: the id, whether the program type may use the
//! helper, the GPL rule, each argument (check_func_arg: readability, type,
//! offset, memory and size pairs), the raw-mode stack writes, then the
//! caller-saved registers and R0 by the return type.
//!
//! The argument and return types modelled are model.rs; memory arguments
//! (stack and map value ranges, raw mode, alignment) mem.rs.

use super::do_check::{Env, Res, Stop};
use crate::helpers::availability;
use crate::helpers::proto::{self, MapCompat};
use crate::uapi::helper_ids::func::*;
use crate::uapi::helper_ids::{HELPER_COUNT, HELPER_NAMES};
use crate::uapi::types::map_flags;
use crate::uapi::types::map_type as mt;
use crate::uapi::types::prog_type as pt;
use crate::uapi::Errno;
use crate::verifier::reg::{MapShape, RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};

use mem::MemArg;
use model::{expected_types, model_arg, model_ret, unmodelled_helper_checks, Arg, Ret};

mod mem;
mod model;
#[cfg(test)]
mod tests;

/// BPF_MAX_VAR_SIZ.
const MAX_VAR_SIZ: u64 = 1 << 29;
/// MAX_ERRNO.
const MAX_ERRNO: i64 = 4095;

/// nr_cpu_ids, for bpf_get_smp_processor_id()'s range.
fn nr_cpu_ids() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

impl Env<'_> {
    /// `env->ops->get_func_proto(func_id, env->prog)` for this program.
    /// The walk knows bpf_capable() alone (`privileged`), which also
    /// stands for perfmon_capable() here as in the pointer-leak checks;
    /// the load's BPF_F_SLEEPABLE does not reach the walk, and the
    /// answers it changes (get_stack's variants) are the same helpers.
    /// Types whose answer needs the attach target (struct_ops members,
    /// LSM hooks) or another program's type (ext) are not modelled.
    fn helper_proto(&self, id: i32) -> Res<availability::FuncProto> {
        if matches!(self.prog.prog_type, pt::STRUCT_OPS | pt::EXT | pt::LSM) {
            return Err(Stop::Unsupported(
                "helper availability by attach target (struct_ops, ext, lsm)",
            ));
        }
        let privileged = self.prog.privileged;
        let facts = availability::ProgFacts {
            prog_type: self.prog.prog_type,
            expected_attach_type: self.prog.expected_attach_type,
            sleepable: false,
            caps: availability::Caps {
                bpf: privileged,
                perfmon: privileged,
                sys_admin: privileged,
            },
            target: None,
        };
        Ok(availability::get_func_proto(id, &facts))
    }

    /// check_helper_call().
    pub(super) fn check_helper_call(&mut self, st: &mut VerifierState, id: i32) -> Res<()> {
        if !(0..HELPER_COUNT as i32).contains(&id) {
            return Err(self.reject(Errno::EINVAL, format!("invalid func unknown#{id}\n")));
        }
        let name = HELPER_NAMES[id as usize];
        // get_helper_proto(): the program type's get_func_proto, whose
        // answer is the prototype variant this type gets.
        let Some(proto) = self.helper_proto(id)? else {
            return Err(self.reject(
                Errno::EINVAL,
                format!("program of this type cannot use helper {name}#{id}\n"),
            ));
        };
        if proto.gpl_only && !self.prog.gpl_compatible {
            return Err(self.reject(
                Errno::EINVAL,
                "cannot call GPL-restricted function from non-GPL compatible program\n".into(),
            ));
        }
        // The prototype's `allowed` predicate ("helper call is not allowed
        // in probe") and might_sleep against the program's sleepability.
        if proto.allowed.is_some() {
            return Err(Stop::Unsupported("a helper prototype's allowed() predicate"));
        }
        if proto.might_sleep {
            return Err(Stop::Unsupported("helpers that might sleep"));
        }
        let mut mem: Option<MemArg> = None;
        // (regno, first offset, size) of an uninit write of constant size.
        let mut raw: Option<(u8, i64, u64)> = None;
        let mut msize_max = 0u64;
        // meta->map_ptr and meta->const_map_key.
        let mut meta_map: Option<MapShape> = None;
        let mut const_key: Option<u64> = None;
        // meta->mem_size (alloc size) and the reference to release.
        let mut alloc_size: u32 = 0;
        let mut release: Option<u32> = None;
        // The ARG_PTR_TO_CONST_STR string (up to its NUL).
        let mut const_str: Option<Vec<u8>> = None;
        // meta->subprogno: the ARG_PTR_TO_FUNC callback's first instruction.
        let mut callback: Option<usize> = None;
        for (i, &arg_type) in proto.arg_type.iter().enumerate() {
            let regno = 1 + i as u8;
            let arg = model_arg(arg_type).map_err(Stop::Unsupported)?;
            if arg == Arg::DontCare {
                continue;
            }
            let reg = self.read_reg(st, regno)?;
            match arg {
                Arg::DontCare => unreachable!(),
                Arg::Anything => {
                    if reg.ty.is_pointer() && !self.prog.privileged {
                        return Err(self.reject(Errno::EACCES, format!("R{regno} leaks addr into helper function\n")));
                    }
                    continue;
                }
                _ => {}
            }
            if reg.ty.is_pkt_pointer() {
                return Err(Stop::Unsupported("packet pointers passed to helpers"));
            }
            let is_null = reg.ty == RegType::Scalar && reg.is_const() && reg.var_off.value == 0;
            let skip_type_check = matches!(
                arg,
                Arg::MemRead { maybe_null: true }
                    | Arg::MemWrite { maybe_null: true }
                    | Arg::CtxOrNull
                    | Arg::StackOrNull
            ) && is_null;
            if skip_type_check {
                // A NULL argument: its value is relied on.
                self.mark_chain_precision(st, regno)?;
            } else {
                let ok = match arg {
                    Arg::Ctx | Arg::CtxOrNull => reg.ty == RegType::Ctx,
                    Arg::ConstMapPtr => reg.ty == RegType::MapPtr,
                    Arg::MemRead { .. }
                    | Arg::MemWrite { .. }
                    | Arg::MemUninitWrite
                    | Arg::FixedMem { .. }
                    | Arg::MapKey
                    | Arg::MapValue
                    | Arg::MapValueUninitWrite => {
                        matches!(reg.ty, RegType::Stack | RegType::MapValue)
                    }
                    Arg::ConstStr => reg.ty == RegType::MapValue,
                    Arg::ConstSize | Arg::ConstSizeOrZero | Arg::ConstAllocSizeOrZero | Arg::Scalar => {
                        reg.ty == RegType::Scalar
                    }
                    Arg::RingbufMemRelease => reg.ty == RegType::RingbufMem,
                    Arg::SpinLock => reg.ty == RegType::MapValue,
                    Arg::Func => reg.ty == RegType::Func,
                    Arg::StackOrNull => reg.ty == RegType::Stack,
                    _ => false,
                };
                if !ok {
                    return Err(self.reject(
                        Errno::EACCES,
                        format!("R{regno} type={} expected={}\n", reg.ty.name(), expected_types(arg)),
                    ));
                }
                // check_func_arg_reg_off(): context and map pointers must be
                // unmodified.
                if arg == Arg::RingbufMemRelease && reg.off != 0 {
                    return Err(self.reject(
                        Errno::EINVAL,
                        format!("R{regno} must have zero offset when passed to release func or trusted arg to kfunc\n"),
                    ));
                }
                if matches!(reg.ty, RegType::Ctx | RegType::MapPtr | RegType::Func) || arg == Arg::RingbufMemRelease {
                    self.check_ptr_off_reg(regno, &reg)?;
                }
            }
            match arg {
                Arg::ConstMapPtr => meta_map = Some(reg.map),
                Arg::Func => callback = Some(reg.subprog as usize),
                Arg::SpinLock => {
                    self.process_spin_lock(st, regno, &reg, id == BPF_FUNC_SPIN_LOCK)?;
                }
                Arg::ConstAllocSizeOrZero => {
                    if !reg.is_const() {
                        return Err(self.reject(Errno::EACCES, format!("R{regno} is not a known constant'\n")));
                    }
                    alloc_size = reg.var_off.value as u32;
                    self.mark_chain_precision(st, regno)?;
                }
                Arg::RingbufMemRelease => {
                    if reg.ref_obj_id == 0 {
                        return Err(self.reject(
                            Errno::EINVAL,
                            format!("R{regno} must be referenced when passed to release function\n"),
                        ));
                    }
                    release = Some(reg.ref_obj_id);
                }
                Arg::MapKey | Arg::MapValue | Arg::MapValueUninitWrite => {
                    let Some(map) = meta_map else {
                        let what = if arg == Arg::MapKey { "key" } else { "value" };
                        return Err(self.reject(Errno::EACCES, format!("invalid map_ptr to access map->{what}\n")));
                    };
                    let size = if arg == Arg::MapKey {
                        map.key_size
                    } else {
                        map.value_size
                    };
                    // MEM_UNINIT | MEM_WRITE: raw mode, the helper fills the
                    // bytes after the arguments.
                    let filled = arg == Arg::MapValueUninitWrite;
                    let m = MemArg {
                        regno,
                        reg,
                        write: filled,
                        uninit: filled,
                    };
                    if let Some(r) = self.helper_mem_access(st, m, size as u64, false, filled)? {
                        raw = Some(r);
                    }
                    // Where the key lies, kept at the call: an inlined
                    // lookup's key load (fixups::misc) takes it as its proof.
                    if arg == Arg::MapKey && id == BPF_FUNC_MAP_LOOKUP_ELEM {
                        self.note_access(&reg);
                    }
                    if arg == Arg::MapKey && can_elide_value_nullness(map.map_type) {
                        const_key = self.constant_map_key(st, &reg, map.key_size);
                    }
                }
                Arg::MemRead { .. } | Arg::MemWrite { .. } | Arg::MemUninitWrite => {
                    mem = Some(MemArg {
                        regno,
                        reg,
                        write: matches!(arg, Arg::MemUninitWrite | Arg::MemWrite { .. }),
                        uninit: arg == Arg::MemUninitWrite,
                    });
                }
                Arg::FixedMem { write, uninit, aligned } => {
                    // check_helper_mem_access() of arg_size bytes (raw mode
                    // for MEM_UNINIT), then check_ptr_alignment(), strict.
                    let size = proto.arg_size[i] as u64;
                    let m = MemArg {
                        regno,
                        reg,
                        write,
                        uninit,
                    };
                    if let Some(r) = self.helper_mem_access(st, m, size, false, uninit)? {
                        raw = Some(r);
                    }
                    if aligned {
                        self.check_strict_alignment(&reg, size)?;
                    }
                }
                Arg::ConstStr => {
                    const_str = Some(self.check_reg_const_str(regno, &reg)?);
                }
                Arg::ConstSize | Arg::ConstSizeOrZero => {
                    let zero_ok = arg == Arg::ConstSizeOrZero;
                    let Some(m) = mem.take() else {
                        return Err(Stop::Unsupported("a size without its memory argument"));
                    };
                    msize_max = reg.umax;
                    // check_mem_size_reg().
                    if reg.smin < 0 {
                        return Err(self.reject(
                            Errno::EACCES,
                            format!("R{regno} min value is negative, either use unsigned or 'var &= const'\n"),
                        ));
                    }
                    if reg.umin == 0 && !zero_ok {
                        return Err(self.reject(
                            Errno::EACCES,
                            format!(
                                "R{regno} invalid zero-sized read: u64=[{},{}]\n",
                                reg.umin as i64, reg.umax
                            ),
                        ));
                    }
                    if reg.umax >= MAX_VAR_SIZ {
                        return Err(self.reject(
                            Errno::EACCES,
                            format!("R{regno} unbounded memory access, use 'var &= const' or 'if (var < const)'\n"),
                        ));
                    }
                    let raw_mode = m.uninit && reg.is_const();
                    if let Some(r) = self.helper_mem_access(st, m, reg.umax, zero_ok, raw_mode)? {
                        raw = Some(r);
                    }
                    self.mark_chain_precision(st, regno)?;
                }
                _ => {}
            }
        }
        if mem.is_some() {
            return Err(Stop::Unsupported("a memory argument without a size"));
        }
        if let Some(what) = unmodelled_helper_checks(id) {
            return Err(Stop::Unsupported(what));
        }
        // record_func_map(): no helper writes a map read-only to programs.
        let writes_map = matches!(
            id,
            BPF_FUNC_MAP_DELETE_ELEM | BPF_FUNC_MAP_UPDATE_ELEM | BPF_FUNC_MAP_PUSH_ELEM | BPF_FUNC_MAP_POP_ELEM
        );
        if writes_map && meta_map.is_some_and(|m| m.map_flags & map_flags::RDONLY_PROG != 0) {
            return Err(self.reject(Errno::EACCES, "write into map forbidden\n".into()));
        }
        let ret = model_ret(proto.ret_type).map_err(Stop::Unsupported)?;
        if id == BPF_FUNC_SNPRINTF {
            self.check_bpf_snprintf_call(st, const_str.as_deref().unwrap_or_default())?;
        }
        // record_func_key(): a tail call needs a prog array (the kernel
        // prints this one without a newline).
        if id == BPF_FUNC_TAIL_CALL && meta_map.is_none_or(|m| m.map_type != mt::PROG_ARRAY) {
            return Err(self.reject(Errno::EINVAL, "expected prog array map for tail call".into()));
        }
        // A constant index in range is relied on (the call is rewritten for it).
        if let (BPF_FUNC_TAIL_CALL, Some(m)) = (id, meta_map) {
            let r3 = st.cur().regs[3];
            if r3.ty == RegType::Scalar && r3.is_const() && r3.var_off.value < m.max_entries as u64 {
                self.mark_chain_precision(st, 3)?;
            }
        }
        // Raw mode: the helper writes the bytes, as byte stores of unknown
        // values would.
        if let Some((_regno, start, size)) = raw {
            for i in 0..size as i64 {
                let off = start + i;
                let slot = (-off - 1) as usize;
                let spi = slot / 8;
                self.vlog.scratch_slot(spi);
                let f = st.cur_mut();
                f.grow_stack((-off) as usize);
                let ss = &mut f.stack[spi];
                if ss.types[7] == SlotType::Spill {
                    if ss.spilled.ty != RegType::Scalar && !self.prog.privileged {
                        return Err(Stop::Unsupported("helper writes over a spilled pointer"));
                    }
                    for t in ss.types.iter_mut() {
                        if *t == SlotType::Spill {
                            *t = SlotType::Misc;
                        }
                    }
                }
                ss.spilled = RegState::not_init();
                ss.types[slot % 8] = SlotType::Misc;
            }
        }
        // release_reference(): the reference goes, and with it every
        // pointer to the record (unknown scalars for the privileged).
        if let Some(ref_id) = release {
            if !st.refs.iter().any(|&(r, _)| r == ref_id) {
                return Err(self.reject(
                    Errno::EINVAL,
                    format!("func {name}#{id} reference has not been acquired before\n"),
                ));
            }
            st.refs.retain(|&(r, _)| r != ref_id);
            let privileged = self.prog.privileged;
            let inval = |r: &mut RegState| {
                if r.ref_obj_id == ref_id {
                    *r = if privileged {
                        RegState::unknown()
                    } else {
                        RegState::not_init()
                    };
                }
            };
            for f in st.frames.iter_mut() {
                f.regs.iter_mut().for_each(inval);
                for s in f.stack.iter_mut() {
                    if s.types[7] == SlotType::Spill {
                        inval(&mut s.spilled);
                    }
                }
            }
        }
        // bpf_tail_call with a reference held.
        if id == BPF_FUNC_TAIL_CALL {
            self.check_reference_leak(st, "tail_call")?;
        }
        // A callback-calling helper schedules its callback's verification.
        if let Some(start) = callback {
            self.callback_helper_call(st, id, start, meta_map)?;
        }
        // Caller-saved registers.
        let f = st.cur_mut();
        for r in 1..=5 {
            f.regs[r] = RegState::not_init();
        }
        self.vlog.scratched_regs |= 0b11_1111;
        let r0 = match ret {
            Ret::Void => RegState::not_init(),
            Ret::RingbufMemOrNull => {
                let mut r = RegState::pointer(RegType::RingbufMemOrNull);
                r.mem_size = alloc_size;
                // The maybe-null id, then acquire_reference()'s id.
                self.walk.next_id += 2;
                r.id = self.walk.next_id;
                r.ref_obj_id = self.walk.next_id;
                st.refs.push((self.walk.next_id, self.walk.cur_pc));
                r
            }
            // A lookup in a sockmap or sockhash acquires a socket reference
            // (PTR_TO_SOCKET_OR_NULL, is_acquire_function): not modelled.
            Ret::MapValueOrNull if meta_map.is_some_and(|m| matches!(m.map_type, mt::SOCKMAP | mt::SOCKHASH)) => {
                return Err(Stop::Unsupported("socket lookups in sockmap and sockhash"));
            }
            // A map-in-map lookup gives the inner map's template or NULL
            // (6.18 types it so at the call).
            Ret::MapValueOrNull
                if meta_map.is_some_and(|m| matches!(m.map_type, mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS)) =>
            {
                let Some(inner) = meta_map.and_then(|m| self.inner_map_of(&m)) else {
                    return Err(Stop::Unsupported("map-in-map lookups"));
                };
                let mut r = RegState::pointer(RegType::MapPtrOrNull);
                r.map = inner;
                self.walk.next_id += 1;
                r.id = self.walk.next_id;
                r
            }
            Ret::MapValueOrNull => {
                let Some(map) = meta_map else {
                    return Err(Stop::Unsupported("a map value without its map"));
                };
                let mut r = RegState::pointer(RegType::MapValueOrNull);
                r.map = map;
                if id == BPF_FUNC_MAP_LOOKUP_ELEM && const_key.is_some_and(|k| k < map.max_entries as u64) {
                    r.ty = RegType::MapValue;
                    // A value with a lock gets an id all the same: the
                    // lock is named by it.
                    if map.record.spin_lock_off().is_some() {
                        self.walk.next_id += 1;
                        r.id = self.walk.next_id;
                    }
                } else {
                    self.walk.next_id += 1;
                    r.id = self.walk.next_id;
                }
                r
            }
            Ret::Integer => {
                let mut r = RegState::unknown();
                match id {
                    // bpf_get_smp_processor_id
                    BPF_FUNC_GET_SMP_PROCESSOR_ID => {
                        let max = nr_cpu_ids() - 1;
                        r.umin = 0;
                        r.umax = max;
                        r.smin = 0;
                        r.smax = max as i64;
                        r.u32_min = 0;
                        r.u32_max = max as u32;
                        r.s32_min = 0;
                        r.s32_max = max as i32;
                        r.sync_bounds();
                    }
                    // the _str probe reads
                    BPF_FUNC_PROBE_READ_STR | BPF_FUNC_PROBE_READ_KERNEL_STR | BPF_FUNC_PROBE_READ_USER_STR => {
                        r.smax = msize_max as i64;
                        r.s32_max = msize_max as i32;
                        r.smin = -MAX_ERRNO;
                        r.s32_min = -MAX_ERRNO as i32;
                        r.sync_bounds();
                    }
                    _ => {}
                }
                r
            }
        };
        st.cur_mut().regs[0] = r0;
        if proto::changes_pkt_data(id) {
            clear_all_pkt_pointers(st);
        }
        if let Some(map) = meta_map {
            match proto::map_func_compatible(map.map_type, id) {
                MapCompat::Compatible => {}
                MapCompat::Incompatible => {
                    return Err(self.reject(
                        Errno::EINVAL,
                        format!("cannot pass map_type {} into func {name}#{id}\n", map.map_type),
                    ))
                }
                MapCompat::SockmapUpdate => {
                    return Err(Stop::Unsupported("sockmap updates (may_update_sockmap)"));
                }
            }
        }
        Ok(())
    }
}

/// can_elide_value_nullness(): array lookups with a constant key in range
/// cannot fail.
fn can_elide_value_nullness(map_type: u32) -> bool {
    matches!(map_type, mt::ARRAY | mt::PERCPU_ARRAY)
}

/// clear_all_pkt_pointers(): after a helper that may move packet data, every
/// packet pointer (in registers and spilled) becomes an unknown scalar.
fn clear_all_pkt_pointers(st: &mut VerifierState) {
    let is_pkt = |r: &RegState| matches!(r.ty, RegType::Packet | RegType::PacketMeta | RegType::PacketEnd);
    for f in st.frames.iter_mut() {
        for r in f.regs.iter_mut() {
            if is_pkt(r) {
                *r = RegState::unknown();
            }
        }
        for s in f.stack.iter_mut() {
            if s.types[7] == SlotType::Spill && is_pkt(&s.spilled) {
                s.spilled = RegState::unknown();
            }
        }
    }
}
