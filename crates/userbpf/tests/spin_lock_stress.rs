//! bpf_spin_lock under contention: programs on several threads increment
//! two fields of one map value under the value's lock (a non-atomic
//! load/add/store each), while user space reads the value with BPF_F_LOCK.
//! Every increment must survive, on both engines, and every locked read
//! must see both fields equal (the lock excludes user space too).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use userbpf::isa::opcode::{BPF_PSEUDO_MAP_FD, LD_IMM64};
use userbpf::isa::Insn;
use userbpf::runtime::Engine;
use userbpf::uapi::types::{elem_flags, map_type, prog_type};
use userbpf::{Bpf, Config, Creds, MapCreateRequest, TestRunRequest};

const THREADS: u32 = 4;
const RUNS: u32 = 20_000;

/// BTF: [1] int, [2] struct bpf_spin_lock { int val; },
/// [3] struct v { struct bpf_spin_lock l; int x; int y; } (12 bytes).
fn btf() -> Vec<u8> {
    common::btf::spin_lock_value(&["x", "y"])
}

/// key 0; v = lookup; if !v return 0; lock(&v->l); v->x++; v->y++;
/// unlock(&v->l); return 1.
fn program(map_fd: u32) -> Vec<Insn> {
    let i = Insn::new;
    vec![
        i(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
        i(0xbf, 2, 10, 0, 0),  // r2 = r10
        i(0x07, 2, 0, 0, -4),  // r2 += -4
        i(LD_IMM64, 1, BPF_PSEUDO_MAP_FD, 0, map_fd as i32),
        i(0, 0, 0, 0, 0),
        i(0x85, 0, 0, 0, 1),  // call bpf_map_lookup_elem
        i(0x55, 0, 0, 2, 0),  // if r0 != 0 goto +2
        i(0xb7, 0, 0, 0, 0),  // r0 = 0
        i(0x95, 0, 0, 0, 0),  // exit
        i(0xbf, 6, 0, 0, 0),  // r6 = r0
        i(0xbf, 1, 6, 0, 0),  // r1 = r6
        i(0x85, 0, 0, 0, 93), // bpf_spin_lock(&v->l)
        i(0x61, 2, 6, 4, 0),  // r2 = v->x
        i(0x07, 2, 0, 0, 1),
        i(0x63, 6, 2, 4, 0), // v->x = r2 + 1
        i(0x61, 2, 6, 8, 0), // r2 = v->y
        i(0x07, 2, 0, 0, 1),
        i(0x63, 6, 2, 8, 0), // v->y = r2 + 1
        i(0xbf, 1, 6, 0, 0),
        i(0x85, 0, 0, 0, 94), // bpf_spin_unlock(&v->l)
        i(0xb7, 0, 0, 0, 1),
        i(0x95, 0, 0, 0, 0),
    ]
}

/// A one-element map of `map_type` whose value is [`btf`]'s struct v.
fn lock_map(p: &userbpf::Process, map_type: u32) -> u32 {
    let btf = p.btf_load(&btf()).expect("BTF");
    let map = p
        .map_create(&MapCreateRequest {
            map_type,
            key_size: 4,
            value_size: 12,
            max_entries: 1,
            btf_fd: btf,
            btf_key_type_id: 1,
            btf_value_type_id: 3,
            ..Default::default()
        })
        .expect("map with a lock");
    p.close(btf).expect("close BTF");
    map
}

fn contended_increments(engine: Engine, map_type: u32) {
    let bpf = Bpf::new(Config::default());
    let p = Arc::new(bpf.process(Creds::ROOT));
    let map = lock_map(&p, map_type);
    p.map_update(map, &0u32.to_le_bytes(), &[0; 12], elem_flags::ANY)
        .expect("element 0");
    let out = p.prog_load(&common::process::gpl_request(prog_type::SCHED_CLS, program(map)));
    let prog = out.result.unwrap_or_else(|e| panic!("load: {e:?}\n{}", out.log));
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (p, done) = (Arc::clone(&p), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut reads = 0u64;
            let mut last = 0u32;
            while !done.load(Ordering::Acquire) {
                let v = p
                    .map_lookup(map, &0u32.to_le_bytes(), 12, elem_flags::LOCK)
                    .expect("locked lookup");
                let x = u32::from_le_bytes(v[4..8].try_into().unwrap());
                let y = u32::from_le_bytes(v[8..12].try_into().unwrap());
                assert_eq!(x, y, "a BPF_F_LOCK read saw a half-done update");
                assert!(x >= last, "the counter went backwards");
                assert_eq!(&v[..4], &[0; 4], "the lock word reads as zero");
                last = x;
                reads += 1;
            }
            reads
        })
    };
    let packet = {
        let mut pkt = vec![0u8; 54];
        pkt[12..14].copy_from_slice(&[0x08, 0x00]);
        pkt[14] = 0x45;
        pkt
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (p, packet) = (Arc::clone(&p), packet.clone());
            std::thread::spawn(move || {
                let r = p
                    .prog_test_run(&TestRunRequest {
                        prog_fd: prog,
                        data_in: packet,
                        repeat: RUNS,
                        engine,
                        ..Default::default()
                    })
                    .expect("test run");
                assert_eq!(r.retval, 1);
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    done.store(true, Ordering::Release);
    let reads = reader.join().expect("reader");
    let v = p.map_lookup(map, &0u32.to_le_bytes(), 12, 0).expect("lookup");
    let total = THREADS * RUNS;
    assert_eq!(
        u32::from_le_bytes(v[4..8].try_into().unwrap()),
        total,
        "lost increments of x"
    );
    assert_eq!(
        u32::from_le_bytes(v[8..12].try_into().unwrap()),
        total,
        "lost increments of y"
    );
    assert!(reads > 0);
}

#[test]
fn array_value_lock_on_the_jit() {
    contended_increments(Engine::Jit, map_type::ARRAY);
}

#[test]
fn array_value_lock_on_the_interpreter() {
    contended_increments(Engine::Interpreter, map_type::ARRAY);
}

#[test]
fn hash_value_lock_on_the_jit() {
    contended_increments(Engine::Jit, map_type::HASH);
}

/// A program loaded with `VerifierMode::Structural` (the full verifier
/// would refuse it) can't hang or keep a lock: a second bpf_spin_lock and
/// an exit while holding the lock stop the run, and the lock is free
/// afterwards.
#[test]
fn unverified_lock_misuse_stops_the_run() {
    let (_bpf, p) = common::process::root_with(Config {
        verifier: userbpf::verifier::VerifierMode::Structural,
        ..Config::default()
    });
    let map = lock_map(&p, map_type::ARRAY);
    let full = program(map);
    // Lock twice: the unlock (insn 18..19) becomes a second lock.
    let mut twice = full.clone();
    twice[19] = Insn::new(0x85, 0, 0, 0, 93);
    // Exit holding the lock: the unlock becomes a no-op.
    let mut held = full.clone();
    held[19] = Insn::new(0xb7, 1, 0, 0, 0);
    for insns in [twice, held] {
        let fd = p
            .prog_load(&common::process::gpl_request(prog_type::SCHED_CLS, insns))
            .result
            .expect("the structural check lets it through");
        let mut pkt = vec![0u8; 54];
        pkt[12] = 0x08;
        pkt[14] = 0x45;
        let r = p.prog_test_run(&TestRunRequest {
            prog_fd: fd,
            data_in: pkt,
            ..Default::default()
        });
        assert!(r.is_err(), "{r:?}");
        // The lock word is free again: a locked lookup doesn't spin.
        p.map_lookup(map, &0u32.to_le_bytes(), 12, elem_flags::LOCK).unwrap();
    }
}
