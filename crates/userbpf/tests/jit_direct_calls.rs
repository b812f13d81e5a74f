//! Helpers the JIT calls directly, without the trampoline (exec/jit/direct.rs):
//! the environment helpers (clocks called; prandom, CPU, task ids and NUMA
//! node inline). The map helpers' direct calls are tested in
//! map_programs.rs. Expected values by
//! hand: the task ids are the calling thread's (getpid, gettid, getuid,
//! getgid), as bpf_get_current_pid_tgid / uid_gid return them for the task
//! that runs BPF_PROG_TEST_RUN.

mod common;

use common::engines::{run_bare, run_in, On};

use userbpf::isa::Insn;
use userbpf::prog::Runtime;
use userbpf::runtime::Engine;
use userbpf::uapi::types::{map_type, prog_type};
use userbpf::{MapCreateRequest, TestRunRequest};

/// Load a GPL socket filter; its fd and program.
fn load_socket_filter(p: &userbpf::Process, insns: Vec<Insn>) -> (u32, std::sync::Arc<userbpf::prog::Prog>) {
    let fd = p
        .prog_load(&common::process::gpl_request(prog_type::SOCKET_FILTER, insns))
        .result
        .unwrap();
    (fd, p.prog_by_fd(fd).unwrap())
}

#[test]
fn environment_helpers_are_called_directly_and_answer_as_the_table() {
    let (_bpf, p) = common::process::root();
    // Results go to a one-element array's 48-byte value.
    let out = p
        .map_create(&MapCreateRequest {
            map_type: map_type::ARRAY,
            key_size: 4,
            value_size: 48,
            max_entries: 1,
            ..Default::default()
        })
        .unwrap();
    let call = |id| Insn::new(0x85, 0, 0, 0, id);
    let mut insns = Vec::new();
    // r6..r9 and two stack slots collect six answers.
    for (id, dst) in [(14, 6u8), (15, 7), (42, 8), (7, 9)] {
        insns.push(call(id));
        insns.push(Insn::new(0xbf, dst, 0, 0, 0));
    }
    insns.push(call(7));
    insns.push(Insn::new(0x7b, 10, 0, -8, 0)); // *(u64 *)(r10 - 8) = second prandom
    insns.push(call(5));
    insns.push(Insn::new(0x7b, 10, 0, -16, 0)); // first ktime
    insns.push(call(5));
    insns.push(Insn::new(0x79, 1, 10, -16, 0));
    insns.push(Insn::new(0x1f, 0, 1, 0, 0)); // r0 = second - first ktime
    insns.push(Insn::new(0x18, 1, 2, 0, out as i32)); // r1 = &value (MAP_VALUE)
    insns.push(Insn::new(0, 0, 0, 0, 0));
    for (off, src) in [(0i16, 6u8), (8, 7), (16, 8), (24, 9), (40, 0)] {
        insns.push(Insn::new(0x7b, 1, src, off, 0));
    }
    insns.push(Insn::new(0x79, 2, 10, -8, 0));
    insns.push(Insn::new(0x7b, 1, 2, 32, 0));
    insns.push(Insn::new(0xb7, 0, 0, 0, 0));
    insns.push(Insn::new(0x95, 0, 0, 0, 0));
    let (fd, prog) = load_socket_filter(&p, insns);
    let Runtime::Jit(jit) = &prog.runtime else {
        panic!("the JIT is on by default")
    };
    let ids: Vec<i32> = jit.direct_call_sites().iter().map(|&(_, id)| id).collect();
    assert_eq!(
        ids,
        [14, 15, 42, 7, 7, 5, 5],
        "every environment helper called directly"
    );
    let listing = jit.disassemble();
    assert!(listing.contains("; bpf_ktime_get_ns, called directly"), "{listing}");
    // SAFETY: plain libc queries of the calling thread.
    let (pid, tid, uid, gid) = unsafe {
        (
            libc::getpid() as u64,
            libc::syscall(libc::SYS_gettid) as u64,
            libc::getuid() as u64,
            libc::getgid() as u64,
        )
    };
    for engine in [Engine::Loaded, Engine::Interpreter] {
        p.prog_test_run(&TestRunRequest {
            prog_fd: fd,
            data_in: vec![0; 64],
            engine,
            ..Default::default()
        })
        .unwrap();
        let v = p.map_lookup(out, &0u32.to_le_bytes(), 48, 0).unwrap();
        let word = |i: usize| u64::from_le_bytes(v[i * 8..i * 8 + 8].try_into().unwrap());
        assert_eq!(word(0), pid << 32 | tid, "{engine:?}: tgid << 32 | pid");
        assert_eq!(word(1), gid << 32 | uid, "{engine:?}: gid << 32 | uid");
        assert_eq!(word(2), 0, "{engine:?}: one NUMA node");
        assert!(
            word(3) <= u32::MAX as u64 && word(4) <= u32::MAX as u64,
            "{engine:?}: 32-bit randoms"
        );
        assert_ne!(word(3), word(4), "{engine:?}: two draws differ");
        assert!(word(5) < 1 << 63, "{engine:?}: the clock never goes back");
    }
    // Another helper table (here an empty one): the direct calls are off
    // and the image reports what the interpreter does.
    let helpers = userbpf::exec::HelperTable::new();
    let program = userbpf::exec::Program::new(prog.xlated.clone()).unwrap();
    let opts = userbpf::exec::RunOptions::default();
    let want = run_bare(On::Interpreter(&program), &helpers, &opts);
    let got = run_bare(On::Jit(jit), &helpers, &opts);
    assert!(want.is_err(), "{want:?}");
    assert_eq!(got, want);
}

/// The inlined environment helpers (prandom's generator, the CPU, the task
/// ids, the NUMA node) give what the helper table gives, on the same
/// environment: the JIT image and the interpreter run from the same
/// prandom state, CPU and task. The first draw is also derived by hand
/// from helpers::run::time's xorshift64* (state 12345).
#[test]
fn inlined_environment_helpers_match_the_table() {
    use std::cell::Cell;
    use userbpf::exec::STACK_SIZE;
    use userbpf::exec::{GuestMemory, Program, RunOptions};
    use userbpf::runtime::{RunEnv, Task};
    let (_bpf, p) = common::process::root();
    let call = |id| Insn::new(0x85, 0, 0, 0, id);
    // r0 = f(prandom, prandom, cpu, pid_tgid, uid_gid, numa): each answer
    // shifted in, so any difference shows.
    let mut insns = vec![Insn::new(0xb7, 6, 0, 0, 0)];
    for id in [7, 7, 8, 14, 15, 42] {
        insns.push(call(id));
        insns.push(Insn::new(0x27, 6, 0, 0, 31)); // r6 *= 31
        insns.push(Insn::new(0x0f, 6, 0, 0, 0)); // r6 += r0
    }
    insns.push(Insn::new(0xbf, 0, 6, 0, 0));
    insns.push(Insn::new(0x95, 0, 0, 0, 0));
    let (_, prog) = load_socket_filter(&p, insns);
    let Runtime::Jit(jit) = &prog.runtime else {
        panic!("the JIT is on by default")
    };
    assert_eq!(jit.direct_call_sites().len(), 6);
    let helpers = userbpf::runtime::kernel_helpers();
    let env = |seed| RunEnv {
        cpu: 3,
        prandom: Cell::new(seed),
        task: Task {
            pid: 0x1111,
            tgid: 0x2222,
            uid: 0x3333,
            gid: 0x4444,
            comm: [0; 16],
        },
        ..Default::default()
    };
    let program = Program::new(prog.xlated.clone()).unwrap();
    let opts = RunOptions::default();
    for seed in [0, 1, 12345, u64::MAX] {
        let (mut gm, e) = (GuestMemory::new(), env(seed));
        let fp = gm.stack_top(STACK_SIZE);
        let want = run_in(On::Interpreter(&program), helpers, &mut gm, &e, fp, &[], &opts).unwrap();
        let want_state = e.prandom.get();
        let (mut gm, e) = (GuestMemory::new(), env(seed));
        let fp = gm.stack_top(STACK_SIZE);
        let got = run_in(On::Jit(jit), helpers, &mut gm, &e, fp, &[], &opts).unwrap();
        assert_eq!(got, want, "seed {seed}");
        assert_eq!(e.prandom.get(), want_state, "seed {seed}: the generator's state");
    }
    // By hand: x = 12345; x ^= x >> 12 (x >> 12 = 3): 12346; x ^= x << 25;
    // x ^= x >> 27; r0 = (x * 0x2545f4914f6cdd1d) >> 32, as u32.
    let mut x: u64 = 12345 ^ 3;
    x ^= x << 25;
    x ^= x >> 27;
    let first = (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32 as u64;
    let one = [Insn::new(0x85, 0, 0, 0, 7), Insn::new(0x95, 0, 0, 0, 0)];
    let (_, prog) = load_socket_filter(&p, one.to_vec());
    let Runtime::Jit(jit) = &prog.runtime else {
        panic!("the JIT is on by default")
    };
    let (mut gm, e) = (GuestMemory::new(), env(12345));
    let fp = gm.stack_top(STACK_SIZE);
    assert_eq!(
        run_in(On::Jit(jit), helpers, &mut gm, &e, fp, &[], &opts).unwrap(),
        first
    );
}
