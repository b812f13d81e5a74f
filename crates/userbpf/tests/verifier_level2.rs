//! The whole level-2 verifier log, line for line, against the host
//! kernel's (tests/fixtures/verifier_level2/level2.jsonl, recorded by its
//! record.py): programs whose walk exercises state pruning, precision
//! backtracking (`mark_precise:` lines), register and stack liveness and
//! loops (SCC enter/exit, the statistics line).

use userbpf::isa::Insn;
use userbpf::uapi::types::prog_type_from_str;
use userbpf::{Config, ProgLoadRequest};

mod common;

#[test]
fn level2_logs_are_the_kernels() {
    let path = common::fixtures::fixtures("verifier_level2/level2.jsonl");
    let text = std::fs::read_to_string(&path).expect("level2.jsonl (see its record.py)");
    let (_bpf, process) = common::process::root_with(Config::default());
    let mut failures = Vec::new();
    let mut n = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let e: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let name = e["name"].as_str().expect("name");
        let hex = e["prog"].as_str().expect("prog");
        let insns: Vec<Insn> = (0..hex.len())
            .step_by(16)
            .map(|i| {
                let b: Vec<u8> = (0..8)
                    .map(|j| u8::from_str_radix(&hex[i + 2 * j..i + 2 * j + 2], 16).expect("hex"))
                    .collect();
                Insn::from_bytes(b.try_into().expect("8 bytes"))
            })
            .collect();
        let req = ProgLoadRequest {
            prog_type: prog_type_from_str(e["type"].as_str().expect("type")).expect("a program type"),
            insns,
            log_level: 2,
            log_size: 16 << 20,
            ..Default::default()
        };
        let out = process.prog_load(&req);
        if let Ok(fd) = out.result {
            process.close(fd).expect("close");
        }
        let kernel = e["log"].as_str().expect("log");
        n += 1;
        if out.log != kernel {
            let (k, u): (Vec<&str>, Vec<&str>) = (kernel.lines().collect(), out.log.lines().collect());
            let at = k
                .iter()
                .zip(&u)
                .position(|(a, b)| a != b)
                .unwrap_or(k.len().min(u.len()));
            failures.push(format!(
                "{name}: first difference at log line {}:\n  kernel:  {}\n  userbpf: {}",
                at + 1,
                k.get(at).unwrap_or(&"<end>"),
                u.get(at).unwrap_or(&"<end>")
            ));
        }
    }
    assert!(n >= 10, "only {n} recorded programs");
    assert!(
        failures.is_empty(),
        "{} of {n} logs differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
