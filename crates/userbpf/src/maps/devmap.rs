//! BPF_MAP_TYPE_DEVMAP and DEVMAP_HASH (kernel/bpf/devmap.c): slots
//! holding a network device (an ifindex of the netns) and optionally an XDP
//! program of attach type BPF_XDP_DEVMAP. The value user space writes is
//! `{u32 ifindex; s32 prog_fd}` (value_size 4 or 8) and reads back as
//! `{ifindex; prog_id}`. Programs only redirect through them, so the map
//! is read-only to programs (map_alloc adds BPF_F_RDONLY_PROG).
//!
//! DEVMAP_HASH keys hash into `roundup_pow_of_two(max_entries)` buckets by
//! `key & (n - 1)`, newest first in a bucket, which fixes the walk order.

use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::{index_next_key, le32, Caller, CreateCtx, MapAttr, MapOps};
use crate::prog::Prog;
use crate::uapi::types::{attach_type, elem_flags as ef, map_flags as mf, map_type as mt, prog_type};
use crate::uapi::Errno;

const DEV_CREATE_FLAG_MASK: u32 = mf::NUMA_NODE | mf::RDONLY | mf::WRONLY;

/// dev_map_alloc_check().
pub fn alloc_check(a: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.max_entries == 0
        || a.key_size != 4
        || (a.value_size != 4 && a.value_size != 8)
        || a.map_flags & !DEV_CREATE_FLAG_MASK != 0
    {
        return Err(Errno::EINVAL);
    }
    if a.map_type == mt::DEVMAP_HASH && a.max_entries > 1 << 31 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// dev_map_alloc().
pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    let hash = a.map_type == mt::DEVMAP_HASH;
    let n_buckets = if hash { a.max_entries.next_power_of_two() } else { 0 };
    Ok(Box::new(DevMap {
        hash,
        max_entries: a.max_entries,
        value_size: a.value_size as usize,
        n_buckets,
        ifindexes: ctx.ifindexes.clone(),
        table: Mutex::new(Table::default()),
    }))
}

/// One entry (struct bpf_dtab_netdev).
struct Dev {
    key: u32,
    ifindex: u32,
    prog: Option<Arc<Prog>>,
}

/// The slots, sparse (the kernel's array is vmalloc'ed lazily, so even a
/// 2^31-entry devmap costs nothing until used): devmap: slot i holds key
/// i; devmap_hash: bucket i, newest first.
#[derive(Default)]
struct Table {
    slots: BTreeMap<u32, Vec<Dev>>,
    items: u32,
}

impl Table {
    fn slot(&self, i: u32) -> &[Dev] {
        self.slots.get(&i).map_or(&[], Vec::as_slice)
    }
}

pub struct DevMap {
    hash: bool,
    max_entries: u32,
    value_size: usize,
    n_buckets: u32,
    ifindexes: Vec<u32>,
    table: Mutex<Table>,
}

impl DevMap {
    fn bucket(&self, key: u32) -> u32 {
        if self.hash {
            key & (self.n_buckets - 1)
        } else {
            key
        }
    }

    /// __dev_map_alloc_node(): the device must exist, a program must be
    /// an XDP program for BPF_XDP_DEVMAP; EINVAL otherwise.
    fn alloc_node(&self, key: u32, value: &[u8], caller: Caller<'_>) -> Result<Dev, Errno> {
        let ifindex = le32(value);
        if !self.ifindexes.contains(&ifindex) {
            return Err(Errno::EINVAL);
        }
        let fd = if self.value_size == 8 {
            le32(&value[4..]) as i32
        } else {
            0
        };
        let prog = if fd > 0 {
            let Caller::Syscall(fds) = caller else {
                return Err(Errno::EINVAL);
            };
            let p = fds.prog_fd(fd as u32).map_err(|_| Errno::EINVAL)?;
            if p.prog_type != prog_type::XDP || p.expected_attach_type != attach_type::XDP_DEVMAP {
                return Err(Errno::EINVAL);
            }
            Some(p)
        } else {
            None
        };
        Ok(Dev { key, ifindex, prog })
    }

    fn update_array(&self, i: u32, value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        if i >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        if flags == ef::NOEXIST {
            return Err(Errno::EEXIST);
        }
        let dev = if le32(value) == 0 {
            // A prog fd needs a device.
            if self.value_size == 8 && (le32(&value[4..]) as i32) > 0 {
                return Err(Errno::EINVAL);
            }
            None
        } else {
            Some(self.alloc_node(i, value, caller)?)
        };
        let mut t = self.table.lock().expect("devmap lock");
        let old = match dev {
            Some(d) => t.slots.insert(i, vec![d]),
            None => t.slots.remove(&i),
        };
        t.items = t.items + t.slots.get(&i).map_or(0, |_| 1) - old.map_or(0, |_| 1);
        Ok(())
    }

    fn update_hash(&self, key: u32, value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        if flags > ef::EXIST || le32(value) == 0 {
            return Err(Errno::EINVAL);
        }
        let b = self.bucket(key);
        let exists = self
            .table
            .lock()
            .expect("devmap lock")
            .slot(b)
            .iter()
            .any(|d| d.key == key);
        if exists && flags & ef::NOEXIST != 0 {
            return Err(Errno::EEXIST);
        }
        let dev = self.alloc_node(key, value, caller)?;
        let mut t = self.table.lock().expect("devmap lock");
        let pos = t.slot(b).iter().position(|d| d.key == key);
        match pos {
            Some(pos) => {
                t.slots.entry(b).or_default().remove(pos);
            }
            None if t.items >= self.max_entries => return Err(Errno::E2BIG),
            None => t.items += 1,
        }
        t.slots.entry(b).or_default().insert(0, dev);
        Ok(())
    }
}

impl MapOps for DevMap {
    fn mem_usage(&self) -> u64 {
        // struct bpf_dtab, the slot or bucket array, the entries.
        let slots = if self.hash {
            self.n_buckets as u64 * 8
        } else {
            self.max_entries as u64 * 8
        };
        let items = self.table.lock().expect("devmap lock").items as u64;
        320 + slots + items * 64
    }

    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        let k = le32(key);
        if !self.hash && k >= self.max_entries {
            return Err(Errno::ENOENT);
        }
        let t = self.table.lock().expect("devmap lock");
        let dev = t
            .slot(self.bucket(k))
            .iter()
            .find(|d| d.key == k)
            .ok_or(Errno::ENOENT)?;
        let mut val = [0u8; 8];
        val[..4].copy_from_slice(&dev.ifindex.to_le_bytes());
        val[4..].copy_from_slice(&dev.prog.as_ref().map_or(0, |p| p.id()).to_le_bytes());
        value.copy_from_slice(&val[..self.value_size]);
        Ok(())
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        if self.hash {
            self.update_hash(le32(key), value, flags, caller)
        } else {
            self.update_array(le32(key), value, flags, caller)
        }
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        let k = le32(key);
        let mut t = self.table.lock().expect("devmap lock");
        if !self.hash {
            if k >= self.max_entries {
                return Err(Errno::EINVAL);
            }
            if t.slots.remove(&k).is_some() {
                t.items -= 1;
            }
            return Ok(());
        }
        let b = self.bucket(k);
        let pos = t.slot(b).iter().position(|d| d.key == k).ok_or(Errno::ENOENT)?;
        let bucket = t.slots.entry(b).or_default();
        bucket.remove(pos);
        if bucket.is_empty() {
            t.slots.remove(&b);
        }
        t.items -= 1;
        Ok(())
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        if !self.hash {
            return index_next_key(key, self.max_entries, next);
        }
        // dev_map_hash_get_next_key(): the next in the key's bucket, else
        // the first of a later bucket; an unknown key starts over.
        let t = self.table.lock().expect("devmap lock");
        let mut from = 0u64;
        if let Some(k) = key.map(le32) {
            let b = self.bucket(k);
            if let Some(pos) = t.slot(b).iter().position(|d| d.key == k) {
                if let Some(d) = t.slot(b).get(pos + 1) {
                    next[..4].copy_from_slice(&d.key.to_le_bytes());
                    return Ok(());
                }
                from = b as u64 + 1;
            }
        }
        let d = t
            .slots
            .iter()
            .filter(|(&b, _)| b as u64 >= from)
            .find_map(|(_, s)| s.first())
            .ok_or(Errno::ENOENT)?;
        next[..4].copy_from_slice(&d.key.to_le_bytes());
        Ok(())
    }

    fn forced_flags(&self) -> u32 {
        mf::RDONLY_PROG
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
