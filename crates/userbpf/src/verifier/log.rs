//! The verifier log (kernel/bpf/log.c): level and buffer checks, rotating
//! or fixed truncation, ENOSPC when the text did not fit, and the true size
//! the caller needed.

use crate::uapi::types::BPF_LOG_MASK;
use crate::uapi::Errno;

/// BPF_LOG_FIXED: keep the start of the log instead of its end.
pub const BPF_LOG_FIXED: u32 = 8;

#[derive(Debug, Default)]
pub struct VerifierLog {
    pub level: u32,
    /// log_size: bytes available in the caller's buffer (with its NUL).
    pub len_total: u32,
    has_buf: bool,
    text: Vec<u8>,
    /// The longest the text ever was: a log reset to an earlier position
    /// still needed that much room (len_max).
    max_len: usize,
}

impl VerifierLog {
    /// bpf_vlog_init(): buffer and size come together, a buffer needs a
    /// level, the level has only known bits, the size is at most
    /// UINT_MAX >> 2. Anything else is EINVAL.
    pub fn new(level: u32, log_buf: u64, log_size: u32) -> Result<Self, Errno> {
        let has_buf = log_buf != 0;
        if has_buf != (log_size != 0)
            || (has_buf && level == 0)
            || level & !BPF_LOG_MASK != 0
            || log_size > u32::MAX >> 2
        {
            return Err(Errno::EINVAL);
        }
        Ok(VerifierLog {
            level,
            len_total: log_size,
            has_buf,
            text: Vec::new(),
            max_len: 0,
        })
    }

    /// Whether anything is logged at all.
    pub fn enabled(&self) -> bool {
        self.has_buf && self.level != 0
    }

    /// Append a line (the caller includes the newline).
    pub fn write(&mut self, s: &str) {
        if self.enabled() {
            self.text.extend_from_slice(s.as_bytes());
            self.max_len = self.max_len.max(self.text.len());
        }
    }

    /// Drop everything after `len` bytes (bpf_vlog_reset).
    pub fn truncate(&mut self, len: usize) {
        self.text.truncate(len);
    }

    /// The whole text logged so far.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Bytes the caller needed: the text and its NUL (log_true_size).
    pub(crate) fn true_size(&self) -> u32 {
        if self.enabled() {
            self.max_len.max(self.text.len()) as u32 + 1
        } else {
            0
        }
    }

    /// What lands in the caller's buffer, NUL-terminated, and whether the
    /// text was truncated (ENOSPC). A rotating log keeps the last bytes, a
    /// fixed one the first.
    pub(crate) fn finalize(&self) -> (Vec<u8>, Result<(), Errno>) {
        if !self.enabled() {
            return (Vec::new(), Ok(()));
        }
        let room = self.len_total as usize - 1;
        let fits = self.max_len.max(self.text.len()) <= room;
        let body = if self.text.len() <= room {
            &self.text[..]
        } else if self.level & BPF_LOG_FIXED != 0 {
            &self.text[..room]
        } else {
            &self.text[self.text.len() - room..]
        };
        let mut out = body.to_vec();
        out.push(0);
        (out, if fits { Ok(()) } else { Err(Errno::ENOSPC) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_rules() {
        assert!(VerifierLog::new(0, 0, 0).is_ok());
        assert_eq!(VerifierLog::new(1, 0, 100).unwrap_err(), Errno::EINVAL);
        assert_eq!(VerifierLog::new(0, 1, 100).unwrap_err(), Errno::EINVAL);
        assert_eq!(VerifierLog::new(16, 1, 100).unwrap_err(), Errno::EINVAL);
        assert_eq!(VerifierLog::new(1, 1, u32::MAX).unwrap_err(), Errno::EINVAL);
        assert!(VerifierLog::new(2 | 4 | 8, 1, 100).is_ok());
    }

    #[test]
    fn truncation_rotates_or_keeps_the_start() {
        let mut l = VerifierLog::new(1, 1, 5).unwrap();
        l.write("abcdefgh");
        assert_eq!(l.finalize(), (b"efgh\0".to_vec(), Err(Errno::ENOSPC)));
        assert_eq!(l.true_size(), 9);
        let mut l = VerifierLog::new(1 | BPF_LOG_FIXED, 1, 5).unwrap();
        l.write("abcdefgh");
        assert_eq!(l.finalize().0, b"abcd\0".to_vec());
    }
}
