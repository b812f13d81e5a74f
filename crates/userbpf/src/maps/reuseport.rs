//! BPF_MAP_TYPE_REUSEPORT_SOCKARRAY (kernel/bpf/reuseport_array.c):
//! SO_REUSEPORT sockets by index, an array in its checks. No sockets exist
//! here, so it stays empty: lookups are ENOSPC with 4-byte values (the
//! cookie needs 8) and ENOENT otherwise; updates fail on the fd.

use std::any::Any;

use super::sockmap::sockfd_lookup;
use super::{array, index_next_key, le32, Caller, CreateCtx, MapAttr, MapOps};
use crate::uapi::types::elem_flags as ef;
use crate::uapi::Errno;

/// reuseport_array_alloc_check(): value 4 or 8, then the array's rules.
pub fn alloc_check(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.value_size != 4 && a.value_size != 8 {
        return Err(Errno::EINVAL);
    }
    array::alloc_check(a, ctx)
}

pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    Ok(Box::new(ReuseportArray {
        max_entries: a.max_entries,
        value_size: a.value_size,
    }))
}

pub struct ReuseportArray {
    max_entries: u32,
    value_size: u32,
}

impl MapOps for ReuseportArray {
    fn mem_usage(&self) -> u64 {
        // struct_size(array, ptrs, max_entries).
        256 + self.max_entries as u64 * 8
    }

    /// bpf_fd_reuseport_array_lookup_elem(): the socket's cookie.
    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        if self.value_size != 8 {
            return Err(Errno::ENOSPC);
        }
        Err(Errno::ENOENT)
    }

    /// bpf_fd_reuseport_array_update_elem().
    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        if le32(key) >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        let fd = if self.value_size == 8 {
            let fd64 = u64::from_le_bytes(value[..8].try_into().expect("8 bytes"));
            if fd64 > i32::MAX as u64 {
                return Err(Errno::EINVAL);
            }
            fd64 as u32
        } else {
            le32(value)
        };
        Err(sockfd_lookup(fd, caller))
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        if le32(key) >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        Err(Errno::ENOENT)
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        index_next_key(key, self.max_entries, next)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
