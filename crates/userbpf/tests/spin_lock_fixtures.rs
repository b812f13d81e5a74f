//! bpf_spin_lock against the kernel's recorded answers
//! (tests/fixtures/spin_lock/cases.json, recorded by record.py there from
//! Linux 6.18): maps created with BTF value types (which the kernel
//! refuses and with which errno), BPF_F_LOCK element commands from user
//! space (errno and the values read back), and the verifier's spin-lock
//! rules (verdict, errno and error line of each program).

mod common;

use serde_json::Value;
use userbpf::isa::insns_from_bytes;
use userbpf::uapi::types::{cmd, prog_type_from_str};
use userbpf::uapi::Errno;
use userbpf::user_mem::UserBuffers;
use userbpf::{Process, ProgLoadRequest};

use common::map_refs::{self, MAP_FDS_KEEP_MISSING};
use common::process::root as process;
use common::{hex, unhex};

fn fixture() -> Value {
    common::fixtures::json(&common::fixtures::fixtures("spin_lock/cases.json"))
}

/// python's errno.errorcode names (EOPNOTSUPP prints as ENOTSUP).
fn errname(e: Errno) -> String {
    if e == Errno::EOPNOTSUPP {
        "ENOTSUP".into()
    } else {
        e.name().to_string()
    }
}

/// record.py's create_map(): the layout's BTF (value type 3), or no BTF.
fn create_map(
    p: &Process,
    fx: &Value,
    spec: &str,
    layout: Option<&str>,
    key_id: u32,
    value_id: u32,
) -> Result<u32, Errno> {
    let mut req = common::maps::map_spec(spec);
    let Some(layout) = layout else {
        return p.map_create(&req);
    };
    let btf = p.btf_load(&unhex(fx["layouts"][layout].as_str().expect("layout")))?;
    (req.btf_fd, req.btf_key_type_id, req.btf_value_type_id) = (btf, key_id, value_id);
    let fd = p.map_create(&req);
    p.close(btf).expect("close btf");
    fd
}

#[test]
fn map_creation_agrees() {
    let fx = fixture();
    let (bpf, p) = process();
    let mut bad = Vec::new();
    for c in fx["maps"].as_array().expect("maps") {
        let got = create_map(
            &p,
            &fx,
            c["spec"].as_str().unwrap(),
            c["layout"].as_str(),
            c["key_id"].as_u64().unwrap() as u32,
            c["value_id"].as_u64().unwrap() as u32,
        );
        let got = match got {
            Ok(fd) => {
                p.close(fd).unwrap();
                Value::Null
            }
            Err(e) => Value::String(errname(e)),
        };
        if got != c["result"]["errno"] {
            bad.push(format!("{}: kernel {} userbpf {got}", c["name"], c["result"]["errno"]));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert_eq!(bpf.map_count(), 0, "maps leaked");
}

/// One element command as record.py's elem() sends it.
fn elem(
    p: &Process,
    command: &str,
    fd: u32,
    key: &[u8],
    value: Option<Vec<u8>>,
    flags: u64,
    out: usize,
) -> (Value, Vec<u8>) {
    let command = match command {
        "MAP_LOOKUP_ELEM" => cmd::MAP_LOOKUP_ELEM,
        "MAP_UPDATE_ELEM" => cmd::MAP_UPDATE_ELEM,
        "MAP_LOOKUP_AND_DELETE_ELEM" => cmd::MAP_LOOKUP_AND_DELETE_ELEM,
        other => panic!("command {other}"),
    };
    let mut mem = UserBuffers::new();
    let n = value.as_ref().map_or(out, Vec::len);
    let kaddr = mem.add(key.to_vec());
    let vaddr = mem.add(value.unwrap_or_else(|| vec![0; out.max(1)]));
    let mut attr = [0u8; 32];
    attr[0..4].copy_from_slice(&fd.to_le_bytes());
    attr[8..16].copy_from_slice(&kaddr.to_le_bytes());
    attr[16..24].copy_from_slice(&vaddr.to_le_bytes());
    attr[24..32].copy_from_slice(&flags.to_le_bytes());
    let r = p.sys_bpf(command, &mut attr, 32, &mut mem);
    let after = mem.get(vaddr).expect("mapped")[..n].to_vec();
    (r.map_or_else(|e| Value::String(errname(e)), |_| Value::Null), after)
}

#[test]
fn element_commands_agree() {
    let fx = fixture();
    let (_bpf, p) = process();
    let mut bad = Vec::new();
    for c in fx["elems"].as_array().expect("elems") {
        let fd = create_map(&p, &fx, c["spec"].as_str().unwrap(), c["layout"].as_str(), 1, 3).expect("map");
        for (i, (step, want)) in c["steps"]
            .as_array()
            .unwrap()
            .iter()
            .zip(c["result"]["steps"].as_array().unwrap())
            .enumerate()
        {
            let value = step[2].as_str().map(unhex);
            let is_read = value.is_none();
            let (err, after) = elem(
                &p,
                step[0].as_str().unwrap(),
                fd,
                &unhex(step[1].as_str().unwrap()),
                value,
                step[3].as_u64().unwrap(),
                step[4].as_u64().unwrap_or(0) as usize,
            );
            let got_value = if is_read {
                Value::String(hex(&after))
            } else {
                Value::Null
            };
            if err != want["errno"] || got_value != want["value"] {
                bad.push(format!(
                    "{} step {i}: kernel {} {} userbpf {err} {got_value}",
                    c["name"], want["errno"], want["value"]
                ));
            }
        }
        p.close(fd).unwrap();
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

/// The log's last line before the `processed ...` statistics line.
fn error_line(log: &str) -> Value {
    let lines: Vec<&str> = log.lines().filter(|l| !l.is_empty()).collect();
    match lines.as_slice() {
        [.., err, last] if last.starts_with("processed ") => Value::String(err.to_string()),
        _ => Value::Null,
    }
}

#[test]
fn verifier_agrees() {
    let fx = fixture();
    let (_bpf, p) = process();
    let mut bad = Vec::new();
    for c in fx["progs"].as_array().expect("progs") {
        let mut fds = Vec::new();
        for m in c["maps"].as_array().unwrap() {
            fds.push(create_map(&p, &fx, m[0].as_str().unwrap(), m[1].as_str(), 1, 3).expect("map"));
        }
        let mut insns = insns_from_bytes(&unhex(c["prog"].as_str().unwrap())).expect("whole instructions");
        map_refs::patch(&mut insns, &fds, MAP_FDS_KEEP_MISSING);
        let out = p.prog_load(&ProgLoadRequest {
            prog_type: prog_type_from_str(c["type"].as_str().unwrap()).expect("type"),
            insns,
            license: b"GPL".to_vec(),
            log_level: 1,
            log_size: 1 << 20,
            ..Default::default()
        });
        let got = serde_json::json!({
            "accepted": out.result.is_ok(),
            "errno": out.result.err().map(|e| e.name().to_string()),
            "error_line": if out.result.is_ok() { Value::Null } else { error_line(&out.log) },
        });
        if got != c["result"] {
            bad.push(format!("{}: kernel {} userbpf {got}", c["name"], c["result"]));
        }
        if let Ok(fd) = out.result {
            p.close(fd).unwrap();
        }
        for fd in fds {
            p.close(fd).unwrap();
        }
    }
    assert!(bad.is_empty(), "{} disagreements:\n{}", bad.len(), bad.join("\n"));
}
