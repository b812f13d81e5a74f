//! A policy callback in the place of the kernel's LSM hooks: it may refuse
//! a command or a program with its own errno.

use crate::creds::Creds;
use crate::uapi::Errno;

/// What an LSM could veto. Each method returns `Ok(())` to allow.
pub trait SecurityPolicy: Send + Sync {
    /// security_bpf(): every command, after the attr is copied in.
    fn bpf(&self, _creds: &Creds, _cmd: u32) -> Result<(), Errno> {
        Ok(())
    }

    /// security_bpf_prog_load() (security_bpf_prog_alloc in older kernels):
    /// a program about to be verified.
    fn prog_load(&self, _creds: &Creds, _prog_type: u32) -> Result<(), Errno> {
        Ok(())
    }

    /// security_bpf_prog(): a new fd for a program is about to be handed out.
    fn prog_fd(&self, _creds: &Creds, _prog_id: u32) -> Result<(), Errno> {
        Ok(())
    }
}

/// The default: allow everything.
pub struct AllowAll;

impl SecurityPolicy for AllowAll {}
