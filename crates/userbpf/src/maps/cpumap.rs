//! BPF_MAP_TYPE_CPUMAP (kernel/bpf/cpumap.c): one slot per possible CPU
//! XDP frames may be redirected to, holding the queue size (and
//! optionally an XDP program of attach type BPF_XDP_CPUMAP). User space
//! writes `{u32 qsize; s32 prog_fd}` (value_size 4 or 8) and reads back
//! `{qsize; prog_id}`; qsize 0 empties the slot.

use std::any::Any;
use std::sync::{Arc, Mutex};

use super::{index_next_key, le32, Caller, CreateCtx, MapAttr, MapOps};
use crate::prog::Prog;
use crate::uapi::types::{attach_type, elem_flags as ef, map_flags as mf, prog_type};
use crate::uapi::Errno;

/// NR_CPUS of the reference kernel's configuration (max_entries above it
/// is E2BIG).
pub const NR_CPUS: u32 = 256;
/// The sanity limit on a slot's queue size.
const MAX_QSIZE: u32 = 16384;

/// cpu_map_alloc().
pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    if a.max_entries == 0
        || a.key_size != 4
        || (a.value_size != 4 && a.value_size != 8)
        || a.map_flags & !mf::NUMA_NODE != 0
    {
        return Err(Errno::EINVAL);
    }
    if a.max_entries > NR_CPUS {
        return Err(Errno::E2BIG);
    }
    Ok(Box::new(CpuMap {
        max_entries: a.max_entries,
        value_size: a.value_size as usize,
        ncpus: ctx.ncpus,
        slots: Mutex::new((0..a.max_entries).map(|_| None).collect()),
    }))
}

struct Entry {
    qsize: u32,
    prog: Option<Arc<Prog>>,
}

pub struct CpuMap {
    max_entries: u32,
    value_size: usize,
    ncpus: u32,
    slots: Mutex<Vec<Option<Entry>>>,
}

impl MapOps for CpuMap {
    fn mem_usage(&self) -> u64 {
        // struct bpf_cpu_map and the slot pointers (entries not counted).
        64 + self.max_entries as u64 * 8
    }

    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        let slots = self.slots.lock().expect("cpumap lock");
        let e = slots
            .get(le32(key) as usize)
            .and_then(Option::as_ref)
            .ok_or(Errno::ENOENT)?;
        let mut val = [0u8; 8];
        val[..4].copy_from_slice(&e.qsize.to_le_bytes());
        val[4..].copy_from_slice(&e.prog.as_ref().map_or(0, |p| p.id()).to_le_bytes());
        value.copy_from_slice(&val[..self.value_size]);
        Ok(())
    }

    /// cpu_map_update_elem().
    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let cpu = le32(key);
        let qsize = le32(value);
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        if cpu >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        if flags == ef::NOEXIST {
            return Err(Errno::EEXIST);
        }
        if qsize > MAX_QSIZE {
            return Err(Errno::EOVERFLOW);
        }
        if cpu >= self.ncpus {
            return Err(Errno::ENODEV);
        }
        let entry = if qsize == 0 {
            None
        } else {
            let fd = if self.value_size == 8 {
                le32(&value[4..]) as i32
            } else {
                0
            };
            // A bad program fails the entry's allocation as a whole: the
            // kernel answers ENOMEM.
            let prog = if fd > 0 {
                let Caller::Syscall(fds) = caller else {
                    return Err(Errno::ENOMEM);
                };
                let p = fds.prog_fd(fd as u32).map_err(|_| Errno::ENOMEM)?;
                if p.prog_type != prog_type::XDP || p.expected_attach_type != attach_type::XDP_CPUMAP {
                    return Err(Errno::ENOMEM);
                }
                Some(p)
            } else {
                None
            };
            Some(Entry { qsize, prog })
        };
        self.slots.lock().expect("cpumap lock")[cpu as usize] = entry;
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        let cpu = le32(key);
        if cpu >= self.max_entries {
            return Err(Errno::EINVAL);
        }
        self.slots.lock().expect("cpumap lock")[cpu as usize] = None;
        Ok(())
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        index_next_key(key, self.max_entries, next)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
