//! Instruction-set facts the assembler and disassembler tests share.

use std::sync::OnceLock;

use userbpf::isa::decode::SAMPLE_FIELDS;
use userbpf::isa::{decode_at, Insn};

/// The kernel's disassembly of every instruction form, recorded
/// (tests/fixtures/disasm/golden.txt).
pub const DISASM_GOLDEN: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/fixtures/disasm/golden.txt"
));

/// Every opcode byte the decoder accepts with some choice of fields (the
/// decoder's own sample fields, which reach every variant), in order.
pub fn valid_opcodes() -> &'static [u8] {
    static CODES: OnceLock<Vec<u8>> = OnceLock::new();
    CODES.get_or_init(|| {
        (0..=255u8)
            .filter(|&code| {
                SAMPLE_FIELDS.iter().any(|&(dst, src, off, imm)| {
                    let slots = [Insn::new(code, dst, src, off, imm), Insn::default()];
                    decode_at(&slots, 0).is_ok()
                })
            })
            .collect()
    })
}
