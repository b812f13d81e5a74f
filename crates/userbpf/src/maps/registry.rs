//! The registry of map types (the kernel's bpf_map_types[]): each type's
//! map_alloc_check, map_alloc and the privilege map_create demands of it.

use super::{
    arena, array, bloom, cgroup_storage, cpumap, devmap, fd_array, hash, local_storage, lpm_trie, queue_stack,
    reuseport, ringbuf, sockmap, stack_trace, struct_ops, user_ringbuf, xskmap, CreateCtx, MapAttr, MapOps,
};
use crate::uapi::types::map_type as mt;
use crate::uapi::Errno;

/// Which privilege creating a map type needs (map_create's switch).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Privilege {
    Unprivileged,
    /// CAP_BPF (or CAP_SYS_ADMIN).
    Bpf,
    /// CAP_NET_ADMIN (sockmap, sockhash, devmaps, xskmap).
    NetAdmin,
}

/// A map type's constructor (map_alloc).
pub(crate) type AllocFn = fn(&MapAttr, &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno>;
/// A map type's map_alloc_check.
pub(crate) type CheckFn = fn(&MapAttr, &CreateCtx<'_>) -> Result<(), Errno>;

/// One row of the registry: a map type's checks and constructor.
pub(crate) struct MapTypeOps {
    /// map_alloc_check(), before privileges are checked.
    pub alloc_check: CheckFn,
    /// map_alloc().
    pub alloc: AllocFn,
    pub privilege: Privilege,
}

fn no_check(_: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    Ok(())
}

const fn row(t: u32, alloc_check: CheckFn, alloc: AllocFn, privilege: Privilege) -> (u32, MapTypeOps) {
    (
        t,
        MapTypeOps {
            alloc_check,
            alloc,
            privilege,
        },
    )
}

/// The ops of map type `t`; None (EINVAL) for numbers that name no type
/// (cgroup_array has no ops here either: no cgroup fds exist).
pub(crate) fn map_type_ops(t: u32) -> Option<&'static MapTypeOps> {
    use Privilege::*;
    static TABLE: &[(u32, MapTypeOps)] = &[
        row(mt::HASH, hash::alloc_check, hash::alloc, Unprivileged),
        row(mt::ARRAY, array::alloc_check, array::alloc, Unprivileged),
        row(mt::PROG_ARRAY, fd_array::alloc_check, fd_array::alloc, Unprivileged),
        row(
            mt::PERF_EVENT_ARRAY,
            fd_array::alloc_check,
            fd_array::alloc,
            Unprivileged,
        ),
        row(mt::PERCPU_HASH, hash::alloc_check, hash::alloc, Unprivileged),
        row(mt::PERCPU_ARRAY, array::alloc_check, array::alloc, Unprivileged),
        row(mt::STACK_TRACE, no_check, stack_trace::alloc, Bpf),
        row(mt::LRU_HASH, hash::alloc_check, hash::alloc, Bpf),
        row(mt::LRU_PERCPU_HASH, hash::alloc_check, hash::alloc, Bpf),
        row(mt::LPM_TRIE, no_check, lpm_trie::alloc, Bpf),
        row(mt::ARRAY_OF_MAPS, fd_array::alloc_check, fd_array::alloc, Unprivileged),
        row(mt::HASH_OF_MAPS, hash::alloc_check, hash::alloc, Unprivileged),
        row(mt::DEVMAP, devmap::alloc_check, devmap::alloc, NetAdmin),
        row(mt::SOCKMAP, no_check, sockmap::alloc, NetAdmin),
        row(mt::CPUMAP, no_check, cpumap::alloc, Bpf),
        row(mt::XSKMAP, no_check, xskmap::alloc, NetAdmin),
        row(mt::SOCKHASH, no_check, sockmap::alloc, NetAdmin),
        row(mt::CGROUP_STORAGE, no_check, cgroup_storage::alloc, Unprivileged),
        row(mt::REUSEPORT_SOCKARRAY, reuseport::alloc_check, reuseport::alloc, Bpf),
        row(mt::PERCPU_CGROUP_STORAGE, no_check, cgroup_storage::alloc, Unprivileged),
        row(mt::QUEUE, queue_stack::alloc_check, queue_stack::alloc, Bpf),
        row(mt::STACK, queue_stack::alloc_check, queue_stack::alloc, Bpf),
        row(mt::SK_STORAGE, local_storage::alloc_check, local_storage::alloc, Bpf),
        row(mt::DEVMAP_HASH, devmap::alloc_check, devmap::alloc, NetAdmin),
        row(mt::STRUCT_OPS, struct_ops::alloc_check, struct_ops::alloc, Bpf),
        row(mt::RINGBUF, no_check, ringbuf::alloc, Unprivileged),
        row(mt::INODE_STORAGE, local_storage::alloc_check, local_storage::alloc, Bpf),
        row(mt::TASK_STORAGE, local_storage::alloc_check, local_storage::alloc, Bpf),
        row(mt::BLOOM_FILTER, bloom::alloc_check, bloom::alloc, Bpf),
        row(mt::USER_RINGBUF, no_check, user_ringbuf::alloc, Unprivileged),
        row(mt::CGRP_STORAGE, local_storage::alloc_check, local_storage::alloc, Bpf),
        row(mt::ARENA, arena::alloc_check, arena::alloc, Bpf),
    ];
    TABLE.iter().find(|(n, _)| *n == t).map(|(_, ops)| ops)
}
