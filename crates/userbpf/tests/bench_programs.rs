//! The engines bench's programs (benches/programs/bench.bpf.o, clang-19
//! from bench.h) through BPF_PROG_LOAD and BPF_PROG_TEST_RUN on the
//! interpreter, the JIT using the verifier's hints and the JIT trusting
//! it: every engine returns what the C computes, derived here by hand
//! from bench.h. The JIT's loop work (unrolled rounds, hoisted bound
//! tests, key-range checks, constants in free registers) runs on real
//! clang output and real maps here.

mod common;

use userbpf::isa::Insn;
use userbpf::obj::relocate::{apply_map_relocs, link_program};
use userbpf::obj::Object;
use userbpf::prog::Runtime;
use userbpf::runtime::Engine;
use userbpf::uapi::types::prog_type;
use userbpf::{Config, MapCreateRequest, TestRunRequest};

const OBJECT: &[u8] = include_bytes!("../benches/programs/bench.bpf.o");

/// The bench's packet: byte i is i * 7 % 251.
fn packet() -> Vec<u8> {
    (0..1500u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// What bench.h's functions return for that packet and maps holding
/// keys 0..16 with values key * 3 + 1 (XDP's retval: 32 bits).
fn expected(name: &str, pkt: &[u8]) -> Option<u32> {
    Some(match name {
        "sum_bytes" => pkt.iter().map(|&b| b as u64).sum::<u64>() as u32,
        "csum" => {
            let mut s: u64 = pkt.chunks(2).map(|w| u16::from_le_bytes([w[0], w[1]]) as u64).sum();
            s = (s & 0xffff) + (s >> 16);
            s = (s & 0xffff) + (s >> 16);
            (s ^ 0xffff) as u32
        }
        "fnv_mix" => {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ pkt[0] as u64;
            for i in 0..1000u64 {
                h ^= i & 0xff;
                h = h.wrapping_mul(0x100_0000_01b3);
                h ^= h >> 13;
            }
            (h ^ (h >> 32)) as u32
        }
        // 100003 is prime.
        "prime" => 1,
        "calls" => (0..1000u64).map(|x| ((x << 3) ^ x) & 0xffff).sum::<u64>() as u32,
        // 16 rounds of keys 0..16: 16 * (3 * 120 + 16).
        "array_lookups" | "hash_lookups" => 6016,
        // Random.
        "helper_calls" => return None,
        other => panic!("unknown bench program {other}"),
    })
}

#[test]
fn every_engine_returns_what_the_c_computes() {
    let obj = Object::parse("bench", OBJECT).expect("bench.bpf.o parses");
    let pkt = packet();
    let mut unrolled = Vec::new();
    for (engine, trust) in [
        (Engine::Interpreter, false),
        (Engine::Loaded, false),
        (Engine::Loaded, true),
    ] {
        let (_bpf, p) = common::process::root_with(Config {
            jit_trust_verifier: trust,
            ..Config::default()
        });
        let fds: Vec<u32> = obj
            .maps
            .iter()
            .map(|m| {
                let req = MapCreateRequest {
                    map_type: m.map_type,
                    key_size: m.key_size,
                    value_size: m.value_size,
                    max_entries: m.max_entries,
                    ..Default::default()
                };
                p.map_create(&req).expect("map")
            })
            .collect();
        for &fd in &fds {
            for k in 0..16u32 {
                p.map_update(fd, &k.to_le_bytes(), &(k as u64 * 3 + 1).to_le_bytes(), 0)
                    .expect("map init");
            }
        }
        let mut code: Vec<Vec<Insn>> = obj.code.iter().map(|c| c.insns.clone()).collect();
        apply_map_relocs(&obj, &mut code, &fds).expect("relocates");
        for prog in &obj.programs {
            let name = prog.name();
            let insns = link_program(&obj, &code, prog).expect("links").insns;
            let out = p.prog_load(&common::process::gpl_request(prog_type::XDP, insns));
            let fd = out.result.unwrap_or_else(|e| panic!("{name}: {e:?}\n{}", out.log));
            if engine == Engine::Loaded {
                let loaded = p.prog_by_fd(fd).expect("the program's fd");
                let loops = match &loaded.runtime {
                    Runtime::Jit(j) => j.unrolled_loops(),
                    Runtime::Interpreter(_) => panic!("{name}: not compiled"),
                };
                unrolled.push((name.to_string(), trust, loops));
            }
            let r = p
                .prog_test_run(&TestRunRequest {
                    prog_fd: fd,
                    data_in: pkt.clone(),
                    repeat: 1,
                    engine,
                    ..Default::default()
                })
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            if let Some(want) = expected(name, &pkt) {
                assert_eq!(r.retval, want, "{name} on {engine:?} (trusting: {trust})");
            }
        }
    }
    // The packet loops and the array lookups run unrolled in both JIT
    // modes.
    for name in ["sum_bytes", "csum", "array_lookups"] {
        for trust in [false, true] {
            let n = unrolled.iter().find(|u| u.0 == name && u.1 == trust).map(|u| u.2);
            assert!(n.is_some_and(|n| n >= 1), "{name} trusting {trust}: {unrolled:?}");
        }
    }
}
