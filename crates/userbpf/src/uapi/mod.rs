//! The ABI: `union bpf_attr` per command, `struct bpf_prog_info`, the
//! enumerations, errno values, the helper ids. Layouts are byte offsets
//! checked by tests.

pub mod attr;
pub mod errno;
pub mod helper_ids;
pub mod map_info;
pub mod prog_info;
pub mod types;

/// The kernel's PAGE_SIZE (x86-64): memlock is charged in pages; an attr
/// and a test run's packet may not exceed one.
pub const PAGE_SIZE: u64 = 4096;
/// BPF_MAX_LOOPS (include/linux/bpf.h): the most iterations bpf_loop runs,
/// and the budget of `may_goto` loops.
pub const BPF_MAX_LOOPS: u64 = 8 * 1024 * 1024;

pub use attr::Attr;
pub use errno::Errno;
