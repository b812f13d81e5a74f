//! The JIT beside the interpreter on the behaviour the conformance suite
//! does not cover (faults, frames, budgets, packets, helpers, atomics): each
//! case runs on both engines, which must agree on r0 or the error and on
//! memory, and the agreed value is checked against the hand-derived one.
//! Then what only the JIT has: code size per instruction, disassembly,
//! blinding, runtime selection.

use userbpf::exec::{
    AccessFault, AlignedBuf, ExecError, Executor, Fault, GuestMemory, HelperExit, HelperTable, Interpreter, Jit,
    JitOptions, JitProgram, LdAbsPacket, Program, RegionKind, RunOptions,
};
use userbpf::isa::{decode, Insn};
use userbpf::prog::Runtime;
use userbpf::runtime::select::{select_runtime, RuntimePolicy};

const EXIT: Insn = Insn::new(0x95, 0, 0, 0, 0);

fn mov64(dst: u8, imm: i32) -> Insn {
    Insn::new(0xb7, dst, 0, 0, imm)
}

/// `dst = v` (ld_imm64, two slots).
fn lddw(dst: u8, v: u64) -> [Insn; 2] {
    [
        Insn::new(0x18, dst, 0, 0, v as u32 as i32),
        Insn::new(0, 0, 0, 0, (v >> 32) as i32),
    ]
}

/// Run on both engines, each over its own copy of `buf` (r1 = its address,
/// r2 = its length, mapped read-only when `readonly`), and insist they
/// agree; returns the result and the buffer afterwards.
fn both_with(
    slots: &[Insn],
    buf: &[u8],
    readonly: bool,
    opts: &RunOptions,
    helpers: &HelperTable,
) -> (Result<u64, ExecError>, Vec<u8>) {
    let prog = Program::new(slots.to_vec()).expect("well-formed program");
    let jit = JitProgram::compile(
        &prog,
        JitOptions {
            meter: opts.budget.is_some(),
            blind: false,
        },
    )
    .expect("compiles");
    let mut outcomes = Vec::new();
    for use_jit in [false, true] {
        let mut data = AlignedBuf::from_bytes(buf);
        let mut mem = GuestMemory::new();
        let result = {
            let p = if buf.is_empty() {
                0
            } else if readonly {
                mem.add_readonly(data.as_bytes(), RegionKind::Packet)
            } else {
                mem.add(data.as_mut_bytes(), RegionKind::Memory)
            };
            let mut opts = opts.clone();
            // The packet's data is an offset into `buf` here.
            if let Some(pk) = opts.packet {
                opts.packet = Some(LdAbsPacket {
                    data: p + pk.data,
                    ..pk
                });
            }
            let args = [p, buf.len() as u64];
            if use_jit {
                Jit::new(&jit, helpers).run(&mut mem, &args, &opts)
            } else {
                Interpreter::new(&prog, helpers).run(&mut mem, &args, &opts)
            }
        };
        drop(mem);
        outcomes.push((result, data.as_bytes().to_vec()));
    }
    let jit_outcome = outcomes.pop().unwrap();
    let interp_outcome = outcomes.pop().unwrap();
    assert_eq!(
        jit_outcome, interp_outcome,
        "JIT (left) and interpreter (right) disagree"
    );
    jit_outcome
}

fn both(slots: &[Insn]) -> Result<u64, ExecError> {
    both_with(slots, &[], false, &RunOptions::default(), &HelperTable::conformance()).0
}

fn both_mem(slots: &[Insn], buf: &[u8]) -> (Result<u64, ExecError>, Vec<u8>) {
    both_with(slots, buf, false, &RunOptions::default(), &HelperTable::conformance())
}

#[test]
fn memory_faults_name_the_instruction_and_the_access() {
    // r0 = *(u64 *)(r1 + 4): bytes 4..12 of an 8-byte region.
    let e = both_mem(&[mov64(0, 0), Insn::new(0x79, 0, 1, 4, 0), EXIT], &[0; 8])
        .0
        .unwrap_err();
    assert_eq!(e.pc, 1);
    assert!(
        matches!(e.fault, Fault::Memory(AccessFault::OutOfBounds { len: 8, .. })),
        "{e}"
    );
    // NULL, below the stack, a scalar with a region-like high half.
    let e = both(&[Insn::new(0x71, 0, 1, 0, 0), EXIT]).unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(AccessFault::Unmapped { addr: 0, .. })));
    let e = both(&[Insn::new(0x72, 10, 0, -4097, 1), EXIT]).unwrap_err();
    assert!(
        matches!(e.fault, Fault::Memory(AccessFault::Unmapped { addr: 0xffff_ffff, .. })),
        "{e}"
    );
    let e = both(&[Insn::new(0x72, 10, 0, 0, 1), EXIT]).unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(AccessFault::OutOfBounds { .. })), "{e}");
    let e = both(&[
        Insn::new(0x18, 1, 0, 0, 0),
        Insn::new(0, 0, 0, 0, 9),
        Insn::new(0x61, 0, 1, 0, 0),
        EXIT,
    ])
    .unwrap_err();
    assert_eq!(e.pc, 2);
    assert!(matches!(e.fault, Fault::Memory(AccessFault::Unmapped { .. })));
    // Read-only regions refuse stores, and the store leaves no trace.
    let (r, after) = both_with(
        &[Insn::new(0x62, 1, 0, 0, 1), EXIT],
        &[5; 4],
        true,
        &RunOptions::default(),
        &HelperTable::new(),
    );
    assert!(matches!(
        r.unwrap_err().fault,
        Fault::Memory(AccessFault::ReadOnly { .. })
    ));
    assert_eq!(after, [5; 4]);
}

#[test]
fn stores_and_loads_of_every_size_and_sign() {
    let buf: Vec<u8> = (0x80..0x90).collect();
    let prog = [
        Insn::new(0x91, 3, 1, 0, 0),   // r3 = *(s8 *)(r1 + 0)
        Insn::new(0x89, 4, 1, 2, 0),   // r4 = *(s16 *)(r1 + 2)
        Insn::new(0x81, 5, 1, 4, 0),   // r5 = *(s32 *)(r1 + 4)
        Insn::new(0x7b, 1, 3, 8, 0),   // *(u64 *)(r1 + 8) = r3
        Insn::new(0x6b, 1, 4, 0, 0),   // *(u16 *)(r1 + 0) = r4
        Insn::new(0x72, 1, 0, 15, -2), // *(u8 *)(r1 + 15) = 0xfe
        Insn::new(0x0f, 3, 4, 0, 0),
        Insn::new(0x0f, 3, 5, 0, 0),
        Insn::new(0xbf, 0, 3, 0, 0),
        EXIT,
    ];
    let (r, after) = both_mem(&prog, &buf);
    let want = (0x80u8 as i8 as i64 + 0x8382u16 as i16 as i64 + 0x87868584u32 as i32 as i64) as u64;
    assert_eq!(r.unwrap(), want);
    assert_eq!(&after[8..15], &[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(after[15], 0xfe);
}

#[test]
fn misaligned_atomics_fault_but_plain_accesses_do_not() {
    assert_eq!(
        both(&[Insn::new(0x7a, 10, 0, -12, 7), Insn::new(0x79, 0, 10, -12, 0), EXIT]).unwrap(),
        7
    );
    let e = both(&[mov64(1, 1), Insn::new(0xdb, 10, 1, -12, 0), EXIT]).unwrap_err();
    assert_eq!(e.pc, 1);
    assert!(matches!(e.fault, Fault::Memory(AccessFault::Misaligned { len: 8, .. })));
    // Through a non-stack pointer too.
    let e = both_mem(&[mov64(2, 1), Insn::new(0xc3, 1, 2, 2, 0), EXIT], &[0; 8])
        .0
        .unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(AccessFault::Misaligned { len: 4, .. })));
}

#[test]
fn every_atomic_op_agrees() {
    // For each op and width: mem = 0xf0f0..; r1 = 0x0ff0..; r0 = 0xf0f0..
    // (cmpxchg's expected value); apply; return r0 ^ r1 ^ mem.
    for size in [0xc3u8, 0xdb] {
        for imm in [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1] {
            let prog = [
                Insn::new(0x18, 2, 0, 0, 0xf0f0_f0f0u32 as i32),
                Insn::new(0, 0, 0, 0, 0x1234_5678),
                Insn::new(0x7b, 10, 2, -8, 0),
                Insn::new(0x18, 1, 0, 0, 0x0ff0_0ff0),
                Insn::new(0, 0, 0, 0, 0x0f0f_0f0f),
                Insn::new(0xbf, 0, 2, 0, 0),
                Insn::new(size, 10, 1, -8, imm),
                Insn::new(0x79, 3, 10, -8, 0),
                Insn::new(0xaf, 0, 1, 0, 0),
                Insn::new(0xaf, 0, 3, 0, 0),
                EXIT,
            ];
            both(&prog).unwrap();
            // The same through the buffer pointer (general path).
            let mut p = prog.to_vec();
            p[2].dst = 1;
            p[2].off = 0;
            p[2] = Insn::new(0x7b, 4, 2, 0, 0);
            p.insert(0, Insn::new(0xbf, 4, 1, 0, 0));
            for i in [7, 8] {
                if p[i].dst == 10 {
                    p[i].dst = 4;
                }
                if p[i].src == 10 {
                    p[i].src = 4;
                }
                p[i].off = 0;
            }
            both_mem(&p, &[0; 8]).0.unwrap();
        }
    }
    // 32-bit fetch zero-extends the old value.
    let prog = [
        Insn::new(0x62, 10, 0, -8, -1),
        mov64(1, 1),
        Insn::new(0xc3, 10, 1, -8, 0x01),
        Insn::new(0x61, 2, 10, -8, 0),
        Insn::new(0xbf, 0, 1, 0, 0),
        Insn::new(0x0f, 0, 2, 0, 0),
        EXIT,
    ];
    assert_eq!(both(&prog).unwrap(), 0xffff_ffff);
}

#[test]
fn control_flow_faults() {
    // A jump into the second slot of an ld_imm64.
    let prog = [
        Insn::new(0x05, 0, 0, 1, 0),
        Insn::new(0x18, 0, 0, 0, 1),
        Insn::new(0, 0, 0, 0, 0),
        EXIT,
    ];
    let e = both(&prog).unwrap_err();
    assert_eq!((e.pc, e.fault), (2, Fault::InvalidInstruction { code: 0 }));
    let e = both(&[Insn::new(0x05, 0, 0, 5, 0), EXIT]).unwrap_err();
    assert_eq!(e.fault, Fault::JumpOutOfRange { target: 6, len: 2 });
    let e = both(&[mov64(0, 1)]).unwrap_err();
    assert_eq!((e.pc, e.fault), (1, Fault::JumpOutOfRange { target: 1, len: 1 }));
    // A conditional jump out of range faults only when taken.
    assert_eq!(both(&[mov64(0, 3), Insn::new(0x15, 0, 0, -9, 4), EXIT]).unwrap(), 3);
    let e = both(&[mov64(0, 4), Insn::new(0x15, 0, 0, -9, 4), EXIT]).unwrap_err();
    assert_eq!((e.pc, e.fault), (1, Fault::JumpOutOfRange { target: -7, len: 3 }));
    // Unresolved pseudo ld_imm64, kfuncs and arena casts.
    let e = both(&[Insn::new(0x18, 0, 1, 0, 3), Insn::new(0, 0, 0, 0, 0), EXIT]).unwrap_err();
    assert_eq!(e.fault, Fault::UnresolvedLdImm64 { src: 1 });
    let e = both(&[Insn::new(0x85, 0, 2, 0, 7), EXIT]).unwrap_err();
    assert!(matches!(e.fault, Fault::Unsupported { .. }));
}

/// `n` nested bpf-to-bpf calls; the last function returns 42.
fn call_chain(n: usize) -> Vec<Insn> {
    let mut p = Vec::new();
    for _ in 0..n - 1 {
        p.push(Insn::new(0x85, 0, 1, 0, 1));
        p.push(EXIT);
    }
    p.push(mov64(0, 42));
    p.push(EXIT);
    p
}

#[test]
fn eight_frames_are_allowed_nine_are_not() {
    assert_eq!(both(&call_chain(8)).unwrap(), 42);
    let e = both(&call_chain(9)).unwrap_err();
    assert_eq!((e.pc, e.fault), (14, Fault::CallDepth));
    // Recursion until the limit, then the same fault again.
    let e = both(&[Insn::new(0x85, 0, 1, 0, -1), EXIT]).unwrap_err();
    assert_eq!((e.pc, e.fault), (0, Fault::CallDepth));
}

#[test]
fn frames_have_their_own_stack_and_callee_saved_registers() {
    let prog = [
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
    assert_eq!(both(&prog).unwrap(), 7);
    // r1-r5 and r0 flow into and out of callees; r10 is restored even when
    // the program writes it.
    let prog = [
        mov64(1, 5),
        Insn::new(0xbf, 7, 10, 0, 0),
        Insn::new(0x85, 0, 1, 0, 3),
        Insn::new(0x1f, 7, 10, 0, 0), // r7 -= r10: 0 when restored
        Insn::new(0x0f, 0, 7, 0, 0),
        EXIT,
        Insn::new(0x07, 10, 0, 0, -8), // callee moves its r10
        Insn::new(0xbf, 0, 1, 0, 0),
        EXIT,
    ];
    assert_eq!(both(&prog).unwrap(), 5);
}

#[test]
fn budgets_stop_at_the_same_instruction() {
    // A loop with loads, stores, a helper call and arithmetic; every budget
    // up to past its end must stop both engines at the same pc.
    let prog = [
        mov64(6, 0),
        Insn::new(0x7b, 10, 6, -8, 0),
        Insn::new(0x07, 6, 0, 0, 1),
        Insn::new(0x18, 7, 0, 0, 1),
        Insn::new(0, 0, 0, 0, 0),
        Insn::new(0x0f, 6, 7, 0, 0),
        Insn::new(0xbf, 1, 6, 0, 0),
        Insn::new(0x85, 0, 0, 0, 5),
        Insn::new(0x79, 0, 10, -8, 0),
        Insn::new(0xa5, 6, 0, -9, 12),
        EXIT,
    ];
    let helpers = HelperTable::conformance();
    let mut seen = std::collections::BTreeSet::new();
    for budget in 0..80 {
        let opts = RunOptions {
            budget: Some(budget),
            packet: None,
        };
        match both_with(&prog, &[], false, &opts, &helpers).0 {
            Err(e) => {
                assert_eq!(e.fault, Fault::BudgetExhausted { budget });
                seen.insert(e.pc);
            }
            Ok(r0) => assert_eq!(r0, 10),
        }
    }
    assert!(seen.len() >= 9, "stopped at {seen:?}");
    // An infinite loop.
    let opts = RunOptions {
        budget: Some(1000),
        packet: None,
    };
    let e = both_with(&[Insn::new(0x05, 0, 0, -1, 0), EXIT], &[], false, &opts, &helpers)
        .0
        .unwrap_err();
    assert_eq!(e.fault, Fault::BudgetExhausted { budget: 1000 });
}

#[test]
fn may_goto_exits_a_loop_after_the_kernel_budget() {
    let prog = [
        mov64(0, 0),
        Insn::new(0xe5, 0, 0, 2, 0),
        Insn::new(0x07, 0, 0, 0, 1),
        Insn::new(0x05, 0, 0, -3, 0),
        EXIT,
    ];
    assert_eq!(both(&prog).unwrap(), 8 * 1024 * 1024);
}

#[test]
fn ld_abs_negative_offsets_read_from_the_headers() {
    // A socket filter's view: the MAC header (6 bytes here) was pulled, so
    // data is at buffer offset 6 and the MAC header at -6.
    let buf = [0x02u8, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0x45, 0x00, 0x11, 0x22];
    let opts = RunOptions {
        budget: None,
        packet: Some(LdAbsPacket {
            data: 6,
            len: 4,
            network: 0,
            mac: -6,
        }),
    };
    let h = HelperTable::new();
    let run = |slots: &[Insn]| both_with(slots, &buf, true, &opts, &h).0.unwrap();
    const LL: i32 = -0x200000;
    const NET: i32 = -0x100000;
    let ld = |code: u8, src: u8, k: i32| [Insn::new(code, 0, src, 0, k), EXIT];
    assert_eq!(run(&ld(0x30, 0, LL)), 0x02);
    assert_eq!(run(&ld(0x28, 0, LL + 4)), 0xddee);
    assert_eq!(run(&ld(0x20, 0, LL + 6)), 0x4500_1122);
    assert_eq!(run(&ld(0x20, 0, LL + 7)), 0);
    assert_eq!(run(&ld(0x28, 0, NET + 2)), 0x1122);
    assert_eq!(run(&ld(0x30, 0, NET + 4)), 0);
    assert_eq!(run(&ld(0x30, 0, LL - 1)), 0);
    assert_eq!(run(&ld(0x30, 0, -1)), 0);
    // LD_IND adds in 32 bits: 0x7fffffff + (NET - 0x7fffffff) wraps to NET.
    let ind = |x: i32, k: i32| [Insn::new(0xb4, 6, 0, 0, x), Insn::new(0x50, 0, 6, 0, k), EXIT];
    assert_eq!(run(&ind(i32::MAX, NET.wrapping_sub(i32::MAX))), 0x45);
    assert_eq!(run(&ind(-0x200000, 3)), 0xcc);
}

#[test]
fn ld_abs_and_ld_ind_read_network_order_and_exit_zero_out_of_packet() {
    let packet = [0x12u8, 0x34, 0x56, 0x78, 0x9a];
    let opts = RunOptions {
        budget: None,
        packet: Some(LdAbsPacket::linear(0, packet.len() as u32)),
    };
    let h = HelperTable::new();
    let run = |slots: &[Insn]| both_with(slots, &packet, true, &opts, &h).0;
    assert_eq!(run(&[Insn::new(0x28, 0, 0, 0, 1), EXIT]).unwrap(), 0x3456);
    assert_eq!(run(&[Insn::new(0x30, 0, 0, 0, 4), EXIT]).unwrap(), 0x9a);
    assert_eq!(
        run(&[mov64(6, 1), Insn::new(0x40, 0, 6, 0, 0), EXIT]).unwrap(),
        0x3456789a
    );
    assert_eq!(
        run(&[mov64(0, 9), Insn::new(0x30, 0, 0, 0, 5), mov64(0, 9), EXIT]).unwrap(),
        0
    );
    // A negative offset through the index register, and from a callee.
    assert_eq!(
        run(&[mov64(6, -1), Insn::new(0x50, 0, 6, 0, 0), mov64(0, 9), EXIT]).unwrap(),
        0
    );
    let prog = [
        Insn::new(0x85, 0, 1, 0, 2),
        mov64(0, 7),
        EXIT,
        Insn::new(0x30, 0, 0, 0, 99),
        EXIT,
    ];
    assert_eq!(run(&prog).unwrap(), 0);
    // Without a packet every legacy load ends the program with 0.
    assert_eq!(both(&[mov64(0, 9), Insn::new(0x30, 0, 0, 0, 0), EXIT]).unwrap(), 0);
}

#[test]
fn helpers_see_r1_to_r5_keep_them_and_can_end_or_fail_the_program() {
    let mut helpers = HelperTable::new();
    helpers.register(1, "sum", |_, a| Ok(a.iter().sum()));
    helpers.register(2, "stop", |_, a| Err(HelperExit::Exit(a[0] * 2)));
    helpers.register(3, "fail", |_, _| Err(HelperExit::Failed("no".into())));
    helpers.register(4, "poke", |m, a| {
        m.store(a[0], 4, a[1])?;
        Ok(0)
    });
    let run = |slots: &[Insn]| both_with(slots, &[0; 8], false, &RunOptions::default(), &helpers);
    let base = [mov64(1, 1), mov64(2, 2), mov64(3, 3), mov64(4, 4), mov64(5, 5)];
    let mut p = base.to_vec();
    p.extend([Insn::new(0x85, 0, 0, 0, 1), Insn::new(0x0f, 0, 5, 0, 0), EXIT]);
    assert_eq!(run(&p).0.unwrap(), 20, "r5 survives the call");
    let mut p = base.to_vec();
    p.extend([Insn::new(0x85, 0, 0, 0, 2), mov64(0, -1), EXIT]);
    assert_eq!(run(&p).0.unwrap(), 2);
    let e = run(&[Insn::new(0x85, 0, 0, 0, 3), EXIT]).0.unwrap_err();
    assert!(matches!(e.fault, Fault::HelperFailed { name: "fail", .. }));
    let e = run(&[mov64(0, 0), Insn::new(0x85, 0, 0, 0, 77), EXIT]).0.unwrap_err();
    assert_eq!((e.pc, e.fault), (1, Fault::UnknownHelper { id: 77 }));
    // callx: the helper id in a register.
    assert_eq!(
        run(&[
            mov64(1, 3),
            mov64(2, 0),
            mov64(3, 0),
            mov64(4, 0),
            mov64(5, 0),
            mov64(6, 1),
            Insn::new(0x8d, 6, 0, 0, 0),
            EXIT
        ])
        .0
        .unwrap(),
        3
    );
    // A helper writes guest memory; a helper's fault is the program's.
    let (r, after) = run(&[mov64(2, 0x01020304), Insn::new(0x85, 0, 0, 0, 4), EXIT]);
    assert_eq!(r.unwrap(), 0);
    assert_eq!(after[..4], [4, 3, 2, 1]);
    let e = run(&[Insn::new(0x07, 1, 0, 0, 6), Insn::new(0x85, 0, 0, 0, 4), EXIT])
        .0
        .unwrap_err();
    assert!(matches!(e.fault, Fault::Memory(AccessFault::OutOfBounds { .. })));
}

#[test]
fn a_helper_panic_reaches_the_caller() {
    let mut helpers = HelperTable::new();
    helpers.register(1, "boom", |_, _| panic!("helper panicked"));
    let prog = Program::new(vec![Insn::new(0x85, 0, 0, 0, 1), EXIT]).unwrap();
    let jit = JitProgram::compile(&prog, JitOptions::default()).unwrap();
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Jit::new(&jit, &helpers).run(&mut GuestMemory::new(), &[], &RunOptions::default())
    }));
    let payload = r.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"helper panicked"));
}

#[test]
fn shifts_mask_and_32_bit_results_zero_extend() {
    // r0 = -1 (64 bits); w0 <<= w1 with w1 = 32 (masked to 0): the upper
    // half must still be cleared.
    for code in [0x6c, 0x7c, 0xcc] {
        let p = [mov64(0, -1), mov64(1, 32), Insn::new(code, 0, 1, 0, 0), EXIT];
        assert_eq!(both(&p).unwrap(), 0xffff_ffff);
        let p = [mov64(0, -1), Insn::new(code - 8, 0, 0, 0, 32), EXIT];
        assert_eq!(both(&p).unwrap(), 0xffff_ffff);
    }
    for code in [0x6f, 0x7f, 0xcf] {
        let p = [mov64(0, -5), mov64(1, 64 + 1), Insn::new(code, 0, 1, 0, 0), EXIT];
        both(&p).unwrap();
    }
}

#[test]
fn division_by_zero_and_minus_one() {
    let cases: &[(u8, i16, i64, i64, u64)] = &[
        (0x3f, 0, 7, 0, 0),                          // div64 by 0
        (0x9f, 0, 7, 0, 7),                          // mod64 by 0
        (0x3c, 0, -7, 0, 0),                         // div32 by 0
        (0x9c, 0, -7, 0, 0xffff_fff9),               // mod32 by 0 truncates
        (0x3f, 1, i64::MIN, -1, i64::MIN as u64),    // sdiv64 INT_MIN / -1
        (0x9f, 1, i64::MIN, -1, 0),                  // smod64
        (0x3c, 1, i32::MIN as i64, -1, 0x8000_0000), // sdiv32
        (0x9c, 1, i32::MIN as i64, -1, 0),           // smod32
        (0x3f, 1, -7, 2, -3i64 as u64),
        (0x9f, 1, -7, 2, -1i64 as u64),
    ];
    for &(code, off, a, b, want) in cases {
        let p = [
            Insn::new(0x18, 0, 0, 0, a as i32),
            Insn::new(0, 0, 0, 0, (a >> 32) as i32),
            Insn::new(0x18, 1, 0, 0, b as i32),
            Insn::new(0, 0, 0, 0, (b >> 32) as i32),
            Insn::new(code, 0, 1, off, 0),
            EXIT,
        ];
        assert_eq!(both(&p).unwrap(), want, "{code:#x} off {off}: {a} / {b}");
        // The immediate form.
        let p = [p[0], p[1], Insn::new(code - 8, 0, 0, off, b as i32), EXIT];
        assert_eq!(both(&p).unwrap(), want, "{code:#x} imm off {off}: {a} / {b}");
    }
}

/// Unsigned 64-bit division and modulo on both sides of 2^32 (the image
/// divides in 32 bits when both operands fit): the quotient and remainder
/// Rust computes, register and immediate divisors.
#[test]
fn unsigned_64_bit_division_either_side_of_32_bits() {
    let values = [
        0u64,
        1,
        7,
        0xffff_fffe,
        u32::MAX as u64,
        1 << 32,
        (1 << 32) + 5,
        u64::MAX,
    ];
    for a in values {
        for b in values.into_iter().filter(|&b| b != 0) {
            for (code, want) in [(0x3f, a / b), (0x9f, a % b)] {
                let p = [
                    Insn::new(0x18, 0, 0, 0, a as i32),
                    Insn::new(0, 0, 0, 0, (a >> 32) as i32),
                    Insn::new(0x18, 1, 0, 0, b as i32),
                    Insn::new(0, 0, 0, 0, (b >> 32) as i32),
                    Insn::new(code, 0, 1, 0, 0),
                    EXIT,
                ];
                assert_eq!(both(&p).unwrap(), want, "{code:#x}: {a} / {b}");
            }
        }
        // Immediates are sign-extended: 7 and -2 (u64::MAX - 1).
        for (imm, b) in [(7i32, 7u64), (-2, u64::MAX - 1)] {
            for (code, want) in [(0x37, a / b), (0x97, a % b)] {
                let p = [
                    Insn::new(0x18, 0, 0, 0, a as i32),
                    Insn::new(0, 0, 0, 0, (a >> 32) as i32),
                    Insn::new(code, 0, 0, 0, imm),
                    EXIT,
                ];
                assert_eq!(both(&p).unwrap(), want, "{code:#x}: {a} / {imm}");
            }
        }
    }
}

/// Every instruction form, for the code size bound.
fn every_form() -> Vec<Vec<Insn>> {
    let mut forms = Vec::new();
    for code in 0..=255u8 {
        for (dst, src, off, imm) in [
            (3, 4, 0, 0),
            (3, 4, 1, 0x1234_5678),
            (3, 0, 0, -1),
            (3, 4, 8, 16),
            (3, 4, 16, 32),
            (3, 4, 32, 64),
            (3, 10, -8, 0),
            (10, 4, -16, 0x51),
            (3, 4, 0, 0xe1),
            (3, 4, 0, 0xf1),
            (3, 4, 0, 0x100),
            (3, 4, 0, 0x110),
            (0, 1, 0, 3),
        ] {
            let insn = Insn::new(code, dst, src, off, imm);
            let slots = if code == 0x18 {
                vec![insn, Insn::new(0, 0, 0, 0, -1)]
            } else {
                vec![insn]
            };
            if decode(&slots).is_ok() {
                forms.push(slots);
            }
        }
    }
    forms
}

/// The most bytes any single BPF instruction compiles to, inline (stubs
/// excluded). The kernel's x86 JIT budgets 128 bytes (BPF_MAX_INSN_SIZE)
/// plus padding per instruction; we stay under that with the inline region
/// check.
const MAX_INLINE_BYTES: u32 = 128;

#[test]
fn every_instruction_compiles_within_the_size_bound() {
    let forms = every_form();
    assert!(forms.len() > 150, "{} forms", forms.len());
    let mut worst = (0, String::new());
    for meter in [false, true] {
        for form in &forms {
            let mut slots = form.clone();
            slots.push(EXIT);
            let prog = Program::new(slots).unwrap();
            let jit = JitProgram::compile(&prog, JitOptions { meter, blind: false }).unwrap();
            let off = jit.insn_offsets();
            let size = off[form.len()] - off[0];
            if size > worst.0 {
                worst = (size, format!("{form:?} meter={meter}"));
            }
        }
    }
    assert!(
        worst.0 <= MAX_INLINE_BYTES,
        "largest: {} bytes for {}",
        worst.0,
        worst.1
    );
    eprintln!("largest instruction: {} bytes ({})", worst.0, worst.1);
}

#[test]
fn disassembly_marks_each_bpf_instruction() {
    let prog = Program::new(vec![
        mov64(0, 1),
        Insn::new(0x71, 2, 1, 3, 0),
        Insn::new(0x0f, 0, 2, 0, 0),
        EXIT,
    ])
    .unwrap();
    let jit = JitProgram::compile(&prog, JitOptions::default()).unwrap();
    let text = jit.disassemble();
    for header in [
        "; 0: (b7) r0 = 1",
        "; 1: (71) r2 = *(u8 *)(r1 +3)",
        "; 2: (0f) r0 += r2",
        "; 3: (95) exit",
    ] {
        assert!(text.contains(header), "{header} missing in\n{text}");
    }
    assert!(text.contains("movzx"), "{text}");
    assert!(text.contains("ret"), "{text}");
}

#[test]
fn blinding_hides_immediates_and_keeps_results() {
    let magic = 0x5a17_c0de;
    let prog = Program::new(vec![
        mov64(0, magic),
        Insn::new(0x07, 0, 0, 0, magic),
        Insn::new(0x55, 0, 0, 1, magic),
        Insn::new(0x7a, 10, 0, -8, magic),
        Insn::new(0x79, 1, 10, -8, 0),
        Insn::new(0x0f, 0, 1, 0, 0),
        Insn::new(0x18, 2, 0, 0, magic),
        Insn::new(0, 0, 0, 0, magic),
        Insn::new(0x0f, 0, 2, 0, 0),
        Insn::new(0x37, 0, 0, 0, magic),
        EXIT,
    ])
    .unwrap();
    let helpers = HelperTable::new();
    let want = Interpreter::new(&prog, &helpers)
        .run(&mut GuestMemory::new(), &[], &RunOptions::default())
        .unwrap();
    let needle = magic.to_le_bytes();
    for blind in [false, true] {
        let jit = JitProgram::compile(&prog, JitOptions { meter: false, blind }).unwrap();
        let found = jit.image().windows(4).any(|w| w == needle);
        assert_eq!(found, !blind, "blind = {blind}");
        assert_eq!(
            Jit::new(&jit, &helpers)
                .run(&mut GuestMemory::new(), &[], &RunOptions::default())
                .unwrap(),
            want
        );
    }
}

#[test]
fn runtime_selection_follows_the_kernel() {
    let prog = Program::new(vec![mov64(0, 1), EXIT]).unwrap();
    let policy = RuntimePolicy {
        jit_enable: 1,
        jit_harden: 0,
        jit_always_on: false,
        privileged: true,
        meter: false,
    };
    assert!(matches!(select_runtime(prog.clone(), &policy), Ok(Runtime::Jit(j)) if !j.options().blind));
    let off = RuntimePolicy {
        jit_enable: 0,
        ..policy
    };
    assert!(matches!(
        select_runtime(prog.clone(), &off),
        Ok(Runtime::Interpreter(_))
    ));
    // Always-on ignores bpf_jit_enable = 0.
    let always = RuntimePolicy {
        jit_always_on: true,
        ..off
    };
    assert!(matches!(select_runtime(prog.clone(), &always), Ok(Runtime::Jit(_))));
    // Hardening: level 1 blinds unprivileged loaders only, level 2 everyone.
    let h1 = RuntimePolicy {
        jit_harden: 1,
        ..policy
    };
    assert!(matches!(select_runtime(prog.clone(), &h1), Ok(Runtime::Jit(j)) if !j.options().blind));
    let h1u = RuntimePolicy {
        privileged: false,
        ..h1
    };
    assert!(matches!(select_runtime(prog.clone(), &h1u), Ok(Runtime::Jit(j)) if j.options().blind));
    let h2 = RuntimePolicy {
        jit_harden: 2,
        ..policy
    };
    assert!(matches!(select_runtime(prog, &h2), Ok(Runtime::Jit(j)) if j.options().blind));
}

#[test]
fn images_report_their_address_and_length() {
    let prog = Program::new(vec![mov64(0, 1), EXIT]).unwrap();
    let jit = JitProgram::compile(&prog, JitOptions::default()).unwrap();
    assert_eq!(jit.len(), jit.image().len());
    assert!(jit.addr() != 0 && jit.addr().is_multiple_of(4096));
    // A budget needs a metered image.
    let opts = RunOptions {
        budget: Some(5),
        packet: None,
    };
    let e = Jit::new(&jit, &HelperTable::new())
        .run(&mut GuestMemory::new(), &[], &opts)
        .unwrap_err();
    assert!(matches!(e.fault, Fault::Unsupported { .. }));
}

#[test]
fn proven_accesses_skip_checks_and_keep_results() {
    // Sum the 16-byte buffer, keep the running sum on the stack, count
    // iterations with an atomic add on the buffer's last word: every access
    // is in bounds, as a verifier would prove.
    let slots = vec![
        mov64(0, 0),
        mov64(3, 0),
        Insn::new(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 - 8) = 0
        Insn::new(0x3d, 3, 2, 10, 0),  // loop: if r3 >= r2 goto out
        Insn::new(0xbf, 4, 1, 0, 0),   // r4 = r1
        Insn::new(0x0f, 4, 3, 0, 0),   // r4 += r3
        Insn::new(0x71, 5, 4, 0, 0),   // r5 = *(u8 *)(r4 + 0)
        Insn::new(0x79, 6, 10, -8, 0), // r6 = *(u64 *)(r10 - 8)
        Insn::new(0x0f, 6, 5, 0, 0),   // r6 += r5
        Insn::new(0x7b, 10, 6, -8, 0), // *(u64 *)(r10 - 8) = r6
        mov64(7, 1),
        Insn::new(0xc3, 1, 7, 12, 0), // lock *(u32 *)(r1 + 12) += r7
        Insn::new(0x07, 3, 0, 0, 1),  // r3 += 1; goto loop
        Insn::new(0x05, 0, 0, -11, 0),
        Insn::new(0x79, 0, 10, -8, 0), // out: r0 = *(u64 *)(r10 - 8)
        EXIT,
    ];
    assert_eq!(slots[13], Insn::new(0x05, 0, 0, -11, 0));
    let prog = Program::new(slots.clone()).unwrap();
    let proven: Vec<bool> = slots.iter().map(|i| matches!(i.code & 7, 1..=3)).collect();
    // SAFETY: every access above stays inside the 16-byte buffer or the
    // current stack frame, and the atomic word is aligned.
    let fast = unsafe {
        JitProgram::compile_with_proofs(
            &prog,
            JitOptions::default(),
            &userbpf::exec::AccessProof::from_flags(&proven),
        )
    }
    .unwrap();
    let checked = JitProgram::compile(&prog, JitOptions::default()).unwrap();
    assert!(fast.len() < checked.len(), "{} vs {}", fast.len(), checked.len());
    let helpers = HelperTable::new();
    let mut results = Vec::new();
    for image in [&fast, &checked] {
        let mut buf = AlignedBuf::from_bytes(&(1..=16).collect::<Vec<u8>>());
        let mut mem = GuestMemory::new();
        let p = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
        let r = Jit::new(image, &helpers).run(&mut mem, &[p, 16], &RunOptions::default());
        drop(mem);
        results.push((r, buf.as_bytes().to_vec()));
    }
    assert_eq!(results[0], results[1]);
    // Byte 12 is read after 12 increments of the word it starts.
    assert_eq!(results[0].0, Ok((1..=16u64).sum::<u64>() + 12));
    assert_eq!(results[0].1[12..], [13 + 16, 14, 15, 16]);
}

/// `dst = src; dst += x` compiles to one lea: 64-bit and 32-bit (which
/// wraps and zero-extends), with an immediate, a register, the register
/// itself, and the frame pointer as source; a jump landing between the two
/// keeps them apart. Values derived by hand.
#[test]
fn mov_add_pairs_fuse_into_lea_with_the_same_results() {
    let mov64r = |d, s| Insn::new(0xbf, d, s, 0, 0);
    let mov32r = |d, s| Insn::new(0xbc, d, s, 0, 0);
    let add64i = |d, k| Insn::new(0x07, d, 0, 0, k);
    let add32i = |d, k| Insn::new(0x04, d, 0, 0, k);
    let add64r = |d, s| Insn::new(0x0f, d, s, 0, 0);
    let add32r = |d, s| Insn::new(0x0c, d, s, 0, 0);
    let run = |body: &[Insn]| {
        let mut p = body.to_vec();
        p.push(EXIT);
        both(&p).unwrap()
    };
    let mut p = lddw(2, 0x1_ffff_fff0).to_vec();
    p.extend([mov64r(0, 2), add64i(0, 0x20)]);
    assert_eq!(run(&p), 0x2_0000_0010);
    p.push(EXIT);
    let image = JitProgram::compile(&Program::new(p).unwrap(), JitOptions::default()).unwrap();
    let listing = image.disassemble();
    // r0 is rbx, r2 rsi (compile.rs's register map).
    assert!(listing.contains("lea rbx,[rsi+20h]"), "{listing}");
    let mut p = lddw(2, 0x1_ffff_fff0).to_vec();
    p.extend([mov32r(0, 2), add32i(0, 0x20)]);
    assert_eq!(run(&p), 0x10, "32-bit: wraps and clears the upper half");
    let mut p = lddw(2, 0x1_0000_0005).to_vec();
    p.extend([mov64(3, -7), mov64r(0, 2), add64r(0, 3)]);
    assert_eq!(run(&p), 0xffff_fffe);
    let mut p = lddw(2, 0x8000_0001).to_vec();
    p.extend([mov64(3, 1), mov32r(0, 2), add32r(0, 3)]);
    assert_eq!(run(&p), 0x8000_0002);
    let mut p = lddw(2, 21).to_vec();
    p.extend([mov64r(0, 2), add64r(0, 0)]);
    assert_eq!(run(&p), 42, "dst += dst after dst = src doubles src");
    // r10 (rbp) as the source: r0 = r10 - 8, then read back what was
    // stored there.
    let p = [
        Insn::new(0x7a, 10, 0, -8, 99), // *(u64 *)(r10 - 8) = 99
        mov64r(1, 10),
        add64i(1, -8),
        Insn::new(0x79, 0, 1, 0, 0), // r0 = *(u64 *)(r1 + 0)
    ];
    assert_eq!(run(&p), 99);
    // A jump to the add: the path through the jump adds to the old r0.
    let p = [
        mov64(0, 100),
        mov64(2, 5),
        Insn::new(0x05, 0, 0, 1, 0), // goto +1 (to the add)
        mov64r(0, 2),
        add64i(0, 1),
    ];
    assert_eq!(run(&p), 101);
}

/// `dst = imm64; dst += k` compiles to one `mov` of the sum: 64-bit (with
/// carry into the upper half and wrap-around) and 32-bit (the sum's low
/// half, zero-extended); a jump landing on the add keeps them apart.
/// Values derived by hand.
#[test]
fn ld_imm64_and_add_fold_into_one_constant() {
    let run = |v: u64, add: Insn| {
        let mut p = lddw(0, v).to_vec();
        p.extend([add, EXIT]);
        let image = JitProgram::compile(&Program::new(p.clone()).unwrap(), JitOptions::default()).unwrap();
        (both(&p).unwrap(), image.disassemble())
    };
    let (r, listing) = run(0x1_0000_0000, Insn::new(0x07, 0, 0, 0, 312));
    assert_eq!(r, 0x1_0000_0138);
    // r0 is rbx; no add left. (The sum is one of the program's
    // constants: it may live in a register the program leaves free,
    // loaded by the prologue, and be copied from there.)
    assert!(
        listing.contains(",100000138h") && !listing.contains("add rbx"),
        "{listing}"
    );
    assert_eq!(run(0xffff_ffff, Insn::new(0x07, 0, 0, 0, 1)).0, 0x1_0000_0000);
    assert_eq!(run(5, Insn::new(0x07, 0, 0, 0, -6)).0, u64::MAX);
    assert_eq!(
        run(0x7_ffff_fffe, Insn::new(0x04, 0, 0, 0, 3)).0,
        1,
        "32-bit: wraps, upper half cleared"
    );
    // A jump to the add: the path through the jump adds to the old r0.
    let mut p = vec![mov64(0, 100), Insn::new(0x05, 0, 0, 2, 0)];
    p.extend(lddw(0, 7));
    p.extend([Insn::new(0x07, 0, 0, 0, 1), EXIT]);
    assert_eq!(both(&p).unwrap(), 101);
}

/// A rotated loop (`goto test; body: ...; test: i += 1; if i != n goto
/// body`, the back edge a `goto` to the test): the image copies the test to
/// the `goto`, and the loop sums 0..n as the interpreter does (by hand:
/// n(n-1)/2).
#[test]
fn a_goto_back_to_a_loop_test_runs_a_copy_of_it() {
    let rotated = |n: i32| {
        vec![
            mov64(0, 0),
            mov64(7, 0),
            Insn::new(0x05, 0, 0, 3, 0), // goto 6
            Insn::new(0x04, 7, 0, 0, 1), // 3: w7 += 1
            Insn::new(0x56, 7, 0, 1, n), // if w7 != n goto 6
            EXIT,
            Insn::new(0x0f, 0, 7, 0, 0),  // 6: r0 += r7
            Insn::new(0x05, 0, 0, -5, 0), // goto 3
        ]
    };
    for n in 1..12 {
        assert_eq!(both(&rotated(n)), Ok((n as u64) * (n as u64 - 1) / 2), "n {n}");
    }
    let image = JitProgram::compile(&Program::new(rotated(5)).unwrap(), JitOptions::default()).unwrap();
    let listing = image.disassemble();
    // r7 is r13: the loop as written (after its unrolled rounds) runs a
    // copy of the test at 3 where the goto was.
    let (_, as_written) = listing.split_once("; 6: (0f)").expect("the loop as written");
    assert!(
        as_written.contains("add r13d,1") && as_written.contains("cmp r13d,5"),
        "{listing}"
    );
}

/// `if cond goto +1; goto X` compiles to one `if !cond goto X`, for every
/// condition, both outcomes, 32- and 64-bit, against the interpreter and by
/// hand; a test jumping out of the program keeps its own jump (its fault
/// names its pc); and a copied loop test's fall-through (the compiler's own
/// jump) lands on the `goto`, not past it (found by jit_diff: the loop ran
/// forever).
#[test]
fn a_test_over_a_goto_is_one_inverted_jump() {
    // r0 = 1; if r1 <op> k goto +1; goto out; r0 = 2; out: exit.
    type Holds = fn(u64, u64) -> bool;
    let ops: [(u8, Holds); 11] = [
        (0x10, |a, b| a == b),
        (0x50, |a, b| a != b),
        (0x20, |a, b| a > b),
        (0x30, |a, b| a >= b),
        (0xa0, |a, b| a < b),
        (0xb0, |a, b| a <= b),
        (0x60, |a, b| (a as i64) > (b as i64)),
        (0x70, |a, b| (a as i64) >= (b as i64)),
        (0xc0, |a, b| (a as i64) < (b as i64)),
        (0xd0, |a, b| (a as i64) <= (b as i64)),
        (0x40, |a, b| a & b != 0),
    ];
    for (op, holds) in ops {
        for v in [0u64, 4, 5, 6, u64::MAX, 1 << 63] {
            let p = vec![
                mov64(1, 0),
                lddw(1, v)[0],
                lddw(1, v)[1],
                mov64(0, 1),
                Insn::new(0x05 | op, 1, 0, 1, 5), // if r1 <op> 5 goto +1
                Insn::new(0x05, 0, 0, 1, 0),      // goto out
                mov64(0, 2),
                EXIT,
            ];
            let want = if holds(v, 5) { 2 } else { 1 };
            assert_eq!(both(&p), Ok(want), "op {op:#x} v {v:#x}");
        }
    }
    let listing = JitProgram::compile(
        &Program::new(vec![
            mov64(0, 1),
            Insn::new(0x15, 1, 0, 1, 5),
            Insn::new(0x05, 0, 0, 1, 0),
            mov64(0, 2),
            EXIT,
        ])
        .unwrap(),
        JitOptions::default(),
    )
    .unwrap()
    .disassemble();
    // One conditional jump (jne: the inverse of ==), no unconditional one.
    let (_, body) = listing.split_once("; 1: (15)").expect("the test");
    let (body, _) = body.split_once("; 4: (95)").expect("the exit");
    assert!(
        body.contains("jne") && !body.contains("jmp") && !body.contains(" je "),
        "{listing}"
    );
    // The test's target out of the program: its own fault, at its pc.
    let p = vec![mov64(0, 1), Insn::new(0x15, 0, 0, 1, 1), Insn::new(0x05, 0, 0, -3, 0)];
    assert_eq!(both(&p).map_err(|e| e.pc), Err(1));
    // A rotated loop whose test falls through to `goto out` (the copy of
    // the test at the back edge goes on there): w7 counts by 3 to 30.
    let p = vec![
        mov64(0, 0),
        Insn::new(0xb4, 7, 0, 0, 3),  // 1: w7 = 3
        Insn::new(0x05, 0, 0, 3, 0),  // 2: goto 6
        Insn::new(0x04, 7, 0, 0, 3),  // 3: w7 += 3
        Insn::new(0x56, 7, 0, 1, 30), // 4: if w7 != 30 goto 6
        Insn::new(0x05, 0, 0, 2, 0),  // 5: goto 8
        Insn::new(0x07, 0, 0, 0, 1),  // 6: r0 += 1
        Insn::new(0x05, 0, 0, -5, 0), // 7: goto 3
        EXIT,                         // 8
    ];
    assert_eq!(both(&p), Ok(9));
}

/// A `goto` to a test against zero whose outcome the compiler's ranges
/// decide goes where the test leads (and the block it then skips moves
/// out of line); where the ranges can't tell (wrap-around, 32-bit
/// results, shifts out of range), the test runs. Each case against the
/// interpreter and the value derived by hand.
#[test]
fn gotos_past_decided_zero_tests_take_the_tests_way() {
    // The inlined array lookup: r1 = values; r0 = index (a 32-bit load);
    // if r0 >= 4 goto miss; r0 <<= 3; r0 += r1; goto +1; miss: r0 = 0;
    // if r0 == 0 goto out; r0 = *(u64 *)(r0 + 0); out: exit (r0 = 0 on a
    // miss, else the value). Memory: index at 0, values at 8.
    // The values' guest address is a constant, as a map's is: the buffer
    // is the first region both engines' memories get.
    let buf_addr = {
        let mut probe = [0u8; 8];
        GuestMemory::new().add(&mut probe, RegionKind::Memory)
    };
    let lookup = || {
        let mut p = lddw(6, buf_addr + 8).to_vec(); // r6 = values
        p.push(Insn::new(0x07, 6, 0, 0, 0)); // r6 += 0
        p.push(Insn::new(0x61, 0, 1, 0, 0)); // r0 = *(u32 *)(r1 + 0)
        p.push(Insn::new(0x35, 0, 0, 3, 4)); // if r0 >= 4 goto miss
        p.push(Insn::new(0x67, 0, 0, 0, 3)); // r0 <<= 3
        p.push(Insn::new(0x0f, 0, 6, 0, 0)); // r0 += r6
        p.push(Insn::new(0x05, 0, 0, 1, 0)); // goto +1
        p.push(mov64(0, 0)); // miss: r0 = 0
        p.push(Insn::new(0x15, 0, 0, 1, 0)); // if r0 == 0 goto out
        p.push(Insn::new(0x79, 0, 0, 0, 0)); // r0 = *(u64 *)(r0 + 0)
        p.push(EXIT);
        p
    };
    let values: Vec<u64> = vec![11, 22, 33, 44];
    for index in 0u32..6 {
        let mut buf = index.to_le_bytes().to_vec();
        buf.extend([0; 4]);
        for v in &values {
            buf.extend(v.to_le_bytes());
        }
        let want = values.get(index as usize).copied().unwrap_or(0);
        assert_eq!(both_mem(&lookup(), &buf).0, Ok(want), "index {index}");
    }
    // The hit path has no test of r0 (r0 is rbx) and jumps nowhere: the
    // miss block sits out of line.
    let image = JitProgram::compile(&Program::new(lookup()).unwrap(), JitOptions::default()).unwrap();
    let listing = image.disassemble();
    let hit = &listing[listing.find("; 6: ").unwrap()..listing.find("; 10: ").unwrap()];
    assert!(!hit.contains("test rbx,rbx") && !hit.contains("jmp"), "{listing}");

    // goto +1 over r0 = 7 to `if r0 <op> 0 goto +1` then r0 = 2 (fall
    // through) or exit (jump): r0's value decides.
    let decided = |setup: &[Insn], eq: bool| {
        let mut p = setup.to_vec();
        p.push(Insn::new(0x05, 0, 0, 1, 0)); // goto +1
        p.push(mov64(0, 7));
        p.push(Insn::new(if eq { 0x15 } else { 0x55 }, 0, 0, 1, 0)); // if r0 ==/!= 0 goto +1
        p.push(mov64(0, 2));
        p.push(EXIT);
        both(&p)
    };
    // Known non-zero: `==` falls through (r0 = 2), `!=` jumps (r0 kept).
    assert_eq!(decided(&[mov64(0, 5)], true), Ok(2));
    assert_eq!(decided(&[mov64(0, 5)], false), Ok(5));
    // Known zero.
    assert_eq!(decided(&[mov64(0, 0)], true), Ok(0));
    assert_eq!(decided(&[mov64(0, 0)], false), Ok(2));
    // Wraps to zero: 64-bit add, shift out of range, 32-bit move of a
    // value with a zero low half.
    assert_eq!(decided(&[mov64(0, -5), Insn::new(0x07, 0, 0, 0, 5)], true), Ok(0));
    let mut p = lddw(0, 1 << 62).to_vec();
    p.push(Insn::new(0x67, 0, 0, 0, 2)); // r0 <<= 2
    assert_eq!(decided(&p, true), Ok(0));
    let mut p = lddw(1, 1 << 32).to_vec();
    p.push(Insn::new(0xbc, 0, 1, 0, 0)); // w0 = w1
    assert_eq!(decided(&p, true), Ok(0));
    // cmpxchg writes r0: a frame pointer it held is forgotten too (here r0
    // becomes the buffer's address, and the load reads the buffer).
    let p = [
        Insn::new(0x7b, 10, 1, -8, 0),    // *(u64 *)(r10 - 8) = r1 (the buffer)
        Insn::new(0x7a, 10, 0, -16, 0),   // *(u64 *)(r10 - 16) = 0
        Insn::new(0xbf, 0, 10, 0, 0),     // r0 = r10
        Insn::new(0x07, 0, 0, 0, -16),    // r0 += -16
        Insn::new(0xdb, 10, 2, -8, 0xf1), // r0 = cmpxchg(r10 - 8, r0, r2): the buffer
        Insn::new(0x71, 0, 0, 0, 0),      // r0 = *(u8 *)(r0 + 0)
        EXIT,
    ];
    assert_eq!(both_mem(&p, &[42]).0, Ok(42));
    // cmpxchg writes r0 (the old value): what was known of r0 is gone.
    let p = [
        mov64(0, 5),
        Insn::new(0x7a, 10, 0, -8, 0), // *(u64 *)(r10 - 8) = 0
        mov64(1, 7),
        Insn::new(0xdb, 10, 1, -8, 0xf1), // r0 = cmpxchg(r10 - 8, r0, r1): 0
        Insn::new(0x05, 0, 0, 1, 0),      // goto +1
        mov64(0, 9),
        Insn::new(0x15, 0, 0, 1, 0), // if r0 == 0 goto exit
        mov64(0, 2),
        EXIT,
    ];
    assert_eq!(both(&p), Ok(0));
    // A test whose jump leaves the program reports it at its own pc.
    let p = [
        mov64(0, 5),
        Insn::new(0x05, 0, 0, 1, 0), // goto +1
        mov64(0, 7),
        Insn::new(0x55, 0, 0, 1, 0), // 3: if r0 != 0 goto 5 (past the end)
    ];
    let e = both(&p).expect_err("jumps out");
    assert_eq!(e.pc, 3);
    // Bounds from a compare: r0 < 16 after `if r0 >= 16`, so r0 + 1 > 0.
    let prog = [
        Insn::new(0x61, 0, 1, 0, 0),  // r0 = *(u32 *)(r1 + 0)
        Insn::new(0x35, 0, 0, 5, 16), // if r0 >= 16 goto exit
        Insn::new(0x07, 0, 0, 0, 1),  // r0 += 1
        Insn::new(0x05, 0, 0, 1, 0),  // goto +1
        mov64(0, 7),
        Insn::new(0x15, 0, 0, 1, 0), // if r0 == 0 goto exit
        mov64(0, 2),
        EXIT,
    ];
    for v in [0u32, 15, 16, u32::MAX] {
        let want = if v >= 16 { v as u64 } else { 2 };
        assert_eq!(both_mem(&prog, &v.to_le_bytes()).0, Ok(want), "v {v}");
    }
}

/// A register holding r10 + k reaches the frame without a check, but only
/// along the straight line that set it: where a jump lands, the register
/// may hold anything (here the buffer), and the access is checked again.
/// Both engines agree on r0 and memory; values derived by hand.
#[test]
fn frame_pointers_copied_to_registers_are_tracked_only_along_straight_lines() {
    let stxdw = |dst, off, imm| Insn::new(0x7a, dst, 0, off, imm);
    let ldxdw = |dst, src, off| Insn::new(0x79, dst, src, off, 0);
    // r1 = r10 - 8 on the fall-through path only; the taken jump keeps
    // r1 = the buffer. Both paths store 7 through r1 and read it back.
    let prog = [
        Insn::new(0x55, 2, 0, 2, 0),  // if r2 != 0 goto +2 (the buffer path)
        Insn::new(0xbf, 1, 10, 0, 0), // r1 = r10
        Insn::new(0x07, 1, 0, 0, -8), // r1 += -8
        stxdw(1, 0, 7),
        ldxdw(0, 1, 0),
        EXIT,
    ];
    let (r, buf) = both_mem(&prog, &[0u8; 8]);
    assert_eq!(r.unwrap(), 7);
    assert_eq!(buf, 7u64.to_le_bytes(), "the taken jump wrote the buffer");
    let (r, _) = both_mem(&prog, &[]);
    assert_eq!(r.unwrap(), 7, "no buffer: the frame path");
    // Along a straight line the access needs no region lookup.
    let straight = [
        Insn::new(0xbf, 1, 10, 0, 0),
        Insn::new(0x07, 1, 0, 0, -16),
        stxdw(1, 8, 5), // r10 - 8
        ldxdw(0, 10, -8),
        EXIT,
    ];
    assert_eq!(both(&straight).unwrap(), 5);
    let image = JitProgram::compile(&Program::new(straight.to_vec()).unwrap(), JitOptions::default()).unwrap();
    let listing = image.disassemble();
    assert!(!listing.contains("shr rdx,20h"), "no region lookup:\n{listing}");
    // Out of the frame (r10 - 16 + 24 = r10 + 8): checked, and it faults
    // as the interpreter's access does.
    let outside = [
        Insn::new(0xbf, 1, 10, 0, 0),
        Insn::new(0x07, 1, 0, 0, -16),
        stxdw(1, 24, 5),
        EXIT,
    ];
    assert!(both(&outside).is_err());
}

/// Counted loops (`for (i = start; i != n; i += step)` as clang emits
/// them) run unrolled in the JIT when the trip count allows, single
/// iterations otherwise: every trip count, start, step and way out gives
/// the interpreter's r0 (or fault), and the hand-computed one.
mod unrolled_loops {
    use super::*;

    const MOV64R: u8 = 0xbf;
    const ADD64R: u8 = 0x0f;
    const ADD64I: u8 = 0x07;
    const JEQI: u8 = 0x15;
    const JNEI: u8 = 0x55;
    const JLTI: u8 = 0xa5;

    fn i(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(code, dst, src, off, imm)
    }

    fn listing(p: &[Insn]) -> String {
        let image = JitProgram::compile(&Program::new(p.to_vec()).unwrap(), JitOptions::default()).unwrap();
        image.disassemble()
    }

    /// `prog` on the interpreter, then `jit`, each with r1 the guest
    /// address of a packet region holding `bytes` (read-only if asked):
    /// their results and what the packet holds after.
    fn on_packet(
        prog: &Program,
        jit: &JitProgram,
        bytes: &[u8],
        readonly: bool,
    ) -> Vec<(Result<u64, ExecError>, Vec<u8>)> {
        let helpers = HelperTable::conformance();
        [false, true]
            .into_iter()
            .map(|use_jit| {
                let mut data = AlignedBuf::from_bytes(bytes);
                let mut mem = GuestMemory::new();
                let p = if readonly {
                    mem.add_readonly(data.as_bytes(), RegionKind::Packet)
                } else {
                    mem.add(data.as_mut_bytes(), RegionKind::Packet)
                };
                let (args, opts) = ([p, 0], RunOptions::default());
                let r = if use_jit {
                    Jit::new(jit, &helpers).run(&mut mem, &args, &opts)
                } else {
                    Interpreter::new(prog, &helpers).run(&mut mem, &args, &opts)
                };
                drop(mem);
                (r, data.as_bytes().to_vec())
            })
            .collect()
    }

    /// Bytes 1..=200 cycling (never 0xff), with 0xff at `stop`.
    fn buffer(len: usize, stop: Option<usize>) -> Vec<u8> {
        let mut b: Vec<u8> = (0..len).map(|k| (k * 7 % 200 + 1) as u8).collect();
        if let Some(s) = stop {
            b[s] = 0xff;
        }
        b
    }

    /// Sum the bytes at r1[start..n]; a 0xff byte at p ends the loop with
    /// r0 = 1000 + p (the index, read after the loop: a way out of the
    /// copies before the increment).
    fn sum_until_ff(start: i32, n: i32, op: u8) -> Vec<Insn> {
        vec![
            mov64(0, 0),
            mov64(3, start),
            i(MOV64R, 4, 1, 0, 0), // 2: r4 = r1
            i(ADD64R, 4, 3, 0, 0), // r4 += r3
            i(0x71, 5, 4, 0, 0),   // r5 = *(u8 *)(r4 + 0)
            i(JEQI, 5, 0, 4, 0xff),
            i(ADD64R, 0, 5, 0, 0),
            i(ADD64I, 3, 0, 0, 1),
            i(op, 3, 0, -7, n), // if r3 != n (< n) goto 2
            EXIT,
            i(MOV64R, 0, 3, 0, 0),
            i(ADD64I, 0, 0, 0, 1000),
            EXIT,
        ]
    }

    #[test]
    fn sums_and_early_exits_agree_for_every_trip_count() {
        let p = sum_until_ff(0, 16, JNEI);
        let l = listing(&p);
        assert!(l.contains("unrolled 8x") && l.contains("increments folded"), "{l}");
        for op in [JNEI, JLTI] {
            for start in 0..4 {
                for n in (start + 1)..=21 {
                    let p = sum_until_ff(start, n, op);
                    let (s, n) = (start as usize, n as usize);
                    for stop in std::iter::once(None).chain((s..n).map(Some)) {
                        let buf = buffer(24, stop);
                        let want = match stop {
                            Some(p) => 1000 + p as u64,
                            None => buf[s..n].iter().map(|&b| b as u64).sum(),
                        };
                        assert_eq!(both_mem(&p, &buf).0, Ok(want), "start {s} n {n} stop {stop:?}");
                    }
                }
            }
        }
        // `<` from past the bound: one pass, as written.
        let buf = buffer(24, None);
        assert_eq!(both_mem(&sum_until_ff(9, 4, JLTI), &buf).0, Ok(buf[9] as u64));
    }

    #[test]
    fn a_buffer_too_short_faults_at_the_load_in_any_copy() {
        let p = sum_until_ff(0, 16, JNEI);
        for len in 1..16 {
            let (r, _) = both_mem(&p, &buffer(len, None));
            let e = r.expect_err("reads past the buffer");
            assert_eq!(e.pc, 4, "len {len}");
            match e.fault {
                Fault::Memory(AccessFault::OutOfBounds { len: 1, .. }) => {}
                f => panic!("len {len}: {f:?}"),
            }
        }
    }

    /// 16-bit words at steps of 2, 4 and 8 with the exit after the
    /// increment: r0 = 1000 + the index then.
    #[test]
    fn steps_and_exits_after_the_increment() {
        for step in [2, 4, 8] {
            for words in 1..=12 {
                let n = step * words;
                let p = vec![
                    mov64(0, 0),
                    mov64(3, 0),
                    i(MOV64R, 4, 1, 0, 0),
                    i(ADD64R, 4, 3, 0, 0),
                    i(0x69, 5, 4, 0, 0), // r5 = *(u16 *)(r4 + 0)
                    i(ADD64I, 3, 0, 0, step),
                    i(JEQI, 5, 0, 3, 0xffff),
                    i(ADD64R, 0, 5, 0, 0),
                    i(JNEI, 3, 0, -7, n),
                    EXIT,
                    i(MOV64R, 0, 3, 0, 0),
                    i(ADD64I, 0, 0, 0, 1000),
                    EXIT,
                ];
                let n = n as usize;
                let step = step as usize;
                for stop in std::iter::once(None).chain((0..n).step_by(step).map(Some)) {
                    let mut buf = buffer(100, None);
                    if let Some(s) = stop {
                        buf[s] = 0xff;
                        buf[s + 1] = 0xff;
                    }
                    let want = match stop {
                        Some(s) => 1000 + (s + step) as u64,
                        None => (0..n)
                            .step_by(step)
                            .map(|k| u16::from_le_bytes([buf[k], buf[k + 1]]) as u64)
                            .sum(),
                    };
                    assert_eq!(both_mem(&p, &buf).0, Ok(want), "step {step} n {n} stop {stop:?}");
                }
            }
        }
    }

    /// A body that reads the index itself keeps its increments: the sum of
    /// the indices start..n.
    #[test]
    fn other_reads_of_the_index_keep_the_increments() {
        for start in 0..5 {
            for n in (start + 1)..=19 {
                let p = vec![
                    mov64(0, 0),
                    mov64(3, start),
                    i(ADD64R, 0, 3, 0, 0), // 2: r0 += r3
                    i(ADD64I, 3, 0, 0, 1),
                    i(JNEI, 3, 0, -3, n),
                    EXIT,
                ];
                if (start, n) == (0, 8) {
                    let l = listing(&p);
                    assert!(l.contains("unrolled 8x") && !l.contains("increments folded"), "{l}");
                }
                let want: u64 = (start as u64..n as u64).sum();
                assert_eq!(both(&p), Ok(want), "start {start} n {n}");
            }
        }
    }

    /// With the verifier's hints (the default JIT), an access at
    /// `r1 + i + k` is checked once per round for all its copies (as one
    /// access of up to 16 bytes, or its first and last copies); a round the
    /// region can't hold whole runs the loop as written, whose checks fault
    /// exactly where the interpreter does. Every buffer length, trip count
    /// and offset, loads and stores, a read-only packet: the interpreter's
    /// r0 or fault, and memory, on the hinted image.
    #[test]
    fn hinted_round_checks_cover_every_copy_or_fall_back() {
        use userbpf::exec::AccessProof;
        // (bytes, step), eight copies a round: one 8-byte check; one
        // 16-byte check; two checks (a round spans 30 bytes).
        for (bytes, step) in [(1usize, 1i32), (2, 2), (2, 4)] {
            let (load, store_op) = if bytes == 1 { (0x71, 0x73) } else { (0x69, 0x6b) };
            let program = |trips: i32, off: i16, store: bool| {
                vec![
                    mov64(0, 0),
                    mov64(3, 0),
                    i(MOV64R, 4, 1, 0, 0), // 2: r4 = r1
                    i(ADD64R, 4, 3, 0, 0), // r4 += r3
                    if store {
                        i(store_op, 4, 3, off, 0) // *(r4 + off) = r3
                    } else {
                        i(load, 5, 4, off, 0) // r5 = *(r4 + off)
                    },
                    i(ADD64R, 0, 5, 0, 0),
                    i(ADD64I, 3, 0, 0, step),
                    i(JNEI, 3, 0, -6, trips * step), // if r3 != n goto 2
                    EXIT,
                ]
            };
            let mut hints = vec![AccessProof::None; 9];
            hints[4] = AccessProof::Packet;
            let listing = JitProgram::compile_with_hints(
                &Program::new(program(16, 0, false)).unwrap(),
                JitOptions::default(),
                &hints,
            )
            .unwrap()
            .disassemble();
            // The access's region check: once before each round, once in
            // the loop as written; none in the copies (rdx: the hinted
            // check's scratch, compile/access.rs).
            assert_eq!(listing.matches("sub rdx,[r12+").count(), 2, "{listing}");
            for store in [false, true] {
                for readonly in [false, true] {
                    for trips in [1, 3, 4, 8, 12, 17] {
                        for off in [-1i16, 0, 2] {
                            let prog = Program::new(program(trips, off, store)).unwrap();
                            let jit = JitProgram::compile_with_hints(&prog, JitOptions::default(), &hints).unwrap();
                            for len in 0..(trips as usize * step as usize + 8) {
                                let bytes_in = &buffer(len.max(1), None)[..len];
                                let outcomes = on_packet(&prog, &jit, bytes_in, readonly);
                                let what = format!(
                                    "bytes {bytes} store {store} ro {readonly} trips {trips} off {off} len {len}"
                                );
                                assert_eq!(outcomes[0], outcomes[1], "{what}");
                                // By hand: in bounds exactly when the last
                                // access ends inside the buffer (and a
                                // store, in a writable one).
                                let last_end = (trips as i64 - 1) * step as i64 + off as i64 + bytes as i64;
                                let ok = off >= 0 && last_end <= len as i64 && !(store && readonly);
                                assert_eq!(outcomes[0].0.is_ok(), ok, "{what}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Metered images don't unroll: a budget stops at the same instruction
    /// as the interpreter.
    #[test]
    fn budgets_see_the_loop_as_written() {
        let p = sum_until_ff(0, 16, JNEI);
        let buf = buffer(24, None);
        for budget in [5, 17, 40, 77] {
            let opts = RunOptions {
                budget: Some(budget),
                ..RunOptions::default()
            };
            let (r, _) = both_with(&p, &buf, false, &opts, &HelperTable::conformance());
            assert!(
                matches!(
                    r,
                    Err(ExecError {
                        fault: Fault::BudgetExhausted { .. },
                        ..
                    })
                ),
                "{r:?}"
            );
        }
    }

    /// A rotated loop with a 32-bit index (clang's `for` with a
    /// `continue`, as in the inlined lookups): `w7 = start; goto body;
    /// test: w7 += 1; if w7 != n goto body; exit; body: w1 = w7; w1 &= 3;
    /// if w1 == 0 goto test; r0 += r1; if r0 > limit goto out; goto test;
    /// out: r7 *= 1000; r0 += r7; exit`. The sum of i & 3 over the trip
    /// (or, leaving early, the sum so far plus 1000 times the index at
    /// that point, 32-bit).
    fn rotated_sum(start: u32, n: u32, limit: i32) -> Vec<Insn> {
        vec![
            mov64(0, 0),
            i(0xb4, 7, 0, 0, start as i32), // 1: w7 = start
            i(0x05, 0, 0, 3, 0),            // 2: goto 6
            i(0x04, 7, 0, 0, 1),            // 3: w7 += 1
            i(0x56, 7, 0, 1, n as i32),     // 4: if w7 != n goto 6
            EXIT,                           // 5
            i(0xbc, 1, 7, 0, 0),            // 6: w1 = w7
            i(0x54, 1, 0, 0, 3),            // 7: w1 &= 3
            i(JEQI, 1, 0, -6, 0),           // 8: if w1 == 0 goto 3
            i(ADD64R, 0, 1, 0, 0),          // 9: r0 += r1
            i(0x25, 0, 0, 1, limit),        // 10: if r0 > limit goto 12
            i(0x05, 0, 0, -9, 0),           // 11: goto 3
            i(0x27, 7, 0, 0, 1000),         // 12: r7 *= 1000
            i(ADD64R, 0, 7, 0, 0),          // r0 += r7
            EXIT,
        ]
    }

    /// By hand: the loop, one iteration at a time.
    fn rotated_sum_model(start: u32, n: u32, limit: i32) -> u64 {
        let (mut i, mut r0) = (start, 0u64);
        loop {
            let r1 = (i & 3) as u64;
            if r1 != 0 {
                r0 += r1;
                if r0 > limit as u64 {
                    return r0 + i as u64 * 1000;
                }
            }
            i = i.wrapping_add(1);
            if i == n {
                return r0;
            }
        }
    }

    #[test]
    fn rotated_loops_with_a_32_bit_index_and_continues() {
        let l = listing(&rotated_sum(0, 16, 1 << 30));
        assert!(
            l.contains("unrolled 8x when (16 - w7)") && l.contains("increments folded"),
            "{l}"
        );
        // Copies read w7 + k as a 32-bit lea (r7 is r13).
        assert!(l.contains("lea edi,[r13+3]"), "{l}");
        let starts = [0u32, 1, 2, 3, 0xffff_fffa, 0xffff_fffe, 0xffff_ffff];
        for start in starts {
            for trips in 1..=21u32 {
                let n = start.wrapping_add(trips);
                for limit in [1 << 30, 0, 3, 7, 12] {
                    let want = rotated_sum_model(start, n, limit);
                    let got = both(&rotated_sum(start, n, limit));
                    assert_eq!(got, Ok(want), "start {start:#x} trips {trips} limit {limit}");
                }
            }
        }
    }

    /// The guest address the first region of a run's memory gets (both
    /// engines'), where tests place the lookups' values.
    fn first_region_addr() -> u64 {
        let mut probe = [0u8; 8];
        GuestMemory::new().add(&mut probe, RegionKind::Memory)
    }

    /// clang's inlined array lookups as the bench runs them (a rotated
    /// loop whose miss path continues; the key through the stack): sum
    /// the u64 values at `values` for keys `i & mask`, i from 0 to n.
    fn lookups(values: u64, n: i32, mask: i32) -> Vec<Insn> {
        let mut p = vec![
            i(0xb4, 7, 0, 0, 0),    // 0: w7 = 0
            mov64(6, 0),            // 1: r6 = 0
            i(0x05, 0, 0, 4, 0),    // 2: goto 7
            i(0x04, 7, 0, 0, 1),    // 3: w7 += 1
            i(0x56, 7, 0, 2, n),    // 4: if w7 != n goto 7
            i(0xbc, 0, 6, 0, 0),    // 5: w0 = w6
            EXIT,                   // 6
            i(0xbc, 1, 7, 0, 0),    // 7: w1 = w7
            i(0x54, 1, 0, 0, mask), // 8: w1 &= mask
            i(0x63, 10, 1, -4, 0),  // 9: *(u32 *)(r10 - 4) = r1
            i(MOV64R, 2, 10, 0, 0), // 10: r2 = r10
            i(ADD64I, 2, 0, 0, -4), // 11: r2 += -4
        ];
        p.extend(lddw(1, values)); // 12-13: r1 = values
        p.extend([
            i(0x61, 0, 2, 0, 0),   // 14: r0 = *(u32 *)(r2 + 0)
            i(0x35, 0, 0, 3, 16),  // 15: if r0 >= 16 goto 19
            i(0x67, 0, 0, 0, 3),   // 16: r0 <<= 3
            i(ADD64R, 0, 1, 0, 0), // 17: r0 += r1
            i(0x05, 0, 0, 1, 0),   // 18: goto 20
            mov64(0, 0),           // 19: r0 = 0
            i(JEQI, 0, 0, -18, 0), // 20: if r0 == 0 goto 3
            i(0x79, 1, 0, 0, 0),   // 21: r1 = *(u64 *)(r0 + 0)
            i(ADD64R, 1, 6, 0, 0), // 22: r1 += r6
            i(MOV64R, 6, 1, 0, 0), // 23: r6 = r1
            i(0x05, 0, 0, -22, 0), // 24: goto 3
        ]);
        p
    }

    /// By hand: the sum of the values k * 3 + 1 the keys hit.
    fn lookups_sum(n: i32, mask: i32) -> u64 {
        (0..n as u64)
            .map(|i| i & mask as u64)
            .filter(|&k| k < 16)
            .map(|k| k * 3 + 1)
            .sum()
    }

    /// 16 u64 values k * 3 + 1 after 8 bytes of padding.
    fn values_buffer() -> Vec<u8> {
        let mut buf = vec![0u8; 8 + 16 * 8];
        for k in 0..16u64 {
            buf[8 + 8 * k as usize..][..8].copy_from_slice(&(k * 3 + 1).to_le_bytes());
        }
        buf
    }

    /// The bench's inlined array lookups: the bound test is decided, the
    /// miss path skipped in every copy, and the sum is the values'.
    #[test]
    fn inlined_lookups_in_a_rotated_loop() {
        let values = first_region_addr() + 8;
        let buf = values_buffer();
        let l = listing(&lookups(values, 256, 15));
        let (rounds, _) = l.split_once("; 7: (bc)").expect("the loop as written");
        assert!(rounds.contains("unrolled 4x") && !rounds.contains("cmp rbx,10h"), "{l}");
        // The values' address lives in a register the program leaves free
        // (loaded once by the prologue); the copies' leas read it there.
        let (prologue, body) = l.split_once("; 0: ").expect("a prologue");
        let hex = format!("{values:X}h");
        assert!(prologue.contains(&hex) && !body.contains(&hex), "{l}");
        for n in [1, 2, 3, 4, 5, 8, 9, 31, 256] {
            // Keys i & 15 always hit; i & 31 miss from 16 on (continue).
            for mask in [15, 31] {
                let want = lookups_sum(n, mask);
                assert_eq!(
                    both_mem(&lookups(values, n, mask), &buf).0,
                    Ok(want),
                    "n {n} mask {mask}"
                );
            }
        }
    }

    /// Hinted images check the values' whole range once before the rounds
    /// (the key's range bounds the address: values + 0..=120) instead of
    /// each copy's access; a region too short for the range sends the
    /// loop to its form as written, which faults where the interpreter
    /// does.
    #[test]
    fn hinted_lookups_check_the_key_range_before_the_rounds() {
        use userbpf::exec::AccessProof;
        let values = first_region_addr() + 8;
        let mut hints = vec![AccessProof::None; 26];
        hints[21] = AccessProof::Packet;
        let compile = |p: &[Insn]| {
            JitProgram::compile_with_hints(&Program::new(p.to_vec()).unwrap(), JitOptions::default(), &hints).unwrap()
        };
        let l = compile(&lookups(values, 256, 15)).disassemble();
        let (rounds, as_written) = l.split_once("; 7: (bc)").expect("the loop as written");
        // One check (of the first and the last value) before the rounds,
        // one in the loop as written (rcx or rdx: the hinted check's
        // scratch).
        let checks = |t: &str| t.matches("sub rcx,[r12+").count() + t.matches("sub rdx,[r12+").count();
        assert_eq!((checks(rounds), checks(as_written)), (1, 1), "{l}");
        let full = values_buffer();
        for (n, mask) in [(256, 15), (20, 15), (9, 7), (3, 15)] {
            let prog = Program::new(lookups(values, n, mask)).unwrap();
            let jit = compile(&lookups(values, n, mask));
            // Every length of the values' region, around the 136 bytes.
            for len in (0..=full.len()).step_by(4).chain([9, 15, 17, 127, 129, 135]) {
                let outcomes: Vec<_> = on_packet(&prog, &jit, &full[..len], false)
                    .into_iter()
                    .map(|(r, _)| r)
                    .collect();
                let what = format!("n {n} mask {mask} len {len}");
                assert_eq!(outcomes[0], outcomes[1], "{what}");
                // By hand: the largest key read, k, needs 8 + 8k + 8 bytes.
                let k = (n as usize - 1).min(mask as usize);
                let ok = 16 + 8 * k <= len;
                assert_eq!(outcomes[0].is_ok(), ok, "{what}");
                if ok {
                    assert_eq!(outcomes[0], Ok(lookups_sum(n, mask)), "{what}");
                }
            }
        }
    }

    /// The same lookups in a program that names every register: no
    /// register is free, the constant is materialised where it is
    /// defined, and the sums are the same.
    #[test]
    fn constants_stay_in_the_code_when_no_register_is_free() {
        let values = first_region_addr() + 8;
        let buf = values_buffer();
        let mut p = lookups(values, 40, 15);
        // Name r3-r5, r8 and r9 before the loop (r0-r2, r6, r7 it uses).
        let names: Vec<Insn> = [3u8, 4, 5, 8, 9].iter().map(|&r| mov64(r, 0)).collect();
        // Jumps crossing the insertion point: none (it goes first), but the
        // lookups' own offsets are relative, so prepend.
        p.splice(0..0, names);
        let l = listing(&p);
        let hex = format!("{values:X}h");
        let (prologue, body) = l.split_once("; 0: ").expect("a prologue");
        assert!(!prologue.contains(&hex) && body.contains(&hex), "{l}");
        assert_eq!(both_mem(&p, &buf).0, Ok(lookups_sum(40, 15)));
        assert_eq!(both_mem(&lookups(values, 40, 15), &buf).0, Ok(lookups_sum(40, 15)));
    }

    /// clang's packet loop with its bound test, `for (i = start; i < n;
    /// i++) { if (data + i + w > end) break; s += data[i]; }` with `end =
    /// data + len`: the test runs once a round (of the last copy's value) and in
    /// no copy; a round that would leave runs the loop as written, which
    /// leaves at the right byte. Every start, trip count, width w and
    /// length against the interpreter and by hand; r0 = s, or 1000 + i
    /// when the test left.
    #[test]
    fn bound_tests_are_decided_once_a_round() {
        let program = |start: i32, n: i32, w: i32, op: u8| {
            vec![
                mov64(0, 0),
                mov64(2, start),
                i(MOV64R, 4, 1, 0, 0), // 2: r4 = r1
                i(ADD64R, 4, 2, 0, 0), // r4 += r2
                i(MOV64R, 5, 4, 0, 0), // r5 = r4
                i(ADD64I, 5, 0, 0, w), // r5 += w
                i(op, 5, 3, 6, 0),     // if r5 > r3 (>=) goto 13
                i(0x71, 4, 4, 0, 0),   // r4 = *(u8 *)(r4 + 0)
                i(ADD64R, 0, 4, 0, 0), // r0 += r4
                i(ADD64I, 2, 0, 0, 1), // r2 += 1
                i(JNEI, 2, 0, -9, n),  // if r2 != n goto 2
                EXIT,
                EXIT,
                i(MOV64R, 0, 2, 0, 0), // 13: r0 = r2
                i(ADD64I, 0, 0, 0, 1000),
                EXIT,
            ]
        };
        const JGTR: u8 = 0x2d;
        const JGER: u8 = 0x3d;
        let l = listing(&program(0, 64, 1, JGTR));
        let (rounds, _) = l.split_once("; 2: (bf)").expect("the loop as written");
        // r5 is r10 (host): neither computed nor compared in the copies.
        assert!(
            rounds.contains("unrolled 8x") && !rounds.contains("r10,r8") && !rounds.contains("lea r10"),
            "{l}"
        );
        for op in [JGTR, JGER] {
            for w in [1, 2] {
                for start in 0..3 {
                    for n in (start + 1)..=19 {
                        for len in 0..=20usize {
                            let buf = buffer(len.max(1), None);
                            let mut p = program(start, n, w, op);
                            // r3 = r1 + len (the end), before the loop.
                            p.splice(1..1, [i(MOV64R, 3, 1, 0, 0), i(ADD64I, 3, 0, 0, len as i32)]);
                            // By hand.
                            let mut want = 0u64;
                            for k in start..n {
                                let v = k as i64 + w as i64;
                                let leaves = if op == JGTR { v > len as i64 } else { v >= len as i64 };
                                if leaves {
                                    want = 1000 + k as u64;
                                    break;
                                }
                                want += buf[k as usize] as u64;
                            }
                            let got = both_mem(&p, &buf[..len.max(1)]).0;
                            assert_eq!(got, Ok(want), "op {op:#x} w {w} start {start} n {n} len {len}");
                        }
                    }
                }
            }
        }
    }
}
