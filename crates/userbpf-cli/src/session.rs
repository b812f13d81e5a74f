//! One user-space BPF instance and the process issuing commands. A single
//! command gets a fresh session; `batch file` runs every line in one, so
//! objects persist from line to line.

use userbpf::{Bpf, Config, Creds, Process};

pub struct Session {
    pub bpf: Bpf,
    pub root: Process,
}

impl Session {
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// An instance that answers as the reference host of the recorded
    /// fixtures does (its LSM policy included).
    pub fn with_config(config: Config) -> Self {
        let bpf = Bpf::new(config);
        bpf.set_policy(std::sync::Arc::new(userbpf::security::ReferenceHostPolicy));
        let root = bpf.process(Creds::ROOT);
        Session { bpf, root }
    }

    /// The process a command runs as: root, or root without capabilities
    /// (kbpf.py's --drop-caps keeps uid 0 but drops CAP_SYS_ADMIN, CAP_BPF,
    /// CAP_PERFMON and CAP_NET_ADMIN).
    pub fn process(&self, unprivileged: bool) -> Option<Process> {
        unprivileged.then(|| {
            self.bpf.process(Creds {
                uid: 0,
                caps: userbpf::Caps::NONE,
            })
        })
    }
}
