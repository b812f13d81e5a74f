//! Replays the kernel's recorded answers to map commands
//! (tests/fixtures/maps/*.json, recorded by record.py on Linux 6.18)
//! through `Process::sys_bpf`: every attr is rebuilt field by field with
//! our fds, ids and buffer addresses, and the return value, the bytes
//! written to output buffers, the attr fields written back and the
//! contents of maps (walked with GET_NEXT_KEY + LOOKUP) must equal the
//! kernel's. Object ids are compared through masks (ours differ).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use userbpf::isa::{insns_from_bytes, Insn};
use userbpf::user_mem::UserBuffers;
use userbpf::{Bpf, Caps, Config, Creds, Errno, Process, ProgLoadRequest};

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

struct Replay {
    bpf: Bpf,
    p: Process,
    fds: HashMap<String, u32>,
    ids: HashMap<String, u32>,
}

/// Where an output buffer went.
struct Out {
    addr: u64,
    len: usize,
}

impl Replay {
    fn new(ncpus: u32) -> Replay {
        let bpf = Bpf::new(Config {
            possible_cpus: ncpus,
            ..Config::default()
        });
        let p = bpf.process(Creds::ROOT);
        Replay {
            bpf,
            p,
            fds: HashMap::new(),
            ids: HashMap::new(),
        }
    }

    fn value(&self, v: &Value, mem: &mut UserBuffers, outs: &mut BTreeMap<String, Out>) -> u64 {
        match v {
            Value::Number(n) => n.as_u64().expect("u64"),
            // An fd our replay failed to make (that step is a reported
            // disagreement already) reads as a closed fd.
            Value::Object(o) if o.contains_key("fd") => self.fd(o["fd"].as_str().unwrap()) as u64,
            Value::Object(o) if o.contains_key("id") => self.ids[o["id"].as_str().unwrap()] as u64,
            Value::Object(o) if o.contains_key("in") => {
                let b = hex(o["in"].as_str().unwrap());
                mem.add(if b.is_empty() { vec![0] } else { b })
            }
            Value::Object(o) if o.contains_key("fds") => {
                let b: Vec<u8> = o["fds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    // Fds by name; numbers stand for themselves.
                    .flat_map(|n| match n.as_str() {
                        Some(name) => self.fd(name).to_le_bytes(),
                        None => (n.as_u64().unwrap() as u32).to_le_bytes(),
                    })
                    .collect();
                mem.add(b)
            }
            Value::Object(o) if o.contains_key("out") => {
                let len = o["len"].as_u64().unwrap() as usize;
                let fill = hex(o.get("fill").and_then(Value::as_str).unwrap_or("00"))[0];
                let mut buf = vec![fill; len.max(1)];
                for f in o.get("fields").and_then(Value::as_array).into_iter().flatten() {
                    let f = f.as_array().unwrap();
                    let (off, width) = (f[0].as_u64().unwrap() as usize, f[1].as_u64().unwrap() as usize);
                    let x = self.value(&f[2], mem, outs);
                    buf[off..off + width].copy_from_slice(&x.to_le_bytes()[..width]);
                }
                let addr = mem.add(buf);
                outs.insert(o["out"].as_str().unwrap().to_string(), Out { addr, len });
                addr
            }
            other => panic!("unknown field value {other}"),
        }
    }

    fn fd(&self, name: &str) -> u32 {
        self.fds.get(name).copied().unwrap_or(u32::MAX)
    }

    fn learn_id(&mut self, name: &str, fd: u32) {
        let id = match self.p.map_info(fd) {
            Ok(i) => i.id,
            Err(_) => self.p.prog_info(fd).map(|i| i.id).unwrap_or(0),
        };
        self.ids.insert(name.to_string(), id);
    }

    /// A BPF_PROG_LOAD naming maps (ld_imm64 fds patched in, fd_array):
    /// verdict, log (when the load stopped before the verifier ran: the
    /// fixup's own text), used map ids and xlated code with ids masked.
    fn load(&mut self, st: &Value) -> Vec<String> {
        let mut diffs = Vec::new();
        let fd_of = |v: &Value| -> u32 {
            match v {
                Value::String(n) => self.fds[n.as_str()],
                v => v.as_i64().unwrap() as u32,
            }
        };
        let mut code = hex(st["insns"].as_str().unwrap());
        for mf in st["map_fds"].as_array().unwrap() {
            let i = mf[0].as_u64().unwrap() as usize;
            code[i * 8 + 4..i * 8 + 8].copy_from_slice(&fd_of(&mf[1]).to_le_bytes());
        }
        let mut mem = UserBuffers::new();
        let n = code.len() / 8;
        let insns_at = mem.add(code);
        let lic = mem.add_cstr(b"GPL");
        let log_at = mem.add(vec![0u8; 65536]);
        let arr = match st["fd_array"].as_array() {
            Some(a) => mem.add(a.iter().flat_map(|v| fd_of(v).to_le_bytes()).collect::<Vec<u8>>()),
            None => 0,
        };
        let mut attr = vec![0u8; 152];
        let put32 = |a: &mut [u8], off: usize, v: u32| a[off..off + 4].copy_from_slice(&v.to_le_bytes());
        let put64 = |a: &mut [u8], off: usize, v: u64| a[off..off + 8].copy_from_slice(&v.to_le_bytes());
        put32(&mut attr, 0, st["prog_type"].as_u64().unwrap() as u32);
        put32(&mut attr, 4, n as u32);
        put64(&mut attr, 8, insns_at);
        put64(&mut attr, 16, lic);
        put32(&mut attr, 24, 1);
        put32(&mut attr, 28, 65536);
        put64(&mut attr, 32, log_at);
        put32(&mut attr, 44, st["prog_flags"].as_u64().unwrap() as u32);
        put64(&mut attr, 120, arr);
        put32(&mut attr, 148, st["fd_array_cnt"].as_u64().unwrap() as u32);
        let r = self
            .p
            .sys_bpf(userbpf::uapi::types::cmd::PROG_LOAD, &mut attr, 152, &mut mem);
        let log = {
            let b = mem.get(log_at).unwrap();
            let end = b.iter().position(|&x| x == 0).unwrap_or(b.len());
            String::from_utf8_lossy(&b[..end]).into_owned()
        };
        let kernel_log = st["log"].as_str().unwrap();
        match (&st["result"].get("errno"), &r) {
            (Some(e), Err(got)) if Errno::from_name(e.as_str().unwrap()) == Some(*got) => {}
            (None, Ok(_)) => {}
            _ => diffs.push(format!("result: kernel {} vs ours {r:?} (log {log:?})", st["result"])),
        }
        if kernel_log.contains("processed 0 insns") && log != kernel_log {
            diffs.push(format!("log: kernel {kernel_log:?} vs ours {log:?}"));
        }
        if let (Ok(fd), Some(name)) = (r, st["result"].get("fd").and_then(Value::as_str)) {
            self.fds.insert(name.to_string(), fd);
            self.learn_id(name, fd);
            let prog = self.p.prog_by_fd(fd).unwrap();
            let want: Vec<u32> = st["map_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| self.ids[n.as_str().unwrap()])
                .collect();
            let got: Vec<u32> = prog.used_maps.iter().map(|m| m.id()).collect();
            if got != want {
                diffs.push(format!("map ids: kernel {want:?} vs ours {got:?}"));
            }
            let info = self.p.prog_info(fd).unwrap();
            let mut x = userbpf::isa::insns_to_bytes(&info.xlated);
            for m in st["xlated_ids"].as_array().unwrap() {
                let (i, name) = (m[0].as_u64().unwrap() as usize, m[1].as_str().unwrap());
                let id = u32::from_le_bytes(x[i * 8 + 4..i * 8 + 8].try_into().unwrap());
                if id != self.ids[name] {
                    diffs.push(format!("xlated insn {i}: id {id} is not {name}'s {}", self.ids[name]));
                }
                x[i * 8 + 4..i * 8 + 8].fill(0);
            }
            if to_hex(&x) != st["xlated"].as_str().unwrap() {
                diffs.push(format!("xlated: kernel {} vs ours {}", st["xlated"], to_hex(&x)));
            }
        }
        diffs
    }

    /// Run one step; the differences from the kernel's answer.
    fn step(&mut self, st: &Value) -> Vec<String> {
        let mut diffs = Vec::new();
        if let Some(op) = st.get("op").and_then(Value::as_str) {
            match op {
                "close" => {
                    // Nothing to close if our create failed (reported there).
                    if let Some(fd) = self.fds.remove(st["fd"].as_str().unwrap()) {
                        self.p.close(fd).expect("close");
                    }
                }
                "unpin" => self.bpf.unpin(st["path"].as_str().unwrap()).expect("unpin"),
                "drop_caps" => {
                    self.p = self.bpf.process(Creds {
                        uid: 0,
                        caps: Caps::NONE,
                    });
                }
                "prog" => {
                    let mut code = hex(st["insns"].as_str().unwrap());
                    for mf in st.get("map_fds").and_then(Value::as_array).into_iter().flatten() {
                        let (i, m) = (mf[0].as_u64().unwrap() as usize, mf[1].as_str().unwrap());
                        code[i * 8 + 4..i * 8 + 8].copy_from_slice(&self.fds[m].to_le_bytes());
                    }
                    let insns: Vec<Insn> = insns_from_bytes(&code).unwrap();
                    let out = self.p.prog_load(&ProgLoadRequest {
                        prog_type: st["prog_type"].as_u64().unwrap() as u32,
                        insns,
                        ..ProgLoadRequest::default()
                    });
                    let fd = out.result.expect("program loads");
                    let name = st["name"].as_str().unwrap().to_string();
                    self.fds.insert(name.clone(), fd);
                    self.learn_id(&name, fd);
                }
                "load" => diffs.extend(self.load(st)),
                "dump" => {
                    let fd = self.fds[st["fd"].as_str().unwrap()];
                    let (ks, vs) = (
                        st["key_size"].as_u64().unwrap() as usize,
                        st["value_size"].as_u64().unwrap() as usize,
                    );
                    let mut ours = Vec::new();
                    let mut key: Option<Vec<u8>> = None;
                    while let Ok(next) = self.p.map_next_key(fd, key.as_deref(), ks) {
                        let (v, e) = match self.p.map_lookup(fd, &next, vs, 0) {
                            Ok(v) => (Value::String(to_hex(&v)), Value::Null),
                            Err(e) => (Value::Null, Value::String(e.name().to_string())),
                        };
                        ours.push(Value::Array(vec![Value::String(to_hex(&next)), v, e]));
                        key = Some(next);
                        if ours.len() > 100_000 {
                            break;
                        }
                    }
                    // Values that are object ids come as {"ids": [names]}.
                    let mut theirs: Vec<Value> = st["entries"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| {
                            let mut e = e.clone();
                            if let Some(names) = e[1].get("ids").and_then(Value::as_array) {
                                let b: Vec<u8> = names
                                    .iter()
                                    .flat_map(|n| self.ids[n.as_str().unwrap()].to_le_bytes())
                                    .collect();
                                e[1] = Value::String(to_hex(&b));
                            }
                            e
                        })
                        .collect();
                    if st["ordered"] == Value::Bool(false) {
                        let key = |v: &Value| v.to_string();
                        ours.sort_by_key(key);
                        theirs.sort_by_key(key);
                    }
                    if ours != theirs {
                        let show = |v: &[Value]| {
                            v.iter()
                                .map(|e| format!("{}={}", e[0].as_str().unwrap_or("?"), e[1]))
                                .collect::<Vec<_>>()
                                .join(" ")
                        };
                        diffs.push(format!(
                            "dump: kernel [{}]\n        ours   [{}]",
                            show(&theirs),
                            show(&ours)
                        ));
                    }
                }
                other => panic!("unknown op {other}"),
            }
            return diffs;
        }

        let cmd = st["cmd"].as_u64().unwrap() as u32;
        let size = st["size"].as_u64().unwrap() as usize;
        let mut attr = vec![0u8; size.max(1)];
        let mut mem = UserBuffers::new();
        let mut outs = BTreeMap::new();
        for f in st["fields"].as_array().unwrap() {
            let f = f.as_array().unwrap();
            let (off, width) = (f[0].as_u64().unwrap() as usize, f[1].as_u64().unwrap() as usize);
            let v = self.value(&f[2], &mut mem, &mut outs);
            if off + width <= size {
                attr[off..off + width].copy_from_slice(&v.to_le_bytes()[..width]);
            }
        }
        let r = self.p.sys_bpf(cmd, &mut attr, size as u32, &mut mem);
        let expect = &st["result"];
        let ok = match (expect.get("errno"), expect.get("fd"), &r) {
            (Some(e), _, Err(got)) => Errno::from_name(e.as_str().unwrap()) == Some(*got),
            (None, Some(name), Ok(fd)) => {
                let name = name.as_str().unwrap().to_string();
                self.fds.insert(name.clone(), *fd);
                self.learn_id(&name, *fd);
                true
            }
            (None, None, Ok(v)) => expect.get("ret").and_then(Value::as_u64) == Some(*v as u64),
            _ => false,
        };
        if !ok {
            diffs.push(format!(
                "result: kernel {expect} vs ours {}",
                match r {
                    Ok(v) => format!("Ok({v})"),
                    Err(e) => e.name().to_string(),
                }
            ));
        }
        if let Some(expected) = st.get("outs").and_then(Value::as_object) {
            for (name, want) in expected {
                let out = &outs[name];
                let got = mem.get(out.addr).map(|b| b[..out.len].to_vec()).unwrap_or_default();
                let mut want = hex(want.as_str().unwrap());
                for m in st
                    .get("masks")
                    .and_then(|m| m.get(name))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let (off, obj) = (m[0].as_u64().unwrap() as usize, m[1].as_str().unwrap());
                    if let Some(id) = self.ids.get(obj) {
                        want[off..off + 4].copy_from_slice(&id.to_le_bytes());
                    }
                }
                for m in st
                    .get("ptrs")
                    .and_then(|m| m.get(name))
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let (off, target) = (m[0].as_u64().unwrap() as usize, m[1].as_str().unwrap());
                    want[off..off + 8].copy_from_slice(&outs[target].addr.to_le_bytes());
                }
                if got != want {
                    diffs.push(format!("out {name}: kernel {} vs ours {}", to_hex(&want), to_hex(&got)));
                }
            }
        }
        if let Some(back) = st.get("attr_out").and_then(Value::as_object) {
            for (off, want) in back {
                let off: usize = off.parse().unwrap();
                let got = (off + 4 <= size).then(|| u32::from_le_bytes(attr[off..off + 4].try_into().unwrap()));
                let want = match want {
                    Value::Null => None,
                    Value::Object(o) => Some(self.ids[o["id"].as_str().unwrap()]),
                    v => Some(v.as_u64().unwrap() as u32),
                };
                if got != want {
                    diffs.push(format!("attr[{off}]: kernel {want:?} vs ours {got:?}"));
                }
            }
        }
        diffs
    }
}

fn describe(st: &Value) -> String {
    if let Some(op) = st.get("op") {
        return format!("op {op}");
    }
    let fields: Vec<String> = st["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{}", f[0], f[2]))
        .collect();
    format!("cmd {} size {} [{}]", st["cmd"], st["size"], fields.join(" "))
}

/// Every fixture file: (group, steps agreeing, steps in all, failures).
fn replay_all() -> Vec<(String, usize, usize, Vec<String>)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/maps");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut report = Vec::new();
    for file in files {
        let group = file.file_stem().unwrap().to_string_lossy().into_owned();
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        if doc.get("scenarios").is_none() {
            continue; // kbpf_cli.json: map_cli.rs replays it
        }
        let ncpus = doc["ncpus"].as_u64().unwrap() as u32;
        userbpf::maps::set_current_cpu(doc["cpu"].as_u64().unwrap_or(0) as u32);
        let (mut agree, mut total, mut failures) = (0, 0, Vec::new());
        for sc in doc["scenarios"].as_array().unwrap() {
            let mut r = Replay::new(ncpus);
            for (i, st) in sc["steps"].as_array().unwrap().iter().enumerate() {
                total += 1;
                let d = r.step(st);
                if d.is_empty() {
                    agree += 1;
                } else {
                    failures.push(format!(
                        "{}/{} step {i} ({}):\n    {}",
                        group,
                        sc["name"].as_str().unwrap(),
                        describe(st),
                        d.join("\n    ")
                    ));
                }
            }
            // Everything the scenario made is released with it.
            drop(r.p);
            assert_eq!(r.bpf.map_count(), 0, "{}: maps leaked", sc["name"]);
            assert_eq!(r.bpf.prog_count(), 0, "{}: programs leaked", sc["name"]);
            assert_eq!(r.bpf.memlock_pages(), 0, "{}: memlock leaked", sc["name"]);
        }
        report.push((group, agree, total, failures));
    }
    report
}

#[test]
fn map_commands_match_the_kernel() {
    let report = replay_all();
    let mut all = Vec::new();
    let (mut agree, mut total) = (0, 0);
    for (group, a, t, failures) in &report {
        eprintln!("{group:>10}: {a:4} of {t:4} steps agree with the kernel");
        agree += a;
        total += t;
        all.extend(failures.iter().cloned());
    }
    eprintln!("{:>10}: {agree:4} of {total:4}", "total");
    assert!(total > 2500, "only {total} steps recorded");
    assert!(all.is_empty(), "{} disagreements:\n{}", all.len(), all.join("\n"));
}
