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

use super::btf_record::BtfRecord;
use super::jhash::htab_hash;
use super::lru::Lru;
use super::shared::{SeqLock, SharedMem};
use super::{
    current_cpu, effective_max_entries, round8, BatchOps, Caller, CreateCtx, GuestImage, Map, MapAttr, MapMeta, MapOps,
    KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE,
};
use crate::uapi::types::{elem_flags as ef, map_flags as mf, map_type as mt};
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

    // ---- buckets and chains ----

    #[inline]
    fn bucket_of(&self, hash: u32) -> u32 {
        hash & (self.n_buckets - 1)
    }

    #[inline]
    fn lock(&self, b: u32) -> SeqLock<'_> {
        SeqLock::lock(self.buckets.word32(b as usize * 8))
    }

    /// A program's lookup: the offset of the element's value (its first
    /// CPU's, for per-CPU maps) in the image; LRU maps mark it used.
    #[inline(always)]
    fn lookup_value(&self, key: &[u8]) -> Option<usize> {
        let hash = htab_hash(key, self.seed);
        let e = self.find_unlocked(self.bucket_of(hash), hash, key)?;
        if let Some(lru) = &self.lru {
            lru.set_ref(e);
        }
        Some(self.voff(e))
    }

    /// find() without the bucket lock (programs' lookups): a consistent
    /// walk of the chain, retried when a writer changed the bucket
    /// meanwhile; after a few tries, under the lock.
    #[inline]
    fn find_unlocked(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
        let word = self.buckets.word32(b as usize * 8);
        for _ in 0..4 {
            if let Some(s) = SeqLock::read_begin(word) {
                let found = self.walk_racy(b, hash, key);
                if SeqLock::read_valid(word, s) {
                    return found;
                }
            }
            std::hint::spin_loop();
        }
        self.find_locked(b, hash, key)
    }

    /// The chain walk of `find_unlocked`, which a writer may change under
    /// it: bounded (a changing chain can't make it endless), and every
    /// index it meets is one a writer stored (in range).
    #[inline(always)]
    fn walk_racy(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
        let mut cur = self.head(b);
        let mut steps = self.max_entries;
        while cur != 0 {
            let e = cur - 1;
            if self.hash_of(e) == hash && self.key_eq(e, key) {
                return Some(e);
            }
            if steps == 0 {
                break;
            }
            steps -= 1;
            cur = self.next(e);
        }
        None
    }

    /// Whether element `e`'s key is `key`; one word compare for the common
    /// 4- and 8-byte keys (key slots are 8-aligned).
    #[inline(always)]
    fn key_eq(&self, e: u32, key: &[u8]) -> bool {
        let at = e as usize * self.key_stride;
        match *key {
            [a, b, c, d] => self.keys.word32(at).load(Ordering::Relaxed) == u32::from_le_bytes([a, b, c, d]),
            [a, b, c, d, e2, f, g, h] => {
                self.keys.word(at).load(Ordering::Relaxed) == u64::from_le_bytes([a, b, c, d, e2, f, g, h])
            }
            _ => self.keys.eq(at, key),
        }
    }

    #[cold]
    fn find_locked(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
        let _g = self.lock(b);
        self.find(b, hash, key)
    }

    #[inline]
    fn head(&self, b: u32) -> u32 {
        self.buckets.word32(b as usize * 8 + 4).load(Ordering::Relaxed)
    }

    #[inline]
    fn set_head(&self, b: u32, v: u32) {
        self.buckets.word32(b as usize * 8 + 4).store(v, Ordering::Relaxed)
    }

    #[inline]
    fn next(&self, e: u32) -> u32 {
        self.links.word32(e as usize * 4).load(Ordering::Relaxed)
    }

    #[inline]
    fn set_next(&self, e: u32, v: u32) {
        self.links.word32(e as usize * 4).store(v, Ordering::Relaxed)
    }

    #[inline]
    fn hash_of(&self, e: u32) -> u32 {
        self.hashes.word32(e as usize * 4).load(Ordering::Relaxed)
    }

    /// lookup_elem_raw(): the element with `key` in bucket `b` (locked).
    #[inline]
    fn find(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
        let mut cur = self.head(b);
        while cur != 0 {
            let e = cur - 1;
            if self.hash_of(e) == hash && self.key_eq(e, key) {
                return Some(e);
            }
            cur = self.next(e);
        }
        None
    }

    fn link_head(&self, b: u32, e: u32) {
        self.set_next(e, self.head(b));
        self.set_head(b, e + 1);
    }

    /// Unlink `e` from bucket `b` (locked); false if it isn't there.
    fn unlink(&self, b: u32, e: u32) -> bool {
        let mut prev: Option<u32> = None;
        let mut cur = self.head(b);
        while cur != 0 {
            let x = cur - 1;
            if x == e {
                match prev {
                    None => self.set_head(b, self.next(e)),
                    Some(p) => self.set_next(p, self.next(e)),
                }
                return true;
            }
            prev = Some(x);
            cur = self.next(x);
        }
        false
    }

    // ---- elements ----

    fn pop_free(&self) -> Option<u32> {
        loop {
            let h = self.free_head.load(Ordering::Acquire);
            let top = h as u32;
            if top == 0 {
                break;
            }
            let next = self.next(top - 1);
            let new = ((h >> 32).wrapping_add(1) << 32) | next as u64;
            if self
                .free_head
                .compare_exchange_weak(h, new, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return Some(top - 1);
            }
        }
        self.fresh
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |f| {
                (f < self.max_entries).then_some(f + 1)
            })
            .ok()
    }

    fn push_free(&self, e: u32) {
        if let Some(lru) = &self.lru {
            lru.push_free(e);
            return;
        }
        loop {
            let h = self.free_head.load(Ordering::Acquire);
            self.set_next(e, h as u32);
            let new = ((h >> 32).wrapping_add(1) << 32) | (e as u64 + 1);
            if self
                .free_head
                .compare_exchange_weak(h, new, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                return;
            }
        }
    }

    /// free_htab_elem() / htab_lru_push_free(): after the bucket unlock.
    fn free_elem(&self, e: u32) {
        if self.kind == Kind::OfMaps {
            let old = self.inner.write().expect("inner lock")[e as usize].take();
            drop(old);
        }
        self.push_free(e);
    }

    fn set_key(&self, e: u32, key: &[u8], hash: u32) {
        self.keys.write(e as usize * self.key_stride, key);
        self.hashes.word32(e as usize * 4).store(hash, Ordering::Relaxed);
    }

    fn voff(&self, e: u32) -> usize {
        e as usize * self.vslot
    }

    /// The LRU pop with del_from_htab: unlinks the victim from its bucket.
    fn lru_pop(&self, lru: &Lru, cpu: u32) -> Option<u32> {
        let e = lru.pop_free(cpu, &mut |n| {
            let b = self.bucket_of(self.hash_of(n));
            let _g = self.lock(b);
            let found = self.unlink(b, n);
            if found {
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            found
        })?;
        Some(e)
    }

    /// Write a new or replaced value: all CPUs' from user space, one CPU's
    /// (the others zeroed when `init`) from a program.
    fn write_value(&self, e: u32, value: &[u8], caller: Caller<'_>, init: bool) {
        let off = self.voff(e);
        if !self.percpu() {
            let value = &value[..self.value_size];
            if self.record.is_empty() {
                self.values.write(off, value);
            } else if init {
                // A new element's special fields start zeroed.
                self.values.write(off, value);
                for f in self.record.fields() {
                    self.values.zero(off + f.off as usize, f.size as usize);
                }
            } else {
                self.record.copy_in(&self.values, off, value);
            }
            return;
        }
        let slot = round8(self.value_size as u32);
        match caller {
            Caller::Syscall(_) => self.values.write(off, &value[..self.vslot]),
            Caller::Prog { cpu } => {
                let cpu = cpu % self.ncpus;
                if init {
                    self.values.zero(off, self.vslot);
                }
                self.values.write(off + cpu as usize * slot, &value[..self.value_size]);
            }
        }
    }

    fn check_flags(exists: bool, flags: u64) -> Result<(), Errno> {
        match (exists, flags & !ef::LOCK) {
            (true, ef::NOEXIST) => Err(Errno::EEXIST),
            (false, ef::EXIST) => Err(Errno::ENOENT),
            _ => Ok(()),
        }
    }

    fn caller_cpu(caller: Caller<'_>) -> u32 {
        match caller {
            Caller::Syscall(_) => current_cpu(),
            Caller::Prog { cpu } => cpu,
        }
    }

    // ---- updates per kind ----

    fn update_hash(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        if flags & !ef::LOCK > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        if flags & ef::LOCK != 0 && self.record.spin_lock_off().is_none() {
            return Err(Errno::EINVAL);
        }
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let _g = self.lock(b);
        let old = self.find(b, hash, key);
        Self::check_flags(old.is_some(), flags)?;
        if let (Some(e), true) = (old, flags & ef::LOCK != 0) {
            // BPF_F_LOCK: the value is updated in place under its lock.
            self.record
                .copy_in_locked(&self.values, self.voff(e), &value[..self.value_size]);
            return Ok(());
        }
        if let Some(e) = old {
            // Replaced by a "new element" at the head, as the kernel does.
            self.write_value(e, value, caller, false);
            self.unlink(b, e);
            self.link_head(b, e);
            return Ok(());
        }
        let e = self.pop_free().ok_or(Errno::E2BIG)?;
        self.set_key(e, key, hash);
        self.write_value(e, value, caller, true);
        self.link_head(b, e);
        self.count.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// htab_map_update_elem_in_place(): per-CPU values and hash-of-maps.
    fn update_in_place(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        caller: Caller<'_>,
        inner: Option<Arc<Map>>,
    ) -> Result<(), Errno> {
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let old_inner;
        {
            let _g = self.lock(b);
            let old = self.find(b, hash, key);
            Self::check_flags(old.is_some(), flags)?;
            let e = match old {
                Some(e) => {
                    if inner.is_none() {
                        self.write_value(e, value, caller, false);
                    }
                    e
                }
                None => {
                    let e = self.pop_free().ok_or(Errno::E2BIG)?;
                    self.set_key(e, key, hash);
                    if inner.is_none() {
                        self.write_value(e, value, caller, true);
                    }
                    self.link_head(b, e);
                    self.count.fetch_add(1, Ordering::Relaxed);
                    e
                }
            };
            old_inner = inner.map(|m| self.inner.write().expect("inner lock")[e as usize].replace(m));
        }
        drop(old_inner); // the replaced inner map goes outside the lock
        Ok(())
    }

    fn update_lru(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let lru = self.lru.as_ref().expect("LRU map");
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        // The node comes first: finding one may evict, which takes bucket
        // locks.
        let new = self.lru_pop(lru, Self::caller_cpu(caller)).ok_or(Errno::ENOMEM)?;
        self.set_key(new, key, hash);
        self.write_value(new, value, caller, true);
        let old = {
            let _g = self.lock(b);
            let old = self.find(b, hash, key);
            if let Err(e) = Self::check_flags(old.is_some(), flags) {
                drop(_g);
                lru.push_free(new);
                return Err(e);
            }
            self.link_head(b, new);
            match old {
                Some(o) => {
                    lru.set_ref(new);
                    self.unlink(b, o);
                }
                None => {
                    self.count.fetch_add(1, Ordering::Relaxed);
                }
            }
            old
        };
        if let Some(o) = old {
            lru.push_free(o);
        }
        Ok(())
    }

    fn update_lru_percpu(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let lru = self.lru.as_ref().expect("LRU map");
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let mut new = None;
        if flags != ef::EXIST {
            let e = self.lru_pop(lru, Self::caller_cpu(caller)).ok_or(Errno::ENOMEM)?;
            self.set_key(e, key, hash);
            new = Some(e);
        }
        let result = {
            let _g = self.lock(b);
            let old = self.find(b, hash, key);
            Self::check_flags(old.is_some(), flags).map(|()| match old {
                Some(o) => {
                    lru.set_ref(o);
                    self.write_value(o, value, caller, false);
                }
                None => {
                    let e = new.take().expect("a node when the key is new");
                    self.write_value(e, value, caller, true);
                    self.link_head(b, e);
                    self.count.fetch_add(1, Ordering::Relaxed);
                }
            })
        };
        if let Some(e) = new {
            lru.push_free(e);
        }
        result
    }

    /// Remove `key`, copying its value out first if `value` is given.
    fn remove(&self, key: &[u8], value: Option<&mut [u8]>) -> Result<(), Errno> {
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let e = {
            let _g = self.lock(b);
            let e = self.find(b, hash, key).ok_or(Errno::ENOENT)?;
            if let Some(v) = value {
                self.copy_out(e, v);
            }
            self.unlink(b, e);
            self.count.fetch_sub(1, Ordering::Relaxed);
            e
        };
        self.free_elem(e);
        Ok(())
    }

    /// The value user space sees for element `e` (the bucket is locked).
    fn copy_out(&self, e: u32, out: &mut [u8]) {
        if self.kind == Kind::OfMaps {
            let id = self.inner.read().expect("inner lock")[e as usize]
                .as_ref()
                .map_or(0, |m| m.id());
            out[..4].copy_from_slice(&id.to_le_bytes());
        } else if self.percpu() {
            self.values.read(self.voff(e), &mut out[..self.vslot]);
        } else {
            self.values.read(self.voff(e), &mut out[..self.value_size]);
            self.record.zero_fields(&mut out[..self.value_size]);
        }
    }

    /// BPF_F_LOCK lookups: the value copied under its bpf_spin_lock.
    fn copy_out_locked(&self, e: u32, out: &mut [u8]) {
        self.record
            .copy_out_locked(&self.values, self.voff(e), &mut out[..self.value_size]);
    }

    /// One bucket of a lookup(-and-delete) batch: everything in bucket `b`
    /// if at most `room` elements are there (else `Err(count)`), removed
    /// from the table when `delete`.
    pub fn batch_bucket(&self, b: u32, room: u32, delete: bool, locked: bool) -> Result<BucketCopy, u32> {
        let vsize = if self.kind == Kind::OfMaps {
            4
        } else if self.percpu() {
            self.vslot
        } else {
            self.value_size
        };
        let mut out = BucketCopy {
            keys: Vec::new(),
            values: Vec::new(),
            count: 0,
        };
        let mut freed = Vec::new();
        {
            let _g = self.lock(b);
            let mut n = 0;
            let mut cur = self.head(b);
            while cur != 0 {
                n += 1;
                cur = self.next(cur - 1);
            }
            if n > room {
                return Err(n);
            }
            let mut cur = self.head(b);
            while cur != 0 {
                let e = cur - 1;
                let at = out.keys.len();
                out.keys.resize(at + self.key_size, 0);
                self.keys.read(e as usize * self.key_stride, &mut out.keys[at..]);
                let at = out.values.len();
                out.values.resize(at + vsize, 0);
                if locked {
                    self.copy_out_locked(e, &mut out.values[at..]);
                } else {
                    self.copy_out(e, &mut out.values[at..]);
                }
                cur = self.next(e);
                if delete {
                    freed.push(e);
                }
            }
            if delete {
                self.set_head(b, 0);
                self.count.fetch_sub(n, Ordering::Relaxed);
            }
            out.count = n;
        }
        // The kernel chains deleted nodes onto a list head and frees them
        // from there: last visited first (it matters to LRU free lists).
        for e in freed.into_iter().rev() {
            self.free_elem(e);
        }
        Ok(out)
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
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let _g = self.lock(b);
        let e = self.find(b, hash, key).ok_or(Errno::ENOENT)?;
        self.copy_out(e, value);
        Ok(())
    }

    fn lookup_locked(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        // Bucket lock, then the value's: a program holding a value's lock
        // calls no helper, so it never waits for a bucket.
        let _g = self.lock(b);
        let e = self.find(b, hash, key).ok_or(Errno::ENOENT)?;
        self.copy_out_locked(e, value);
        Ok(())
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
