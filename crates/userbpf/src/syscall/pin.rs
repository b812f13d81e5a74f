//! BPF_OBJ_PIN and BPF_OBJ_GET over an in-memory bpffs mounted at
//! /sys/fs/bpf: a pin holds a reference, so a pinned program outlives its
//! fds until unlinked.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::fdtable::FdObject;
use super::Process;
use crate::uapi::attr::obj as A;
use crate::uapi::{Attr, Errno};
use crate::user_mem::UserMemory;

/// The bpffs mount point.
pub const BPFFS_ROOT: &str = "/sys/fs/bpf";
const PATH_MAX: usize = 4096;
/// BPF_F_RDONLY / BPF_F_WRONLY: the only file_flags BPF_OBJ_GET knows.
const BPF_OBJ_FLAG_MASK: u32 = (1 << 3) | (1 << 4);
const BPF_F_PATH_FD: u32 = 1 << 14;

#[derive(Default)]
pub struct Bpffs {
    entries: Mutex<BTreeMap<String, FdObject>>,
}

impl Bpffs {
    pub fn unlink(&self, path: &str) -> Result<(), Errno> {
        let removed = self.entries.lock().expect("bpffs lock").remove(path);
        removed.map(drop).ok_or(Errno::ENOENT)
    }
}

/// The path from user memory, checked to name a file directly in the
/// bpffs root (no subdirectories exist).
fn user_path(attr: &Attr, mem: &dyn UserMemory) -> Result<String, Errno> {
    let raw = mem.read_cstr(attr.u64(A::PATHNAME), PATH_MAX)?;
    let path = String::from_utf8(raw).map_err(|_| Errno::ENOENT)?;
    let Some(rest) = path.strip_prefix(BPFFS_ROOT).and_then(|r| r.strip_prefix('/')) else {
        // Outside bpffs: the kernel finds a directory of another
        // filesystem and refuses to pin there.
        return Err(if path.is_empty() { Errno::ENOENT } else { Errno::EPERM });
    };
    if rest.is_empty() || rest.contains('/') {
        return Err(Errno::ENOENT);
    }
    Ok(path)
}

fn check_flags(attr: &Attr, allowed: u32) -> Result<u32, Errno> {
    attr.check_unused_zero(A::LAST_FIELD_END)?;
    let flags = attr.u32(A::FILE_FLAGS);
    if flags & !(allowed | BPF_F_PATH_FD) != 0 || (flags & BPF_F_PATH_FD == 0 && attr.u32(A::PATH_FD) != 0) {
        return Err(Errno::EINVAL);
    }
    Ok(flags)
}

pub(crate) fn obj_pin(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    check_flags(attr, 0)?;
    let obj = match p.fds.lock().expect("fd lock").get(attr.u32(A::BPF_FD)) {
        None => return Err(Errno::EBADF),
        Some(FdObject::Stdio) => return Err(Errno::EINVAL),
        Some(o) => o.clone(),
    };
    let path = user_path(attr, mem)?;
    let mut entries = p.kernel.pins.entries.lock().expect("bpffs lock");
    if entries.contains_key(&path) {
        return Err(Errno::EEXIST);
    }
    entries.insert(path, obj);
    Ok(0)
}

pub(crate) fn obj_get(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    let flags = check_flags(attr, BPF_OBJ_FLAG_MASK)?;
    if attr.u32(A::BPF_FD) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = user_path(attr, mem)?;
    let obj = p
        .kernel
        .pins
        .entries
        .lock()
        .expect("bpffs lock")
        .get(&path)
        .cloned()
        .ok_or(Errno::ENOENT)?;
    match obj {
        // Programs open read-write only.
        FdObject::Prog(prog) if flags & BPF_OBJ_FLAG_MASK == 0 => p.new_prog_fd(prog),
        // Maps open with the access file_flags ask for.
        FdObject::Map(map, _) => p.new_map_fd(map, crate::maps::FileMode::from_flags(flags)?),
        _ => Err(Errno::EINVAL),
    }
}
