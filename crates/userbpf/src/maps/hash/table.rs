//! The table itself: buckets and their chains under the bucket locks,
//! and the element pool (the lock-free free stack, LRU victims, writing
//! values and the update flags' checks).

use std::sync::atomic::Ordering;

use super::{Htab, Kind};
use crate::maps::jhash::htab_hash;
use crate::maps::lru::Lru;
use crate::maps::shared::SeqLock;
use crate::maps::{current_cpu, round8, Caller};
use crate::uapi::types::elem_flags as ef;
use crate::uapi::Errno;

impl Htab {
    #[inline]
    pub(super) fn bucket_of(&self, hash: u32) -> u32 {
        hash & (self.n_buckets - 1)
    }

    #[inline]
    pub(super) fn lock(&self, b: u32) -> SeqLock<'_> {
        SeqLock::lock(self.buckets.word32(b as usize * 8))
    }

    /// A program's lookup: the offset of the element's value (its first
    /// CPU's, for per-CPU maps) in the image; LRU maps mark it used.
    #[inline(always)]
    pub(super) fn lookup_value(&self, key: &[u8]) -> Option<usize> {
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
    pub(super) fn find_unlocked(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
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
    pub(super) fn walk_racy(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
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
    pub(super) fn key_eq(&self, e: u32, key: &[u8]) -> bool {
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
    pub(super) fn find_locked(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
        let _g = self.lock(b);
        self.find(b, hash, key)
    }

    #[inline]
    pub(super) fn head(&self, b: u32) -> u32 {
        self.buckets.word32(b as usize * 8 + 4).load(Ordering::Relaxed)
    }

    #[inline]
    pub(super) fn set_head(&self, b: u32, v: u32) {
        self.buckets.word32(b as usize * 8 + 4).store(v, Ordering::Relaxed)
    }

    #[inline]
    pub(super) fn next(&self, e: u32) -> u32 {
        self.links.word32(e as usize * 4).load(Ordering::Relaxed)
    }

    #[inline]
    pub(super) fn set_next(&self, e: u32, v: u32) {
        self.links.word32(e as usize * 4).store(v, Ordering::Relaxed)
    }

    #[inline]
    pub(super) fn hash_of(&self, e: u32) -> u32 {
        self.hashes.word32(e as usize * 4).load(Ordering::Relaxed)
    }

    /// lookup_elem_raw(): the element with `key` in bucket `b` (locked).
    #[inline]
    pub(super) fn find(&self, b: u32, hash: u32, key: &[u8]) -> Option<u32> {
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

    pub(super) fn link_head(&self, b: u32, e: u32) {
        self.set_next(e, self.head(b));
        self.set_head(b, e + 1);
    }

    /// Unlink `e` from bucket `b` (locked); false if it isn't there.
    pub(super) fn unlink(&self, b: u32, e: u32) -> bool {
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

    pub(super) fn pop_free(&self) -> Option<u32> {
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

    pub(super) fn push_free(&self, e: u32) {
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
    pub(super) fn free_elem(&self, e: u32) {
        if self.kind == Kind::OfMaps {
            let old = self.inner.write().expect("inner lock")[e as usize].take();
            drop(old);
        }
        self.push_free(e);
    }

    pub(super) fn set_key(&self, e: u32, key: &[u8], hash: u32) {
        self.keys.write(e as usize * self.key_stride, key);
        self.hashes.word32(e as usize * 4).store(hash, Ordering::Relaxed);
    }

    pub(super) fn voff(&self, e: u32) -> usize {
        e as usize * self.vslot
    }

    /// The LRU pop with del_from_htab: unlinks the victim from its bucket.
    pub(super) fn lru_pop(&self, lru: &Lru, cpu: u32) -> Option<u32> {
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
    pub(super) fn write_value(&self, e: u32, value: &[u8], caller: Caller<'_>, init: bool) {
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

    pub(super) fn check_flags(exists: bool, flags: u64) -> Result<(), Errno> {
        match (exists, flags & !ef::LOCK) {
            (true, ef::NOEXIST) => Err(Errno::EEXIST),
            (false, ef::EXIST) => Err(Errno::ENOENT),
            _ => Ok(()),
        }
    }

    pub(super) fn caller_cpu(caller: Caller<'_>) -> u32 {
        match caller {
            Caller::Syscall(_) => current_cpu(),
            Caller::Prog { cpu } => cpu,
        }
    }
}
