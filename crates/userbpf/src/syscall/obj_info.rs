//! BPF_OBJ_GET_INFO_BY_FD (bpf_prog_get_info_by_fd, and maps'
//! fields from map_cmds): the caller's info struct is read in (its pointers
//! and array sizes), filled, and written back up to the size both sides
//! know.

use super::fdtable::FdObject;
use super::{AttrOut, Process};
use crate::isa::insns_to_bytes;
use crate::uapi::attr::{info_by_fd as A, Attr as AttrBuf};
use crate::uapi::map_info as MI;
use crate::uapi::prog_info as I;
use crate::uapi::Errno;
use crate::user_mem::UserMemory;
use crate::verifier::fixups::prepare_dump;

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
        Some(FdObject::Map(map, _)) => {
            // The tail past `hash_size` must be zero (6.18 checks from
            // there, so the struct's own padding counts).
            let mut info = UserInfo::<{ MI::SIZE }>::read(attr, mem, MI::CHECKED_SIZE)?;
            super::map_cmds::fill_map_info(&map, &mut info, mem)?;
            return info.write_back(out, mem);
        }
        Some(_) => return Err(Errno::EINVAL),
    };
    let mut info = UserInfo::<{ I::SIZE }>::read(attr, mem, I::SIZE)?;
    info.set(I::TYPE, &prog.prog_type.to_le_bytes());
    info.set(I::ID, &prog.id().to_le_bytes());
    info.set(I::TAG, &prog.tag);
    info.set(I::LOAD_TIME, &prog.load_time_ns.to_le_bytes());
    info.set(I::CREATED_BY_UID, &prog.created_by_uid.to_le_bytes());
    // The used maps' IDs, as many as the caller's array holds.
    let want = info.u32(I::NR_MAP_IDS) as usize;
    info.set(I::NR_MAP_IDS, &(prog.used_maps.len() as u32).to_le_bytes());
    let ids: Vec<u8> = prog
        .used_maps
        .iter()
        .take(want)
        .flat_map(|m| m.id().to_le_bytes())
        .collect();
    if !ids.is_empty() {
        mem.write(info.u64(I::MAP_IDS), &ids)?;
    }
    let mut name = [0u8; 16];
    name[..prog.name.len()].copy_from_slice(&prog.name);
    info.set(I::NAME, &name);
    info.set(I::FLAGS, &(prog.gpl_compatible as u32).to_le_bytes());
    info.set(I::VERIFIED_INSNS, &prog.verified_insns.to_le_bytes());

    if p.creds.bpf_capable() {
        // xlated: report the full size; copy what fits in the caller's array.
        // bpf_insn_prepare_dump(): map loads show the map's ID.
        let xlated = insns_to_bytes(&prepare_dump(&prog.xlated, &prog.map_loads, &prog.used_maps));
        let want = info.u32(I::XLATED_PROG_LEN) as usize;
        info.set(I::XLATED_PROG_LEN, &(xlated.len() as u32).to_le_bytes());
        if want != 0 {
            mem.write(info.u64(I::XLATED_PROG_INSNS), &xlated[..want.min(xlated.len())])?;
        }
        info.set(I::JITED_PROG_LEN, &prog.jited_len().to_le_bytes());
    } else {
        info.set(I::XLATED_PROG_LEN, &0u32.to_le_bytes());
        info.set(I::JITED_PROG_LEN, &0u32.to_le_bytes());
    }

    info.write_back(out, mem)
}

/// The caller's info struct (`struct bpf_{prog,map}_info`, `N` bytes in
/// this kernel) as bpf_*_get_info_by_fd() handle it: checked and copied
/// in, filled, written back up to the size both sides know.
pub(crate) struct UserInfo<const N: usize> {
    addr: u64,
    /// min(the caller's info_len, N).
    len: usize,
    bytes: [u8; N],
}

impl<const N: usize> UserInfo<N> {
    /// bpf_check_uarg_tail_zero() (no larger than a page; the bytes past
    /// `checked` must be zero), then the known part copied in.
    pub(crate) fn read(attr: &AttrBuf, mem: &dyn UserMemory, checked: usize) -> Result<Self, Errno> {
        let addr = attr.u64(A::INFO);
        let ulen = attr.u32(A::INFO_LEN) as usize;
        if ulen > crate::uapi::PAGE_SIZE as usize {
            return Err(Errno::E2BIG);
        }
        if ulen > checked {
            let mut tail = vec![0u8; ulen - checked];
            mem.read(addr + checked as u64, &mut tail)?;
            if tail.iter().any(|&b| b != 0) {
                return Err(Errno::E2BIG);
            }
        }
        let len = ulen.min(N);
        let mut bytes = [0u8; N];
        mem.read(addr, &mut bytes[..len])?;
        Ok(UserInfo { addr, len, bytes })
    }

    pub(crate) fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.bytes[off..off + 4].try_into().expect("4"))
    }

    pub(crate) fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.bytes[off..off + 8].try_into().expect("8"))
    }

    pub(crate) fn set(&mut self, off: usize, v: &[u8]) {
        self.bytes[off..off + v.len()].copy_from_slice(v);
    }

    /// The filled struct back to the caller, and `info_len` to what was
    /// written.
    pub(crate) fn write_back(&self, out: &mut AttrOut<'_>, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
        mem.write(self.addr, &self.bytes[..self.len])?;
        out.put_u32(A::INFO_LEN, self.len as u32);
        Ok(0)
    }
}
