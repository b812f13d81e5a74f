//! The interpreter and the JIT on the behaviour the conformance suite does
//! not cover (faults, frames, budgets, packets, helpers, atomics): every
//! case runs on both engines, which must agree on r0 or the error and on
//! memory, and the agreed outcome is checked against the hand-derived one
//! (RFC 9669 and the kernel's semantics). Then what only the JIT has: code
//! size per instruction, disassembly, blinding, runtime selection, and the
//! JIT's own rewrites (fused pairs, folded constants, copied loop tests,
//! unrolled loops), each against the interpreter and by hand.
//!
//! Programs are written in the kernel's syntax (what the verifier log
//! prints) and assembled by `isa::asm`; a raw encoding remains only where a
//! test enumerates encodings.

mod common;

use common::engines::{asm, both, both_mem, both_with, compile, listing, on_both, program, run_bare, Args, Buf, On};
use userbpf::exec::{
    AccessFault, ExecError, Fault, GuestMemory, HelperExit, HelperTable, JitOptions, JitProgram, LdAbsPacket,
    RegionKind, RunOptions,
};
use userbpf::isa::{decode, Insn};
use userbpf::prog::Runtime;
use userbpf::runtime::{select_runtime, RuntimePolicy};

/// What both engines must give.
enum Want {
    /// This r0.
    R0(u64),
    /// Any r0 (the engines' agreement is the check).
    Ok,
    /// An error, at `pc` when given, whose fault `is` accepts.
    Fault(Option<usize>, fn(&Fault) -> bool),
}

/// One row of a table: a program, the buffer r1 points to (r2 = its
/// length; none when empty), the outcome, and the bytes the buffer must
/// start with afterwards.
struct Case {
    what: &'static str,
    prog: String,
    buf: Vec<u8>,
    want: Want,
    after: Option<Vec<u8>>,
}

fn case(what: &'static str, prog: impl Into<String>, want: Want) -> Case {
    Case {
        what,
        prog: prog.into(),
        buf: Vec::new(),
        want,
        after: None,
    }
}

impl Case {
    fn on(mut self, buf: &[u8]) -> Case {
        self.buf = buf.to_vec();
        self
    }

    fn leaving(mut self, prefix: &[u8]) -> Case {
        self.after = Some(prefix.to_vec());
        self
    }
}

/// Run every row on both engines (the buffer mapped as `kind`) and check
/// it.
fn check(cases: &[Case], kind: Buf, opts: &RunOptions, helpers: &HelperTable) {
    for c in cases {
        let (r, after) = both_with(&asm(&c.prog), &c.buf, kind, opts, helpers);
        let what = format!("{}:\n{}", c.what, c.prog);
        match c.want {
            Want::R0(v) => assert_eq!(r, Ok(v), "{what}"),
            Want::Ok => assert!(r.is_ok(), "{what}: {r:?}"),
            Want::Fault(pc, is) => {
                let e = r.expect_err(&what);
                if let Some(pc) = pc {
                    assert_eq!(e.pc, pc, "{what}: {e}");
                }
                assert!(is(&e.fault), "{what}: {e}");
            }
        }
        if let Some(prefix) = &c.after {
            assert_eq!(&after[..prefix.len()], &prefix[..], "{what}");
        }
    }
}

/// [`check`] with the conformance helpers, no budget, a writable buffer.
fn check_plain(cases: &[Case]) {
    check(cases, Buf::Memory, &RunOptions::default(), &HelperTable::conformance());
}

use Want::{Fault as Faults, R0};

#[test]
fn memory_faults_name_the_instruction_and_the_access() {
    check_plain(&[
        // Bytes 4..12 of an 8-byte region.
        case(
            "out of bounds",
            "r0 = 0\nr0 = *(u64 *)(r1 +4)\nexit",
            Faults(Some(1), |f| {
                matches!(f, Fault::Memory(AccessFault::OutOfBounds { len: 8, .. }))
            }),
        )
        .on(&[0; 8]),
        // NULL, below the stack, past the frame, a scalar with a
        // region-like high half.
        case(
            "null",
            "r0 = *(u8 *)(r1 +0)\nexit",
            Faults(None, |f| {
                matches!(f, Fault::Memory(AccessFault::Unmapped { addr: 0, .. }))
            }),
        ),
        case(
            "below the 4096-byte stack",
            "*(u8 *)(r10 -4097) = 1\nexit",
            Faults(Some(0), |f| {
                matches!(f, Fault::Memory(AccessFault::Unmapped { addr: 0xffff_ffff, .. }))
            }),
        ),
        case(
            "at the frame pointer",
            "*(u8 *)(r10 +0) = 1\nexit",
            Faults(None, |f| matches!(f, Fault::Memory(AccessFault::OutOfBounds { .. }))),
        ),
        case(
            "a scalar",
            "r1 = 0x900000000\nr0 = *(u32 *)(r1 +0)\nexit",
            Faults(Some(2), |f| matches!(f, Fault::Memory(AccessFault::Unmapped { .. }))),
        ),
    ]);
    // Read-only regions refuse stores, and the store leaves no trace.
    let store = "*(u32 *)(r1 +0) = 1\nexit";
    let read_only = |f: &Fault| matches!(f, Fault::Memory(AccessFault::ReadOnly { .. }));
    check(
        &[case("read-only packet", store, Faults(None, read_only))
            .on(&[5; 4])
            .leaving(&[5; 4])],
        Buf::ReadOnlyPacket,
        &RunOptions::default(),
        &HelperTable::new(),
    );
    check(
        &[case("read-only context", store, Faults(None, read_only)).on(&[0; 4])],
        Buf::ReadOnlyContext,
        &RunOptions::default(),
        &HelperTable::conformance(),
    );
}

#[test]
fn stores_and_loads_of_every_size_and_sign() {
    let buf: Vec<u8> = (0x80..0x90).collect();
    let prog = asm("
        r3 = *(s8 *)(r1 +0)
        r4 = *(s16 *)(r1 +2)
        r5 = *(s32 *)(r1 +4)
        *(u64 *)(r1 +8) = r3
        *(u16 *)(r1 +0) = r4
        *(u8 *)(r1 +15) = -2
        r3 += r4
        r3 += r5
        r0 = r3
        exit");
    let (r, after) = both_mem(&prog, &buf);
    let want = (0x80u8 as i8 as i64 + 0x8382u16 as i16 as i64 + 0x87868584u32 as i32 as i64) as u64;
    assert_eq!(r.unwrap(), want);
    assert_eq!(&after[8..15], &[0x80, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    assert_eq!(after[15], 0xfe);
}

#[test]
fn misaligned_atomics_fault_but_plain_accesses_do_not() {
    check_plain(&[
        // x86 semantics: plain unaligned accesses are fine.
        case(
            "plain unaligned",
            "*(u64 *)(r10 -12) = 7\nr0 = *(u64 *)(r10 -12)\nexit",
            R0(7),
        ),
        case(
            "atomic on the stack",
            "r1 = 1\nlock *(u64 *)(r10 -12) += r1\nexit",
            Faults(Some(1), |f| {
                matches!(f, Fault::Memory(AccessFault::Misaligned { len: 8, .. }))
            }),
        ),
        case(
            "atomic through a non-stack pointer",
            "r2 = 1\nlock *(u32 *)(r1 +2) += r2\nexit",
            Faults(None, |f| {
                matches!(f, Fault::Memory(AccessFault::Misaligned { len: 4, .. }))
            }),
        )
        .on(&[0; 8]),
    ]);
}

/// The atomic instruction `op` (its imm) of width `w` at `addr`, operand
/// r1 (cmpxchg: expected r0, new r1).
fn atomic(w64: bool, op: i32, addr: &str) -> String {
    let (w, f) = if w64 { ("u64", "atomic64_") } else { ("u32", "atomic_") };
    let m = format!("({w} *)({addr})");
    match op {
        0x00 => format!("lock *{m} += r1"),
        0x40 => format!("lock *{m} |= r1"),
        0x50 => format!("lock *{m} &= r1"),
        0xa0 => format!("lock *{m} ^= r1"),
        0x01 => format!("r1 = {f}fetch_add({m}, r1)"),
        0x41 => format!("r1 = {f}fetch_or({m}, r1)"),
        0x51 => format!("r1 = {f}fetch_and({m}, r1)"),
        0xa1 => format!("r1 = {f}fetch_xor({m}, r1)"),
        0xe1 => format!("r1 = {f}xchg({m}, r1)"),
        0xf1 => format!("r0 = {f}cmpxchg({m}, r0, r1)"),
        _ => unreachable!("atomic op {op:#x}"),
    }
}

#[test]
fn every_atomic_op_agrees() {
    // For each op and width: mem = 0xf0f0..; r1 = 0x0ff0..; r0 = 0xf0f0..
    // (cmpxchg's expected value); apply; return r0 ^ r1 ^ mem. On the
    // stack, then through the buffer pointer (the general path).
    let mut cases = Vec::new();
    for w64 in [false, true] {
        for op in [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1] {
            let on_stack = format!(
                "r2 = 0x12345678f0f0f0f0
                *(u64 *)(r10 -8) = r2
                r1 = 0x0f0f0f0f0ff00ff0
                r0 = r2
                {}
                r3 = *(u64 *)(r10 -8)
                r0 ^= r1
                r0 ^= r3
                exit",
                atomic(w64, op, "r10 -8")
            );
            cases.push(case("on the stack", on_stack, Want::Ok));
            let in_buffer = format!(
                "r4 = r1
                r2 = 0x12345678f0f0f0f0
                *(u64 *)(r4 +0) = r2
                r1 = 0x0f0f0f0f0ff00ff0
                r0 = r2
                {}
                r3 = *(u64 *)(r4 +0)
                r0 ^= r1
                r0 ^= r3
                exit",
                atomic(w64, op, "r4 +0")
            );
            cases.push(case("in the buffer", in_buffer, Want::Ok).on(&[0; 8]));
        }
    }
    // 32-bit fetch zero-extends the old value; memory wraps to 0.
    cases.push(case(
        "32-bit fetch",
        "*(u32 *)(r10 -8) = -1
        r1 = 1
        r1 = atomic_fetch_add((u32 *)(r10 -8), r1)
        r2 = *(u32 *)(r10 -8)
        r0 = r1
        r0 += r2
        exit",
        R0(0xffff_ffff),
    ));
    check_plain(&cases);
}

/// `n` nested bpf-to-bpf calls: each function calls the next (skipping
/// its exit), the last returns 42.
fn call_chain(n: usize) -> String {
    "call pc+1\nexit\n".repeat(n - 1) + "r0 = 42\nexit"
}

#[test]
fn control_flow_faults_and_frames() {
    check_plain(&[
        // goto +1 lands on the second slot of the ld_imm64 (code 0).
        case(
            "into an ld_imm64",
            "goto pc+1\nr0 = 0x1\nexit",
            Faults(Some(2), |f| *f == Fault::InvalidInstruction { code: 0 }),
        ),
        case(
            "out of the program",
            "goto pc+5\nexit",
            Faults(None, |f| *f == Fault::JumpOutOfRange { target: 6, len: 2 }),
        ),
        case(
            "falling off the end",
            "r0 = 1",
            Faults(Some(1), |f| *f == Fault::JumpOutOfRange { target: 1, len: 1 }),
        ),
        // A conditional jump out of range faults only when taken.
        case("untaken", "r0 = 3\nif r0 == 4 goto pc-9\nexit", R0(3)),
        case(
            "taken",
            "r0 = 4\nif r0 == 4 goto pc-9\nexit",
            Faults(Some(1), |f| *f == Fault::JumpOutOfRange { target: -7, len: 3 }),
        ),
        // Unresolved pseudo ld_imm64, kfuncs and arena casts.
        case(
            "a map fd left in",
            "r0 = map[fd:3]\nexit",
            Faults(None, |f| *f == Fault::UnresolvedLdImm64 { src: 1 }),
        ),
        case(
            "a kfunc",
            "call kernel-function#7\nexit",
            Faults(None, |f| matches!(f, Fault::Unsupported { .. })),
        ),
        // Eight frames are allowed, nine are not; recursion until the limit.
        case("eight frames", call_chain(8), R0(42)),
        case(
            "nine frames",
            call_chain(9),
            Faults(Some(14), |f| *f == Fault::CallDepth),
        ),
        case(
            "recursion",
            "call pc-1\nexit",
            Faults(Some(0), |f| *f == Fault::CallDepth),
        ),
        // main: *(r10-8) = 1; r6 = 6; call f; r0 = *(r10-8) + r6 (1 + 6)
        // f:    *(r10-8) = 100; r6 = 0; exit
        case(
            "own stack and callee-saved registers",
            "*(u64 *)(r10 -8) = 1
            r6 = 6
            call pc+3
            r0 = *(u64 *)(r10 -8)
            r0 += r6
            exit
            *(u64 *)(r10 -8) = 100
            r6 = 0
            exit",
            R0(7),
        ),
        // r1-r5 and r0 flow into and out of callees; r10 is restored even
        // when the program writes it (r7 -= r10: 0 when restored).
        case(
            "arguments, results and r10",
            "r1 = 5
            r7 = r10
            call pc+3
            r7 -= r10
            r0 += r7
            exit
            r10 += -8
            r0 = r1
            exit",
            R0(5),
        ),
        // BPF_MAX_LOOPS = 8 * 1024 * 1024 iterations before may_goto jumps.
        case(
            "may_goto's budget",
            "r0 = 0\nmay_goto pc+2\nr0 += 1\ngoto pc-3\nexit",
            R0(8 * 1024 * 1024),
        ),
    ]);
}

#[test]
fn budgets_stop_at_the_same_instruction() {
    // A loop with loads, stores, a helper call and arithmetic; every budget
    // up to past its end must stop both engines at the same pc.
    let prog = asm("
        r6 = 0
        *(u64 *)(r10 -8) = r6
        r6 += 1
        r7 = 0x1
        r6 += r7
        r1 = r6
        call unknown#5 ; the conformance table's helper 5
        r0 = *(u64 *)(r10 -8)
        if r6 < 12 goto pc-9
        exit");
    let helpers = HelperTable::conformance();
    let mut seen = std::collections::BTreeSet::new();
    for budget in 0..80 {
        let opts = RunOptions {
            budget: Some(budget),
            packet: None,
        };
        match both_with(&prog, &[], Buf::Memory, &opts, &helpers).0 {
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
    check(
        &[case(
            "infinite loop",
            "goto pc-1\nexit",
            Faults(None, |f| *f == Fault::BudgetExhausted { budget: 1000 }),
        )],
        Buf::Memory,
        &opts,
        &helpers,
    );
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
    const LL: i32 = -0x200000;
    const NET: i32 = -0x100000;
    let mut cases = Vec::new();
    for (size, k, want) in [
        ("u8", LL, 0x02),
        ("u16", LL + 4, 0xddee),
        ("u32", LL + 6, 0x4500_1122),
        ("u32", LL + 7, 0),
        ("u16", NET + 2, 0x1122),
        ("u8", NET + 4, 0),
        ("u8", LL - 1, 0),
        ("u8", -1, 0),
    ] {
        cases.push(case("ld_abs", format!("r0 = *({size} *)skb[{k}]\nexit"), R0(want)).on(&buf));
    }
    // LD_IND adds in 32 bits: 0x7fffffff + (NET - 0x7fffffff) wraps to NET.
    for (x, k, want) in [(i32::MAX, NET.wrapping_sub(i32::MAX), 0x45), (-0x200000, 3, 0xcc)] {
        let prog = format!("w6 = {x}\nr0 = *(u8 *)skb[r6 + {k}]\nexit");
        cases.push(case("ld_ind", prog, R0(want)).on(&buf));
    }
    check(&cases, Buf::ReadOnlyPacket, &opts, &HelperTable::new());
}

#[test]
fn ld_abs_and_ld_ind_read_network_order_and_exit_zero_out_of_packet() {
    let packet = [0x12u8, 0x34, 0x56, 0x78, 0x9a];
    let opts = RunOptions {
        budget: None,
        packet: Some(LdAbsPacket::linear(0, packet.len() as u32)),
    };
    let cases = [
        case("ntohs at 1", "r0 = *(u16 *)skb[1]\nexit", R0(0x3456)),
        case("byte 4", "r0 = *(u8 *)skb[4]\nexit", R0(0x9a)),
        case(
            "ntohl at r6 + 0",
            "r6 = 1\nr0 = *(u32 *)skb[r6 + 0]\nexit",
            R0(0x3456789a),
        ),
        // Out of the packet: the program ends with r0 = 0, not a fault.
        case("past the end", "r0 = 9\nr0 = *(u8 *)skb[5]\nr0 = 9\nexit", R0(0)),
        // A negative offset through the index register, and from a callee.
        case(
            "negative index",
            "r6 = -1\nr0 = *(u8 *)skb[r6 + 0]\nr0 = 9\nexit",
            R0(0),
        ),
        case(
            "from a callee",
            "call pc+2\nr0 = 7\nexit\nr0 = *(u8 *)skb[99]\nexit",
            R0(0),
        ),
    ]
    .map(|c| c.on(&packet));
    check(&cases, Buf::ReadOnlyPacket, &opts, &HelperTable::new());
    // Without a packet every legacy load ends the program with 0.
    check_plain(&[case("no packet", "r0 = 9\nr0 = *(u8 *)skb[0]\nexit", R0(0))]);
}

#[test]
fn helpers_see_r1_to_r5_keep_them_and_can_end_or_fail_the_program() {
    // The test's own helpers: 1 sum, 2 stop, 3 fail, 4 poke.
    let mut helpers = HelperTable::new();
    helpers.register(1, "sum", |_, a| Ok(a.iter().sum()));
    helpers.register(2, "stop", |_, a| Err(HelperExit::Exit(a[0] * 2)));
    helpers.register(3, "fail", |_, _| Err(HelperExit::Failed("no".into())));
    helpers.register(4, "poke", |m, a| {
        m.store(a[0], 4, a[1])?;
        Ok(0)
    });
    let args = "r1 = 1\nr2 = 2\nr3 = 3\nr4 = 4\nr5 = 5\n";
    let cases = [
        case(
            "r5 survives the call",
            format!("{args}call unknown#1\nr0 += r5\nexit"),
            R0(20),
        ),
        case("stop", format!("{args}call unknown#2\nr0 = -1\nexit"), R0(2)),
        case(
            "sum, then stop with it",
            format!("{args}call unknown#1\nr1 = r0\ncall unknown#2\nr0 = -1\nexit"),
            R0(30),
        ),
        case(
            "a failing helper",
            "call unknown#3\nexit",
            Faults(None, |f| matches!(f, Fault::HelperFailed { name: "fail", .. })),
        ),
        // An unregistered helper is a fault, not a panic.
        case(
            "an unknown helper",
            "call unknown#77\nexit",
            Faults(None, |f| *f == Fault::UnknownHelper { id: 77 }),
        ),
        case(
            "an unknown helper after an instruction",
            "r0 = 0\ncall unknown#77\nexit",
            Faults(Some(1), |f| *f == Fault::UnknownHelper { id: 77 }),
        ),
        // callx: the helper id in a register.
        case(
            "callx",
            "r1 = 3\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\nr6 = 1\ncallx r6\nexit",
            R0(3),
        ),
        // A helper writes guest memory; a helper's fault is the program's.
        case("poke", "r2 = 16909060 ; 0x01020304\ncall unknown#4\nexit", R0(0)).leaving(&[4, 3, 2, 1]),
        case(
            "poke out of bounds",
            "r1 += 6\ncall unknown#4\nexit",
            Faults(None, |f| matches!(f, Fault::Memory(AccessFault::OutOfBounds { .. }))),
        ),
    ]
    .map(|c| c.on(&[0; 8]));
    check(&cases, Buf::Memory, &RunOptions::default(), &helpers);
}

#[test]
fn a_helper_panic_reaches_the_caller() {
    let mut helpers = HelperTable::new();
    helpers.register(1, "boom", |_, _| panic!("helper panicked"));
    let jit = compile(&asm("call unknown#1\nexit"), JitOptions::default());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        run_bare(On::Jit(&jit), &helpers, &RunOptions::default())
    }));
    let payload = r.unwrap_err();
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"helper panicked"));
}

#[test]
fn shifts_mask_and_32_bit_results_zero_extend() {
    // r0 = -1 (64 bits); w0 <<= w1 with w1 = 32 (masked to 0): the upper
    // half must still be cleared.
    let mut cases = Vec::new();
    for op in ["<<=", ">>=", "s>>="] {
        let reg = format!("r0 = -1\nr1 = 32\nw0 {op} w1\nexit");
        cases.push(case("32-bit by register", reg, R0(0xffff_ffff)));
        let imm = format!("r0 = -1\nw0 {op} 32\nexit");
        cases.push(case("32-bit by immediate", imm, R0(0xffff_ffff)));
        let wide = format!("r0 = -5\nr1 = 65\nr0 {op} r1\nexit");
        cases.push(case("64-bit by 65", wide, Want::Ok));
    }
    check_plain(&cases);
}

#[test]
fn division_by_zero_and_minus_one() {
    // (width, op, a, b, want): r0 = a; r0 op= b, by register and by
    // immediate.
    let rows: &[(&str, &str, i64, i64, u64)] = &[
        ("r", "/=", 7, 0, 0),                           // div64 by 0
        ("r", "%=", 7, 0, 7),                           // mod64 by 0
        ("w", "/=", -7, 0, 0),                          // div32 by 0
        ("w", "%=", -7, 0, 0xffff_fff9),                // mod32 by 0 truncates
        ("r", "s/=", i64::MIN, -1, i64::MIN as u64),    // sdiv64 INT_MIN / -1
        ("r", "s%=", i64::MIN, -1, 0),                  // smod64
        ("w", "s/=", i32::MIN as i64, -1, 0x8000_0000), // sdiv32
        ("w", "s%=", i32::MIN as i64, -1, 0),           // smod32
        ("r", "s/=", -7, 2, -3i64 as u64),
        ("r", "s%=", -7, 2, -1i64 as u64),
    ];
    let mut cases = Vec::new();
    for &(w, op, a, b, want) in rows {
        let (a, b_reg) = (a as u64, b as u64);
        let reg = format!("r0 = {a:#x}\nr1 = {b_reg:#x}\n{w}0 {op} {w}1\nexit");
        cases.push(case("register", reg, R0(want)));
        let imm = format!("r0 = {a:#x}\n{w}0 {op} {}\nexit", b as i32);
        cases.push(case("immediate", imm, R0(want)));
    }
    check_plain(&cases);
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
    let mut cases = Vec::new();
    for a in values {
        for b in values.into_iter().filter(|&b| b != 0) {
            for (op, want) in [("/=", a / b), ("%=", a % b)] {
                let p = format!("r0 = {a:#x}\nr1 = {b:#x}\nr0 {op} r1\nexit");
                cases.push(case("register", p, R0(want)));
            }
        }
        // Immediates are sign-extended: 7 and -2 (u64::MAX - 1).
        for (imm, b) in [(7i32, 7u64), (-2, u64::MAX - 1)] {
            for (op, want) in [("/=", a / b), ("%=", a % b)] {
                let p = format!("r0 = {a:#x}\nr0 {op} {imm}\nexit");
                cases.push(case("immediate", p, R0(want)));
            }
        }
    }
    check_plain(&cases);
}

/// Every instruction form, for the code size bound. Raw encodings: the
/// test enumerates every opcode byte with a set of field values, keeping
/// what decodes.
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
    let exit = asm("exit");
    let mut worst = (0, String::new());
    for meter in [false, true] {
        for form in &forms {
            let slots = [&form[..], &exit].concat();
            let jit = compile(&slots, JitOptions { meter, blind: false });
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
    let text = listing(&asm("r0 = 1\nr2 = *(u8 *)(r1 +3)\nr0 += r2\nexit"));
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
    let magic: i32 = 0x5a17_c0de;
    let wide = (magic as u64) << 32 | magic as u64;
    let slots = asm(&format!(
        "r0 = {magic}
        r0 += {magic}
        if r0 != {magic} goto pc+1
        *(u64 *)(r10 -8) = {magic}
        r1 = *(u64 *)(r10 -8)
        r0 += r1
        r2 = {wide:#x}
        r0 += r2
        r0 /= {magic}
        exit"
    ));
    let helpers = HelperTable::new();
    let prog = program(&slots);
    let want = run_bare(On::Interpreter(&prog), &helpers, &RunOptions::default()).unwrap();
    let needle = magic.to_le_bytes();
    for blind in [false, true] {
        let jit = compile(&slots, JitOptions { meter: false, blind });
        let found = jit.image().windows(4).any(|w| w == needle);
        assert_eq!(found, !blind, "blind = {blind}");
        assert_eq!(run_bare(On::Jit(&jit), &helpers, &RunOptions::default()).unwrap(), want);
    }
}

#[test]
fn runtime_selection_follows_the_kernel() {
    let prog = program(&asm("r0 = 1\nexit"));
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
    let jit = compile(&asm("r0 = 1\nexit"), JitOptions::default());
    assert_eq!(jit.len(), jit.image().len());
    assert!(jit.addr() != 0 && jit.addr().is_multiple_of(4096));
    // A budget needs a metered image.
    let opts = RunOptions {
        budget: Some(5),
        packet: None,
    };
    let e = run_bare(On::Jit(&jit), &HelperTable::new(), &opts).unwrap_err();
    assert!(matches!(e.fault, Fault::Unsupported { .. }));
}

#[test]
fn proven_accesses_skip_checks_and_keep_results() {
    // Sum the 16-byte buffer, keep the running sum on the stack, count
    // iterations with an atomic add on the buffer's last word: every access
    // is in bounds, as a verifier would prove.
    let slots = asm("
        r0 = 0
        r3 = 0
        *(u64 *)(r10 -8) = 0
        if r3 >= r2 goto pc+10 ; loop: to out
        r4 = r1
        r4 += r3
        r5 = *(u8 *)(r4 +0)
        r6 = *(u64 *)(r10 -8)
        r6 += r5
        *(u64 *)(r10 -8) = r6
        r7 = 1
        lock *(u32 *)(r1 +12) += r7
        r3 += 1
        goto pc-11 ; to loop
        r0 = *(u64 *)(r10 -8) ; out
        exit");
    assert_eq!(slots[13], Insn::new(0x05, 0, 0, -11, 0));
    let prog = program(&slots);
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
    let checked = compile(&slots, JitOptions::default());
    assert!(fast.len() < checked.len(), "{} vs {}", fast.len(), checked.len());
    let helpers = HelperTable::new();
    let bytes: Vec<u8> = (1..=16).collect();
    let results: Vec<_> = [&fast, &checked]
        .into_iter()
        .map(|image| {
            // The image on both sides: the outcomes of the two images.
            on_both(
                &prog,
                image,
                &bytes,
                Buf::Memory,
                Args::AddrAndLen,
                &RunOptions::default(),
                &helpers,
            )
            .pop()
            .unwrap()
        })
        .collect();
    assert_eq!(results[0], results[1]);
    // Byte 12 is read after 12 increments of the word it starts.
    assert_eq!(results[0].0, Ok((1..=16u64).sum::<u64>() + 12));
    assert_eq!(results[0].1[12..], [13 + 16, 14, 15, 16]);
}

/// `body` and an `exit` on both engines: r0.
fn run_body(body: &str) -> u64 {
    both(&asm(&format!("{body}\nexit"))).unwrap()
}

/// `dst = src; dst += x` compiles to one lea: 64-bit and 32-bit (which
/// wraps and zero-extends), with an immediate, a register, the register
/// itself, and the frame pointer as source; a jump landing between the two
/// keeps them apart. Values derived by hand.
#[test]
fn mov_add_pairs_fuse_into_lea_with_the_same_results() {
    let p = "r2 = 0x1fffffff0\nr0 = r2\nr0 += 32";
    assert_eq!(run_body(p), 0x2_0000_0010);
    let listing = listing(&asm(&format!("{p}\nexit")));
    // r0 is rbx, r2 rsi (compile.rs's register map).
    assert!(listing.contains("lea rbx,[rsi+20h]"), "{listing}");
    assert_eq!(
        run_body("r2 = 0x1fffffff0\nw0 = w2\nw0 += 32"),
        0x10,
        "32-bit: wraps and clears the upper half"
    );
    assert_eq!(run_body("r2 = 0x100000005\nr3 = -7\nr0 = r2\nr0 += r3"), 0xffff_fffe);
    assert_eq!(run_body("r2 = 0x80000001\nr3 = 1\nw0 = w2\nw0 += w3"), 0x8000_0002);
    assert_eq!(
        run_body("r2 = 0x15\nr0 = r2\nr0 += r0"),
        42,
        "dst += dst after dst = src doubles src"
    );
    // r10 (rbp) as the source: r1 = r10 - 8, then read back what was
    // stored there.
    assert_eq!(
        run_body("*(u64 *)(r10 -8) = 99\nr1 = r10\nr1 += -8\nr0 = *(u64 *)(r1 +0)"),
        99
    );
    // A jump to the add: the path through the jump adds to the old r0.
    assert_eq!(
        run_body("r0 = 100\nr2 = 5\ngoto pc+1 ; to the add\nr0 = r2\nr0 += 1"),
        101
    );
}

/// `dst = imm64; dst += k` compiles to one `mov` of the sum: 64-bit (with
/// carry into the upper half and wrap-around) and 32-bit (the sum's low
/// half, zero-extended); a jump landing on the add keeps them apart.
/// Values derived by hand.
#[test]
fn ld_imm64_and_add_fold_into_one_constant() {
    let run = |v: u64, add: &str| {
        let p = asm(&format!("r0 = {v:#x}\n{add}\nexit"));
        (both(&p).unwrap(), listing(&p))
    };
    let (r, listing) = run(0x1_0000_0000, "r0 += 312");
    assert_eq!(r, 0x1_0000_0138);
    // r0 is rbx; no add left. (The sum is one of the program's
    // constants: it may live in a register the program leaves free,
    // loaded by the prologue, and be copied from there.)
    assert!(
        listing.contains(",100000138h") && !listing.contains("add rbx"),
        "{listing}"
    );
    assert_eq!(run(0xffff_ffff, "r0 += 1").0, 0x1_0000_0000);
    assert_eq!(run(5, "r0 += -6").0, u64::MAX);
    assert_eq!(run(0x7_ffff_fffe, "w0 += 3").0, 1, "32-bit: wraps, upper half cleared");
    // A jump to the add: the path through the jump adds to the old r0.
    assert_eq!(run_body("r0 = 100\ngoto pc+2\nr0 = 0x7\nr0 += 1"), 101);
}

/// A rotated loop (`goto test; body: ...; test: i += 1; if i != n goto
/// body`, the back edge a `goto` to the test): the image copies the test to
/// the `goto`, and the loop sums 0..n as the interpreter does (by hand:
/// n(n-1)/2).
#[test]
fn a_goto_back_to_a_loop_test_runs_a_copy_of_it() {
    let rotated = |n: i32| {
        asm(&format!(
            "r0 = 0
            r7 = 0
            goto pc+3 ; to 6
            w7 += 1 ; 3
            if w7 != {n} goto pc+1 ; to 6
            exit
            r0 += r7 ; 6
            goto pc-5 ; to 3"
        ))
    };
    for n in 1..12 {
        assert_eq!(both(&rotated(n)), Ok((n as u64) * (n as u64 - 1) / 2), "n {n}");
    }
    let listing = listing(&rotated(5));
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
    // r0 = 1; if r1 <op> 5 goto +1; goto out; r0 = 2; out: exit.
    type Holds = fn(u64, u64) -> bool;
    let ops: [(&str, Holds); 11] = [
        ("==", |a, b| a == b),
        ("!=", |a, b| a != b),
        (">", |a, b| a > b),
        (">=", |a, b| a >= b),
        ("<", |a, b| a < b),
        ("<=", |a, b| a <= b),
        ("s>", |a, b| (a as i64) > (b as i64)),
        ("s>=", |a, b| (a as i64) >= (b as i64)),
        ("s<", |a, b| (a as i64) < (b as i64)),
        ("s<=", |a, b| (a as i64) <= (b as i64)),
        ("&", |a, b| a & b != 0),
    ];
    let mut cases = Vec::new();
    for (op, holds) in ops {
        for v in [0u64, 4, 5, 6, u64::MAX, 1 << 63] {
            let p = format!(
                "r1 = 0
                r1 = {v:#x}
                r0 = 1
                if r1 {op} 5 goto pc+1
                goto pc+1 ; to out
                r0 = 2
                exit"
            );
            cases.push(case("inverted", p, R0(if holds(v, 5) { 2 } else { 1 })));
        }
    }
    // The test's target out of the program: its own fault, at its pc.
    cases.push(case(
        "out of the program",
        "r0 = 1\nif r0 == 1 goto pc+1\ngoto pc-3",
        Faults(Some(1), |_| true),
    ));
    // A rotated loop whose test falls through to `goto out` (the copy of
    // the test at the back edge goes on there): w7 counts by 3 to 30.
    cases.push(case(
        "a copied test's fall-through",
        "r0 = 0
        w7 = 3
        goto pc+3 ; to 6
        w7 += 3 ; 3
        if w7 != 30 goto pc+1 ; to 6
        goto pc+2 ; to 8
        r0 += 1 ; 6
        goto pc-5 ; to 3
        exit",
        R0(9),
    ));
    check_plain(&cases);
    let listing = listing(&asm("r0 = 1\nif r1 == 5 goto pc+1\ngoto pc+1\nr0 = 2\nexit"));
    // One conditional jump (jne: the inverse of ==), no unconditional one.
    let (_, body) = listing.split_once("; 1: (15)").expect("the test");
    let (body, _) = body.split_once("; 4: (95)").expect("the exit");
    assert!(
        body.contains("jne") && !body.contains("jmp") && !body.contains(" je "),
        "{listing}"
    );
}

/// A `goto` to a test against zero whose outcome the compiler's ranges
/// decide goes where the test leads (and the block it then skips moves
/// out of line); where the ranges can't tell (wrap-around, 32-bit
/// results, shifts out of range), the test runs. Each case against the
/// interpreter and the value derived by hand.
#[test]
fn gotos_past_decided_zero_tests_take_the_tests_way() {
    // The inlined array lookup: r0 = 0 on a miss, else the value. Memory:
    // index at 0, values at 8. The values' guest address is a constant, as
    // a map's is: the buffer is the first region both engines' memories
    // get.
    let buf_addr = {
        let mut probe = [0u8; 8];
        GuestMemory::new().add(&mut probe, RegionKind::Memory)
    };
    let lookup = format!(
        "r6 = {:#x} ; the values
        r6 += 0
        r0 = *(u32 *)(r1 +0)
        if r0 >= 4 goto pc+3 ; to miss
        r0 <<= 3
        r0 += r6
        goto pc+1
        r0 = 0 ; miss
        if r0 == 0 goto pc+1 ; to out
        r0 = *(u64 *)(r0 +0)
        exit",
        buf_addr + 8
    );
    let values: Vec<u64> = vec![11, 22, 33, 44];
    let mut cases = Vec::new();
    for index in 0u32..6 {
        let mut buf = index.to_le_bytes().to_vec();
        buf.extend([0; 4]);
        for v in &values {
            buf.extend(v.to_le_bytes());
        }
        let want = values.get(index as usize).copied().unwrap_or(0);
        cases.push(case("lookup", lookup.clone(), R0(want)).on(&buf));
    }
    // goto +1 over r0 = 7 to `if r0 <op> 0 goto +1` then r0 = 2 (fall
    // through) or exit (jump): r0's value decides.
    let decided = |setup: &str, op: &str| format!("{setup}\ngoto pc+1\nr0 = 7\nif r0 {op} 0 goto pc+1\nr0 = 2\nexit");
    for (setup, op, want) in [
        // Known non-zero: `==` falls through (r0 = 2), `!=` jumps (r0 kept).
        ("r0 = 5", "==", 2),
        ("r0 = 5", "!=", 5),
        // Known zero.
        ("r0 = 0", "==", 0),
        ("r0 = 0", "!=", 2),
        // Wraps to zero: 64-bit add, shift out of range, 32-bit move of a
        // value with a zero low half.
        ("r0 = -5\nr0 += 5", "==", 0),
        ("r0 = 0x4000000000000000\nr0 <<= 2", "==", 0),
        ("r1 = 0x100000000\nw0 = w1", "==", 0),
    ] {
        cases.push(case("decided", decided(setup, op), R0(want)));
    }
    // cmpxchg writes r0: a frame pointer it held is forgotten too (here r0
    // becomes the buffer's address, and the load reads the buffer).
    cases.push(
        case(
            "cmpxchg forgets a frame pointer",
            "*(u64 *)(r10 -8) = r1 ; the buffer
            *(u64 *)(r10 -16) = 0
            r0 = r10
            r0 += -16
            r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r2) ; the buffer
            r0 = *(u8 *)(r0 +0)
            exit",
            R0(42),
        )
        .on(&[42]),
    );
    // cmpxchg writes r0 (the old value): what was known of r0 is gone.
    cases.push(case(
        "cmpxchg forgets a constant",
        "r0 = 5
        *(u64 *)(r10 -8) = 0
        r1 = 7
        r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1) ; 0
        goto pc+1
        r0 = 9
        if r0 == 0 goto pc+1 ; to exit
        r0 = 2
        exit",
        R0(0),
    ));
    // A test whose jump leaves the program reports it at its own pc.
    cases.push(case(
        "a test out of the program",
        "r0 = 5\ngoto pc+1\nr0 = 7\nif r0 != 0 goto pc+1 ; past the end",
        Faults(Some(3), |_| true),
    ));
    // Bounds from a compare: r0 < 16 after `if r0 >= 16`, so r0 + 1 > 0.
    let bounded = "r0 = *(u32 *)(r1 +0)
        if r0 >= 16 goto pc+5 ; to exit
        r0 += 1
        goto pc+1
        r0 = 7
        if r0 == 0 goto pc+1 ; to exit
        r0 = 2
        exit";
    for v in [0u32, 15, 16, u32::MAX] {
        let want = if v >= 16 { v as u64 } else { 2 };
        cases.push(case("bounded", bounded, R0(want)).on(&v.to_le_bytes()));
    }
    check_plain(&cases);
    // The hit path has no test of r0 (r0 is rbx) and jumps nowhere: the
    // miss block sits out of line.
    let listing = listing(&asm(&lookup));
    let hit = &listing[listing.find("; 6: ").unwrap()..listing.find("; 10: ").unwrap()];
    assert!(!hit.contains("test rbx,rbx") && !hit.contains("jmp"), "{listing}");
}

/// A register holding r10 + k reaches the frame without a check, but only
/// along the straight line that set it: where a jump lands, the register
/// may hold anything (here the buffer), and the access is checked again.
/// Both engines agree on r0 and memory; values derived by hand.
#[test]
fn frame_pointers_copied_to_registers_are_tracked_only_along_straight_lines() {
    // r1 = r10 - 8 on the fall-through path only; the taken jump keeps
    // r1 = the buffer. Both paths store 7 through r1 and read it back.
    let branchy = "if r2 != 0 goto pc+2 ; the buffer path
        r1 = r10
        r1 += -8
        *(u64 *)(r1 +0) = 7
        r0 = *(u64 *)(r1 +0)
        exit";
    // Along a straight line the access needs no region lookup.
    let straight = "r1 = r10\nr1 += -16\n*(u64 *)(r1 +8) = 5 ; r10 - 8\nr0 = *(u64 *)(r10 -8)\nexit";
    check_plain(&[
        case("the taken jump writes the buffer", branchy, R0(7))
            .on(&[0; 8])
            .leaving(&7u64.to_le_bytes()),
        case("no buffer: the frame path", branchy, R0(7)),
        case("straight", straight, R0(5)),
        // Out of the frame (r10 - 16 + 24 = r10 + 8): checked, and it
        // faults as the interpreter's access does.
        case(
            "outside the frame",
            "r1 = r10\nr1 += -16\n*(u64 *)(r1 +24) = 5\nexit",
            Faults(None, |_| true),
        ),
    ]);
    let listing = listing(&asm(straight));
    assert!(!listing.contains("shr rdx,20h"), "no region lookup:\n{listing}");
}

/// Counted loops (`for (i = start; i != n; i += step)` as clang emits
/// them) run unrolled in the JIT when the trip count allows, single
/// iterations otherwise: every trip count, start, step and way out gives
/// the interpreter's r0 (or fault), and the hand-computed one.
mod unrolled_loops {
    use super::*;
    use userbpf::exec::{AccessProof, Program};

    /// `prog` on the interpreter, then `jit`, each with r1 the guest
    /// address of a packet region holding `bytes` (read-only if asked):
    /// their results and what the packet holds after.
    fn on_packet(
        prog: &Program,
        jit: &JitProgram,
        bytes: &[u8],
        readonly: bool,
    ) -> Vec<(Result<u64, ExecError>, Vec<u8>)> {
        let kind = if readonly { Buf::ReadOnlyPacket } else { Buf::Packet };
        on_both(
            prog,
            jit,
            bytes,
            kind,
            Args::AddrOnly,
            &RunOptions::default(),
            &HelperTable::conformance(),
        )
    }

    /// `slots` compiled with the verifier's access `hints`.
    fn compile_hinted(slots: &[Insn], hints: &[AccessProof]) -> JitProgram {
        JitProgram::compile_with_hints(&program(slots), JitOptions::default(), hints).unwrap()
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
    /// copies before the increment). `op` is the loop test, `!=` or `<`.
    fn sum_until_ff(start: i32, n: i32, op: &str) -> Vec<Insn> {
        asm(&format!(
            "r0 = 0
            r3 = {start}
            r4 = r1 ; 2
            r4 += r3
            r5 = *(u8 *)(r4 +0)
            if r5 == 255 goto pc+4
            r0 += r5
            r3 += 1
            if r3 {op} {n} goto pc-7 ; to 2
            exit
            r0 = r3
            r0 += 1000
            exit"
        ))
    }

    #[test]
    fn sums_and_early_exits_agree_for_every_trip_count() {
        let p = sum_until_ff(0, 16, "!=");
        let l = listing(&p);
        assert!(l.contains("unrolled 8x") && l.contains("increments folded"), "{l}");
        for op in ["!=", "<"] {
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
        assert_eq!(both_mem(&sum_until_ff(9, 4, "<"), &buf).0, Ok(buf[9] as u64));
    }

    #[test]
    fn a_buffer_too_short_faults_at_the_load_in_any_copy() {
        let p = sum_until_ff(0, 16, "!=");
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
                let p = asm(&format!(
                    "r0 = 0
                    r3 = 0
                    r4 = r1
                    r4 += r3
                    r5 = *(u16 *)(r4 +0)
                    r3 += {step}
                    if r5 == 65535 goto pc+3
                    r0 += r5
                    if r3 != {n} goto pc-7
                    exit
                    r0 = r3
                    r0 += 1000
                    exit"
                ));
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
                let p = asm(&format!(
                    "r0 = 0\nr3 = {start}\nr0 += r3 ; 2\nr3 += 1\nif r3 != {n} goto pc-3\nexit"
                ));
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
        // (bytes, step), eight copies a round: one 8-byte check; one
        // 16-byte check; two checks (a round spans 30 bytes).
        for (bytes, step) in [(1usize, 1i32), (2, 2), (2, 4)] {
            let size = if bytes == 1 { "u8" } else { "u16" };
            let program = |trips: i32, off: i16, store: bool| {
                let access = if store {
                    format!("*({size} *)(r4 {off:+}) = r3")
                } else {
                    format!("r5 = *({size} *)(r4 {off:+})")
                };
                asm(&format!(
                    "r0 = 0
                    r3 = 0
                    r4 = r1 ; 2
                    r4 += r3
                    {access}
                    r0 += r5
                    r3 += {step}
                    if r3 != {} goto pc-6 ; to 2
                    exit",
                    trips * step
                ))
            };
            let mut hints = vec![AccessProof::None; 9];
            hints[4] = AccessProof::Packet;
            let listing = compile_hinted(&program(16, 0, false), &hints).disassemble();
            // The access's region check: once before each round, once in
            // the loop as written; none in the copies (rdx: the hinted
            // check's scratch, compile/access.rs).
            assert_eq!(listing.matches("sub rdx,[r12+").count(), 2, "{listing}");
            for store in [false, true] {
                for readonly in [false, true] {
                    for trips in [1, 3, 4, 8, 12, 17] {
                        for off in [-1i16, 0, 2] {
                            let slots = program(trips, off, store);
                            let (prog, jit) = (super::program(&slots), compile_hinted(&slots, &hints));
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
        let p = sum_until_ff(0, 16, "!=");
        let buf = buffer(24, None);
        for budget in [5, 17, 40, 77] {
            let opts = RunOptions {
                budget: Some(budget),
                ..RunOptions::default()
            };
            let (r, _) = both_with(&p, &buf, Buf::Memory, &opts, &HelperTable::conformance());
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
    /// if r1 == 0 goto test; r0 += r1; if r0 > limit goto out; goto test;
    /// out: r7 *= 1000; r0 += r7; exit`. The sum of i & 3 over the trip
    /// (or, leaving early, the sum so far plus 1000 times the index at
    /// that point, 32-bit).
    fn rotated_sum(start: u32, n: u32, limit: i32) -> Vec<Insn> {
        asm(&format!(
            "r0 = 0
            w7 = {} ; 1
            goto pc+3 ; 2: to 6
            w7 += 1 ; 3
            if w7 != {} goto pc+1 ; 4: to 6
            exit ; 5
            w1 = w7 ; 6
            w1 &= 3 ; 7
            if r1 == 0 goto pc-6 ; 8: to 3
            r0 += r1 ; 9
            if r0 > {limit} goto pc+1 ; 10: to 12
            goto pc-9 ; 11: to 3
            r7 *= 1000 ; 12
            r0 += r7
            exit",
            start as i32, n as i32
        ))
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
        asm(&format!(
            "w7 = 0 ; 0
            r6 = 0 ; 1
            goto pc+4 ; 2: to 7
            w7 += 1 ; 3
            if w7 != {n} goto pc+2 ; 4: to 7
            w0 = w6 ; 5
            exit ; 6
            w1 = w7 ; 7
            w1 &= {mask} ; 8
            *(u32 *)(r10 -4) = r1 ; 9
            r2 = r10 ; 10
            r2 += -4 ; 11
            r1 = {values:#x} ; 12-13: the values
            r0 = *(u32 *)(r2 +0) ; 14
            if r0 >= 16 goto pc+3 ; 15: to 19
            r0 <<= 3 ; 16
            r0 += r1 ; 17
            goto pc+1 ; 18: to 20
            r0 = 0 ; 19
            if r0 == 0 goto pc-18 ; 20: to 3
            r1 = *(u64 *)(r0 +0) ; 21
            r1 += r6 ; 22
            r6 = r1 ; 23
            goto pc-22 ; 24: to 3"
        ))
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
        let values = first_region_addr() + 8;
        let mut hints = vec![AccessProof::None; 26];
        hints[21] = AccessProof::Packet;
        let l = compile_hinted(&lookups(values, 256, 15), &hints).disassemble();
        let (rounds, as_written) = l.split_once("; 7: (bc)").expect("the loop as written");
        // One check (of the first and the last value) before the rounds,
        // one in the loop as written (rcx or rdx: the hinted check's
        // scratch).
        let checks = |t: &str| t.matches("sub rcx,[r12+").count() + t.matches("sub rdx,[r12+").count();
        assert_eq!((checks(rounds), checks(as_written)), (1, 1), "{l}");
        let full = values_buffer();
        for (n, mask) in [(256, 15), (20, 15), (9, 7), (3, 15)] {
            let slots = lookups(values, n, mask);
            let (prog, jit) = (program(&slots), compile_hinted(&slots, &hints));
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
        // Name r3-r5, r8 and r9 before the loop (r0-r2, r6, r7 it uses):
        // prepended, since the lookups' jumps are relative.
        let p = [asm("r3 = 0\nr4 = 0\nr5 = 0\nr8 = 0\nr9 = 0"), lookups(values, 40, 15)].concat();
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
        // `end` is the prologue setting r3 (none for the listing).
        let program = |end: &str, start: i32, n: i32, w: i32, op: &str| {
            asm(&format!(
                "r0 = 0
                {end}
                r2 = {start}
                r4 = r1 ; 2
                r4 += r2
                r5 = r4
                r5 += {w}
                if r5 {op} r3 goto pc+6 ; to 13
                r4 = *(u8 *)(r4 +0)
                r0 += r4
                r2 += 1
                if r2 != {n} goto pc-9 ; to 2
                exit
                exit
                r0 = r2 ; 13
                r0 += 1000
                exit"
            ))
        };
        let l = listing(&program("", 0, 64, 1, ">"));
        let (rounds, _) = l.split_once("; 2: (bf)").expect("the loop as written");
        // r5 is r10 (host): neither computed nor compared in the copies.
        assert!(
            rounds.contains("unrolled 8x") && !rounds.contains("r10,r8") && !rounds.contains("lea r10"),
            "{l}"
        );
        for op in [">", ">="] {
            for w in [1, 2] {
                for start in 0..3 {
                    for n in (start + 1)..=19 {
                        for len in 0..=20usize {
                            let buf = buffer(len.max(1), None);
                            // r3 = r1 + len (the end), before the loop.
                            let p = program(&format!("r3 = r1\nr3 += {len}"), start, n, w, op);
                            // By hand.
                            let mut want = 0u64;
                            for k in start..n {
                                let v = k as i64 + w as i64;
                                let leaves = if op == ">" { v > len as i64 } else { v >= len as i64 };
                                if leaves {
                                    want = 1000 + k as u64;
                                    break;
                                }
                                want += buf[k as usize] as u64;
                            }
                            let got = both_mem(&p, &buf[..len.max(1)]).0;
                            assert_eq!(got, Ok(want), "op {op} w {w} start {start} n {n} len {len}");
                        }
                    }
                }
            }
        }
    }
}
