//! `union bpf_attr`: the kernel's size rules and the field layouts of the
//! commands implemented here. Offsets are those of include/uapi/linux/bpf.h
//! (kernel 6.18), checked by the layout test below.

use super::errno::Errno;
use super::PAGE_SIZE;

/// `sizeof(union bpf_attr)` on the reference kernel (6.18): BPF_PROG_LOAD's
/// struct, ending with `keyring_id`, is the largest member.
pub const ATTR_SIZE: usize = 168;

/// An attr as the kernel holds it after copy-in: exactly `ATTR_SIZE` bytes,
/// zero-extended from what the caller passed.
#[derive(Clone, PartialEq, Eq)]
pub struct Attr {
    bytes: [u8; ATTR_SIZE],
    /// The size the caller passed, clamped to `ATTR_SIZE` (the kernel uses it
    /// to decide whether fields such as `log_true_size` may be written back).
    pub size: usize,
}

impl std::fmt::Debug for Attr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attr(size {})", self.size)
    }
}

impl Attr {
    /// The kernel's copy-in (`bpf_check_uarg_tail_zero` then a zero-filled
    /// copy): more than a page is E2BIG; bytes past `ATTR_SIZE` must be zero
    /// (E2BIG); a shorter attr is zero-extended. `user` holds at least
    /// `size` bytes (a shorter buffer is EFAULT, as a bad pointer would be).
    pub fn copy_in(user: &[u8], size: usize) -> Result<Attr, Errno> {
        // The kernel refuses attrs larger than a page outright.
        if size > PAGE_SIZE as usize {
            return Err(Errno::E2BIG);
        }
        let Some(given) = user.get(..size) else {
            return Err(Errno::EFAULT);
        };
        if given.len() > ATTR_SIZE && given[ATTR_SIZE..].iter().any(|&b| b != 0) {
            return Err(Errno::E2BIG);
        }
        let n = size.min(ATTR_SIZE);
        let mut bytes = [0u8; ATTR_SIZE];
        bytes[..n].copy_from_slice(&given[..n]);
        Ok(Attr { bytes, size: n })
    }

    /// A zeroed attr of full size (for building requests).
    pub fn zeroed() -> Attr {
        Attr {
            bytes: [0; ATTR_SIZE],
            size: ATTR_SIZE,
        }
    }

    /// CHECK_ATTR: every byte after the command's last field must be zero.
    pub fn check_unused_zero(&self, last_field_end: usize) -> Result<(), Errno> {
        if self.bytes[last_field_end..].iter().any(|&b| b != 0) {
            return Err(Errno::EINVAL);
        }
        Ok(())
    }

    pub fn bytes(&self) -> &[u8; ATTR_SIZE] {
        &self.bytes
    }

    pub fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.bytes[off..off + 4].try_into().expect("4 bytes"))
    }

    pub fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.bytes[off..off + 8].try_into().expect("8 bytes"))
    }

    pub fn slice(&self, off: usize, len: usize) -> &[u8] {
        &self.bytes[off..off + len]
    }

    /// Whether the caller's attr reached past `field_end` (so an output
    /// field there may be written back).
    pub fn covers(&self, field_end: usize) -> bool {
        self.size >= field_end
    }
}

/// Field offsets of the BPF_PROG_LOAD struct.
pub mod prog_load {
    pub const PROG_TYPE: usize = 0;
    pub const INSN_CNT: usize = 4;
    pub const INSNS: usize = 8;
    pub const LICENSE: usize = 16;
    pub const LOG_LEVEL: usize = 24;
    pub const LOG_SIZE: usize = 28;
    pub const LOG_BUF: usize = 32;
    pub const KERN_VERSION: usize = 40;
    pub const PROG_FLAGS: usize = 44;
    pub const PROG_NAME: usize = 48;
    pub const PROG_IFINDEX: usize = 64;
    pub const EXPECTED_ATTACH_TYPE: usize = 68;
    pub const PROG_BTF_FD: usize = 72;
    pub const FUNC_INFO_REC_SIZE: usize = 76;
    pub const FUNC_INFO: usize = 80;
    pub const FUNC_INFO_CNT: usize = 88;
    pub const LINE_INFO_REC_SIZE: usize = 92;
    pub const LINE_INFO: usize = 96;
    pub const LINE_INFO_CNT: usize = 104;
    pub const ATTACH_BTF_ID: usize = 108;
    pub const ATTACH_PROG_FD: usize = 112;
    pub const CORE_RELO_CNT: usize = 116;
    pub const FD_ARRAY: usize = 120;
    pub const CORE_RELOS: usize = 128;
    pub const CORE_RELO_REC_SIZE: usize = 136;
    pub const LOG_TRUE_SIZE: usize = 140;
    pub const PROG_TOKEN_FD: usize = 144;
    pub const FD_ARRAY_CNT: usize = 148;
    pub const SIGNATURE: usize = 152;
    pub const SIGNATURE_SIZE: usize = 160;
    pub const KEYRING_ID: usize = 164;
    /// End of the last field (`keyring_id`): CHECK_ATTR starts here.
    pub const LAST_FIELD_END: usize = 168;
}

/// Field offsets of BPF_PROG_TEST_RUN's `test` struct.
pub mod test_run {
    pub const PROG_FD: usize = 0;
    pub const RETVAL: usize = 4;
    pub const DATA_SIZE_IN: usize = 8;
    pub const DATA_SIZE_OUT: usize = 12;
    pub const DATA_IN: usize = 16;
    pub const DATA_OUT: usize = 24;
    pub const REPEAT: usize = 32;
    pub const DURATION: usize = 36;
    pub const CTX_SIZE_IN: usize = 40;
    pub const CTX_SIZE_OUT: usize = 44;
    pub const CTX_IN: usize = 48;
    pub const CTX_OUT: usize = 56;
    pub const FLAGS: usize = 64;
    pub const CPU: usize = 68;
    pub const BATCH_SIZE: usize = 72;
    /// End of `batch_size`: CHECK_ATTR starts here.
    pub const LAST_FIELD_END: usize = 76;
}

/// Field offsets of BPF_BTF_LOAD.
pub mod btf_load {
    pub const BTF: usize = 0;
    pub const BTF_LOG_BUF: usize = 8;
    pub const BTF_SIZE: usize = 16;
    pub const BTF_LOG_SIZE: usize = 20;
    pub const BTF_LOG_LEVEL: usize = 24;
    pub const BTF_LOG_TRUE_SIZE: usize = 28;
    pub const BTF_FLAGS: usize = 32;
    pub const BTF_TOKEN_FD: usize = 36;
    /// End of `btf_token_fd`: CHECK_ATTR starts here.
    pub const LAST_FIELD_END: usize = 40;
}

/// BPF_OBJ_GET_INFO_BY_FD: `info.{bpf_fd, info_len, info}`.
pub mod info_by_fd {
    pub const BPF_FD: usize = 0;
    pub const INFO_LEN: usize = 4;
    pub const INFO: usize = 8;
    pub const LAST_FIELD_END: usize = 16;
}

/// BPF_*_GET_NEXT_ID and BPF_*_GET_FD_BY_ID share `{start_id | prog_id |
/// map_id | ...; next_id; open_flags; fd_by_id_token_fd}`.
pub mod by_id {
    pub const START_ID: usize = 0;
    pub const NEXT_ID: usize = 4;
    pub const OPEN_FLAGS: usize = 8;
    /// GET_NEXT_ID's last field is `next_id`.
    pub const NEXT_ID_LAST_FIELD_END: usize = 8;
    /// PROG_GET_FD_BY_ID's last field is `prog_id`.
    pub const PROG_FD_BY_ID_LAST_FIELD_END: usize = 4;
}

/// BPF_OBJ_PIN / BPF_OBJ_GET: `{pathname; bpf_fd; file_flags; path_fd}`.
pub mod obj {
    pub const PATHNAME: usize = 0;
    pub const BPF_FD: usize = 8;
    pub const FILE_FLAGS: usize = 12;
    pub const PATH_FD: usize = 16;
    pub const LAST_FIELD_END: usize = 20;
}

/// BPF_MAP_CREATE.
pub mod map_create {
    pub const MAP_TYPE: usize = 0;
    pub const KEY_SIZE: usize = 4;
    pub const VALUE_SIZE: usize = 8;
    pub const MAX_ENTRIES: usize = 12;
    pub const MAP_FLAGS: usize = 16;
    pub const INNER_MAP_FD: usize = 20;
    pub const NUMA_NODE: usize = 24;
    pub const MAP_NAME: usize = 28;
    pub const MAP_IFINDEX: usize = 44;
    pub const BTF_FD: usize = 48;
    pub const BTF_KEY_TYPE_ID: usize = 52;
    pub const BTF_VALUE_TYPE_ID: usize = 56;
    pub const BTF_VMLINUX_VALUE_TYPE_ID: usize = 60;
    pub const MAP_EXTRA: usize = 64;
    pub const VALUE_TYPE_BTF_OBJ_FD: usize = 72;
    pub const MAP_TOKEN_FD: usize = 76;
    pub const EXCL_PROG_HASH: usize = 80;
    pub const EXCL_PROG_HASH_SIZE: usize = 88;
    /// End of `excl_prog_hash_size`, the last field on 6.18 (probed).
    pub const LAST_FIELD_END: usize = 92;
    /// What libbpf of the time passes (through `map_extra`).
    pub const LIBBPF_SIZE: usize = 72;
}

/// BPF_MAP_{LOOKUP,UPDATE,DELETE}_ELEM, GET_NEXT_KEY, LOOKUP_AND_DELETE_ELEM
/// and FREEZE: `{map_fd; key; value | next_key; flags}`.
pub mod map_elem {
    pub const MAP_FD: usize = 0;
    pub const KEY: usize = 8;
    pub const VALUE: usize = 16;
    pub const NEXT_KEY: usize = 16;
    pub const FLAGS: usize = 24;
    /// LOOKUP / UPDATE / LOOKUP_AND_DELETE end with `flags`.
    pub const FLAGS_LAST_FIELD_END: usize = 32;
    /// DELETE ends with `key`.
    pub const DELETE_LAST_FIELD_END: usize = 16;
    /// GET_NEXT_KEY ends with `next_key`.
    pub const NEXT_KEY_LAST_FIELD_END: usize = 24;
    /// FREEZE ends with `map_fd`.
    pub const FREEZE_LAST_FIELD_END: usize = 4;
}

/// BPF_MAP_*_BATCH: `batch.{in_batch, out_batch, keys, values, count,
/// map_fd, elem_flags, flags}`.
pub mod batch {
    pub const IN_BATCH: usize = 0;
    pub const OUT_BATCH: usize = 8;
    pub const KEYS: usize = 16;
    pub const VALUES: usize = 24;
    pub const COUNT: usize = 32;
    pub const MAP_FD: usize = 36;
    pub const ELEM_FLAGS: usize = 40;
    pub const FLAGS: usize = 48;
    pub const LAST_FIELD_END: usize = 56;
}

/// BPF_MAP_GET_FD_BY_ID: `{map_id; next_id; open_flags; fd_by_id_token_fd}`;
/// a token fd is EINVAL here (no tokens), as CHECK_ATTR would be.
pub mod map_by_id {
    pub const MAP_ID: usize = 0;
    pub const OPEN_FLAGS: usize = 8;
    pub const FD_BY_ID_LAST_FIELD_END: usize = 12;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_rules() {
        // Shorter: zero-extended.
        let a = Attr::copy_in(&[1, 0, 0, 0], 4).unwrap();
        assert_eq!(a.u32(0), 1);
        assert_eq!(a.u32(4), 0);
        assert_eq!(a.size, 4);
        // Longer with a zero tail: fine; a non-zero byte past the union: E2BIG.
        let mut big = vec![0u8; 300];
        assert!(Attr::copy_in(&big, 300).is_ok());
        big[ATTR_SIZE] = 1;
        assert_eq!(Attr::copy_in(&big, 300), Err(Errno::E2BIG));
        // A byte inside the union but past a command's last field: CHECK_ATTR.
        let mut b = vec![0u8; ATTR_SIZE];
        b[20] = 1;
        let a = Attr::copy_in(&b, ATTR_SIZE).unwrap();
        assert_eq!(a.check_unused_zero(obj::LAST_FIELD_END), Err(Errno::EINVAL));
        assert_eq!(a.check_unused_zero(21), Ok(()));
        // Over a page: E2BIG before anything is read.
        assert_eq!(Attr::copy_in(&[0; 5000], 4097), Err(Errno::E2BIG));
        // A buffer shorter than the claimed size is a bad pointer.
        assert_eq!(Attr::copy_in(&[0; 8], 16), Err(Errno::EFAULT));
    }

    #[test]
    fn prog_load_layout_matches_uapi() {
        // Hand-derived from struct { __u32 prog_type; __u32 insn_cnt;
        // __aligned_u64 insns; __aligned_u64 license; __u32 log_level;
        // __u32 log_size; __aligned_u64 log_buf; __u32 kern_version;
        // __u32 prog_flags; char prog_name[16]; __u32 prog_ifindex;
        // __u32 expected_attach_type; ... } and kbpf.py's packing.
        use prog_load::*;
        assert_eq!((INSNS, LICENSE, LOG_BUF), (8, 16, 32));
        assert_eq!((PROG_NAME, PROG_IFINDEX, EXPECTED_ATTACH_TYPE), (48, 64, 68));
        assert_eq!(
            LOG_TRUE_SIZE + 4,
            144,
            "kbpf.py's default attr size ends at log_true_size"
        );
        assert_eq!(LAST_FIELD_END, ATTR_SIZE);
    }
}
