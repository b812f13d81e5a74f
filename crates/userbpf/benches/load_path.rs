//! The BPF_PROG_LOAD path: programs loaded (and closed) per second, split
//! by load step, with the host kernel's bpf(BPF_PROG_LOAD) time for the
//! same programs measured in the same run when bpf(2) is available (root).
//!
//! `cargo bench -p userbpf --bench load_path`
//!
//! Note the work differs: the kernel runs its full verifier and JIT, while
//! userbpf (until its verifier lands) checks structure only.

use std::time::{Duration, Instant};

use userbpf::isa::{insns_to_bytes, Insn};
use userbpf::{Bpf, Creds, ProgLoadRequest};

/// A straight-line program of `n` instructions: ALU work, then exit.
fn program(n: usize) -> Vec<Insn> {
    let mut p = vec![Insn::new(0xb7, 0, 0, 0, 0)];
    for i in 0..n.saturating_sub(2) {
        p.push(Insn::new(0x07, 0, 0, 0, i as i32 % 97));
    }
    p.push(Insn::new(0x95, 0, 0, 0, 0));
    p
}

/// bpf(BPF_PROG_LOAD) on the host kernel: the time per load, or None when
/// bpf(2) refuses (not root, no BPF).
fn kernel_load(insns: &[Insn], iters: u32) -> Option<Duration> {
    let bytes = insns_to_bytes(insns);
    let license = b"GPL\0";
    let mut attr = [0u8; 144];
    attr[0..4].copy_from_slice(&1u32.to_le_bytes()); // socket_filter
    attr[4..8].copy_from_slice(&(insns.len() as u32).to_le_bytes());
    attr[8..16].copy_from_slice(&(bytes.as_ptr() as u64).to_le_bytes());
    attr[16..24].copy_from_slice(&(license.as_ptr() as u64).to_le_bytes());
    let load = || {
        // SAFETY: bpf(2) reads `attr` (144 bytes) and, through the pointers
        // in it, `bytes` and `license`, all alive for the call.
        unsafe { libc::syscall(libc::SYS_bpf, 5, attr.as_ptr(), attr.len() as u32) }
    };
    let fd = load();
    if fd < 0 {
        return None;
    }
    // SAFETY: closing the fd bpf(2) just returned.
    unsafe { libc::close(fd as i32) };
    let start = Instant::now();
    for _ in 0..iters {
        let fd = load();
        assert!(fd >= 0, "kernel load failed midway");
        // SAFETY: as above.
        unsafe { libc::close(fd as i32) };
    }
    Some(start.elapsed() / iters)
}

fn main() {
    // `cargo test --benches` runs this once quickly.
    let quick = std::env::args().any(|a| a == "--test") || std::env::var_os("CI").is_some();
    let bpf = Bpf::default();
    let p = bpf.process(Creds::ROOT);
    println!("BPF_PROG_LOAD: userbpf vs the host kernel (socket_filter, log off)");
    println!(
        "{:>7} {:>14} {:>14} {:>14} {:>10}",
        "insns", "userbpf ns", "loads/s", "kernel ns", "kernel/us"
    );
    let mut profile_for = None;
    for n in [2usize, 100, 1000, 4000] {
        let insns = program(n);
        let req = ProgLoadRequest {
            insns: insns.clone(),
            log_level: 0,
            ..Default::default()
        };
        let iters = if quick {
            10
        } else {
            (2_000_000 / n as u32).clamp(200, 20_000)
        };
        // Warm up, then measure load + close.
        for _ in 0..iters / 10 {
            let fd = p.prog_load(&req).result.expect("userbpf load");
            p.close(fd).unwrap();
        }
        let start = Instant::now();
        for _ in 0..iters {
            let fd = p.prog_load(&req).result.expect("userbpf load");
            p.close(fd).unwrap();
        }
        let ours = start.elapsed() / iters;
        let kernel = kernel_load(&insns, if quick { 10 } else { (iters / 4).max(50) });
        println!(
            "{:>7} {:>14} {:>14.0} {:>14} {:>10}",
            n,
            ours.as_nanos(),
            1e9 / ours.as_nanos().max(1) as f64,
            kernel.map_or("n/a".into(), |k| k.as_nanos().to_string()),
            kernel.map_or("n/a".into(), |k| format!(
                "{:.1}x",
                k.as_nanos() as f64 / ours.as_nanos().max(1) as f64
            )),
        );
        if n == 1000 {
            profile_for = Some((req, iters));
        }
    }
    // Split by step, for the 1000-instruction program.
    let (req, iters) = profile_for.expect("profiled size");
    bpf.profile_loads(true);
    for _ in 0..iters {
        let fd = p.prog_load(&req).result.expect("userbpf load");
        p.close(fd).unwrap();
    }
    let steps = bpf.take_load_profile();
    bpf.profile_loads(false);
    let total: Duration = steps.iter().map(|s| s.1).sum();
    println!("\nper step, 1000-insn program ({iters} loads; profiling adds overhead):");
    for (step, d, n) in steps {
        println!(
            "  {:<14} {:>9} ns/load  {:>5.1}%",
            format!("{step:?}"),
            (d / n.max(1) as u32).as_nanos(),
            100.0 * d.as_secs_f64() / total.as_secs_f64().max(1e-12)
        );
    }
}
