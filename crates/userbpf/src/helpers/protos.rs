//! Helper prototypes as data (the kernel's `struct bpf_func_proto`), for
//! the helpers the verifier models so far. Which program types may call
//! which helper is [`super::availability`].
//!
//! A helper missing from [`proto`] is "not modelled": the verifier stops
//! instead of guessing.

/// What a helper returns (enum bpf_return_type), as far as modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetType {
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

/// An argument's type (enum bpf_arg_type with its flags), as far as
/// modelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    /// ARG_DONTCARE: the helper takes fewer arguments.
    DontCare,
    /// ARG_ANYTHING.
    Anything,
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
    /// ARG_PTR_TO_MEM | MEM_WRITE (`maybe_null`: ARG_PTR_TO_MEM_OR_NULL):
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
    /// Any other argument type: the check stops at it (not modelled).
    Other,
}

/// One helper's prototype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proto {
    pub id: i32,
    pub gpl_only: bool,
    pub ret: RetType,
    pub args: [ArgType; 5],
}

use ArgType::*;

const NONE: [ArgType; 5] = [DontCare; 5];

const fn p(id: i32, gpl_only: bool, ret: RetType, args: [ArgType; 5]) -> Proto {
    Proto {
        id,
        gpl_only,
        ret,
        args,
    }
}

const RD: ArgType = MemRead { maybe_null: false };
const RD_NULL: ArgType = MemRead { maybe_null: true };
const INT: RetType = RetType::Integer;

/// The prototypes modelled (kernel/bpf/helpers.c, kernel/trace/bpf_trace.c,
/// net/core/filter.c).
pub const PROTOS: &[Proto] = &[
    // bpf_map_lookup_elem, bpf_map_update_elem, bpf_map_delete_elem
    p(
        1,
        false,
        RetType::MapValueOrNull,
        [ConstMapPtr, MapKey, DontCare, DontCare, DontCare],
    ),
    p(2, false, INT, [ConstMapPtr, MapKey, MapValue, Anything, DontCare]),
    p(3, false, INT, [ConstMapPtr, MapKey, DontCare, DontCare, DontCare]),
    // bpf_ringbuf_output, _reserve, _submit, _discard, _query
    p(130, false, INT, [ConstMapPtr, RD, ConstSizeOrZero, Anything, DontCare]),
    p(
        131,
        false,
        RetType::RingbufMemOrNull,
        [ConstMapPtr, ConstAllocSizeOrZero, Anything, DontCare, DontCare],
    ),
    p(
        132,
        false,
        RetType::Void,
        [RingbufMemRelease, Anything, DontCare, DontCare, DontCare],
    ),
    p(
        133,
        false,
        RetType::Void,
        [RingbufMemRelease, Anything, DontCare, DontCare, DontCare],
    ),
    p(134, false, INT, [ConstMapPtr, Anything, DontCare, DontCare, DontCare]),
    // bpf_probe_read, bpf_probe_read_str (the compat forms)
    p(
        4,
        true,
        INT,
        [MemUninitWrite, ConstSizeOrZero, Anything, DontCare, DontCare],
    ),
    p(5, false, INT, NONE),
    p(6, true, INT, [RD, ConstSize, DontCare, DontCare, DontCare]),
    p(7, false, INT, NONE),
    p(8, false, INT, NONE),
    // bpf_skb_store_bytes
    p(9, false, INT, [Ctx, Anything, RD, ConstSize, Anything]),
    // bpf_tail_call
    p(
        12,
        false,
        RetType::Void,
        [Ctx, ConstMapPtr, Anything, DontCare, DontCare],
    ),
    p(14, false, INT, NONE),
    p(15, false, INT, NONE),
    p(
        16,
        false,
        INT,
        [MemUninitWrite, ConstSize, DontCare, DontCare, DontCare],
    ),
    // bpf_redirect
    p(23, false, INT, [Anything, Anything, DontCare, DontCare, DontCare]),
    // bpf_perf_event_output
    p(25, true, INT, [Ctx, ConstMapPtr, Anything, RD, ConstSizeOrZero]),
    // bpf_skb_load_bytes (and bpf_flow_dissector_load_bytes)
    p(26, false, INT, [Ctx, Anything, MemUninitWrite, ConstSize, DontCare]),
    // bpf_csum_diff
    p(
        28,
        false,
        INT,
        [RD_NULL, ConstSizeOrZero, RD_NULL, ConstSizeOrZero, Anything],
    ),
    // bpf_get_hash_recalc
    p(34, false, INT, [Ctx, DontCare, DontCare, DontCare, DontCare]),
    // bpf_get_current_task
    p(35, true, INT, NONE),
    p(44, false, INT, [Ctx, Anything, DontCare, DontCare, DontCare]),
    p(
        45,
        true,
        INT,
        [MemUninitWrite, ConstSizeOrZero, Anything, DontCare, DontCare],
    ),
    // bpf_get_socket_cookie, bpf_get_socket_uid
    p(46, false, INT, [Ctx, DontCare, DontCare, DontCare, DontCare]),
    p(47, false, INT, [Ctx, DontCare, DontCare, DontCare, DontCare]),
    p(65, false, INT, [Ctx, Anything, DontCare, DontCare, DontCare]),
    p(80, false, INT, NONE),
    // bpf_spin_lock, bpf_spin_unlock
    p(
        93,
        false,
        RetType::Void,
        [SpinLock, DontCare, DontCare, DontCare, DontCare],
    ),
    p(
        94,
        false,
        RetType::Void,
        [SpinLock, DontCare, DontCare, DontCare, DontCare],
    ),
    // bpf_snprintf(str, str_size, fmt, data, data_len)
    p(
        165,
        true,
        INT,
        [
            MemWrite { maybe_null: true },
            ConstSizeOrZero,
            ConstStr,
            MemRead { maybe_null: true },
            ConstSizeOrZero,
        ],
    ),
    // bpf_probe_read_user, _kernel, _user_str, _kernel_str
    p(
        112,
        true,
        INT,
        [MemUninitWrite, ConstSizeOrZero, Anything, DontCare, DontCare],
    ),
    p(
        113,
        true,
        INT,
        [MemUninitWrite, ConstSizeOrZero, Anything, DontCare, DontCare],
    ),
    p(
        114,
        true,
        INT,
        [MemUninitWrite, ConstSizeOrZero, Anything, DontCare, DontCare],
    ),
    p(
        115,
        true,
        INT,
        [MemUninitWrite, ConstSizeOrZero, Anything, DontCare, DontCare],
    ),
    // bpf_strtol, bpf_strtoul (the result pointer, ARG_PTR_TO_FIXED_SIZE_MEM,
    // is not modelled: the check stops there)
    p(105, false, INT, [RD, ConstSize, Anything, Other, DontCare]),
    p(106, false, INT, [RD, ConstSize, Anything, Other, DontCare]),
    p(118, false, INT, NONE),
    p(125, false, INT, NONE),
    // bpf_loop
    p(181, false, INT, [Anything, Func, StackOrNull, Anything, DontCare]),
    // bpf_for_each_map_elem
    p(164, false, INT, [ConstMapPtr, Func, StackOrNull, Anything, DontCare]),
    // bpf_cgrp_storage_delete
    p(211, false, INT, [ConstMapPtr, Other, DontCare, DontCare, DontCare]),
];

/// The prototype of helper `id`, when modelled.
pub fn proto(id: i32) -> Option<&'static Proto> {
    PROTOS.iter().find(|p| p.id == id)
}

/// Helpers that may change packet data (bpf_helper_changes_pkt_data()):
/// after a call, every packet pointer is invalid.
pub fn changes_pkt_data(id: i32) -> bool {
    matches!(
        id,
        9 | 10 | 11 | 13 | 18 | 19 | 31 | 38 | 39 | 43 | 44 | 50 | 54 | 63 | 65 | 73 | 74 | 75 | 76 | 90 | 91 | 143
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protos_are_unique_and_in_range() {
        for (i, a) in PROTOS.iter().enumerate() {
            assert!((1..crate::uapi::helper_ids::HELPER_COUNT as i32).contains(&a.id));
            assert!(PROTOS[i + 1..].iter().all(|b| b.id != a.id), "duplicate {}", a.id);
        }
    }
}
