//! The whole bpf_conformance suite on every engine: the interpreter, and
//! the JIT with and without instruction metering. Each file's program must
//! produce its `-- result` r0 (or fail when it expects `-- error`). The
//! plugin protocol is tested in the CLI crate.

mod common;

use common::fixtures::conformance_dir;

use std::path::PathBuf;

use userbpf::conformance::{load_dir, TestCase};
use userbpf::isa::insns_to_bytes;
use userbpf::plugin::{run_interp, run_jit};

fn suite() -> Option<Vec<(PathBuf, TestCase)>> {
    let dir = conformance_dir();
    match load_dir(&dir) {
        Ok(cases) => Some(cases),
        Err(e) => {
            eprintln!("note: conformance suite not found at {} ({e}); skipping", dir.display());
            None
        }
    }
}

fn check(name: &str, case: &TestCase, outcome: Result<u64, String>) -> Result<(), String> {
    match (&case.error, case.result, outcome) {
        (Some(_), _, Err(_)) => Ok(()),
        (Some(want), _, Ok(r0)) => Err(format!("{name}: expected error {want:?}, got r0 = {r0:#x}")),
        (None, Some(want), Ok(r0)) if r0 == want => Ok(()),
        (None, Some(want), Ok(r0)) => Err(format!("{name}: r0 = {r0:#x}, expected {want:#x}")),
        (None, _, Err(e)) => Err(format!("{name}: {e}")),
        (None, None, Ok(_)) => Err(format!("{name}: no -- result in the file")),
    }
}

/// Every file of the suite (313 of them) through `failure`, which names
/// what went wrong with one; the test fails listing them all.
fn for_every_file(failure: impl Fn(&str, &TestCase) -> Option<String>) {
    let Some(cases) = suite() else { return };
    assert_eq!(cases.len(), 313, "the suite has 313 files");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|(path, case)| failure(&path.file_name().unwrap().to_string_lossy(), case))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of 313 failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn run_suite(budget: Option<u64>) {
    for_every_file(|name, case| {
        let program = insns_to_bytes(&case.program().expect("suite assembles"));
        let jit = run_jit(&program, &case.mem, budget).map_err(|e| e.to_string());
        // Same r0, or the same error, as the interpreter.
        let interp = run_interp(&program, &case.mem, budget).map_err(|e| e.to_string());
        if jit != interp {
            return Some(format!("{name}: jit {jit:?} but interpreter {interp:?}"));
        }
        check(name, case, jit).err()
    });
}

#[test]
fn every_conformance_file_passes_on_the_jit() {
    run_suite(None);
}

#[test]
fn every_conformance_file_passes_on_the_metered_jit() {
    run_suite(Some(10_000_000));
}

/// Budget large enough for every suite program, small enough to catch a
/// runaway loop quickly.
const BUDGET: Option<u64> = Some(10_000_000);

#[test]
fn every_conformance_file_passes_on_the_interpreter() {
    for_every_file(|name, case| {
        let program = case.program().map_err(|e| format!("{name}: {e}")).ok()?;
        let outcome = run_interp(&insns_to_bytes(&program), &case.mem, BUDGET).map_err(|e| e.to_string());
        check(name, case, outcome).err()
    });
}
