//! The current task and CPU (kernel/bpf/helpers.c).

use crate::exec::helper_table::{HelperCall, HelperExit};
use crate::uapi::Errno;

type R = Result<u64, HelperExit>;

pub fn get_smp_processor_id(c: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    Ok(c.env.cpu as u64)
}

/// bpf_get_numa_node_id(): one node.
pub fn get_numa_node_id(_: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    Ok(0)
}

/// tgid << 32 | pid.
pub fn get_current_pid_tgid(c: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    Ok((c.env.task.tgid as u64) << 32 | c.env.task.pid as u64)
}

/// gid << 32 | uid.
pub fn get_current_uid_gid(c: &mut HelperCall<'_, '_>, _: &[u64; 5]) -> R {
    Ok((c.env.task.gid as u64) << 32 | c.env.task.uid as u64)
}

/// bpf_get_current_comm(buf, size): the comm, truncated to `size` and
/// NUL-terminated (strscpy_pad); an empty buffer is -EINVAL... as the
/// verifier forbids size 0, any size works.
pub fn get_current_comm(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let size = a[1] as usize;
    if size == 0 {
        return Ok(super::neg(Errno::EINVAL));
    }
    let comm = &c.env.task.comm;
    let len = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
    let mut out = vec![0u8; size.min(4096)];
    let n = len.min(out.len() - 1);
    out[..n].copy_from_slice(&comm[..n]);
    c.mem.write_bytes(a[0], &out)?;
    Ok(0)
}
