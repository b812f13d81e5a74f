//! BPF_OBJ_GET_INFO_BY_FD for programs (bpf_prog_get_info_by_fd): the
//! caller's info struct is read in (its pointers and array sizes), filled,
//! and written back up to the size both sides know.

use super::fdtable::FdObject;
use super::{AttrOut, Process};
use crate::isa::insns_to_bytes;
use crate::maps::ldimm64::prepare_dump;
use crate::uapi::attr::{info_by_fd as A, Attr as AttrBuf};
use crate::uapi::prog_info as I;
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

pub(crate) fn get_info_by_fd(
    p: &Process,
    attr: &AttrBuf,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
) -> Result<u32, Errno> {
    attr.check_unused_zero(A::LAST_FIELD_END)?;
    // An fd that isn't open is EBADFD here (not EBADF).
    let obj = p.fds.lock().expect("fd lock").get(attr.u32(A::BPF_FD)).cloned();
    let prog = match obj {
        None => return Err(Errno::EBADFD),
        Some(FdObject::Prog(prog)) => prog,
        Some(FdObject::Map(map, _)) => return super::map_cmds::map_get_info(&map, attr, out, mem),
        Some(_) => return Err(Errno::EINVAL),
    };
    let uinfo = attr.u64(A::INFO);
    let ulen = attr.u32(A::INFO_LEN) as usize;

    // bpf_check_uarg_tail_zero() on the info struct.
    if ulen > crate::uapi::PAGE_SIZE as usize {
        return Err(Errno::E2BIG);
    }
    if ulen > I::SIZE {
        let mut tail = vec![0u8; ulen - I::SIZE];
        mem.read(uinfo + I::SIZE as u64, &mut tail)?;
        if tail.iter().any(|&b| b != 0) {
            return Err(Errno::E2BIG);
        }
    }
    let len = ulen.min(I::SIZE);
    let mut info = [0u8; I::SIZE];
    mem.read(uinfo, &mut info[..len])?;
    let get = |info: &[u8; I::SIZE], off: usize| u32::from_le_bytes(info[off..off + 4].try_into().expect("4"));
    let get64 = |info: &[u8; I::SIZE], off: usize| u64::from_le_bytes(info[off..off + 8].try_into().expect("8"));
    let set = |info: &mut [u8; I::SIZE], off: usize, v: &[u8]| info[off..off + v.len()].copy_from_slice(v);

    set(&mut info, I::TYPE, &prog.prog_type.to_le_bytes());
    set(&mut info, I::ID, &prog.id().to_le_bytes());
    set(&mut info, I::TAG, &prog.tag);
    set(&mut info, I::LOAD_TIME, &prog.load_time_ns.to_le_bytes());
    set(&mut info, I::CREATED_BY_UID, &prog.created_by_uid.to_le_bytes());
    // The used maps' IDs, as many as the caller's array holds.
    let want = get(&info, I::NR_MAP_IDS) as usize;
    set(&mut info, I::NR_MAP_IDS, &(prog.used_maps.len() as u32).to_le_bytes());
    let ids: Vec<u8> = prog
        .used_maps
        .iter()
        .take(want)
        .flat_map(|m| m.id().to_le_bytes())
        .collect();
    if !ids.is_empty() {
        mem.write(get64(&info, I::MAP_IDS), &ids)?;
    }
    let mut name = [0u8; 16];
    name[..prog.name.len()].copy_from_slice(&prog.name);
    set(&mut info, I::NAME, &name);
    set(&mut info, I::FLAGS, &(prog.gpl_compatible as u32).to_le_bytes());
    set(&mut info, I::VERIFIED_INSNS, &prog.verified_insns.to_le_bytes());

    if p.creds.bpf_capable() {
        // xlated: report the full size; copy what fits in the caller's array.
        // bpf_insn_prepare_dump(): map loads show the map's ID.
        let xlated = insns_to_bytes(&prepare_dump(&prog.xlated, &prog.map_loads, &prog.used_maps));
        let want = get(&info, I::XLATED_PROG_LEN) as usize;
        set(&mut info, I::XLATED_PROG_LEN, &(xlated.len() as u32).to_le_bytes());
        if want != 0 {
            mem.write(get64(&info, I::XLATED_PROG_INSNS), &xlated[..want.min(xlated.len())])?;
        }
        set(&mut info, I::JITED_PROG_LEN, &prog.jited_len().to_le_bytes());
    } else {
        set(&mut info, I::XLATED_PROG_LEN, &0u32.to_le_bytes());
        set(&mut info, I::JITED_PROG_LEN, &0u32.to_le_bytes());
    }

    mem.write(uinfo, &info[..len])?;
    out.put_u32(A::INFO_LEN, len as u32);
    Ok(0)
}
