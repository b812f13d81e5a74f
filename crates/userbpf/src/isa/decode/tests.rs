use super::*;
use crate::isa::insn::Insn;

fn dec(slots: &[Insn]) -> Result<Instruction, DecodeError> {
    decode_at(slots, 0).map(|(i, _)| i)
}

#[test]
fn names_reserved_field() {
    // mov r0, 7 with a stray src_reg.
    let e = dec(&[Insn::new(0xb7, 0, 3, 0, 7)]).unwrap_err();
    assert_eq!(
        e,
        DecodeError::ReservedField {
            pc: 0,
            code: 0xb7,
            field: Field::Src,
            value: 3
        }
    );
}

#[test]
fn names_unknown_opcode_and_bad_register() {
    assert!(matches!(
        dec(&[Insn::new(0xff, 0, 0, 0, 0)]),
        Err(DecodeError::UnknownOpcode { code: 0xff, .. })
    ));
    assert!(matches!(
        dec(&[Insn::new(0xbf, 11, 1, 0, 0)]),
        Err(DecodeError::BadRegister {
            field: Field::Dst,
            reg: 11,
            ..
        })
    ));
}

#[test]
fn ld_imm64_needs_its_tail() {
    assert_eq!(
        dec(&[Insn::new(LD_IMM64, 1, 0, 0, 1)]),
        Err(DecodeError::TruncatedLdImm64 { pc: 0 })
    );
    assert_eq!(
        dec(&[Insn::new(LD_IMM64, 1, 0, 0, 1), Insn::new(0x95, 0, 0, 0, 0)]),
        Err(DecodeError::BadLdImm64Tail { pc: 0 })
    );
    // Every pseudo source 0..=6 decodes; 7 does not.
    for src in 0..=6 {
        assert!(dec(&[Insn::new(LD_IMM64, 1, src, 0, 1), Insn::default()]).is_ok());
    }
    assert!(dec(&[Insn::new(LD_IMM64, 1, 7, 0, 1), Insn::default()]).is_err());
}

#[test]
fn v4_encodings() {
    // sdiv: off 1; off 2 is invalid.
    assert_eq!(
        dec(&[Insn::new(0x3f, 1, 2, 1, 0)]).unwrap(),
        Instruction::Alu {
            width: Width::W64,
            op: AluOp::SDiv,
            dst: 1,
            src: Operand::Reg(2)
        }
    );
    assert!(dec(&[Insn::new(0x3f, 1, 2, 2, 0)]).is_err());
    // movsx32 exists only in 64-bit width.
    assert!(dec(&[Insn::new(0xbf, 1, 2, 32, 0)]).is_ok());
    assert!(dec(&[Insn::new(0xbc, 1, 2, 32, 0)]).is_err());
    // bswap is ALU64|END|K; the X form is unknown.
    assert!(dec(&[Insn::new(0xd7, 1, 0, 0, 16)]).is_ok());
    assert!(dec(&[Insn::new(0xdf, 1, 0, 0, 16)]).is_err());
    // ldsx has no DW form.
    assert!(dec(&[Insn::new(0x91, 1, 2, 0, 0)]).is_ok());
    assert!(dec(&[Insn::new(0x99, 1, 2, 0, 0)]).is_err());
    // Atomics of B/H exist only for load-acquire/store-release.
    assert!(dec(&[Insn::new(0xd3, 1, 2, 0, BPF_LOAD_ACQ)]).is_ok());
    assert!(dec(&[Insn::new(0xd3, 1, 2, 0, 0)]).is_err());
}

#[test]
fn encode_inverts_decode_for_every_valid_single_slot() {
    // Exhaustive over opcodes with representative fields.
    let fields = SAMPLE_FIELDS;
    let mut seen = 0;
    for code in 0..=255u8 {
        for &(dst, src, off, imm) in fields {
            let slots = [Insn::new(code, dst, src, off, imm), Insn::default()];
            if let Ok((ins, n)) = decode_at(&slots, 0) {
                seen += 1;
                assert_eq!(ins.encode(), slots[..n].to_vec(), "{ins:?}");
            }
        }
    }
    assert!(seen > 150, "only {seen} valid encodings");
}
