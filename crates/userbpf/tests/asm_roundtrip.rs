//! The kernel-syntax assembler inverts the disassembler.
//!
//! For every instruction the decoder accepts, `assemble(disasm(x)) == x`
//! and re-encoding gives the same slots, except where the kernel's format
//! has no room for a field (documented in `isa::disasm`): an ld_imm64's
//! pseudo source and a kfunc's module `off`. Those come back as the plain
//! form, and the `Lossless` names round-trip them exactly.

mod common;

use common::isa::{valid_opcodes, DISASM_GOLDEN};

use proptest::prelude::*;
use userbpf::isa::asm::kernel::{assemble, assemble_insn};
use userbpf::isa::decode::Field;
use userbpf::isa::disasm::{disasm, disasm_program, disasm_with, Lossless};
use userbpf::isa::{decode, decode_at, encode, CallKind, DecodeError, Insn, Instruction};

/// Special values of `off` and `imm` (sdiv/smod, movsx, byte swap widths,
/// atomic operations, address space casts).
const OFFS: [i16; 6] = [0, 1, 8, 16, 32, -1];
const IMMS: [i32; 16] = [
    0, 1, 16, 32, 64, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110,
];

/// Raw slots derived from two random words: an opcode the decoder knows,
/// registers, and off/imm that are often special values and otherwise
/// arbitrary. (Two words rather than a tuple of strategies: proptest's
/// generation dominates the run time in debug builds.)
fn raw_slots(a: u64, b: u64) -> [Insn; 2] {
    // Opcodes with several forms told apart by off/imm/src, drawn more often.
    const MANY_FORMS: [u8; 11] = [0xbf, 0xbc, 0xd4, 0xdc, 0xd7, 0x18, 0x85, 0xc3, 0xdb, 0xcb, 0xd3];
    let codes = valid_opcodes();
    let bits = |shift: u32, n: u64| (a >> shift) % n;
    let code = if bits(40, 4) == 0 {
        MANY_FORMS[bits(0, MANY_FORMS.len() as u64) as usize]
    } else {
        codes[bits(0, codes.len() as u64) as usize]
    };
    let dst = bits(8, 11) as u8;
    let src = if bits(12, 2) == 0 { bits(13, 11) } else { bits(17, 7) } as u8;
    let off = match bits(20, 8) {
        k @ 0..=5 => OFFS[k as usize],
        _ => b as i16,
    };
    let imm = match bits(24, 20) {
        k @ 0..=15 => IMMS[k as usize],
        16 => 0x10000,
        _ => (b >> 16) as i32,
    };
    [
        Insn::new(code, dst, src, off, imm),
        Insn::new(0, 0, 0, 0, (b >> 32) as i32),
    ]
}

/// Zero the fields the decoder names as reserved or invalid until the slot
/// decodes (most forms need some fields zero); `None` if it never does.
fn repair(mut slots: [Insn; 2]) -> Option<(Instruction, Vec<Insn>)> {
    for _ in 0..5 {
        let e = match decode_at(&slots, 0) {
            Ok((ins, n)) => return Some((ins, slots[..n].to_vec())),
            Err(e) => e,
        };
        let field = match e {
            DecodeError::ReservedField { field, .. }
            | DecodeError::InvalidField { field, .. }
            | DecodeError::BadRegister { field, .. } => field,
            _ => return None,
        };
        let s = &mut slots[0];
        match field {
            Field::Dst => s.dst = 0,
            Field::Src => s.src = 0,
            Field::Off => s.off = 0,
            Field::Imm => s.imm = 0,
        }
    }
    None
}

/// A valid instruction and the slots it was decoded from.
fn valid_instruction() -> impl Strategy<Value = (Instruction, Vec<Insn>)> {
    (any::<u64>(), any::<u64>()).prop_filter_map("decodes", |(a, b)| repair(raw_slots(a, b)))
}

/// What the kernel's text keeps of `ins`.
fn kernel_text_projection(ins: Instruction) -> Instruction {
    match ins {
        Instruction::LdImm64 { dst, imm, next_imm, .. } => Instruction::LdImm64 {
            dst,
            src: 0,
            imm,
            next_imm,
        },
        Instruction::Call(CallKind::Kfunc { btf_id, .. }) => Instruction::Call(CallKind::Kfunc { btf_id, off: 0 }),
        other => other,
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 20_000,
        max_local_rejects: 1_000_000,
        max_global_rejects: 1_000_000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn disassembly_reassembles((ins, slots) in valid_instruction()) {
        // The kernel's text: exact but for the fields it has no room for.
        let text = disasm(&ins, 0);
        let back = assemble_insn(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, kernel_text_projection(ins), "{}", text);
        // The lossless names: exact, down to the bytes.
        let text = disasm_with(&ins, 0, &Lossless);
        let back = assemble_insn(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e}")))?;
        prop_assert_eq!(back, ins, "{}", text);
        prop_assert_eq!(back.encode(), slots);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..config() })]

    #[test]
    fn program_listing_reassembles(prog in prop::collection::vec(valid_instruction(), 1..12)) {
        let program: Vec<Instruction> = prog.iter().map(|(i, _)| kernel_text_projection(*i)).collect();
        let slots = encode(&program);
        let listing = disasm_program(&slots).expect("decodes");
        prop_assert_eq!(assemble(&listing).expect("assembles"), program);
    }

    #[test]
    fn arbitrary_text_is_an_error_not_a_panic(text in "\\PC{0,60}") {
        let _ = assemble(&text);
    }

    #[test]
    fn damaged_text_is_an_error_not_a_panic(
        (ins, _) in valid_instruction(),
        cut in any::<prop::sample::Index>(),
        junk in "[ -~é]{0,3}",
    ) {
        let text = disasm_with(&ins, 0, &Lossless);
        let mut at = cut.index(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        let _ = assemble(&format!("{}{junk}{}", &text[..at], &text[at..]));
        let _ = assemble(&text[..at]);
    }
}

/// The assembler reads the kernel's own texts: every recorded pair
/// assembles back to its instruction (kernel addresses in ld_imm64 come
/// back as plain values, as the text says nothing of the map behind them).
#[test]
fn kernel_recorded_texts_assemble() {
    let mut count = 0;
    for line in DISASM_GOLDEN.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
        let (hex, text) = line.split_once('\t').expect("hex<TAB>text");
        let slots: Vec<Insn> = hex
            .split(' ')
            .map(|h| {
                let v = u64::from_str_radix(h, 16).expect("hex");
                Insn::from_bytes(v.to_be_bytes())
            })
            .collect();
        let (_, ins) = decode(&slots).expect("decodes")[0];
        let back = assemble_insn(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(back, kernel_text_projection(ins), "{text}");
        count += 1;
    }
    assert!(count > 1000);
}
