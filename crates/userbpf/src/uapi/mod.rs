//! The ABI: `union bpf_attr` per command, `struct bpf_prog_info`, the
//! enumerations, errno values, the helper ids. Layouts are byte offsets
//! checked by tests.

pub mod attr;
pub mod errno;
pub mod helper_ids;
pub mod map_info;
pub mod prog_info;
pub mod types;

pub use attr::Attr;
pub use errno::Errno;
