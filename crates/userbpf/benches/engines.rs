//! Interpreter against JIT on compute-heavy programs, in ns per run.
//!
//! Programs live in benches/programs/*.s (bpf_conformance syntax); each is
//! run with a 1500-byte packet-sized buffer in r1 and its length in r2.
//! `cargo bench -p userbpf --bench engines`

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use userbpf::exec::{
    AlignedBuf, GuestMemory, HelperTable, Interpreter, Jit, JitOptions, JitProgram, Program, RegionKind, RunOptions,
};
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

fn bench_engines(c: &mut Criterion) {
    let helpers = HelperTable::new();
    let data = packet();
    for (name, text) in PROGRAMS {
        let prog = Program::new(assemble(text, Some(Syntax::Ubpf)).expect("bench program assembles")).unwrap();
        let jit = JitProgram::compile(&prog, JitOptions::default()).expect("bench program compiles");
        let mut buf = AlignedBuf::from_bytes(&data);
        let mut mem = GuestMemory::new();
        let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
        let opts = RunOptions::default();
        let args = [addr, data.len() as u64];
        let interp = Interpreter::new(&prog, &helpers);
        let runner = Jit::new(&jit, &helpers);
        // Both engines must agree, or the timing means nothing.
        let want = interp.run(&mut mem, &args, &opts).expect("bench program runs");
        assert_eq!(runner.run(&mut mem, &args, &opts).expect("JIT runs"), want, "{name}");
        let mut group = c.benchmark_group(*name);
        group.bench_function("interp", |b| {
            b.iter(|| interp.run(&mut mem, black_box(&args), &opts).unwrap())
        });
        group.bench_function("jit", |b| {
            b.iter(|| runner.run(&mut mem, black_box(&args), &opts).unwrap())
        });
        group.finish();
    }
}

criterion_group!(benches, bench_engines);
criterion_main!(benches);
