//! bpf_prog_test_run_skb(): socket filters, tc (sched_cls/sched_act),
//! cgroup_skb and lwt programs on an skb built from data_in, as it would
//! arrive on the loopback device.

use super::{ctx_init, get32, put32, test_init, Finish, Runner, TestAttr, ETH_HLEN, PAGE_SIZE};
use crate::helpers::run::{csum_fold, csum_partial};
use crate::netdev::{self, NetDevice, LOOPBACK_IFINDEX};
use crate::runtime::ctx_layout::{skb as S, SKB};
use crate::uapi::types::prog_type as pt;
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

/// NET_SKB_PAD + NET_IP_ALIGN on x86-64.
const HEADROOM: usize = 64;
/// SKB_DATA_ALIGN(sizeof(struct skb_shared_info)).
const TAILROOM: usize = 320;
/// BPF_F_TEST_SKB_CHECKSUM_COMPLETE.
const F_CHECKSUM_COMPLETE: u32 = 1 << 2;
/// GSO_MAX_SEGS and GSO_LEGACY_MAX_SIZE.
const GSO_MAX_SEGS: u32 = 65535;
const GSO_LEGACY_MAX_SIZE: u32 = 65536;

const PACKET_HOST: u32 = 0;
const PACKET_BROADCAST: u32 = 1;
const PACKET_MULTICAST: u32 = 2;
const PACKET_OTHERHOST: u32 = 3;

/// eth_type_trans() on `dev`: the packet type (the destination against the
/// device's address and broadcast address) and the protocol as
/// skb->protocol holds it (network order).
fn eth_type_trans(frame: &[u8], dev: &NetDevice) -> (u32, [u8; 2]) {
    let dest = &frame[..6];
    // lo's broadcast address is all zeros, so ff:ff:ff:ff:ff:ff is only
    // multicast there.
    let pkt_type = if dest == dev.address {
        PACKET_HOST
    } else if dest[0] & 1 != 0 {
        if dest == dev.broadcast {
            PACKET_BROADCAST
        } else {
            PACKET_MULTICAST
        }
    } else {
        PACKET_OTHERHOST
    };
    let proto = [frame[12], frame[13]];
    if u16::from_be_bytes(proto) >= 0x600 {
        return (pkt_type, proto);
    }
    // 802.3: raw IPX frames start with 0xffff, the rest is 802.2 LLC.
    if frame.len() >= 16 && frame[14..16] == [0xff, 0xff] {
        (pkt_type, 0x0001u16.to_be_bytes())
    } else {
        (pkt_type, 0x0004u16.to_be_bytes())
    }
}

/// convert___skb_to_skb(): only mark, priority, ingress_ifindex, ifindex,
/// cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp may be set.
fn check_ctx_in(ctx: &[u8]) -> Result<(), Errno> {
    let allowed: &[(usize, usize)] = &[
        (S::MARK, 4),
        (S::PRIORITY, 4),
        (S::INGRESS_IFINDEX, 4),
        (S::IFINDEX, 4),
        (S::CB, 20),
        (S::TSTAMP, 8),
        (S::WIRE_LEN, 4),
        (S::GSO_SEGS, 4),
        (S::GSO_SIZE, 4),
        (S::HWTSTAMP, 8),
    ];
    let ok = |i: usize| allowed.iter().any(|&(o, n)| (o..o + n).contains(&i));
    if ctx.iter().enumerate().any(|(i, &b)| b != 0 && !ok(i)) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub(crate) fn test_run(r: &Runner<'_>, t: &TestAttr, mem: &dyn UserMemory) -> Result<Finish, Errno> {
    if t.flags & !F_CHECKSUM_COMPLETE != 0 || t.cpu != 0 || t.batch_size != 0 {
        return Err(Errno::EINVAL);
    }
    let size = t.data_size_in;
    if (size as usize) < ETH_HLEN {
        return Err(Errno::EINVAL);
    }
    let is_l2 = matches!(r.prog.prog_type, pt::SCHED_CLS | pt::SCHED_ACT);
    let max = PAGE_SIZE - (HEADROOM + TAILROOM) as u64;
    let mut buf = test_init(t, mem, size, max, HEADROOM, TAILROOM)?;
    let ctx_in = ctx_init(t, mem, S::SIZE)?;
    // skb->dev: lo, or the device a ctx ifindex > 1 names.
    let devices = &r.process.kernel.config.net_devices;
    let mut dev = netdev::loopback(devices);
    if let Some(c) = &ctx_in {
        let ifindex = get32(c, S::IFINDEX);
        if ifindex > LOOPBACK_IFINDEX {
            dev = netdev::by_index(devices, ifindex).ok_or(Errno::ENODEV)?.clone();
        }
        check_ctx_in(c)?;
    }
    let frame = &buf[HEADROOM..HEADROOM + size as usize];
    let (pkt_type, proto) = eth_type_trans(frame, &dev);
    // The network header the protocol names must be there (the IPv4 and
    // IPv6 header pulls of the skb runner).
    let l3 = size as usize - ETH_HLEN;
    match u16::from_be_bytes(proto) {
        0x0800 if l3 < 20 => return Err(Errno::EINVAL),
        0x86dd if l3 < 40 => return Err(Errno::EINVAL),
        _ => {}
    }
    // eth_type_trans() pulled the Ethernet header; tc puts it back.
    let data = if is_l2 { HEADROOM } else { HEADROOM + ETH_HLEN };
    let len = HEADROOM + size as usize - data;

    let mut ctx = vec![0u8; SKB.region_size];
    if let Some(c) = &ctx_in {
        ctx[..S::SIZE].copy_from_slice(c);
        let wire_len = get32(c, S::WIRE_LEN);
        if wire_len != 0 && (wire_len < len as u32 || wire_len > GSO_LEGACY_MAX_SIZE) {
            return Err(Errno::EINVAL);
        }
        if get32(c, S::GSO_SEGS) > GSO_MAX_SEGS {
            return Err(Errno::EINVAL);
        }
    }
    // cb->pkt_len is set from the ctx only (convert___skb_to_skb).
    if ctx_in.is_some() && get32(&ctx, S::WIRE_LEN) == 0 {
        put32(&mut ctx, S::WIRE_LEN, len as u32);
    }
    put32(&mut ctx, S::LEN, len as u32);
    put32(&mut ctx, S::PKT_TYPE, pkt_type);
    put32(&mut ctx, S::PROTOCOL, u16::from_le_bytes(proto) as u32);
    put32(&mut ctx, S::IFINDEX, dev.ifindex);
    // The dummy socket the runner attaches: family and addresses from the
    // IP header (local = source, remote = destination), ports 0.
    let l3 = &buf[HEADROOM + ETH_HLEN..HEADROOM + size as usize];
    match u16::from_be_bytes(proto) {
        0x0800 => {
            put32(&mut ctx, S::FAMILY, 2);
            ctx[S::REMOTE_IP4..S::REMOTE_IP4 + 4].copy_from_slice(&l3[16..20]);
            ctx[S::LOCAL_IP4..S::LOCAL_IP4 + 4].copy_from_slice(&l3[12..16]);
        }
        0x86dd => {
            put32(&mut ctx, S::FAMILY, 10);
            ctx[S::REMOTE_IP6..S::REMOTE_IP6 + 16].copy_from_slice(&l3[24..40]);
            ctx[S::LOCAL_IP6..S::LOCAL_IP6 + 16].copy_from_slice(&l3[8..24]);
        }
        _ => {}
    }

    // BPF_F_TEST_SKB_CHECKSUM_COMPLETE: skb->csum sums from the network
    // header to the end before the run, and must still match after it.
    let network = HEADROOM + ETH_HLEN;
    let complete_csum = |buf: &[u8], end: usize| csum_fold(csum_partial(buf.get(network..end).unwrap_or_default(), 0));
    let csum_before = (t.flags & F_CHECKSUM_COMPLETE != 0).then(|| complete_csum(&buf, data + len));
    let (retval, duration, offsets) = {
        let mut setup = r.setup(&mut ctx);
        setup.offsets = crate::runtime::PacketOffsets {
            data: data as u64,
            data_end: (data + len) as u64,
            data_meta: data as u64,
        };
        setup.ld_abs = Some(crate::runtime::SkbHeaders {
            mac: HEADROOM as u64,
            network: (HEADROOM + ETH_HLEN) as u64,
        });
        setup.packet = Some((&mut buf, &SKB));
        let (retval, duration) = r.run(t.repeat, &mut setup)?;
        (retval, duration, setup.offsets)
    };
    // Socket filters hand back the frame with a zeroed Ethernet header.
    let (start, end) = (offsets.data as usize, offsets.data_end as usize);
    let start = if is_l2 {
        start
    } else {
        let s = start.saturating_sub(ETH_HLEN);
        buf[s..start].fill(0);
        s
    };
    if csum_before.is_some_and(|c| c != complete_csum(&buf, end)) {
        return Err(Errno::EBADMSG);
    }
    let out = buf.get(start..end).ok_or(Errno::EFAULT)?.to_vec();
    // convert_skb_to___skb().
    let ctx_out = ctx_in.map(|mut c| {
        for (off, n) in [
            (S::MARK, 4),
            (S::PRIORITY, 4),
            (S::INGRESS_IFINDEX, 4),
            (S::CB, 20),
            (S::TSTAMP, 8),
            (S::WIRE_LEN, 4),
            (S::GSO_SEGS, 4),
            (S::HWTSTAMP, 8),
        ] {
            c[off..off + n].copy_from_slice(&ctx[off..off + n]);
        }
        put32(&mut c, S::IFINDEX, dev.ifindex);
        c
    });
    Ok(Finish {
        retval,
        duration,
        data: Some(out),
        frags_len: 0,
        ctx: ctx_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eth_type_trans_classifies_destinations_and_protocols() {
        let lo = NetDevice::loopback();
        let mut f = [0u8; 20];
        f[12] = 0x08;
        assert_eq!(eth_type_trans(&f, &lo), (PACKET_HOST, [0x08, 0x00]));
        f[..6].fill(0xff);
        assert_eq!(
            eth_type_trans(&f, &lo).0,
            PACKET_MULTICAST,
            "lo's broadcast address is zero"
        );
        f[..6].copy_from_slice(&[0x01, 0, 0x5e, 0, 0, 1]);
        assert_eq!(eth_type_trans(&f, &lo).0, PACKET_MULTICAST);
        f[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 1]);
        assert_eq!(eth_type_trans(&f, &lo).0, PACKET_OTHERHOST);
        f[12..14].copy_from_slice(&[0x00, 0x40]);
        assert_eq!(eth_type_trans(&f, &lo).1, [0x00, 0x04], "802.2 LLC");
        // An Ethernet device: its own address is HOST, ff:.. BROADCAST.
        let eth = NetDevice::ethernet("eth0", 4, [0x02, 0xfc, 0, 0, 0, 1], 1400);
        f[..6].copy_from_slice(&eth.address);
        assert_eq!(eth_type_trans(&f, &eth).0, PACKET_HOST);
        assert_eq!(eth_type_trans(&f, &lo).0, PACKET_OTHERHOST);
        f[..6].fill(0xff);
        assert_eq!(eth_type_trans(&f, &eth).0, PACKET_BROADCAST);
    }
}
