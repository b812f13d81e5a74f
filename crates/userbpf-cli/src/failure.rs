//! A user-facing failure: the message printed on stderr, and whether the
//! command ran but reported a refusal (exit 1) or could not run (exit 2).

#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    /// The command ran and the answer is "no" (already printed).
    pub fn refused() -> Self {
        Failure {
            message: String::new(),
            code: 1,
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure {
            message: e.to_string(),
            code: 1,
        }
    }
}

/// A BPF_OBJ_PIN failure, with what the errno means for a pin path.
pub fn pin_failure(path: &str, e: userbpf::Errno) -> Failure {
    let hint = match e {
        userbpf::Errno::EPERM => " (pins live on the BPF filesystem: use a path under /sys/fs/bpf)",
        userbpf::Errno::EEXIST => " (something is already pinned there: pick another name)",
        userbpf::Errno::ENOENT => " (the directory does not exist under /sys/fs/bpf)",
        _ => "",
    };
    Failure::from(format!("pin {path}: {e}{hint}"))
}
