//! Memory helpers: probe reads and string parsing (kernel/trace/bpf_trace.c,
//! kernel/bpf/helpers.c).
//!
//! All guest memory is "kernel" memory: a probe read of the kernel kind
//! copies from any mapped region, while the user kind finds no user
//! mapping and fails with -EFAULT, as a kernel address passed to
//! copy_from_user_nofault() does.

use super::HelperCall;
use crate::exec::helper_table::HelperExit;
use crate::exec::memory::AccessKind;
use crate::uapi::Errno;

use super::neg;

type R = Result<u64, HelperExit>;

/// Below this an address is in the user half on x86-64, where
/// copy_from_kernel_nofault() refuses with -ERANGE before trying.
const TASK_SIZE_MAX_PLUS_PAGE: u64 = (1 << 47) - 4096 + 4096;

/// The sizes the verifier lets through are bounded; this bounds a helper
/// called with a wild size by a program that was not verified.
const MAX_COPY: u64 = 1 << 20;

fn fail_errno(src: u64) -> Errno {
    if src < TASK_SIZE_MAX_PLUS_PAGE {
        Errno::ERANGE
    } else {
        Errno::EFAULT
    }
}

fn zero_dst(c: &mut HelperCall<'_, '_>, dst: u64, size: u64) -> Result<(), HelperExit> {
    c.mem.write_bytes(dst, &vec![0u8; size as usize])?;
    Ok(())
}

/// bpf_probe_read_kernel(dst, size, src): 0, or -ERANGE/-EFAULT with dst
/// zeroed.
pub fn probe_read_kernel(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let (dst, size, src) = (a[0], a[1].min(MAX_COPY), a[2]);
    let mut buf = vec![0u8; size as usize];
    match c.mem.read_bytes(src, &mut buf) {
        Ok(()) => {
            c.mem.write_bytes(dst, &buf)?;
            Ok(0)
        }
        Err(_) => {
            zero_dst(c, dst, size)?;
            Ok(neg(fail_errno(src)))
        }
    }
}

/// bpf_probe_read / bpf_probe_read_str (the compat forms): a kernel read
/// whose failure is -EFAULT whatever the address.
pub fn probe_read_compat(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let r = probe_read_kernel(c, a)?;
    Ok(if r == neg(Errno::ERANGE) { neg(Errno::EFAULT) } else { r })
}

/// bpf_probe_read_str (compat).
pub fn probe_read_compat_str(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let r = probe_read_kernel_str(c, a)?;
    Ok(if r == neg(Errno::ERANGE) { neg(Errno::EFAULT) } else { r })
}

/// bpf_probe_read_user(dst, size, src): no user memory exists here.
pub fn probe_read_user(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let size = a[1].min(MAX_COPY);
    zero_dst(c, a[0], size)?;
    Ok(neg(Errno::EFAULT))
}

/// bpf_probe_read_kernel_str(dst, size, src): copies up to the NUL (at
/// most size - 1 bytes, then a NUL); returns the length with the NUL.
pub fn probe_read_kernel_str(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let (dst, size, src) = (a[0], a[1].min(MAX_COPY), a[2]);
    if size == 0 {
        return Ok(0);
    }
    let mut out = Vec::with_capacity(size as usize);
    let mut fault = false;
    while (out.len() as u64) < size - 1 {
        match c.mem.load(src.wrapping_add(out.len() as u64), 1) {
            Ok(0) => break,
            Ok(b) => out.push(b as u8),
            Err(_) => {
                fault = true;
                break;
            }
        }
    }
    if fault {
        zero_dst(c, dst, size)?;
        return Ok(neg(fail_errno(src)));
    }
    out.push(0);
    c.mem.write_bytes(dst, &out)?;
    Ok(out.len() as u64)
}

/// bpf_probe_read_user_str(dst, size, src).
pub fn probe_read_user_str(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    if a[1] == 0 {
        return Ok(0);
    }
    probe_read_user(c, a)
}

/// BPF_STRTOX_BASE_MASK.
const BASE_MASK: u64 = 0x1f;

/// __bpf_strtoull(): (consumed, value, negative) or the errno.
fn strtoull(buf: &[u8], flags: u64) -> Result<(usize, u64, bool), Errno> {
    let mut base = (flags & BASE_MASK) as u32;
    if buf.is_empty() || ![0, 8, 10, 16].contains(&base) || flags & !BASE_MASK != 0 {
        return Err(Errno::EINVAL);
    }
    let mut i = buf.iter().take_while(|b| b" \t\n\x0b\x0c\r".contains(b)).count();
    let negative = buf.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    if i == buf.len() {
        return Err(Errno::EINVAL);
    }
    // The kernel parses a NUL-terminated copy of at most 63 bytes.
    let mut s: Vec<u8> = buf[i..].iter().copied().take(63).collect();
    if let Some(nul) = s.iter().position(|&b| b == 0) {
        s.truncate(nul);
    }
    let mut j = 0;
    let is_x = |k: usize| s.get(k).is_some_and(|b| b.eq_ignore_ascii_case(&b'x'));
    if base == 0 {
        base = if s.first() == Some(&b'0') {
            if is_x(1) && s.get(2).is_some_and(u8::is_ascii_hexdigit) {
                16
            } else {
                8
            }
        } else {
            10
        };
    }
    if base == 16 && s.first() == Some(&b'0') && is_x(1) {
        j = 2;
    }
    let mut value: u64 = 0;
    let mut digits = 0;
    let mut overflow = false;
    while let Some(&b) = s.get(j + digits) {
        let d = match b {
            b'0'..=b'9' => (b - b'0') as u32,
            b'a'..=b'f' => (b - b'a' + 10) as u32,
            b'A'..=b'F' => (b - b'A' + 10) as u32,
            _ => break,
        };
        if d >= base {
            break;
        }
        match value.checked_mul(base as u64).and_then(|v| v.checked_add(d as u64)) {
            Some(v) => value = v,
            None => overflow = true,
        }
        digits += 1;
    }
    if overflow {
        return Err(Errno::ERANGE);
    }
    if digits == 0 {
        return Err(Errno::EINVAL);
    }
    Ok((i + j + digits, value, negative))
}

fn read_buf(c: &HelperCall<'_, '_>, addr: u64, len: u64) -> Result<Vec<u8>, HelperExit> {
    let len = len.min(MAX_COPY) as usize;
    c.mem.translate(addr, len, AccessKind::Read)?;
    let mut b = vec![0u8; len];
    c.mem.read_bytes(addr, &mut b)?;
    Ok(b)
}

/// bpf_strtol(buf, buf_len, flags, res): characters consumed, or -EINVAL /
/// -ERANGE; `*res` is written only on success.
pub fn strtol(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let buf = read_buf(c, a[0], a[1])?;
    // *res is zeroed first, so it reads 0 after a failure.
    c.mem.store(a[3], 8, 0)?;
    let (n, v, negative) = match strtoull(&buf, a[2]) {
        Ok(x) => x,
        Err(e) => return Ok(neg(e)),
    };
    let res = if negative {
        let r = (v as i64).wrapping_neg();
        if r > 0 {
            return Ok(neg(Errno::ERANGE));
        }
        r
    } else {
        if (v as i64) < 0 {
            return Ok(neg(Errno::ERANGE));
        }
        v as i64
    };
    c.mem.store(a[3], 8, res as u64)?;
    Ok(n as u64)
}

/// bpf_strtoul(buf, buf_len, flags, res): a minus sign is -EINVAL.
pub fn strtoul(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let buf = read_buf(c, a[0], a[1])?;
    c.mem.store(a[3], 8, 0)?;
    match strtoull(&buf, a[2]) {
        Ok((_, _, true)) => Ok(neg(Errno::EINVAL)),
        Ok((n, v, false)) => {
            c.mem.store(a[3], 8, v)?;
            Ok(n as u64)
        }
        Err(e) => Ok(neg(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strtoull_follows_the_kernel_rules() {
        // Hand-derived from __bpf_strtoull()/_parse_integer_fixup_radix().
        assert_eq!(strtoull(b"  123abc", 10), Ok((5, 123, false)));
        assert_eq!(strtoull(b"-42", 0), Ok((3, 42, true)));
        assert_eq!(strtoull(b"0x1f", 0), Ok((4, 31, false)));
        assert_eq!(strtoull(b"0x1f", 16), Ok((4, 31, false)));
        assert_eq!(strtoull(b"017", 0), Ok((3, 15, false)));
        assert_eq!(strtoull(b"0x", 0), Ok((1, 0, false)), "0 then a non-octal digit");
        assert_eq!(strtoull(b"   ", 10), Err(Errno::EINVAL));
        assert_eq!(strtoull(b"12", 7), Err(Errno::EINVAL));
        assert_eq!(strtoull(b"12", 0x20 | 10), Err(Errno::EINVAL));
        assert_eq!(strtoull(b"99999999999999999999", 10), Err(Errno::ERANGE));
        assert_eq!(strtoull(b"12\x0034", 10), Ok((2, 12, false)));
    }
}
