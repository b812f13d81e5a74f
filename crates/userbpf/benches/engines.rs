//! The JIT against the interpreter, the kernel's JIT and native code, on
//! compute-heavy programs, in ns per run.
//!
//! Programs live in benches/programs/*.s (bpf_conformance syntax); each is
//! run with a 1500-byte packet-sized buffer in r1 and its length in r2.
//! Criterion measures the two engines; then one comparison pass measures,
//! in the same run and the same way (mean over a fixed number of runs):
//! the interpreter, the JIT, the JIT given the proofs a verifier would
//! make (every access of these programs is in bounds by construction),
//! the kernel's JIT (`kbpf.py run --repeat`, as
//! an XDP program over the same packet; benches/programs/kernel/ holds the
//! variants whose packet access the kernel's verifier needs bounds-checked)
//! and the same algorithms in C (benches/programs/native.c, clang -O2). The
//! kernel and native columns are skipped, with a note, when kbpf.py can't
//! reach bpf(2) (not root) or no clang is installed.
//!
//! `cargo bench -p userbpf --bench engines`

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use userbpf::conformance::to_hex;
use userbpf::exec::{
    AccessProof, AlignedBuf, GuestMemory, HelperTable, Interpreter, Jit, JitOptions, JitProgram, Program, RegionKind,
    RunOptions,
};
use userbpf::isa::asm::{assemble, Syntax};
use userbpf::isa::{insns_to_bytes, Insn};
use userbpf::runtime::Engine;
use userbpf::uapi::types::map_type_from_str;
use userbpf::uapi::types::prog_type;
use userbpf::MapCreateRequest;
use userbpf::{Bpf, Config, Creds, ProgLoadRequest, TestRunRequest};

struct Bench {
    name: &'static str,
    text: &'static str,
    /// The kernel-verifiable variant, when the program reads the packet.
    kernel: Option<&'static str>,
}

const PROGRAMS: &[Bench] = &[
    Bench {
        name: "sum_bytes",
        text: include_str!("programs/sum_bytes.s"),
        kernel: Some(include_str!("programs/kernel/sum_bytes.s")),
    },
    Bench {
        name: "csum",
        text: include_str!("programs/csum.s"),
        kernel: Some(include_str!("programs/kernel/csum.s")),
    },
    Bench {
        name: "fnv_mix",
        text: include_str!("programs/fnv_mix.s"),
        kernel: None,
    },
    Bench {
        name: "prime",
        text: include_str!("programs/prime.s"),
        kernel: None,
    },
    Bench {
        name: "calls",
        text: include_str!("programs/calls.s"),
        kernel: None,
    },
];

fn packet() -> Vec<u8> {
    (0..1500u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn program(text: &str) -> Program {
    Program::new(assemble(text, Some(Syntax::Ubpf)).expect("bench program assembles")).unwrap()
}

/// Both engines ready to run one program over the packet.
struct Engines {
    prog: Program,
    jit: JitProgram,
    /// Compiled with every memory access proven, when it has any.
    proven: Option<JitProgram>,
    helpers: HelperTable,
}

impl Engines {
    fn new(text: &str) -> Self {
        let prog = program(text);
        let jit = JitProgram::compile(&prog, JitOptions::default()).expect("bench program compiles");
        let proven: Vec<bool> = prog.slots().iter().map(|i| matches!(i.class(), 1..=3)).collect();
        // SAFETY: the bench programs only access the packet below its
        // length (r3 < r2) and their own stack frame.
        let proven = proven.contains(&true).then(|| {
            unsafe { JitProgram::compile_with_proofs(&prog, JitOptions::default(), &AccessProof::from_flags(&proven)) }
                .expect("compiles")
        });
        Engines {
            prog,
            jit,
            proven,
            helpers: HelperTable::new(),
        }
    }

    /// Run `f` with guest memory holding the packet; r1/r2 in `args`.
    fn with_memory<R>(data: &[u8], f: impl FnOnce(&mut GuestMemory<'_>, [u64; 2]) -> R) -> R {
        let mut buf = AlignedBuf::from_bytes(data);
        let mut mem = GuestMemory::new();
        let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
        f(&mut mem, [addr, data.len() as u64])
    }
}

fn bench_engines(c: &mut Criterion) {
    let data = packet();
    for b in PROGRAMS {
        let e = Engines::new(b.text);
        let interp = Interpreter::new(&e.prog, &e.helpers);
        let jit = Jit::new(&e.jit, &e.helpers);
        let opts = RunOptions::default();
        Engines::with_memory(&data, |mem, args| {
            // Both engines must agree, or the timing means nothing.
            let want = interp.run(mem, &args, &opts).expect("bench program runs");
            assert_eq!(jit.run(mem, &args, &opts).expect("JIT runs"), want, "{}", b.name);
            let mut group = c.benchmark_group(b.name);
            group.bench_function("interp", |bn| {
                bn.iter(|| interp.run(mem, black_box(&args), &opts).unwrap())
            });
            group.bench_function("jit", |bn| bn.iter(|| jit.run(mem, black_box(&args), &opts).unwrap()));
            group.finish();
        });
    }
}

/// Batches per measurement: each column reports its fastest batch's mean,
/// which filters out the time other processes took the CPU (the kernel
/// runs its repeat loop with preemption off, so it suffers no such noise).
const BATCHES: u64 = 5;

/// ns per run of `f`: the lowest mean over BATCHES batches of `runs` runs
/// (after a warm-up).
fn time_runs(runs: u64, mut f: impl FnMut() -> u64) -> (f64, u64) {
    let mut r = 0;
    for _ in 0..runs / 10 + 1 {
        r = black_box(f());
    }
    let mut best = f64::INFINITY;
    for _ in 0..BATCHES {
        let start = Instant::now();
        for _ in 0..runs {
            r = black_box(f());
        }
        best = best.min(start.elapsed().as_nanos() as f64 / runs as f64);
    }
    (best, r)
}

/// The fastest of BATCHES external measurements.
fn best_of(mut f: impl FnMut() -> Result<(f64, u64), String>) -> Result<(f64, u64), String> {
    let mut best: Result<(f64, u64), String> = Err("not measured".into());
    for _ in 0..BATCHES {
        let m = f()?;
        if best.as_ref().map_or(true, |b| m.0 < b.0) {
            best = Ok(m);
        }
    }
    best
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The kernel's ns per run (`kbpf.py run --repeat`), or why there is none.
fn kernel_ns(text: &str, runs: u64, packet_file: &Path) -> Result<(f64, u64), String> {
    kernel_ns_of(program(text).slots(), &MapSetup::NONE, runs, packet_file)
}

/// The maps a program needs: kbpf.py `--map` specs (index = the imm of its
/// ld_imm64) and `--map-init INDEX:KEY:VALUE` entries.
struct MapSetup {
    maps: &'static [&'static str],
    init: fn() -> Vec<MapInit>,
}

/// (map index, key, value).
type MapInit = (usize, Vec<u8>, Vec<u8>);

impl MapSetup {
    const NONE: MapSetup = MapSetup {
        maps: &[],
        init: Vec::new,
    };
}

fn kernel_ns_of(insns: &[Insn], setup: &MapSetup, runs: u64, packet_file: &Path) -> Result<(f64, u64), String> {
    let kbpf = manifest_dir().join("../../../shared/oracle/kbpf.py");
    if !kbpf.exists() {
        return Err(format!("no kernel oracle at {}", kbpf.display()));
    }
    let hex = to_hex(&insns_to_bytes(insns));
    let mut cmd = Command::new("python3");
    cmd.arg(&kbpf)
        .args(["run", "-", "--type", "xdp", "--log-level", "0", "--data"])
        .arg(format!("@{}", packet_file.display()));
    for m in setup.maps {
        cmd.args(["--map", m]);
    }
    for (i, k, v) in (setup.init)() {
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
    let json = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| -> Option<f64> {
        let at = json.find(&format!("\"{name}\": "))? + name.len() + 4;
        let rest = &json[at..];
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        rest[..end].trim().parse().ok()
    };
    match (field("duration_ns"), field("retval")) {
        (Some(ns), Some(r)) => Ok((ns, r as u64)),
        _ => Err(format!(
            "kernel unavailable (exit {:?}; needs root and bpf(2)): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").trim()
        )),
    }
}

/// Build benches/programs/native.c with clang -O2, or say why not.
/// The kernel's column measured the userbpf way: the same XDP program
/// loaded through BPF_PROG_LOAD (the verifier, then the JIT, trusting the
/// verifier's proofs when `trust`), run by BPF_PROG_TEST_RUN with
/// `repeat` over the same packet; duration_ns as the kernel reports it.
fn command_layer_ns(text: &str, data: &[u8], runs: u64, trust: bool) -> Result<(f64, u64), String> {
    command_layer_ns_of(program(text).slots(), &MapSetup::NONE, data, runs, trust)
}

fn command_layer_ns_of(
    insns: &[Insn],
    setup: &MapSetup,
    data: &[u8],
    runs: u64,
    trust: bool,
) -> Result<(f64, u64), String> {
    let bpf = Bpf::new(Config {
        jit_trust_verifier: trust,
        ..Config::default()
    });
    let p = bpf.process(Creds::ROOT);
    let mut fds = Vec::new();
    for spec in setup.maps {
        let f: Vec<u32> = spec.split(':').skip(1).map(|x| x.parse().expect("number")).collect();
        let map_type = map_type_from_str(spec.split(':').next().unwrap_or("")).expect("map type");
        let req = MapCreateRequest {
            map_type,
            key_size: f[0],
            value_size: f[1],
            max_entries: f[2],
            ..Default::default()
        };
        fds.push(p.map_create(&req).map_err(|e| format!("map: {e:?}"))?);
    }
    for (i, k, v) in (setup.init)() {
        p.map_update(fds[i], &k, &v, 0)
            .map_err(|e| format!("map init: {e:?}"))?;
    }
    let mut insns = insns.to_vec();
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
    let fd = out.result.map_err(|e| format!("load refused: {e:?}"))?;
    let r = p
        .prog_test_run(&TestRunRequest {
            prog_fd: fd,
            data_in: data.to_vec(),
            repeat: runs.min(u32::MAX as u64) as u32,
            engine: Engine::Loaded,
            ..Default::default()
        })
        .map_err(|e| format!("test run: {e:?}"))?;
    Ok((r.duration_ns as f64, r.retval as u64))
}

fn build_native(dir: &Path) -> Result<PathBuf, String> {
    let src = manifest_dir().join("benches/programs/native.c");
    let exe = dir.join("native");
    for cc in ["clang-19", "clang"] {
        match Command::new(cc).arg("-O2").arg("-o").arg(&exe).arg(&src).output() {
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

/// One pass over every program and every engine, printed as a table. Only
/// under `cargo bench`: `cargo test --all-targets` runs bench targets in
/// criterion's test mode, where timing (and asking the kernel) is wasted.
/// Map lookups from a program: 256 lookups of keys i & 15 in a 16-entry
/// map whose values are key * 3 + 1, summing what they find (6016).
fn lookups_program() -> Vec<Insn> {
    let i = Insn::new;
    let mut p = vec![
        i(0xb7, 6, 0, 0, 0), // r6 = 0 (sum)
        i(0xb7, 7, 0, 0, 0), // r7 = 0 (i)
        // loop:
        i(0xbf, 1, 7, 0, 0),   // r1 = i
        i(0x57, 1, 0, 0, 15),  // r1 &= 15
        i(0x63, 10, 1, -4, 0), // *(u32 *)(r10 - 4) = r1
        i(0x18, 1, 1, 0, 0),   // r1 = map 0
        i(0, 0, 0, 0, 0),
        i(0xbf, 2, 10, 0, 0), // r2 = r10
        i(0x07, 2, 0, 0, -4), // r2 += -4
        i(0x85, 0, 0, 0, 1),  // call bpf_map_lookup_elem
        i(0x15, 0, 0, 2, 0),  // if r0 == 0 goto +2
        i(0x79, 3, 0, 0, 0),  // r3 = *(u64 *)(r0 + 0)
        i(0x0f, 6, 3, 0, 0),  // r6 += r3
        i(0x07, 7, 0, 0, 1),  // i += 1
    ];
    let back = -(p.len() as i16 - 2 + 1);
    p.push(i(0xa5, 7, 0, back, 256)); // if i < 256 goto loop
    p.extend([i(0xbf, 0, 6, 0, 0), i(0x95, 0, 0, 0, 0)]);
    p
}

fn lookups_init() -> Vec<MapInit> {
    (0..16u32)
        .map(|k| (0, k.to_le_bytes().to_vec(), (k as u64 * 3 + 1).to_le_bytes().to_vec()))
        .collect()
}

const LOOKUP_PROGRAMS: &[(&str, MapSetup)] = &[
    (
        "array_lookups",
        MapSetup {
            maps: &["array:4:8:16"],
            init: lookups_init,
        },
    ),
    (
        "hash_lookups",
        MapSetup {
            maps: &["hash:4:8:16"],
            init: lookups_init,
        },
    ),
];

fn compare(_c: &mut Criterion) {
    if !std::env::args().any(|a| a == "--bench") {
        println!("note: the engines comparison runs under `cargo bench` only");
        return;
    }
    let data = packet();
    let dir = std::env::temp_dir().join(format!("userbpf-engines-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let packet_file = dir.join("packet.bin");
    std::fs::write(&packet_file, &data).expect("packet file");
    let native = build_native(&dir);
    let mut notes = Vec::new();
    if let Err(e) = &native {
        notes.push(format!("native: {e}"));
    }
    let cell = |v: &Result<(f64, u64), String>| v.as_ref().map_or("-".to_string(), |(ns, _)| format!("{ns:.0}"));
    let ratio =
        |a: f64, b: &Result<(f64, u64), String>| b.as_ref().map_or("-".to_string(), |(ns, _)| format!("{:.2}", a / ns));
    let mut rows = Vec::new();
    let mut same_rows = Vec::new();
    for b in PROGRAMS {
        let e = Engines::new(b.text);
        let opts = RunOptions::default();
        // About 0.1 s per batch for the JIT.
        let (probe, _) = Engines::with_memory(&data, |mem, args| {
            time_runs(3, || Jit::new(&e.jit, &e.helpers).run(mem, &args, &opts).unwrap())
        });
        let runs = ((1e8 / probe.max(1.0)) as u64).clamp(20, 1_000_000);
        let (interp_ns, want) = Engines::with_memory(&data, |mem, args| {
            let interp = Interpreter::new(&e.prog, &e.helpers);
            time_runs((runs / 20).max(5), || interp.run(mem, &args, &opts).unwrap())
        });
        let (jit_ns, got) = Engines::with_memory(&data, |mem, args| {
            let jit = Jit::new(&e.jit, &e.helpers);
            time_runs(runs, || jit.run(mem, &args, &opts).unwrap())
        });
        assert_eq!(got, want, "{}: JIT and interpreter disagree", b.name);
        let proven = e.proven.as_ref().map_or(Err("no memory access".to_string()), |image| {
            Engines::with_memory(&data, |mem, args| {
                let jit = Jit::new(image, &e.helpers);
                Ok(time_runs(runs, || jit.run(mem, &args, &opts).unwrap()))
            })
        });
        if let Ok((_, r)) = &proven {
            assert_eq!(*r, want, "{}: proven JIT and interpreter disagree", b.name);
        }
        let kernel = best_of(|| kernel_ns(b.kernel.unwrap_or(b.text), runs, &packet_file));
        // The same program as the kernel's, through the command layer.
        let same = b.kernel.unwrap_or(b.text);
        let cmd = best_of(|| command_layer_ns(same, &data, runs, false));
        let cmd_proof = best_of(|| command_layer_ns(same, &data, runs, true));
        for (what, m) in [("checked", &cmd), ("trusting the verifier", &cmd_proof)] {
            if let (Ok((_, r)), Ok((_, k))) = (m, &kernel) {
                if r != k {
                    notes.push(format!(
                        "{}: userbpf ({what}) returned {r:#x}, the kernel {k:#x}",
                        b.name
                    ));
                }
            }
        }
        same_rows.push(format!(
            "{:<10} {:>10} {:>12} {:>10} {:>13} {:>13}",
            b.name,
            cell(&cmd),
            cell(&cmd_proof),
            cell(&kernel),
            cmd.as_ref().map_or("-".into(), |(c, _)| ratio(*c, &kernel)),
            cmd_proof.as_ref().map_or("-".into(), |(c, _)| ratio(*c, &kernel)),
        ));
        if let Ok((_, r)) = &kernel {
            // XDP returns the low 32 bits.
            if *r != want & 0xffff_ffff {
                notes.push(format!(
                    "{}: kernel returned {r:#x}, expected {:#x}",
                    b.name,
                    want & 0xffff_ffff
                ));
            }
        }
        let nat = native
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|exe| native_ns(exe, b.name, runs));
        if let Ok((_, r)) = &nat {
            if *r != want {
                notes.push(format!("{}: native returned {r:#x}, expected {want:#x}", b.name));
            }
        }
        if let Err(e) = &kernel {
            if !notes.iter().any(|n| n.starts_with("kernel")) {
                notes.push(format!("kernel: {e}"));
            }
        }
        rows.push(format!(
            "{:<10} {:>12.0} {:>10.0} {:>10} {:>10} {:>10} {:>11.1} {:>10} {:>10} {:>11}",
            b.name,
            interp_ns,
            jit_ns,
            cell(&proven),
            cell(&kernel),
            cell(&nat),
            interp_ns / jit_ns,
            ratio(jit_ns, &kernel),
            ratio(jit_ns, &nat),
            proven.as_ref().map_or("-".into(), |(p, _)| ratio(*p, &kernel)),
        ));
    }
    println!("\nns per run (best of {BATCHES} batch means), one pass; jit/kern and jit/nat are JIT time over theirs");
    println!(
        "{:<10} {:>12} {:>10} {:>10} {:>10} {:>10} {:>11} {:>10} {:>10} {:>11}",
        "program", "interp", "jit", "jit+proof", "kernel", "native", "interp/jit", "jit/kern", "jit/nat", "proof/kern"
    );
    for r in rows {
        println!("{r}");
    }
    println!(
        "\nthe kernel's program (XDP, as kernel/ has it) through BPF_PROG_LOAD and BPF_PROG_TEST_RUN repeat on both sides,\n\
         ns per run as duration_ns reports it (best of {BATCHES}); cmd = userbpf default (checked accesses),\n\
         cmd+proof = Config::jit_trust_verifier (the verifier's proofs, as the kernel trusts its verifier)"
    );
    println!(
        "{:<10} {:>10} {:>12} {:>10} {:>13} {:>13}",
        "program", "cmd", "cmd+proof", "kernel", "cmd/kern", "proof/kern"
    );
    // Map lookups: only through the command layer (the maps live there).
    let insns = lookups_program();
    for (name, setup) in LOOKUP_PROGRAMS {
        let runs = 100_000;
        let kernel = best_of(|| kernel_ns_of(&insns, setup, runs, &packet_file));
        let cmd = best_of(|| command_layer_ns_of(&insns, setup, &data, runs, false));
        let cmd_proof = best_of(|| command_layer_ns_of(&insns, setup, &data, runs, true));
        let nat = native
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|exe| native_ns(exe, name, runs));
        for (what, m) in [("checked", &cmd), ("trusting", &cmd_proof), ("native", &nat)] {
            if let Ok((_, r)) = m {
                if *r != 6016 {
                    notes.push(format!("{name}: {what} returned {r}, expected 6016"));
                }
            }
        }
        same_rows.push(format!(
            "{:<13} {:>7} {:>12} {:>10} {:>13} {:>13}   native {} ({} of native with proofs)",
            name,
            cell(&cmd),
            cell(&cmd_proof),
            cell(&kernel),
            cmd.as_ref().map_or("-".into(), |(c, _)| ratio(*c, &kernel)),
            cmd_proof.as_ref().map_or("-".into(), |(c, _)| ratio(*c, &kernel)),
            cell(&nat),
            cmd_proof.as_ref().map_or("-".into(), |(c, _)| ratio(*c, &nat)),
        ));
    }
    for r in same_rows {
        println!("{r}");
    }
    for n in notes {
        println!("note: {n}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

criterion_group!(benches, bench_engines, compare);
criterion_main!(benches);
