//! Packet helpers (net/core/filter.c). They find the packet through the
//! run's [`PacketView`]: its pointers live in the context's shadow slots
//! (see [`crate::runtime::ctx_layout`]), which these helpers move.

use super::HelperCall;
use crate::exec::helper_table::HelperExit;
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
pub fn skb_load_bytes(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
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
pub fn skb_store_bytes(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
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
pub fn xdp_adjust_head(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
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
pub fn xdp_adjust_meta(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
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
pub fn xdp_adjust_tail(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
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

/// x86's csum_partial(): 32-bit little-endian words (a short tail
/// zero-padded) plus the seed, with end-around carry.
pub(crate) fn csum_partial(bytes: &[u8], seed: u32) -> u32 {
    let mut sum = seed as u64;
    for w in bytes.chunks(4) {
        let mut b = [0u8; 4];
        b[..w.len()].copy_from_slice(w);
        sum += u32::from_le_bytes(b) as u64;
    }
    fold32(sum)
}

fn fold32(mut sum: u64) -> u32 {
    while sum >> 32 != 0 {
        sum = (sum & 0xffff_ffff) + (sum >> 32);
    }
    sum as u32
}

/// csum_from32to16(): two folds, no complement.
fn from32to16(x: u32) -> u32 {
    let x = (x & 0xffff) + (x >> 16);
    (x & 0xffff) + (x >> 16)
}

/// csum_fold(): the 16-bit complemented checksum of a 32-bit sum.
pub(crate) fn csum_fold(sum: u32) -> u16 {
    !(from32to16(sum) as u16)
}

/// bpf_csum_diff(from, from_size, to, to_size, seed) as Linux 6.18
/// computes it: the difference folded to 16 bits.
pub fn csum_diff(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let (from, from_size, to, to_size, seed) = (a[0], a[1].min(512), a[2], a[3].min(512), a[4] as u32);
    let mut f = vec![0u8; from_size as usize];
    let mut t = vec![0u8; to_size as usize];
    if !f.is_empty() {
        c.mem.read_bytes(from, &mut f)?;
    }
    if !t.is_empty() {
        c.mem.read_bytes(to, &mut t)?;
    }
    let r = match (from_size != 0, to_size != 0) {
        (true, true) => {
            let sub = !csum_partial(&f, 0);
            from32to16(fold32(csum_partial(&t, seed) as u64 + sub as u64))
        }
        (false, true) => from32to16(csum_partial(&t, seed)),
        (true, false) => from32to16(!csum_partial(&f, !seed)),
        (false, false) => seed,
    };
    Ok(r as u64)
}

/// One's-complement 16-bit sum.
fn add16(a: u32, b: u32) -> u32 {
    let s = a + b;
    (s & 0xffff) + (s >> 16)
}

/// The incremental checksum update of RFC 1624 (csum_replace2/4 and
/// csum_replace_by_diff) on the 16-bit field at `sum_at`; `from`/`to` are
/// the replaced bytes as loaded (little-endian words).
fn csum_replace(c: &mut HelperCall<'_, '_>, sum_at: u64, from: u64, to: u64, size: u64) -> Result<(), HelperExit> {
    let old = c.mem.load(sum_at, 2)? as u32;
    let mut s = !old & 0xffff;
    match size {
        2 => {
            s = add16(s, !(from as u32) & 0xffff);
            s = add16(s, to as u32 & 0xffff);
        }
        4 => {
            for half in [from as u32 & 0xffff, (from as u32) >> 16] {
                s = add16(s, !half & 0xffff);
            }
            for half in [to as u32 & 0xffff, (to as u32) >> 16] {
                s = add16(s, half);
            }
        }
        _ => {
            // csum_replace_by_diff(): `to` is a 32-bit sum to add.
            s = add16(s, to as u32 & 0xffff);
            s = add16(s, (to as u32) >> 16);
        }
    }
    c.mem.store(sum_at, 2, (!s & 0xffff) as u64)?;
    Ok(())
}

/// BPF_F_HDR_FIELD_MASK.
const HDR_FIELD_MASK: u64 = 0xf;

fn csum_replace_helper(c: &mut HelperCall<'_, '_>, a: &[u64; 5], allowed: u64) -> R {
    let p = view(c)?;
    let (off, from, to, flags) = (a[1] as u32 as u64, a[2], a[3], a[4]);
    if flags & !(allowed | HDR_FIELD_MASK) != 0 {
        return Ok(neg(Errno::EINVAL));
    }
    if off > 0xffff || off & 1 != 0 || off + 2 > p.data_end - p.data {
        return Ok(neg(Errno::EFAULT));
    }
    let size = flags & HDR_FIELD_MASK;
    match size {
        0 if from != 0 => return Ok(neg(Errno::EINVAL)),
        0 | 2 | 4 => {}
        _ => return Ok(neg(Errno::EINVAL)),
    }
    csum_replace(c, p.data + off, from, to, size)?;
    Ok(0)
}

/// bpf_l3_csum_replace(skb, offset, from, to, flags).
pub fn l3_csum_replace(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    csum_replace_helper(c, a, 0)
}

/// bpf_l4_csum_replace(skb, offset, from, to, flags): without
/// CHECKSUM_PARTIAL (never in a test run) the pseudo-header flag changes
/// nothing visible; BPF_F_MARK_MANGLED_0 keeps a zero UDP checksum zero.
pub fn l4_csum_replace(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    const PSEUDO_HDR: u64 = 0x10;
    const MARK_MANGLED_0: u64 = 0x20;
    const MARK_ENFORCE: u64 = 0x40;
    const IPV6: u64 = 0x80;
    if a[4] & MARK_MANGLED_0 != 0 {
        let p = view(c)?;
        let off = a[1] as u32 as u64;
        if off + 2 <= p.data_end - p.data && c.mem.load(p.data + off, 2)? == 0 {
            return Ok(0);
        }
    }
    csum_replace_helper(c, a, PSEUDO_HDR | MARK_MANGLED_0 | MARK_ENFORCE | IPV6)
}

/// bpf_skb_change_tail(skb, new_len, flags): the packet grows (zeroed)
/// or shrinks to new_len bytes from skb->data.
pub fn skb_change_tail(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let p = view(c)?;
    let (new_len, flags) = (a[1] as u32 as u64, a[2]);
    let room = p.view.buf + p.view.buf_len - p.data;
    if flags != 0 || new_len < ETH_HLEN || new_len > room {
        return Ok(neg(Errno::EINVAL));
    }
    let old_len = p.data_end - p.data;
    if new_len > old_len {
        c.mem
            .write_bytes(p.data_end, &vec![0u8; (new_len - old_len) as usize])?;
    }
    set(c, &p, p.data, p.data + new_len, p.data_meta)?;
    // __sk_buff.len follows the packet.
    c.mem.store(p.view.ctx, 4, new_len)?;
    Ok(0)
}

/// bpf_xdp_get_buff_len(xdp): the linear part plus the fragments.
pub fn xdp_get_buff_len(c: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    let p = view(c)?;
    Ok(p.data_end - p.data + p.view.frags_len)
}

/// bpf_skb_pull_data(skb, len): the first `len` bytes (all when 0) made
/// linear and writable; a test-run skb is all linear, so only a length
/// past the packet fails (-ENOMEM, as pskb_may_pull does).
pub fn skb_pull_data(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let p = view(c)?;
    if a[1] as u32 as u64 > p.data_end - p.data {
        return Ok(neg(Errno::ENOMEM));
    }
    Ok(0)
}

/// ETH_P_8021Q and ETH_P_8021AD, in network order as the helper takes them.
const VLAN_PROTOS: [u16; 2] = [0x8100u16.to_be(), 0x88a8u16.to_be()];

/// bpf_skb_vlan_push(skb, proto, tci): the tag goes to the skb's hardware
/// acceleration fields (`__sk_buff.vlan_*`), the packet bytes stay.
pub fn skb_vlan_push(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let p = view(c)?;
    let proto = a[1] as u16;
    if !VLAN_PROTOS.contains(&proto) {
        return Ok(neg(Errno::EINVAL));
    }
    let ctx = p.view.ctx;
    c.mem.store(ctx + SKB_VLAN_PRESENT, 4, 1)?;
    c.mem.store(ctx + SKB_VLAN_TCI, 4, a[2] & 0xffff)?;
    c.mem.store(ctx + SKB_VLAN_PROTO, 4, proto as u64)?;
    Ok(0)
}

/// bpf_skb_vlan_pop(skb): the accelerated tag goes away.
pub fn skb_vlan_pop(c: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    let p = view(c)?;
    for off in [SKB_VLAN_PRESENT, SKB_VLAN_TCI, SKB_VLAN_PROTO] {
        c.mem.store(p.view.ctx + off, 4, 0)?;
    }
    Ok(0)
}

const SKB_VLAN_PRESENT: u64 = 20;
const SKB_VLAN_TCI: u64 = 24;
const SKB_VLAN_PROTO: u64 = 28;
const SKB_HASH: u64 = 68;

/// bpf_get_hash_recalc(skb): a flow hash of the packet's addresses and
/// ports (the kernel's is seeded per boot, so only "non-zero and stored in
/// skb->hash" can be compared), kept in `__sk_buff.hash`.
pub fn get_hash_recalc(c: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    let p = view(c)?;
    let len = (p.data_end - p.data).min(64) as usize;
    let mut bytes = vec![0u8; len];
    c.mem.read_bytes(p.data, &mut bytes)?;
    let mut h: u32 = 0x9e37_79b9;
    for b in bytes {
        h = (h ^ b as u32).wrapping_mul(0x0100_0193);
    }
    let h = h.max(1);
    c.mem.store(p.view.ctx + SKB_HASH, 4, h as u64)?;
    Ok(h as u64)
}
