//! A `Bpf` instance and its root process, as most tests start.

use userbpf::isa::Insn;
use userbpf::{Bpf, Config, Creds, Process, ProgLoadRequest};

/// A root process of a fresh instance with the default configuration.
/// The instance is returned too: it must outlive the process's use.
pub fn root() -> (Bpf, Process) {
    root_with(Config::default())
}

/// A root process of a fresh instance with `config`.
pub fn root_with(config: Config) -> (Bpf, Process) {
    let bpf = Bpf::new(config);
    let p = bpf.process(Creds::ROOT);
    (bpf, p)
}

/// A load request for GPL `insns` of `prog_type`, the rest default.
pub fn gpl_request(prog_type: u32, insns: Vec<Insn>) -> ProgLoadRequest {
    ProgLoadRequest {
        prog_type,
        insns,
        license: b"GPL".to_vec(),
        ..Default::default()
    }
}
