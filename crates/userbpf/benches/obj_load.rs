//! ELF object load time: parse, then parse + create maps + relocate +
//! load every program (userbpf's `prog loadall`), per fixture, with
//! criterion; then, in the same run, a table against `bpftool prog
//! loadall` on the same objects (root and bpftool only; skipped
//! otherwise).
//!
//! `cargo bench -p userbpf --bench obj_load`
//!
//! The bpftool column is a whole process (exec, libbpf open, feature
//! probes, kernel verifier and JIT, pinning, then `rm` of the pins is not
//! counted); userbpf's is the library call. Both load the same programs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{black_box, Criterion};
use userbpf::obj::{read_target_btf, Kconfig, LoadOptions, LoadedObject, Object};
use userbpf::{Bpf, Creds};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/elf")
}

/// Objects both loaders load completely (kernel.json says loaded; fentry
/// and the refused ones are left out).
const OBJECTS: &[&str] = &[
    "xdp_pass",
    "xdp_tcp_port",
    "global_data",
    "subprog_shared",
    "ringbuf",
    "btf_maps",
    "kprobe_count",
    "core_task",
    "tc_loop_sum",
    "rodata_strings",
];

fn options() -> LoadOptions {
    let target = std::fs::read("/sys/kernel/btf/vmlinux")
        .or_else(|_| std::fs::read(fixtures().join("target/core_target.o")))
        .expect("a target BTF");
    LoadOptions {
        target_btf: Some(read_target_btf(&target).expect("target BTF")),
        kconfig: Kconfig::parse("CONFIG_BPF_SYSCALL=y\n"),
        ..Default::default()
    }
}

fn load_once(p: &userbpf::Process, name: &str, data: &[u8], opts: &LoadOptions) {
    let obj = Object::parse(name, data).expect("parses");
    let loaded = LoadedObject::load_all(p, &obj, opts).expect("loads");
    black_box(&loaded);
}

fn time_userbpf(name: &str, data: &[u8], opts: &LoadOptions, iters: u32) -> Duration {
    let bpf = Bpf::default();
    let p = bpf.process(Creds::ROOT);
    load_once(&p, name, data, opts);
    let start = Instant::now();
    for _ in 0..iters {
        load_once(&p, name, data, opts);
    }
    start.elapsed() / iters
}

/// `bpftool prog loadall OBJ DIR` wall time per run, or None without
/// root or bpftool.
fn time_bpftool(path: &Path, iters: u32) -> Option<Duration> {
    let dir = "/sys/fs/bpf/userbpf_bench_obj_load";
    let run = || -> Option<Duration> {
        let _ = std::fs::remove_dir_all(dir);
        let start = Instant::now();
        let ok = Command::new("bpftool")
            .args(["prog", "loadall"])
            .arg(path)
            .arg(dir)
            .output()
            .ok()?
            .status
            .success();
        let d = start.elapsed();
        let _ = std::fs::remove_dir_all(dir);
        ok.then_some(d)
    };
    run()?;
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += run()?;
    }
    Some(total / iters)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test") || std::env::var_os("CI").is_some();
    let opts = options();
    let objects: Vec<(&str, PathBuf, Vec<u8>)> = OBJECTS
        .iter()
        .map(|n| {
            let path = fixtures().join(format!("{n}.o"));
            let data = std::fs::read(&path).expect("fixture");
            (*n, path, data)
        })
        .collect();

    if !quick {
        let mut c = Criterion::default().configure_from_args();
        for (name, _, data) in &objects {
            c.bench_function(&format!("parse/{name}"), |b| {
                b.iter(|| Object::parse(name, black_box(data)).unwrap())
            });
            let bpf = Bpf::default();
            let p = bpf.process(Creds::ROOT);
            c.bench_function(&format!("parse+load/{name}"), |b| {
                b.iter(|| load_once(&p, name, data, &opts))
            });
        }
        c.final_summary();
    }

    println!("\nobject load: userbpf (parse + maps + relocate + load all) vs bpftool prog loadall");
    println!(
        "{:<16} {:>12} {:>14} {:>8}",
        "object", "userbpf us", "bpftool us", "ratio"
    );
    let (mut sum_ours, mut sum_theirs, mut both) = (0.0, 0.0, false);
    for (name, path, data) in &objects {
        let ours = time_userbpf(name, data, &opts, if quick { 3 } else { 200 });
        let theirs = time_bpftool(path, if quick { 1 } else { 20 });
        let us = ours.as_secs_f64() * 1e6;
        sum_ours += us;
        if let Some(t) = theirs {
            sum_theirs += t.as_secs_f64() * 1e6;
            both = true;
        }
        println!(
            "{:<16} {:>12.1} {:>14} {:>8}",
            name,
            us,
            theirs.map_or("n/a".into(), |t| format!("{:.1}", t.as_secs_f64() * 1e6)),
            theirs.map_or("n/a".into(), |t| format!(
                "{:.1}x",
                t.as_secs_f64() * 1e6 / us.max(1e-3)
            )),
        );
    }
    // What a bpftool process costs before it loads anything.
    let startup = (0..if quick { 1 } else { 20 })
        .map(|_| {
            let start = Instant::now();
            Command::new("bpftool")
                .arg("version")
                .output()
                .ok()
                .map(|_| start.elapsed())
        })
        .collect::<Option<Vec<_>>>()
        .filter(|v| !v.is_empty())
        .map(|v| v.iter().sum::<Duration>() / v.len() as u32);
    if let Some(s) = startup {
        println!(
            "(bpftool's own startup, `bpftool version`: {:.1} us per run)",
            s.as_secs_f64() * 1e6
        );
    }
    if both {
        println!(
            "{:<16} {:>12.1} {:>14.1} {:>7.1}x",
            "total",
            sum_ours,
            sum_theirs,
            sum_theirs / sum_ours.max(1e-3)
        );
    } else {
        println!("(bpftool column skipped: needs root and bpftool)");
    }
}
