use super::*;
use crate::isa::decode::{decode_at, AluOp, Operand, SAMPLE_FIELDS};
use proptest::prelude::*;

fn one(text: &str) -> Instruction {
    let program = assemble(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(program.len(), 1, "{text}");
    program[0]
}

#[test]
fn disassembly_round_trips_every_decodable_slot() {
    // Every opcode with field values that exercise each variant; only
    // those the decoder accepts are checked.
    let fields = SAMPLE_FIELDS;
    let tails = [Insn::default(), Insn::new(0, 0, 0, 0, -2)];
    let mut checked = 0;
    for code in 0..=255u8 {
        for &(dst, src, off, imm) in fields {
            for tail in tails {
                let slots = [Insn::new(code, dst, src, off, imm), tail];
                let Ok((ins, _)) = decode_at(&slots, 0) else {
                    continue;
                };
                let text = disassemble(&ins);
                assert_eq!(assemble(&text), Ok(vec![ins]), "{text}");
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "only {checked} instructions checked");
}

#[test]
fn slots_disassemble_to_text_that_reassembles() {
    // mov r0, 1; lddw r1, 2^32; exit, laid out by hand.
    let slots = [
        Insn::new(0xb7, 0, 0, 0, 1),
        Insn::new(0x18, 1, 0, 0, 0),
        Insn::new(0, 0, 0, 0, 1),
        Insn::new(0x95, 0, 0, 0, 0),
    ];
    let text = disassemble_slots(&slots).unwrap();
    assert_eq!(text, "mov %r0, 1\nlddw %r1, 0x100000000\nexit\n");
    assert_eq!(assemble_slots(&text).unwrap(), slots);
    assert!(disassemble_slots(&slots[..2]).is_err());
}

#[test]
fn labels_resolve_forwards_and_backwards_counting_lddw_as_two_slots() {
    let program = assemble("top:\n lddw %r0, 1\n ja end\n ja top\nend: exit\n").unwrap();
    // Slots: lddw 0-1, ja 2, ja 3, exit 4.
    assert_eq!(program[1], Instruction::Ja { off: 1 });
    assert_eq!(program[2], Instruction::Ja { off: -4 });
}

#[test]
fn exit_label_defaults_to_first_exit_unless_defined() {
    let program = assemble("ja exit\nexit\nexit\n").unwrap();
    assert_eq!(program[0], Instruction::Ja { off: 0 });
    let program = assemble("ja exit\nexit\nexit:\nexit\n").unwrap();
    assert_eq!(program[0], Instruction::Ja { off: 1 });
}

#[test]
fn label_and_instruction_may_share_a_line() {
    let program = assemble("ja l\nl: exit").unwrap();
    assert_eq!(program, vec![Instruction::Ja { off: 0 }, Instruction::Exit]);
}

#[test]
fn alternative_spellings_match() {
    assert_eq!(one("bswap16 %r1"), one("swap16 %r1"));
    assert_eq!(one("call 7"), one("call helper 7"));
    assert_eq!(one("call %r3"), one("callx %r3"));
    assert_eq!(one("add64 %r1, 2"), one("add %r1, 2"));
    assert_eq!(one("lock add fetch [%r1], %r2"), one("lock fetch add [%r1], %r2"));
    assert_eq!(one("lock fetch xchg [%r1], %r2"), one("lock xchg [%r1], %r2"));
    assert_eq!(one("ldxw %r1, [ %r2 + 4 ]"), one("ldxw %r1, [%r2+4]"));
}

#[test]
fn immediates_cover_both_signed_and_unsigned_ranges() {
    let mov = |imm| Instruction::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst: 0,
        src: Operand::Imm(imm),
    };
    assert_eq!(one("mov %r0, 0xffffffff"), mov(-1));
    assert_eq!(one("mov %r0, -2147483648"), mov(i32::MIN));
    assert_eq!(one("mov %r0, 4294967295"), mov(-1));
    assert_eq!(one("mov %r0, -0x10"), mov(-16));
    assert_eq!(one("mov %r0, +7"), mov(7));
    assert!(matches!(
        assemble("mov %r0, 0x100000000"),
        Err(AsmError::BadImmediate { bits: 32, .. })
    ));
    assert!(matches!(
        assemble("mov %r0, -2147483649"),
        Err(AsmError::BadImmediate { .. })
    ));
    assert!(matches!(
        assemble("lddw %r0, 0x10000000000000000"),
        Err(AsmError::BadImmediate { bits: 64, .. })
    ));
}

#[test]
fn errors_name_the_line_and_problem() {
    let err = |text: &str| assemble(text).unwrap_err();
    assert_eq!(
        err("exit\nfoo %r0"),
        AsmError::UnknownMnemonic {
            line: 2,
            mnemonic: "foo".into()
        }
    );
    assert!(matches!(
        err("mov %r0"),
        AsmError::OperandCount { line: 1, found: 1, .. }
    ));
    assert!(matches!(err("\n\nmov %r11, 1"), AsmError::BadRegister { line: 3, .. }));
    assert!(matches!(err("mov %r0, x"), AsmError::BadImmediate { .. }));
    assert!(matches!(err("ldxb %r0, [%r1*2]"), AsmError::BadMemory { .. }));
    assert!(matches!(err("ldxb %r0, [%r1+40000]"), AsmError::BadMemory { .. }));
    assert_eq!(
        err("ja nowhere\nexit"),
        AsmError::UnknownLabel {
            line: 1,
            label: "nowhere".into()
        }
    );
    assert_eq!(
        err("a:\nexit\na:\nexit"),
        AsmError::DuplicateLabel {
            line: 3,
            label: "a".into(),
            first: 1
        }
    );
    assert!(matches!(err("ja +32768"), AsmError::OffsetOutOfRange { .. }));
    assert!(matches!(err("call weird 1"), AsmError::BadOperand { .. }));
    assert!(matches!(err("lock nand [%r1], %r2"), AsmError::UnknownMnemonic { .. }));
    assert!(matches!(err("b@d:"), AsmError::BadLabel { .. }));
    assert!(matches!(err("ldxsdw %r0, [%r1]"), AsmError::UnknownMnemonic { .. }));
}

#[test]
fn jump_beyond_sixteen_bits_is_reported() {
    let mut text = String::from("ja far\n");
    for _ in 0..40000 {
        text.push_str("mov %r0, 0\n");
    }
    text.push_str("far: exit\n");
    assert!(matches!(
        assemble(&text),
        Err(AsmError::OffsetOutOfRange {
            line: 1,
            distance: 40000,
            ..
        })
    ));
    // ja32 keeps its target in the 32-bit imm and reaches it.
    let text = text.replacen("ja far", "ja32 far", 1);
    assert_eq!(assemble(&text).unwrap()[0], Instruction::Ja32 { imm: 40000 });
}

proptest! {
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        let _ = assemble(&text);
    }

    #[test]
    fn plausible_lines_never_panic(lines in prop::collection::vec(
        prop::sample::select(vec![
            "mov", "lddw", "ja", "ja32", "jeq32", "call", "lock", "fetch", "add32",
            "ldxsb", "stb", "movsx832", "exit", "l:", "exit:", "%r1", "%r10", "%r99",
            "[%r10-8]", "[%r1", "]", "[", "+1", "-1", "0xffffffff", "-", "+", "0x",
            "local", "helper", "runtime", "func", "map_fd", ",", "#", "l", "le16",
            "load_acquire8", "store_release", "may_goto", "addr_space_cast",
        ]),
        0..60,
    )) {
        let _ = assemble(&lines.join(" ").replace("exit ", "exit\n"));
    }
}
