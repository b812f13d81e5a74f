//! Interpreter speed on compute-heavy programs, in ns per run.
//!
//! Programs live in benches/programs/*.s (bpf_conformance syntax); each is
//! run with a 1500-byte packet-sized buffer in r1 and its length in r2.
//! `cargo bench -p userbpf --bench interp`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use userbpf::exec::{AlignedBuf, Executor, GuestMemory, HelperTable, Interpreter, Program, RegionKind, RunOptions};
use userbpf::isa::asm::{assemble, Syntax};

const PROGRAMS: &[(&str, &str)] = &[
    ("sum_bytes", include_str!("programs/sum_bytes.s")),
    ("fnv_mix", include_str!("programs/fnv_mix.s")),
    ("prime", include_str!("programs/prime.s")),
    ("calls", include_str!("programs/calls.s")),
];

fn packet() -> Vec<u8> {
    (0..1500u32).map(|i| (i * 7 % 251) as u8).collect()
}

fn bench_interp(c: &mut Criterion) {
    let helpers = HelperTable::new();
    let data = packet();
    let mut group = c.benchmark_group("interp");
    for (name, text) in PROGRAMS {
        let prog = Program::new(assemble(text, Some(Syntax::Ubpf)).expect("bench program assembles")).unwrap();
        let interp = Interpreter::new(&prog, &helpers);
        let mut buf = AlignedBuf::from_bytes(&data);
        let mut mem = GuestMemory::new();
        let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
        let opts = RunOptions::default();
        let args = [addr, data.len() as u64];
        // A wrong answer would make the timing meaningless.
        let r0 = interp.run(&mut mem, &args, &opts).expect("bench program runs");
        if *name == "sum_bytes" {
            assert_eq!(r0, data.iter().map(|&b| b as u64).sum::<u64>());
        }
        if *name == "prime" {
            assert_eq!(r0, 1, "100003 is prime");
        }
        group.bench_function(*name, |b| {
            b.iter(|| interp.run(&mut mem, black_box(&args), &opts).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_interp);
criterion_main!(benches);
