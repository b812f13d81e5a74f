use super::*;

fn one(text: &str) -> Instruction {
    assemble_insn(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn err(text: &str) -> AsmErrorKind {
    assemble_insn(text).expect_err(text).kind
}

#[test]
fn reads_verifier_log_lines() {
    let log = "\
func#0 @0
0: (b7) r0 = 7                        ; R0=7
1: (7b) *(u64 *)(r10 -8) = r0         ; R0=7 R10=fp0 fp-8=7
  2   2: 0......... (95) exit
";
    // `func#0 @0` is not an instruction.
    assert_eq!(assemble(log).unwrap_err().line, 1);
    let prog = assemble(log.split_once('\n').unwrap().1).unwrap();
    assert_eq!(
        prog,
        vec![
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst: 0,
                src: Operand::Imm(7)
            },
            Instruction::StoreReg {
                size: Size::DW,
                dst: 10,
                src: 0,
                off: -8
            },
            Instruction::Exit,
        ]
    );
}

#[test]
fn opcode_settles_mov_versus_ld_imm64() {
    let mov5 = Instruction::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst: 1,
        src: Operand::Imm(5),
    };
    let ld5 = Instruction::LdImm64 {
        dst: 1,
        src: 0,
        imm: 5,
        next_imm: 0,
    };
    assert_eq!(one("r1 = 5"), mov5);
    assert_eq!(one("r1 = 0x5"), ld5);
    assert_eq!(one("(b7) r1 = 0x5"), mov5);
    assert_eq!(one("(18) r1 = 5"), ld5);
    assert_eq!(
        one("(b7) r1 = 0xffffffff"),
        Instruction::Alu {
            width: Width::W64,
            op: AluOp::Mov,
            dst: 1,
            src: Operand::Imm(-1),
        }
    );
    assert_eq!(
        err("(bf) r1 = 5"),
        AsmErrorKind::OpcodeMismatch {
            given: 0xbf,
            actual: 0xb7
        }
    );
}

#[test]
fn calls() {
    assert_eq!(
        one("call bpf_map_lookup_elem#1"),
        Instruction::Call(CallKind::Helper(1))
    );
    assert_eq!(one("call ktime_get_ns"), Instruction::Call(CallKind::Helper(5)));
    assert_eq!(one("call unknown#-3"), Instruction::Call(CallKind::Helper(-3)));
    assert_eq!(one("call pc-4"), Instruction::Call(CallKind::Local(-4)));
    assert_eq!(
        one("call bpf_rcu_read_lock#65499"),
        Instruction::Call(CallKind::Kfunc { btf_id: 65499, off: 0 })
    );
    assert_eq!(
        one("call kernel-function[off:3]#7"),
        Instruction::Call(CallKind::Kfunc { btf_id: 7, off: 3 })
    );
    assert!(matches!(
        err("call bpf_map_lookup_elem#2"),
        AsmErrorKind::HelperId { helper: 1, .. }
    ));
    assert_eq!(one("(8d) callx r3"), Instruction::CallX { reg: 3 });
}

#[test]
fn names_what_is_wrong() {
    assert_eq!(err("r11 = 1"), AsmErrorKind::Register("r11".into()));
    assert_eq!(err("r1 += w2"), AsmErrorKind::Width);
    assert_eq!(
        err("goto pc+40000"),
        AsmErrorKind::Range {
            what: "jump offset",
            value: 40000
        }
    );
    assert_eq!(err("r1 = -r2"), AsmErrorKind::SameRegister("neg"));
    assert!(matches!(err("w1 = (s32)w2"), AsmErrorKind::Invalid(_)));
    assert!(matches!(err("lock *(u8 *)(r1 +0) += r2"), AsmErrorKind::Invalid(_)));
    // A space after the offset's sign reads as the kernel's form.
    assert_eq!(one("r1 = *(u32 *)(r1 + 4)"), one("r1 = *(u32 *)(r1 +4)"));
    assert_eq!(one("*(u64 *)(r10 - 8) = r1"), one("*(u64 *)(r10 -8) = r1"));
    assert!(matches!(err("r1 = le8 r1"), AsmErrorKind::Invalid(_)));
    assert_eq!(err("exit now"), AsmErrorKind::Trailing("now".into()));
    assert_eq!(err("   ; nothing"), AsmErrorKind::Empty);
    let e = assemble("exit\n\nr1 = = 2").unwrap_err();
    assert_eq!(e.line, 3);
}

#[test]
fn never_panics_on_odd_text() {
    for text in [
        "(",
        "()",
        "(zz) exit",
        "r",
        "w",
        "r1",
        "r1 =",
        "*",
        "*(",
        "*(u8",
        "*(u8 *)(",
        "call",
        "call #",
        "call x#",
        "call pc+",
        "if",
        "if r1",
        "if r1 ==",
        "if r1 == 1 goto",
        "r1 = map[fd:",
        "r1 = map[fd:1][0]+",
        "r1 = subprog[",
        "r1 = (s",
        "r1 = (s8)",
        "r0 = *(u8 *)skb[",
        "r0 = *(u8 *)skb[r1 +",
        "é",
        "r1 = é",
        "0:",
        "0: é",
        "9999999999999999999999999999999999999999999999: exit",
        "r1 = 0x",
        "r1 = -",
        "r1 = 99999999999999999999999999999999999999999999999",
        "r1 = atomic64_",
        "r1 = atomic64_xchg(",
        "store_release(",
        "lock",
        "lock *(u64 *)(r1 +0)",
        "call kernel-function[off:",
        "r1 = addr_space_cast(",
        "r1 = bswap",
        "r1 = le16",
    ] {
        let _ = assemble(text);
    }
}
