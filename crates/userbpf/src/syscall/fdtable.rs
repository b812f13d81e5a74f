//! A process's file descriptor table: the lowest free number wins, as
//! in the kernel's fd allocation. 0, 1 and 2 are taken by stdio.

use std::sync::Arc;

use crate::maps::{FileMode, Map};
use crate::prog::Prog;
use crate::uapi::Errno;

/// What an fd refers to.
#[derive(Clone)]
pub enum FdObject {
    /// stdin/stdout/stderr: not BPF objects.
    Stdio,
    Prog(Arc<Prog>),
    /// A map, with the access the fd grants (O_RDONLY / O_WRONLY / O_RDWR).
    Map(Arc<Map>, FileMode),
    /// A BTF object (BPF_BTF_LOAD).
    Btf(Arc<crate::btf::Btf>),
}

pub struct FdTable {
    slots: Vec<Option<FdObject>>,
    max: usize,
}

/// RLIMIT_NOFILE's usual soft limit.
pub const DEFAULT_MAX_FDS: usize = 1024;

impl FdTable {
    pub fn new(max: usize) -> Self {
        FdTable {
            slots: vec![Some(FdObject::Stdio), Some(FdObject::Stdio), Some(FdObject::Stdio)],
            max,
        }
    }

    /// Install `obj` at the lowest free fd; EMFILE when the table is full.
    pub fn install(&mut self, obj: FdObject) -> Result<u32, Errno> {
        if let Some(i) = self.slots.iter().position(Option::is_none) {
            self.slots[i] = Some(obj);
            return Ok(i as u32);
        }
        if self.slots.len() >= self.max {
            return Err(Errno::EMFILE);
        }
        self.slots.push(Some(obj));
        Ok(self.slots.len() as u32 - 1)
    }

    pub fn get(&self, fd: u32) -> Option<&FdObject> {
        self.slots.get(fd as usize).and_then(Option::as_ref)
    }

    /// close(2): EBADF if not open.
    pub fn close(&mut self, fd: u32) -> Result<FdObject, Errno> {
        let obj = self
            .slots
            .get_mut(fd as usize)
            .and_then(Option::take)
            .ok_or(Errno::EBADF)?;
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(obj)
    }

    /// Open fds that refer to BPF objects.
    pub fn bpf_fds(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s, Some(o) if !matches!(o, FdObject::Stdio)))
            .count()
    }
}
