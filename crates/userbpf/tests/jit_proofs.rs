//! Config::jit_trust_verifier: loads and stores the full verifier proved
//! in bounds are compiled without checks. The results must not change
//! (the kernel's answers for examples/tc_port_filter and the C examples),
//! and the images must shrink.

use userbpf::isa::source::read_program;
use userbpf::obj::{LoadOptions, LoadedObject, Object};
use userbpf::prog::Runtime;
use userbpf::runtime::Engine;
use userbpf::uapi::types::prog_type;
use userbpf::{Bpf, Config, Creds, ProgLoadRequest, TestRunRequest};

fn examples(path: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples")).join(path)
}

fn bpf(trust: bool) -> Bpf {
    Bpf::new(Config {
        jit_trust_verifier: trust,
        ..Config::default()
    })
}

#[test]
fn proven_accesses_give_the_same_answers_with_a_smaller_image() {
    let insns = read_program(&examples("tc_port_filter/filter.s")).unwrap();
    let mut lens = Vec::new();
    for trust in [false, true] {
        let bpf = bpf(trust);
        let p = bpf.process(Creds::ROOT);
        let fd = p
            .prog_load(&ProgLoadRequest {
                prog_type: prog_type::SCHED_CLS,
                insns: insns.clone(),
                ..Default::default()
            })
            .result
            .unwrap();
        let prog = p.prog_by_fd(fd).unwrap();
        let Runtime::Jit(j) = &prog.runtime else {
            panic!("JIT expected")
        };
        lens.push(j.len());
        // The kernel: TC_ACT_OK for https.bin, TC_ACT_SHOT for ssh.bin.
        for (frame, want) in [("tc_port_filter/https.bin", 0), ("tc_port_filter/ssh.bin", 2)] {
            let data = std::fs::read(examples(frame)).unwrap();
            let out = p
                .prog_test_run(&TestRunRequest {
                    prog_fd: fd,
                    data_in: data.clone(),
                    repeat: 3,
                    engine: Engine::Jit,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(out.retval, want, "{frame} (trust {trust})");
            assert_eq!(out.data_out, data);
        }
    }
    assert!(lens[1] < lens[0], "proven accesses drop their checks: {lens:?}");
}

#[test]
fn the_c_examples_run_the_same_with_proofs() {
    // Maps, packet writes (tc_rewrite) and ring buffer records with every
    // proven access unchecked: same retval and data_out as with checks.
    for (obj, prog, frame) in [
        ("tc_rewrite/prog.o", "rewrite", "tc_port_filter/https.bin"),
        ("proto_counter/prog.o", "count_protocols", "tc_port_filter/ssh.bin"),
        ("ringbuf_events/prog.o", "report", "tc_port_filter/https.bin"),
    ] {
        let data = std::fs::read(examples(obj)).unwrap();
        let object = Object::parse("example", &data).unwrap();
        let frame = std::fs::read(examples(frame)).unwrap();
        let mut outs = Vec::new();
        for trust in [false, true] {
            let bpf = bpf(trust);
            let p = bpf.process(Creds::ROOT);
            let loaded = LoadedObject::load_all(&p, &object, &LoadOptions::default()).unwrap();
            let out = p
                .prog_test_run(&TestRunRequest {
                    prog_fd: loaded.prog_fd(prog).unwrap(),
                    data_in: frame.clone(),
                    engine: Engine::Jit,
                    ..Default::default()
                })
                .unwrap();
            outs.push((out.retval, out.data_out));
        }
        assert_eq!(outs[0], outs[1], "{obj}");
    }
}
