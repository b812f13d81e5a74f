//! BPF_MAP_TYPE_STACK_TRACE (kernel/bpf/stackmap.c): stacks programs
//! collect with bpf_get_stackid, by id (a bucket of
//! `roundup_pow_of_two(max_entries)`). Nothing here collects stacks, so
//! every bucket stays empty; user space can't add any (update is EINVAL).

use std::any::Any;

use super::{le32, Caller, CreateCtx, MapAttr, MapOps};
use crate::uapi::types::map_flags as mf;
use crate::uapi::Errno;

const STACK_CREATE_FLAG_MASK: u32 = mf::NUMA_NODE | mf::RDONLY | mf::WRONLY | mf::STACK_BUILD_ID;
/// sysctl kernel.perf_event_max_stack (default).
pub const PERF_EVENT_MAX_STACK: u32 = 127;
/// sizeof(struct bpf_stack_build_id).
const BUILD_ID_SIZE: u32 = 32;

/// stack_map_alloc().
pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    if a.map_flags & !STACK_CREATE_FLAG_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let v = a.value_size;
    if a.max_entries == 0 || a.key_size != 4 || v < 8 || !v.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let frames = if a.map_flags & mf::STACK_BUILD_ID != 0 {
        if !v.is_multiple_of(BUILD_ID_SIZE) {
            return Err(Errno::EINVAL);
        }
        v / BUILD_ID_SIZE
    } else {
        v / 8
    };
    if frames > PERF_EVENT_MAX_STACK {
        return Err(Errno::EINVAL);
    }
    if a.max_entries > 1 << 31 {
        return Err(Errno::E2BIG);
    }
    Ok(Box::new(StackTrace {
        n_buckets: a.max_entries.next_power_of_two(),
        max_entries: a.max_entries,
        value_size: v,
    }))
}

pub struct StackTrace {
    n_buckets: u32,
    max_entries: u32,
    value_size: u32,
}

impl MapOps for StackTrace {
    fn mem_usage(&self) -> u64 {
        // The map, its bucket pointers and the preallocated buckets.
        let (n, e) = (self.n_buckets as u64, self.max_entries as u64);
        192 + n * 8 + e * (16 + self.value_size as u64)
    }

    /// bpf_stackmap_copy(): no bucket holds a stack.
    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _caller: Caller<'_>) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        if le32(key) >= self.n_buckets {
            return Err(Errno::E2BIG);
        }
        Err(Errno::ENOENT)
    }

    fn get_next_key(&self, _key: Option<&[u8]>, _next: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    /// stack_map_lookup_and_delete_elem(): nothing to take.
    fn lookup_and_delete(&self, _key: &[u8], _value: &mut [u8], _flags: u64) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
