//! The kernel's restricted printf (bpf_bprintf_prepare() + bstr_printf())
//! for bpf_trace_printk() and bpf_snprintf().
//!
//! Accepted: `%%`, flags `0 + - space`, a width, `l`/`ll`, conversions
//! `d i u x X` (and `c`, `s`), and the pointer forms `%px %pK %p %pI4 %pi4
//! %pI6 %pi6 %pks %pus`. Anything else, more conversions than arguments, or
//! a non-printable byte in the format is -EINVAL, as in the kernel.

use super::HelperCall;
use crate::exec::helper_table::HelperExit;
use crate::exec::memory::GuestMemory;
use crate::uapi::Errno;

use super::neg;

type R = Result<u64, HelperExit>;

/// MAX_BPRINTF_BUF: the output buffer of bstr_printf in both helpers.
const MAX_BPRINTF_BUF: usize = 512;
/// MAX_BPRINTF_VARARGS.
const MAX_BPRINTF_VARARGS: usize = 12;

/// Why a format was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("the format is not NUL-terminated within its size")]
    Unterminated,
    #[error("byte {0:#04x} at {1} is not printable")]
    NotPrintable(u8, usize),
    #[error("unsupported conversion at {0}")]
    BadConversion(usize),
    #[error("more conversions than the {0} arguments")]
    TooFewArgs(usize),
}

/// Format `fmt` (up to its NUL) with `args`; strings and pointed-to
/// values are read from `mem`. Returns the full output (untruncated).
pub fn format_printk(mem: &GuestMemory<'_>, fmt: &[u8], args: &[u64]) -> Result<Vec<u8>, FormatError> {
    let end = fmt.iter().position(|&b| b == 0).ok_or(FormatError::Unterminated)?;
    let fmt = &fmt[..end];
    let mut out = Vec::new();
    let mut next_arg = 0usize;
    let mut i = 0;
    while i < fmt.len() {
        let b = fmt[i];
        if !(b.is_ascii_graphic() || b.is_ascii_whitespace() || b == b' ') {
            return Err(FormatError::NotPrintable(b, i));
        }
        if b != b'%' {
            out.push(b);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if fmt.get(i) == Some(&b'%') {
            out.push(b'%');
            i += 1;
            continue;
        }
        let mut arg = || -> Result<u64, FormatError> {
            let a = *args.get(next_arg).ok_or(FormatError::TooFewArgs(args.len()))?;
            next_arg += 1;
            Ok(a)
        };
        // Flags and width.
        let (mut zero, mut left, mut plus, mut space) = (false, false, false, false);
        while let Some(&f) = fmt.get(i) {
            match f {
                b'0' => zero = true,
                b'-' => left = true,
                b'+' => plus = true,
                b' ' => space = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = 0usize;
        while let Some(d) = fmt.get(i).filter(|d| d.is_ascii_digit()) {
            width = width
                .saturating_mul(10)
                .saturating_add((d - b'0') as usize)
                .min(MAX_BPRINTF_BUF);
            i += 1;
        }
        let pad = |s: Vec<u8>, out: &mut Vec<u8>, numeric: bool| {
            let fill = width.saturating_sub(s.len());
            if left {
                out.extend_from_slice(&s);
                out.extend(std::iter::repeat_n(b' ', fill));
            } else if zero && numeric {
                // Zeros go after a sign.
                let (sign, digits) = match s.first() {
                    Some(b'-' | b'+' | b' ') => s.split_at(1),
                    _ => s.split_at(0),
                };
                out.extend_from_slice(sign);
                out.extend(std::iter::repeat_n(b'0', fill));
                out.extend_from_slice(digits);
            } else {
                out.extend(std::iter::repeat_n(b' ', fill));
                out.extend_from_slice(&s);
            }
        };
        match fmt.get(i) {
            Some(b'c') => {
                let c = arg()? as u8;
                pad(vec![c], &mut out, false);
                i += 1;
            }
            Some(b's') => {
                let p = arg()?;
                pad(read_str(mem, p), &mut out, false);
                i += 1;
            }
            Some(b'p') => {
                i += 1;
                let p = arg()?;
                let rest = &fmt[i..];
                let (s, used) = if rest.starts_with(b"ks") {
                    (read_str(mem, p), 2)
                } else if rest.starts_with(b"us") {
                    (Vec::new(), 2)
                } else if rest.starts_with(b"I4") || rest.starts_with(b"i4") {
                    (ipv4(mem, p, rest[0] == b'i'), 2)
                } else if rest.starts_with(b"I6") || rest.starts_with(b"i6") {
                    (ipv6(mem, p, rest[0] == b'i'), 2)
                } else if rest.starts_with(b"x") || rest.starts_with(b"K") {
                    (format!("{p:016x}").into_bytes(), 1)
                } else if rest.first().is_some_and(u8::is_ascii_alphanumeric) {
                    return Err(FormatError::BadConversion(start));
                } else {
                    // Plain %p prints a hashed pointer: not reproducible.
                    (format!("{:016x}", hash_ptr(p)).into_bytes(), 0)
                };
                pad(s, &mut out, false);
                i += used;
            }
            _ => {
                let mut long = 0;
                while fmt.get(i) == Some(&b'l') && long < 2 {
                    long += 1;
                    i += 1;
                }
                let conv = *fmt.get(i).ok_or(FormatError::BadConversion(start))?;
                if !b"diuxX".contains(&conv) {
                    return Err(FormatError::BadConversion(start));
                }
                let raw = arg()?;
                let v = if long == 0 { raw as u32 as u64 } else { raw };
                let s = match conv {
                    b'd' | b'i' => {
                        let n = if long == 0 { v as u32 as i32 as i64 } else { v as i64 };
                        let sign = if n < 0 {
                            "-"
                        } else if plus {
                            "+"
                        } else if space {
                            " "
                        } else {
                            ""
                        };
                        format!("{sign}{}", n.unsigned_abs())
                    }
                    b'u' => v.to_string(),
                    b'x' => format!("{v:x}"),
                    _ => format!("{v:X}"),
                };
                pad(s.into_bytes(), &mut out, true);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn hash_ptr(p: u64) -> u64 {
    p.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(17)
}

/// A NUL-terminated guest string, as much as is readable (at most the
/// output buffer); an unreadable pointer prints nothing.
fn read_str(mem: &GuestMemory<'_>, p: u64) -> Vec<u8> {
    let mut s = Vec::new();
    while s.len() < MAX_BPRINTF_BUF {
        match mem.load(p.wrapping_add(s.len() as u64), 1) {
            Ok(0) | Err(_) => break,
            Ok(b) => s.push(b as u8),
        }
    }
    s
}

fn ipv4(mem: &GuestMemory<'_>, p: u64, padded: bool) -> Vec<u8> {
    let mut a = [0u8; 4];
    if mem.read_bytes(p, &mut a).is_err() {
        return Vec::new();
    }
    let parts: Vec<String> = a
        .iter()
        .map(|b| if padded { format!("{b:03}") } else { b.to_string() })
        .collect();
    parts.join(".").into_bytes()
}

fn ipv6(mem: &GuestMemory<'_>, p: u64, plain: bool) -> Vec<u8> {
    let mut a = [0u8; 16];
    if mem.read_bytes(p, &mut a).is_err() {
        return Vec::new();
    }
    let groups: Vec<String> = a.chunks(2).map(|g| format!("{:02x}{:02x}", g[0], g[1])).collect();
    groups.join(if plain { "" } else { ":" }).into_bytes()
}

/// bpf_trace_printk(fmt, fmt_size, a1, a2, a3): the line goes to the trace
/// pipe; returns its length, or -EINVAL for a bad format.
pub fn trace_printk(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let size = a[1].min(MAX_BPRINTF_BUF as u64 * 8) as usize;
    let mut fmt = vec![0u8; size];
    c.mem.read_bytes(a[0], &mut fmt)?;
    match format_printk(c.mem, &fmt, &a[2..5]) {
        Ok(mut line) => {
            let n = line.len();
            line.truncate(MAX_BPRINTF_BUF - 1);
            if let Some(t) = c.env.trace {
                t.write(String::from_utf8_lossy(&line).into_owned());
            }
            Ok(n as u64)
        }
        Err(_) => Ok(neg(Errno::EINVAL)),
    }
}

/// bpf_snprintf(str, str_size, fmt, data, data_len): the output truncated
/// to str_size (NUL-terminated); returns the full length with its NUL.
pub fn snprintf(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let (dst, size, fmt_ptr, data, data_len) = (a[0], a[1] as usize, a[2], a[3], a[4] as usize);
    if data_len % 8 != 0 || data_len / 8 > MAX_BPRINTF_VARARGS {
        return Ok(neg(Errno::EINVAL));
    }
    let mut args = [0u64; MAX_BPRINTF_VARARGS];
    for (k, slot) in args.iter_mut().take(data_len / 8).enumerate() {
        *slot = c.mem.load(data + 8 * k as u64, 8)?;
    }
    // The format is a read-only map value the verifier checked for a NUL.
    let fmt = read_str(c.mem, fmt_ptr);
    let mut f = fmt.clone();
    f.push(0);
    let out = match format_printk(c.mem, &f, &args[..data_len / 8]) {
        Ok(o) => o,
        Err(_) => return Ok(neg(Errno::EINVAL)),
    };
    if size > 0 {
        let n = out.len().min(size - 1).min(MAX_BPRINTF_BUF - 1);
        let mut w = out[..n].to_vec();
        w.push(0);
        c.mem.write_bytes(dst, &w)?;
    }
    Ok(out.len() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[u64]) -> Result<String, FormatError> {
        let mut v = fmt.as_bytes().to_vec();
        v.push(0);
        format_printk(&GuestMemory::new(), &v, args).map(|o| String::from_utf8(o).unwrap())
    }

    #[test]
    fn conversions_print_as_printf_does() {
        assert_eq!(
            f("x=%d y=%u z=%x", &[(-5i32) as u32 as u64, 7, 255]).unwrap(),
            "x=-5 y=7 z=ff"
        );
        assert_eq!(f("%lld %llx", &[u64::MAX, u64::MAX]).unwrap(), "-1 ffffffffffffffff");
        assert_eq!(f("[%5d|%-5d|%05d]", &[42, 42, 42]).unwrap(), "[   42|42   |00042]");
        assert_eq!(f("%05d", &[(-42i32) as u32 as u64]).unwrap(), "-0042");
        assert_eq!(f("100%% %c", &[b'A' as u64]).unwrap(), "100% A");
        assert_eq!(
            f("%d", &[0x1_0000_0001]).unwrap(),
            "1",
            "without l the argument is 32 bits"
        );
    }

    #[test]
    fn refused_formats_are_einval_cases() {
        assert_eq!(f("%d %d %d %d", &[1, 2, 3]), Err(FormatError::TooFewArgs(3)));
        assert_eq!(f("%f", &[1]), Err(FormatError::BadConversion(0)));
        assert_eq!(f("%.2d", &[1]), Err(FormatError::BadConversion(0)));
        assert_eq!(f("a\x01", &[]), Err(FormatError::NotPrintable(1, 1)));
        assert_eq!(
            format_printk(&GuestMemory::new(), b"abc", &[]),
            Err(FormatError::Unterminated)
        );
    }
}
