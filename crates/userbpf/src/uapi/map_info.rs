//! `struct bpf_map_info` (include/uapi/linux/bpf.h, 6.18): byte offsets of
//! what BPF_OBJ_GET_INFO_BY_FD fills in for a map.

pub const TYPE: usize = 0;
pub const ID: usize = 4;
pub const KEY_SIZE: usize = 8;
pub const VALUE_SIZE: usize = 12;
pub const MAX_ENTRIES: usize = 16;
pub const MAP_FLAGS: usize = 20;
pub const NAME: usize = 24;
pub const IFINDEX: usize = 40;
pub const BTF_VMLINUX_VALUE_TYPE_ID: usize = 44;
pub const NETNS_DEV: usize = 48;
pub const NETNS_INO: usize = 56;
pub const BTF_ID: usize = 64;
pub const BTF_KEY_TYPE_ID: usize = 68;
pub const BTF_VALUE_TYPE_ID: usize = 72;
pub const BTF_VMLINUX_ID: usize = 76;
pub const MAP_EXTRA: usize = 80;
pub const HASH: usize = 88;
pub const HASH_SIZE: usize = 96;
/// sizeof(struct bpf_map_info): 100 bytes of fields, aligned to 8.
pub const SIZE: usize = 104;
/// Where the kernel's zero-tail check starts (offsetofend of `hash_size`):
/// non-zero padding at 100..104 is E2BIG too (recorded on 6.18).
pub const CHECKED_SIZE: usize = 100;
