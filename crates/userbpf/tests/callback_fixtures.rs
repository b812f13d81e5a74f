//! Callbacks (bpf_loop, bpf_for_each_map_elem) and map-in-map lookups
//! against the kernel's recorded answers (tests/fixtures/callbacks/
//! cases.json, recorded by record.py there from Linux 6.18): per program,
//! the verdict, errno and error line, and that the full verifier decided
//! it, unless the case is listed in [`UNMODELLED`] with the reason: those
//! must be refused with EOPNOTSUPP naming it (never accepted).

mod common;

use serde_json::Value;
use userbpf::isa::insns_from_bytes;
use userbpf::uapi::types::prog_type_from_str;
use userbpf::uapi::Errno;
use userbpf::{MapCreateRequest, Process, ProgLoadRequest};

use common::map_refs::{self, KBPF};
use common::maps::map_spec;
use common::process::root as process;
use common::unhex;
use common::verifier_log::{error_line, not_modelled};

/// Cases the full verifier does not decide yet, with what stops it.
const UNMODELLED: &[(&str, &str)] = &[
    // A read of struct bpf_map's fields through the inner map pointer
    // (typed by the kernel's BTF).
    ("mim_deref_outer_value", "map pointer field reads (BTF)"),
];

fn fixture() -> Value {
    common::fixtures::json(&common::fixtures::fixtures("callbacks/cases.json"))
}

/// Python's errno.errorcode name, or the number when it has none (524).
fn errname(e: Errno) -> String {
    if e == Errno::ENOTSUPP {
        "524".into()
    } else {
        e.name().to_string()
    }
}

/// record.py's create_map(): kbpf's spec, or OUTER/INNER for a map-in-map.
fn create_map(p: &Process, spec: &str) -> u32 {
    let (outer, inner) = spec.split_once('/').map_or((spec, None), |(o, i)| (o, Some(i)));
    let inner_fd = inner.map(|i| p.map_create(&map_spec(i)).expect("inner map"));
    let req = MapCreateRequest {
        inner_map_fd: inner_fd.unwrap_or(0),
        ..map_spec(outer)
    };
    let fd = p.map_create(&req).unwrap_or_else(|e| panic!("map {spec}: {e:?}"));
    if let Some(i) = inner_fd {
        p.close(i).unwrap();
    }
    fd
}

/// record.py's btf_blob(): int, long, then per function a FUNC_PROTO with
/// N long parameters and a FUNC of it (static, or global). Returns the
/// BTF and the FUNC type ids.
fn btf_blob(func_info: &[Value]) -> (Vec<u8>, Vec<u32>) {
    let mut strs = b"\0int\0long\0a\0".to_vec();
    let mut types: Vec<u8> = Vec::new();
    let w = |t: &mut Vec<u8>, v: u32| t.extend(v.to_le_bytes());
    for v in [1, 1 << 24, 4, 32, 5, 1 << 24, 8, 64] {
        w(&mut types, v);
    }
    let mut ids = Vec::new();
    let mut tid = 3u32;
    for (i, f) in func_info.iter().enumerate() {
        let nargs = f[1].as_u64().unwrap() as u32;
        let global = f[2].as_bool().unwrap();
        for v in [0, (13 << 24) | nargs, 1] {
            w(&mut types, v);
        }
        for _ in 0..nargs {
            w(&mut types, 10);
            w(&mut types, 2);
        }
        let name_off = strs.len() as u32;
        strs.extend(format!("f{i}\0").bytes());
        for v in [name_off, (12 << 24) | global as u32, tid] {
            w(&mut types, v);
        }
        ids.push(tid + 1);
        tid += 2;
    }
    let mut blob = Vec::new();
    blob.extend(0xeb9fu16.to_le_bytes());
    blob.extend([1u8, 0]);
    for v in [24u32, 0, types.len() as u32, types.len() as u32, strs.len() as u32] {
        blob.extend(v.to_le_bytes());
    }
    blob.extend(types);
    blob.extend(strs);
    (blob, ids)
}

/// Load the case at `log_level`: the outcome and the log.
fn load(c: &Value, log_level: u32) -> (Result<(), Errno>, String) {
    let (_bpf, p) = process();
    let maps: Vec<u32> = c["maps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| create_map(&p, m.as_str().unwrap()))
        .collect();
    let mut insns = insns_from_bytes(&unhex(c["prog"].as_str().unwrap())).expect("whole instructions");
    map_refs::patch(&mut insns, &maps, KBPF);
    let mut req = ProgLoadRequest {
        prog_type: prog_type_from_str(c["type"].as_str().unwrap()).expect("prog type"),
        insns,
        license: b"GPL".to_vec(),
        log_level,
        log_size: 1 << 22,
        ..Default::default()
    };
    let fi = c["func_info"].as_array().unwrap();
    if !fi.is_empty() {
        let (blob, ids) = btf_blob(fi);
        req.prog_btf_fd = p.btf_load(&blob).expect("the recorder's BTF loads");
        req.func_info = fi
            .iter()
            .zip(ids)
            .map(|(f, id)| (f[0].as_u64().unwrap() as u32, id))
            .collect();
    }
    let out = p.prog_load(&req);
    (out.result.map(|fd| p.close(fd).unwrap()), out.log)
}

#[test]
fn callbacks_and_map_in_map_agree_with_the_kernel() {
    let fx = fixture();
    let mut failures = Vec::new();
    let cases = fx["cases"].as_array().unwrap();
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let want = &c["result"];
        let (r, log) = load(c, 1);
        if let Some((_, why)) = UNMODELLED.iter().find(|(n, _)| *n == name) {
            if r != Err(Errno::EOPNOTSUPP) || not_modelled(&log) != Some(why) {
                failures.push(format!("{name}: listed as unmodelled ({why}), userbpf {r:?}\n{log}"));
            }
            continue;
        }
        let accepted = want["accepted"].as_bool().unwrap();
        let got_errno = r.err().map(errname);
        let want_errno = want["errno"].as_str().map(str::to_string);
        if r.is_ok() != accepted || got_errno != want_errno {
            failures.push(format!(
                "{name}: kernel {want_errno:?} (accepted {accepted}), userbpf {got_errno:?}\n{log}"
            ));
            continue;
        }
        if let Some(line) = want["error_line"].as_str() {
            if error_line(&log) != line {
                failures.push(format!("{name}: kernel `{line}`, userbpf `{}`", error_line(&log)));
                continue;
            }
        }
        // The full verifier decided it: no `is not modelled` line.
        if let Some(what) = not_modelled(&log) {
            failures.push(format!("{name}: {what} is not modelled"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn the_fixture_covers_each_kind() {
    // Accepted and refused callbacks of both helpers, and map-in-map lookups.
    let fx = fixture();
    let cases = fx["cases"].as_array().unwrap();
    for prefix in ["loop_", "for_each_", "mim_"] {
        let of = |acc: bool| {
            cases
                .iter()
                .filter(|c| c["name"].as_str().unwrap().starts_with(prefix))
                .any(|c| c["result"]["accepted"].as_bool() == Some(acc))
        };
        assert!(of(true) && of(false), "{prefix}: accepted and refused cases");
    }
}
