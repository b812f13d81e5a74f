//! Linux errno values, as bpf(2) returns them (negated in the kernel,
//! positive here).

use std::fmt;

/// An errno value. `Errno::EINVAL.0 == 22`, as on Linux.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    pub const EPERM: Errno = Errno(1);
    pub const ENOENT: Errno = Errno(2);
    pub const ESRCH: Errno = Errno(3);
    pub const ENXIO: Errno = Errno(6);
    pub const E2BIG: Errno = Errno(7);
    pub const EBADF: Errno = Errno(9);
    pub const EAGAIN: Errno = Errno(11);
    pub const ENOMEM: Errno = Errno(12);
    pub const EACCES: Errno = Errno(13);
    pub const EFAULT: Errno = Errno(14);
    pub const EBUSY: Errno = Errno(16);
    pub const EEXIST: Errno = Errno(17);
    pub const ENODEV: Errno = Errno(19);
    pub const ENOTDIR: Errno = Errno(20);
    pub const EINVAL: Errno = Errno(22);
    pub const EMFILE: Errno = Errno(24);
    pub const ENOSPC: Errno = Errno(28);
    pub const ERANGE: Errno = Errno(34);
    pub const ENAMETOOLONG: Errno = Errno(36);
    pub const ENOSYS: Errno = Errno(38);
    pub const ELOOP: Errno = Errno(40);
    pub const EPROTO: Errno = Errno(71);
    pub const EBADMSG: Errno = Errno(74);
    pub const EOVERFLOW: Errno = Errno(75);
    pub const ENOTSOCK: Errno = Errno(88);
    pub const EBADFD: Errno = Errno(77);
    pub const EAFNOSUPPORT: Errno = Errno(97);
    pub const EOPNOTSUPP: Errno = Errno(95);
    /// Kernel-internal "operation not supported" (no libc name).
    pub const ENOTSUPP: Errno = Errno(524);

    /// The symbolic name, as Python's `errno.errorcode` (and kbpf.py) prints it.
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "EPERM",
            2 => "ENOENT",
            3 => "ESRCH",
            7 => "E2BIG",
            9 => "EBADF",
            11 => "EAGAIN",
            12 => "ENOMEM",
            13 => "EACCES",
            14 => "EFAULT",
            16 => "EBUSY",
            17 => "EEXIST",
            6 => "ENXIO",
            19 => "ENODEV",
            20 => "ENOTDIR",
            22 => "EINVAL",
            24 => "EMFILE",
            28 => "ENOSPC",
            34 => "ERANGE",
            36 => "ENAMETOOLONG",
            38 => "ENOSYS",
            40 => "ELOOP",
            71 => "EPROTO",
            74 => "EBADMSG",
            75 => "EOVERFLOW",
            88 => "ENOTSOCK",
            97 => "EAFNOSUPPORT",
            77 => "EBADFD",
            // Python (and so kbpf.py) names 95 by its alias.
            95 => "ENOTSUP",
            524 => "524",
            _ => "EUNKNOWN",
        }
    }

    /// Parse a symbolic name or a number.
    pub fn from_name(s: &str) -> Option<Errno> {
        if let Ok(n) = s.parse::<i32>() {
            return Some(Errno(n));
        }
        if s == "EOPNOTSUPP" {
            return Some(Errno::EOPNOTSUPP);
        }
        (1..=600).map(Errno).find(|e| e.name() == s)
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.name(), self.0)
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name())
    }
}

impl std::error::Error for Errno {}
