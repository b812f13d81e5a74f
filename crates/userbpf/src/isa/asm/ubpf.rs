//! Assembler and disassembler for the bpf_conformance / uBPF syntax.
//!
//! ```text
//! # comment              mov %r0, 1            lddw %r0, 0x123456789abcdef0
//! label:                 mov32 %r0, -1         ldxdw %r0, [%r1+8]
//! jeq %r1, 0x80, +1      jne32 %r2, %r3, label stxb [%r10-1], %r0
//! call 5                 call local func1      lock fetch add32 [%r10-8], %r1
//! call %r2               ja32 label            exit
//! ```
//!
//! The encoding follows Alan-Jowett/bpf_conformance's `bpf_assembler.cc`:
//! - a plain mnemonic is ALU64/JMP, a `32` suffix selects ALU/JMP32;
//! - `movsx<from><to>` (`movsx832`, `movsx3264`, ...) puts `from` in `off`;
//! - `call N` and `call helper N` call helper N, `call local L` is a
//!   bpf-to-bpf call (`src_reg = 1`, `imm` = offset), `call runtime N` a
//!   kfunc (`src_reg = 2`), and `call %rN` is callx with the register in
//!   `dst_reg` (bpf_conformance PR #202, as LLVM 19+ and GCC do);
//! - a jump to the label `exit` when no `exit:` label exists goes to the
//!   first `exit` instruction.
//!
//! Immediates are decimal or `0x` hex with an optional sign. A value fits a
//! field of N bits if it lies in `-2^(N-1) ..= 2^N - 1` and is stored as its
//! low N bits, so `0xffffff80` is the 32-bit immediate -128 (the suite relies
//! on this). Offsets (memory and jumps) must fit `i16` as signed numbers.
//!
//! Beyond the reference syntax, so that every decodable instruction has a
//! spelling (and `disassemble` can print any of them): `bswapN` (= `swapN`),
//! `ldxs{b,h,w}`, `callx %rN`, `ldabs{b,h,w} IMM`, `ldind{b,h,w} %rN, IMM`,
//! `lddw %rN, <pseudo> VALUE` with pseudo one of `map_fd map_value btf_id
//! func map_idx map_idx_value` (`func` also takes a label), `call runtime N,
//! OFF`, `may_goto TARGET`, `addr_space_cast %rD, %rS, DST_AS, SRC_AS`,
//! `lock load_acquire{8,16,32,} %rD, [%rS+off]` and
//! `lock store_release{8,16,32,} [%rD+off], %rS`.

use std::collections::HashMap;

use crate::isa::decode::{
    decode, encode, AluOp, AtomicOp, CallKind, DecodeError, Endian, Instruction, JmpOp, Operand, Reg, Size, Width,
};
use crate::isa::insn::Insn;
use crate::isa::opcode::{
    BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
    BPF_PSEUDO_MAP_VALUE, BPF_PSEUDO_NONE, MAX_BPF_REG,
};

/// Why a program does not assemble. `line` is 1-based.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AsmError {
    #[error("line {line}: unknown mnemonic `{mnemonic}`")]
    UnknownMnemonic { line: usize, mnemonic: String },
    #[error("line {line}: `{mnemonic}` takes {expected} operand(s), found {found}")]
    OperandCount {
        line: usize,
        mnemonic: String,
        expected: &'static str,
        found: usize,
    },
    #[error("line {line}: bad register `{text}` (expected %r0 .. %r10)")]
    BadRegister { line: usize, text: String },
    #[error("line {line}: bad immediate `{text}` (expected a decimal or 0x-hex number fitting {bits} bits)")]
    BadImmediate { line: usize, text: String, bits: u32 },
    #[error("line {line}: bad memory operand `{text}` (expected [%rN], [%rN+off] or [%rN-off] with a 16-bit off)")]
    BadMemory { line: usize, text: String },
    #[error("line {line}: bad operand `{text}`: expected {expected}")]
    BadOperand {
        line: usize,
        text: String,
        expected: &'static str,
    },
    #[error("line {line}: bad label name `{label}`")]
    BadLabel { line: usize, label: String },
    #[error("line {line}: unknown label `{label}`")]
    UnknownLabel { line: usize, label: String },
    #[error("line {line}: duplicate label `{label}` (first defined on line {first})")]
    DuplicateLabel { line: usize, label: String, first: usize },
    #[error("line {line}: jump target `{target}` is {distance} slots away, out of the field's range")]
    OffsetOutOfRange { line: usize, target: String, distance: i64 },
}

impl AsmError {
    /// The 1-based source line the error refers to.
    pub fn line(&self) -> usize {
        match *self {
            AsmError::UnknownMnemonic { line, .. }
            | AsmError::OperandCount { line, .. }
            | AsmError::BadRegister { line, .. }
            | AsmError::BadImmediate { line, .. }
            | AsmError::BadMemory { line, .. }
            | AsmError::BadOperand { line, .. }
            | AsmError::BadLabel { line, .. }
            | AsmError::UnknownLabel { line, .. }
            | AsmError::DuplicateLabel { line, .. }
            | AsmError::OffsetOutOfRange { line, .. } => line,
        }
    }
}

/// Assemble a program into typed instructions.
pub fn assemble(text: &str) -> Result<Vec<Instruction>, AsmError> {
    let mut asm = Assembler::default();
    for (index, line) in text.lines().enumerate() {
        asm.line(index + 1, line)?;
    }
    asm.finish()
}

/// Assemble a program into raw instruction slots.
pub fn assemble_slots(text: &str) -> Result<Vec<Insn>, AsmError> {
    assemble(text).map(|program| encode(&program))
}

/// A label reference waiting for every label to be known.
struct Fixup {
    index: usize,
    line: usize,
    label: String,
}

#[derive(Default)]
struct Assembler {
    program: Vec<Instruction>,
    /// Slot index of each instruction of `program` (ld_imm64 takes two).
    slot_of: Vec<usize>,
    slots: usize,
    /// Label name -> (slot, line of definition).
    labels: HashMap<String, (usize, usize)>,
    first_exit: Option<usize>,
    fixups: Vec<Fixup>,
}

/// Where a jump or call goes: a slot distance or a label.
enum Target<'a> {
    Relative(i64),
    Label(&'a str),
}

impl Assembler {
    fn line(&mut self, line: usize, text: &str) -> Result<(), AsmError> {
        let code = text.split('#').next().unwrap_or("");
        let tokens = tokenize(code);
        let mut rest = &tokens[..];
        // Labels: leading tokens ending in ':' (an instruction may follow).
        while let Some((first, tail)) = rest.split_first() {
            let Some(name) = first.strip_suffix(':') else {
                break;
            };
            self.define_label(line, name)?;
            rest = tail;
        }
        let Some((mnemonic, operands)) = rest.split_first() else {
            return Ok(());
        };
        let (mut ins, target) = parse_instruction(line, mnemonic, operands)?;
        if let Some(target) = target {
            match target {
                Target::Relative(distance) => {
                    if !set_target(&mut ins, distance) {
                        return Err(AsmError::OffsetOutOfRange {
                            line,
                            target: operands.last().unwrap_or(&"").to_string(),
                            distance,
                        });
                    }
                }
                Target::Label(label) => self.fixups.push(Fixup {
                    index: self.program.len(),
                    line,
                    label: label.to_string(),
                }),
            }
        }
        if ins == Instruction::Exit && self.first_exit.is_none() {
            self.first_exit = Some(self.slots);
        }
        self.slot_of.push(self.slots);
        self.slots += ins.slots();
        self.program.push(ins);
        Ok(())
    }

    fn define_label(&mut self, line: usize, name: &str) -> Result<(), AsmError> {
        if !is_label_name(name) {
            return Err(AsmError::BadLabel {
                line,
                label: name.to_string(),
            });
        }
        if let Some(&(_, first)) = self.labels.get(name) {
            return Err(AsmError::DuplicateLabel {
                line,
                label: name.to_string(),
                first,
            });
        }
        self.labels.insert(name.to_string(), (self.slots, line));
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<Instruction>, AsmError> {
        for fixup in &self.fixups {
            let defined = self.labels.get(&fixup.label).map(|&(slot, _)| slot);
            // The reference assembler's implicit label: the first exit.
            let implicit = || (fixup.label == "exit").then_some(self.first_exit).flatten();
            let target = defined.or_else(implicit).ok_or_else(|| AsmError::UnknownLabel {
                line: fixup.line,
                label: fixup.label.clone(),
            })?;
            let distance = target as i64 - (self.slot_of[fixup.index] as i64 + 1);
            if !set_target(&mut self.program[fixup.index], distance) {
                return Err(AsmError::OffsetOutOfRange {
                    line: fixup.line,
                    target: fixup.label.clone(),
                    distance,
                });
            }
        }
        Ok(self.program)
    }
}

/// Split a line into tokens at whitespace and commas, keeping a bracketed
/// memory operand (`[%r10 - 8]`) in one token.
fn tokenize(code: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start: Option<usize> = None;
    let mut in_brackets = false;
    for (i, c) in code.char_indices() {
        let separator = !in_brackets && (c.is_whitespace() || c == ',');
        if separator {
            if let Some(s) = start.take() {
                tokens.push(&code[s..i]);
            }
            continue;
        }
        if start.is_none() {
            start = Some(i);
        }
        match c {
            '[' => in_brackets = true,
            ']' => in_brackets = false,
            _ => {}
        }
    }
    if let Some(s) = start {
        tokens.push(&code[s..]);
    }
    tokens
}

fn is_label_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '$')
}

/// Store a jump distance in the field the instruction keeps it in; false if
/// it does not fit.
fn set_target(ins: &mut Instruction, distance: i64) -> bool {
    match ins {
        Instruction::Ja { off } | Instruction::Jcond { off, .. } | Instruction::MayGoto { off } => {
            i16::try_from(distance).map(|d| *off = d).is_ok()
        }
        Instruction::Ja32 { imm } | Instruction::Call(CallKind::Local(imm)) | Instruction::LdImm64 { imm, .. } => {
            i32::try_from(distance).map(|d| *imm = d).is_ok()
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------
// Operands
// ---------------------------------------------------------------------------

/// `[+-]?(0x<hex>|<decimal>)`, as a wide integer so every field's range can
/// be checked after the sign is applied.
fn parse_int(text: &str) -> Option<i128> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (digits, radix) = match body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (body, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    // u128 parsing fails on overflow, which also bounds the value.
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    let magnitude = i128::try_from(magnitude).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// A value for an N-bit field: signed or unsigned N-bit, stored as low bits.
fn fit_bits(value: i128, bits: u32) -> Option<u64> {
    let min = -(1i128 << (bits - 1));
    let max = (1i128 << bits) - 1;
    (min..=max).contains(&value).then_some(value as u64)
}

fn imm32(line: usize, text: &str) -> Result<i32, AsmError> {
    parse_int(text)
        .and_then(|v| fit_bits(v, 32))
        .map(|v| v as u32 as i32)
        .ok_or_else(|| AsmError::BadImmediate {
            line,
            text: text.to_string(),
            bits: 32,
        })
}

fn imm64(line: usize, text: &str) -> Result<u64, AsmError> {
    parse_int(text)
        .and_then(|v| fit_bits(v, 64))
        .ok_or_else(|| AsmError::BadImmediate {
            line,
            text: text.to_string(),
            bits: 64,
        })
}

fn imm16_unsigned(line: usize, text: &str) -> Result<u16, AsmError> {
    parse_int(text)
        .and_then(|v| u16::try_from(v).ok())
        .ok_or_else(|| AsmError::BadImmediate {
            line,
            text: text.to_string(),
            bits: 16,
        })
}

fn register(line: usize, text: &str) -> Result<Reg, AsmError> {
    text.strip_prefix("%r")
        .filter(|n| !n.is_empty() && n.len() <= 2 && n.chars().all(|c| c.is_ascii_digit()))
        .and_then(|n| n.parse::<u8>().ok())
        .filter(|&r| r < MAX_BPF_REG)
        .ok_or_else(|| AsmError::BadRegister {
            line,
            text: text.to_string(),
        })
}

/// `[%rN]`, `[%rN+off]` or `[%rN-off]`.
fn memory(line: usize, text: &str) -> Result<(Reg, i16), AsmError> {
    let bad = || AsmError::BadMemory {
        line,
        text: text.to_string(),
    };
    let inner: String = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(bad)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (reg_text, off) = match inner.find(['+', '-']) {
        Some(at) => {
            let off = parse_int(&inner[at..])
                .and_then(|v| i16::try_from(v).ok())
                .ok_or_else(bad)?;
            (&inner[..at], off)
        }
        None => (&inner[..], 0),
    };
    let reg = register(line, reg_text).map_err(|_| bad())?;
    Ok((reg, off))
}

/// A register or an immediate, told apart by the `%` of registers.
fn operand(line: usize, text: &str) -> Result<Operand, AsmError> {
    if text.starts_with('%') {
        register(line, text).map(Operand::Reg)
    } else {
        imm32(line, text).map(Operand::Imm)
    }
}

/// `+N`/`-N` is a distance in slots; anything else names a label.
fn target(line: usize, text: &str) -> Result<Target<'_>, AsmError> {
    if text.starts_with(['+', '-']) {
        parse_int(text)
            .and_then(|v| i64::try_from(v).ok())
            .map(Target::Relative)
            .ok_or_else(|| AsmError::BadOperand {
                line,
                text: text.to_string(),
                expected: "a jump target: +N, -N or a label",
            })
    } else if is_label_name(text) {
        Ok(Target::Label(text))
    } else {
        Err(AsmError::BadLabel {
            line,
            label: text.to_string(),
        })
    }
}

// ---------------------------------------------------------------------------
// Mnemonics
// ---------------------------------------------------------------------------

/// `add` -> W64, `add32` -> W32, `add64` -> W64.
fn split_width(mnemonic: &str) -> (&str, Width) {
    if let Some(base) = mnemonic.strip_suffix("32") {
        (base, Width::W32)
    } else if let Some(base) = mnemonic.strip_suffix("64") {
        (base, Width::W64)
    } else {
        (mnemonic, Width::W64)
    }
}

fn alu_op(name: &str) -> Option<AluOp> {
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

fn alu_name(op: AluOp) -> &'static str {
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

fn jmp_op(name: &str) -> Option<JmpOp> {
    JmpOp::ALL.into_iter().find(|&op| jmp_name(op) == name)
}

fn jmp_name(op: JmpOp) -> &'static str {
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
const MOVSX: [(&str, Width, u8); 5] = [
    ("movsx832", Width::W32, 8),
    ("movsx1632", Width::W32, 16),
    ("movsx864", Width::W64, 8),
    ("movsx1664", Width::W64, 16),
    ("movsx3264", Width::W64, 32),
];

/// Byte-order mnemonics: (prefix, kind). `bswap` is the LLVM spelling.
const ENDIAN: [(&str, Endian); 4] = [
    ("be", Endian::ToBe),
    ("le", Endian::ToLe),
    ("swap", Endian::Swap),
    ("bswap", Endian::Swap),
];

fn size_suffix(s: &str) -> Option<Size> {
    Some(match s {
        "b" => Size::B,
        "h" => Size::H,
        "w" => Size::W,
        "dw" => Size::DW,
        _ => return None,
    })
}

fn size_name(size: Size) -> &'static str {
    match size {
        Size::B => "b",
        Size::H => "h",
        Size::W => "w",
        Size::DW => "dw",
    }
}

/// Pseudo sources of ld_imm64 by name (`lddw %r1, map_fd 3`).
const LDDW_PSEUDO: [(&str, u8); 6] = [
    ("map_fd", BPF_PSEUDO_MAP_FD),
    ("map_value", BPF_PSEUDO_MAP_VALUE),
    ("btf_id", BPF_PSEUDO_BTF_ID),
    ("func", BPF_PSEUDO_FUNC),
    ("map_idx", BPF_PSEUDO_MAP_IDX),
    ("map_idx_value", BPF_PSEUDO_MAP_IDX_VALUE),
];

/// Operand count check; `expected` is for the message.
fn count(
    line: usize,
    mnemonic: &str,
    operands: &[&str],
    allowed: &[usize],
    expected: &'static str,
) -> Result<(), AsmError> {
    if allowed.contains(&operands.len()) {
        Ok(())
    } else {
        Err(AsmError::OperandCount {
            line,
            mnemonic: mnemonic.to_string(),
            expected,
            found: operands.len(),
        })
    }
}

type Parsed<'a> = (Instruction, Option<Target<'a>>);

fn parse_instruction<'a>(line: usize, mnemonic: &str, ops: &[&'a str]) -> Result<Parsed<'a>, AsmError> {
    let n = |allowed: &[usize], expected| count(line, mnemonic, ops, allowed, expected);
    let plain = |ins: Instruction| -> Result<Parsed<'a>, AsmError> { Ok((ins, None)) };

    match mnemonic {
        "exit" => {
            n(&[0], "0")?;
            return plain(Instruction::Exit);
        }
        "ja" => {
            n(&[1], "1")?;
            return Ok((Instruction::Ja { off: 0 }, Some(target(line, ops[0])?)));
        }
        "ja32" | "gotol" => {
            n(&[1], "1")?;
            return Ok((Instruction::Ja32 { imm: 0 }, Some(target(line, ops[0])?)));
        }
        "may_goto" => {
            n(&[1], "1")?;
            return Ok((Instruction::MayGoto { off: 0 }, Some(target(line, ops[0])?)));
        }
        "call" => return parse_call(line, mnemonic, ops),
        "callx" => {
            n(&[1], "1")?;
            return plain(Instruction::CallX {
                reg: register(line, ops[0])?,
            });
        }
        "lddw" => return parse_lddw(line, mnemonic, ops),
        "lock" => return parse_lock(line, mnemonic, ops).map(|ins| (ins, None)),
        "addr_space_cast" => {
            n(&[4], "4")?;
            return plain(Instruction::AddrSpaceCast {
                dst: register(line, ops[0])?,
                src: register(line, ops[1])?,
                dst_as: imm16_unsigned(line, ops[2])?,
                src_as: imm16_unsigned(line, ops[3])?,
            });
        }
        _ => {}
    }

    if let Some(&(_, width, bits)) = MOVSX.iter().find(|(m, ..)| *m == mnemonic) {
        n(&[2], "2")?;
        return plain(Instruction::MovSx {
            width,
            bits,
            dst: register(line, ops[0])?,
            src: register(line, ops[1])?,
        });
    }
    for (prefix, kind) in ENDIAN {
        let bits = match mnemonic.strip_prefix(prefix) {
            Some("16") => 16,
            Some("32") => 32,
            Some("64") => 64,
            _ => continue,
        };
        n(&[1], "1")?;
        return plain(Instruction::End {
            kind,
            bits,
            dst: register(line, ops[0])?,
        });
    }
    if let Some(rest) = mnemonic.strip_prefix("ldx") {
        let (size, signed) = match (size_suffix(rest), rest.strip_prefix('s')) {
            (Some(size), _) => (Some(size), false),
            (None, Some(s)) => (size_suffix(s).filter(|&z| z != Size::DW), true),
            (None, None) => (None, false),
        };
        if let Some(size) = size {
            n(&[2], "2")?;
            let (src, off) = memory(line, ops[1])?;
            return plain(Instruction::Load {
                size,
                signed,
                dst: register(line, ops[0])?,
                src,
                off,
            });
        }
    }
    if let Some(size) = mnemonic.strip_prefix("stx").and_then(size_suffix) {
        n(&[2], "2")?;
        let (dst, off) = memory(line, ops[0])?;
        return plain(Instruction::StoreReg {
            size,
            dst,
            src: register(line, ops[1])?,
            off,
        });
    }
    if let Some(size) = mnemonic.strip_prefix("st").and_then(size_suffix) {
        n(&[2], "2")?;
        let (dst, off) = memory(line, ops[0])?;
        return plain(Instruction::StoreImm {
            size,
            dst,
            off,
            imm: imm32(line, ops[1])?,
        });
    }
    let legacy_size = |prefix| {
        mnemonic
            .strip_prefix(prefix)
            .and_then(size_suffix)
            .filter(|&z| z != Size::DW)
    };
    if let Some(size) = legacy_size("ldabs") {
        n(&[1], "1")?;
        return plain(Instruction::LdAbs {
            size,
            imm: imm32(line, ops[0])?,
        });
    }
    if let Some(size) = legacy_size("ldind") {
        n(&[2], "2")?;
        return plain(Instruction::LdInd {
            size,
            src: register(line, ops[0])?,
            imm: imm32(line, ops[1])?,
        });
    }

    let (base, width) = split_width(mnemonic);
    if base == "neg" {
        n(&[1], "1")?;
        return plain(Instruction::Neg {
            width,
            dst: register(line, ops[0])?,
        });
    }
    if let Some(op) = alu_op(base) {
        n(&[2], "2")?;
        return plain(Instruction::Alu {
            width,
            op,
            dst: register(line, ops[0])?,
            src: operand(line, ops[1])?,
        });
    }
    if let Some(op) = jmp_op(base) {
        n(&[3], "3")?;
        let ins = Instruction::Jcond {
            width,
            op,
            dst: register(line, ops[0])?,
            src: operand(line, ops[1])?,
            off: 0,
        };
        return Ok((ins, Some(target(line, ops[2])?)));
    }
    Err(AsmError::UnknownMnemonic {
        line,
        mnemonic: mnemonic.to_string(),
    })
}

/// `call N`, `call helper N`, `call %rN`, `call local TARGET`,
/// `call runtime N[, OFF]`.
fn parse_call<'a>(line: usize, mnemonic: &str, ops: &[&'a str]) -> Result<Parsed<'a>, AsmError> {
    count(line, mnemonic, ops, &[1, 2, 3], "1 to 3")?;
    let (mode, args) = match ops {
        [only] => ("helper", std::slice::from_ref(only)),
        [mode, args @ ..] => (*mode, args),
        [] => unreachable_operands(line, mnemonic)?,
    };
    let helper_or_callx = |text: &str| -> Result<Instruction, AsmError> {
        if text.starts_with('%') {
            Ok(Instruction::CallX {
                reg: register(line, text)?,
            })
        } else {
            Ok(Instruction::Call(CallKind::Helper(imm32(line, text)?)))
        }
    };
    match (mode, args) {
        ("helper", [id]) => Ok((helper_or_callx(id)?, None)),
        ("local", [to]) => Ok((Instruction::Call(CallKind::Local(0)), Some(target(line, to)?))),
        ("runtime" | "kfunc", [id]) | ("runtime" | "kfunc", [id, _]) => {
            let off = match args.get(1) {
                Some(off) => {
                    parse_int(off)
                        .and_then(|v| i16::try_from(v).ok())
                        .ok_or_else(|| AsmError::BadImmediate {
                            line,
                            text: off.to_string(),
                            bits: 16,
                        })?
                }
                None => 0,
            };
            let btf_id = imm32(line, id)?;
            Ok((Instruction::Call(CallKind::Kfunc { btf_id, off }), None))
        }
        ("helper" | "local", _) => Err(AsmError::OperandCount {
            line,
            mnemonic: format!("call {mode}"),
            expected: "1",
            found: args.len(),
        }),
        _ => Err(AsmError::BadOperand {
            line,
            text: mode.to_string(),
            expected: "a call mode: helper, local or runtime",
        }),
    }
}

/// Unreachable after the operand count check; an error instead of a panic.
fn unreachable_operands<T>(line: usize, mnemonic: &str) -> Result<T, AsmError> {
    Err(AsmError::OperandCount {
        line,
        mnemonic: mnemonic.to_string(),
        expected: "at least 1",
        found: 0,
    })
}

/// `lddw %rN, IMM64` or `lddw %rN, <pseudo> VALUE`.
fn parse_lddw<'a>(line: usize, mnemonic: &str, ops: &[&'a str]) -> Result<Parsed<'a>, AsmError> {
    count(line, mnemonic, ops, &[2, 3], "2")?;
    let dst = register(line, ops[0])?;
    let (src, value) = match ops {
        [_, value] => (BPF_PSEUDO_NONE, *value),
        [_, pseudo, value] => {
            let src = LDDW_PSEUDO
                .iter()
                .find(|(name, _)| name == pseudo)
                .map(|&(_, src)| src)
                .ok_or_else(|| AsmError::BadOperand {
                    line,
                    text: pseudo.to_string(),
                    expected: "an ld_imm64 pseudo source: map_fd, map_value, btf_id, func, map_idx or map_idx_value",
                })?;
            (src, *value)
        }
        _ => return unreachable_operands(line, mnemonic),
    };
    // A subprogram address may be given by label.
    if src == BPF_PSEUDO_FUNC && parse_int(value).is_none() {
        let ins = Instruction::LdImm64 {
            dst,
            src,
            imm: 0,
            next_imm: 0,
        };
        return Ok((ins, Some(target(line, value)?)));
    }
    let value = imm64(line, value)?;
    let ins = Instruction::LdImm64 {
        dst,
        src,
        imm: value as u32 as i32,
        next_imm: (value >> 32) as u32 as i32,
    };
    Ok((ins, None))
}

/// `lock [fetch] OP[32] [%rD+off], %rS`; `fetch` may also follow OP.
fn parse_lock(line: usize, mnemonic: &str, ops: &[&str]) -> Result<Instruction, AsmError> {
    let (fetch, op_name, rest) = match ops {
        ["fetch", op, rest @ ..] => (true, *op, rest),
        [op, "fetch", rest @ ..] => (true, *op, rest),
        [op, rest @ ..] => (false, *op, rest),
        [] => return unreachable_operands(line, mnemonic),
    };
    let unknown = || AsmError::UnknownMnemonic {
        line,
        mnemonic: format!("lock {op_name}"),
    };
    let lock_mnemonic = || format!("lock {op_name}");
    if rest.len() != 2 {
        return Err(AsmError::OperandCount {
            line,
            mnemonic: lock_mnemonic(),
            expected: "2",
            found: rest.len(),
        });
    }
    // Load-acquire and store-release exist in every size.
    for (prefix, op) in [
        ("load_acquire", AtomicOp::LoadAcquire),
        ("store_release", AtomicOp::StoreRelease),
    ] {
        let Some(suffix) = op_name.strip_prefix(prefix) else {
            continue;
        };
        let size = match suffix {
            "8" => Size::B,
            "16" => Size::H,
            "32" => Size::W,
            "" | "64" => Size::DW,
            _ => return Err(unknown()),
        };
        return if op == AtomicOp::LoadAcquire {
            let (src, off) = memory(line, rest[1])?;
            Ok(Instruction::Atomic {
                size,
                op,
                dst: register(line, rest[0])?,
                src,
                off,
            })
        } else {
            let (dst, off) = memory(line, rest[0])?;
            Ok(Instruction::Atomic {
                size,
                op,
                dst,
                src: register(line, rest[1])?,
                off,
            })
        };
    }
    let (base, width) = split_width(op_name);
    let op = match base {
        "add" => AtomicOp::Add { fetch },
        "or" => AtomicOp::Or { fetch },
        "and" => AtomicOp::And { fetch },
        "xor" => AtomicOp::Xor { fetch },
        // Both always return the old value; `fetch` is redundant.
        "xchg" => AtomicOp::Xchg,
        "cmpxchg" => AtomicOp::CmpXchg,
        _ => return Err(unknown()),
    };
    let size = match width {
        Width::W32 => Size::W,
        Width::W64 => Size::DW,
    };
    let (dst, off) = memory(line, rest[0])?;
    Ok(Instruction::Atomic {
        size,
        op,
        dst,
        src: register(line, rest[1])?,
        off,
    })
}

// ---------------------------------------------------------------------------
// Disassembly
// ---------------------------------------------------------------------------

/// Small and negative values read best in decimal, the rest as the 32-bit
/// pattern in hex (what the reference disassembler prints).
fn format_imm(imm: i32) -> String {
    if (-10..=10).contains(&imm) || (imm < 0 && imm != i32::MIN) {
        imm.to_string()
    } else {
        format!("{:#x}", imm as u32)
    }
}

fn format_imm64(value: u64) -> String {
    if value <= 10 {
        value.to_string()
    } else {
        format!("{value:#x}")
    }
}

fn format_memory(reg: Reg, off: i16) -> String {
    match off {
        0 => format!("[%r{reg}]"),
        o if o > 0 => format!("[%r{reg}+{o}]"),
        o => format!("[%r{reg}{o}]"),
    }
}

fn format_target(distance: i64) -> String {
    if distance >= 0 {
        format!("+{distance}")
    } else {
        distance.to_string()
    }
}

fn format_operand(src: Operand) -> String {
    match src {
        Operand::Reg(r) => format!("%r{r}"),
        Operand::Imm(i) => format_imm(i),
    }
}

fn width_suffix(width: Width) -> &'static str {
    match width {
        Width::W32 => "32",
        Width::W64 => "",
    }
}

/// One instruction in this syntax; jumps print their distance (`+N`/`-N`).
pub fn disassemble(ins: &Instruction) -> String {
    match *ins {
        Instruction::Alu { width, op, dst, src } => format!(
            "{}{} %r{dst}, {}",
            alu_name(op),
            width_suffix(width),
            format_operand(src)
        ),
        Instruction::MovSx { width, bits, dst, src } => {
            let to = match width {
                Width::W32 => 32,
                Width::W64 => 64,
            };
            format!("movsx{bits}{to} %r{dst}, %r{src}")
        }
        Instruction::AddrSpaceCast {
            dst,
            src,
            dst_as,
            src_as,
        } => format!("addr_space_cast %r{dst}, %r{src}, {dst_as}, {src_as}"),
        Instruction::Neg { width, dst } => format!("neg{} %r{dst}", width_suffix(width)),
        Instruction::End { kind, bits, dst } => {
            let prefix = match kind {
                Endian::ToBe => "be",
                Endian::ToLe => "le",
                Endian::Swap => "swap",
            };
            format!("{prefix}{bits} %r{dst}")
        }
        Instruction::LdImm64 {
            dst,
            src,
            imm,
            next_imm,
        } => {
            let value = (next_imm as u32 as u64) << 32 | imm as u32 as u64;
            match LDDW_PSEUDO.iter().find(|&&(_, s)| s == src) {
                Some((name, _)) => format!("lddw %r{dst}, {name} {}", format_imm64(value)),
                None => format!("lddw %r{dst}, {}", format_imm64(value)),
            }
        }
        Instruction::LdAbs { size, imm } => {
            format!("ldabs{} {}", size_name(size), format_imm(imm))
        }
        Instruction::LdInd { size, src, imm } => {
            format!("ldind{} %r{src}, {}", size_name(size), format_imm(imm))
        }
        Instruction::Load {
            size,
            signed,
            dst,
            src,
            off,
        } => format!(
            "ldx{}{} %r{dst}, {}",
            if signed { "s" } else { "" },
            size_name(size),
            format_memory(src, off)
        ),
        Instruction::StoreImm { size, dst, off, imm } => {
            format!("st{} {}, {}", size_name(size), format_memory(dst, off), format_imm(imm))
        }
        Instruction::StoreReg { size, dst, src, off } => {
            format!("stx{} {}, %r{src}", size_name(size), format_memory(dst, off))
        }
        Instruction::Atomic {
            size,
            op,
            dst,
            src,
            off,
        } => disassemble_atomic(size, op, dst, src, off),
        Instruction::Ja { off } => format!("ja {}", format_target(off.into())),
        Instruction::Ja32 { imm } => format!("ja32 {}", format_target(imm.into())),
        Instruction::Jcond {
            width,
            op,
            dst,
            src,
            off,
        } => format!(
            "{}{} %r{dst}, {}, {}",
            jmp_name(op),
            width_suffix(width),
            format_operand(src),
            format_target(off.into())
        ),
        Instruction::MayGoto { off } => format!("may_goto {}", format_target(off.into())),
        Instruction::Call(CallKind::Helper(id)) => format!("call {}", format_imm(id)),
        Instruction::Call(CallKind::Local(rel)) => {
            format!("call local {}", format_target(rel.into()))
        }
        Instruction::Call(CallKind::Kfunc { btf_id, off: 0 }) => {
            format!("call runtime {}", format_imm(btf_id))
        }
        Instruction::Call(CallKind::Kfunc { btf_id, off }) => {
            format!("call runtime {}, {off}", format_imm(btf_id))
        }
        Instruction::CallX { reg } => format!("call %r{reg}"),
        Instruction::Exit => "exit".to_string(),
    }
}

fn disassemble_atomic(size: Size, op: AtomicOp, dst: Reg, src: Reg, off: i16) -> String {
    let mem = format_memory(dst, off);
    let bits = match size {
        Size::B => "8",
        Size::H => "16",
        Size::W => "32",
        Size::DW => "",
    };
    let (name, fetch) = match op {
        AtomicOp::Add { fetch } => ("add", fetch),
        AtomicOp::Or { fetch } => ("or", fetch),
        AtomicOp::And { fetch } => ("and", fetch),
        AtomicOp::Xor { fetch } => ("xor", fetch),
        AtomicOp::Xchg => ("xchg", false),
        AtomicOp::CmpXchg => ("cmpxchg", false),
        // For load-acquire `dst` is the loaded register, `src` the base.
        AtomicOp::LoadAcquire => return format!("lock load_acquire{bits} %r{dst}, {}", format_memory(src, off)),
        AtomicOp::StoreRelease => return format!("lock store_release{bits} {mem}, %r{src}"),
    };
    let fetch = if fetch { "fetch " } else { "" };
    format!("lock {fetch}{name}{bits} {mem}, %r{src}")
}

/// Raw slots, decoded then printed one instruction per line.
pub fn disassemble_slots(slots: &[Insn]) -> Result<String, DecodeError> {
    let program: Vec<Instruction> = decode(slots)?.into_iter().map(|(_, ins)| ins).collect();
    Ok(disassemble_program(&program))
}

/// A whole program, one instruction per line.
pub fn disassemble_program(program: &[Instruction]) -> String {
    let mut out = String::new();
    for ins in program {
        out.push_str(&disassemble(ins));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::decode::decode_at;
    use crate::isa::opcode::{BPF_CMPXCHG, BPF_LOAD_ACQ, BPF_STORE_REL, BPF_XCHG};
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
        let fields: &[(u8, u8, i16, i32)] = &[
            (0, 0, 0, 0),
            (1, 2, 0, 0),
            (1, 0, 0, 16),
            (1, 0, 0, 32),
            (1, 0, 0, 64),
            (1, 2, 1, 0),
            (1, 2, 8, 0),
            (1, 2, 16, 0),
            (1, 2, 32, 0),
            (10, 0, -8, -1),
            (1, 0, 0, i32::MIN),
            (1, 0, 0, i32::MAX),
            (1, 0, 0, 0x7fff_ff80),
            (9, 3, i16::MIN, 11),
            (1, 0, i16::MAX, -11),
            (0, 0, 5, 0),
            (0, 1, 0, 3),
            (0, 2, 1, 9),
            (0, 4, 0, -3),
            (1, 2, 0, BPF_XCHG),
            (1, 2, 0, BPF_CMPXCHG),
            (1, 2, 0, 0x41),
            (1, 2, 0, 0xa1),
            (1, 2, 7, BPF_LOAD_ACQ),
            (1, 2, -7, BPF_STORE_REL),
            (1, 2, 1, 0x10000),
            (1, 2, 1, 1),
        ];
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
}
