//! `userbpf prog load OBJ.o`, `prog loadall` and `btf dump`, against what
//! the kernel and bpftool did with the same fixtures
//! (tests/fixtures/elf/kernel.json, btf/*.txt).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/elf")
}

fn userbpf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .args(args)
        .output()
        .expect("run userbpf")
}

fn fixture(name: &str) -> String {
    fixtures().join(name).display().to_string()
}

fn kernel_record(object: &str) -> Value {
    let k: Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("kernel.json")).unwrap()).unwrap();
    k["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["object"] == object)
        .unwrap()
        .clone()
}

#[test]
fn loadall_reports_the_kernels_tags_and_maps() {
    let out = userbpf(&["prog", "loadall", &fixture("global_data.o"), "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    let want = kernel_record("global_data.o");
    assert_eq!(got["loaded"], true);
    let prog = &got["programs"][0];
    assert_eq!(prog["name"], "xdp_global_data");
    assert_eq!(prog["type"], "xdp");
    assert_eq!(prog["tag"], want["programs"]["xdp_global_data"]["tag"]);
    for m in got["maps"].as_array().unwrap() {
        let k = &want["maps"][m["name"].as_str().unwrap()];
        for field in ["type", "key_size", "value_size", "max_entries", "flags"] {
            assert_eq!(m[field], k[field], "{} {field}", m["name"]);
        }
    }
}

#[test]
fn load_picks_one_program_and_loadall_refuses_like_libbpf() {
    let out = userbpf(&[
        "prog",
        "load",
        &fixture("xdp_two_progs.o"),
        "--program",
        "xdp_second",
        "--json",
    ]);
    assert!(out.status.success());
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["name"], "xdp_second");
    assert_eq!(
        got["tag"],
        kernel_record("xdp_two_progs.o")["programs"]["xdp_second"]["tag"]
    );

    // The kernel refused xdp_bad_second with EACCES (13).
    let out = userbpf(&["prog", "loadall", &fixture("partial_failure.o"), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let got: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["loaded"], false);
    let last = got["programs"].as_array().unwrap().last().unwrap();
    assert_eq!(last["name"], "xdp_bad_second");
    assert_eq!(last["errno_value"], 13);

    let out = userbpf(&["prog", "load", &fixture("xdp_pass.o"), "--program", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no program named nope"));
}

#[test]
fn btf_dump_prints_what_bpftool_prints() {
    for name in ["btf_kinds", "hash_of_maps", "kconfig"] {
        let out = userbpf(&["btf", "dump", "file", &fixture(&format!("{name}.o"))]);
        assert!(out.status.success());
        let want = std::fs::read_to_string(fixtures().join(format!("btf/{name}.txt"))).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{name}");
    }
    let out = userbpf(&["btf", "dump", &fixture("packets/ipv4_tcp_22.bin")]);
    assert_eq!(out.status.code(), Some(1), "not BTF");
}
