//! Maps in guest memory: what a running program sees of its maps.
//!
//! Each map a program uses becomes one guest region holding the map's
//! image ([`Map::image`]): the values of an array (after an
//! `ARRAY_VALUE_OFF`-byte header), the element pool of a hash table, the
//! value slots of an LPM trie, a ring buffer's data. Used map `i` of a
//! program (its `used_maps[i]`) is region `i`, at guest address
//! [`map_base`]`(i)`, so the load path can resolve ld_imm64 to constants:
//!
//! - `BPF_PSEUDO_MAP_FD` / `MAP_IDX` load the *map handle*
//!   `map_base(i)` (offset 0 of the region);
//! - `BPF_PSEUDO_MAP_VALUE` / `MAP_IDX_VALUE` load
//!   `map_base(i) + ARRAY_VALUE_OFF + off`, the value itself.
//!
//! A run therefore starts with [`MapTable::install`] on an empty
//! `GuestMemory` (before the stack, context or packet are mapped). Helpers
//! then turn a handle back into a map with [`MapTable::resolve`] and return
//! value pointers as `base + offset`, without adding regions: a lookup
//! neither allocates nor grows the region table. Inner maps met through a
//! map-in-map lookup get a region on first use.

use std::cell::RefCell;
use std::sync::Arc;

use super::fd_array::FdArray;
use super::ringbuf::RingBuf;
use super::{GuestImage, Map};
use crate::exec::memory::{AccessKind, MAX_REGION_LEN};
use crate::exec::{GuestMemory, HelperExit, RegionKind};
use crate::uapi::types::map_type as mt;
use crate::uapi::Errno;

/// Guest address of used map `index`'s region.
#[inline]
pub const fn map_base(index: usize) -> u64 {
    (index as u64 + 1) << 32
}

/// A map reached from a handle: one of the program's used maps (borrowed)
/// or an inner map (owned).
enum HeldMap<'t> {
    Used(&'t Arc<Map>),
    Inner(Arc<Map>),
}

impl std::ops::Deref for HeldMap<'_> {
    type Target = Map;
    fn deref(&self) -> &Map {
        match self {
            HeldMap::Used(m) => m,
            HeldMap::Inner(m) => m,
        }
    }
}

/// The maps of one run, by guest address.
pub struct MapTable<'a> {
    used: &'a [Arc<Map>],
    /// Inner maps a program reached during the run: (base, map).
    inner: RefCell<Vec<(u64, Arc<Map>)>>,
}

/// Why installing maps failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InstallError {
    #[error("map regions must be the first regions of guest memory")]
    NotEmpty,
    #[error("map {0} is too large to map into guest memory")]
    TooLarge(u32),
}

fn add_image<'a>(gm: &mut GuestMemory<'a>, map: &Map) -> Result<u64, InstallError> {
    let img: GuestImage = map.image();
    if img.len > MAX_REGION_LEN {
        return Err(InstallError::TooLarge(map.id()));
    }
    // SAFETY: the image belongs to `map`, which the MapTable keeps alive
    // (borrowed for 'a, or an Arc held in `inner` that is never removed
    // while the table lives); the memory never moves and is only accessed
    // as racy plain bytes or through atomics, which the map code tolerates.
    Ok(unsafe { gm.add_raw(img.ptr, img.len, map.prog_writable(), RegionKind::MapValue) })
}

impl<'a> MapTable<'a> {
    /// Map `used` (a program's used_maps, in order) as the first regions of
    /// `gm`, which must have none yet.
    pub fn install(used: &'a [Arc<Map>], gm: &mut GuestMemory<'a>) -> Result<MapTable<'a>, InstallError> {
        if gm.region_at(map_base(0)).is_some() {
            return Err(InstallError::NotEmpty);
        }
        for (i, m) in used.iter().enumerate() {
            let base = add_image(gm, m)?;
            debug_assert_eq!(base, map_base(i));
        }
        Ok(MapTable {
            used,
            inner: RefCell::new(Vec::new()),
        })
    }

    /// The map behind a handle (a map region's base address).
    #[inline]
    pub fn resolve(&self, handle: u64) -> Option<Arc<Map>> {
        if handle as u32 != 0 {
            return None;
        }
        let index = (handle >> 32).wrapping_sub(1) as usize;
        if let Some(m) = self.used.get(index) {
            return Some(Arc::clone(m));
        }
        self.inner
            .borrow()
            .iter()
            .find(|(b, _)| *b == handle)
            .map(|(_, m)| Arc::clone(m))
    }

    /// The used map whose handle is `handle` (not inner maps).
    #[inline]
    pub(crate) fn used_at(&self, handle: u64) -> Option<&Arc<Map>> {
        if handle as u32 != 0 {
            return None;
        }
        self.used.get((handle >> 32).wrapping_sub(1) as usize)
    }

    /// The handle of a map reached at run time (an inner map), mapping it
    /// on first use.
    pub(crate) fn handle_of(&self, map: &Arc<Map>, gm: &mut GuestMemory<'a>) -> Result<u64, InstallError> {
        if let Some(i) = self.used.iter().position(|m| Arc::ptr_eq(m, map)) {
            return Ok(map_base(i));
        }
        if let Some((b, _)) = self.inner.borrow().iter().find(|(_, m)| Arc::ptr_eq(m, map)) {
            return Ok(*b);
        }
        let base = add_image(gm, map)?;
        self.inner.borrow_mut().push((base, Arc::clone(map)));
        Ok(base)
    }

    /// The map behind a handle, borrowed when it is a used map (the hot
    /// path of every map helper: no reference count traffic).
    #[inline]
    fn map(&self, handle: u64) -> Result<HeldMap<'_>, HelperExit> {
        let index = (handle >> 32).wrapping_sub(1) as usize;
        if handle as u32 == 0 {
            if let Some(m) = self.used.get(index) {
                return Ok(HeldMap::Used(m));
            }
        }
        self.resolve(handle)
            .map(HeldMap::Inner)
            .ok_or_else(|| HelperExit::Failed(format!("{handle:#x} is not a map")))
    }

    // ---- helper bodies: r1..r5 in, r0 out ----

    /// bpf_map_lookup_elem(map, key): the value's guest address, or 0. For
    /// a map-in-map, the inner map's handle.
    pub fn map_lookup_elem(&self, gm: &mut GuestMemory<'a>, map: u64, key: u64, cpu: u32) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        with_guest_bytes(gm, key, m.key_size as usize, |k| {
            if matches!(m.map_type, mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS) {
                return Ok(LookupHit::Map(m.prog_lookup_map(k)));
            }
            Ok(LookupHit::Value(m.prog_lookup(k, cpu)))
        })
        .and_then(|hit| match hit {
            LookupHit::Value(off) => Ok(off.map_or(0, |o| map | o as u64)),
            LookupHit::Map(None) => Ok(0),
            LookupHit::Map(Some(inner)) => self
                .handle_of(&inner, gm)
                .map_err(|e| HelperExit::Failed(e.to_string())),
        })
    }

    /// bpf_map_update_elem(map, key, value, flags): 0 or a negative errno.
    pub fn map_update_elem(
        &self,
        gm: &mut GuestMemory<'a>,
        map: u64,
        key: u64,
        value: u64,
        flags: u64,
        cpu: u32,
    ) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        let vs = m.value_size as usize;
        with_guest_bytes(gm, key, m.key_size as usize, |k| {
            with_guest_bytes(gm, value, vs, |v| Ok(errno_ret(m.prog_update(k, v, flags, cpu))))
        })
    }

    /// bpf_map_delete_elem(map, key).
    pub fn map_delete_elem(&self, gm: &mut GuestMemory<'a>, map: u64, key: u64) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        with_guest_bytes(gm, key, m.key_size as usize, |k| Ok(errno_ret(m.prog_delete(k))))
    }

    /// bpf_map_push_elem(map, value, flags).
    pub fn map_push_elem(&self, gm: &mut GuestMemory<'a>, map: u64, value: u64, flags: u64) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        with_guest_bytes(gm, value, m.value_size as usize, |v| {
            Ok(errno_ret(m.prog_push(v, flags)))
        })
    }

    /// bpf_map_pop_elem(map, value) and bpf_map_peek_elem(map, value).
    pub fn map_pop_elem(&self, gm: &mut GuestMemory<'a>, map: u64, value: u64, peek: bool) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        let mut buf = vec![0u8; m.value_size as usize];
        let r = if peek {
            m.prog_peek(&mut buf)
        } else {
            m.prog_pop(&mut buf)
        };
        gm.write_bytes(value, &buf)?;
        Ok(errno_ret(r))
    }

    /// bpf_ringbuf_reserve(ringbuf, size, flags): the record's guest
    /// address, or 0.
    pub fn ringbuf_reserve(&self, map: u64, size: u64, flags: u64) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        let rb = m
            .downcast::<RingBuf>()
            .ok_or_else(|| HelperExit::Failed("not a ring buffer".into()))?;
        if flags != 0 {
            return Ok(0);
        }
        Ok(rb.reserve(size).map_or(0, |off| map | off as u64))
    }

    /// bpf_ringbuf_submit / bpf_ringbuf_discard(data, flags) of a record of
    /// ring buffer `map` (the helper finds the map from the pointer: the
    /// record's region).
    pub fn ringbuf_commit(&self, data: u64, discard: bool) -> Result<u64, HelperExit> {
        let m = self.map(data & !0xffff_ffff)?;
        let rb = m
            .downcast::<RingBuf>()
            .ok_or_else(|| HelperExit::Failed("not a ring buffer record".into()))?;
        rb.commit(data as u32 as usize, discard);
        Ok(0)
    }

    /// bpf_ringbuf_output(ringbuf, data, size, flags).
    pub fn ringbuf_output(&self, gm: &mut GuestMemory<'a>, map: u64, data: u64, size: u64) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        let rb = m
            .downcast::<RingBuf>()
            .ok_or_else(|| HelperExit::Failed("not a ring buffer".into()))?;
        with_guest_bytes(gm, data, size as usize, |d| Ok(errno_ret(rb.output(d))))
    }

    /// bpf_perf_event_output(ctx, map, flags, data, size).
    pub fn perf_event_output(
        &self,
        gm: &mut GuestMemory<'a>,
        map: u64,
        flags: u64,
        data: u64,
        size: u64,
        cpu: u32,
    ) -> Result<u64, HelperExit> {
        let m = self.map(map)?;
        let arr = m
            .downcast::<FdArray>()
            .ok_or_else(|| HelperExit::Failed("not a perf event array".into()))?;
        with_guest_bytes(gm, data, size as usize, |d| {
            Ok(errno_ret(arr.perf_output(flags, cpu, d)))
        })
    }
}

enum LookupHit {
    Value(Option<usize>),
    Map(Option<Arc<Map>>),
}

/// The helper return value for a map operation's result.
#[inline]
pub fn errno_ret(r: Result<(), Errno>) -> u64 {
    match r {
        Ok(()) => 0,
        Err(e) => (-(e.0 as i64)) as u64,
    }
}

/// Run `f` over `len` guest bytes at `addr`, copied to a stack buffer when
/// small (no allocation on the hot path).
#[inline]
pub fn with_guest_bytes<R>(
    gm: &GuestMemory<'_>,
    addr: u64,
    len: usize,
    f: impl FnOnce(&[u8]) -> Result<R, HelperExit>,
) -> Result<R, HelperExit> {
    let mut small = [0u8; 64];
    if len <= small.len() {
        gm.read_bytes(addr, &mut small[..len])?;
        return f(&small[..len]);
    }
    // Check first so a bad pointer faults before any allocation.
    gm.translate(addr, len, AccessKind::Read).map_err(HelperExit::Fault)?;
    let mut big = vec![0u8; len];
    gm.read_bytes(addr, &mut big)?;
    f(&big)
}

impl From<InstallError> for HelperExit {
    fn from(e: InstallError) -> Self {
        HelperExit::Failed(e.to_string())
    }
}
