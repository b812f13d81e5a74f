//! `userbpf conformance-plugin --engine jit` driven as bpf_conformance
//! drives a plugin: every file of the suite must pass through the JIT, and
//! `userbpf run --engine jit --repeat N` reports a duration per run.

use std::io::Write;
use std::process::{Command, Stdio};

use userbpf::conformance::{load_dir, to_hex};
use userbpf::isa::insns_to_bytes;

fn plugin(program_hex: &str, memory_hex: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_userbpf"));
    cmd.args(["conformance-plugin", "--engine", "jit"]);
    if let Some(m) = memory_hex {
        cmd.arg(m);
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn userbpf");
    child.stdin.take().unwrap().write_all(program_hex.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_conformance_file_passes_through_the_jit_plugin() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/tests");
    let Ok(cases) = load_dir(dir) else {
        eprintln!("note: conformance suite not found at {dir}; skipping");
        return;
    };
    assert_eq!(cases.len(), 313);
    let mut failures = Vec::new();
    for (path, case) in &cases {
        let name = path.file_name().unwrap().to_string_lossy();
        let program = to_hex(&insns_to_bytes(&case.program().expect("suite assembles")));
        let memory = (!case.mem.is_empty()).then(|| to_hex(&case.mem));
        let (ok, stdout, stderr) = plugin(&program, memory.as_deref());
        let got = u64::from_str_radix(stdout.trim(), 16).ok();
        match (&case.error, case.result) {
            (Some(_), _) if !ok && !stderr.is_empty() => {}
            (None, Some(want)) if ok && got == Some(want) => {}
            _ => failures.push(format!("{name}: ok={ok} stdout={stdout:?} stderr={stderr:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 313 failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn jit_plugin_errors_name_the_instruction() {
    // r0 = *(u64 *)(r1 + 0) with no memory: r1 = 0, a NULL dereference.
    let (ok, stdout, stderr) = plugin("7910000000000000 9500000000000000", None);
    assert!(!ok);
    assert!(stdout.is_empty());
    assert!(stderr.contains("insn 0"), "{stderr}");
}

#[test]
fn run_chooses_the_engine_and_reports_duration_per_run() {
    let dir = std::env::temp_dir().join(format!("userbpf-jit-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("sum.s");
    std::fs::write(
        &prog,
        "mov %r0, 0\nmov %r3, 0\nloop:\njge %r3, %r2, done\nmov %r4, %r1\nadd %r4, %r3\nldxb %r5, [%r4+0]\nadd %r0, %r5\nadd %r3, 1\nja loop\ndone:\nexit\n",
    )
    .unwrap();
    for engine in ["jit", "interp"] {
        let out = Command::new(env!("CARGO_BIN_EXE_userbpf"))
            .args(["run", "--engine", engine, "--repeat", "10", "--mem", "0102030405"])
            .arg(&prog)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{engine}: {stdout} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("r0 = 0xf (15)"), "{engine}: {stdout}");
        assert!(stdout.contains("duration_ns = "), "{engine}: {stdout}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
