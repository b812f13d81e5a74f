//! check_helper_call(): a call to a kernel helper, in the kernel's order
//! and with its messages: the id, whether the program type may use the
//! helper, the GPL rule, each argument (check_func_arg: readability, type,
//! offset, memory and size pairs), the raw-mode stack writes, then the
//! caller-saved registers and R0 by the return type.

use super::do_check::{Env, Res, Stop};
use crate::helpers::availability;
use crate::helpers::proto::{
    self, ArgBase, ArgType, MapCompat, RetType, MEM_RDONLY, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE, PTR_MAYBE_NULL,
};
use crate::uapi::helper_ids::func::*;
use crate::uapi::helper_ids::{HELPER_COUNT, HELPER_NAMES};
use crate::uapi::types::map_type as mt;
use crate::uapi::types::prog_type as pt;
use crate::uapi::Errno;
use crate::verifier::reg::{MapShape, RegState, RegType};
use crate::verifier::state::{SlotType, VerifierState};

/// BPF_MAX_VAR_SIZ.
const MAX_VAR_SIZ: u64 = 1 << 29;
/// MAX_ERRNO.
const MAX_ERRNO: i64 = 4095;

/// The argument types this verifier models: the catalogue's `ArgType`s
/// it knows, each by what the check does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arg {
    /// ARG_DONTCARE: the helper takes fewer arguments.
    DontCare,
    /// ARG_ANYTHING.
    Anything,
    /// ARG_SCALAR: any scalar.
    Scalar,
    /// ARG_PTR_TO_CTX.
    Ctx,
    /// ARG_CONST_MAP_PTR.
    ConstMapPtr,
    /// ARG_PTR_TO_MAP_KEY: key_size readable bytes.
    MapKey,
    /// ARG_PTR_TO_MAP_VALUE: value_size readable bytes.
    MapValue,
    /// ARG_CONST_ALLOC_SIZE_OR_ZERO: a known constant.
    ConstAllocSizeOrZero,
    /// ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE: the record to release.
    RingbufMemRelease,
    /// ARG_PTR_TO_MEM | MEM_RDONLY (`maybe_null`: | PTR_MAYBE_NULL).
    MemRead { maybe_null: bool },
    /// ARG_PTR_TO_UNINIT_MEM (ARG_PTR_TO_MEM | MEM_UNINIT | MEM_WRITE).
    MemUninitWrite,
    /// ARG_PTR_TO_MEM | MEM_WRITE (`maybe_null`: | PTR_MAYBE_NULL):
    /// initialized memory the helper writes.
    MemWrite { maybe_null: bool },
    /// ARG_PTR_TO_CONST_STR: a NUL-terminated string in a read-only map.
    ConstStr,
    /// ARG_CONST_SIZE.
    ConstSize,
    /// ARG_CONST_SIZE_OR_ZERO.
    ConstSizeOrZero,
    /// ARG_PTR_TO_SPIN_LOCK.
    SpinLock,
    /// ARG_PTR_TO_FUNC.
    Func,
    /// ARG_PTR_TO_STACK_OR_NULL: a stack pointer (a callback's context)
    /// or NULL.
    StackOrNull,
}

/// The model of a catalogue argument type; the kernel's name of the type
/// when it is not modelled (the check stops there, it never guesses).
fn model_arg(t: ArgType) -> Result<Arg, &'static str> {
    let flags = t.flags;
    let exact = |f| flags == f;
    let mem_null = |f| flags == f || flags == f.union(PTR_MAYBE_NULL);
    Ok(match t.base {
        ArgBase::DontCare if flags.is_empty() => Arg::DontCare,
        ArgBase::Anything if flags.is_empty() => Arg::Anything,
        ArgBase::Scalar if flags.is_empty() => Arg::Scalar,
        ArgBase::PtrToCtx if flags.is_empty() => Arg::Ctx,
        ArgBase::ConstMapPtr if flags.is_empty() => Arg::ConstMapPtr,
        ArgBase::PtrToMapKey if flags.is_empty() => Arg::MapKey,
        ArgBase::PtrToMapValue if flags.is_empty() => Arg::MapValue,
        ArgBase::ConstAllocSizeOrZero if flags.is_empty() => Arg::ConstAllocSizeOrZero,
        ArgBase::PtrToRingbufMem if exact(OBJ_RELEASE) => Arg::RingbufMemRelease,
        ArgBase::PtrToMem if mem_null(MEM_RDONLY) => Arg::MemRead {
            maybe_null: t.has(PTR_MAYBE_NULL),
        },
        ArgBase::PtrToMem if exact(MEM_UNINIT.union(MEM_WRITE)) => Arg::MemUninitWrite,
        ArgBase::PtrToMem if mem_null(MEM_WRITE) => Arg::MemWrite {
            maybe_null: t.has(PTR_MAYBE_NULL),
        },
        ArgBase::PtrToConstStr if flags.is_empty() => Arg::ConstStr,
        ArgBase::ConstSize if flags.is_empty() => Arg::ConstSize,
        ArgBase::ConstSizeOrZero if flags.is_empty() => Arg::ConstSizeOrZero,
        ArgBase::PtrToSpinLock if flags.is_empty() => Arg::SpinLock,
        ArgBase::PtrToFunc if flags.is_empty() => Arg::Func,
        ArgBase::PtrToStack if exact(PTR_MAYBE_NULL) => Arg::StackOrNull,
        ArgBase::PtrToMem => return Err(mem_unsupported(flags)),
        base if flags.contains(PTR_MAYBE_NULL) => return Err(or_null_unsupported(base)),
        base => return Err(base.unsupported()),
    })
}

/// The kernel's name of an unmodelled ARG_PTR_TO_MEM variant.
fn mem_unsupported(flags: proto::TypeFlags) -> &'static str {
    if flags.contains(proto::MEM_FIXED_SIZE) {
        "helper argument type ARG_PTR_TO_FIXED_SIZE_MEM"
    } else if flags.contains(PTR_MAYBE_NULL) {
        "helper argument type ARG_PTR_TO_MEM_OR_NULL without MEM_RDONLY or MEM_WRITE"
    } else {
        "helper argument type ARG_PTR_TO_MEM without MEM_RDONLY or MEM_WRITE"
    }
}

/// The kernel's name of an unmodelled `..._OR_NULL` argument type.
fn or_null_unsupported(base: ArgBase) -> &'static str {
    match base {
        ArgBase::PtrToMapValue => "helper argument type ARG_PTR_TO_MAP_VALUE_OR_NULL",
        ArgBase::PtrToCtx => "helper argument type ARG_PTR_TO_CTX_OR_NULL",
        ArgBase::PtrToSocket => "helper argument type ARG_PTR_TO_SOCKET_OR_NULL",
        ArgBase::PtrToStack => "helper argument type ARG_PTR_TO_STACK_OR_NULL",
        ArgBase::PtrToBtfId => "helper argument type ARG_PTR_TO_BTF_ID_OR_NULL",
        other => other.unsupported(),
    }
}

/// The return types this verifier models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ret {
    /// RET_INTEGER: an unknown scalar.
    Integer,
    /// RET_VOID: R0 is not readable after the call.
    Void,
    /// RET_PTR_TO_MAP_VALUE_OR_NULL: a pointer into the map of the
    /// ARG_CONST_MAP_PTR argument, or NULL.
    MapValueOrNull,
    /// RET_PTR_TO_RINGBUF_MEM_OR_NULL: an acquired reference to a record
    /// of the ARG_CONST_ALLOC_SIZE_OR_ZERO size, or NULL.
    RingbufMemOrNull,
}

/// The model of a catalogue return type, or its kernel name.
fn model_ret(t: RetType) -> Result<Ret, &'static str> {
    Ok(match t {
        proto::RET_INTEGER => Ret::Integer,
        proto::RET_VOID => Ret::Void,
        proto::RET_PTR_TO_MAP_VALUE_OR_NULL => Ret::MapValueOrNull,
        proto::RET_PTR_TO_RINGBUF_MEM_OR_NULL => Ret::RingbufMemOrNull,
        other => return Err(other.unsupported()),
    })
}

/// The compatible register types of an argument type (compatible_reg_types),
/// as the kernel prints them.
fn expected_types(arg: Arg) -> &'static str {
    match arg {
        Arg::Ctx => "ctx",
        Arg::ConstMapPtr => "map_ptr",
        Arg::MemRead { .. } | Arg::MemWrite { .. } | Arg::MemUninitWrite | Arg::MapKey | Arg::MapValue => {
            "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
        }
        Arg::ConstStr => "map_value",
        Arg::ConstSize | Arg::ConstSizeOrZero | Arg::ConstAllocSizeOrZero | Arg::Scalar => "scalar",
        Arg::RingbufMemRelease => "ringbuf_mem",
        Arg::SpinLock => "map_value, ptr_",
        Arg::Func => "func",
        Arg::StackOrNull => "fp",
        Arg::DontCare | Arg::Anything => "",
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
                Arg::MemRead { maybe_null: true } | Arg::MemWrite { maybe_null: true } | Arg::StackOrNull
            ) && is_null;
            if !skip_type_check {
                let ok = match arg {
                    Arg::Ctx => reg.ty == RegType::Ctx,
                    Arg::ConstMapPtr => reg.ty == RegType::MapPtr,
                    Arg::MemRead { .. } | Arg::MemWrite { .. } | Arg::MemUninitWrite | Arg::MapKey | Arg::MapValue => {
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
                Arg::MapKey | Arg::MapValue => {
                    let Some(map) = meta_map else {
                        return Err(self.reject(Errno::EACCES, "invalid map_ptr to access map->key\n".into()));
                    };
                    let size = if arg == Arg::MapKey {
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
        let ret = model_ret(proto.ret_type).map_err(Stop::Unsupported)?;
        if id == BPF_FUNC_SNPRINTF {
            self.check_bpf_snprintf_call(st, const_str.as_deref().unwrap_or_default())?;
        }
        // record_func_key(): a tail call needs a prog array (the kernel
        // prints this one without a newline).
        if id == BPF_FUNC_TAIL_CALL && meta_map.is_none_or(|m| m.map_type != mt::PROG_ARRAY) {
            return Err(self.reject(Errno::EINVAL, "expected prog array map for tail call".into()));
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

/// Helpers with checks of their own in check_helper_call() (callbacks,
/// dynptrs, per-CPU pointers, stacks, return-value ranges, ...) that this
/// verifier does not make yet: the call stops there rather than pass
/// unchecked.
fn unmodelled_helper_checks(id: i32) -> Option<&'static str> {
    Some(match id {
        BPF_FUNC_GET_LOCAL_STORAGE => "bpf_get_local_storage's checks",
        // bpf_loop and bpf_for_each_map_elem are verified (callbacks.rs).
        BPF_FUNC_TIMER_SET_CALLBACK | BPF_FUNC_FIND_VMA | BPF_FUNC_USER_RINGBUF_DRAIN => "helper callbacks",
        BPF_FUNC_DYNPTR_FROM_MEM | BPF_FUNC_DYNPTR_DATA | BPF_FUNC_DYNPTR_WRITE => "dynptr helpers",
        BPF_FUNC_SET_RETVAL => "bpf_set_retval's return-value range",
        BPF_FUNC_PER_CPU_PTR | BPF_FUNC_THIS_CPU_PTR => "per-CPU pointer helpers",
        BPF_FUNC_GET_STACK | BPF_FUNC_GET_TASK_STACK | BPF_FUNC_GET_STACKID => "stack trace helpers",
        BPF_FUNC_GET_FUNC_IP => "bpf_get_func_ip's program type check",
        BPF_FUNC_KPTR_XCHG => "bpf_kptr_xchg",
        _ => return None,
    })
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
            strict_alignment: false,
            kernel_btf: None,
            jit_requested: true,
            fd_array: false,
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
