//! The `userbpf conformance-plugin` binary driven exactly as bpf_conformance
//! drives a plugin: program hex on stdin, memory hex as the last argument
//! (absent when the test has none), r0 in hex on stdout; on error a non-zero
//! exit with the message on stderr. Every file of the suite must pass on
//! both engines (`--engine interp`, the default, and `--engine jit`).

use std::io::Write;
use std::process::{Command, Stdio};

use userbpf::conformance::load_dir;
use userbpf::isa::hex::to_hex;
use userbpf::isa::insns_to_bytes;

const ENGINES: [&str; 2] = ["interp", "jit"];

fn plugin(engine: &str, program_hex: &str, memory_hex: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_userbpf"));
    cmd.args(["conformance-plugin", "--engine", engine]);
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
fn every_conformance_file_passes_through_the_plugin() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/conformance/tests");
    let Ok(cases) = load_dir(dir) else {
        eprintln!("note: conformance suite not found at {dir}; skipping");
        return;
    };
    assert_eq!(cases.len(), 313);
    let mut failures = Vec::new();
    for ((path, case), engine) in cases.iter().flat_map(|c| ENGINES.map(|e| (c, e))) {
        let name = path.file_name().unwrap().to_string_lossy();
        let program = to_hex(&insns_to_bytes(&case.program().expect("suite assembles")));
        let memory = (!case.mem.is_empty()).then(|| to_hex(&case.mem));
        let (ok, stdout, stderr) = plugin(engine, &program, memory.as_deref());
        let got = u64::from_str_radix(stdout.trim(), 16).ok();
        match (&case.error, case.result) {
            (Some(_), _) if !ok && !stderr.is_empty() => {}
            (None, Some(want)) if ok && got == Some(want) => {}
            _ => failures.push(format!(
                "{name} ({engine}): ok={ok} stdout={stdout:?} stderr={stderr:?}"
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 626 runs (313 files x 2 engines) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn errors_exit_non_zero_with_a_message() {
    for engine in ENGINES {
        // r0 = *(u64 *)(r1 + 0) with no memory: r1 = 0, a NULL dereference.
        let (ok, stdout, stderr) = plugin(engine, "7910000000000000 9500000000000000", None);
        assert!(!ok);
        assert!(stdout.is_empty());
        assert!(stderr.contains("insn 0"), "{engine}: {stderr}");
        // Not hex at all.
        let (ok, _, stderr) = plugin(engine, "xyz", None);
        assert!(!ok && !stderr.is_empty());
        // A partial instruction.
        let (ok, _, stderr) = plugin(engine, "b7000000", None);
        assert!(!ok && stderr.contains("not a whole number"), "{engine}: {stderr}");
    }
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
