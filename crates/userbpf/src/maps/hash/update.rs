//! The map operations on the table: an update per kind (hash, LRU and
//! per-CPU LRU, in place or with a new element), removal, copying values
//! out and the bucket-at-a-time batches.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::{BucketCopy, Htab, Kind};
use crate::maps::jhash::htab_hash;
use crate::maps::{Caller, Map};
use crate::uapi::types::elem_flags as ef;
use crate::uapi::Errno;

impl Htab {
    pub(super) fn update_hash(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
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
    pub(super) fn update_in_place(
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

    pub(super) fn update_lru(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
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

    pub(super) fn update_lru_percpu(
        &self,
        key: &[u8],
        value: &[u8],
        flags: u64,
        caller: Caller<'_>,
    ) -> Result<(), Errno> {
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
    pub(super) fn remove(&self, key: &[u8], value: Option<&mut [u8]>) -> Result<(), Errno> {
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

    /// The syscall's lookup of `key`, under its bucket's lock, copied out
    /// by `copy`. With [`Self::copy_out_locked`]: the bucket lock, then
    /// the value's; a program holding a value's lock calls no helper, so it
    /// never waits for a bucket.
    pub(super) fn lookup_copy(
        &self,
        key: &[u8],
        value: &mut [u8],
        copy: fn(&Htab, u32, &mut [u8]),
    ) -> Result<(), Errno> {
        let hash = htab_hash(key, self.seed);
        let b = self.bucket_of(hash);
        let _g = self.lock(b);
        let e = self.find(b, hash, key).ok_or(Errno::ENOENT)?;
        copy(self, e, value);
        Ok(())
    }

    /// The value user space sees for element `e` (the bucket is locked).
    pub(super) fn copy_out(&self, e: u32, out: &mut [u8]) {
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
    pub(super) fn copy_out_locked(&self, e: u32, out: &mut [u8]) {
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
