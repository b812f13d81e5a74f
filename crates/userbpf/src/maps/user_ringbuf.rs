//! BPF_MAP_TYPE_USER_RINGBUF (kernel/bpf/ringbuf.c): a ring buffer user
//! space produces into and programs drain. Its creation rules, layout and
//! (ENOTSUPP) element commands are the ring buffer's: the object is a
//! [`super::RingBuf`].

use super::{ringbuf, CreateCtx, MapAttr, MapOps};
use crate::uapi::Errno;

/// ringbuf_map_alloc(), shared with BPF_MAP_TYPE_RINGBUF.
pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    ringbuf::alloc(a, ctx)
}
