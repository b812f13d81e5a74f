//! BPF_MAP_TYPE_CGROUP_STORAGE and PERCPU_CGROUP_STORAGE
//! (kernel/bpf/local_storage.c): a value per (cgroup, attach type) of the
//! programs attached with the map, keyed by `u64 cgroup_inode_id` or by
//! `struct bpf_cgroup_storage_key` (16 bytes: then each attach type has
//! its own). Storages exist only while programs are attached to cgroups,
//! which never happens here: from user space every key is missing.

use std::any::Any;

use super::{Caller, CreateCtx, MapAttr, MapOps, PCPU_MIN_UNIT_SIZE};
use crate::uapi::types::{elem_flags as ef, map_flags as mf, map_type as mt};
use crate::uapi::Errno;

/// BPF_LOCAL_STORAGE_MAX_VALUE_SIZE: U16_MAX - sizeof(struct
/// bpf_local_storage_elem) (128 bytes on 6.18).
pub const LOCAL_STORAGE_MAX_VALUE_SIZE: u32 = u16::MAX as u32 - 128;
/// sizeof(struct bpf_cgroup_storage_key).
pub const CGROUP_STORAGE_KEY_SIZE: u32 = 16;

/// cgroup_storage_map_alloc().
pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    let percpu = a.map_type == mt::PERCPU_CGROUP_STORAGE;
    let max_value_size = if percpu {
        LOCAL_STORAGE_MAX_VALUE_SIZE.min(PCPU_MIN_UNIT_SIZE)
    } else {
        LOCAL_STORAGE_MAX_VALUE_SIZE
    };
    if a.key_size != CGROUP_STORAGE_KEY_SIZE && a.key_size != 8 {
        return Err(Errno::EINVAL);
    }
    if a.value_size == 0 {
        return Err(Errno::EINVAL);
    }
    if a.value_size > max_value_size {
        return Err(Errno::E2BIG);
    }
    if a.map_flags & !(mf::NUMA_NODE | mf::ACCESS_MASK) != 0 || !a.access_ok() || a.max_entries != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Box::new(CgroupStorage { percpu }))
}

pub struct CgroupStorage {
    percpu: bool,
}

impl MapOps for CgroupStorage {
    fn mem_usage(&self) -> u64 {
        // struct bpf_cgroup_storage_map (storages are not counted).
        256
    }

    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    /// cgroup_storage_update_elem() / bpf_percpu_cgroup_storage_update():
    /// the flags, then the (missing) storage.
    fn update(&self, _key: &[u8], _value: &[u8], flags: u64, _caller: Caller<'_>) -> Result<(), Errno> {
        let bad = if self.percpu {
            flags != ef::ANY && flags != ef::EXIST
        } else {
            flags & !(ef::LOCK | ef::EXIST) != 0
        };
        if bad {
            return Err(Errno::EINVAL);
        }
        Err(Errno::ENOENT)
    }

    /// Storages go with their attachments, never by key.
    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    fn get_next_key(&self, _key: Option<&[u8]>, _next: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOENT)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
