//! BPF_OBJ_GET_INFO_BY_FD for programs (bpf_prog_get_info_by_fd): the
//! caller's info struct is read in (its pointers and array sizes), filled,
//! and written back up to the size both sides know.

use super::{AttrOut, Process};
use crate::isa::insns_to_bytes;
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
    let prog = p.prog_by_fd(attr.u32(A::BPF_FD))?;
    let uinfo = attr.u64(A::INFO);
    let ulen = attr.u32(A::INFO_LEN) as usize;

    // bpf_check_uarg_tail_zero() on the info struct.
    if ulen > crate::uapi::attr::PAGE_SIZE {
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
    set(&mut info, I::NR_MAP_IDS, &0u32.to_le_bytes());
    let mut name = [0u8; 16];
    name[..prog.name.len()].copy_from_slice(&prog.name);
    set(&mut info, I::NAME, &name);
    set(&mut info, I::FLAGS, &(prog.gpl_compatible as u32).to_le_bytes());
    set(&mut info, I::VERIFIED_INSNS, &prog.verified_insns.to_le_bytes());

    if p.creds.bpf_capable() {
        // xlated: report the full size; copy what fits in the caller's array.
        let xlated = insns_to_bytes(&prog.xlated);
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
