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
    fn prog_load(&self, _creds: &Creds, _prog_type: u32, _expected_attach_type: u32) -> Result<(), Errno> {
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

/// The policy of the reference host the fixtures were recorded on (Linux
/// 6.18): it refuses, before verification and with an empty log, programs
/// that attach through BPF trampolines: tracing programs declaring
/// fentry/fexit/fmod_ret, LSM programs and extension programs (EPERM even
/// for root). The CLI uses it so that its answers match that host.
pub struct ReferenceHostPolicy;

impl SecurityPolicy for ReferenceHostPolicy {
    fn prog_load(&self, _creds: &Creds, prog_type: u32, expected_attach_type: u32) -> Result<(), Errno> {
        use crate::uapi::types::prog_type as pt;
        const TRACE_FENTRY: u32 = 24;
        const MODIFY_RETURN: u32 = 26;
        let trampoline = match prog_type {
            pt::TRACING => (TRACE_FENTRY..=MODIFY_RETURN).contains(&expected_attach_type),
            pt::LSM | pt::EXT => true,
            _ => false,
        };
        if trampoline {
            Err(Errno::EPERM)
        } else {
            Ok(())
        }
    }
}
