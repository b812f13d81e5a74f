//! Guest memory: the only memory a BPF program can touch.
//!
//! A guest address is `(region index + 1) << 32 | offset`. Every access is
//! translated through the region table and checked against the region's
//! length and permissions, so a wild pointer is a clean fault, never a host
//! access. Address 0 (NULL) and small integers belong to no region.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// What a region holds; reported in faults and used by helpers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// The BPF stack of all frames.
    Stack,
    /// The program's context (r1 at entry).
    Context,
    /// Packet data.
    Packet,
    /// A map value.
    MapValue,
    /// Any other caller-provided buffer.
    Memory,
}

/// How an access went wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessFault {
    #[error("{kind} access of {len} bytes at {addr:#x} is outside guest memory")]
    Unmapped { addr: u64, len: usize, kind: AccessKind },
    #[error("{kind} access of {len} bytes at {addr:#x} is out of bounds of a {region:?} region of {region_len} bytes")]
    OutOfBounds {
        addr: u64,
        len: usize,
        kind: AccessKind,
        region: RegionKind,
        region_len: usize,
    },
    #[error("write of {len} bytes at {addr:#x} into a read-only {region:?} region")]
    ReadOnly { addr: u64, len: usize, region: RegionKind },
    #[error("misaligned {len}-byte atomic access at {addr:#x}")]
    Misaligned { addr: u64, len: usize },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccessKind {
    Read,
    Write,
}

impl std::fmt::Display for AccessKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AccessKind::Read => "read",
            AccessKind::Write => "write",
        })
    }
}

#[derive(Clone, Copy, Debug)]
struct Region {
    ptr: *mut u8,
    len: usize,
    writable: bool,
    kind: RegionKind,
}

/// The largest region: offsets are 32 bits.
pub const MAX_REGION_LEN: usize = u32::MAX as usize;

/// The region table of one run. `'a` ties it to the buffers it maps.
pub struct GuestMemory<'a> {
    regions: Vec<Region>,
    /// The BPF stack, owned here so its mapping can't outlive it; its heap
    /// buffer never moves.
    stack: Option<(AlignedBuf, u64)>,
    /// Stacks of nested callback runs (bpf_loop and friends), by level.
    extra_stacks: Vec<(AlignedBuf, u64)>,
    _buffers: PhantomData<&'a mut [u8]>,
}

// SAFETY: a GuestMemory only holds pointers derived from `&'a mut [u8]` or
// `&'a [u8]` borrows (or from `add_raw`, whose caller vouches for them); it is
// no more thread-bound than those borrows.
unsafe impl Send for GuestMemory<'_> {}

impl Default for GuestMemory<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> GuestMemory<'a> {
    pub fn new() -> Self {
        GuestMemory {
            regions: Vec::new(),
            stack: None,
            extra_stacks: Vec::new(),
            _buffers: PhantomData,
        }
    }

    /// Map (once) a stack of `len` bytes owned by this table; returns the
    /// guest address just past its top, the initial frame pointer. The
    /// stack is not cleared between runs: as in the kernel, a program must
    /// write before it reads (the verifier enforces it).
    pub fn stack_top(&mut self, len: usize) -> u64 {
        if let Some((buf, top)) = &self.stack {
            if buf.len() >= len {
                return *top;
            }
        }
        let (buf, top) = self.owned_stack(len);
        self.stack = Some((buf, top));
        top
    }

    /// A zeroed stack region owned by the caller-to-be; its heap buffer
    /// never moves, so the mapping stays valid while the table keeps it.
    fn owned_stack(&mut self, len: usize) -> (AlignedBuf, u64) {
        let mut buf = AlignedBuf::zeroed(len);
        let ptr = buf.as_mut_bytes().as_mut_ptr();
        let base = self.push(Region {
            ptr,
            len,
            writable: true,
            kind: RegionKind::Stack,
        });
        (buf, base + len as u64)
    }

    /// The frame pointer of the stack for nesting level `level` (0 is the
    /// first callback level), mapped on first use; like [`stack_top`]
    /// these stacks live as long as the table.
    ///
    /// [`stack_top`]: Self::stack_top
    pub fn nested_stack_top(&mut self, level: usize, len: usize) -> u64 {
        while self.extra_stacks.len() <= level {
            let stack = self.owned_stack(len);
            self.extra_stacks.push(stack);
        }
        self.extra_stacks[level].1
    }

    fn push(&mut self, r: Region) -> u64 {
        assert!(r.len <= MAX_REGION_LEN, "guest region over 4 GiB");
        self.regions.push(r);
        (self.regions.len() as u64) << 32
    }

    /// Map a writable buffer; returns its guest address.
    pub fn add(&mut self, buf: &'a mut [u8], kind: RegionKind) -> u64 {
        self.push(Region {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
            writable: true,
            kind,
        })
    }

    /// Map a read-only buffer; returns its guest address.
    pub fn add_readonly(&mut self, buf: &'a [u8], kind: RegionKind) -> u64 {
        self.push(Region {
            ptr: buf.as_ptr() as *mut u8,
            len: buf.len(),
            writable: false,
            kind,
        })
    }

    /// Map memory that outlives this table but is not a Rust borrow (map
    /// values shared between threads).
    ///
    /// # Safety
    /// `ptr..ptr+len` must stay valid (and, if `writable`, writable) for
    /// `'a`, and concurrent users must only access it through atomics or
    /// accept racy plain bytes as the kernel does.
    pub unsafe fn add_raw(&mut self, ptr: *mut u8, len: usize, writable: bool, kind: RegionKind) -> u64 {
        self.push(Region {
            ptr,
            len,
            writable,
            kind,
        })
    }

    /// Translate `len` bytes at guest `addr` to a host pointer, checking
    /// bounds and permissions.
    #[inline(always)]
    pub fn translate(&self, addr: u64, len: usize, kind: AccessKind) -> Result<*mut u8, AccessFault> {
        let index = (addr >> 32).wrapping_sub(1) as usize;
        let off = addr as u32 as usize;
        let Some(r) = self.regions.get(index) else {
            return Err(AccessFault::Unmapped { addr, len, kind });
        };
        if off + len > r.len {
            return Err(AccessFault::OutOfBounds {
                addr,
                len,
                kind,
                region: r.kind,
                region_len: r.len,
            });
        }
        if kind == AccessKind::Write && !r.writable {
            return Err(AccessFault::ReadOnly {
                addr,
                len,
                region: r.kind,
            });
        }
        // SAFETY: off + len <= r.len, so the result stays inside the region.
        Ok(unsafe { r.ptr.add(off) })
    }

    /// Regions mapped so far.
    #[inline]
    pub fn region_count(&self) -> usize {
        self.regions.len()
    }

    /// The region kind and remaining length at `addr`, if mapped.
    pub fn region_at(&self, addr: u64) -> Option<(RegionKind, usize)> {
        let index = (addr >> 32).wrapping_sub(1) as usize;
        let off = addr as u32 as usize;
        self.regions
            .get(index)
            .filter(|r| off <= r.len)
            .map(|r| (r.kind, r.len - off))
    }

    /// Load 1, 2, 4 or 8 bytes, zero-extended.
    #[inline(always)]
    pub fn load(&self, addr: u64, size: usize) -> Result<u64, AccessFault> {
        let p = self.translate(addr, size, AccessKind::Read)?;
        // SAFETY: `translate` checked that `size` bytes at `p` are mapped.
        // Unaligned reads are allowed, as on the kernel's x86-64.
        unsafe {
            Ok(match size {
                1 => *p as u64,
                2 => (p as *const u16).read_unaligned() as u64,
                4 => (p as *const u32).read_unaligned() as u64,
                _ => (p as *const u64).read_unaligned(),
            })
        }
    }

    /// Store the low 1, 2, 4 or 8 bytes of `value`.
    #[inline(always)]
    pub fn store(&mut self, addr: u64, size: usize, value: u64) -> Result<(), AccessFault> {
        let p = self.translate(addr, size, AccessKind::Write)?;
        // SAFETY: `translate` checked that `size` writable bytes at `p` are
        // mapped.
        unsafe {
            match size {
                1 => *p = value as u8,
                2 => (p as *mut u16).write_unaligned(value as u16),
                4 => (p as *mut u32).write_unaligned(value as u32),
                _ => (p as *mut u64).write_unaligned(value),
            }
        }
        Ok(())
    }

    /// Copy guest bytes out.
    pub fn read_bytes(&self, addr: u64, out: &mut [u8]) -> Result<(), AccessFault> {
        let p = self.translate(addr, out.len(), AccessKind::Read)?;
        // SAFETY: `translate` checked the whole range; `out` is a distinct
        // host buffer. (Keys of 4 and 8 bytes, the common case of map
        // helpers, are copied inline rather than through memmove.)
        unsafe {
            match out.len() {
                4 => out.copy_from_slice(&std::ptr::read_unaligned(p as *const [u8; 4])),
                8 => out.copy_from_slice(&std::ptr::read_unaligned(p as *const [u8; 8])),
                n => std::ptr::copy_nonoverlapping(p, out.as_mut_ptr(), n),
            }
        }
        Ok(())
    }

    /// Copy bytes into guest memory.
    pub fn write_bytes(&mut self, addr: u64, data: &[u8]) -> Result<(), AccessFault> {
        let p = self.translate(addr, data.len(), AccessKind::Write)?;
        // SAFETY: `translate` checked the whole range for writing.
        unsafe { std::ptr::copy(data.as_ptr(), p, data.len()) };
        Ok(())
    }

    fn atomic_ptr(&self, addr: u64, size: usize) -> Result<*mut u8, AccessFault> {
        if !addr.is_multiple_of(size as u64) {
            return Err(AccessFault::Misaligned { addr, len: size });
        }
        let p = self.translate(addr, size, AccessKind::Write)?;
        // The guest offset is aligned; the host buffer must be too for a
        // real atomic. Our own buffers are; a caller's odd one faults.
        if !(p as usize).is_multiple_of(size) {
            return Err(AccessFault::Misaligned { addr, len: size });
        }
        Ok(p)
    }

    /// Atomically apply `f` to the 4- or 8-byte value at `addr`; returns the
    /// old value (zero-extended).
    pub fn atomic_update(&mut self, addr: u64, size: usize, f: impl Fn(u64) -> u64) -> Result<u64, AccessFault> {
        let p = self.atomic_ptr(addr, size)?;
        // SAFETY: `atomic_ptr` checked bounds, write permission and natural
        // alignment; the memory is valid for 'a.
        unsafe {
            Ok(if size == 8 {
                let a = AtomicU64::from_ptr(p as *mut u64);
                a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(f(v)))
                    .unwrap_or_else(|v| v)
            } else {
                let a = AtomicU32::from_ptr(p as *mut u32);
                a.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |v| Some(f(v as u64) as u32))
                    .unwrap_or_else(|v| v) as u64
            })
        }
    }

    /// Atomic compare-and-exchange; returns the old value (zero-extended).
    pub fn atomic_cmpxchg(&mut self, addr: u64, size: usize, expected: u64, new: u64) -> Result<u64, AccessFault> {
        let p = self.atomic_ptr(addr, size)?;
        // SAFETY: as in `atomic_update`.
        unsafe {
            Ok(if size == 8 {
                let a = AtomicU64::from_ptr(p as *mut u64);
                a.compare_exchange(expected, new, Ordering::SeqCst, Ordering::SeqCst)
                    .unwrap_or_else(|v| v)
            } else {
                let a = AtomicU32::from_ptr(p as *mut u32);
                a.compare_exchange(expected as u32, new as u32, Ordering::SeqCst, Ordering::SeqCst)
                    .unwrap_or_else(|v| v) as u64
            })
        }
    }
}

/// A zeroed byte buffer aligned to 8 bytes, so that guest alignment (offsets
/// within a region) and host alignment agree for atomics.
#[derive(Clone, Debug)]
pub struct AlignedBuf {
    words: Vec<u64>,
    len: usize,
}

impl AlignedBuf {
    pub fn zeroed(len: usize) -> Self {
        AlignedBuf {
            words: vec![0; len.div_ceil(8)],
            len,
        }
    }

    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut b = Self::zeroed(bytes.len());
        b.as_mut_bytes().copy_from_slice(bytes);
        b
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        // SAFETY: `words` holds at least `len` initialised bytes, and u8 has
        // no alignment requirement.
        unsafe { std::slice::from_raw_parts(self.words.as_ptr() as *const u8, self.len) }
    }

    pub fn as_mut_bytes(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_bytes`; the borrow of self is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.words.as_mut_ptr() as *mut u8, self.len) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_permissions_and_null() {
        let mut a = [1u8, 2, 3, 4];
        let b = [9u8; 2];
        let mut m = GuestMemory::new();
        let pa = m.add(&mut a, RegionKind::Memory);
        let pb = m.add_readonly(&b, RegionKind::Packet);
        assert_eq!(m.load(pa, 4).unwrap(), 0x04030201);
        assert_eq!(m.load(pa + 2, 2).unwrap(), 0x0403);
        assert!(matches!(m.load(pa + 3, 2), Err(AccessFault::OutOfBounds { .. })));
        assert!(matches!(m.load(0, 1), Err(AccessFault::Unmapped { .. })));
        assert!(matches!(m.load(pa - 1, 1), Err(AccessFault::Unmapped { .. })));
        assert!(matches!(m.store(pb, 1, 0), Err(AccessFault::ReadOnly { .. })));
        m.store(pa + 1, 2, 0xaabb).unwrap();
        assert_eq!(m.load(pa, 4).unwrap(), 0x04aabb01);
        assert_eq!(m.region_at(pb + 1), Some((RegionKind::Packet, 1)));
    }

    #[test]
    fn atomics_need_alignment() {
        let mut buf = AlignedBuf::zeroed(16);
        let mut m = GuestMemory::new();
        let p = m.add(buf.as_mut_bytes(), RegionKind::Stack);
        assert_eq!(m.atomic_update(p + 8, 8, |v| v + 5).unwrap(), 0);
        assert_eq!(m.atomic_cmpxchg(p + 8, 8, 5, 7).unwrap(), 5);
        assert_eq!(m.load(p + 8, 8).unwrap(), 7);
        assert!(matches!(
            m.atomic_update(p + 2, 4, |v| v),
            Err(AccessFault::Misaligned { .. })
        ));
    }
}
