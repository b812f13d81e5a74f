//! BPF_MAP_TYPE_ARENA (kernel/bpf/arena.c). The reference kernel (6.18 as
//! recorded in tests/fixtures/maps/misc_maps.json) refuses every arena
//! creation with EPERM, even root's and before any attribute check, so
//! that is what creating one answers here; there is no arena object.

use super::{CreateCtx, MapAttr, MapOps};
use crate::uapi::Errno;

/// The recorded kernel's answer to any BPF_MAP_CREATE of an arena.
pub fn alloc_check(_: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    Err(Errno::EPERM)
}

pub fn alloc(_: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    Err(Errno::EPERM)
}
