//! BPF_MAP_TYPE_SOCKMAP and SOCKHASH (net/core/sock_map.c): sockets by
//! index or by key. No sockets exist here, so both stay empty and what
//! user space sees is the kernel's answer for an empty map and for fds
//! that aren't sockets: lookups are ENOSPC with 4-byte values (the
//! cookie needs 8) and ENOENT otherwise; updates fail on the fd.

use std::any::Any;

use super::{index_next_key, le32, Caller, CreateCtx, MapAttr, MapOps};
use crate::uapi::types::{map_flags as mf, map_type as mt};
use crate::uapi::Errno;

const SOCK_CREATE_FLAG_MASK: u32 = mf::NUMA_NODE | mf::RDONLY | mf::WRONLY;
/// MAX_BPF_STACK: the largest sockhash key.
const MAX_KEY: u32 = 512;

/// sockfd_lookup() on an fd of this process: EBADF if not open (or
/// negative), ENOTSOCK for anything open (no fd here is a socket).
pub(crate) fn sockfd_lookup(fd: u32, caller: Caller<'_>) -> Errno {
    match caller {
        Caller::Syscall(fds) if (fd as i32) >= 0 && fds.fd_open(fd) => Errno::ENOTSOCK,
        _ => Errno::EBADF,
    }
}

/// sock_map_alloc() / sock_hash_alloc().
pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    let bad_common =
        a.max_entries == 0 || (a.value_size != 4 && a.value_size != 8) || a.map_flags & !SOCK_CREATE_FLAG_MASK != 0;
    let hash = a.map_type == mt::SOCKHASH;
    if hash {
        if bad_common || a.key_size == 0 {
            return Err(Errno::EINVAL);
        }
        if a.key_size > MAX_KEY {
            return Err(Errno::E2BIG);
        }
        // roundup_pow_of_two() past 2^31 wraps to 0 buckets.
        if a.max_entries > 1 << 31 {
            return Err(Errno::EINVAL);
        }
    } else if bad_common || a.max_entries > i32::MAX as u32 || a.key_size != 4 {
        return Err(Errno::EINVAL);
    }
    Ok(Box::new(SockMap {
        hash,
        max_entries: a.max_entries,
        value_size: a.value_size,
    }))
}

pub struct SockMap {
    hash: bool,
    max_entries: u32,
    value_size: u32,
}

impl MapOps for SockMap {
    fn mem_usage(&self) -> u64 {
        if self.hash {
            // struct bpf_shtab and its buckets (16 bytes each).
            320 + self.max_entries.next_power_of_two() as u64 * 16
        } else {
            320 + self.max_entries as u64 * 8
        }
    }

    /// sock_map_lookup_sys(): the socket's cookie, 8 bytes.
    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        if self.value_size != 8 {
            return Err(Errno::ENOSPC);
        }
        Err(Errno::ENOENT)
    }

    /// sock_map_update_elem_sys(): the value is the socket's fd.
    fn update(&self, _key: &[u8], value: &[u8], _flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let ufd = if self.value_size == 8 {
            u64::from_le_bytes(value[..8].try_into().expect("8 bytes"))
        } else {
            le32(value) as u64
        };
        if ufd > i32::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        match caller {
            Caller::Syscall(_) => Err(sockfd_lookup(ufd as u32, caller)),
            // Programs update with socket pointers, which never exist here.
            Caller::Prog { .. } => Err(Errno::EOPNOTSUPP),
        }
    }

    /// An empty slot is EINVAL in a sockmap, a missing key ENOENT in a
    /// sockhash.
    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(if self.hash { Errno::ENOENT } else { Errno::EINVAL })
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        if self.hash {
            return Err(Errno::ENOENT);
        }
        index_next_key(key, self.max_entries, next)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
