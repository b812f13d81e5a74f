//! Config::jit_trust_verifier: loads and stores the full verifier proved
//! in bounds are compiled without checks. The results must not change
//! (the kernel's answers for examples/tc_port_filter and the C examples),
//! and the images must shrink.

mod common;

use common::engines::{run, On};
use common::fixtures::examples;

use userbpf::isa::source::read_program;
use userbpf::obj::{LoadOptions, LoadedObject, Object};
use userbpf::prog::Runtime;
use userbpf::runtime::Engine;
use userbpf::uapi::types::prog_type;
use userbpf::{Bpf, Config, Creds, ProgLoadRequest, TestRunRequest};

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
        if trust {
            // Context and packet accesses use their region's fixed base:
            // no region lookup from the address (`shr rdx,20h`) is left.
            let listing = j.disassemble();
            assert!(!listing.contains("shr rdx,20h"), "{listing}");
        }
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
    println!(
        "tc_port_filter image: {} bytes checked, {} bytes with proofs",
        lens[0], lens[1]
    );
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

/// An image whose proofs name the packet region or a map, run on guest
/// memory without them, stops with a fault instead of touching host memory
/// through a missing base.
#[test]
fn proofs_naming_missing_regions_fault_cleanly() {
    use userbpf::exec::{
        AccessProof, AlignedBuf, Fault, GuestMemory, HelperTable, JitOptions, JitProgram, Program, RegionKind,
        RunOptions,
    };
    use userbpf::isa::Insn;
    // r0 = *(u8 *)(r1 + 0); exit
    let prog = Program::new(vec![Insn::new(0x71, 0, 1, 0, 0), Insn::new(0x95, 0, 0, 0, 0)]).unwrap();
    for proof in [AccessProof::Packet, AccessProof::Context, AccessProof::Map(0)] {
        // SAFETY: the run below lacks the region the proof names, which the
        // image checks before running: nothing is accessed.
        let image =
            unsafe { JitProgram::compile_with_proofs(&prog, JitOptions::default(), &[proof, AccessProof::None]) }
                .unwrap();
        let mut buf = AlignedBuf::from_bytes(&[7; 16]);
        let mut mem = GuestMemory::new();
        let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
        let helpers = HelperTable::new();
        let err = run(On::Jit(&image), &helpers, &mut mem, &[addr, 16], &RunOptions::default()).unwrap_err();
        assert!(matches!(err.fault, Fault::Unsupported { .. }), "{proof:?}: {err:?}");
    }
    // With the region there, the fixed base reads the right byte.
    let image = unsafe {
        // SAFETY: the packet region below holds the byte read.
        JitProgram::compile_with_proofs(&prog, JitOptions::default(), &[AccessProof::Packet, AccessProof::None])
    }
    .unwrap();
    let mut buf = AlignedBuf::from_bytes(&[7; 16]);
    let mut mem = GuestMemory::new();
    let addr = mem.add(buf.as_mut_bytes(), RegionKind::Packet);
    let helpers = HelperTable::new();
    assert_eq!(
        run(
            On::Jit(&image),
            &helpers,
            &mut mem,
            &[addr + 3, 13],
            &RunOptions::default()
        )
        .unwrap(),
        7
    );
}

/// A packet loop with no division, atomics, LD_ABS or calls keeps the
/// packet's base in rax for the whole run: the loop's load is one
/// instruction, as the kernel's JIT emits it, and the sum is still right.
#[test]
fn packet_loops_keep_the_packet_base_in_a_register() {
    // The sum of the packet's first 1500 bytes, each load bounds-checked
    // against data_end as the kernel's verifier needs.
    let text = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, 0\nmov %r6, 0\nloop:\n\
                jge %r6, 1500, done\nmov %r4, %r2\nadd %r4, %r6\nmov %r5, %r4\nadd %r5, 1\n\
                jgt %r5, %r3, done\nldxb %r5, [%r4+0]\nadd %r0, %r5\nadd %r6, 1\nja loop\ndone:\nexit\n";
    let insns = userbpf::isa::asm::assemble(text, Some(userbpf::isa::asm::Syntax::Ubpf)).unwrap();
    let bpf = bpf(true);
    let p = bpf.process(Creds::ROOT);
    let fd = p
        .prog_load(&common::process::gpl_request(prog_type::XDP, insns))
        .result
        .unwrap();
    let prog = p.prog_by_fd(fd).unwrap();
    let Runtime::Jit(j) = &prog.runtime else {
        panic!("JIT expected")
    };
    let listing = j.disassemble();
    assert!(listing.contains("movzx r10d,byte ptr [r9+rax]"), "{listing}");
    // The sum of 1500 bytes i * 7 % 251, derived by hand as the bench's
    // packet: the program stops at 1500 bytes.
    let data: Vec<u8> = (0..1500u32).map(|i| (i * 7 % 251) as u8).collect();
    let want: u32 = data.iter().map(|&b| b as u32).sum();
    let out = p
        .prog_test_run(&TestRunRequest {
            prog_fd: fd,
            data_in: data,
            repeat: 5,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(out.retval, want);
}

/// Hints (the default, untrusted use of the proofs) keep every check: a
/// hint naming the wrong region, or an access past the named region's end,
/// faults as the generic check would; accesses inside it read the bytes.
#[test]
fn hints_keep_every_check() {
    use userbpf::exec::{
        AccessProof, AlignedBuf, Fault, GuestMemory, HelperTable, JitOptions, JitProgram, Program, RegionKind,
        RunOptions,
    };
    use userbpf::isa::Insn;
    let helpers = HelperTable::new();
    // r0 = *(u32 *)(r1 + 0); exit, hinted: the packet.
    let prog = Program::new(vec![Insn::new(0x61, 0, 1, 0, 0), Insn::new(0x95, 0, 0, 0, 0)]).unwrap();
    let image = JitProgram::compile_with_hints(&prog, JitOptions::default(), &[AccessProof::Packet]).unwrap();
    let load_at = |kind: RegionKind, at: u64| {
        let mut buf = AlignedBuf::from_bytes(&[1, 2, 3, 4, 5, 6, 7, 8]);
        let mut mem = GuestMemory::new();
        let addr = mem.add(buf.as_mut_bytes(), kind);
        run(
            On::Jit(&image),
            &helpers,
            &mut mem,
            &[addr + at],
            &RunOptions::default(),
        )
    };
    assert_eq!(load_at(RegionKind::Packet, 0).unwrap(), 0x0403_0201);
    assert_eq!(load_at(RegionKind::Packet, 4).unwrap(), 0x0807_0605);
    for at in [5, 8, u32::MAX as u64] {
        let e = load_at(RegionKind::Packet, at).unwrap_err();
        assert!(matches!(e.fault, Fault::Memory(_)), "{at}: {e:?}");
    }
    // The hint is wrong: the buffer is not the packet. Still a fault.
    let e = load_at(RegionKind::Memory, 0).unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(_)), "{e:?}");
    // A store hinted to a read-only region faults.
    let store = Program::new(vec![
        Insn::new(0x62, 1, 0, 0, 7),
        Insn::new(0xb7, 0, 0, 0, 0),
        Insn::new(0x95, 0, 0, 0, 0),
    ])
    .unwrap();
    let image = JitProgram::compile_with_hints(&store, JitOptions::default(), &[AccessProof::Context]).unwrap();
    let data = [0u8; 8];
    let mut mem = GuestMemory::new();
    let addr = mem.add_readonly(&data, RegionKind::Context);
    let e = run(On::Jit(&image), &helpers, &mut mem, &[addr], &RunOptions::default()).unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(_)), "{e:?}");
}
