//! BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c): AF_XDP sockets by index. No
//! sockets exist here, so the map stays empty: updates fail on the fd
//! (EBADF if not open, ENOTSOCK for the anonymous-inode files fds name)
//! and lookups from user space are EOPNOTSUPP (lookup_elem_sys_only).

use std::any::Any;

use super::{index_next_key, le32, Caller, CreateCtx, MapAttr, MapOps};
use crate::uapi::types::{elem_flags as ef, map_flags as mf};
use crate::uapi::Errno;

/// xsk_map_alloc().
pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    if a.max_entries == 0
        || a.key_size != 4
        || a.value_size != 4
        || a.map_flags & !(mf::NUMA_NODE | mf::RDONLY | mf::WRONLY) != 0
    {
        return Err(Errno::EINVAL);
    }
    Ok(Box::new(XskMap {
        max_entries: a.max_entries,
    }))
}

pub struct XskMap {
    max_entries: u32,
}

impl MapOps for XskMap {
    fn mem_usage(&self) -> u64 {
        // struct xsk_map with its slot array.
        256 + self.max_entries as u64 * 8
    }

    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    /// xsk_map_update_elem(): flags, index, then the socket.
    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        if le32(key) >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        Err(super::sockmap::sockfd_lookup(le32(value), caller))
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        if le32(key) >= self.max_entries {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        index_next_key(key, self.max_entries, next)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
