//! Interpreter behaviour the conformance suite does not cover: faults,
//! call depth, budgets, legacy packet loads, may_goto, helpers. Expected
//! values are hand-derived from RFC 9669 and the kernel's semantics.

use userbpf::exec::{
    AccessFault, AlignedBuf, ExecError, Executor, Fault, GuestMemory, HelperExit, HelperTable, Interpreter,
    LdAbsPacket, Program, RegionKind, RunOptions,
};
use userbpf::isa::Insn;

const EXIT: Insn = Insn::new(0x95, 0, 0, 0, 0);

fn mov64(dst: u8, imm: i32) -> Insn {
    Insn::new(0xb7, dst, 0, 0, imm)
}

fn run_with(slots: Vec<Insn>, mem: &mut GuestMemory<'_>, args: &[u64], opts: &RunOptions) -> Result<u64, ExecError> {
    let prog = Program::new(slots).expect("well-formed program");
    let helpers = HelperTable::conformance();
    Interpreter::new(&prog, &helpers).run(mem, args, opts)
}

fn run(slots: Vec<Insn>) -> Result<u64, ExecError> {
    run_with(slots, &mut GuestMemory::new(), &[], &RunOptions::default())
}

#[test]
fn out_of_bounds_load_faults_naming_the_instruction() {
    let mut buf = AlignedBuf::zeroed(8);
    let mut mem = GuestMemory::new();
    let p = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
    // r0 = *(u64 *)(r1 + 4): bytes 4..12 of an 8-byte region.
    let e = run_with(
        vec![mov64(0, 0), Insn::new(0x79, 0, 1, 4, 0), EXIT],
        &mut mem,
        &[p],
        &RunOptions::default(),
    )
    .unwrap_err();
    assert_eq!(e.pc, 1);
    assert!(
        matches!(e.fault, Fault::Memory(AccessFault::OutOfBounds { len: 8, .. })),
        "{e}"
    );
}

#[test]
fn null_and_scalar_pointers_fault() {
    // *(u8 *)(r1 + 0) with r1 = 0.
    let e = run(vec![Insn::new(0x71, 0, 1, 0, 0), EXIT]).unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(AccessFault::Unmapped { addr: 0, .. })));
    // Writing below the stack: r10 - 4097 is outside the 4096-byte stack.
    let e = run(vec![Insn::new(0x72, 10, 0, -4097, 1), EXIT]).unwrap_err();
    assert_eq!(e.pc, 0);
    assert!(matches!(e.fault, Fault::Memory(_)));
}

#[test]
fn misaligned_atomic_faults_but_plain_access_does_not() {
    // Plain unaligned 8-byte store/load at r10-12 is fine (x86 semantics).
    let prog = vec![Insn::new(0x7a, 10, 0, -12, 7), Insn::new(0x79, 0, 10, -12, 0), EXIT];
    assert_eq!(run(prog).unwrap(), 7);
    // lock *(u64 *)(r10 -12) += r1
    let e = run(vec![mov64(1, 1), Insn::new(0xdb, 10, 1, -12, 0), EXIT]).unwrap_err();
    assert_eq!(e.pc, 1);
    assert!(matches!(e.fault, Fault::Memory(AccessFault::Misaligned { len: 8, .. })));
}

#[test]
fn jump_into_ld_imm64_tail_is_a_clean_fault() {
    // goto +1 lands on the second slot of the ld_imm64 (code 0).
    let prog = vec![
        Insn::new(0x05, 0, 0, 1, 0),
        Insn::new(0x18, 0, 0, 0, 1),
        Insn::new(0, 0, 0, 0, 0),
        EXIT,
    ];
    let e = run(prog).unwrap_err();
    assert_eq!(e.pc, 2);
    assert!(matches!(e.fault, Fault::InvalidInstruction { code: 0 }));
}

#[test]
fn jumps_out_of_the_program_fault() {
    let e = run(vec![Insn::new(0x05, 0, 0, 5, 0), EXIT]).unwrap_err();
    assert!(matches!(e.fault, Fault::JumpOutOfRange { target: 6, len: 2 }));
    // Falling off the end.
    let e = run(vec![mov64(0, 1)]).unwrap_err();
    assert!(matches!(e.fault, Fault::JumpOutOfRange { target: 1, .. }));
}

/// A chain of `n` nested bpf-to-bpf calls: each function calls the next,
/// the last returns 42.
fn call_chain(n: usize) -> Vec<Insn> {
    let mut p = Vec::new();
    for _ in 0..n - 1 {
        // call pc+1 (skips the exit), then exit with callee's r0.
        p.push(Insn::new(0x85, 0, 1, 0, 1));
        p.push(EXIT);
    }
    p.push(mov64(0, 42));
    p.push(EXIT);
    p
}

#[test]
fn eight_frames_are_allowed_nine_are_not() {
    assert_eq!(run(call_chain(8)).unwrap(), 42);
    let e = run(call_chain(9)).unwrap_err();
    assert_eq!(e.fault, Fault::CallDepth);
    assert_eq!(e.pc, 14);
}

#[test]
fn each_frame_has_its_own_stack_and_callee_saved_registers() {
    // main: *(r10-8) = 1; r6 = 6; call f; r0 = *(r10-8) + r6 (expect 1 + 6)
    // f:    *(r10-8) = 100; r6 = 0; exit
    let prog = vec![
        Insn::new(0x7a, 10, 0, -8, 1),
        mov64(6, 6),
        Insn::new(0x85, 0, 1, 0, 3),
        Insn::new(0x79, 0, 10, -8, 0),
        Insn::new(0x0f, 0, 6, 0, 0),
        EXIT,
        Insn::new(0x7a, 10, 0, -8, 100),
        mov64(6, 0),
        EXIT,
    ];
    assert_eq!(run(prog).unwrap(), 7);
}

#[test]
fn budget_stops_an_infinite_loop() {
    let prog = vec![Insn::new(0x05, 0, 0, -1, 0), EXIT];
    let opts = RunOptions {
        budget: Some(1000),
        packet: None,
    };
    let e = run_with(prog, &mut GuestMemory::new(), &[], &opts).unwrap_err();
    assert_eq!(e.fault, Fault::BudgetExhausted { budget: 1000 });
}

#[test]
fn may_goto_exits_a_loop_after_the_kernel_budget() {
    // r0 = 0; loop: may_goto +2; r0 += 1; goto loop; exit
    let prog = vec![
        mov64(0, 0),
        Insn::new(0xe5, 0, 0, 2, 0),
        Insn::new(0x07, 0, 0, 0, 1),
        Insn::new(0x05, 0, 0, -3, 0),
        EXIT,
    ];
    // BPF_MAX_LOOPS = 8 * 1024 * 1024 iterations before the jump is taken.
    assert_eq!(run(prog).unwrap(), 8 * 1024 * 1024);
}

#[test]
fn ld_abs_and_ld_ind_read_network_order_and_exit_zero_out_of_packet() {
    let packet = [0x12u8, 0x34, 0x56, 0x78, 0x9a];
    let mut mem = GuestMemory::new();
    let p = mem.add_readonly(&packet, RegionKind::Packet);
    let opts = RunOptions {
        budget: None,
        packet: Some(LdAbsPacket::linear(p, 5)),
    };
    // r0 = ntohs(*(u16 *)(pkt + 1))
    let r = run_with(vec![Insn::new(0x28, 0, 0, 0, 1), EXIT], &mut mem, &[], &opts).unwrap();
    assert_eq!(r, 0x3456);
    // r6 = 1; r0 = ntohl(*(u32 *)(pkt + r6 + 0))
    let r = run_with(
        vec![mov64(6, 1), Insn::new(0x40, 0, 6, 0, 0), EXIT],
        &mut mem,
        &[],
        &opts,
    )
    .unwrap();
    assert_eq!(r, 0x3456789a);
    // Out of the packet: the program ends with r0 = 0, not a fault.
    let r = run_with(
        vec![mov64(0, 9), Insn::new(0x30, 0, 0, 0, 5), mov64(0, 9), EXIT],
        &mut mem,
        &[],
        &opts,
    )
    .unwrap();
    assert_eq!(r, 0);
}

#[test]
fn helpers_get_r1_to_r5_and_can_end_the_program() {
    let mut helpers = HelperTable::new();
    helpers.register(1, "sum", |_, a| Ok(a.iter().sum()));
    helpers.register(2, "stop", |_, a| Err(HelperExit::Exit(a[0] * 2)));
    let prog = Program::new(vec![
        mov64(1, 1),
        mov64(2, 2),
        mov64(3, 3),
        mov64(4, 4),
        mov64(5, 5),
        Insn::new(0x85, 0, 0, 0, 1),
        Insn::new(0xbf, 1, 0, 0, 0),
        Insn::new(0x85, 0, 0, 0, 2),
        mov64(0, -1),
        EXIT,
    ])
    .unwrap();
    let r = Interpreter::new(&prog, &helpers)
        .run(&mut GuestMemory::new(), &[], &RunOptions::default())
        .unwrap();
    assert_eq!(r, 30);
    // An unregistered helper is a fault, not a panic.
    let prog = Program::new(vec![Insn::new(0x85, 0, 0, 0, 77), EXIT]).unwrap();
    let e = Interpreter::new(&prog, &helpers)
        .run(&mut GuestMemory::new(), &[], &RunOptions::default())
        .unwrap_err();
    assert_eq!(e.fault, Fault::UnknownHelper { id: 77 });
}

#[test]
fn read_only_regions_refuse_stores() {
    let data = [0u8; 4];
    let mut mem = GuestMemory::new();
    let p = mem.add_readonly(&data, RegionKind::Context);
    let e = run_with(
        vec![Insn::new(0x62, 1, 0, 0, 1), EXIT],
        &mut mem,
        &[p],
        &RunOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(AccessFault::ReadOnly { .. })));
}

#[test]
fn atomics_32_bit_zero_extend_fetched_values() {
    // *(u32 *)(r10-8) = 0xffffffff; r1 = 1; r1 = atomic_fetch_add(r10-8, r1)
    // r1 gets the old 0xffffffff zero-extended; memory wraps to 0.
    let prog = vec![
        Insn::new(0x62, 10, 0, -8, -1),
        mov64(1, 1),
        Insn::new(0xc3, 10, 1, -8, 0x01),
        Insn::new(0x61, 2, 10, -8, 0),
        Insn::new(0xbf, 0, 1, 0, 0),
        Insn::new(0x0f, 0, 2, 0, 0),
        EXIT,
    ];
    assert_eq!(run(prog).unwrap(), 0xffff_ffff);
}
