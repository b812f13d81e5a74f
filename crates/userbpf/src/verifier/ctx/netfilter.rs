//! struct bpf_nf_ctx (nf_is_valid_access, net/netfilter/nf_bpf_link.c):
//! two read-only pointers typed by the kernel's BTF (nf_hook_state,
//! sk_buff).

use super::{CtxField, CtxPtr, Query};

const SIZE: i64 = 16;

pub(super) fn access(q: Query) -> Option<CtxField> {
    let (off, size) = (q.off, q.size);
    if !(0..SIZE).contains(&off) || q.misaligned() || q.is_write() {
        return None;
    }
    // state at 0 and skb at 8, both pointers read whole.
    (size == 8).then_some(CtxField::Unmodelled(CtxPtr::BtfId))
}
