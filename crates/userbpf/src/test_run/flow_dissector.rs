//! bpf_prog_test_run_flow_dissector(): a flow dissector on a frame; the
//! output is the `struct bpf_flow_keys` it filled, not the packet.

use super::{ctx_init, test_init, Finish, Runner, TestAttr, ETH_HLEN, PAGE_SIZE};
use crate::runtime::ctx_layout::{FLOW_DISSECTOR, FLOW_KEYS_SIZE};
use crate::runtime::PacketOffsets;
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

/// struct bpf_flow_keys offsets.
const NHOFF: usize = 0;
const THOFF: usize = 2;
const N_PROTO: usize = 10;
const FLAGS: usize = 48;

fn get16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

pub(crate) fn test_run(r: &Runner<'_>, t: &TestAttr, mem: &dyn UserMemory) -> Result<Finish, Errno> {
    if t.flags != 0 || t.cpu != 0 || t.batch_size != 0 {
        return Err(Errno::EINVAL);
    }
    let size = t.data_size_in;
    if (size as usize) < ETH_HLEN {
        return Err(Errno::EINVAL);
    }
    let mut buf = test_init(t, mem, size, PAGE_SIZE, 0, 0)?;
    let ctx_in = ctx_init(t, mem, FLOW_KEYS_SIZE)?;
    let mut flags = 0u32;
    if let Some(c) = &ctx_in {
        // verify_user_bpf_flow_keys(): only `flags` may be set.
        if c.iter()
            .enumerate()
            .any(|(i, &b)| b != 0 && !(FLAGS..FLAGS + 4).contains(&i))
        {
            return Err(Errno::EINVAL);
        }
        flags = u32::from_le_bytes(c[FLAGS..FLAGS + 4].try_into().expect("4 bytes"));
    }
    // bpf_flow_dissect(): keys zeroed, then n_proto, nhoff = thoff = ETH_HLEN
    // and the flags.
    let mut ctx = vec![0u8; FLOW_DISSECTOR.region_size];
    let keys = FLOW_DISSECTOR.self_pointer.expect("flow keys").1;
    ctx[keys + NHOFF..keys + NHOFF + 2].copy_from_slice(&(ETH_HLEN as u16).to_le_bytes());
    ctx[keys + THOFF..keys + THOFF + 2].copy_from_slice(&(ETH_HLEN as u16).to_le_bytes());
    ctx[keys + N_PROTO..keys + N_PROTO + 2].copy_from_slice(&buf[12..14]);
    ctx[keys + FLAGS..keys + FLAGS + 4].copy_from_slice(&flags.to_le_bytes());
    let (retval, duration) = {
        let mut setup = r.setup(&mut ctx);
        setup.offsets = PacketOffsets {
            data: 0,
            data_end: size as u64,
            data_meta: 0,
        };
        setup.packet = Some((&mut buf, &FLOW_DISSECTOR));
        r.run(t.repeat, &mut setup)?
    };
    let mut out = ctx[keys..keys + FLOW_KEYS_SIZE].to_vec();
    // nhoff and thoff are clamped into the frame.
    let hlen = size.min(u16::MAX as u32) as u16;
    let nhoff = get16(&out, NHOFF).clamp(ETH_HLEN as u16, hlen.max(ETH_HLEN as u16));
    let thoff = get16(&out, THOFF).clamp(nhoff, hlen.max(nhoff));
    out[NHOFF..NHOFF + 2].copy_from_slice(&nhoff.to_le_bytes());
    out[THOFF..THOFF + 2].copy_from_slice(&thoff.to_le_bytes());
    Ok(Finish {
        retval,
        duration,
        data: Some(out),
        frags_len: 0,
        ctx: ctx_in,
    })
}
