//! The current task and CPU (kernel/bpf/helpers.c).

use super::HelperCall;
use crate::exec::helper_table::HelperExit;
use crate::runtime::RunEnv;
use crate::uapi::Errno;

type R = Result<u64, HelperExit>;

pub extern "C" fn get_smp_processor_id(env: &RunEnv<'_>) -> u64 {
    env.cpu as u64
}

/// bpf_get_numa_node_id(): one node.
pub extern "C" fn get_numa_node_id(_: &RunEnv<'_>) -> u64 {
    0
}

/// tgid << 32 | pid.
pub extern "C" fn get_current_pid_tgid(env: &RunEnv<'_>) -> u64 {
    (env.task.tgid as u64) << 32 | env.task.pid as u64
}

/// gid << 32 | uid.
pub extern "C" fn get_current_uid_gid(env: &RunEnv<'_>) -> u64 {
    (env.task.gid as u64) << 32 | env.task.uid as u64
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
