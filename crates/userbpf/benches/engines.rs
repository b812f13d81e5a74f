//! The JIT against the interpreter, the kernel's JIT and native code, on
//! compute-heavy programs, in ns per run.
//!
//! The programs are one C source, benches/programs/bench.h: compiled for
//! BPF into benches/programs/bench.bpf.o (clang-19 -target bpf, by
//! build.sh there; committed) and for the host by native.c (clang -O2, built
//! here). Loops over a 1500-byte packet (sum_bytes, csum), arithmetic
//! (fnv_mix), branches and division (prime), bpf-to-bpf calls (calls), map
//! lookups (array_lookups, hash_lookups) and helper calls (helper_calls:
//! bpf_get_prandom_u32).
//!
//! Each program's relocated instructions (the maps named by index) run, in
//! one pass and measured the same way (BPF_PROG_TEST_RUN with `repeat`
//! over the same packet, duration_ns as it reports it; best of BATCHES):
//! - userbpf: loaded by BPF_PROG_LOAD as XDP into the interpreter, the JIT
//!   (default: every access checked, the verifier's proofs as hints) and
//!   the JIT trusting the verifier (Config::jit_trust_verifier, as the
//!   kernel trusts its verifier);
//! - the kernel: the same instructions and maps through `kbpf.py run
//!   --repeat` (skipped, with a note, without root or bpf(2));
//! - native: the same C, clang -O2 (skipped without clang).
//!
//! Criterion also tracks the JIT and the interpreter per program.
//!
//! `cargo bench -p userbpf --bench engines`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{criterion_group, criterion_main, Criterion};
use userbpf::isa::hex::to_hex;
use userbpf::isa::{insns_to_bytes, Insn};
use userbpf::obj::relocate::{apply_map_relocs, link_program};
use userbpf::obj::Object;
use userbpf::runtime::Engine;
use userbpf::uapi::types::prog_type;
use userbpf::{Bpf, Config, Creds, MapCreateRequest, Process, ProgLoadRequest, TestRunRequest};

const OBJECT: &[u8] = include_bytes!("programs/bench.bpf.o");

/// A map the programs use: (type, key size, value size, max entries).
type MapSpec = (u32, u32, u32, u32);

/// One program of bench.bpf.o, ready to load anywhere: ld_imm64 map
/// references name maps by their index in `maps`.
struct BenchProgram {
    name: String,
    insns: Vec<Insn>,
}

/// The object's programs and maps.
fn bench_object() -> (Vec<BenchProgram>, Vec<MapSpec>) {
    let obj = Object::parse("bench", OBJECT).expect("bench.bpf.o parses");
    let mut code: Vec<Vec<Insn>> = obj.code.iter().map(|c| c.insns.clone()).collect();
    let indices: Vec<u32> = (0..obj.maps.len() as u32).collect();
    apply_map_relocs(&obj, &mut code, &indices).expect("bench.bpf.o relocates");
    let programs = obj
        .programs
        .iter()
        .map(|p| BenchProgram {
            name: p.name().to_string(),
            insns: link_program(&obj, &code, p).expect("links").insns,
        })
        .collect();
    let maps = obj
        .maps
        .iter()
        .map(|m| (m.map_type, m.key_size, m.value_size, m.max_entries))
        .collect();
    (programs, maps)
}

/// What every map holds before a run: keys 0..16, values key * 3 + 1
/// (bench.h's lookups sum them to 6016). (map index, key, value).
fn map_init(maps: &[MapSpec]) -> Vec<(usize, Vec<u8>, Vec<u8>)> {
    (0..maps.len())
        .flat_map(|i| (0..16u32).map(move |k| (i, k.to_le_bytes().to_vec(), (k as u64 * 3 + 1).to_le_bytes().to_vec())))
        .collect()
}

/// The bench's packet: byte i is i * 7 % 251 (as native.c fills it).
fn packet() -> Vec<u8> {
    (0..1500u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// Which of userbpf's engines runs the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum UserEngine {
    Interpreter,
    Jit,
    JitTrusting,
}

/// A program loaded into a fresh userbpf instance, its maps filled.
struct Loaded {
    process: Process,
    fd: u32,
}

fn load_userbpf(prog: &BenchProgram, maps: &[MapSpec], engine: UserEngine) -> Result<Loaded, String> {
    let bpf = Bpf::new(Config {
        jit_trust_verifier: engine == UserEngine::JitTrusting,
        ..Config::default()
    });
    let p = bpf.process(Creds::ROOT);
    let mut fds = Vec::new();
    for &(map_type, key_size, value_size, max_entries) in maps {
        let req = MapCreateRequest {
            map_type,
            key_size,
            value_size,
            max_entries,
            ..Default::default()
        };
        fds.push(p.map_create(&req).map_err(|e| format!("map: {e:?}"))?);
    }
    for (i, k, v) in map_init(maps) {
        p.map_update(fds[i], &k, &v, 0)
            .map_err(|e| format!("map init: {e:?}"))?;
    }
    let mut insns = prog.insns.clone();
    for ins in insns.iter_mut() {
        if ins.code == 0x18 && ins.src == 1 {
            ins.imm = fds[ins.imm as usize] as i32;
        }
    }
    let out = p.prog_load(&ProgLoadRequest {
        prog_type: prog_type::XDP,
        insns,
        license: b"GPL".to_vec(),
        ..Default::default()
    });
    let fd = out.result.map_err(|e| format!("load refused: {e:?}\n{}", out.log))?;
    Ok(Loaded { process: p, fd })
}

impl Loaded {
    /// (ns per run, retval) of a test run with `repeat`.
    fn run(&self, engine: UserEngine, data: &[u8], repeat: u32) -> Result<(f64, u64), String> {
        let r = self
            .process
            .prog_test_run(&TestRunRequest {
                prog_fd: self.fd,
                data_in: data.to_vec(),
                repeat,
                engine: if engine == UserEngine::Interpreter {
                    Engine::Interpreter
                } else {
                    Engine::Loaded
                },
                ..Default::default()
            })
            .map_err(|e| format!("test run: {e:?}"))?;
        Ok((r.duration_ns as f64, r.retval as u64))
    }
}

/// Batches per measurement: each column reports its fastest batch, which
/// filters out the time other processes took the CPU (the kernel runs its
/// repeat loop with preemption off, so it suffers no such noise).
const BATCHES: u64 = 5;

/// (ns per run, result), or why there is none.
type Measured = Result<(f64, u64), String>;

/// Keep the faster of `best` and `m` (an error only while nothing ran).
fn keep_best(best: &mut Measured, m: Measured) {
    match (&*best, m) {
        (Ok(b), Ok(m)) if m.0 >= b.0 => {}
        (Ok(_), Err(_)) => {}
        (_, m) => *best = m,
    }
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The kernel's ns per run (`kbpf.py run --repeat`), or why there is none.
fn kernel_ns(insns: &[Insn], maps: &[MapSpec], runs: u64, packet_file: &Path) -> Result<(f64, u64), String> {
    let kbpf = manifest_dir().join("../../../shared/oracle/kbpf.py");
    if !kbpf.exists() {
        return Err(format!("no kernel oracle at {}", kbpf.display()));
    }
    let hex = to_hex(&insns_to_bytes(insns));
    let mut cmd = Command::new("python3");
    cmd.arg(&kbpf)
        .args(["run", "-", "--type", "xdp", "--log-level", "0", "--data"])
        .arg(format!("@{}", packet_file.display()));
    for (t, k, v, n) in maps {
        cmd.args(["--map", &format!("{t}:{k}:{v}:{n}")]);
    }
    for (i, k, v) in map_init(maps) {
        cmd.args(["--map-init", &format!("{i}:{}:{}", to_hex(&k), to_hex(&v))]);
    }
    let mut child = cmd
        .args(["--repeat", &runs.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run python3: {e}"))?;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(hex.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let run = &json["test_run"];
    let ns = run["duration_ns"].as_f64().or_else(|| json["duration_ns"].as_f64());
    let retval = run["retval"].as_u64().or_else(|| json["retval"].as_u64());
    match (ns, retval) {
        (Some(ns), Some(r)) => Ok((ns, r)),
        _ => Err(format!(
            "kernel unavailable (exit {:?}; needs root and bpf(2)): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").trim()
        )),
    }
}

/// Build benches/programs/native.c with clang -O2 and `extra` flags (into
/// `name`), or say why not.
fn build_native(dir: &Path, name: &str, extra: &[&str]) -> Result<PathBuf, String> {
    let src = manifest_dir().join("benches/programs/native.c");
    let exe = dir.join(name);
    for cc in ["clang-19", "clang"] {
        match Command::new(cc)
            .arg("-O2")
            .args(extra)
            .arg("-o")
            .arg(&exe)
            .arg(&src)
            .output()
        {
            Ok(o) if o.status.success() => return Ok(exe),
            Ok(o) => return Err(format!("{cc} failed: {}", String::from_utf8_lossy(&o.stderr))),
            Err(_) => continue,
        }
    }
    Err("no clang installed (apt-get install clang-19)".into())
}

fn native_ns(exe: &Path, name: &str, runs: u64) -> Result<(f64, u64), String> {
    let out = Command::new(exe)
        .arg(name)
        .arg(runs.to_string())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace();
    match (
        it.next().and_then(|v| v.parse().ok()),
        it.next().and_then(|v| v.parse().ok()),
    ) {
        (Some(ns), Some(r)) => Ok((ns, r)),
        _ => Err(format!("native {name} printed {text:?}")),
    }
}

fn bench_engines(c: &mut Criterion) {
    let (programs, maps) = bench_object();
    let data = packet();
    for prog in &programs {
        let mut group = c.benchmark_group(prog.name.as_str());
        for (label, engine) in [("interp", UserEngine::Interpreter), ("jit", UserEngine::Jit)] {
            let loaded = load_userbpf(prog, &maps, engine).expect("bench program loads");
            group.bench_function(label, |b| b.iter(|| loaded.run(engine, &data, 1).unwrap()));
        }
        group.finish();
    }
}

/// One pass over every program and engine, printed as a table. Only under
/// `cargo bench`: `cargo test --all-targets` runs bench targets in
/// criterion's test mode, where timing (and asking the kernel) is wasted.
fn compare(_c: &mut Criterion) {
    if !std::env::args().any(|a| a == "--bench") {
        println!("note: the engines comparison runs under `cargo bench` only");
        return;
    }
    let (programs, maps) = bench_object();
    let data = packet();
    let dir = std::env::temp_dir().join(format!("userbpf-engines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let packet_file = dir.join("packet.bin");
    std::fs::write(&packet_file, &data).expect("packet file");
    let native = build_native(&dir, "native", &[]);
    // The same without loop unrolling and vectorisation: what a compiler
    // makes of the C one iteration at a time, as a JIT does (a reference
    // column; the goal is clang -O2).
    let plain = build_native(
        &dir,
        "native-plain",
        &["-fno-unroll-loops", "-fno-vectorize", "-fno-slp-vectorize"],
    );
    let mut notes = Vec::new();
    if let Err(e) = &native {
        notes.push(format!("native: {e}"));
    }
    let cell = |v: &Result<(f64, u64), String>| v.as_ref().map_or("-".to_string(), |(ns, _)| format!("{ns:.0}"));
    let ratio = |a: &Result<(f64, u64), String>, b: &Result<(f64, u64), String>| match (a, b) {
        (Ok((a, _)), Ok((b, _))) => format!("{:.2}", a / b),
        _ => "-".to_string(),
    };
    let mut rows = Vec::new();
    for prog in &programs {
        // About 0.1 s per batch for the JIT.
        let probe = load_userbpf(prog, &maps, UserEngine::Jit)
            .and_then(|l| l.run(UserEngine::Jit, &data, 100))
            .map_or(1e4, |(ns, _)| ns);
        let runs = ((1e8 / probe.max(1.0)) as u64).clamp(20, 1_000_000);
        let engines = [UserEngine::Interpreter, UserEngine::Jit, UserEngine::JitTrusting];
        let loaded: Vec<Result<Loaded, String>> = engines.iter().map(|&e| load_userbpf(prog, &maps, e)).collect();
        // Batches interleave the columns, so a slow spell of the machine
        // touches all of them alike; each keeps its fastest batch.
        let mut best: [Measured; 6] = std::array::from_fn(|_| Err("not measured".to_string()));
        for _ in 0..BATCHES {
            for (k, &engine) in engines.iter().enumerate() {
                let repeat = if engine == UserEngine::Interpreter {
                    (runs / 20).max(5)
                } else {
                    runs
                };
                let m = loaded[k]
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|l| l.run(engine, &data, repeat as u32));
                keep_best(&mut best[k], m);
            }
            keep_best(&mut best[3], kernel_ns(&prog.insns, &maps, runs, &packet_file));
            let nat = native
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|exe| native_ns(exe, &prog.name, runs));
            keep_best(&mut best[4], nat);
            let nat = plain
                .as_ref()
                .map_err(Clone::clone)
                .and_then(|exe| native_ns(exe, &prog.name, runs));
            keep_best(&mut best[5], nat);
        }
        let [interp, jit, trusting, kernel, nat, nat_plain] = best;
        // Every column must compute the same result, or its time means
        // nothing (but random numbers). XDP's retval is 32 bits.
        let want = match prog.name.as_str() {
            "helper_calls" => Err("random".to_string()),
            _ => interp.as_ref().map(|&(_, r)| r & 0xffff_ffff).map_err(Clone::clone),
        };
        for (what, m) in [
            ("JIT", &jit),
            ("trusting JIT", &trusting),
            ("kernel", &kernel),
            ("native", &nat),
            ("native (plain)", &nat_plain),
        ] {
            if let (Ok((_, r)), Ok(w)) = (m, &want) {
                if r & 0xffff_ffff != *w {
                    notes.push(format!("{}: {what} returned {r:#x}, the interpreter {w:#x}", prog.name));
                }
            }
        }
        for (what, m) in [("interpreter", &interp), ("JIT", &jit), ("kernel", &kernel)] {
            if let Err(e) = m {
                let n = format!("{what}: {e}");
                if !notes.contains(&n) {
                    notes.push(n);
                }
            }
        }
        rows.push(format!(
            "{:<14} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>10} {:>7} {:>9} {:>9}",
            prog.name,
            cell(&interp),
            cell(&jit),
            cell(&trusting),
            cell(&kernel),
            cell(&nat),
            cell(&nat_plain),
            ratio(&interp, &jit),
            ratio(&jit, &kernel),
            ratio(&trusting, &kernel),
            ratio(&jit, &nat),
            ratio(&trusting, &nat),
            ratio(&jit, &nat_plain),
        ));
    }
    println!(
        "\nns per run (BPF_PROG_TEST_RUN repeat, best of {BATCHES}; native: the same C, clang -O2; plain: clang -O2\n\
         -fno-unroll-loops -fno-vectorize -fno-slp-vectorize); jit = userbpf default (checked accesses),\n\
         trust = Config::jit_trust_verifier (as the kernel trusts its verifier)"
    );
    println!(
        "{:<14} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7} {:>8} {:>10} {:>7} {:>9} {:>9}",
        "program",
        "interp",
        "jit",
        "trust",
        "kernel",
        "native",
        "plain",
        "int/jit",
        "jit/kern",
        "trust/kern",
        "jit/nat",
        "trust/nat",
        "jit/plain"
    );
    for r in rows {
        println!("{r}");
    }
    for n in notes {
        println!("note: {n}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench_engines, compare);
criterion_main!(benches);
