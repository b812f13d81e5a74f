//! BPF_BTF_LOAD (kernel/bpf/btf.c's btf_new_fd): type information handed
//! to the kernel, which programs (func_info, line_info) and maps refer to
//! by fd. The blob is parsed and validated by [`crate::btf`].

use std::sync::Arc;

use super::fdtable::FdObject;
use super::Process;
use crate::btf::Btf;
use crate::uapi::attr::{btf_load as F, Attr};
use crate::uapi::Errno;
use crate::user_mem::UserMemory;

/// BTF_MAX_SIZE.
const BTF_MAX_SIZE: u32 = 16 * 1024 * 1024;
/// BPF_F_TOKEN_FD.
const F_TOKEN_FD: u32 = 1 << 16;

pub(crate) fn btf_load(p: &Process, a: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    a.check_unused_zero(F::LAST_FIELD_END)?;
    let flags = a.u32(F::BTF_FLAGS);
    if flags & !F_TOKEN_FD != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & F_TOKEN_FD != 0 {
        // No BPF tokens exist here: the fd cannot be one.
        return Err(Errno::EINVAL);
    }
    if !p.creds.bpf_capable() {
        return Err(Errno::EPERM);
    }
    let size = a.u32(F::BTF_SIZE);
    if size > BTF_MAX_SIZE {
        return Err(Errno::E2BIG);
    }
    // The log attributes follow bpf_vlog_init's rules: both or neither.
    let (log_buf, log_size, log_level) = (a.u64(F::BTF_LOG_BUF), a.u32(F::BTF_LOG_SIZE), a.u32(F::BTF_LOG_LEVEL));
    if (log_level == 0) != (log_buf == 0 && log_size == 0) {
        return Err(Errno::EINVAL);
    }
    let mut data = vec![0u8; size as usize];
    mem.read(a.u64(F::BTF), &mut data)?;
    let btf = Btf::parse(&data).map_err(|_| Errno::EINVAL)?;
    p.install_fd(FdObject::Btf(Arc::new(btf)))
}

impl Process {
    /// BPF_BTF_LOAD of `data` through the raw entry point: the new fd.
    pub fn btf_load(&self, data: &[u8]) -> Result<u32, Errno> {
        let mut mem = crate::user_mem::UserBuffers::new();
        let addr = mem.add(if data.is_empty() { vec![0] } else { data.to_vec() });
        let mut attr = vec![0u8; 40];
        attr[F::BTF..F::BTF + 8].copy_from_slice(&addr.to_le_bytes());
        attr[F::BTF_SIZE..F::BTF_SIZE + 4].copy_from_slice(&(data.len() as u32).to_le_bytes());
        self.sys_bpf(crate::uapi::types::cmd::BTF_LOAD, &mut attr, 40, &mut mem)
    }

    /// The BTF object behind `fd`.
    pub(crate) fn btf_by_fd(&self, fd: u32) -> Result<Arc<Btf>, Errno> {
        match self.fds.lock().expect("fd lock").get(fd) {
            None => Err(Errno::EBADF),
            Some(FdObject::Btf(b)) => Ok(Arc::clone(b)),
            Some(_) => Err(Errno::EINVAL),
        }
    }
}
