//! Packet helpers (net/core/filter.c). They find the packet through the
//! run's [`PacketView`]: its pointers live in the context's shadow slots
//! (see [`crate::runtime::ctx_layout`]), which these helpers move.

use crate::exec::helper_table::{HelperCall, HelperExit};
use crate::runtime::env::PacketView;
use crate::uapi::Errno;

use super::neg;

type R = Result<u64, HelperExit>;

/// sizeof(struct xdp_frame): the head of the XDP buffer no data may enter.
const XDP_FRAME_SIZE: u64 = 40;
/// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)): the XDP buffer's tail.
pub const XDP_TAILROOM: u64 = 320;
const ETH_HLEN: u64 = 14;

struct Ptrs {
    view: PacketView,
    data: u64,
    data_end: u64,
    data_meta: u64,
}

fn view(c: &HelperCall<'_, '_>) -> Result<Ptrs, HelperExit> {
    let view = c
        .env
        .packet
        .ok_or_else(|| HelperExit::Failed("the run has no packet".into()))?;
    let get = |off: usize| c.mem.load(view.ctx + off as u64, 8);
    Ok(Ptrs {
        data: get(view.layout.data)?,
        data_end: get(view.layout.data_end)?,
        data_meta: get(view.layout.data_meta)?,
        view,
    })
}

fn set(c: &mut HelperCall<'_, '_>, p: &Ptrs, data: u64, data_end: u64, data_meta: u64) -> Result<(), HelperExit> {
    let l = p.view.layout;
    c.mem.store(p.view.ctx + l.data as u64, 8, data)?;
    c.mem.store(p.view.ctx + l.data_end as u64, 8, data_end)?;
    c.mem.store(p.view.ctx + l.data_meta as u64, 8, data_meta)?;
    Ok(())
}

/// bpf_skb_load_bytes(skb, offset, to, len): bytes from skb->data + offset;
/// out of the packet: `to` zeroed and -EFAULT.
pub fn skb_load_bytes(c: &mut HelperCall<'_, '_>, a: [u64; 5]) -> R {
    let p = view(c)?;
    let (off, to, len) = (a[1] as u32 as u64, a[2], a[3] as u32 as u64);
    let pkt_len = p.data_end - p.data;
    if off > i32::MAX as u64 || off + len > pkt_len {
        c.mem.write_bytes(to, &vec![0u8; len as usize])?;
        return Ok(neg(Errno::EFAULT));
    }
    let mut buf = vec![0u8; len as usize];
    c.mem.read_bytes(p.data + off, &mut buf)?;
    c.mem.write_bytes(to, &buf)?;
    Ok(0)
}

/// BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH.
const STORE_FLAGS: u64 = 1 | 2;

/// bpf_skb_store_bytes(skb, offset, from, len, flags).
pub fn skb_store_bytes(c: &mut HelperCall<'_, '_>, a: [u64; 5]) -> R {
    let p = view(c)?;
    let (off, from, len, flags) = (a[1] as u32 as u64, a[2], a[3] as u32 as u64, a[4]);
    if flags & !STORE_FLAGS != 0 {
        return Ok(neg(Errno::EINVAL));
    }
    if off > 0xffff || off + len > p.data_end - p.data {
        return Ok(neg(Errno::EFAULT));
    }
    let mut buf = vec![0u8; len as usize];
    c.mem.read_bytes(from, &mut buf)?;
    c.mem.write_bytes(p.data + off, &buf)?;
    Ok(0)
}

/// bpf_xdp_adjust_head(xdp, delta): moves data (and the metadata with it).
pub fn xdp_adjust_head(c: &mut HelperCall<'_, '_>, a: [u64; 5]) -> R {
    let p = view(c)?;
    let delta = a[1] as i32 as i64;
    let metalen = p.data.saturating_sub(p.data_meta);
    let data_start = p.view.buf + XDP_FRAME_SIZE + metalen;
    let data = p.data.wrapping_add(delta as u64);
    if (data as i64) < data_start as i64 || data > p.data_end - ETH_HLEN {
        return Ok(neg(Errno::EINVAL));
    }
    let meta = p.data_meta.wrapping_add(delta as u64);
    if metalen > 0 {
        let mut m = vec![0u8; metalen as usize];
        c.mem.read_bytes(p.data_meta, &mut m)?;
        c.mem.write_bytes(meta, &m)?;
    }
    set(c, &p, data, p.data_end, meta)?;
    Ok(0)
}

/// bpf_xdp_adjust_meta(xdp, delta): metadata of at most 32 bytes, a
/// multiple of 4.
pub fn xdp_adjust_meta(c: &mut HelperCall<'_, '_>, a: [u64; 5]) -> R {
    let p = view(c)?;
    let meta = p.data_meta.wrapping_add(a[1] as i32 as i64 as u64);
    if meta < p.view.buf + XDP_FRAME_SIZE || meta > p.data {
        return Ok(neg(Errno::EINVAL));
    }
    let metalen = p.data - meta;
    if metalen % 4 != 0 || metalen > u8::MAX as u64 {
        return Ok(neg(Errno::EACCES));
    }
    set(c, &p, p.data, p.data_end, meta)?;
    Ok(0)
}

/// bpf_xdp_adjust_tail(xdp, delta): grows (zero-filled) up to the frame's
/// tailroom or shrinks down to an Ethernet header.
pub fn xdp_adjust_tail(c: &mut HelperCall<'_, '_>, a: [u64; 5]) -> R {
    let p = view(c)?;
    let delta = a[1] as i32 as i64;
    let hard_end = p.view.buf + p.view.buf_len - XDP_TAILROOM;
    let end = p.data_end.wrapping_add(delta as u64);
    if end > hard_end || (end as i64) < (p.data + ETH_HLEN) as i64 {
        return Ok(neg(Errno::EINVAL));
    }
    if delta > 0 {
        c.mem.write_bytes(p.data_end, &vec![0u8; delta as usize])?;
    }
    set(c, &p, p.data, end, p.data_meta)?;
    Ok(0)
}

/// One's-complement 32-bit accumulation with end-around carry, as x86's
/// csum_partial() returns it.
fn csum_partial(words: &[u32], seed: u32) -> u32 {
    let mut sum = seed as u64;
    for w in words {
        sum += *w as u64;
    }
    while sum >> 32 != 0 {
        sum = (sum & 0xffff_ffff) + (sum >> 32);
    }
    sum as u32
}

/// bpf_csum_diff(from, from_size, to, to_size, seed).
pub fn csum_diff(c: &mut HelperCall<'_, '_>, a: [u64; 5]) -> R {
    let (from, from_size, to, to_size, seed) = (a[0], a[1], a[2], a[3], a[4] as u32);
    if (from_size | to_size) & 3 != 0 || from_size + to_size > 512 {
        return Ok(neg(Errno::EINVAL));
    }
    let mut words = Vec::with_capacity(((from_size + to_size) / 4) as usize);
    for k in 0..from_size / 4 {
        words.push(!(c.mem.load(from + 4 * k, 4)? as u32));
    }
    for k in 0..to_size / 4 {
        words.push(c.mem.load(to + 4 * k, 4)? as u32);
    }
    Ok(csum_partial(&words, seed) as u64)
}
