//! The C examples (examples/*/prog.c, compiled objects committed) run on
//! their captures as the kernel ran them: per packet retval and data_out,
//! then the maps and ring buffer records (examples/kernel.json, recorded by
//! examples/record.py through bpftool on Linux 6.18).

mod common;

use common::fixtures::examples;
use common::{hex, unhex};

use serde_json::Value;
use userbpf::maps::RingBuf;
use userbpf::obj::{LoadOptions, LoadedObject, Object};
use userbpf::runtime::Engine;
use userbpf::{Process, TestRunRequest};

fn json(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(examples(path)).unwrap()).unwrap()
}

/// The packets of a classic pcap file.
fn packets(path: &str) -> Vec<Vec<u8>> {
    let d = std::fs::read(examples(path)).unwrap();
    let mut out = Vec::new();
    let mut off = 24;
    while off < d.len() {
        let n = u32::from_le_bytes(d[off + 8..off + 12].try_into().unwrap()) as usize;
        out.push(d[off + 16..off + 16 + n].to_vec());
        off += 16 + n;
    }
    out
}

fn map_rows(p: &Process, fd: u32) -> Value {
    let mut rows: Vec<(String, String)> = p
        .map_dump(fd)
        .unwrap()
        .into_iter()
        .map(|(k, v)| (hex(&k), hex(&v.unwrap())))
        .collect();
    rows.sort();
    Value::Array(
        rows.into_iter()
            .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
            .collect(),
    )
}

#[test]
fn every_example_does_what_the_kernel_did() {
    let manifest = json("examples.json");
    let kernel = json("kernel.json");
    for engine in [Engine::Loaded, Engine::Interpreter] {
        for ex in manifest["examples"].as_array().unwrap() {
            let name = ex["name"].as_str().unwrap();
            let want = &kernel["examples"][name];
            let (_bpf, p) = common::process::root();
            let data = std::fs::read(examples(ex["object"].as_str().unwrap())).unwrap();
            let obj = Object::parse(name, &data).unwrap();
            let loaded = LoadedObject::load_all(&p, &obj, &LoadOptions::default()).unwrap();
            for u in ex["map_updates"].as_array().into_iter().flatten() {
                let fd = loaded.map_fd(u[0].as_str().unwrap()).unwrap();
                p.map_update(fd, &unhex(u[1].as_str().unwrap()), &unhex(u[2].as_str().unwrap()), 0)
                    .unwrap();
            }
            let fd = loaded.prog_fd(ex["program"].as_str().unwrap()).unwrap();
            for (i, pkt) in packets(ex["pcap"].as_str().unwrap()).into_iter().enumerate() {
                let got = p
                    .prog_test_run(&TestRunRequest {
                        prog_fd: fd,
                        data_in: pkt,
                        repeat: 1,
                        engine,
                        ..Default::default()
                    })
                    .unwrap();
                let k = &want["runs"][i];
                assert_eq!(
                    got.retval as u64,
                    k["retval"].as_u64().unwrap(),
                    "{name} packet {i} ({engine:?})"
                );
                assert_eq!(
                    hex(&got.data_out),
                    k["data_out"].as_str().unwrap(),
                    "{name} packet {i} data_out"
                );
            }
            for m in ex["dump_maps"].as_array().into_iter().flatten() {
                let m = m.as_str().unwrap();
                assert_eq!(
                    map_rows(&p, loaded.map_fd(m).unwrap()),
                    want["maps"][m],
                    "{name}: map {m}"
                );
            }
            if let Some(rb) = ex["ringbuf"].as_str() {
                let (map, _) = p.map_by_fd(loaded.map_fd(rb).unwrap()).unwrap();
                let mut records = Vec::new();
                map.downcast::<RingBuf>()
                    .unwrap()
                    .consume(|r| records.push(Value::from(hex(r))));
                assert_eq!(Value::Array(records), want["ringbuf"], "{name}: ring buffer records");
            }
        }
    }
}
