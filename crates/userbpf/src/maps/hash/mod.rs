//! The hash tables of kernel/bpf/hashtab.c: BPF_MAP_TYPE_HASH,
//! PERCPU_HASH, LRU_HASH, LRU_PERCPU_HASH and HASH_OF_MAPS.
//!
//! Buckets are `roundup_pow_of_two(max_entries)` singly linked chains keyed
//! by jhash with a random seed (zero with BPF_F_ZERO_SEED, which makes
//! bucket and iteration order the kernel's). New elements go to the head of
//! their chain, and an update that replaces a value moves the key to the
//! head, as the kernel's replace-by-new-element does, so iteration order
//! follows the kernel's too.
//!
//! Elements come from a pool of `max_entries` allocated up front (lazily
//! committed): a value never moves while the map lives, so a pointer a
//! program got from a lookup stays valid, as prealloc'd elements do in the
//! kernel. Each bucket has a spin lock; lookups, updates and deletes of the
//! same bucket serialise on it, which keeps chains consistent under
//! concurrent updates and deletes. Free elements sit on a lock-free stack;
//! LRU maps take theirs from [`Lru`] instead.

use std::any::Any;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

mod table;
mod update;

use super::btf_record::BtfRecord;
use super::jhash::htab_hash;
use super::lru::Lru;
use super::shared::SharedMem;
use super::{
    effective_max_entries, round8, BatchOps, Caller, CreateCtx, GuestImage, Map, MapAttr, MapMeta, MapOps,
    KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE,
};
use crate::uapi::types::{map_flags as mf, map_type as mt};
use crate::uapi::Errno;

const CREATE_FLAG_MASK: u32 = mf::NO_PREALLOC | mf::NO_COMMON_LRU | mf::NUMA_NODE | mf::ACCESS_MASK | mf::ZERO_SEED;
/// sizeof(struct htab_elem) on x86-64.
const HTAB_ELEM_SIZE: u64 = 48;
/// sizeof(struct bucket).
const BUCKET_SIZE: u64 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Hash,
    Percpu,
    Lru,
    LruPercpu,
    OfMaps,
}

/// htab_map_alloc_check() (with fd_htab_map_alloc_check() for
/// hash-of-maps).
pub fn alloc_check(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<(), Errno> {
    let percpu = matches!(a.map_type, mt::PERCPU_HASH | mt::LRU_PERCPU_HASH);
    let lru = matches!(a.map_type, mt::LRU_HASH | mt::LRU_PERCPU_HASH);
    let percpu_lru = a.map_flags & mf::NO_COMMON_LRU != 0;
    let prealloc = a.map_flags & mf::NO_PREALLOC == 0;
    if a.map_type == mt::HASH_OF_MAPS && a.value_size != 4 {
        return Err(Errno::EINVAL);
    }
    if a.map_flags & mf::ZERO_SEED != 0 && !ctx.creds.caps.sys_admin {
        return Err(Errno::EPERM);
    }
    if a.map_flags & !CREATE_FLAG_MASK != 0 || !a.access_ok() {
        return Err(Errno::EINVAL);
    }
    if !lru && percpu_lru {
        return Err(Errno::EINVAL);
    }
    if lru && !prealloc {
        return Err(Errno::ENOTSUPP);
    }
    if a.numa_node().is_some() && (percpu || percpu_lru) {
        return Err(Errno::EINVAL);
    }
    if a.max_entries == 0 || a.key_size == 0 || a.value_size == 0 {
        return Err(Errno::EINVAL);
    }
    if a.key_size as u64 + a.value_size as u64 >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE {
        return Err(Errno::E2BIG);
    }
    if percpu && round8(a.value_size) > PCPU_MIN_UNIT_SIZE as usize {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    let meta = if a.map_type == mt::HASH_OF_MAPS {
        Some(ctx.fds.map_fd(a.inner_map_fd)?.as_meta()?)
    } else {
        None
    };
    Ok(Box::new(Htab::new(a, ctx.ncpus, meta)?))
}

fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.finish() as u32
}

pub struct Htab {
    kind: Kind,
    key_size: usize,
    key_stride: usize,
    value_size: usize,
    /// Bytes of value storage per element (all CPUs' for per-CPU maps).
    vslot: usize,
    ncpus: u32,
    max_entries: u32,
    n_buckets: u32,
    seed: u32,
    prealloc: bool,
    /// Per bucket: lock word at 0, head (element index + 1) at 4.
    buckets: SharedMem,
    /// Per element: next in chain or free stack (index + 1).
    links: SharedMem,
    hashes: SharedMem,
    keys: SharedMem,
    /// The guest image.
    values: SharedMem,
    /// Lock-free free stack: ABA tag << 32 | (index + 1).
    free_head: AtomicU64,
    /// Elements never handed out yet.
    fresh: AtomicU32,
    count: AtomicU32,
    lru: Option<Lru>,
    /// Hash-of-maps: the template and each element's inner map.
    meta: Option<MapMeta>,
    inner: RwLock<Vec<Option<Arc<Map>>>>,
    /// The value's special fields (bpf_spin_lock, timers), from BTF.
    record: BtfRecord,
}

/// The key and value bytes of one bucket, copied out for a batch.
pub struct BucketCopy {
    pub keys: Vec<u8>,
    pub values: Vec<u8>,
    pub count: u32,
}

impl Htab {
    fn new(a: &MapAttr, ncpus: u32, meta: Option<MapMeta>) -> Result<Htab, Errno> {
        let kind = match a.map_type {
            mt::PERCPU_HASH => Kind::Percpu,
            mt::LRU_HASH => Kind::Lru,
            mt::LRU_PERCPU_HASH => Kind::LruPercpu,
            mt::HASH_OF_MAPS => Kind::OfMaps,
            _ => Kind::Hash,
        };
        let max_entries = effective_max_entries(a, ncpus);
        if max_entries as u64 > 1 << 31 {
            return Err(Errno::E2BIG);
        }
        let n_buckets = (max_entries as u64).next_power_of_two();
        if n_buckets > u32::MAX as u64 / BUCKET_SIZE {
            return Err(Errno::E2BIG);
        }
        let percpu = matches!(kind, Kind::Percpu | Kind::LruPercpu);
        let key_stride = round8(a.key_size);
        let vslot = if percpu {
            round8(a.value_size) * ncpus as usize
        } else {
            round8(a.value_size)
        };
        let n = max_entries as usize;
        let bytes = |per: usize| n.checked_mul(per).ok_or(Errno::ENOMEM);
        let buckets = SharedMem::zeroed(n_buckets as usize * 8)?;
        let links = SharedMem::zeroed(bytes(4)?)?;
        let hashes = SharedMem::zeroed(bytes(4)?)?;
        let keys = SharedMem::zeroed(bytes(key_stride)?)?;
        let values = SharedMem::zeroed(bytes(vslot)?)?;
        let lru = matches!(kind, Kind::Lru | Kind::LruPercpu)
            .then(|| Lru::new(a.map_flags & mf::NO_COMMON_LRU != 0, ncpus, max_entries));
        let mut inner = Vec::new();
        if kind == Kind::OfMaps {
            inner.try_reserve_exact(n).map_err(|_| Errno::ENOMEM)?;
            inner.resize_with(n, || None);
        }
        Ok(Htab {
            kind,
            key_size: a.key_size as usize,
            key_stride,
            value_size: a.value_size as usize,
            vslot,
            ncpus,
            max_entries,
            n_buckets: n_buckets as u32,
            seed: if a.map_flags & mf::ZERO_SEED != 0 {
                0
            } else {
                random_u32()
            },
            prealloc: a.map_flags & mf::NO_PREALLOC == 0,
            buckets,
            links,
            hashes,
            keys,
            values,
            free_head: AtomicU64::new(0),
            fresh: AtomicU32::new(0),
            count: AtomicU32::new(0),
            lru,
            meta,
            inner: RwLock::new(inner),
            record: BtfRecord::default(),
        })
    }

    fn percpu(&self) -> bool {
        matches!(self.kind, Kind::Percpu | Kind::LruPercpu)
    }

    /// Elements in the table.
    pub fn len(&self) -> u32 {
        self.count.load(Ordering::Relaxed)
    }

    pub fn n_buckets(&self) -> u32 {
        self.n_buckets
    }
}

/// bpf_map_lookup_elem for JIT code (exec/jit/direct.rs), as the kernel's
/// JIT calls __htab_map_lookup_elem: the key at a host address, r0 out.
///
/// # Safety
/// `htab` must point at a live `Htab` and `key` at its `key_size` readable
/// bytes.
unsafe extern "C" fn direct_lookup(htab: *const std::ffi::c_void, key: *const u8, handle: u64) -> u64 {
    use crate::exec::jit::direct::FALLBACK;
    // SAFETY: the caller's contract.
    let h = unsafe { &*(htab as *const Htab) };
    let mut buf = std::mem::MaybeUninit::<[u8; 64]>::uninit();
    // A copy, not a reference: the key may sit in memory other threads
    // write (a map value).
    // SAFETY: the caller's contract: key_size readable bytes at `key`.
    let Some(key) = (unsafe { super::direct::copy_in(key, h.key_size, &mut buf) }) else {
        return FALLBACK;
    };
    // Unwinding must not cross the JIT's frames: the helper path redoes
    // the lookup and carries a panic over properly.
    // (Only hash and LRU hash maps get here: no per-CPU offset.)
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| h.lookup_value(key))) {
        Ok(Some(off)) => handle | off as u64,
        Ok(None) => 0,
        Err(_) => FALLBACK,
    }
}

impl MapOps for Htab {
    fn direct_lookup(&self) -> Option<(crate::exec::jit::direct::LookupFn, *const std::ffi::c_void)> {
        // Per-CPU lookups depend on the run's CPU; hash-of-maps returns
        // handles made at run time.
        matches!(self.kind, Kind::Hash | Kind::Lru).then_some((
            direct_lookup as crate::exec::jit::direct::LookupFn,
            self as *const Htab as *const std::ffi::c_void,
        ))
    }

    fn mem_usage(&self) -> u64 {
        let n = self.max_entries as u64;
        let elem = HTAB_ELEM_SIZE + self.key_stride as u64 + if self.percpu() { 8 } else { self.vslot as u64 };
        let mut usage = 256 + BUCKET_SIZE * self.n_buckets as u64 + elem * n;
        if self.percpu() {
            usage += self.vslot as u64 * n;
        }
        usage
    }

    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        self.lookup_copy(key, value, Htab::copy_out)
    }

    fn lookup_locked(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        self.lookup_copy(key, value, Htab::copy_out_locked)
    }

    fn set_record(&mut self, record: BtfRecord) {
        self.record = record;
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        match self.kind {
            Kind::Hash => self.update_hash(key, value, flags, caller),
            Kind::Percpu => self.update_in_place(key, value, flags, caller, None),
            Kind::Lru => self.update_lru(key, value, flags, caller),
            Kind::LruPercpu => self.update_lru_percpu(key, value, flags, caller),
            Kind::OfMaps => {
                let Caller::Syscall(fds) = caller else {
                    return Err(Errno::EINVAL);
                };
                // bpf_map_fd_get_ptr() before the table's own checks.
                let fd = u32::from_le_bytes(value[..4].try_into().expect("4-byte value"));
                let inner = fds.map_fd(fd)?;
                if !self.meta.as_ref().is_some_and(|m| m.matches(&inner)) {
                    return Err(Errno::EINVAL);
                }
                self.update_in_place(key, value, flags, caller, Some(inner))
            }
        }
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        self.remove(key, None)
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        let mut start = 0;
        if let Some(key) = key {
            let hash = htab_hash(key, self.seed);
            let b = self.bucket_of(hash);
            let _g = self.lock(b);
            if let Some(e) = self.find(b, hash, key) {
                let n = self.next(e);
                if n != 0 {
                    self.keys
                        .read((n - 1) as usize * self.key_stride, &mut next[..self.key_size]);
                    return Ok(());
                }
                start = b + 1;
            }
        }
        for b in start..self.n_buckets {
            let _g = self.lock(b);
            let h = self.head(b);
            if h != 0 {
                self.keys
                    .read((h - 1) as usize * self.key_stride, &mut next[..self.key_size]);
                return Ok(());
            }
        }
        Err(Errno::ENOENT)
    }

    fn lookup_and_delete(&self, key: &[u8], value: &mut [u8], _flags: u64) -> Result<(), Errno> {
        if self.kind == Kind::OfMaps {
            return Err(Errno::ENOTSUPP);
        }
        self.remove(key, Some(value))
    }

    fn batch_ops(&self) -> BatchOps {
        BatchOps {
            generic_update: true,
            generic_delete: true,
            htab: true,
            ..BatchOps::default()
        }
    }

    fn inner_meta(&self) -> Option<&MapMeta> {
        self.meta.as_ref()
    }

    fn image(&self) -> GuestImage {
        if self.kind == Kind::OfMaps {
            return GuestImage::EMPTY;
        }
        GuestImage {
            ptr: self.values.as_ptr(),
            len: self.values.len(),
        }
    }

    #[inline]
    fn prog_lookup(&self, key: &[u8], cpu: u32) -> Option<usize> {
        if self.kind == Kind::OfMaps {
            return None;
        }
        let cpu_off = if self.percpu() {
            (cpu % self.ncpus) as usize * round8(self.value_size as u32)
        } else {
            0
        };
        Some(self.lookup_value(key)? + cpu_off)
    }

    fn prog_lookup_map(&self, key: &[u8]) -> Option<Arc<Map>> {
        if self.kind != Kind::OfMaps {
            return None;
        }
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let _g = self.lock(b);
        let e = self.find(b, hash, key)?;
        self.inner.read().expect("inner lock")[e as usize].clone()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl std::fmt::Debug for Htab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Htab")
            .field("kind", &self.kind)
            .field("n_buckets", &self.n_buckets)
            .field("count", &self.len())
            .field("prealloc", &self.prealloc)
            .finish()
    }
}
