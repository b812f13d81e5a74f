//! BPF_PROG_GET_NEXT_ID and BPF_PROG_GET_FD_BY_ID: walking and opening
//! programs by ID, for CAP_SYS_ADMIN only.

use super::{AttrOut, Process};
use crate::uapi::attr::by_id;
use crate::uapi::{Attr, Errno};

pub(crate) fn prog_get_next_id(p: &Process, attr: &Attr, out: &mut AttrOut<'_>) -> Result<u32, Errno> {
    attr.check_unused_zero(by_id::NEXT_ID_LAST_FIELD_END)?;
    if !p.creds.caps.sys_admin {
        return Err(Errno::EPERM);
    }
    let next = p
        .kernel
        .progs
        .next_after(attr.u32(by_id::START_ID))
        .ok_or(Errno::ENOENT)?;
    out.put_u32(by_id::NEXT_ID, next);
    Ok(0)
}

pub(crate) fn prog_get_fd_by_id(p: &Process, attr: &Attr) -> Result<u32, Errno> {
    attr.check_unused_zero(by_id::PROG_FD_BY_ID_LAST_FIELD_END)?;
    if !p.creds.caps.sys_admin {
        return Err(Errno::EPERM);
    }
    let prog = p.kernel.progs.get(attr.u32(by_id::START_ID)).ok_or(Errno::ENOENT)?;
    p.new_prog_fd(prog)
}
