//! Replays the kernel's recorded BPF_PROG_LOAD answers
//! (tests/fixtures/prog_load/cases.json, recorded by record.py with kbpf.py
//! on Linux 6.18) through `userbpf prog load --json` with the same options,
//! and compares verdict, errno, tag, name, license flag and xlated code.
//!
//! Rows that need parts not built yet (parts of the verifier) are listed in
//! `PENDING` with the reason; everything else must agree exactly. Map ids
//! in xlated code are masked (the kernel's differ from ours).

use std::collections::BTreeMap;
use std::process::Command;

use serde_json::Value;

/// Cases whose kernel answer depends on work not built yet.
const PENDING: &[(&str, &str)] = &[
    (
        "license_gpl_helper_mit",
        "verifier: gpl_only helper from a non-GPL program",
    ),
    (
        "license_gpl_helper_kprobe_proprietary",
        "verifier: gpl_only helper from a non-GPL program",
    ),
    (
        "map_hash_lookup",
        "verifier: map lookups inlined (map_gen_lookup) in the xlated code",
    ),
    (
        "map_array_second_of_two",
        "verifier: map lookups inlined (map_gen_lookup) in the xlated code",
    ),
    (
        "map_lookup_missing_null_check",
        "verifier: map value pointers (PTR_TO_MAP_VALUE_OR_NULL)",
    ),
    ("map_lookup_value_oob", "verifier: map value pointer bounds"),
];

fn fixture() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/prog_load/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("fixture JSON")
}

fn pending_reason(name: &str, _args: &[String]) -> Option<String> {
    PENDING
        .iter()
        .find(|(n, _)| name.starts_with(n))
        .map(|(_, r)| r.to_string())
}

/// The program as hex with the imm of every map-loading ld_imm64 (src_reg
/// BPF_PSEUDO_MAP_FD or MAP_VALUE) zeroed: map ids (in xlated code) and map
/// indexes (in the program sent) differ between the kernel and us.
fn mask_map_ids(hex: &str) -> String {
    let mut slots: Vec<String> = (0..hex.len() / 16)
        .map(|i| hex[i * 16..i * 16 + 16].to_string())
        .collect();
    let mut i = 0;
    while i < slots.len() {
        let code = u8::from_str_radix(&slots[i][0..2], 16).unwrap();
        let src = u8::from_str_radix(&slots[i][2..4], 16).unwrap() >> 4;
        if code == 0x18 {
            if src == 1 || src == 2 {
                slots[i].replace_range(8..16, "00000000");
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    slots.concat()
}

/// Differences between the kernel's answer and ours, by field.
fn compare(kernel: &Value, ours: &Value, prog_hex: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut check = |field: &str| {
        if kernel.get(field) != ours.get(field) {
            diffs.push(format!("{field}: kernel {} vs ours {}", kernel[field], ours[field]));
        }
    };
    check("accepted");
    check("errno");
    if kernel["accepted"] == Value::Bool(true) {
        check("tag");
        check("name");
        check("gpl_compatible");
        check("xlated_len");
        // The kernel rewrites some programs (helper call addresses, ctx
        // access); where it didn't, the xlated code must match exactly.
        if kernel["xlated"].as_str() == Some(prog_hex) {
            check("xlated");
        } else if let Some(k) = kernel["xlated"].as_str() {
            // Map ld_imm64 show ids: compare with them masked.
            if mask_map_ids(k) == mask_map_ids(prog_hex) {
                let ours = ours["xlated"].as_str().map(mask_map_ids);
                if ours.as_deref() != Some(mask_map_ids(k).as_str()) {
                    diffs.push(format!("xlated (map ids masked): kernel {k} vs ours {ours:?}"));
                }
            }
        }
    }
    diffs
}

fn run_case(case: &Value, dir: &std::path::Path) -> Value {
    let name = case["name"].as_str().unwrap();
    let file = dir.join(format!("{name}.hex"));
    std::fs::write(&file, case["prog"].as_str().unwrap()).unwrap();
    let args: Vec<String> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .args(["prog", "load"])
        .arg(&file)
        .args(&args)
        .arg("--json")
        .output()
        .expect("run userbpf");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!("{name}: no JSON; stderr: {}", String::from_utf8_lossy(&out.stderr));
    })
}

#[test]
fn load_cases_match_the_kernel() {
    let fx = fixture();
    let dir = std::env::temp_dir().join(format!("userbpf-prog-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = fx["cases"].as_array().unwrap();
    let (mut agree, mut pending_agree) = (0, 0);
    let mut failures = Vec::new();
    let mut pending: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        let reason = pending_reason(name, &args);
        let ours = run_case(case, &dir);
        let diffs = compare(&case["result"], &ours, case["prog"].as_str().unwrap());
        match (reason, diffs.is_empty()) {
            (None, true) => agree += 1,
            (None, false) => failures.push(format!("{name} ({}): {}", args.join(" "), diffs.join("; "))),
            (Some(_), true) => pending_agree += 1,
            (Some(reason), false) => pending.entry(reason).or_default().push(name.to_string()),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!(
        "{agree} of {} cases agree with the kernel; {pending_agree} pending cases agree already; pending:",
        cases.len()
    );
    for (reason, names) in &pending {
        eprintln!("  {reason}: {}", names.join(", "));
    }
    assert!(
        failures.is_empty(),
        "{} disagreements:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(agree >= 60, "only {agree} agreeing rows");
}

#[test]
fn tags_match_the_kernel() {
    let fx = fixture();
    let dir = std::env::temp_dir().join(format!("userbpf-tags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in fx["tags"].as_array().unwrap() {
        let args: Vec<String> = case["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        if pending_reason("", &args).is_some() {
            continue;
        }
        let ours = run_case(case, &dir);
        if ours["tag"] != case["tag"] {
            failures.push(format!(
                "{}: kernel {} vs ours {}",
                case["name"], case["tag"], ours["tag"]
            ));
        }
        checked += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{checked} tags equal the kernel's");
    assert!(checked >= 50, "only {checked} tags checked");
}
