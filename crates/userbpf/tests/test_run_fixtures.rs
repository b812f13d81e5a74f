//! BPF_PROG_TEST_RUN against the kernel's recorded answers
//! (tests/fixtures/test_run/cases.json, recorded by record.py there from
//! Linux 6.18): each case creates its maps, loads its program and sends the
//! test-run attr exactly as the recorder did, then compares the load
//! verdict, the run's errno, retval, data_size_out, data_out, ctx_out,
//! the syscall program's ctx_in and the maps after the run.
//!
//! `USERBPF_TEST_RUN_SHOW=1` prints every disagreement.

mod common;

use serde_json::{json, Map, Value};
use userbpf::isa::{insns_from_bytes, Insn};
use userbpf::netdev::parse_mac;
use userbpf::uapi::types::{cmd, map_type_name, parse_u32, prog_type_from_str};
use userbpf::user_mem::UserBuffers;
use userbpf::{Config, NetDevice, Process, ProgLoadRequest};

use common::map_refs::MAPS_KEEP_MISSING;
use common::{hex, unhex};

fn num(s: &str) -> u32 {
    parse_u32(s).unwrap_or_else(|| panic!("number {s:?}"))
}

struct MapMade {
    fd: u32,
    map_type: u32,
    key_size: u32,
    value_size: u32,
}

/// kbpf.py's --map, --map-init and the recorder's map_freeze and
/// map_spin_lock_btf (maps whose value type is record.py's struct v).
fn make_maps(p: &Process, a: &Map<String, Value>) -> Result<Vec<MapMade>, String> {
    let mut maps = Vec::new();
    let with_btf: Vec<u64> = a
        .get("map_spin_lock_btf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    for (i, spec) in a
        .get("maps")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut req = common::maps::map_spec(spec.as_str().expect("map spec"));
        let btf = if with_btf.contains(&(i as u64)) {
            let fd = p
                .btf_load(&common::btf::spin_lock_value(&["x"]))
                .map_err(|e| e.name().to_string())?;
            (req.btf_fd, req.btf_key_type_id, req.btf_value_type_id) = (fd, 1, 3);
            Some(fd)
        } else {
            None
        };
        let made = p.map_create(&req);
        if let Some(fd) = btf {
            p.close(fd).expect("close btf");
        }
        let fd = made.map_err(|e| e.name().to_string())?;
        maps.push(MapMade {
            fd,
            map_type: req.map_type,
            key_size: req.key_size,
            value_size: req.value_size,
        });
    }
    for init in a.get("map_init").and_then(Value::as_array).into_iter().flatten() {
        let f: Vec<&str> = init.as_str().expect("init").split(':').collect();
        let m = &maps[num(f[0]) as usize];
        p.map_update(m.fd, &unhex(f[1]), &unhex(f[2]), 0)
            .map_err(|e| e.name().to_string())?;
    }
    for idx in a.get("map_freeze").and_then(Value::as_array).into_iter().flatten() {
        let m = &maps[idx.as_u64().expect("index") as usize];
        p.map_freeze(m.fd).map_err(|e| e.name().to_string())?;
    }
    Ok(maps)
}

/// The recorder's map references: indices into the case's maps.
fn patch_map_refs(insns: &mut [Insn], maps: &[MapMade]) {
    let fds: Vec<u32> = maps.iter().map(|m| m.fd).collect();
    common::map_refs::patch(insns, &fds, MAPS_KEEP_MISSING);
}

fn u32_at(a: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(a[off..off + 4].try_into().unwrap())
}

/// The recorder's run_test(): the same attr, the same buffers.
fn run_test(p: &Process, fd: u32, a: &Map<String, Value>, prog_type: &str) -> Map<String, Value> {
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
    let n = |k: &str| a.get(k).and_then(Value::as_u64);
    let flag = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
    let data = unhex(s("data"));
    let ctx = unhex(s("ctx"));
    let size_in = n("data_size_in").unwrap_or(data.len() as u64) as u32;
    let out_size = n("data_out_size").unwrap_or(data.len() as u64 + 256) as u32;
    let buf_size = (out_size as u64).max(n("data_out_buffer").unwrap_or(0)).max(1) as usize;
    let have_data = !data.is_empty() || a.contains_key("data_size_in");
    let have_out = have_data && !flag("no_data_out");
    let want_cout = (!ctx.is_empty() || flag("ctx_out_only")) && !flag("no_ctx_out");
    let csize_out = n("ctx_size_out").unwrap_or(4096) as u32;
    let mut mem = UserBuffers::new();
    let din = mem.add(if data.is_empty() { vec![0] } else { data.clone() });
    // The recorder pre-fills its output buffers with 0xaa.
    let dout = mem.add(vec![0xaau8; buf_size]);
    let cin = if ctx.is_empty() { 0 } else { mem.add(ctx.clone()) };
    let cout = if want_cout { mem.add(vec![0xaau8; 4096]) } else { 0 };
    let mut attr = vec![0u8; 80];
    let put32 = |at: &mut Vec<u8>, off: usize, v: u32| at[off..off + 4].copy_from_slice(&v.to_le_bytes());
    let put64 = |at: &mut Vec<u8>, off: usize, v: u64| at[off..off + 8].copy_from_slice(&v.to_le_bytes());
    put32(&mut attr, 0, fd);
    put32(&mut attr, 8, if have_data { size_in } else { 0 });
    put32(&mut attr, 12, if have_data { out_size } else { 0 });
    put64(&mut attr, 16, if have_data && size_in != 0 { din } else { 0 });
    put64(&mut attr, 24, if have_out { dout } else { 0 });
    put32(&mut attr, 32, n("repeat").unwrap_or(1) as u32);
    put32(&mut attr, 40, ctx.len() as u32);
    put32(&mut attr, 44, if want_cout { csize_out } else { 0 });
    put64(&mut attr, 48, cin);
    put64(&mut attr, 56, cout);
    put32(&mut attr, 64, n("test_flags").unwrap_or(0) as u32);
    put32(&mut attr, 68, n("test_cpu").unwrap_or(0) as u32);
    put32(&mut attr, 72, n("batch_size").unwrap_or(0) as u32);
    let r = p.sys_bpf(cmd::PROG_TEST_RUN, &mut attr, 80, &mut mem);
    let mut res = Map::new();
    match r {
        Ok(_) => {
            res.insert("run_ok".into(), json!(true));
            res.insert("run_errno".into(), Value::Null);
        }
        Err(e) => {
            res.insert("run_ok".into(), json!(false));
            let name = if e.0 == 524 {
                "524".to_string()
            } else {
                e.name().to_string()
            };
            res.insert("run_errno".into(), json!(name));
        }
    }
    let dsize_out = u32_at(&attr, 12);
    res.insert("retval".into(), json!(u32_at(&attr, 4)));
    res.insert("data_size_out".into(), json!(dsize_out));
    res.insert("duration_nonzero".into(), json!(u32_at(&attr, 36) > 0));
    if have_out {
        let b = mem.get(dout).unwrap();
        res.insert("data_out".into(), json!(hex(&b[..(dsize_out as usize).min(buf_size)])));
    }
    let ok = res["run_ok"] == json!(true);
    if want_cout {
        let nout = u32_at(&attr, 44);
        if nout != csize_out || ok {
            res.insert("ctx_size_out".into(), json!(nout));
            let b = mem.get(cout).unwrap();
            res.insert("ctx_out".into(), json!(hex(&b[..(nout.min(csize_out)) as usize])));
        }
    }
    if !ctx.is_empty() && prog_type == "syscall" {
        res.insert("ctx_in_after".into(), json!(hex(mem.get(cin).unwrap())));
    }
    if !ok && res["run_errno"] != json!("ENOSPC") {
        res.remove("data_out");
        res.remove("ctx_out");
        res.remove("ctx_size_out");
    }
    res
}

fn dump(p: &Process, m: &MapMade) -> Value {
    let mut rows: Vec<(String, Value)> = p
        .map_dump(m.fd)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let key = hex(&k);
            let name = map_type_name(m.map_type).unwrap_or("");
            let row = match v {
                Ok(v) if name.starts_with("percpu") || name.starts_with("lru_percpu") => {
                    let slot = (m.value_size as usize).div_ceil(8) * 8;
                    let mut slots: Vec<String> = v.chunks(slot).map(hex).collect();
                    slots.sort_by(|a, b| b.cmp(a));
                    json!({"key": key, "value_slots_sorted": slots})
                }
                Ok(_) if name == "prog_array" => json!({"key": key, "value": "prog_id"}),
                Ok(v) => json!({"key": key, "value": hex(&v)}),
                Err(e) => json!({"key": key, "error": e.name()}),
            };
            (key, row)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let _ = m.key_size;
    Value::Array(rows.into_iter().map(|(_, r)| r).collect())
}

/// The recorder's normalise(): pid, tgid and CPU numbers as words.
fn normalise(check: Option<&Value>, res: &mut Map<String, Value>) {
    let Some(chk) = check else { return };
    // SAFETY: getpid/gettid have no preconditions.
    let (pid, tgid) = unsafe { (libc::gettid() as u64, libc::getpid() as u64) };
    match chk.get("retval").and_then(Value::as_str) {
        Some("volatile") => {
            res.insert("retval".into(), Value::Null);
        }
        Some("pid") if res.get("retval").and_then(Value::as_u64) == Some(pid & 0xffff_ffff) => {
            res.insert("retval".into(), json!("pid"));
        }
        Some("tgid") if res.get("retval").and_then(Value::as_u64) == Some(tgid) => {
            res.insert("retval".into(), json!("tgid"));
        }
        _ => {}
    }
    if let (Some(lt), Some(v)) = (
        chk.get("retval_lt").and_then(Value::as_u64),
        res.get("retval").and_then(Value::as_u64),
    ) {
        if v < lt {
            res.insert("retval".into(), json!(format!("<{lt}")));
        }
    }
    if let (Some(n), Some(after)) = (
        chk.get("ctx_in_after_prefix").and_then(Value::as_u64),
        res.get("ctx_in_after").and_then(Value::as_str),
    ) {
        let cut: String = after.chars().take(2 * n as usize).collect();
        res.insert("ctx_in_after".into(), json!(cut));
    }
    if chk.get("maps").and_then(Value::as_str) == Some("volatile") {
        res.remove("maps");
    }
}

/// The recording host, from the fixture's top-level metadata: the CPU
/// count, the network devices (`ip -d -j link` there) and the recording
/// task's comm.
struct Host {
    ncpu: u32,
    devices: Vec<NetDevice>,
    comm: Option<String>,
}

impl Host {
    fn from_fixture(fixture: &Value) -> Host {
        let host = &fixture["host"];
        let mac = |d: &Value, k: &str| parse_mac(d[k].as_str().expect("mac")).expect("a MAC address");
        let devices = host["devices"]
            .as_array()
            .map(|devs| {
                devs.iter()
                    .map(|d| NetDevice {
                        name: d["name"].as_str().expect("name").to_string(),
                        ifindex: d["ifindex"].as_u64().expect("ifindex") as u32,
                        address: mac(d, "address"),
                        broadcast: mac(d, "broadcast"),
                        mtu: d["mtu"].as_u64().expect("mtu") as u32,
                        rx_queues: d["rx_queues"].as_u64().expect("rx_queues") as u32,
                    })
                    .collect()
            })
            .unwrap_or_else(|| vec![NetDevice::loopback()]);
        Host {
            ncpu: fixture["ncpu"].as_u64().unwrap_or(2) as u32,
            devices,
            comm: host["comm"].as_str().map(str::to_string),
        }
    }
}

fn replay(case: &Value, host: &Host, trust_verifier: bool) -> Map<String, Value> {
    let (_bpf, p) = common::process::root_with(Config {
        possible_cpus: host.ncpu,
        net_devices: host.devices.clone(),
        jit_trust_verifier: trust_verifier,
        ..Config::default()
    });
    if let Some(comm) = &host.comm {
        p.set_comm(comm.as_bytes());
    }
    let a = case["args"].as_object().expect("args");
    let ty = case["type"].as_str().expect("type");
    let mut res = Map::new();
    let maps = match make_maps(&p, a) {
        Ok(m) => m,
        Err(e) => {
            res.insert("accepted".into(), json!(false));
            res.insert("errno".into(), Value::Null);
            res.insert("map_error".into(), json!(e));
            return res;
        }
    };
    // tail_progs: programs loaded first and stored in prog_array slots.
    let mut tail_fds = Vec::new();
    for t in a.get("tail_progs").and_then(Value::as_array).into_iter().flatten() {
        let (idx, slot, hexprog) = (
            t[0].as_u64().unwrap(),
            t[1].as_u64().unwrap() as u32,
            t[2].as_str().unwrap(),
        );
        let mut insns = insns_from_bytes(&unhex(hexprog)).expect("whole instructions");
        patch_map_refs(&mut insns, &maps);
        let fd = p
            .prog_load(&ProgLoadRequest {
                prog_type: prog_type_from_str(ty).expect("prog type"),
                insns,
                ..Default::default()
            })
            .result
            .expect("tail program loads");
        p.map_update(maps[idx as usize].fd, &slot.to_le_bytes(), &fd.to_le_bytes(), 0)
            .expect("prog_array update");
        tail_fds.push(fd);
    }
    let mut insns = insns_from_bytes(&unhex(case["prog"].as_str().unwrap())).expect("whole instructions");
    patch_map_refs(&mut insns, &maps);
    let req = ProgLoadRequest {
        prog_type: prog_type_from_str(ty).expect("prog type"),
        insns,
        license: a
            .get("license")
            .and_then(Value::as_str)
            .unwrap_or("GPL")
            .as_bytes()
            .to_vec(),
        log_level: 1,
        log_size: 1 << 20,
        prog_flags: a.get("prog_flags").and_then(Value::as_u64).unwrap_or(0) as u32,
        expected_attach_type: a.get("attach_type").and_then(Value::as_u64).unwrap_or(0) as u32,
        ..Default::default()
    };
    // func_info: the recorder's minimal BTF (record.py's btf_blob): int,
    // long, then per entry a FUNC_PROTO returning int with N long
    // parameters and a static FUNC "fN" of it.
    let mut req = req;
    if let Some(fi) = a.get("func_info").and_then(Value::as_array) {
        let mut strs = b"\0int\0long\0a\0".to_vec();
        let mut types: Vec<u8> = Vec::new();
        let w = |t: &mut Vec<u8>, v: u32| t.extend(v.to_le_bytes());
        for v in [1, 1 << 24, 4, 32, 5, 1 << 24, 8, 64] {
            w(&mut types, v);
        }
        let mut tid = 3u32;
        for (i, e) in fi.iter().enumerate() {
            let (off, nargs) = (e[0].as_u64().unwrap() as u32, e[1].as_u64().unwrap() as u32);
            for v in [0, (13 << 24) | nargs, 1] {
                w(&mut types, v);
            }
            for _ in 0..nargs {
                w(&mut types, 10);
                w(&mut types, 2);
            }
            let name_off = strs.len() as u32;
            strs.extend(format!("f{i}\0").bytes());
            for v in [name_off, 12 << 24, tid] {
                w(&mut types, v);
            }
            req.func_info.push((off, tid + 1));
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
        req.prog_btf_fd = p.btf_load(&blob).expect("the recorder's BTF loads");
    }
    let out = p.prog_load(&req);
    res.insert("accepted".into(), json!(out.result.is_ok()));
    match out.result {
        Ok(fd) => {
            res.insert("errno".into(), Value::Null);
            res.extend(run_test(&p, fd, a, ty));
            p.close(fd).unwrap();
        }
        Err(e) => {
            res.insert("errno".into(), json!(e.name()));
            let lines: Vec<&str> = out.log.trim_end_matches('\n').split('\n').collect();
            res.insert(
                "log_tail".into(),
                json!(lines[lines.len().saturating_sub(3)..].join("\n")),
            );
        }
    }
    if a.get("dump_maps").and_then(Value::as_bool).unwrap_or(false) {
        res.insert("maps".into(), Value::Array(maps.iter().map(|m| dump(&p, m)).collect()));
    }
    normalise(case.get("check"), &mut res);
    res
}

/// Fields compared: the verdict, then (for accepted loads) the run.
const FIELDS: &[&str] = &[
    "accepted",
    "errno",
    "run_ok",
    "run_errno",
    "retval",
    "data_size_out",
    "data_out",
    "ctx_out",
    "ctx_size_out",
    "ctx_in_after",
    "maps",
];

#[test]
fn test_runs_agree_with_the_kernel() {
    agreement(false);
}

/// The same with Config::jit_trust_verifier: the accesses the verifier
/// proved run unchecked (by the proven region's fixed base), and every
/// answer must stay the kernel's.
#[test]
fn test_runs_agree_with_the_kernel_trusting_the_verifier() {
    agreement(true);
}

fn agreement(trust_verifier: bool) {
    let fixture = common::fixtures::json(&common::fixtures::fixtures("test_run/cases.json"));
    let host = Host::from_fixture(&fixture);
    let cases = fixture["cases"].as_array().expect("cases");
    let show = std::env::var_os("USERBPF_TEST_RUN_SHOW").is_some();
    let mut agree = 0;
    let mut by_family: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    for case in cases {
        let want = case["result"].as_object().expect("result");
        let got = replay(case, &host, trust_verifier);
        let diffs: Vec<String> = FIELDS
            .iter()
            .filter(|f| want.get(**f) != got.get(**f))
            .map(|f| {
                format!(
                    "{f}: kernel {} userbpf {}",
                    want.get(*f).unwrap_or(&Value::Null),
                    got.get(*f).unwrap_or(&Value::Null)
                )
            })
            .collect();
        let fam = case["family"]
            .as_str()
            .unwrap_or("")
            .split(" (")
            .next()
            .unwrap_or("")
            .to_string();
        let e = by_family.entry(fam).or_default();
        e.1 += 1;
        if diffs.is_empty() {
            agree += 1;
            e.0 += 1;
        } else if show {
            println!("{}: {}", case["name"].as_str().unwrap_or(""), diffs.join("; "));
        }
    }
    println!(
        "test_run fixtures (trust_verifier {trust_verifier}): {agree}/{} cases agree",
        cases.len()
    );
    for (f, (a, n)) in &by_family {
        println!("  {f:<20} {a}/{n}");
    }
    // The floor is the agreement measured when this test landed; raise it
    // as the implementation grows.
    let floor: usize = std::env::var("USERBPF_TEST_RUN_MIN")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(MEASURED_FLOOR);
    assert!(
        agree >= floor,
        "{agree} of {} cases agree, below the floor {floor}",
        cases.len()
    );
}

const MEASURED_FLOOR: usize = 769;
