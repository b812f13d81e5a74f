//! Verification time against the host kernel's, by processed
//! instructions: straight-line code, counted loops (each iteration is
//! processed again) and chains of diamonds (paths the kernel's pruning
//! merges), from ~10 to ~100,000 processed instructions.
//!
//! `cargo bench -p userbpf --bench verifier`
//!
//! userbpf: `bpf_check` in full mode, log off. Kernel (root only, skipped
//! otherwise): the "verification time" its own BPF_LOG_STATS line reports
//! for the same program, and the whole bpf(BPF_PROG_LOAD) call (verifier,
//! JIT, fd) timed here.

use std::time::{Duration, Instant};

use userbpf::isa::{insns_to_bytes, Insn};
use userbpf::uapi::types::prog_type;
use userbpf::verifier::log::VerifierLog;
use userbpf::verifier::{check_insns, CheckInput, VerifierMode};

const EXIT: Insn = Insn::new(0x95, 0, 0, 0, 0);

fn mov(dst: u8, imm: i32) -> Insn {
    Insn::new(0xb7, dst, 0, 0, imm)
}

/// `n` instructions of straight-line ALU work.
fn straight(n: usize) -> Vec<Insn> {
    let mut p = vec![mov(0, 0)];
    for i in 0..n.saturating_sub(2) {
        p.push(Insn::new(0x07, 0, 0, 0, i as i32 % 97));
    }
    p.push(EXIT);
    p
}

/// A loop of `k` iterations: the verifier walks every one.
fn counted_loop(k: i32) -> Vec<Insn> {
    vec![
        mov(0, 0),
        mov(1, k),
        Insn::new(0x0f, 0, 1, 0, 0),  // r0 += r1
        Insn::new(0x17, 1, 0, 0, 1),  // r1 -= 1
        Insn::new(0x55, 1, 0, -3, 0), // if r1 != 0 goto -3
        Insn::new(0x57, 0, 0, 0, 1),  // r0 &= 1
        EXIT,
    ]
}

/// `d` diamonds on bits of a random number, each adding to r7 on one
/// side: 2^d paths, which pruning with precision tracking merges.
fn diamonds(d: i32) -> Vec<Insn> {
    let mut p = vec![Insn::new(0x85, 0, 0, 0, 7), Insn::new(0xbf, 6, 0, 0, 0), mov(7, 0)];
    for i in 0..d {
        p.push(Insn::new(0x45, 6, 0, 1, 1 << (i % 31))); // if r6 & bit goto +1
        p.push(Insn::new(0x07, 7, 0, 0, 1)); // r7 += 1
    }
    p.extend([mov(0, 0), EXIT]);
    p
}

/// userbpf's bpf_check: (processed, time per check).
fn userbpf_check(insns: &[Insn], budget: Duration) -> (u32, Duration) {
    let check = || {
        let mut log = VerifierLog::new(0, 0, 0).expect("no log");
        let input = CheckInput {
            mode: VerifierMode::Full,
            insns,
            prog_type: prog_type::SOCKET_FILTER,
            expected_attach_type: 0,
            sleepable: false,
            gpl_compatible: true,
            privileged: true,
            maps: &[],
            func_info: None,
            map_rodata: &[],
            strict_alignment: false,
            kernel_btf: None,
            jit_requested: true,
            fd_array: false,
        };
        check_insns(&input, &mut log).map(|v| v.verified_insns)
    };
    let processed = check().expect("benchmark programs verify");
    (
        processed,
        time(budget, || {
            let _ = std::hint::black_box(check());
        }),
    )
}

/// Repeat `f` for about `budget` (at least 3 times); the mean.
fn time(budget: Duration, mut f: impl FnMut()) -> Duration {
    let start = Instant::now();
    let mut n = 0u32;
    while n < 3 || (start.elapsed() < budget && n < 100_000) {
        f();
        n += 1;
    }
    start.elapsed() / n
}

/// bpf(BPF_PROG_LOAD) of a socket filter with `log_level` into `log`.
fn kernel_load(insns: &[Insn], log_level: u32, log: &mut [u8]) -> i64 {
    let bytes = insns_to_bytes(insns);
    let license = b"GPL\0";
    let mut attr = [0u8; 144];
    attr[0..4].copy_from_slice(&prog_type::SOCKET_FILTER.to_le_bytes());
    attr[4..8].copy_from_slice(&(insns.len() as u32).to_le_bytes());
    attr[8..16].copy_from_slice(&(bytes.as_ptr() as u64).to_le_bytes());
    attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_le_bytes());
    attr[24..28].copy_from_slice(&log_level.to_le_bytes());
    if log_level != 0 {
        attr[28..32].copy_from_slice(&(log.len() as u32).to_le_bytes());
        attr[32..40].copy_from_slice(&(log.as_mut_ptr() as u64).to_le_bytes());
    }
    // SAFETY: bpf(2) reads `attr` and, through its pointers, `bytes`,
    // `license` and writes at most `log.len()` bytes of `log`; all alive.
    let fd = unsafe { libc::syscall(libc::SYS_bpf, 5, attr.as_ptr(), attr.len() as u32) };
    if fd >= 0 {
        // SAFETY: closing the fd bpf(2) just returned.
        unsafe { libc::close(fd as i32) };
    }
    fd
}

/// The kernel's numbers: (processed, its verification time, the whole
/// load), or None when bpf(2) is not available.
fn kernel(insns: &[Insn], budget: Duration) -> Option<(u64, Duration, Duration)> {
    let mut log = vec![0u8; 1 << 16];
    // BPF_LOG_STATS: "verification time N usec" and "processed N insns".
    if kernel_load(insns, 4, &mut log) < 0 {
        return None;
    }
    let text = String::from_utf8_lossy(&log);
    let num_after = |key: &str| -> Option<u64> {
        let at = text.find(key)? + key.len();
        text[at..].split_whitespace().next()?.parse().ok()
    };
    let processed = num_after("processed ")?;
    // The stats line is per load; average it over a few loads.
    let mut usec = 0u64;
    let reps = 5;
    for _ in 0..reps {
        log.fill(0);
        kernel_load(insns, 4, &mut log);
        let text = String::from_utf8_lossy(&log);
        let at = text.find("verification time ")? + "verification time ".len();
        usec += text[at..].split_whitespace().next()?.parse::<u64>().ok()?;
    }
    let verif = Duration::from_micros(usec) / reps;
    let load = time(budget, || {
        kernel_load(insns, 0, &mut []);
    });
    Some((processed, verif, load))
}

fn main() {
    // `cargo test --benches` runs this once quickly.
    // (and so do debug builds, as `cargo test --all-targets` makes them).
    let quick = std::env::args().any(|a| a == "--test") || std::env::var_os("CI").is_some() || cfg!(debug_assertions);
    let budget = Duration::from_millis(if quick { 5 } else { 300 });
    let mut cases: Vec<(String, Vec<Insn>)> = Vec::new();
    for n in [10, 100, 1_000, 10_000, 100_000] {
        cases.push((format!("straight {n}"), straight(n)));
    }
    for k in [3, 30, 300, 3_000, 33_000] {
        cases.push((format!("loop {k}"), counted_loop(k)));
    }
    for d in [2, 4, 8, 12] {
        cases.push((format!("diamonds {d}"), diamonds(d)));
    }
    if quick {
        cases.retain(|(name, _)| !name.ends_with("100000") && !name.ends_with("33000"));
    }
    println!(
        "{:<16} {:>10} {:>10} {:>12} {:>12} {:>12} {:>8} {:>10}",
        "program", "processed", "kernel", "userbpf", "kernel verif", "kernel load", "ratio", "ns/insn"
    );
    for (name, insns) in &cases {
        let (processed, ours) = userbpf_check(insns, budget);
        let k = kernel(insns, budget);
        let per = ours.as_nanos() as f64 / processed.max(1) as f64;
        match k {
            Some((kp, kv, kl)) => println!(
                "{name:<16} {processed:>10} {kp:>10} {:>10.1}us {:>10.1}us {:>10.1}us {:>7.2}x {per:>10.1}",
                us(ours),
                us(kv),
                us(kl),
                us(ours) / us(kv).max(1.0),
            ),
            None => println!(
                "{name:<16} {processed:>10} {:>10} {:>10.1}us {:>12} {:>12} {:>8} {per:>10.1}",
                "-",
                us(ours),
                "-",
                "-",
                "-"
            ),
        }
    }
    println!(
        "ratio: userbpf's bpf_check time / the kernel's own verification time (its 1 us resolution floors it at 1 us)"
    );
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
