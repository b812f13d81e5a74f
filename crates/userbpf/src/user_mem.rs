//! The caller's address space, as the kernel sees user memory through
//! copy_from_user/copy_to_user: pointers inside attrs are addresses in it,
//! and a bad one is EFAULT, never a host access.

use crate::uapi::Errno;

/// User memory reachable from attr pointers.
pub trait UserMemory {
    /// copy_from_user: all of `out` or EFAULT.
    fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), Errno>;
    /// copy_to_user: all of `data` or EFAULT.
    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno>;

    /// strncpy_from_user: bytes up to a NUL or `max` bytes, whichever comes
    /// first; EFAULT if the string runs into unmapped memory first.
    fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut b = [0u8];
        while out.len() < max {
            self.read(addr.wrapping_add(out.len() as u64), &mut b)?;
            if b[0] == 0 {
                break;
            }
            out.push(b[0]);
        }
        Ok(out)
    }
}

/// A user address space made of buffers the caller hands over; address
/// `(index + 1) << 32` is the start of buffer `index`. Address 0 is NULL.
#[derive(Default, Debug, Clone)]
pub struct UserBuffers {
    bufs: Vec<Vec<u8>>,
}

impl UserBuffers {
    pub fn new() -> Self {
        Self::default()
    }

    /// Map a buffer; returns its user address.
    pub fn add(&mut self, data: impl Into<Vec<u8>>) -> u64 {
        self.bufs.push(data.into());
        (self.bufs.len() as u64) << 32
    }

    /// A NUL-terminated copy of `s`.
    pub fn add_cstr(&mut self, s: &[u8]) -> u64 {
        let mut v = s.to_vec();
        v.push(0);
        self.add(v)
    }

    /// The buffer mapped at `addr` (its start address).
    pub fn get(&self, addr: u64) -> Option<&[u8]> {
        self.locate(addr).map(|(i, _)| self.bufs[i].as_slice())
    }

    fn locate(&self, addr: u64) -> Option<(usize, usize)> {
        let i = (addr >> 32).checked_sub(1)? as usize;
        let off = (addr & 0xffff_ffff) as usize;
        (i < self.bufs.len() && off <= self.bufs[i].len()).then_some((i, off))
    }

    /// The buffer and the byte range a copy of `len` bytes at `addr`
    /// covers; EFAULT where it leaves the buffer.
    fn span(&self, addr: u64, len: usize) -> Result<(usize, std::ops::Range<usize>), Errno> {
        let (i, off) = self.locate(addr).ok_or(Errno::EFAULT)?;
        let end = off + len;
        if end > self.bufs[i].len() {
            return Err(Errno::EFAULT);
        }
        Ok((i, off..end))
    }
}

impl UserMemory for UserBuffers {
    fn read(&self, addr: u64, out: &mut [u8]) -> Result<(), Errno> {
        // Copying nothing never faults, whatever the pointer.
        if out.is_empty() {
            return Ok(());
        }
        let (i, range) = self.span(addr, out.len())?;
        out.copy_from_slice(&self.bufs[i][range]);
        Ok(())
    }

    fn write(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        if data.is_empty() {
            return Ok(());
        }
        let (i, range) = self.span(addr, data.len())?;
        self.bufs[i][range].copy_from_slice(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_pointers_are_efault() {
        let mut m = UserBuffers::new();
        let a = m.add(vec![1, 2, 3]);
        let mut out = [0u8; 3];
        m.read(a, &mut out).unwrap();
        assert_eq!(out, [1, 2, 3]);
        assert_eq!(m.read(a + 1, &mut out), Err(Errno::EFAULT));
        assert_eq!(m.read(0, &mut out[..1]), Err(Errno::EFAULT));
        assert_eq!(m.read(0, &mut out[..0]), Ok(()), "an empty copy never faults");
        assert_eq!(m.write(a + 2, &[9, 9]), Err(Errno::EFAULT));
        let s = m.add_cstr(b"GPL");
        assert_eq!(m.read_cstr(s, 127).unwrap(), b"GPL");
        assert_eq!(m.read_cstr(s, 2).unwrap(), b"GP");
        // An unterminated string running off its buffer.
        let t = m.add(b"abc".to_vec());
        assert_eq!(m.read_cstr(t, 127), Err(Errno::EFAULT));
    }
}
