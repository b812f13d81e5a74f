//! `userbpf prog load OBJ.o` with the options raw loads take: each one
//! changes the load as it would for a raw program (or as libbpf's
//! bpf_program__set_* calls do), with expectations from the kernel
//! (tests/fixtures/elf/kernel.json, messages the kernel printed) or derived
//! by hand from its rules.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/elf")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn userbpf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .args(args)
        .output()
        .expect("run userbpf")
}

fn json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// The bundled kernel BTF (kernel_btf/kfuncs.btf), so kfunc loads do not
/// depend on the host.
fn kernel_btf() -> String {
    fixture("kernel_btf/kfuncs.btf")
}

#[test]
fn type_replaces_the_sections_program_type() {
    // bpf_program__set_type(): xdp_pass's `return XDP_PASS` is a valid
    // socket filter too.
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("xdp_pass.o"),
        "--type",
        "socket_filter",
        "--json",
    ]);
    let got = json(&out);
    assert_eq!(got["type"], "socket_filter");
    assert_eq!(got["accepted"], true);
}

#[test]
fn flags_are_added_to_the_sections() {
    // BPF_F_SLEEPABLE on xdp: the kernel's message and EINVAL (kbpf.py on a
    // two-instruction xdp program with --flags 16).
    let out = userbpf(&["prog", "load", &fixture("xdp_pass.o"), "--flags", "0x10", "--json"]);
    let got = json(&out);
    assert_eq!(got["accepted"], false);
    assert_eq!(got["errno_value"], 22);
    assert!(got["log"]
        .as_str()
        .unwrap()
        .starts_with("Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable\n"));
}

#[test]
fn unprivileged_loads_as_a_process_without_capabilities() {
    // kernel.unprivileged_bpf_disabled is 2 (the default here, as on the
    // recording host): BPF_PROG_LOAD without CAP_BPF is EPERM...
    let out = userbpf(&["prog", "load", &fixture("xdp_pass.o"), "--unprivileged", "--json"]);
    let got = json(&out);
    assert_eq!(got["accepted"], false);
    assert_eq!(got["errno_value"], 1);
    // ... and so is BPF_MAP_CREATE, which comes first for an object with maps.
    let out = userbpf(&["prog", "load", &fixture("global_data.o"), "--unprivileged", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BPF_MAP_CREATE failed: EPERM"));
    // Privileged, both load (kernel.json).
    assert!(userbpf(&["prog", "load", &fixture("global_data.o")]).status.success());
}

#[test]
fn license_replaces_the_objects() {
    // The kernel refused license_proprietary.o (EINVAL, kernel.json) for
    // calling a GPL-only helper (bpf_trace_printk); GPL makes it loadable.
    let out = userbpf(&["prog", "load", &fixture("license_proprietary.o"), "--json"]);
    assert_eq!(json(&out)["errno_value"], 22);
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("license_proprietary.o"),
        "--license",
        "GPL",
        "--json",
    ]);
    assert_eq!(json(&out)["accepted"], true);
    // A kfunc call from a non-GPL program: the kernel's message (kbpf.py).
    let kbtf = kernel_btf();
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("kfunc_calls.o"),
        "--program",
        "iter_sum",
        "--kernel-btf",
        &kbtf,
        "--license",
        "Proprietary",
        "--json",
    ]);
    let got = json(&out);
    assert_eq!(got["errno_value"], 22);
    assert!(got["log"]
        .as_str()
        .unwrap()
        .starts_with("cannot call kernel function from non-GPL compatible program\n"));
}

#[test]
fn log_level_and_log_size() {
    // Level 2 prints the accepted program's log (each instruction's state).
    let out = userbpf(&["prog", "load", &fixture("xdp_pass.o"), "--log-level", "2"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(95) exit"), "{text}");
    assert!(text.contains("processed "), "{text}");
    // Level 1 does not.
    let out = userbpf(&["prog", "load", &fixture("xdp_pass.o")]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("(95) exit"));
    // A log buffer too small for a refusal's log: ENOSPC wins (28).
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("xdp_bad_access.o"),
        "--log-size",
        "32",
        "--json",
    ]);
    assert_eq!(json(&out)["errno_value"], 28);
    let out = userbpf(&["prog", "load", &fixture("xdp_bad_access.o"), "--json"]);
    assert_eq!(json(&out)["errno_value"], 13, "kernel.json: EACCES");
}

#[test]
fn verifier_depth() {
    // The kernel refuses xdp_bad_access.o (EACCES); the structural checks
    // alone do not see the bad access.
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("xdp_bad_access.o"),
        "--verifier",
        "full",
        "--json",
    ]);
    assert_eq!(json(&out)["errno_value"], 13);
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("xdp_bad_access.o"),
        "--verifier",
        "structural",
        "--json",
    ]);
    assert_eq!(json(&out)["accepted"], true);
}

#[test]
fn trust_verifier_runs_the_same() {
    // xdp_pass returns XDP_PASS (2) on any packet (kernel.json's runs).
    let out = userbpf(&[
        "prog",
        "run",
        &fixture("xdp_pass.o"),
        "--trust-verifier",
        "--data",
        &format!("@{}", fixture("packets/ipv4_tcp_22.bin")),
        "--json",
    ]);
    assert_eq!(json(&out)["retval"], 2);
}

#[test]
fn dot_draws_the_linked_program() {
    let dir = std::env::temp_dir().join(format!("userbpf-obj-dot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cfg.dot");
    let out = userbpf(&["prog", "load", &fixture("subprog.o"), "--dot", path.to_str().unwrap()]);
    let dot = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}: {out:?}"));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(dot.starts_with("digraph"), "{dot}");
    // The subprogram is appended: a call edge into it.
    assert!(dot.contains("call"), "{dot}");
}

#[test]
fn kfunc_calls_resolve_against_the_kernel_btf() {
    let kbtf = kernel_btf();
    // bpf_iter_num_new is [8] in the bundled BTF; the walk stops there,
    // names it and refuses it as not modelled, EOPNOTSUPP (the kernel
    // accepted iter_sum: kernel.json; kfuncs are not modelled).
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("kfunc_calls.o"),
        "--program",
        "iter_sum",
        "--kernel-btf",
        &kbtf,
        "--json",
    ]);
    let got = json(&out);
    assert_eq!(got["errno_value"], 95);
    assert!(got["log"]
        .as_str()
        .unwrap()
        .contains("userbpf: kfunc bpf_iter_num_new is not modelled\n"));
    assert_eq!(got["unsupported"], "kfunc bpf_iter_num_new");
    // The weak kfunc that does not resolve is poisoned in dead code: loads.
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("kfunc_calls.o"),
        "--program",
        "weak_kfunc",
        "--kernel-btf",
        &kbtf,
        "--json",
    ]);
    assert_eq!(json(&out)["accepted"], true);
    // A typed kernel variable: the kernel's refusal (ENOENT, kernel.json).
    let out = userbpf(&["prog", "load", &fixture("ksym_var.o"), "--kernel-btf", &kbtf, "--json"]);
    let got = json(&out);
    assert_eq!(got["errno_value"], 2);
    assert!(got["log"]
        .as_str()
        .unwrap()
        .starts_with("ldimm64 failed to find the address for kernel symbol 'bpf_prog_active'.\n"));
}

#[test]
fn autoload_and_prog_array_values() {
    let packet = format!("@{}", fixture("packets/ipv4_tcp_22.bin"));
    // As libbpf: a `values` slot naming a program that was not loaded is
    // fd -ENOENT, which the map update refuses (EBADF), failing the load.
    let out = userbpf(&["prog", "load", &fixture("prog_array_init.o"), "--program", "tail_entry"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("failed to initialize slot [0] to prog 'tail_a' fd=-2: EBADF"),
        "{err}"
    );
    // With its targets loaded too, tail_entry tail-calls slot 2 and returns
    // tail_b's 22 (kernel.json).
    let out = userbpf(&[
        "prog",
        "run",
        &fixture("prog_array_init.o"),
        "--program",
        "tail_entry",
        "--autoload",
        "tail_a",
        "--autoload",
        "tail_b",
        "--data",
        &packet,
        "--json",
    ]);
    assert_eq!(json(&out)["retval"], 22);
    // `SEC("?xdp")`: loadall skips it; loading it by name loads it.
    let out = userbpf(&["prog", "loadall", &fixture("autoload_prefix.o"), "--json"]);
    let got = json(&out);
    let names: Vec<&str> = got["programs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["xdp_always"]);
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("autoload_prefix.o"),
        "--program",
        "xdp_optional",
        "--json",
    ]);
    assert_eq!(json(&out)["accepted"], true);
}
