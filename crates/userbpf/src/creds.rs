//! Who is calling (uid and capabilities) and the sysctls that decide what
//! they may do.

/// Capabilities that matter to bpf(2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Caps {
    pub sys_admin: bool,
    pub bpf: bool,
    pub perfmon: bool,
    pub net_admin: bool,
}

impl Caps {
    pub const ALL: Caps = Caps {
        sys_admin: true,
        bpf: true,
        perfmon: true,
        net_admin: true,
    };
    pub const NONE: Caps = Caps {
        sys_admin: false,
        bpf: false,
        perfmon: false,
        net_admin: false,
    };
}

/// A caller's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Creds {
    pub uid: u32,
    pub caps: Caps,
}

impl Creds {
    /// root with every capability.
    pub const ROOT: Creds = Creds {
        uid: 0,
        caps: Caps::ALL,
    };

    /// An ordinary user without capabilities.
    pub fn user(uid: u32) -> Creds {
        Creds { uid, caps: Caps::NONE }
    }

    /// bpf_capable(): CAP_BPF, or CAP_SYS_ADMIN which implies it.
    pub fn bpf_capable(&self) -> bool {
        self.caps.bpf || self.caps.sys_admin
    }

    /// perfmon_capable(): CAP_PERFMON or CAP_SYS_ADMIN.
    pub fn perfmon_capable(&self) -> bool {
        self.caps.perfmon || self.caps.sys_admin
    }

    pub fn net_admin(&self) -> bool {
        self.caps.net_admin
    }
}

/// The sysctls bpf(2) consults, with the kernel's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sysctls {
    /// kernel.unprivileged_bpf_disabled: 2 with
    /// CONFIG_BPF_UNPRIV_DEFAULT_OFF (the default of distribution kernels).
    pub unprivileged_bpf_disabled: u32,
    /// net.core.bpf_jit_enable: 1 (with CONFIG_BPF_JIT_DEFAULT_ON).
    pub bpf_jit_enable: u32,
    /// net.core.bpf_jit_harden: 0.
    pub bpf_jit_harden: u32,
    /// CONFIG_BPF_JIT_ALWAYS_ON: the interpreter is not built, so a program
    /// the JIT can't compile fails to load (ENOTSUPP).
    pub jit_always_on: bool,
}

impl Default for Sysctls {
    fn default() -> Self {
        Sysctls {
            unprivileged_bpf_disabled: 2,
            bpf_jit_enable: 1,
            bpf_jit_harden: 0,
            jit_always_on: false,
        }
    }
}
