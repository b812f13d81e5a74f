//! check_helper_call(): a call to a kernel helper, in the kernel's order
//! and with its messages: the id, whether the program type may use the
//! helper, the GPL rule, each argument (check_func_arg: readability, type,
//! offset, memory and size pairs), the raw-mode stack writes, then the
//! caller-saved registers and R0 by the return type.

use super::const_str::BPF_FUNC_SNPRINTF;
use super::do_check::{Env, Res, Stop};
use crate::helpers::availability;
use crate::helpers::protos::{self, ArgType, RetType};
use crate::uapi::helper_ids::func::BPF_FUNC_TAIL_CALL;
use crate::uapi::helper_ids::{HELPER_COUNT, HELPER_NAMES};
use crate::uapi::types::map_type as mt;
use crate::uapi::Errno;
use crate::verifier::reg::{MapShape, RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};

/// BPF_MAX_VAR_SIZ.
const MAX_VAR_SIZ: u64 = 1 << 29;
/// MAX_ERRNO.
const MAX_ERRNO: i64 = 4095;

/// The compatible register types of an argument type (compatible_reg_types),
/// as the kernel prints them.
fn expected_types(arg: ArgType) -> &'static str {
    match arg {
        ArgType::Ctx => "ctx",
        ArgType::ConstMapPtr => "map_ptr",
        ArgType::MemRead { .. }
        | ArgType::MemWrite { .. }
        | ArgType::MemUninitWrite
        | ArgType::MapKey
        | ArgType::MapValue => "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
        ArgType::ConstStr => "map_value",
        ArgType::ConstSize | ArgType::ConstSizeOrZero | ArgType::ConstAllocSizeOrZero => "scalar",
        ArgType::RingbufMemRelease => "ringbuf_mem",
        ArgType::SpinLock => "map_value, ptr_",
        ArgType::Func => "func",
        ArgType::DontCare | ArgType::Anything | ArgType::Other => "",
    }
}

/// A memory argument waiting for its size (meta->raw_mode and the register).
#[derive(Clone, Copy)]
struct MemArg {
    regno: u8,
    reg: RegState,
    write: bool,
    /// MEM_UNINIT: a constant-size stack write may cover uninit bytes.
    uninit: bool,
}

/// nr_cpu_ids, for bpf_get_smp_processor_id()'s range.
fn nr_cpu_ids() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

impl Env<'_> {
    /// check_helper_call().
    pub(super) fn check_helper_call(&mut self, st: &mut VerifierState, id: i32) -> Res<()> {
        if !(0..HELPER_COUNT as i32).contains(&id) {
            return Err(self.reject(Errno::EINVAL, format!("invalid func unknown#{id}\n")));
        }
        let name = HELPER_NAMES[id as usize];
        match availability::available(self.prog.prog_type, id, self.prog.privileged) {
            None => return Err(Stop::Unsupported("this helper for this program type")),
            Some(false) => {
                return Err(self.reject(
                    Errno::EINVAL,
                    format!("program of this type cannot use helper {name}#{id}\n"),
                ))
            }
            Some(true) => {}
        }
        let Some(proto) = protos::proto(id) else {
            return Err(Stop::Unsupported("this helper's prototype"));
        };
        if proto.gpl_only && !self.prog.gpl_compatible {
            return Err(self.reject(
                Errno::EINVAL,
                "cannot call GPL-restricted function from non-GPL compatible program\n".into(),
            ));
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
        for (i, &arg) in proto.args.iter().enumerate() {
            let regno = 1 + i as u8;
            if arg == ArgType::DontCare {
                continue;
            }
            let reg = self.read_reg(st, regno)?;
            match arg {
                ArgType::DontCare => unreachable!(),
                ArgType::Other => return Err(Stop::Unsupported("this helper argument type")),
                ArgType::Anything => {
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
                ArgType::MemRead { maybe_null: true } | ArgType::MemWrite { maybe_null: true }
            ) && is_null;
            if skip_type_check {
                // A NULL argument: its value is relied on.
                self.mark_chain_precision(st, regno)?;
            } else {
                let ok = match arg {
                    ArgType::Ctx => reg.ty == RegType::Ctx,
                    ArgType::ConstMapPtr => reg.ty == RegType::MapPtr,
                    ArgType::MemRead { .. }
                    | ArgType::MemWrite { .. }
                    | ArgType::MemUninitWrite
                    | ArgType::MapKey
                    | ArgType::MapValue => matches!(reg.ty, RegType::Stack | RegType::MapValue),
                    ArgType::ConstStr => reg.ty == RegType::MapValue,
                    ArgType::ConstSize | ArgType::ConstSizeOrZero | ArgType::ConstAllocSizeOrZero => {
                        reg.ty == RegType::Scalar
                    }
                    ArgType::RingbufMemRelease => reg.ty == RegType::RingbufMem,
                    ArgType::SpinLock => reg.ty == RegType::MapValue,
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
                if arg == ArgType::RingbufMemRelease && reg.off != 0 {
                    return Err(self.reject(
                        Errno::EINVAL,
                        format!("R{regno} must have zero offset when passed to release func or trusted arg to kfunc\n"),
                    ));
                }
                if matches!(reg.ty, RegType::Ctx | RegType::MapPtr) || arg == ArgType::RingbufMemRelease {
                    self.check_ptr_off_reg(regno, &reg)?;
                }
            }
            match arg {
                ArgType::ConstMapPtr => meta_map = Some(reg.map),
                ArgType::SpinLock => {
                    self.process_spin_lock(st, regno, &reg, id == super::spin_lock::BPF_FUNC_SPIN_LOCK)?;
                }
                ArgType::ConstAllocSizeOrZero => {
                    if !reg.is_const() {
                        return Err(self.reject(Errno::EACCES, format!("R{regno} is not a known constant'\n")));
                    }
                    alloc_size = reg.var_off.value as u32;
                    self.mark_chain_precision(st, regno)?;
                }
                ArgType::RingbufMemRelease => {
                    if reg.ref_obj_id == 0 {
                        return Err(self.reject(
                            Errno::EINVAL,
                            format!("R{regno} must be referenced when passed to release function\n"),
                        ));
                    }
                    release = Some(reg.ref_obj_id);
                }
                ArgType::MapKey | ArgType::MapValue => {
                    let Some(map) = meta_map else {
                        return Err(self.reject(Errno::EACCES, "invalid map_ptr to access map->key\n".into()));
                    };
                    let size = if arg == ArgType::MapKey {
                        map.key_size
                    } else {
                        map.value_size
                    };
                    let m = MemArg {
                        regno,
                        reg,
                        write: false,
                        uninit: false,
                    };
                    self.helper_mem_access(st, m, size as u64, false, false)?;
                    // Where the key lies, kept at the call: an inlined
                    // lookup's key load (fixups::misc) takes it as its proof.
                    if arg == ArgType::MapKey && id == 1 {
                        self.note_access(&reg);
                    }
                    if arg == ArgType::MapKey && can_elide_value_nullness(map.map_type) {
                        const_key = self.constant_map_key(st, &reg, map.key_size);
                    }
                }
                ArgType::MemRead { .. } | ArgType::MemWrite { .. } | ArgType::MemUninitWrite => {
                    mem = Some(MemArg {
                        regno,
                        reg,
                        write: matches!(arg, ArgType::MemUninitWrite | ArgType::MemWrite { .. }),
                        uninit: arg == ArgType::MemUninitWrite,
                    });
                }
                ArgType::ConstStr => {
                    const_str = Some(self.check_reg_const_str(regno, &reg)?);
                }
                ArgType::ConstSize | ArgType::ConstSizeOrZero => {
                    let zero_ok = arg == ArgType::ConstSizeOrZero;
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
        if id == BPF_FUNC_SNPRINTF {
            self.check_bpf_snprintf_call(st, const_str.as_deref().unwrap_or_default())?;
        }
        // record_func_key(): a tail call needs a prog array (the kernel
        // prints this one without a newline).
        if id == 12 && meta_map.is_none_or(|m| m.map_type != mt::PROG_ARRAY) {
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
        if id == 12 {
            self.check_reference_leak(st, "tail_call")?;
        }
        // Caller-saved registers.
        let f = st.cur_mut();
        for r in 1..=5 {
            f.regs[r] = RegState::not_init();
        }
        self.vlog.scratched_regs |= 0b11_1111;
        let r0 = match proto.ret {
            RetType::Void => RegState::not_init(),
            RetType::RingbufMemOrNull => {
                let mut r = RegState::pointer(RegType::RingbufMemOrNull);
                r.mem_size = alloc_size;
                // The maybe-null id, then acquire_reference()'s id.
                self.walk.next_id += 2;
                r.id = self.walk.next_id;
                r.ref_obj_id = self.walk.next_id;
                st.refs.push((self.walk.next_id, self.walk.cur_pc));
                r
            }
            RetType::MapValueOrNull => {
                let Some(map) = meta_map else {
                    return Err(Stop::Unsupported("a map value without its map"));
                };
                // A map-in-map lookup gives the inner map (CONST_PTR_TO_MAP
                // with the inner map's meta after the null check), which
                // the map shapes do not carry yet.
                if matches!(map.map_type, 12 | 13) {
                    return Err(Stop::Unsupported("map-in-map lookups"));
                }
                let mut r = RegState::pointer(RegType::MapValueOrNull);
                r.map = map;
                if id == 1 && const_key.is_some_and(|k| k < map.max_entries as u64) {
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
            RetType::Integer => {
                let mut r = RegState::unknown();
                match id {
                    // bpf_get_smp_processor_id
                    8 => {
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
                    45 | 114 | 115 => {
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
        if protos::changes_pkt_data(id) {
            clear_all_pkt_pointers(st);
        }
        if let Some(map) = meta_map {
            if !map_func_compatible(map.map_type, id) {
                return Err(self.reject(
                    Errno::EINVAL,
                    format!("cannot pass map_type {} into func {name}#{id}\n", map.map_type),
                ));
            }
        }
        Ok(())
    }

    /// get_constant_map_key(): the key's value when the stack holds a
    /// known constant of exactly the key's size (zeros, or a spilled
    /// constant scalar).
    pub(super) fn constant_map_key(&mut self, st: &VerifierState, key: &RegState, key_size: u32) -> Option<u64> {
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

    /// check_helper_mem_access() for a memory argument of `size` bytes.
    /// Returns the raw-mode write to do after the arguments.
    fn helper_mem_access(
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

/// can_elide_value_nullness(): array lookups with a constant key in range
/// cannot fail.
fn can_elide_value_nullness(map_type: u32) -> bool {
    matches!(map_type, mt::ARRAY | mt::PERCPU_ARRAY)
}

/// check_map_func_compatibility(), for the map types and helpers modelled:
/// special maps only with their helpers, and those helpers only with them.
fn map_func_compatible(map_type: u32, func_id: i32) -> bool {
    let map_ok = match map_type {
        mt::PROG_ARRAY => func_id == 12,
        mt::PERF_EVENT_ARRAY => matches!(func_id, 22 | 25 | 55 | 111 | 121),
        mt::RINGBUF => matches!(func_id, 130..=134 | 198..=200),
        mt::QUEUE | mt::STACK => matches!(func_id, 87..=89),
        _ => true,
    };
    let func_ok = match func_id {
        12 => map_type == mt::PROG_ARRAY,
        25 | 22 | 55 => map_type == mt::PERF_EVENT_ARRAY,
        87..=89 => matches!(map_type, mt::QUEUE | mt::STACK | mt::BLOOM_FILTER),
        130..=134 => map_type == mt::RINGBUF,
        _ => true,
    };
    map_ok && func_ok
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

#[cfg(test)]
mod tests {
    use crate::isa::Insn;
    use crate::uapi::types::prog_type as pt;
    use crate::uapi::Errno;
    use crate::verifier::log::VerifierLog;
    use crate::verifier::{check_insns, CheckInput, VerifierMode};

    /// Programs, verdicts and error lines recorded from Linux
    /// (tests/fixtures/verifier/corpus.jsonl, family `helpers`), one a line:
    /// name | program type | program (hex) | errno (- : accepted) | the
    /// kernel's error line.
    const CORPUS: &str = "\
socket_filter_call_redirect | SOCKET_FILTER | b701000000000000b7020000000000008500000017000000b7000000000000009500000000000000 | EINVAL | program of this type cannot use helper bpf_redirect#23\n\
socket_filter_call_get_socket_cookie | SOCKET_FILTER | b701000000000000b702000000000000850000002e000000b7000000000000009500000000000000 | EACCES | R1 type=scalar expected=ctx\n\
socket_filter_call_unspec | SOCKET_FILTER | b701000000000000b7020000000000008500000000000000b7000000000000009500000000000000 | EINVAL | program of this type cannot use helper bpf_unspec#0\n\
socket_filter_call_get_socket_uid | SOCKET_FILTER | b701000000000000b702000000000000850000005e000000b7000000000000009500000000000000 | EACCES | R1 type=scalar expected=map_value, ptr_\n\
xdp_call_redirect | XDP | b701000000000000b7020000000000008500000017000000b7000000020000009500000000000000 | -\n\
printk_fmt_on_stack | SOCKET_FILTER | 620afcff68690000bfa100000000000007010000fcffffffb7020000040000008500000006000000b7000000000000009500000000000000 | -\n\
printk_size_zero | SOCKET_FILTER | 620afcff68690000bfa100000000000007010000fcffffffb7020000000000008500000006000000b7000000000000009500000000000000 | EACCES | R2 invalid zero-sized read: u64=[0,0]\n\
printk_fmt_ctx | SOCKET_FILTER | b7020000040000008500000006000000b7000000000000009500000000000000 | EACCES | R1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_\n\
probe_read_kernel_size513_dst-512 | KPROBE | bfa10000000000000701000000feffffb702000001020000b703000000000000850000007100000079a0f8ff000000009500000000000000 | EINVAL | invalid write to stack R1 off=-512 size=513\n\
socket_filter_skb_load_bytes_len16 | SOCKET_FILTER | b702000000000000bfa300000000000007030000f8ffffffb704000010000000850000001a000000b7000000000000009500000000000000 | EINVAL | invalid write to stack R3 off=-8 size=16\n\
socket_filter_skb_load_bytes_lenm1 | SOCKET_FILTER | b702000000000000bfa300000000000007030000f8ffffffb7040000ffffffff850000001a000000b7000000000000009500000000000000 | EACCES | R4 min value is negative, either use unsigned or 'var &= const'\n\
csum_diff_0_4 | SCHED_CLS | 7a0af8ff00000000bfa100000000000007010000f8ffffffb702000000000000bfa300000000000007030000f8ffffffb704000004000000b705000000000000850000001c000000b7000000000000009500000000000000 | -\n\
bpf_loop_cb_scalar | SOCKET_FILTER | b70100000a000000b702000000000000b703000000000000b70400000000000085000000b5000000b7000000000000009500000000000000 | EACCES | R2 type=scalar expected=func";

    /// One CORPUS line: (name, program type, program, errno, error line).
    fn entry(line: &str) -> (&str, u32, Vec<Insn>, Option<Errno>, &str) {
        let f: Vec<&str> = line.split(" | ").collect();
        let ty = match f[1] {
            "SOCKET_FILTER" => pt::SOCKET_FILTER,
            "XDP" => pt::XDP,
            "KPROBE" => pt::KPROBE,
            "SCHED_CLS" => pt::SCHED_CLS,
            other => panic!("program type {other}"),
        };
        let errno = match f[3] {
            "-" => None,
            "EINVAL" => Some(Errno::EINVAL),
            "EACCES" => Some(Errno::EACCES),
            other => panic!("errno {other}"),
        };
        (f[0], ty, decode(f[2]), errno, f.get(4).copied().unwrap_or(""))
    }

    fn decode(hex: &str) -> Vec<Insn> {
        (0..hex.len() / 16)
            .map(|i| {
                let mut b = [0u8; 8];
                for (j, x) in b.iter_mut().enumerate() {
                    *x = u8::from_str_radix(&hex[i * 16 + j * 2..i * 16 + j * 2 + 2], 16).unwrap();
                }
                Insn::from_bytes(b)
            })
            .collect()
    }

    fn check(insns: &[Insn], prog_type: u32, gpl_compatible: bool) -> (Result<(), Errno>, String) {
        let mut log = VerifierLog::new(1, 1, 1 << 20).unwrap();
        let input = CheckInput {
            mode: VerifierMode::Full,
            insns,
            prog_type,
            expected_attach_type: 0,
            sleepable: false,
            gpl_compatible,
            privileged: true,
            maps: &[],
            func_info: None,
            map_rodata: &[],
        };
        let r = check_insns(&input, &mut log).map(|_| ());
        (r, String::from_utf8_lossy(log.text()).into_owned())
    }

    #[test]
    fn helper_calls_agree_with_the_kernel() {
        for (name, ty, insns, errno, line) in CORPUS.lines().map(entry) {
            let (r, log) = check(&insns, ty, true);
            match errno {
                None => assert_eq!(r, Ok(()), "{name}: {log}"),
                Some(e) => {
                    assert_eq!(r, Err(e), "{name}: {log}");
                    assert!(log.lines().any(|l| l == line), "{name}: expected `{line}` in\n{log}");
                }
            }
        }
    }

    #[test]
    fn gpl_only_helpers_need_a_gpl_license() {
        // printk_fmt_on_stack, loaded without a GPL-compatible license.
        let (_, _, insns, _, _) = CORPUS.lines().map(entry).nth(5).unwrap();
        let (r, log) = check(&insns, pt::SOCKET_FILTER, false);
        assert_eq!(r, Err(Errno::EINVAL));
        assert!(log.contains("cannot call GPL-restricted function from non-GPL compatible program\n"));
    }

    #[test]
    fn the_call_clobbers_r1_to_r5_and_sets_r0() {
        // regs/r1_clobbered_by_helper, with the kernel's whole log.
        let insns = decode("b7010000010000008500000007000000bf100000000000009500000000000000");
        let (r, log) = check(&insns, pt::SOCKET_FILTER, true);
        assert_eq!(r, Err(Errno::EACCES));
        assert_eq!(
            log,
            "0: R1=ctx() R10=fp0\n0: (b7) r1 = 1                        ; R1=1\n1: (85) call bpf_get_prandom_u32#7    ; R0=scalar()\n2: (bf) r0 = r1\nR1 !read_ok\nprocessed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
        );
    }
}
