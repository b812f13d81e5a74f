//! The fd arrays of kernel/bpf/arraymap.c: BPF_MAP_TYPE_PROG_ARRAY (tail
//! call targets), BPF_MAP_TYPE_ARRAY_OF_MAPS (inner maps) and
//! BPF_MAP_TYPE_PERF_EVENT_ARRAY (perf ring buffers). User space stores an
//! fd and reads back the object's ID; the slot holds a reference.
//!
//! Perf events don't exist as fds here (every fd given to a perf event
//! array is EBADF, as perf_event_get() answers for a non-perf fd); user
//! space attaches a [`PerfEventBuf`] to a slot through
//! [`FdArray::perf_open`] and reads the records programs output.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use super::array::array_next_key;
use super::{BatchOps, Caller, CreateCtx, Map, MapAttr, MapMeta, MapOps, MetaEq, ProgOwner, ARRAY_VALUE_OFF};
use crate::prog::Prog;
use crate::uapi::types::{elem_flags as ef, map_flags as mf, map_type as mt, prog_type as pt};
use crate::uapi::Errno;

/// fd_array_map_alloc_check().
pub fn alloc_check(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.value_size != 4 {
        return Err(Errno::EINVAL);
    }
    if a.map_flags & (mf::RDONLY_PROG | mf::WRONLY_PROG) != 0 {
        return Err(Errno::EINVAL);
    }
    super::array::alloc_check(a, ctx)
}

pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    // array_of_map_alloc() takes the template before the array.
    let meta = if a.map_type == mt::ARRAY_OF_MAPS {
        Some(ctx.fds.map_fd(a.inner_map_fd)?.as_meta()?)
    } else {
        None
    };
    let entries = super::array::alloc_entries(a, ctx)?;
    let mut slots = Vec::new();
    slots
        .try_reserve_exact(usize::try_from(entries).map_err(|_| Errno::ENOMEM)?)
        .map_err(|_| Errno::ENOMEM)?;
    slots.resize_with(a.max_entries as usize, || None);
    Ok(Box::new(FdArray {
        map_type: a.map_type,
        max_entries: a.max_entries,
        meta,
        slots: RwLock::new(slots),
        owner: Mutex::new(None),
    }))
}

/// What a slot holds.
#[derive(Clone)]
pub enum Slot {
    Prog(Arc<Prog>),
    Map(Arc<Map>),
    Perf(Arc<PerfEventBuf>),
}

pub struct FdArray {
    map_type: u32,
    max_entries: u32,
    meta: Option<MapMeta>,
    slots: RwLock<Vec<Option<Slot>>>,
    owner: Mutex<Option<ProgOwner>>,
}

fn index(key: &[u8]) -> u32 {
    u32::from_le_bytes(key[..4].try_into().expect("4-byte key"))
}

impl FdArray {
    /// bpf_prog_map_compatible(): the first program fixes the owner (type,
    /// JIT, XDP frags); later ones must match it.
    pub(crate) fn prog_compatible(&self, prog: &Prog) -> bool {
        self.owner_compatible(ProgOwner {
            prog_type: prog.prog_type,
            jited: prog.jited_len() != 0,
            xdp_has_frags: prog.prog_flags & crate::uapi::types::prog_flags::XDP_HAS_FRAGS != 0,
        })
    }

    /// [`FdArray::prog_compatible`] for a program described by its owner
    /// fields (at load, before the program object exists).
    pub(crate) fn owner_compatible(&self, want: ProgOwner) -> bool {
        let mut owner = self.owner.lock().expect("owner lock");
        match *owner {
            None => {
                *owner = Some(want);
                true
            }
            Some(o) => o == want,
        }
    }

    /// The owner of a prog_array, once a program fixed it.
    pub fn owner(&self) -> Option<ProgOwner> {
        *self.owner.lock().expect("owner lock")
    }

    fn get(&self, i: u32) -> Option<Slot> {
        self.slots
            .read()
            .expect("slots lock")
            .get(i as usize)
            .cloned()
            .flatten()
    }

    /// The program in slot `index` of a prog_array (what bpf_tail_call
    /// jumps to), if any.
    #[inline]
    pub fn prog_at(&self, index: u32) -> Option<Arc<Prog>> {
        match self.slots.read().expect("slots lock").get(index as usize) {
            Some(Some(Slot::Prog(p))) => Some(Arc::clone(p)),
            _ => None,
        }
    }

    /// The perf buffer at `index` of a perf_event_array.
    pub(crate) fn perf_at(&self, index: u32) -> Option<Arc<PerfEventBuf>> {
        match self.get(index) {
            Some(Slot::Perf(p)) => Some(p),
            _ => None,
        }
    }

    /// Attach a perf ring of `capacity` bytes to `index` (what
    /// perf_event_open + mmap + a map update do in the kernel). E2BIG past
    /// the end; EINVAL on other map types.
    pub fn perf_open(&self, index: u32, capacity: usize) -> Result<Arc<PerfEventBuf>, Errno> {
        if self.map_type != mt::PERF_EVENT_ARRAY {
            return Err(Errno::EINVAL);
        }
        if index >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        let buf = Arc::new(PerfEventBuf::new(capacity));
        self.slots.write().expect("slots lock")[index as usize] = Some(Slot::Perf(Arc::clone(&buf)));
        Ok(buf)
    }

    /// bpf_perf_event_output() into this map: `flags` carries the index
    /// (BPF_F_INDEX_MASK) or BPF_F_CURRENT_CPU. Errors as the helper's.
    pub(crate) fn perf_output(&self, flags: u64, cpu: u32, data: &[u8]) -> Result<(), Errno> {
        const INDEX_MASK: u64 = 0xffff_ffff;
        const CURRENT_CPU: u64 = INDEX_MASK;
        if flags & !INDEX_MASK != 0 {
            return Err(Errno::EINVAL);
        }
        let index = if flags & INDEX_MASK == CURRENT_CPU {
            cpu
        } else {
            flags as u32
        };
        if index >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        let buf = self.perf_at(index).ok_or(Errno::ENOENT)?;
        buf.push(data);
        Ok(())
    }

    /// Remove every entry (bpf_fd_array_map_clear).
    pub fn clear(&self) {
        let old: Vec<Option<Slot>> = {
            let mut g = self.slots.write().expect("slots lock");
            g.iter_mut().map(Option::take).collect()
        };
        drop(old); // references go outside the lock
    }
}

impl MapOps for FdArray {
    fn mem_usage(&self) -> u64 {
        ARRAY_VALUE_OFF as u64 + self.max_entries as u64 * 8
    }

    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        // bpf_fd_array_map_lookup_elem(): only types with a sys lookup.
        if self.map_type == mt::PERF_EVENT_ARRAY {
            return Err(Errno::ENOTSUPP);
        }
        let id = match self.get(index(key)) {
            Some(Slot::Prog(p)) => p.id(),
            Some(Slot::Map(m)) => m.id(),
            _ => return Err(Errno::ENOENT),
        };
        value[..4].copy_from_slice(&id.to_le_bytes());
        Ok(())
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let Caller::Syscall(fds) = caller else {
            // Programs can't store fds.
            return Err(Errno::EINVAL);
        };
        if flags != ef::ANY {
            return Err(Errno::EINVAL);
        }
        let i = index(key);
        if i >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        let fd = u32::from_le_bytes(value[..4].try_into().expect("4-byte value"));
        let slot = match self.map_type {
            mt::PROG_ARRAY => {
                let prog = fds.prog_fd(fd)?;
                if prog.prog_type == pt::EXT || !self.prog_compatible(&prog) {
                    return Err(Errno::EINVAL);
                }
                Slot::Prog(prog)
            }
            mt::ARRAY_OF_MAPS => {
                let inner = fds.map_fd(fd)?;
                if !self.meta.as_ref().is_some_and(|m| m.matches(&inner)) {
                    return Err(Errno::EINVAL);
                }
                Slot::Map(inner)
            }
            // perf_event_get(): no fd is a perf event here.
            _ => return Err(Errno::EBADF),
        };
        let old = self.slots.write().expect("slots lock")[i as usize].replace(slot);
        drop(old);
        Ok(())
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        let i = index(key);
        if i >= self.max_entries {
            return Err(Errno::E2BIG);
        }
        let old = self.slots.write().expect("slots lock")[i as usize].take();
        old.map(drop).ok_or(Errno::ENOENT)
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        array_next_key(self.max_entries, key, next)
    }

    fn batch_ops(&self) -> BatchOps {
        if self.map_type == mt::ARRAY_OF_MAPS {
            BatchOps {
                generic_lookup: true,
                generic_update: true,
                ..BatchOps::default()
            }
        } else {
            BatchOps::default()
        }
    }

    fn meta_eq(&self) -> MetaEq {
        // prog_array has no map_meta_equal: it can't be an inner map.
        if self.map_type == mt::PROG_ARRAY {
            MetaEq::None
        } else {
            MetaEq::Array
        }
    }

    fn inner_meta(&self) -> Option<&MapMeta> {
        self.meta.as_ref()
    }

    fn prog_lookup_map(&self, key: &[u8]) -> Option<Arc<Map>> {
        match self.get(index(key)) {
            Some(Slot::Map(m)) => Some(m),
            _ => None,
        }
    }

    fn release_uref(&self) {
        if self.map_type == mt::PROG_ARRAY {
            self.clear();
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A perf ring buffer as user space reads it: the records programs wrote
/// with bpf_perf_event_output, oldest first, dropped (and counted as
/// lost) when `capacity` bytes are pending.
pub struct PerfEventBuf {
    capacity: usize,
    inner: Mutex<PerfInner>,
}

#[derive(Default)]
struct PerfInner {
    records: VecDeque<Vec<u8>>,
    bytes: usize,
    lost: u64,
}

impl PerfEventBuf {
    pub fn new(capacity: usize) -> PerfEventBuf {
        PerfEventBuf {
            capacity,
            inner: Mutex::new(PerfInner::default()),
        }
    }

    fn push(&self, data: &[u8]) {
        let mut g = self.inner.lock().expect("perf lock");
        // A sample record: 8-byte header plus the u32 size, padded to 8.
        let cost = (8 + 4 + data.len()).div_ceil(8) * 8;
        if g.bytes + cost > self.capacity {
            g.lost += 1;
            return;
        }
        g.bytes += cost;
        g.records.push_back(data.to_vec());
    }

    /// The oldest unread record.
    pub fn read(&self) -> Option<Vec<u8>> {
        let mut g = self.inner.lock().expect("perf lock");
        let r = g.records.pop_front()?;
        g.bytes -= (8 + 4 + r.len()).div_ceil(8) * 8;
        Some(r)
    }

    /// Records dropped because the buffer was full.
    pub fn lost(&self) -> u64 {
        self.inner.lock().expect("perf lock").lost
    }
}
