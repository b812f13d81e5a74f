//! The helper argument and return types this verifier models, as a
//! private view of the catalogue's kernel types (helpers::proto): each type
//! by what check_helper_call does with it, and for every other type the
//! kernel name the check stops with.

use crate::helpers::proto::{
    self, ArgBase, ArgType, RetType, MEM_ALIGNED, MEM_FIXED_SIZE, MEM_RDONLY, MEM_UNINIT, MEM_WRITE, OBJ_RELEASE,
    PTR_MAYBE_NULL,
};
use crate::uapi::helper_ids::func::*;

/// The argument types this verifier models: the catalogue's `ArgType`s
/// it knows, each by what the check does with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Arg {
    /// ARG_DONTCARE: the helper takes fewer arguments.
    DontCare,
    /// ARG_ANYTHING.
    Anything,
    /// ARG_SCALAR: any scalar.
    Scalar,
    /// ARG_PTR_TO_CTX.
    Ctx,
    /// ARG_PTR_TO_CTX_OR_NULL: the context, or NULL.
    CtxOrNull,
    /// ARG_CONST_MAP_PTR.
    ConstMapPtr,
    /// ARG_PTR_TO_MAP_KEY: key_size readable bytes.
    MapKey,
    /// ARG_PTR_TO_MAP_VALUE: value_size readable bytes.
    MapValue,
    /// ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE: value_size bytes the
    /// helper fills (bpf_map_pop_elem, bpf_map_peek_elem).
    MapValueUninitWrite,
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
    /// ARG_PTR_TO_FIXED_SIZE_MEM (ARG_PTR_TO_MEM | MEM_FIXED_SIZE) with
    /// MEM_WRITE, MEM_UNINIT and MEM_ALIGNED as given: the prototype's
    /// arg_size bytes, no size argument.
    FixedMem { write: bool, uninit: bool, aligned: bool },
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
pub(super) fn model_arg(t: ArgType) -> Result<Arg, &'static str> {
    let flags = t.flags;
    let exact = |f| flags == f;
    let mem_null = |f| flags == f || flags == f.union(PTR_MAYBE_NULL);
    Ok(match t.base {
        ArgBase::DontCare if flags.is_empty() => Arg::DontCare,
        ArgBase::Anything if flags.is_empty() => Arg::Anything,
        ArgBase::Scalar if flags.is_empty() => Arg::Scalar,
        ArgBase::PtrToCtx if flags.is_empty() => Arg::Ctx,
        ArgBase::PtrToCtx if exact(PTR_MAYBE_NULL) => Arg::CtxOrNull,
        ArgBase::ConstMapPtr if flags.is_empty() => Arg::ConstMapPtr,
        ArgBase::PtrToMapKey if flags.is_empty() => Arg::MapKey,
        ArgBase::PtrToMapValue if flags.is_empty() => Arg::MapValue,
        ArgBase::PtrToMapValue if exact(MEM_UNINIT.union(MEM_WRITE)) => Arg::MapValueUninitWrite,
        ArgBase::ConstAllocSizeOrZero if flags.is_empty() => Arg::ConstAllocSizeOrZero,
        ArgBase::PtrToRingbufMem if exact(OBJ_RELEASE) => Arg::RingbufMemRelease,
        ArgBase::PtrToMem if mem_null(MEM_RDONLY) => Arg::MemRead {
            maybe_null: t.has(PTR_MAYBE_NULL),
        },
        ArgBase::PtrToMem if exact(MEM_UNINIT.union(MEM_WRITE)) => Arg::MemUninitWrite,
        // Fixed-size memory, read-only or written (MEM_UNINIT only with
        // MEM_WRITE), maybe aligned; not MEM_RDONLY or PTR_MAYBE_NULL.
        ArgBase::PtrToMem
            if flags.contains(MEM_FIXED_SIZE)
                && MEM_FIXED_SIZE
                    .union(MEM_WRITE)
                    .union(MEM_UNINIT)
                    .union(MEM_ALIGNED)
                    .contains(flags)
                && (!t.has(MEM_UNINIT) || t.has(MEM_WRITE)) =>
        {
            Arg::FixedMem {
                write: t.has(MEM_WRITE),
                uninit: t.has(MEM_UNINIT),
                aligned: t.has(MEM_ALIGNED),
            }
        }
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
pub(super) enum Ret {
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
pub(super) fn model_ret(t: RetType) -> Result<Ret, &'static str> {
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
pub(super) fn expected_types(arg: Arg) -> &'static str {
    match arg {
        Arg::Ctx | Arg::CtxOrNull => "ctx",
        Arg::ConstMapPtr => "map_ptr",
        Arg::MemRead { .. }
        | Arg::MemWrite { .. }
        | Arg::MemUninitWrite
        | Arg::FixedMem { .. }
        | Arg::MapKey
        | Arg::MapValue
        | Arg::MapValueUninitWrite => "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
        Arg::ConstStr => "map_value",
        Arg::ConstSize | Arg::ConstSizeOrZero | Arg::ConstAllocSizeOrZero | Arg::Scalar => "scalar",
        Arg::RingbufMemRelease => "ringbuf_mem",
        Arg::SpinLock => "map_value, ptr_",
        Arg::Func => "func",
        Arg::StackOrNull => "fp",
        Arg::DontCare | Arg::Anything => "",
    }
}

/// Helpers with checks of their own in check_helper_call() (callbacks,
/// dynptrs, per-CPU pointers, stacks, return-value ranges, ...) that this
/// verifier does not make yet: the call stops there rather than pass
/// unchecked.
pub(super) fn unmodelled_helper_checks(id: i32) -> Option<&'static str> {
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
