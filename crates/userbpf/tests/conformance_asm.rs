//! The bpf_conformance suite through the `.data` parser and the uBPF-syntax
//! assembler, plus hand-derived encodings of every syntax form.
//!
//! Expected bytes below come from the opcode tables of RFC 9669 (class in
//! bits 0-2: LD 0, LDX 1, ST 2, STX 3, ALU 4, JMP 5, JMP32 6, ALU64 7;
//! source bit 0x08; ALU/JMP op in bits 4-7; load/store size W 0x00, H 0x08,
//! B 0x10, DW 0x18 and mode IMM 0x00, ABS 0x20, IND 0x40, MEM 0x60,
//! MEMSX 0x80, ATOMIC 0xc0), worked out by hand, never from the code.

mod common;

use common::fixtures::conformance_dir;

use std::path::PathBuf;

use userbpf::conformance::{self, TestCase};
use userbpf::isa::asm::ubpf::{assemble, assemble_slots, disassemble_program, AsmError};
use userbpf::isa::{decode, insns_to_bytes};

/// The suite, or None (with a note) where it is not checked out.
fn suite() -> Option<Vec<(PathBuf, TestCase)>> {
    let dir = conformance_dir();
    if !dir.is_dir() {
        eprintln!("note: {} is absent; skipping", dir.display());
        return None;
    }
    Some(conformance::load_dir(&dir).expect("every suite file parses"))
}

/// One slot laid out by hand: opcode, dst (low nibble) | src (high nibble),
/// off as le16, imm as le32.
fn slot(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Vec<u8> {
    let mut b = vec![code, dst | src << 4];
    b.extend_from_slice(&off.to_le_bytes());
    b.extend_from_slice(&imm.to_le_bytes());
    b
}

fn bytes_of(text: &str) -> Vec<u8> {
    let slots = assemble_slots(text).unwrap_or_else(|e| panic!("`{text}`: {e}"));
    insns_to_bytes(&slots)
}

fn check(cases: &[(&str, Vec<u8>)]) {
    for (text, expected) in cases {
        assert_eq!(&bytes_of(text), expected, "`{text}`");
    }
}

#[test]
fn every_suite_file_parses_and_assembles() {
    let Some(cases) = suite() else { return };
    assert!(cases.len() >= 313, "only {} test files", cases.len());
    let mut with_result = 0;
    for (path, case) in &cases {
        assert!(case.section("asm").is_some(), "{}: no -- asm", path.display());
        let program =
            assemble(&case.asm).unwrap_or_else(|e| panic!("{}: {}", path.display(), case.asm_error_in_file(e)));
        assert!(!program.is_empty(), "{}: empty program", path.display());
        // What we assemble is valid ISA, by the decoder's standard.
        let slots = case.program().unwrap();
        let decoded = decode(&slots).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let decoded: Vec<_> = decoded.into_iter().map(|(_, ins)| ins).collect();
        assert_eq!(decoded, program, "{}", path.display());
        // And the disassembly reads back to the same program.
        let text = disassemble_program(&program);
        assert_eq!(assemble(&text), Ok(program), "{}:\n{text}", path.display());
        if case.result.is_some() {
            with_result += 1;
        }
    }
    eprintln!("{} files assembled, {with_result} with an expected result", cases.len());
}

#[test]
fn assembled_suite_programs_equal_their_raw_sections() {
    let Some(cases) = suite() else { return };
    let mut compared = 0;
    for (path, case) in &cases {
        let Some(raw) = &case.raw else { continue };
        let assembled = assemble_slots(&case.asm).unwrap();
        assert_eq!(&assembled, raw, "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 1, "no file has a -- raw section");
}

#[test]
fn suite_files_hold_what_the_text_says() {
    let Some(cases) = suite() else { return };
    let find = |name: &str| {
        cases
            .iter()
            .map(|(_, c)| c)
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name}.data missing"))
    };
    // lddw.data, read by eye: raw slots and result.
    let lddw = find("lddw");
    assert_eq!(lddw.result, Some(0x1122334455667788));
    assert_eq!(
        insns_to_bytes(lddw.raw.as_ref().unwrap()),
        [
            slot(0x18, 0, 0, 0, 0x55667788),
            slot(0, 0, 0, 0, 0x11223344),
            slot(0x95, 0, 0, 0, 0)
        ]
        .concat()
    );
    // callx.data: `call %r2` is callx with the register in dst_reg.
    let callx = find("callx");
    let slots = insns_to_bytes(&callx.program().unwrap());
    assert_eq!(slots[16..24], slot(0x8d, 2, 0, 0, 0)[..]);
    assert_eq!(callx.section("no register offset").unwrap().body, "call instruction\n");
    // A file with input memory.
    assert!(cases.iter().any(|(_, c)| !c.mem.is_empty()));
}

#[test]
fn suite_label_programs_resolve_as_counted_by_hand() {
    if suite().is_none() {
        return;
    }
    let read = |name: &str| {
        let text = std::fs::read_to_string(conformance_dir().join(format!("{name}.data"))).unwrap();
        let case = conformance::parse(&text).unwrap();
        insns_to_bytes(&case.program().unwrap())
    };
    let at = |bytes: &[u8], slot: usize| bytes[slot * 8..slot * 8 + 8].to_vec();

    // ja32.data: 0 mov, 1 ja32 L2, 2 L1: mov, 3 exit, 4 L2: mov, 5 ja32 L1.
    let ja32 = read("ja32");
    assert_eq!(at(&ja32, 1), slot(0x06, 0, 0, 0, 2)); // 4 - 2
    assert_eq!(at(&ja32, 5), slot(0x06, 0, 0, 0, -4)); // 2 - 6

    // prime.data: 0-2 mov, 3 jgt L3, 4 L1: ja exit, 5 L2: add, 6 mov,
    // 7 jge exit, 8 L3: mov .. 13 mov, 14 jne L2, 15 exit (no `exit:` label,
    // so `exit` is the first exit instruction).
    let prime = read("prime");
    assert_eq!(at(&prime, 3), slot(0x25, 1, 0, 4, 2)); // jgt imm: 8 - 4
    assert_eq!(at(&prime, 4), slot(0x05, 0, 0, 10, 0)); // 15 - 5
    assert_eq!(at(&prime, 7), slot(0x3d, 2, 1, 7, 0)); // jge reg: 15 - 8
    assert_eq!(at(&prime, 14), slot(0x55, 4, 0, -10, 0)); // 5 - 15

    // call_local.data: 10 movs (slots 0-9), 10 call local func1, 11-15 jne,
    // 16 mov, 17 exit, 18 failed: mov, 19 exit, 20 func1.
    let call_local = read("call_local");
    assert_eq!(at(&call_local, 10), slot(0x85, 0, 1, 0, 9)); // 20 - 11
    assert_eq!(at(&call_local, 11), slot(0x55, 0, 0, 6, 15)); // 18 - 12
}

#[test]
fn alu_forms() {
    check(&[
        // ALU64 0x07 | MOV 0xb0 | K
        ("mov %r0, 1", slot(0xb7, 0, 0, 0, 1)),
        // ALU 0x04 | MOV 0xb0 | K
        ("mov32 %r0, 1", slot(0xb4, 0, 0, 0, 1)),
        // ALU64 | ADD 0x00 | X 0x08
        ("add %r1, %r2", slot(0x0f, 1, 2, 0, 0)),
        ("add32 %r1, -1", slot(0x04, 1, 0, 0, -1)),
        // 0xffffff80 wraps into the 32-bit field as -128.
        ("sub %r3, 0xffffff80", slot(0x17, 3, 0, 0, -128)),
        ("sub32 %r3, %r4", slot(0x1c, 3, 4, 0, 0)),
        ("mul %r1, 7", slot(0x27, 1, 0, 0, 7)),
        ("mul32 %r1, %r2", slot(0x2c, 1, 2, 0, 0)),
        ("div %r1, 3", slot(0x37, 1, 0, 0, 3)),
        ("div32 %r1, %r2", slot(0x3c, 1, 2, 0, 0)),
        // Signed div/mod: same opcode, off = 1.
        ("sdiv %r1, 3", slot(0x37, 1, 0, 1, 3)),
        ("sdiv32 %r1, %r2", slot(0x3c, 1, 2, 1, 0)),
        ("mod %r1, %r2", slot(0x9f, 1, 2, 0, 0)),
        ("mod32 %r1, 5", slot(0x94, 1, 0, 0, 5)),
        ("smod %r1, %r2", slot(0x9f, 1, 2, 1, 0)),
        ("smod32 %r1, 5", slot(0x94, 1, 0, 1, 5)),
        ("or %r1, 1", slot(0x47, 1, 0, 0, 1)),
        ("or32 %r1, %r2", slot(0x4c, 1, 2, 0, 0)),
        ("and %r1, 0xff", slot(0x57, 1, 0, 0, 0xff)),
        ("and32 %r1, %r2", slot(0x5c, 1, 2, 0, 0)),
        ("lsh %r1, 3", slot(0x67, 1, 0, 0, 3)),
        ("lsh32 %r1, %r2", slot(0x6c, 1, 2, 0, 0)),
        ("rsh %r1, %r2", slot(0x7f, 1, 2, 0, 0)),
        ("rsh32 %r1, 1", slot(0x74, 1, 0, 0, 1)),
        ("xor %r1, %r2", slot(0xaf, 1, 2, 0, 0)),
        ("xor32 %r1, 1", slot(0xa4, 1, 0, 0, 1)),
        ("mov %r10, %r1", slot(0xbf, 10, 1, 0, 0)),
        ("mov32 %r1, %r9", slot(0xbc, 1, 9, 0, 0)),
        ("arsh %r1, %r2", slot(0xcf, 1, 2, 0, 0)),
        ("arsh32 %r1, 1", slot(0xc4, 1, 0, 0, 1)),
        // NEG 0x80, K form, no operand.
        ("neg %r0", slot(0x87, 0, 0, 0, 0)),
        ("neg32 %r0", slot(0x84, 0, 0, 0, 0)),
        // MOVSX: MOV | X with the source width in off.
        ("movsx832 %r0, %r1", slot(0xbc, 0, 1, 8, 0)),
        ("movsx1632 %r0, %r1", slot(0xbc, 0, 1, 16, 0)),
        ("movsx864 %r2, %r3", slot(0xbf, 2, 3, 8, 0)),
        ("movsx1664 %r2, %r3", slot(0xbf, 2, 3, 16, 0)),
        ("movsx3264 %r2, %r3", slot(0xbf, 2, 3, 32, 0)),
        // END 0xd0: ALU|TO_BE 0x08, ALU|TO_LE 0x00, ALU64 = bswap; imm = width.
        ("be16 %r0", slot(0xdc, 0, 0, 0, 16)),
        ("be32 %r0", slot(0xdc, 0, 0, 0, 32)),
        ("be64 %r0", slot(0xdc, 0, 0, 0, 64)),
        ("le16 %r3", slot(0xd4, 3, 0, 0, 16)),
        ("le32 %r3", slot(0xd4, 3, 0, 0, 32)),
        ("le64 %r3", slot(0xd4, 3, 0, 0, 64)),
        ("swap16 %r0", slot(0xd7, 0, 0, 0, 16)),
        ("swap32 %r0", slot(0xd7, 0, 0, 0, 32)),
        ("bswap64 %r0", slot(0xd7, 0, 0, 0, 64)),
    ]);
}

#[test]
fn load_and_store_forms() {
    check(&[
        // LD | IMM | DW = 0x18, two slots; low word first.
        (
            "lddw %r0, 0x123456789abcdef0",
            [slot(0x18, 0, 0, 0, 0x9abcdef0_u32 as i32), slot(0, 0, 0, 0, 0x12345678)].concat(),
        ),
        ("lddw %r5, -1", [slot(0x18, 5, 0, 0, -1), slot(0, 0, 0, 0, -1)].concat()),
        // Pseudo source map_fd = 1 in src_reg.
        (
            "lddw %r1, map_fd 3",
            [slot(0x18, 1, 1, 0, 3), slot(0, 0, 0, 0, 0)].concat(),
        ),
        // LDX | MEM 0x60 | size
        ("ldxdw %r0, [%r1+8]", slot(0x79, 0, 1, 8, 0)),
        ("ldxw %r2, [%r3]", slot(0x61, 2, 3, 0, 0)),
        ("ldxh %r0, [%r1-2]", slot(0x69, 0, 1, -2, 0)),
        ("ldxb %r0, [%r1+0x10]", slot(0x71, 0, 1, 16, 0)),
        // LDX | MEMSX 0x80 | size
        ("ldxsb %r0, [%r10-1]", slot(0x91, 0, 10, -1, 0)),
        ("ldxsh %r0, [%r10-2]", slot(0x89, 0, 10, -2, 0)),
        ("ldxsw %r0, [%r10-4]", slot(0x81, 0, 10, -4, 0)),
        // STX | MEM | size
        ("stxdw [%r10-8], %r0", slot(0x7b, 10, 0, -8, 0)),
        ("stxw [%r10-4], %r1", slot(0x63, 10, 1, -4, 0)),
        ("stxh [%r10-2], %r1", slot(0x6b, 10, 1, -2, 0)),
        ("stxb [%r1+2], %r9", slot(0x73, 1, 9, 2, 0)),
        // ST | MEM | size
        ("stb [%r10-1], 0x80", slot(0x72, 10, 0, -1, 0x80)),
        ("sth [%r10-2], 0x1234", slot(0x6a, 10, 0, -2, 0x1234)),
        ("stw [%r10-4], 7", slot(0x62, 10, 0, -4, 7)),
        ("stdw [%r1], -1", slot(0x7a, 1, 0, 0, -1)),
        // Legacy packet loads: LD | ABS 0x20 / IND 0x40 | size.
        ("ldabsw 0x10", slot(0x20, 0, 0, 0, 16)),
        ("ldindb %r1, 2", slot(0x50, 0, 1, 0, 2)),
    ]);
}

#[test]
fn atomic_forms() {
    // STX | ATOMIC 0xc0 | W = 0xc3, | DW = 0xdb; the operation is in imm:
    // ADD 0x00, OR 0x40, AND 0x50, XOR 0xa0, FETCH 0x01, XCHG 0xe1,
    // CMPXCHG 0xf1, load-acquire 0x100, store-release 0x110.
    check(&[
        ("lock add [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0x00)),
        ("lock fetch add [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0x01)),
        ("lock add32 [%r10-4], %r1", slot(0xc3, 10, 1, -4, 0x00)),
        ("lock fetch add32 [%r10-4], %r1", slot(0xc3, 10, 1, -4, 0x01)),
        ("lock or [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0x40)),
        ("lock fetch or32 [%r10-8], %r3", slot(0xc3, 10, 3, -8, 0x41)),
        ("lock and [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0x50)),
        ("lock fetch and [%r10-8], %r3", slot(0xdb, 10, 3, -8, 0x51)),
        ("lock xor32 [%r10-8], %r1", slot(0xc3, 10, 1, -8, 0xa0)),
        ("lock fetch xor [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0xa1)),
        ("lock xchg [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0xe1)),
        ("lock xchg32 [%r10-8], %r1", slot(0xc3, 10, 1, -8, 0xe1)),
        ("lock cmpxchg [%r10-8], %r1", slot(0xdb, 10, 1, -8, 0xf1)),
        ("lock cmpxchg32 [%r10-8], %r1", slot(0xc3, 10, 1, -8, 0xf1)),
        ("lock load_acquire %r0, [%r1+8]", slot(0xdb, 0, 1, 8, 0x100)),
        ("lock load_acquire8 %r0, [%r1]", slot(0xd3, 0, 1, 0, 0x100)),
        ("lock store_release32 [%r1], %r2", slot(0xc3, 1, 2, 0, 0x110)),
    ]);
}

#[test]
fn jump_and_call_forms() {
    check(&[
        // JMP 0x05 | op | K, then JMP32 0x06 | op | X 0x08.
        ("jeq %r1, 0x80000000, +1", slot(0x15, 1, 0, 1, i32::MIN)),
        ("jgt %r1, 2, +1", slot(0x25, 1, 0, 1, 2)),
        ("jge %r1, 2, +1", slot(0x35, 1, 0, 1, 2)),
        ("jset %r1, 2, +1", slot(0x45, 1, 0, 1, 2)),
        ("jne %r1, 2, +1", slot(0x55, 1, 0, 1, 2)),
        ("jsgt %r1, -2, +1", slot(0x65, 1, 0, 1, -2)),
        ("jsge %r1, 2, +1", slot(0x75, 1, 0, 1, 2)),
        ("jlt %r1, 2, +1", slot(0xa5, 1, 0, 1, 2)),
        ("jle %r1, 2, +1", slot(0xb5, 1, 0, 1, 2)),
        ("jslt %r1, 2, +1", slot(0xc5, 1, 0, 1, 2)),
        ("jsle %r1, 2, +1", slot(0xd5, 1, 0, 1, 2)),
        ("jeq32 %r1, %r2, -1", slot(0x1e, 1, 2, -1, 0)),
        ("jgt32 %r1, %r2, -1", slot(0x2e, 1, 2, -1, 0)),
        ("jge32 %r1, %r2, -1", slot(0x3e, 1, 2, -1, 0)),
        ("jset32 %r1, %r2, -1", slot(0x4e, 1, 2, -1, 0)),
        ("jne32 %r1, %r2, -1", slot(0x5e, 1, 2, -1, 0)),
        ("jsgt32 %r1, %r2, -1", slot(0x6e, 1, 2, -1, 0)),
        ("jsge32 %r1, %r2, -1", slot(0x7e, 1, 2, -1, 0)),
        ("jlt32 %r1, %r2, -1", slot(0xae, 1, 2, -1, 0)),
        ("jle32 %r1, %r2, -1", slot(0xbe, 1, 2, -1, 0)),
        ("jslt32 %r1, %r2, -1", slot(0xce, 1, 2, -1, 0)),
        ("jsle32 %r1, %r2, -1", slot(0xde, 1, 2, -1, 0)),
        ("jeq %r1, %r2, +0", slot(0x1d, 1, 2, 0, 0)),
        ("jne32 %r1, 7, +3", slot(0x56, 1, 0, 3, 7)),
        // JA: JMP | 0x00 with off; JMP32 | 0x00 (gotol) with imm.
        ("ja +2", slot(0x05, 0, 0, 2, 0)),
        ("ja -1", slot(0x05, 0, 0, -1, 0)),
        ("ja32 +3", slot(0x06, 0, 0, 0, 3)),
        // CALL 0x85: src 0 helper id, src 1 local offset, src 2 kfunc.
        ("call 5", slot(0x85, 0, 0, 0, 5)),
        ("call helper 5", slot(0x85, 0, 0, 0, 5)),
        ("call local +2", slot(0x85, 0, 1, 0, 2)),
        ("call runtime 7", slot(0x85, 0, 2, 0, 7)),
        // CALL | X 0x8d: the register in dst_reg (bpf_conformance, LLVM 19+).
        ("call %r2", slot(0x8d, 2, 0, 0, 0)),
        ("exit", slot(0x95, 0, 0, 0, 0)),
        // may_goto: JMP | JCOND 0xe0.
        ("may_goto +3", slot(0xe5, 0, 0, 3, 0)),
        // MOV | X with off 1: address-space cast, imm = dst_as << 16 | src_as.
        ("addr_space_cast %r1, %r2, 1, 0", slot(0xbf, 1, 2, 1, 0x10000)),
    ]);
}

#[test]
fn labels_comments_and_blank_lines() {
    let text = "\
# whole-line comment

    mov %r0, 0      # trailing comment
loop:
    add %r0, 1
    jlt %r0, 3, loop
    call local f
    ja exit
    exit
f:
    mov %r0, 2
    exit
";
    // 0 mov, 1 add (loop), 2 jlt -> 1, 3 call -> 6, 4 ja -> first exit 5,
    // 5 exit, 6 f: mov, 7 exit.
    assert_eq!(
        bytes_of(text),
        [
            slot(0xb7, 0, 0, 0, 0),
            slot(0x07, 0, 0, 0, 1),
            slot(0xa5, 0, 0, -2, 3),
            slot(0x85, 0, 1, 0, 2),
            slot(0x05, 0, 0, 0, 0),
            slot(0x95, 0, 0, 0, 0),
            slot(0xb7, 0, 0, 0, 2),
            slot(0x95, 0, 0, 0, 0),
        ]
        .concat()
    );
    // ja32 takes a label too, and lddw counts as two slots.
    assert_eq!(
        bytes_of("ja32 end\nlddw %r0, 1\nend:\nexit"),
        [
            slot(0x06, 0, 0, 0, 2),
            slot(0x18, 0, 0, 0, 1),
            slot(0, 0, 0, 0, 0),
            slot(0x95, 0, 0, 0, 0),
        ]
        .concat()
    );
}

#[test]
fn bad_input_is_an_error_with_its_line() {
    let cases: &[(&str, usize)] = &[
        ("mov %r0, 1\nfrobnicate %r0", 2),
        ("\nmov %r0", 2),
        ("mov %r11, 1", 1),
        ("mov %r0, 0x1ffffffff", 1),
        ("ldxw %r0, %r1", 1),
        ("exit\n\n\nja nowhere", 4),
        ("a:\na:", 2),
        ("ja +40000", 1),
        ("call sideways 1", 1),
        ("lock fetch nand [%r1], %r2", 1),
    ];
    for &(text, line) in cases {
        let err = assemble(text).expect_err(text);
        assert_eq!(err.line(), line, "`{text}`: {err}");
    }
    assert!(matches!(
        assemble("ja x\nx:\nx:"),
        Err(AsmError::DuplicateLabel { line: 3, first: 2, .. })
    ));
}
