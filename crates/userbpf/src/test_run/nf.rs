//! bpf_prog_test_run_nf(): a netfilter program on an skb built from
//! data_in, at the hook (and protocol family) a `struct nf_hook_state` ctx
//! names (default: IPv4 LOCAL_OUT). Only the return value and the
//! duration come back; data_out is always empty.

use super::{ctx_init, test_init, Finish, Runner, TestAttr, ETH_HLEN, PAGE_SIZE};
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

/// NET_SKB_PAD + NET_IP_ALIGN and SKB_DATA_ALIGN(sizeof(skb_shared_info)).
const HEADROOM: usize = 64;
const TAILROOM: usize = 320;
/// sizeof(struct nf_hook_state): hook and pf (u8 each, padded to 8), then
/// the in, out, sk, net and okfn pointers.
const HOOK_STATE_SIZE: usize = 48;
/// sizeof(struct bpf_nf_ctx): the state and skb pointers.
const NF_CTX_SIZE: usize = 16;
const NFPROTO_IPV4: u8 = 2;
const NFPROTO_IPV6: u8 = 10;
const NF_INET_LOCAL_OUT: u8 = 3;
const IPV4_HLEN: u32 = 20;
const IPV6_HLEN: u32 = 40;

pub(crate) fn test_run(r: &Runner<'_>, t: &TestAttr, mem: &dyn UserMemory) -> Result<Finish, Errno> {
    if t.flags != 0 || t.cpu != 0 || t.batch_size != 0 {
        return Err(Errno::EINVAL);
    }
    let size = t.data_size_in;
    if size < IPV4_HLEN {
        return Err(Errno::EINVAL);
    }
    let max = PAGE_SIZE - (HEADROOM + TAILROOM) as u64;
    let buf = test_init(t, mem, size, max, HEADROOM, TAILROOM)?;
    // verify_and_copy_hook_state(): no device, socket, netns or okfn
    // pointers; pf IPv4 or IPv6; the hook is taken as given.
    let (mut hook, mut pf) = (NF_INET_LOCAL_OUT, NFPROTO_IPV4);
    if let Some(c) = ctx_init(t, mem, HOOK_STATE_SIZE)? {
        if c[8..].iter().any(|&b| b != 0) || !matches!(c[1], NFPROTO_IPV4 | NFPROTO_IPV6) {
            return Err(Errno::EINVAL);
        }
        (hook, pf) = (c[0], c[1]);
    }
    // Off LOCAL_OUT the frame starts with an Ethernet header whose
    // protocol must match pf (a non-IP one is EPROTO).
    if hook != NF_INET_LOCAL_OUT {
        let l2 = ETH_HLEN as u32;
        if size < l2 + IPV4_HLEN {
            return Err(Errno::EINVAL);
        }
        let frame = &buf[HEADROOM..];
        match u16::from_be_bytes([frame[12], frame[13]]) {
            0x0800 if pf == NFPROTO_IPV4 => {}
            0x86dd if size >= l2 + IPV6_HLEN && pf == NFPROTO_IPV6 => {}
            0x0800 | 0x86dd => return Err(Errno::EINVAL),
            _ => return Err(Errno::EPROTO),
        }
    }
    // The program's ctx is struct bpf_nf_ctx, whose state and skb pointers
    // it may only follow through kernel BTF; they are not modelled (zero).
    let mut ctx = vec![0u8; NF_CTX_SIZE];
    let mut setup = r.setup(&mut ctx);
    let (retval, duration) = r.run(t.repeat, &mut setup)?;
    Ok(Finish {
        retval,
        duration,
        data: Some(Vec::new()),
        frags_len: 0,
        ctx: None,
    })
}
