//! BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c): a multi-producer,
//! single-consumer ring of `max_entries` bytes (a power-of-two multiple of
//! the page size). Records are `{u32 len | BUSY | DISCARD; u32 pg_off}`
//! headers followed by data, 8-byte aligned. The syscall element commands
//! are all ENOTSUPP; user space consumes through [`RingBuf::consume`].
//!
//! The kernel maps the data pages twice so a record is contiguous even
//! across the end of the ring. Here the data area is twice the ring size:
//! a reserved record is contiguous in the image (so a program may write it
//! through one pointer), and on submit the part past the end is copied
//! back to the start, where readers look for it.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use super::shared::SharedMem;
use super::{Caller, CreateCtx, GuestImage, MapAttr, MapOps};
use crate::uapi::types::map_flags as mf;
use crate::uapi::{Errno, PAGE_SIZE};

pub const BUSY_BIT: u32 = 1 << 31;
pub const DISCARD_BIT: u32 = 1 << 30;
pub const HDR_SZ: usize = 8;
/// RINGBUF_MAX_RECORD_SZ.
pub const MAX_RECORD_SZ: u64 = (u32::MAX / 4) as u64;

/// ringbuf_map_alloc().
pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    if a.map_flags & !mf::NUMA_NODE != 0 {
        return Err(Errno::EINVAL);
    }
    if a.key_size != 0
        || a.value_size != 0
        || !a.max_entries.is_power_of_two()
        || !a.max_entries.is_multiple_of(PAGE_SIZE as u32)
    {
        return Err(Errno::EINVAL);
    }
    let size = a.max_entries as usize;
    Ok(Box::new(RingBuf {
        mask: a.max_entries as u64 - 1,
        data: SharedMem::zeroed(size.checked_mul(2).ok_or(Errno::ENOMEM)?)?,
        consumer_pos: AtomicU64::new(0),
        producer_pos: AtomicU64::new(0),
        lock: Mutex::new(()),
    }))
}

pub struct RingBuf {
    mask: u64,
    data: SharedMem,
    consumer_pos: AtomicU64,
    producer_pos: AtomicU64,
    /// Producers serialise on reserve (the kernel's spinlock).
    lock: Mutex<()>,
}

/// bpf_ringbuf_query() flags.
pub mod query {
    pub const AVAIL_DATA: u64 = 0;
    pub const RING_SIZE: u64 = 1;
    pub const CONS_POS: u64 = 2;
    pub const PROD_POS: u64 = 3;
}

impl RingBuf {
    fn size(&self) -> u64 {
        self.mask + 1
    }

    fn hdr_len(&self, off: usize) -> &std::sync::atomic::AtomicU32 {
        self.data.word32(off)
    }

    /// bpf_ringbuf_reserve(): room for `size` bytes; returns the data's
    /// offset in the image, or None when it doesn't fit.
    pub(crate) fn reserve(&self, size: u64) -> Option<usize> {
        if size > MAX_RECORD_SZ {
            return None;
        }
        let len = (size + HDR_SZ as u64).div_ceil(8) * 8;
        if len > self.size() {
            return None;
        }
        let _g = self.lock.lock().expect("ringbuf lock");
        let cons = self.consumer_pos.load(Ordering::Acquire);
        let prod = self.producer_pos.load(Ordering::Relaxed);
        let new_prod = prod + len;
        if new_prod - cons > self.mask {
            return None;
        }
        let off = (prod & self.mask) as usize;
        let pg_off = (off / PAGE_SIZE as usize) as u32;
        self.data.word32(off + 4).store(pg_off, Ordering::Relaxed);
        self.hdr_len(off).store(size as u32 | BUSY_BIT, Ordering::Release);
        self.producer_pos.store(new_prod, Ordering::Release);
        Some(off + HDR_SZ)
    }

    /// bpf_ringbuf_submit() / bpf_ringbuf_discard() of the record whose
    /// data is at `data_off`.
    pub(crate) fn commit(&self, data_off: usize, discard: bool) {
        let off = data_off - HDR_SZ;
        let len = self.hdr_len(off).load(Ordering::Relaxed) & !(BUSY_BIT | DISCARD_BIT);
        let end = data_off + len as usize;
        let size = self.size() as usize;
        if !discard && end > size {
            // Mirror what was written past the end back to the start.
            let from = off.max(size);
            self.data.copy_within(from, from - size, end - from);
        }
        let v = if discard { len | DISCARD_BIT } else { len };
        self.hdr_len(off).store(v, Ordering::Release);
    }

    /// bpf_ringbuf_output(): reserve, copy, submit. ENOSPC ... as -EAGAIN
    /// in the kernel when there is no room.
    pub fn output(&self, data: &[u8]) -> Result<(), Errno> {
        let at = self.reserve(data.len() as u64).ok_or(Errno::EAGAIN)?;
        self.data.write(at, data);
        self.commit(at, false);
        Ok(())
    }

    /// bpf_ringbuf_query().
    pub(crate) fn query(&self, flag: u64) -> u64 {
        let cons = self.consumer_pos.load(Ordering::Acquire);
        let prod = self.producer_pos.load(Ordering::Acquire);
        match flag {
            query::AVAIL_DATA => prod - cons,
            query::RING_SIZE => self.size(),
            query::CONS_POS => cons,
            query::PROD_POS => prod,
            _ => 0,
        }
    }

    /// Read the records produced so far, in order, as libbpf's
    /// ring_buffer__consume does: stops at a record still being written;
    /// skips discarded ones. Returns how many were handed to `f`.
    pub fn consume(&self, mut f: impl FnMut(&[u8])) -> usize {
        let mut n = 0;
        let mut cons = self.consumer_pos.load(Ordering::Acquire);
        loop {
            let prod = self.producer_pos.load(Ordering::Acquire);
            if cons >= prod {
                break;
            }
            let off = (cons & self.mask) as usize;
            let len = self.hdr_len(off).load(Ordering::Acquire);
            if len & BUSY_BIT != 0 {
                break;
            }
            let size = (len & !DISCARD_BIT) as usize;
            if len & DISCARD_BIT == 0 {
                let mut buf = vec![0u8; size];
                // The data may wrap past the end of the ring.
                let start = off + HDR_SZ;
                for (i, b) in buf.iter_mut().enumerate() {
                    let mut one = [0u8];
                    self.data.read((start + i) & self.mask as usize, &mut one);
                    *b = one[0];
                }
                f(&buf);
                n += 1;
            }
            cons += (size + HDR_SZ).div_ceil(8) as u64 * 8;
            self.consumer_pos.store(cons, Ordering::Release);
        }
        n
    }
}

impl MapOps for RingBuf {
    fn mem_usage(&self) -> u64 {
        3 * PAGE_SIZE + self.size()
    }

    fn lookup(&self, _key: &[u8], _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    fn update(&self, _key: &[u8], _value: &[u8], _flags: u64, _caller: Caller<'_>) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    fn get_next_key(&self, _key: Option<&[u8]>, _next: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    fn image(&self) -> GuestImage {
        GuestImage {
            ptr: self.data.as_ptr(),
            len: self.data.len(),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(size: u32) -> RingBuf {
        RingBuf {
            mask: size as u64 - 1,
            data: SharedMem::zeroed(2 * size as usize).unwrap(),
            consumer_pos: AtomicU64::new(0),
            producer_pos: AtomicU64::new(0),
            lock: Mutex::new(()),
        }
    }

    #[test]
    fn records_wrap_and_discards_are_skipped() {
        let rb = ring(4096);
        let mut seen = Vec::new();
        for round in 0..10u8 {
            let payload = vec![round; 1000];
            rb.output(&payload).unwrap();
            let d = rb.reserve(10).unwrap();
            rb.commit(d, true);
            rb.consume(|r| seen.push(r.to_vec()));
        }
        assert_eq!(seen.len(), 10);
        for (i, r) in seen.iter().enumerate() {
            assert_eq!(r, &vec![i as u8; 1000], "record {i}");
        }
        assert_eq!(rb.query(query::AVAIL_DATA), 0);
    }

    #[test]
    fn full_ring_refuses() {
        let rb = ring(4096);
        assert!(rb.reserve(4096).is_none(), "header doesn't fit");
        let a = rb.reserve(2000).unwrap();
        assert!(rb.reserve(2100).is_none());
        rb.commit(a, false);
        assert_eq!(rb.consume(|_| {}), 1);
        assert!(rb.reserve(2100).is_some());
    }
}
