//! Map lookups and updates per second, for array, hash and LRU hash maps,
//! from a program (a socket filter looping over 100 keys, run with
//! BPF_PROG_TEST_RUN's repeat) and from the command layer (bpf(2)
//! MAP_LOOKUP_ELEM / MAP_UPDATE_ELEM), against the host kernel doing the
//! same in the same run when bpf(2) is available (root).
//!
//! `cargo bench -p userbpf --bench maps`

use std::time::Instant;

use userbpf::isa::{insns_to_bytes, Insn};
use userbpf::runtime::Engine;
use userbpf::uapi::types::map_type as mt;
use userbpf::{Bpf, Creds, MapCreateRequest, Process, ProgLoadRequest, TestRunRequest};

const ENTRIES: u32 = 1024;
/// Map operations per program run.
const OPS_PER_RUN: i32 = 100;

#[derive(Clone, Copy, PartialEq)]
enum Op {
    Lookup,
    Update,
}

/// The loop: key = i & 1023 on the stack, value = i; one helper call per
/// iteration.
fn program(map_fd: u32, op: Op) -> Vec<Insn> {
    let mut p = vec![
        Insn::new(0xb7, 6, 0, 0, 0),             // r6 = 0
        Insn::new(0xbf, 1, 6, 0, 0),             // loop: r1 = r6
        Insn::new(0x57, 1, 0, 0, 1023),          // r1 &= 1023
        Insn::new(0x63, 10, 1, -4, 0),           // *(u32 *)(r10 -4) = r1
        Insn::new(0x7b, 10, 6, -16, 0),          // *(u64 *)(r10 -16) = r6
        Insn::new(0x18, 1, 1, 0, map_fd as i32), // r1 = map
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0xbf, 2, 10, 0, 0), // r2 = r10
        Insn::new(0x07, 2, 0, 0, -4), // r2 += -4
    ];
    match op {
        Op::Lookup => p.push(Insn::new(0x85, 0, 0, 0, 1)),
        Op::Update => p.extend([
            Insn::new(0xbf, 3, 10, 0, 0),  // r3 = r10
            Insn::new(0x07, 3, 0, 0, -16), // r3 += -16
            Insn::new(0xb7, 4, 0, 0, 0),   // r4 = BPF_ANY
            Insn::new(0x85, 0, 0, 0, 2),
        ]),
    }
    p.push(Insn::new(0x07, 6, 0, 0, 1)); // r6 += 1
    let back = -(p.len() as i16); // to the loop head (insn 1)
    p.push(Insn::new(0xa5, 6, 0, back, OPS_PER_RUN)); // if r6 < 100 goto loop
    p.extend([Insn::new(0xb7, 0, 0, 0, 0), Insn::new(0x95, 0, 0, 0, 0)]);
    p
}

const PACKET: [u8; 64] = [0; 64];

// ---- the host kernel, through raw bpf(2) ----

fn sys_bpf(cmd: u32, attr: &mut [u8]) -> i64 {
    // SAFETY: bpf(2) reads and writes `attr` and the buffers its pointers
    // name, which the callers keep alive for the call.
    unsafe { libc::syscall(libc::SYS_bpf, cmd, attr.as_mut_ptr(), attr.len() as u32) }
}

fn put32(a: &mut [u8], off: usize, v: u32) {
    a[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(a: &mut [u8], off: usize, v: u64) {
    a[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

struct KernelFd(i32);

impl Drop for KernelFd {
    fn drop(&mut self) {
        // SAFETY: closing an fd this bench owns.
        unsafe { libc::close(self.0) };
    }
}

fn k_map_create(map_type: u32) -> Option<KernelFd> {
    let mut a = [0u8; 72];
    put32(&mut a, 0, map_type);
    put32(&mut a, 4, 4);
    put32(&mut a, 8, 8);
    put32(&mut a, 12, ENTRIES);
    let fd = sys_bpf(0, &mut a);
    (fd >= 0).then_some(KernelFd(fd as i32))
}

fn k_elem(cmd: u32, fd: &KernelFd, key: &u32, value: &mut u64) -> i64 {
    let mut a = [0u8; 32];
    put32(&mut a, 0, fd.0 as u32);
    put64(&mut a, 8, key as *const u32 as u64);
    put64(&mut a, 16, value as *mut u64 as u64);
    sys_bpf(cmd, &mut a)
}

fn k_prog_load(insns: &[Insn]) -> Option<KernelFd> {
    let bytes = insns_to_bytes(insns);
    let license = b"GPL\0";
    let mut a = [0u8; 144];
    put32(&mut a, 0, 1);
    put32(&mut a, 4, insns.len() as u32);
    put64(&mut a, 8, bytes.as_ptr() as u64);
    put64(&mut a, 16, license.as_ptr() as u64);
    let fd = sys_bpf(5, &mut a);
    (fd >= 0).then_some(KernelFd(fd as i32))
}

/// ns per run of BPF_PROG_TEST_RUN with `repeat`.
fn k_test_run(prog: &KernelFd, repeat: u32) -> Option<f64> {
    let mut out = [0u8; 64 + 256];
    let mut a = [0u8; 80];
    put32(&mut a, 0, prog.0 as u32);
    put32(&mut a, 8, PACKET.len() as u32);
    put32(&mut a, 12, out.len() as u32);
    put64(&mut a, 16, PACKET.as_ptr() as u64);
    put64(&mut a, 24, out.as_mut_ptr() as u64);
    put32(&mut a, 32, repeat);
    if sys_bpf(10, &mut a) < 0 {
        return None;
    }
    Some(u32::from_le_bytes(a[36..40].try_into().unwrap()) as f64)
}

// ---- userbpf ----

fn u_map(p: &Process, map_type: u32) -> u32 {
    p.map_create(&MapCreateRequest {
        map_type,
        key_size: 4,
        value_size: 8,
        max_entries: ENTRIES,
        ..Default::default()
    })
    .expect("map")
}

fn best(n: usize, mut f: impl FnMut() -> Option<f64>) -> Option<f64> {
    (0..n).filter_map(|_| f()).reduce(f64::min)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test") || std::env::var_os("CI").is_some();
    let (repeat, cmd_ops, rounds) = if quick { (10, 1_000, 1) } else { (20_000, 1_000_000, 5) };
    let bpf = Bpf::default();
    let p = bpf.process(Creds::ROOT);
    println!("map operations, ns per operation (best of {rounds}); ratio = kernel / userbpf");
    println!(
        "{:<8} {:<10} {:<8} {:>11} {:>11} {:>11} {:>12} {:>8}",
        "where", "map", "op", "userbpf", "(interp)", "kernel", "userbpf op/s", "ratio"
    );
    for (name, map_type) in [("array", mt::ARRAY), ("hash", mt::HASH), ("lru_hash", mt::LRU_HASH)] {
        let fd = u_map(&p, map_type);
        let kfd = k_map_create(map_type);
        // Fill every key, so lookups hit and updates replace.
        for k in 0..ENTRIES {
            p.map_update(fd, &k.to_le_bytes(), &(k as u64).to_le_bytes(), 0)
                .unwrap();
            if let Some(kfd) = &kfd {
                let mut v = k as u64;
                k_elem(2, kfd, &k, &mut v);
            }
        }
        for op in [Op::Lookup, Op::Update] {
            let opname = if op == Op::Lookup { "lookup" } else { "update" };
            // From a program.
            let load = |p: &Process| {
                p.prog_load(&ProgLoadRequest {
                    insns: program(fd, op),
                    log_level: 0,
                    ..Default::default()
                })
                .result
                .expect("userbpf load")
            };
            let pfd = load(&p);
            let run = |engine| {
                best(rounds, || {
                    let r = p
                        .prog_test_run(&TestRunRequest {
                            prog_fd: pfd,
                            data_in: PACKET.to_vec(),
                            repeat,
                            engine,
                            ..Default::default()
                        })
                        .ok()?;
                    Some(r.duration_ns as f64 / OPS_PER_RUN as f64)
                })
            };
            let jit = run(Engine::Loaded).unwrap_or(f64::NAN);
            let interp = run(Engine::Interpreter).unwrap_or(f64::NAN);
            p.close(pfd).unwrap();
            let kernel = kfd
                .as_ref()
                .and_then(|kfd| k_prog_load(&program(kfd.0 as u32, op)))
                .and_then(|kp| best(rounds, || k_test_run(&kp, repeat)))
                .map(|ns| ns / OPS_PER_RUN as f64);
            row("program", name, opname, jit, interp, kernel);

            // From the command layer.
            let ours = best(rounds, || {
                let start = Instant::now();
                for i in 0..cmd_ops {
                    let k = (i as u32) & (ENTRIES - 1);
                    match op {
                        Op::Lookup => {
                            p.map_lookup(fd, &k.to_le_bytes(), 8, 0).ok()?;
                        }
                        Op::Update => p.map_update(fd, &k.to_le_bytes(), &(i as u64).to_le_bytes(), 0).ok()?,
                    }
                }
                Some(start.elapsed().as_nanos() as f64 / cmd_ops as f64)
            })
            .unwrap_or(f64::NAN);
            let kernel = kfd.as_ref().and_then(|kfd| {
                best(rounds, || {
                    let start = Instant::now();
                    for i in 0..cmd_ops {
                        let k = (i as u32) & (ENTRIES - 1);
                        let mut v = i as u64;
                        if k_elem(if op == Op::Lookup { 1 } else { 2 }, kfd, &k, &mut v) < 0 {
                            return None;
                        }
                    }
                    Some(start.elapsed().as_nanos() as f64 / cmd_ops as f64)
                })
            });
            row("bpf(2)", name, opname, ours, f64::NAN, kernel);
        }
        p.close(fd).unwrap();
    }
}

fn row(place: &str, map: &str, op: &str, ours: f64, interp: f64, kernel: Option<f64>) {
    let k = kernel.map_or("n/a".to_string(), |k| format!("{k:.1}"));
    let ratio = kernel.map_or("n/a".to_string(), |k| format!("{:.2}", k / ours));
    let interp = if interp.is_nan() {
        "-".to_string()
    } else {
        format!("{interp:.1}")
    };
    println!(
        "{place:<8} {map:<10} {op:<8} {ours:>11.1} {interp:>11} {k:>11} {:>12.0} {ratio:>8}",
        1e9 / ours
    );
}
