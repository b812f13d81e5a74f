//! bpf_prog_test_run_xdp(): an XDP program on a frame in a page-sized
//! buffer, as the loopback device's receive queue 0 would hand it over.

use super::{ctx_init, get32, put32, test_init, Finish, Runner, TestAttr, ETH_HLEN, PAGE_SIZE};
use crate::helpers::run::XDP_TAILROOM;
use crate::netdev;
use crate::runtime::ctx_layout::{xdp as X, XDP};
use crate::runtime::PacketOffsets;
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

/// XDP_PACKET_HEADROOM.
const XDP_PACKET_HEADROOM: u32 = 256;
/// BPF_F_TEST_XDP_LIVE_FRAMES.
const F_LIVE_FRAMES: u32 = 1 << 1;
/// TEST_XDP_MAX_BATCH: the largest batch of live frames.
const TEST_XDP_MAX_BATCH: u32 = 256;
/// enum bpf_attach_type: programs for devmap/cpumap entries.
const BPF_XDP_DEVMAP: u32 = 33;
const BPF_XDP_CPUMAP: u32 = 35;

/// xdp_metalen_invalid(): metadata is a multiple of 4 that fits
/// skb_shared_info's u8 meta_len.
pub(crate) fn metalen_invalid(n: u64) -> bool {
    !n.is_multiple_of(4) || n > u8::MAX as u64
}

pub(crate) fn test_run(r: &Runner<'_>, t: &TestAttr, mem: &dyn UserMemory) -> Result<Finish, Errno> {
    let eat = r.prog.expected_attach_type;
    if eat == BPF_XDP_DEVMAP || eat == BPF_XDP_CPUMAP {
        return Err(Errno::EINVAL);
    }
    if t.flags & !F_LIVE_FRAMES != 0 {
        return Err(Errno::EINVAL);
    }
    let live = t.flags & F_LIVE_FRAMES != 0;
    // batch_size 0 means NAPI_POLL_WEIGHT (64) in live mode; without it
    // any batch_size is refused.
    if live && t.batch_size > TEST_XDP_MAX_BATCH {
        return Err(Errno::E2BIG);
    }
    if !live && t.batch_size != 0 {
        return Err(Errno::EINVAL);
    }
    let size = t.data_size_in;
    if (size as usize) < ETH_HLEN {
        return Err(Errno::EINVAL);
    }
    let ctx_in = ctx_init(t, mem, X::SIZE)?;
    let mut headroom = XDP_PACKET_HEADROOM;
    let mut meta = 0;
    // The linear part ends at ctx data_end (or data_size_in); what lies
    // past it becomes page fragments, which the program does not see but
    // data_out carries.
    let mut linear = size;
    if let Some(c) = &ctx_in {
        let (data, data_end) = (get32(c, X::DATA), get32(c, X::DATA_END));
        // The kernel accepted a data_end short of data_size_in (Linux 6.18);
        // only what it refused is refused here.
        if get32(c, X::DATA_META) != 0 || data_end > size || data > data_end || metalen_invalid(data as u64) {
            return Err(Errno::EINVAL);
        }
        // Live frames hand nothing back.
        if live && (t.data_out != 0 || t.ctx_out != 0) {
            return Err(Errno::EINVAL);
        }
        meta = data;
        linear = data_end;
        headroom -= data;
    }
    let max = PAGE_SIZE - headroom as u64 - XDP_TAILROOM;
    linear = linear.min(max as u32);
    // No jumbo frames (fragments) in live mode.
    if live && size > linear {
        return Err(Errno::EINVAL);
    }
    let mut buf = test_init(
        t,
        mem,
        linear.max(ETH_HLEN as u32),
        max,
        headroom as usize,
        XDP_TAILROOM as usize,
    )?;
    let mut frags = vec![0u8; (size - linear) as usize];
    if !frags.is_empty() {
        mem.read(t.data_in + linear as u64, &mut frags)?;
    }
    // xdp_convert_md_to_buff(): the rx queue is lo's queue 0 unless the
    // ctx names a device (whose queue must exist; all are registered).
    let devices = &r.process.kernel.config.net_devices;
    let (mut ingress, mut rxq) = (netdev::loopback(devices).ifindex, 0);
    if let Some(c) = &ctx_in {
        if get32(c, X::EGRESS_IFINDEX) != 0 {
            return Err(Errno::EINVAL);
        }
        let (ifindex, queue) = (get32(c, X::INGRESS_IFINDEX), get32(c, X::RX_QUEUE_INDEX));
        if ifindex != 0 {
            let dev = netdev::by_index(devices, ifindex).ok_or(Errno::ENODEV)?;
            if queue >= dev.rx_queues {
                return Err(Errno::EINVAL);
            }
            (ingress, rxq) = (dev.ifindex, queue);
        } else if queue != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let mut ctx = vec![0u8; XDP.region_size];
    put32(&mut ctx, X::INGRESS_IFINDEX, ingress);
    put32(&mut ctx, X::RX_QUEUE_INDEX, rxq);
    let start = headroom as u64;
    let offsets = PacketOffsets {
        data_meta: start,
        data: start + meta as u64,
        data_end: start + linear as u64,
    };
    let (retval, duration, o) = if live {
        let duration = run_live(r, t.repeat, &buf, &ctx, offsets)?;
        (0, duration, offsets)
    } else {
        let mut setup = r.setup(&mut ctx);
        setup.offsets = offsets;
        setup.packet = Some((&mut buf, &XDP));
        setup.frags_len = frags.len() as u64;
        let (retval, duration) = r.run(t.repeat, &mut setup)?;
        (retval, duration, setup.offsets)
    };
    let mut out = buf
        .get(o.data_meta as usize..o.data_end as usize)
        .ok_or(Errno::EFAULT)?
        .to_vec();
    let frags_len = frags.len();
    out.extend_from_slice(&frags);
    // xdp_convert_buff_to_md().
    let ctx_out = ctx_in.map(|mut c| {
        put32(&mut c, X::DATA, (o.data - o.data_meta) as u32);
        put32(&mut c, X::DATA_END, (o.data_end - o.data_meta) as u32);
        c
    });
    Ok(Finish {
        retval,
        duration,
        data: Some(out),
        frags_len,
        ctx: ctx_out,
    })
}

/// bpf_test_run_xdp_live(), as far as it is deterministic: `repeat` runs
/// (0 counts as 1), each on a fresh copy of the frame and context, whose
/// verdicts are not reported (retval stays 0). A frame the program passes,
/// transmits or redirects would be injected into the network stack or a
/// device; there is none here, so every frame is consumed as if dropped.
/// The caller's buffer stays as it was (it is what data_out describes).
/// Returns the mean duration.
fn run_live(r: &Runner<'_>, repeat: u32, buf: &[u8], ctx: &[u8], offsets: PacketOffsets) -> Result<u32, Errno> {
    let repeat = repeat.max(1);
    let mut total: u64 = 0;
    for _ in 0..repeat {
        let (mut frame, mut frame_ctx) = (buf.to_vec(), ctx.to_vec());
        let mut setup = r.setup(&mut frame_ctx);
        setup.offsets = offsets;
        setup.packet = Some((&mut frame, &XDP));
        let (_, duration) = r.run(1, &mut setup)?;
        total += duration as u64;
    }
    Ok((total / repeat as u64).min(u32::MAX as u64) as u32)
}
