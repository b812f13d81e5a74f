//! The helper catalogue: every helper prototype of the kernel (its
//! `struct bpf_func_proto` variables), one `static` per kernel variable,
//! named as the kernel names it, uppercased (`bpf_skb_load_bytes_proto` is
//! [`BPF_SKB_LOAD_BYTES_PROTO`]). A helper with program-type-specific
//! variants has one static per variant; which variant a program type gets
//! is its `get_func_proto` ([`super::availability`]).
//!
//! The types are the kernel's (include/linux/bpf.h): `enum bpf_arg_type`
//! and `enum bpf_return_type` are a base type plus `enum bpf_type_flag`
//! bits, so a row reads like the kernel's initialiser:
//! `ARG_PTR_TO_MEM.with(MEM_RDONLY)` is `ARG_PTR_TO_MEM | MEM_RDONLY`.
//!
//! The rows come from Linux 6.12: kernel/bpf/helpers.c (helpers_core.rs),
//! the other kernel/bpf/*.c files (kernel_bpf.rs), kernel/trace/bpf_trace.c
//! (trace.rs), net/core/filter.c (net_skb.rs, net_xdp.rs, net_sock.rs),
//! net/core/sock_map.c, net/core/bpf_sk_storage.c and
//! net/ipv4/bpf_tcp_ca.c (sock_storage.rs), drivers/media/rc/bpf-lirc.c
//! (lirc.rs). BTF types are named by string; resolving them against BTF is
//! the caller's job.

use crate::uapi::helper_ids::{func::*, helper_name, HELPER_COUNT};
use std::sync::OnceLock;

/// `enum bpf_type_flag`: modifiers on an argument or return type. The
/// bit positions are the kernel's, counted from its first flag bit.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TypeFlags(u32);

impl TypeFlags {
    /// No flag.
    pub const NONE: TypeFlags = TypeFlags(0);

    /// Both sets of flags (the kernel's `|`).
    pub const fn union(self, other: TypeFlags) -> TypeFlags {
        TypeFlags(self.0 | other.0)
    }

    /// Whether every flag of `other` is set.
    pub const fn contains(self, other: TypeFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// The flags, with the kernel's names, in bit order.
const FLAG_NAMES: [(TypeFlags, &str); 19] = [
    (PTR_MAYBE_NULL, "PTR_MAYBE_NULL"),
    (MEM_RDONLY, "MEM_RDONLY"),
    (MEM_RINGBUF, "MEM_RINGBUF"),
    (MEM_USER, "MEM_USER"),
    (MEM_PERCPU, "MEM_PERCPU"),
    (OBJ_RELEASE, "OBJ_RELEASE"),
    (PTR_UNTRUSTED, "PTR_UNTRUSTED"),
    (MEM_UNINIT, "MEM_UNINIT"),
    (DYNPTR_TYPE_LOCAL, "DYNPTR_TYPE_LOCAL"),
    (DYNPTR_TYPE_RINGBUF, "DYNPTR_TYPE_RINGBUF"),
    (MEM_FIXED_SIZE, "MEM_FIXED_SIZE"),
    (MEM_ALLOC, "MEM_ALLOC"),
    (PTR_TRUSTED, "PTR_TRUSTED"),
    (MEM_RCU, "MEM_RCU"),
    (NON_OWN_REF, "NON_OWN_REF"),
    (DYNPTR_TYPE_SKB, "DYNPTR_TYPE_SKB"),
    (DYNPTR_TYPE_XDP, "DYNPTR_TYPE_XDP"),
    (MEM_ALIGNED, "MEM_ALIGNED"),
    (MEM_WRITE, "MEM_WRITE"),
];

impl std::fmt::Debug for TypeFlags {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = FLAG_NAMES
            .iter()
            .filter(|(flag, _)| self.contains(*flag))
            .map(|&(_, n)| n)
            .collect();
        if names.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(&names.join(" | "))
        }
    }
}

/// The pointer may be NULL.
pub const PTR_MAYBE_NULL: TypeFlags = TypeFlags(1 << 0);
/// Read-only memory; on an argument: read-only memory is accepted too.
pub const MEM_RDONLY: TypeFlags = TypeFlags(1 << 1);
/// Memory of a ring buffer reservation.
pub const MEM_RINGBUF: TypeFlags = TypeFlags(1 << 2);
/// Memory in user space.
pub const MEM_USER: TypeFlags = TypeFlags(1 << 3);
/// Per-CPU memory.
pub const MEM_PERCPU: TypeFlags = TypeFlags(1 << 4);
/// The helper releases the argument's reference.
pub const OBJ_RELEASE: TypeFlags = TypeFlags(1 << 5);
/// A pointer that may be dereferenced but not passed on.
pub const PTR_UNTRUSTED: TypeFlags = TypeFlags(1 << 6);
/// The memory need not be initialized (the helper fills it).
pub const MEM_UNINIT: TypeFlags = TypeFlags(1 << 7);
/// A dynptr to program-local memory.
pub const DYNPTR_TYPE_LOCAL: TypeFlags = TypeFlags(1 << 8);
/// A dynptr to a ring buffer record.
pub const DYNPTR_TYPE_RINGBUF: TypeFlags = TypeFlags(1 << 9);
/// The size is the prototype's `arg_size`, not the next argument.
pub const MEM_FIXED_SIZE: TypeFlags = TypeFlags(1 << 10);
/// An object of a program BTF type from bpf_obj_new.
pub const MEM_ALLOC: TypeFlags = TypeFlags(1 << 11);
/// A pointer the kernel guarantees valid.
pub const PTR_TRUSTED: TypeFlags = TypeFlags(1 << 12);
/// Memory under RCU protection.
pub const MEM_RCU: TypeFlags = TypeFlags(1 << 13);
/// A non-owning reference (linked list and rbtree nodes).
pub const NON_OWN_REF: TypeFlags = TypeFlags(1 << 14);
/// A dynptr to an sk_buff.
pub const DYNPTR_TYPE_SKB: TypeFlags = TypeFlags(1 << 15);
/// A dynptr to an xdp_buff.
pub const DYNPTR_TYPE_XDP: TypeFlags = TypeFlags(1 << 16);
/// The memory must be aligned (with MEM_FIXED_SIZE).
pub const MEM_ALIGNED: TypeFlags = TypeFlags(1 << 17);
/// The helper writes the memory (read too unless MEM_UNINIT).
pub const MEM_WRITE: TypeFlags = TypeFlags(1 << 18);

/// Declares a base enum whose variants carry the kernel's name and the
/// `Stop::Unsupported` text naming it.
macro_rules! kernel_enum {
    ($(#[$m:meta])* $name:ident, $what:literal { $($(#[$vm:meta])* $v:ident = $k:ident,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v,)*
        }

        impl $name {
            /// The kernel's name of this base type.
            pub const fn kernel_name(self) -> &'static str {
                match self {
                    $($name::$v => stringify!($k),)*
                }
            }

            /// "helper argument type ARG_...": what a verifier that does
            /// not model this type stops with.
            pub const fn unsupported(self) -> &'static str {
                match self {
                    $($name::$v => concat!($what, " ", stringify!($k)),)*
                }
            }
        }
    };
}

kernel_enum! {
    /// `enum bpf_arg_type`, the base part.
    ArgBase, "helper argument type" {
        /// Unused argument.
        DontCare = ARG_DONTCARE,
        /// A map (the ld_imm64 of a map fd).
        ConstMapPtr = ARG_CONST_MAP_PTR,
        /// key_size bytes of readable memory.
        PtrToMapKey = ARG_PTR_TO_MAP_KEY,
        /// value_size bytes of memory.
        PtrToMapValue = ARG_PTR_TO_MAP_VALUE,
        /// Memory (stack, packet, map value, ...); its size is the next
        /// argument or, with MEM_FIXED_SIZE, the prototype's arg_size.
        PtrToMem = ARG_PTR_TO_MEM,
        /// An arena pointer (no helper takes one; kfuncs do).
        #[allow(dead_code)]
        PtrToArena = ARG_PTR_TO_ARENA,
        /// The size of the preceding memory argument, not zero.
        ConstSize = ARG_CONST_SIZE,
        /// The size of the preceding memory argument, zero allowed.
        ConstSizeOrZero = ARG_CONST_SIZE_OR_ZERO,
        /// The program's context.
        PtrToCtx = ARG_PTR_TO_CTX,
        /// Any initialized value.
        Anything = ARG_ANYTHING,
        /// A scalar.
        Scalar = ARG_SCALAR,
        /// A bpf_spin_lock in a map value.
        PtrToSpinLock = ARG_PTR_TO_SPIN_LOCK,
        /// A sock_common.
        PtrToSockCommon = ARG_PTR_TO_SOCK_COMMON,
        /// A full socket (bpf_sock).
        PtrToSocket = ARG_PTR_TO_SOCKET,
        /// An in-kernel struct, of the prototype's arg_btf_id.
        PtrToBtfId = ARG_PTR_TO_BTF_ID,
        /// A ring buffer reservation.
        PtrToRingbufMem = ARG_PTR_TO_RINGBUF_MEM,
        /// A known constant: the size to allocate.
        ConstAllocSizeOrZero = ARG_CONST_ALLOC_SIZE_OR_ZERO,
        /// An in-kernel sock_common, or a bpf_sock.
        PtrToBtfIdSockCommon = ARG_PTR_TO_BTF_ID_SOCK_COMMON,
        /// An in-kernel per-CPU variable.
        PtrToPercpuBtfId = ARG_PTR_TO_PERCPU_BTF_ID,
        /// A BPF function (callback).
        PtrToFunc = ARG_PTR_TO_FUNC,
        /// A stack pointer.
        PtrToStack = ARG_PTR_TO_STACK,
        /// A NUL-terminated string in a read-only map.
        PtrToConstStr = ARG_PTR_TO_CONST_STR,
        /// A bpf_timer in a map value.
        PtrToTimer = ARG_PTR_TO_TIMER,
        /// A kptr field of a map value.
        KptrXchgDest = ARG_KPTR_XCHG_DEST,
        /// A bpf_dynptr on the stack.
        PtrToDynptr = ARG_PTR_TO_DYNPTR,
    }
}

kernel_enum! {
    /// `enum bpf_return_type`, the base part.
    RetBase, "helper return type" {
        /// An unknown scalar.
        Integer = RET_INTEGER,
        /// Nothing: R0 is unreadable after the call.
        Void = RET_VOID,
        /// A value of the map argument.
        PtrToMapValue = RET_PTR_TO_MAP_VALUE,
        /// A full socket.
        PtrToSocket = RET_PTR_TO_SOCKET,
        /// A tcp_sock.
        PtrToTcpSock = RET_PTR_TO_TCP_SOCK,
        /// A sock_common.
        PtrToSockCommon = RET_PTR_TO_SOCK_COMMON,
        /// Memory (of the alloc size argument, or a dynptr's).
        PtrToMem = RET_PTR_TO_MEM,
        /// Memory, or an in-kernel struct (per-CPU variable pointers).
        PtrToMemOrBtfId = RET_PTR_TO_MEM_OR_BTF_ID,
        /// An in-kernel struct of the prototype's ret_btf_id.
        PtrToBtfId = RET_PTR_TO_BTF_ID,
    }
}

/// An argument's type: `enum bpf_arg_type` (a base and flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ArgType {
    pub base: ArgBase,
    pub flags: TypeFlags,
}

impl ArgType {
    const fn of(base: ArgBase) -> ArgType {
        ArgType {
            base,
            flags: TypeFlags::NONE,
        }
    }

    /// This type with `flag` added (the kernel's `|`).
    pub const fn with(self, flag: TypeFlags) -> ArgType {
        ArgType {
            base: self.base,
            flags: self.flags.union(flag),
        }
    }

    /// Whether `flag` is set.
    pub const fn has(self, flag: TypeFlags) -> bool {
        self.flags.contains(flag)
    }
}

/// A return type: `enum bpf_return_type` (a base and flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RetType {
    pub base: RetBase,
    pub flags: TypeFlags,
}

impl RetType {
    const fn of(base: RetBase) -> RetType {
        RetType {
            base,
            flags: TypeFlags::NONE,
        }
    }

    /// This type with `flag` added (the kernel's `|`).
    pub const fn with(self, flag: TypeFlags) -> RetType {
        RetType {
            base: self.base,
            flags: self.flags.union(flag),
        }
    }

    /// The kernel's name of this return type where it has one
    /// (RET_PTR_TO_SOCKET_OR_NULL, ...), else the base's: what a verifier
    /// that does not model it stops with.
    pub fn unsupported(self) -> &'static str {
        const NAMED: [(RetType, &str); 8] = [
            (
                RET_PTR_TO_MAP_VALUE_OR_NULL,
                "helper return type RET_PTR_TO_MAP_VALUE_OR_NULL",
            ),
            (
                RET_PTR_TO_SOCKET_OR_NULL,
                "helper return type RET_PTR_TO_SOCKET_OR_NULL",
            ),
            (
                RET_PTR_TO_TCP_SOCK_OR_NULL,
                "helper return type RET_PTR_TO_TCP_SOCK_OR_NULL",
            ),
            (
                RET_PTR_TO_SOCK_COMMON_OR_NULL,
                "helper return type RET_PTR_TO_SOCK_COMMON_OR_NULL",
            ),
            (
                RET_PTR_TO_RINGBUF_MEM_OR_NULL,
                "helper return type RET_PTR_TO_RINGBUF_MEM_OR_NULL",
            ),
            (
                RET_PTR_TO_DYNPTR_MEM_OR_NULL,
                "helper return type RET_PTR_TO_DYNPTR_MEM_OR_NULL",
            ),
            (
                RET_PTR_TO_BTF_ID_OR_NULL,
                "helper return type RET_PTR_TO_BTF_ID_OR_NULL",
            ),
            (
                RET_PTR_TO_BTF_ID_TRUSTED,
                "helper return type RET_PTR_TO_BTF_ID_TRUSTED",
            ),
        ];
        NAMED
            .iter()
            .find(|(t, _)| *t == self)
            .map_or(self.base.unsupported(), |&(_, n)| n)
    }
}

pub const ARG_DONTCARE: ArgType = ArgType::of(ArgBase::DontCare);
pub const ARG_CONST_MAP_PTR: ArgType = ArgType::of(ArgBase::ConstMapPtr);
pub const ARG_PTR_TO_MAP_KEY: ArgType = ArgType::of(ArgBase::PtrToMapKey);
pub const ARG_PTR_TO_MAP_VALUE: ArgType = ArgType::of(ArgBase::PtrToMapValue);
pub const ARG_PTR_TO_MEM: ArgType = ArgType::of(ArgBase::PtrToMem);
#[allow(dead_code)] // no helper takes one; kfuncs do
pub const ARG_PTR_TO_ARENA: ArgType = ArgType::of(ArgBase::PtrToArena);
pub const ARG_CONST_SIZE: ArgType = ArgType::of(ArgBase::ConstSize);
pub const ARG_CONST_SIZE_OR_ZERO: ArgType = ArgType::of(ArgBase::ConstSizeOrZero);
pub const ARG_PTR_TO_CTX: ArgType = ArgType::of(ArgBase::PtrToCtx);
pub const ARG_ANYTHING: ArgType = ArgType::of(ArgBase::Anything);
pub const ARG_SCALAR: ArgType = ArgType::of(ArgBase::Scalar);
pub const ARG_PTR_TO_SPIN_LOCK: ArgType = ArgType::of(ArgBase::PtrToSpinLock);
pub const ARG_PTR_TO_SOCK_COMMON: ArgType = ArgType::of(ArgBase::PtrToSockCommon);
pub const ARG_PTR_TO_SOCKET: ArgType = ArgType::of(ArgBase::PtrToSocket);
pub const ARG_PTR_TO_BTF_ID: ArgType = ArgType::of(ArgBase::PtrToBtfId);
pub const ARG_PTR_TO_RINGBUF_MEM: ArgType = ArgType::of(ArgBase::PtrToRingbufMem);
pub const ARG_CONST_ALLOC_SIZE_OR_ZERO: ArgType = ArgType::of(ArgBase::ConstAllocSizeOrZero);
pub const ARG_PTR_TO_BTF_ID_SOCK_COMMON: ArgType = ArgType::of(ArgBase::PtrToBtfIdSockCommon);
pub const ARG_PTR_TO_PERCPU_BTF_ID: ArgType = ArgType::of(ArgBase::PtrToPercpuBtfId);
pub const ARG_PTR_TO_FUNC: ArgType = ArgType::of(ArgBase::PtrToFunc);
pub const ARG_PTR_TO_STACK: ArgType = ArgType::of(ArgBase::PtrToStack);
pub const ARG_PTR_TO_CONST_STR: ArgType = ArgType::of(ArgBase::PtrToConstStr);
pub const ARG_PTR_TO_TIMER: ArgType = ArgType::of(ArgBase::PtrToTimer);
pub const ARG_KPTR_XCHG_DEST: ArgType = ArgType::of(ArgBase::KptrXchgDest);
pub const ARG_PTR_TO_DYNPTR: ArgType = ArgType::of(ArgBase::PtrToDynptr);
// The kernel's named combinations.
pub const ARG_PTR_TO_MAP_VALUE_OR_NULL: ArgType = ARG_PTR_TO_MAP_VALUE.with(PTR_MAYBE_NULL);
pub const ARG_PTR_TO_MEM_OR_NULL: ArgType = ARG_PTR_TO_MEM.with(PTR_MAYBE_NULL);
pub const ARG_PTR_TO_CTX_OR_NULL: ArgType = ARG_PTR_TO_CTX.with(PTR_MAYBE_NULL);
pub const ARG_PTR_TO_SOCKET_OR_NULL: ArgType = ARG_PTR_TO_SOCKET.with(PTR_MAYBE_NULL);
pub const ARG_PTR_TO_STACK_OR_NULL: ArgType = ARG_PTR_TO_STACK.with(PTR_MAYBE_NULL);
pub const ARG_PTR_TO_BTF_ID_OR_NULL: ArgType = ARG_PTR_TO_BTF_ID.with(PTR_MAYBE_NULL);
pub const ARG_PTR_TO_UNINIT_MEM: ArgType = ARG_PTR_TO_MEM.with(MEM_UNINIT).with(MEM_WRITE);
pub const ARG_PTR_TO_FIXED_SIZE_MEM: ArgType = ARG_PTR_TO_MEM.with(MEM_FIXED_SIZE);

pub const RET_INTEGER: RetType = RetType::of(RetBase::Integer);
pub const RET_VOID: RetType = RetType::of(RetBase::Void);
pub const RET_PTR_TO_MAP_VALUE: RetType = RetType::of(RetBase::PtrToMapValue);
pub const RET_PTR_TO_SOCKET: RetType = RetType::of(RetBase::PtrToSocket);
pub const RET_PTR_TO_TCP_SOCK: RetType = RetType::of(RetBase::PtrToTcpSock);
pub const RET_PTR_TO_SOCK_COMMON: RetType = RetType::of(RetBase::PtrToSockCommon);
pub const RET_PTR_TO_MEM: RetType = RetType::of(RetBase::PtrToMem);
pub const RET_PTR_TO_MEM_OR_BTF_ID: RetType = RetType::of(RetBase::PtrToMemOrBtfId);
pub const RET_PTR_TO_BTF_ID: RetType = RetType::of(RetBase::PtrToBtfId);
// The kernel's named combinations.
pub const RET_PTR_TO_MAP_VALUE_OR_NULL: RetType = RET_PTR_TO_MAP_VALUE.with(PTR_MAYBE_NULL);
pub const RET_PTR_TO_SOCKET_OR_NULL: RetType = RET_PTR_TO_SOCKET.with(PTR_MAYBE_NULL);
pub const RET_PTR_TO_TCP_SOCK_OR_NULL: RetType = RET_PTR_TO_TCP_SOCK.with(PTR_MAYBE_NULL);
pub const RET_PTR_TO_SOCK_COMMON_OR_NULL: RetType = RET_PTR_TO_SOCK_COMMON.with(PTR_MAYBE_NULL);
pub const RET_PTR_TO_RINGBUF_MEM_OR_NULL: RetType = RET_PTR_TO_MEM.with(PTR_MAYBE_NULL).with(MEM_RINGBUF);
pub const RET_PTR_TO_DYNPTR_MEM_OR_NULL: RetType = RET_PTR_TO_MEM.with(PTR_MAYBE_NULL);
pub const RET_PTR_TO_BTF_ID_OR_NULL: RetType = RET_PTR_TO_BTF_ID.with(PTR_MAYBE_NULL);
pub const RET_PTR_TO_BTF_ID_TRUSTED: RetType = RET_PTR_TO_BTF_ID.with(PTR_TRUSTED);

impl std::fmt::Display for ArgType {
    /// The kernel's spelling: `ARG_PTR_TO_MEM | MEM_RDONLY`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.base.kernel_name())?;
        if !self.flags.is_empty() {
            write!(f, " | {:?}", self.flags)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for RetType {
    /// The kernel's spelling: `RET_PTR_TO_MAP_VALUE | PTR_MAYBE_NULL`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.base.kernel_name())?;
        if !self.flags.is_empty() {
            write!(f, " | {:?}", self.flags)?;
        }
        Ok(())
    }
}

/// A BTF type a prototype names (`arg_btf_id`, `ret_btf_id`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BtfId {
    /// `struct <name>` of the kernel's BTF.
    Struct(&'static str),
    /// BPF_PTR_POISON: no fixed type; the verifier takes it from the map
    /// value's kptr field at the call (bpf_kptr_xchg).
    Poison,
}

/// One helper prototype: the kernel's `struct bpf_func_proto` without its
/// function pointers (`func` is the run-time body, helpers/run; `allowed`
/// is named, not evaluated).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proto {
    /// The kernel's variable name (`bpf_skb_load_bytes_proto`).
    pub name: &'static str,
    /// The helper id this prototype answers (`BPF_FUNC_*`).
    pub func_id: i32,
    pub gpl_only: bool,
    /// The helper may be given packet pointers.
    pub pkt_access: bool,
    /// Only sleepable programs may call it.
    pub might_sleep: bool,
    /// The helper follows the bpf_fastcall contract.
    pub allow_fastcall: bool,
    pub ret_type: RetType,
    pub arg_type: [ArgType; 5],
    /// The BTF type of each ARG_PTR_TO_BTF_ID-like argument (a union with
    /// `arg_size` in the kernel).
    pub arg_btf_id: [Option<BtfId>; 5],
    /// The size of each MEM_FIXED_SIZE argument.
    pub arg_size: [usize; 5],
    /// The BTF type a RET_PTR_TO_BTF_ID-like return points to.
    pub ret_btf_id: Option<BtfId>,
    /// The kernel's `allowed` predicate (a per-program check beyond
    /// get_func_proto), by name.
    pub allowed: Option<&'static str>,
}

impl Proto {
    /// The zero initialiser every row starts from (as a C initialiser
    /// leaves unnamed fields zero).
    pub const EMPTY: Proto = Proto {
        name: "",
        func_id: BPF_FUNC_UNSPEC,
        gpl_only: false,
        pkt_access: false,
        might_sleep: false,
        allow_fastcall: false,
        ret_type: RET_INTEGER,
        arg_type: [ARG_DONTCARE; 5],
        arg_btf_id: [None; 5],
        arg_size: [0; 5],
        ret_btf_id: None,
        allowed: None,
    };

    /// The helper's name (`bpf_skb_load_bytes`).
    pub fn helper_name(&self) -> &'static str {
        helper_name(self.func_id).unwrap_or("bpf_unspec")
    }
}

/// The argument types of a row, padded with ARG_DONTCARE to five.
macro_rules! args {
    () => {
        [ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE]
    };
    ($a:expr) => {
        [$a, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE]
    };
    ($a:expr, $b:expr) => {
        [$a, $b, ARG_DONTCARE, ARG_DONTCARE, ARG_DONTCARE]
    };
    ($a:expr, $b:expr, $c:expr) => {
        [$a, $b, $c, ARG_DONTCARE, ARG_DONTCARE]
    };
    ($a:expr, $b:expr, $c:expr, $d:expr) => {
        [$a, $b, $c, $d, ARG_DONTCARE]
    };
    ($a:expr, $b:expr, $c:expr, $d:expr, $e:expr) => {
        [$a, $b, $c, $d, $e]
    };
}

mod all;
mod helpers_core;
mod kernel_bpf;
mod lirc;
mod map_compat;
mod net_skb;
mod net_sock;
mod net_xdp;
mod sock_storage;
mod trace;

pub use all::ALL;
pub use helpers_core::*;
pub use kernel_bpf::*;
pub use lirc::*;
pub use map_compat::*;
pub use net_skb::*;
pub use net_sock::*;
pub use net_xdp::*;
pub use sock_storage::*;
pub use trace::*;

/// The "main" prototype of helper `id`: the kernel variable named after
/// the helper (`bpf_<helper>_proto`) when there is one, else the first
/// variant in the kernel's source order. Which variant a program type
/// really gets is its get_func_proto's business.
pub fn default_proto(id: i32) -> Option<&'static Proto> {
    static INDEX: OnceLock<Vec<Option<&'static Proto>>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index: Vec<Option<&'static Proto>> = vec![None; HELPER_COUNT];
        for &p in ALL {
            let Some(slot) = usize::try_from(p.func_id).ok().and_then(|i| index.get_mut(i)) else {
                continue;
            };
            let named_after = p.name.strip_suffix("_proto") == Some(p.helper_name());
            if slot.is_none() || named_after {
                *slot = Some(p);
            }
        }
        index
    });
    usize::try_from(id).ok().and_then(|i| index.get(i).copied().flatten())
}

/// bpf_helper_changes_pkt_data(): helpers that may move packet data, after
/// which every packet pointer is invalid (net/core/filter.c), as the
/// host's kernel has it.
pub fn changes_pkt_data(id: i32) -> bool {
    matches!(
        id,
        BPF_FUNC_CLONE_REDIRECT
            | BPF_FUNC_L3_CSUM_REPLACE
            | BPF_FUNC_L4_CSUM_REPLACE
            | BPF_FUNC_LWT_PUSH_ENCAP
            | BPF_FUNC_LWT_SEG6_ACTION
            | BPF_FUNC_LWT_SEG6_ADJUST_SRH
            | BPF_FUNC_LWT_SEG6_STORE_BYTES
            | BPF_FUNC_MSG_POP_DATA
            | BPF_FUNC_MSG_PULL_DATA
            | BPF_FUNC_MSG_PUSH_DATA
            | BPF_FUNC_SKB_ADJUST_ROOM
            | BPF_FUNC_SKB_CHANGE_HEAD
            | BPF_FUNC_SKB_CHANGE_PROTO
            | BPF_FUNC_SKB_CHANGE_TAIL
            | BPF_FUNC_SKB_PULL_DATA
            | BPF_FUNC_SKB_STORE_BYTES
            | BPF_FUNC_SKB_VLAN_POP
            | BPF_FUNC_SKB_VLAN_PUSH
            | BPF_FUNC_STORE_HDR_OPT
            | BPF_FUNC_XDP_ADJUST_HEAD
            | BPF_FUNC_XDP_ADJUST_META
            | BPF_FUNC_XDP_ADJUST_TAIL
    )
    // Linux 6.12's list also has BPF_FUNC_TAIL_CALL; the host's 6.18 keeps
    // packet pointers across a tail call (a sched_cls program reading a
    // checked packet pointer after bpf_tail_call is accepted there).
}

#[cfg(test)]
mod tests;
