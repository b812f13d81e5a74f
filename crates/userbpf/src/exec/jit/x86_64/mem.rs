//! Executable memory for JIT images, W^X: pages are mapped read+write, the
//! code is copied in, then the mapping is sealed read+execute before any
//! pointer to it escapes. Never writable and executable at once; unmapped
//! when the image drops.

use std::io;

/// The signature of a compiled image's entry point: the run context and the
/// trampoline's environment in, a status out (see `jit::ctx`).
pub type EntryFn = unsafe extern "C" fn(ctx: *mut u64, env: *mut std::ffi::c_void) -> u64;

/// A sealed, executable copy of machine code.
pub struct ExecMemory {
    ptr: *mut u8,
    /// Bytes mapped (whole pages).
    mapped: usize,
    /// Bytes of code.
    len: usize,
}

// SAFETY: the mapping is immutable (read+execute) once built and owned by
// this value; sharing or sending it is like sharing a `&[u8]`.
unsafe impl Send for ExecMemory {}
// SAFETY: as above; nothing mutates the mapping after `new`.
unsafe impl Sync for ExecMemory {}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let p = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if p > 0 {
        p as usize
    } else {
        4096
    }
}

impl ExecMemory {
    /// Map `code` as a read+execute image. The slack up to the page end is
    /// filled with `int3`.
    pub fn new(code: &[u8]) -> io::Result<Self> {
        let page = page_size();
        let mapped = code.len().max(1).div_ceil(page) * page;
        // SAFETY: an anonymous private mapping at an address of the kernel's
        // choosing touches no existing memory.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                mapped,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let ptr = ptr as *mut u8;
        let image = ExecMemory {
            ptr,
            mapped,
            len: code.len(),
        };
        // SAFETY: `ptr..ptr+mapped` was just mapped writable and is owned by
        // `image` alone; `code` is a distinct host buffer of `code.len()` <=
        // `mapped` bytes.
        let pages = unsafe { std::slice::from_raw_parts_mut(ptr, mapped) };
        pages[..code.len()].copy_from_slice(code);
        pages[code.len()..].fill(0xcc);
        // SAFETY: seals our own mapping; from here on nobody writes to it.
        if unsafe { libc::mprotect(ptr as *mut libc::c_void, mapped, libc::PROT_READ | libc::PROT_EXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(image)
    }

    /// The code bytes as mapped.
    pub fn bytes(&self) -> &[u8] {
        // SAFETY: the first `len` bytes are mapped readable for our lifetime.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// Host address of the first byte.
    pub fn addr(&self) -> u64 {
        self.ptr as u64
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The entry point at offset 0.
    pub fn entry(&self) -> EntryFn {
        // SAFETY: the mapping is executable and starts with the compiler's
        // prologue, which follows the C ABI of `EntryFn`; calling it is still
        // unsafe and is justified at the single call site.
        unsafe { std::mem::transmute::<*mut u8, EntryFn>(self.ptr) }
    }
}

impl Drop for ExecMemory {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `new` created; no reference to
        // it outlives `self`.
        unsafe {
            libc::munmap(self.ptr as *mut libc::c_void, self.mapped);
        }
    }
}

impl std::fmt::Debug for ExecMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ExecMemory {{ addr: {:#x}, len: {} }}", self.addr(), self.len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_read_execute() {
        // mov eax, 42; ret
        let m = ExecMemory::new(&[0xb8, 42, 0, 0, 0, 0xc3]).unwrap();
        assert_eq!(m.bytes(), &[0xb8, 42, 0, 0, 0, 0xc3]);
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
        let start = format!("{:x}-", m.addr());
        let line = maps.lines().find(|l| l.starts_with(&start)).expect("mapping listed");
        assert!(line.contains(" r-xp "), "{line}");
        // SAFETY: the code above returns 42 without touching its argument.
        assert_eq!(unsafe { (m.entry())(std::ptr::null_mut(), std::ptr::null_mut()) }, 42);
    }
}
