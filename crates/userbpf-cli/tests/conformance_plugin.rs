//! The `userbpf conformance-plugin` binary driven exactly as bpf_conformance
//! drives a plugin: program hex on stdin, memory hex as the last argument
//! (absent when the test has none), r0 in hex on stdout; on error a non-zero
//! exit with the message on stderr. Every file of the suite must pass.

use std::io::Write;
use std::process::{Command, Stdio};

use userbpf::conformance::{load_dir, to_hex};
use userbpf::isa::insns_to_bytes;

fn plugin(program_hex: &str, memory_hex: Option<&str>) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_userbpf"));
    cmd.arg("conformance-plugin");
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
fn errors_exit_non_zero_with_a_message() {
    // r0 = *(u64 *)(r1 + 0) with no memory: r1 = 0, a NULL dereference.
    let (ok, stdout, stderr) = plugin("7910000000000000 9500000000000000", None);
    assert!(!ok);
    assert!(stdout.is_empty());
    assert!(stderr.contains("insn 0"), "{stderr}");
    // Not hex at all.
    let (ok, _, stderr) = plugin("xyz", None);
    assert!(!ok && !stderr.is_empty());
    // A partial instruction.
    let (ok, _, stderr) = plugin("b7000000", None);
    assert!(!ok && stderr.contains("not a whole number"), "{stderr}");
}
