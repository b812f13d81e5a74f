//! The uBPF syntax's mnemonics, both ways: names to operations for the
//! assembler, operations to names for the disassembler.

use crate::isa::decode::{AluOp, Endian, JmpOp, Size, Width};
use crate::isa::opcode::{
    BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
    BPF_PSEUDO_MAP_VALUE,
};

/// `add` -> W64, `add32` -> W32, `add64` -> W64.
pub(super) fn split_width(mnemonic: &str) -> (&str, Width) {
    if let Some(base) = mnemonic.strip_suffix("32") {
        (base, Width::W32)
    } else if let Some(base) = mnemonic.strip_suffix("64") {
        (base, Width::W64)
    } else {
        (mnemonic, Width::W64)
    }
}

pub(super) fn alu_op(name: &str) -> Option<AluOp> {
    Some(match name {
        "add" => AluOp::Add,
        "sub" => AluOp::Sub,
        "mul" => AluOp::Mul,
        "div" => AluOp::Div,
        "sdiv" => AluOp::SDiv,
        "or" => AluOp::Or,
        "and" => AluOp::And,
        "lsh" => AluOp::Lsh,
        "rsh" => AluOp::Rsh,
        "mod" => AluOp::Mod,
        "smod" => AluOp::SMod,
        "xor" => AluOp::Xor,
        "mov" => AluOp::Mov,
        "arsh" => AluOp::Arsh,
        _ => return None,
    })
}

pub(super) fn alu_name(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "add",
        AluOp::Sub => "sub",
        AluOp::Mul => "mul",
        AluOp::Div => "div",
        AluOp::SDiv => "sdiv",
        AluOp::Or => "or",
        AluOp::And => "and",
        AluOp::Lsh => "lsh",
        AluOp::Rsh => "rsh",
        AluOp::Mod => "mod",
        AluOp::SMod => "smod",
        AluOp::Xor => "xor",
        AluOp::Mov => "mov",
        AluOp::Arsh => "arsh",
    }
}

pub(super) fn jmp_op(name: &str) -> Option<JmpOp> {
    JmpOp::ALL.into_iter().find(|&op| jmp_name(op) == name)
}

pub(super) fn jmp_name(op: JmpOp) -> &'static str {
    match op {
        JmpOp::Jeq => "jeq",
        JmpOp::Jgt => "jgt",
        JmpOp::Jge => "jge",
        JmpOp::Jset => "jset",
        JmpOp::Jne => "jne",
        JmpOp::Jsgt => "jsgt",
        JmpOp::Jsge => "jsge",
        JmpOp::Jlt => "jlt",
        JmpOp::Jle => "jle",
        JmpOp::Jslt => "jslt",
        JmpOp::Jsle => "jsle",
    }
}

/// `movsx<from><to>`: (width of the destination, bits of the source).
pub(super) const MOVSX: [(&str, Width, u8); 5] = [
    ("movsx832", Width::W32, 8),
    ("movsx1632", Width::W32, 16),
    ("movsx864", Width::W64, 8),
    ("movsx1664", Width::W64, 16),
    ("movsx3264", Width::W64, 32),
];

/// Byte-order mnemonics: (prefix, kind). `bswap` is the LLVM spelling.
pub(super) const ENDIAN: [(&str, Endian); 4] = [
    ("be", Endian::ToBe),
    ("le", Endian::ToLe),
    ("swap", Endian::Swap),
    ("bswap", Endian::Swap),
];

pub(super) fn size_suffix(s: &str) -> Option<Size> {
    Some(match s {
        "b" => Size::B,
        "h" => Size::H,
        "w" => Size::W,
        "dw" => Size::DW,
        _ => return None,
    })
}

pub(super) fn size_name(size: Size) -> &'static str {
    match size {
        Size::B => "b",
        Size::H => "h",
        Size::W => "w",
        Size::DW => "dw",
    }
}

/// Pseudo sources of ld_imm64 by name (`lddw %r1, map_fd 3`).
pub(super) const LDDW_PSEUDO: [(&str, u8); 6] = [
    ("map_fd", BPF_PSEUDO_MAP_FD),
    ("map_value", BPF_PSEUDO_MAP_VALUE),
    ("btf_id", BPF_PSEUDO_BTF_ID),
    ("func", BPF_PSEUDO_FUNC),
    ("map_idx", BPF_PSEUDO_MAP_IDX),
    ("map_idx_value", BPF_PSEUDO_MAP_IDX_VALUE),
];
