//! Memory shared between threads and with running programs.
//!
//! Map storage is reached three ways at once: syscalls copy values in and
//! out, helpers hand out pointers to values, and programs load and store
//! through those pointers from many threads. [`SharedMem`] is a zeroed
//! allocation that never moves and is only ever accessed through atomics
//! (relaxed, which compile to plain moves), so copies racing with a program
//! are the kernel's "racy plain bytes", never undefined behaviour on our
//! side. Large allocations are lazily committed (calloc), so a big map costs
//! only the pages it touches.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, Ordering::Relaxed};

use crate::uapi::Errno;

/// MemTotal of /proc/meminfo (unlimited where it can't be read).
pub fn total_ram() -> u64 {
    static TOTAL: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *TOTAL.get_or_init(|| {
        std::fs::read_to_string("/proc/meminfo")
            .ok()
            .and_then(|s| {
                let line = s.lines().find(|l| l.starts_with("MemTotal:"))?;
                let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
                Some(kb * 1024)
            })
            .unwrap_or(u64::MAX)
    })
}

/// A zero-initialised, 8-byte aligned, fixed-size byte area.
pub struct SharedMem {
    ptr: NonNull<AtomicU64>,
    len: usize,
    /// Whole words allocated (at least one): the bound every access
    /// checks against, kept rather than recomputed on hot paths.
    words: usize,
}

// SAFETY: all access goes through atomic types; the allocation is owned.
unsafe impl Send for SharedMem {}
// SAFETY: as above, shared access is only through atomics.
unsafe impl Sync for SharedMem {}

impl SharedMem {
    /// `len` zeroed bytes (rounded up to whole words). ENOMEM when the
    /// allocator refuses, as a failed kvmalloc does, and for more than the
    /// machine's memory, which vmalloc refuses outright.
    pub fn zeroed(len: usize) -> Result<SharedMem, Errno> {
        if len as u64 > total_ram() {
            return Err(Errno::ENOMEM);
        }
        let words = len.div_ceil(8).max(1);
        let layout = Layout::array::<u64>(words).map_err(|_| Errno::ENOMEM)?;
        // SAFETY: the layout has a non-zero size.
        let raw = unsafe { alloc_zeroed(layout) } as *mut AtomicU64;
        let ptr = NonNull::new(raw).ok_or(Errno::ENOMEM)?;
        Ok(SharedMem { ptr, len, words })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The start of the area, for guest regions.
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr() as *mut u8
    }

    #[inline]
    fn words(&self) -> usize {
        self.words
    }

    /// The word at byte offset `off` (a multiple of 8).
    #[inline]
    pub fn word(&self, off: usize) -> &AtomicU64 {
        assert!(
            off.is_multiple_of(8) && off / 8 < self.words(),
            "word {off} out of {}",
            self.len
        );
        // SAFETY: in bounds (checked) of an allocation of AtomicU64s.
        unsafe { &*self.ptr.as_ptr().add(off / 8) }
    }

    /// The 32-bit word at byte offset `off` (a multiple of 4).
    #[inline]
    pub fn word32(&self, off: usize) -> &AtomicU32 {
        assert!(
            off.is_multiple_of(4) && off + 4 <= self.words() * 8,
            "word32 {off} out of {}",
            self.len
        );
        // SAFETY: in bounds and 4-aligned inside an 8-aligned allocation;
        // AtomicU32 has the size and alignment of u32.
        unsafe { &*(self.as_ptr().add(off) as *const AtomicU32) }
    }

    #[inline]
    fn byte(&self, off: usize) -> &AtomicU8 {
        // SAFETY: callers check `off < words * 8`; AtomicU8 has no alignment
        // requirement beyond 1.
        unsafe { &*(self.as_ptr().add(off) as *const AtomicU8) }
    }

    fn check(&self, off: usize, len: usize) {
        let end = off.checked_add(len).expect("range overflows");
        assert!(end <= self.words() * 8, "range {off}+{len} out of {}", self.len);
    }

    /// Copy `out.len()` bytes at `off` out.
    pub fn read(&self, off: usize, out: &mut [u8]) {
        self.check(off, out.len());
        let mut i = 0;
        while i < out.len() {
            let at = off + i;
            if at.is_multiple_of(8) && out.len() - i >= 8 {
                let w = self.word(at).load(Relaxed);
                out[i..i + 8].copy_from_slice(&w.to_le_bytes());
                i += 8;
            } else {
                out[i] = self.byte(at).load(Relaxed);
                i += 1;
            }
        }
    }

    /// Copy `data` in at `off`.
    pub fn write(&self, off: usize, data: &[u8]) {
        self.check(off, data.len());
        let mut i = 0;
        while i < data.len() {
            let at = off + i;
            if at.is_multiple_of(8) && data.len() - i >= 8 {
                let w = u64::from_le_bytes(data[i..i + 8].try_into().expect("8"));
                self.word(at).store(w, Relaxed);
                i += 8;
            } else {
                self.byte(at).store(data[i], Relaxed);
                i += 1;
            }
        }
    }

    /// Zero `len` bytes at `off`.
    pub fn zero(&self, off: usize, len: usize) {
        self.check(off, len);
        let mut i = 0;
        while i < len {
            let at = off + i;
            if at.is_multiple_of(8) && len - i >= 8 {
                self.word(at).store(0, Relaxed);
                i += 8;
            } else {
                self.byte(at).store(0, Relaxed);
                i += 1;
            }
        }
    }

    /// Copy `len` bytes from `src` to `dst` within the area (ranges may not
    /// overlap).
    pub fn copy_within(&self, src: usize, dst: usize, len: usize) {
        self.check(src, len);
        self.check(dst, len);
        let mut i = 0;
        while i < len {
            if (src + i).is_multiple_of(8) && (dst + i).is_multiple_of(8) && len - i >= 8 {
                let w = self.word(src + i).load(Relaxed);
                self.word(dst + i).store(w, Relaxed);
                i += 8;
            } else {
                let b = self.byte(src + i).load(Relaxed);
                self.byte(dst + i).store(b, Relaxed);
                i += 1;
            }
        }
    }

    /// Compare `len` bytes at `off` with `data`.
    pub fn eq(&self, off: usize, data: &[u8]) -> bool {
        self.check(off, data.len());
        let mut i = 0;
        while i < data.len() {
            let at = off + i;
            if at.is_multiple_of(8) && data.len() - i >= 8 {
                if self.word(at).load(Relaxed).to_le_bytes() != data[i..i + 8] {
                    return false;
                }
                i += 8;
            } else if at.is_multiple_of(4) && data.len() - i >= 4 {
                if self.word32(at).load(Relaxed).to_le_bytes() != data[i..i + 4] {
                    return false;
                }
                i += 4;
            } else {
                if self.byte(at).load(Relaxed) != data[i] {
                    return false;
                }
                i += 1;
            }
        }
        true
    }
}

impl Drop for SharedMem {
    fn drop(&mut self) {
        let layout = Layout::array::<u64>(self.words()).expect("layout was valid at allocation");
        // SAFETY: allocated in `zeroed` with this layout.
        unsafe { dealloc(self.ptr.as_ptr() as *mut u8, layout) }
    }
}

impl std::fmt::Debug for SharedMem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SharedMem({} bytes)", self.len)
    }
}

/// One round of waiting for a lock: spin briefly, then yield, which keeps
/// a preempted holder from stalling waiters on a machine with few cores.
#[inline]
pub fn backoff(spins: &mut u32) {
    *spins += 1;
    if *spins < 64 {
        std::hint::spin_loop();
    } else {
        std::thread::yield_now();
    }
}

/// A test-and-set lock whose all-zero state is "unlocked", so arrays of
/// them can come from zeroed (lazily committed) memory. It spins briefly,
/// then yields, which keeps a preempted holder from stalling waiters on a
/// machine with few cores.
pub struct SpinLock<'a> {
    word: &'a AtomicU32,
}

impl<'a> SpinLock<'a> {
    #[inline]
    pub fn lock(word: &'a AtomicU32) -> SpinLock<'a> {
        Self::acquire(word);
        SpinLock { word }
    }

    #[inline]
    fn acquire(word: &AtomicU32) {
        let mut spins = 0u32;
        while word
            .compare_exchange_weak(0, 1, std::sync::atomic::Ordering::Acquire, Relaxed)
            .is_err()
        {
            backoff(&mut spins);
        }
    }

    #[inline]
    fn release(word: &AtomicU32) {
        word.store(0, std::sync::atomic::Ordering::Release);
    }
}

impl Drop for SpinLock<'_> {
    #[inline]
    fn drop(&mut self) {
        Self::release(self.word);
    }
}

/// A writer lock that readers can do without: the word counts writes,
/// odd while a writer holds it. A reader notes the (even) count, reads,
/// and keeps what it read only if the count is unchanged (a seqlock, as
/// readers of the kernel's hash tables rely on RCU instead of the bucket
/// lock). Zeroed memory is an unlocked, never-written lock.
pub struct SeqLock<'a> {
    word: &'a AtomicU32,
    odd: u32,
}

impl<'a> SeqLock<'a> {
    #[inline]
    pub fn lock(word: &'a AtomicU32) -> SeqLock<'a> {
        let mut spins = 0u32;
        loop {
            let s = word.load(Relaxed);
            if s & 1 == 0
                && word
                    .compare_exchange_weak(s, s.wrapping_add(1), std::sync::atomic::Ordering::Acquire, Relaxed)
                    .is_ok()
            {
                // The writes below become visible after the odd count.
                std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
                return SeqLock {
                    word,
                    odd: s.wrapping_add(1),
                };
            }
            backoff(&mut spins);
        }
    }

    /// A read begins: the count, unless a writer is at work.
    #[inline]
    pub fn read_begin(word: &AtomicU32) -> Option<u32> {
        let s = word.load(std::sync::atomic::Ordering::Acquire);
        (s & 1 == 0).then_some(s)
    }

    /// What was read since `read_begin` returned `s` is consistent.
    #[inline]
    pub fn read_valid(word: &AtomicU32, s: u32) -> bool {
        std::sync::atomic::fence(std::sync::atomic::Ordering::Acquire);
        word.load(Relaxed) == s
    }
}

impl Drop for SeqLock<'_> {
    #[inline]
    fn drop(&mut self) {
        self.word
            .store(self.odd.wrapping_add(1), std::sync::atomic::Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_at_any_alignment() {
        let m = SharedMem::zeroed(40).unwrap();
        let data: Vec<u8> = (1..=21).collect();
        m.write(3, &data);
        let mut out = vec![0u8; 21];
        m.read(3, &mut out);
        assert_eq!(out, data);
        assert!(m.eq(3, &data));
        let mut b = [0u8; 3];
        m.read(0, &mut b);
        assert_eq!(b, [0, 0, 0]);
        m.copy_within(8, 24, 8);
        let mut w = [0u8; 8];
        m.read(24, &mut w);
        assert_eq!(w, data[5..13]);
        m.zero(3, 21);
        m.read(3, &mut out);
        assert!(out.iter().all(|&x| x == 0));
    }

    #[test]
    fn huge_allocations_are_enomem() {
        assert_eq!(SharedMem::zeroed(usize::MAX).unwrap_err(), Errno::ENOMEM);
    }
}
