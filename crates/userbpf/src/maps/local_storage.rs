//! The local storages keyed by an object's fd from user space:
//! BPF_MAP_TYPE_SK_STORAGE (net/core/bpf_sk_storage.c), INODE_STORAGE,
//! TASK_STORAGE and CGRP_STORAGE (kernel/bpf/bpf_*_storage.c), over the
//! common rules of kernel/bpf/bpf_local_storage.c.
//!
//! What an fd can name here: maps, programs and BTF objects, which are all
//! files of the kernel's one anonymous inode. So an sk_storage key is
//! never a socket (ENOTSOCK), a task_storage key never a pidfd and a
//! cgrp_storage key never a cgroup (EBADF for both), while inode_storage
//! holds one value: that of the shared anonymous inode, reached through
//! any open fd.

use std::any::Any;
use std::sync::Mutex;

use super::cgroup_storage::LOCAL_STORAGE_MAX_VALUE_SIZE;
use super::{le32, Caller, CreateCtx, FdResolver, MapAttr, MapOps};
use crate::uapi::types::{elem_flags as ef, map_flags as mf, map_type as mt};
use crate::uapi::Errno;

/// bpf_local_storage_map_alloc_check(): no preallocation, no
/// max_entries, an int key and BTF for both (user-space dumps need it).
pub fn alloc_check(a: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.map_flags & !(mf::NO_PREALLOC | mf::CLONE) != 0
        || a.map_flags & mf::NO_PREALLOC == 0
        || a.max_entries != 0
        || a.key_size != 4
        || a.value_size == 0
        || a.btf_key_type_id == 0
        || a.btf_value_type_id == 0
    {
        return Err(Errno::EINVAL);
    }
    if a.value_size > LOCAL_STORAGE_MAX_VALUE_SIZE {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// bpf_local_storage_map_alloc().
pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    Ok(Box::new(LocalStorage {
        map_type: a.map_type,
        // roundup_pow_of_two(num_possible_cpus()), at least 2.
        nbuckets: ctx.ncpus.next_power_of_two().max(2),
        anon_inode: Mutex::new(None),
    }))
}

pub struct LocalStorage {
    map_type: u32,
    nbuckets: u32,
    /// INODE_STORAGE: the anonymous inode's value, if stored.
    anon_inode: Mutex<Option<Vec<u8>>>,
}

impl LocalStorage {
    /// The fd in `key` as its owner's lookup sees it: Ok for the one
    /// owner that exists (inode_storage on an open fd), else the errno.
    fn owner(&self, key: &[u8], fds: &dyn FdResolver) -> Result<(), Errno> {
        let fd = le32(key);
        let open = (fd as i32) >= 0 && fds.fd_open(fd);
        match self.map_type {
            mt::SK_STORAGE if open => Err(Errno::ENOTSOCK),
            mt::INODE_STORAGE if open => Ok(()),
            _ => Err(Errno::EBADF),
        }
    }
}

impl MapOps for LocalStorage {
    fn mem_usage(&self) -> u64 {
        // struct bpf_local_storage_map and its buckets (16 bytes each).
        512 + self.nbuckets as u64 * 16
    }

    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EBADF)
    }

    fn lookup_sys(&self, key: &[u8], value: &mut [u8], fds: &dyn FdResolver) -> Result<(), Errno> {
        self.owner(key, fds)?;
        let slot = self.anon_inode.lock().expect("storage lock");
        value.copy_from_slice(slot.as_deref().ok_or(Errno::ENOENT)?);
        Ok(())
    }

    /// The fd's update, then bpf_local_storage_update()'s flag rules.
    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let Caller::Syscall(fds) = caller else {
            return Err(Errno::EBADF);
        };
        self.owner(key, fds)?;
        if flags & !ef::LOCK > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        let mut slot = self.anon_inode.lock().expect("storage lock");
        match (slot.is_some(), flags & !ef::LOCK) {
            (true, ef::NOEXIST) => return Err(Errno::EEXIST),
            (false, ef::EXIST) => return Err(Errno::ENOENT),
            _ => {}
        }
        *slot = Some(value.to_vec());
        Ok(())
    }

    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(Errno::EBADF)
    }

    fn delete_sys(&self, key: &[u8], fds: &dyn FdResolver) -> Result<(), Errno> {
        self.owner(key, fds)?;
        self.anon_inode
            .lock()
            .expect("storage lock")
            .take()
            .map(|_| ())
            .ok_or(Errno::ENOENT)
    }

    fn get_next_key(&self, _key: Option<&[u8]>, _next: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
