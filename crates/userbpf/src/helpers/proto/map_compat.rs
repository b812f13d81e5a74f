//! Which map types go with which helpers: check_map_func_compatibility() of
//! kernel/bpf/verifier.c as data. The check runs both ways: a special map
//! only with its helpers (map -> helper), and some helpers only with their
//! maps (helper -> map).

use crate::uapi::helper_ids::func::*;
use crate::uapi::types::map_type as mt;

/// The verdict on passing a map of some type to some helper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapCompat {
    Compatible,
    /// "cannot pass map_type %d into func %s#%d".
    Incompatible,
    /// A sockmap or sockhash given to bpf_map_update_elem or
    /// bpf_map_delete_elem: allowed by program type (may_update_sockmap).
    SockmapUpdate,
}

/// The map types helper `id` accepts as its map argument (the helper ->
/// map direction); `None` when this direction does not restrict it.
pub fn helper_map_types(id: i32) -> Option<&'static [u32]> {
    Some(match id {
        BPF_FUNC_TAIL_CALL => &[mt::PROG_ARRAY],
        BPF_FUNC_PERF_EVENT_READ
        | BPF_FUNC_PERF_EVENT_OUTPUT
        | BPF_FUNC_PERF_EVENT_READ_VALUE
        | BPF_FUNC_SKB_OUTPUT
        | BPF_FUNC_XDP_OUTPUT => &[mt::PERF_EVENT_ARRAY],
        BPF_FUNC_RINGBUF_OUTPUT
        | BPF_FUNC_RINGBUF_RESERVE
        | BPF_FUNC_RINGBUF_QUERY
        | BPF_FUNC_RINGBUF_RESERVE_DYNPTR
        | BPF_FUNC_RINGBUF_SUBMIT_DYNPTR
        | BPF_FUNC_RINGBUF_DISCARD_DYNPTR => &[mt::RINGBUF],
        BPF_FUNC_USER_RINGBUF_DRAIN => &[mt::USER_RINGBUF],
        BPF_FUNC_GET_STACKID => &[mt::STACK_TRACE],
        BPF_FUNC_CURRENT_TASK_UNDER_CGROUP | BPF_FUNC_SKB_UNDER_CGROUP => &[mt::CGROUP_ARRAY],
        BPF_FUNC_REDIRECT_MAP => &[mt::DEVMAP, mt::DEVMAP_HASH, mt::CPUMAP, mt::XSKMAP],
        BPF_FUNC_SK_REDIRECT_MAP | BPF_FUNC_MSG_REDIRECT_MAP | BPF_FUNC_SOCK_MAP_UPDATE => &[mt::SOCKMAP],
        BPF_FUNC_SK_REDIRECT_HASH | BPF_FUNC_MSG_REDIRECT_HASH | BPF_FUNC_SOCK_HASH_UPDATE => &[mt::SOCKHASH],
        BPF_FUNC_GET_LOCAL_STORAGE => &[mt::CGROUP_STORAGE, mt::PERCPU_CGROUP_STORAGE],
        BPF_FUNC_SK_SELECT_REUSEPORT => &[mt::REUSEPORT_SOCKARRAY, mt::SOCKMAP, mt::SOCKHASH],
        BPF_FUNC_MAP_POP_ELEM => &[mt::QUEUE, mt::STACK],
        BPF_FUNC_MAP_PEEK_ELEM | BPF_FUNC_MAP_PUSH_ELEM => &[mt::QUEUE, mt::STACK, mt::BLOOM_FILTER],
        BPF_FUNC_MAP_LOOKUP_PERCPU_ELEM => &[mt::PERCPU_ARRAY, mt::PERCPU_HASH, mt::LRU_PERCPU_HASH],
        BPF_FUNC_SK_STORAGE_GET | BPF_FUNC_SK_STORAGE_DELETE => &[mt::SK_STORAGE],
        BPF_FUNC_INODE_STORAGE_GET | BPF_FUNC_INODE_STORAGE_DELETE => &[mt::INODE_STORAGE],
        BPF_FUNC_TASK_STORAGE_GET | BPF_FUNC_TASK_STORAGE_DELETE => &[mt::TASK_STORAGE],
        BPF_FUNC_CGRP_STORAGE_GET | BPF_FUNC_CGRP_STORAGE_DELETE => &[mt::CGRP_STORAGE],
        _ => return None,
    })
}

/// The helpers a map of `map_type` may be given to (the map -> helper
/// direction); `None` when this direction does not restrict it.
fn map_helpers(map_type: u32) -> Option<&'static [i32]> {
    Some(match map_type {
        mt::PROG_ARRAY => &[BPF_FUNC_TAIL_CALL],
        mt::PERF_EVENT_ARRAY => &[
            BPF_FUNC_PERF_EVENT_READ,
            BPF_FUNC_PERF_EVENT_OUTPUT,
            BPF_FUNC_SKB_OUTPUT,
            BPF_FUNC_PERF_EVENT_READ_VALUE,
            BPF_FUNC_XDP_OUTPUT,
        ],
        mt::RINGBUF => &[
            BPF_FUNC_RINGBUF_OUTPUT,
            BPF_FUNC_RINGBUF_RESERVE,
            BPF_FUNC_RINGBUF_QUERY,
            BPF_FUNC_RINGBUF_RESERVE_DYNPTR,
            BPF_FUNC_RINGBUF_SUBMIT_DYNPTR,
            BPF_FUNC_RINGBUF_DISCARD_DYNPTR,
        ],
        mt::USER_RINGBUF => &[BPF_FUNC_USER_RINGBUF_DRAIN],
        mt::STACK_TRACE => &[BPF_FUNC_GET_STACKID],
        mt::CGROUP_ARRAY => &[BPF_FUNC_SKB_UNDER_CGROUP, BPF_FUNC_CURRENT_TASK_UNDER_CGROUP],
        mt::CGROUP_STORAGE | mt::PERCPU_CGROUP_STORAGE => &[BPF_FUNC_GET_LOCAL_STORAGE],
        mt::DEVMAP | mt::DEVMAP_HASH | mt::XSKMAP => &[BPF_FUNC_REDIRECT_MAP, BPF_FUNC_MAP_LOOKUP_ELEM],
        mt::CPUMAP => &[BPF_FUNC_REDIRECT_MAP],
        mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS => &[BPF_FUNC_MAP_LOOKUP_ELEM],
        mt::SOCKMAP => &[
            BPF_FUNC_SK_REDIRECT_MAP,
            BPF_FUNC_SOCK_MAP_UPDATE,
            BPF_FUNC_MSG_REDIRECT_MAP,
            BPF_FUNC_SK_SELECT_REUSEPORT,
            BPF_FUNC_MAP_LOOKUP_ELEM,
        ],
        mt::SOCKHASH => &[
            BPF_FUNC_SK_REDIRECT_HASH,
            BPF_FUNC_SOCK_HASH_UPDATE,
            BPF_FUNC_MSG_REDIRECT_HASH,
            BPF_FUNC_SK_SELECT_REUSEPORT,
            BPF_FUNC_MAP_LOOKUP_ELEM,
        ],
        mt::REUSEPORT_SOCKARRAY => &[BPF_FUNC_SK_SELECT_REUSEPORT],
        mt::QUEUE | mt::STACK => &[BPF_FUNC_MAP_PEEK_ELEM, BPF_FUNC_MAP_POP_ELEM, BPF_FUNC_MAP_PUSH_ELEM],
        mt::SK_STORAGE => &[BPF_FUNC_SK_STORAGE_GET, BPF_FUNC_SK_STORAGE_DELETE, BPF_FUNC_KPTR_XCHG],
        mt::INODE_STORAGE => &[
            BPF_FUNC_INODE_STORAGE_GET,
            BPF_FUNC_INODE_STORAGE_DELETE,
            BPF_FUNC_KPTR_XCHG,
        ],
        mt::TASK_STORAGE => &[
            BPF_FUNC_TASK_STORAGE_GET,
            BPF_FUNC_TASK_STORAGE_DELETE,
            BPF_FUNC_KPTR_XCHG,
        ],
        mt::CGRP_STORAGE => &[
            BPF_FUNC_CGRP_STORAGE_GET,
            BPF_FUNC_CGRP_STORAGE_DELETE,
            BPF_FUNC_KPTR_XCHG,
        ],
        mt::BLOOM_FILTER => &[BPF_FUNC_MAP_PEEK_ELEM, BPF_FUNC_MAP_PUSH_ELEM],
        _ => return None,
    })
}

/// check_map_func_compatibility() for a map of `map_type` passed to helper
/// `func_id`, both directions.
pub fn map_func_compatible(map_type: u32, func_id: i32) -> MapCompat {
    if let Some(helpers) = map_helpers(map_type) {
        if !helpers.contains(&func_id) {
            let sockmap = matches!(map_type, mt::SOCKMAP | mt::SOCKHASH);
            let update = matches!(func_id, BPF_FUNC_MAP_UPDATE_ELEM | BPF_FUNC_MAP_DELETE_ELEM);
            if !(sockmap && update) {
                return MapCompat::Incompatible;
            }
            // The helper side does not restrict these two helpers.
            return MapCompat::SockmapUpdate;
        }
    }
    match helper_map_types(func_id) {
        Some(types) if !types.contains(&map_type) => MapCompat::Incompatible,
        _ => MapCompat::Compatible,
    }
}
