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

use crate::isa::decode::{encode, AtomicOp, CallKind, Instruction, Size, Width};
use crate::isa::insn::Insn;
use crate::isa::opcode::{BPF_PSEUDO_FUNC, BPF_PSEUDO_NONE};

mod disasm;
mod mnemonics;
mod operands;

pub use disasm::{disassemble, disassemble_program, disassemble_slots};
use mnemonics::*;
use operands::*;

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

/// An [`AsmError`]'s `line` field, by value or (matching on a reference)
/// by reference: the one list of the variants for reading and shifting it.
macro_rules! asm_error_line {
    ($error:expr) => {
        match $error {
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
    };
}

impl AsmError {
    /// The 1-based source line the error refers to.
    pub fn line(&self) -> usize {
        *asm_error_line!(self)
    }

    /// The same error `by` lines further down (a duplicate label's first
    /// definition too): for source assembled from within a larger file.
    pub fn shifted(mut self, by: usize) -> AsmError {
        *asm_error_line!(&mut self) += by;
        if let AsmError::DuplicateLabel { first, .. } = &mut self {
            *first += by;
        }
        self
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
            let distance = crate::isa::cfg::rel(self.slot_of[fixup.index], target as i64);
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
                dst_as: imm16(line, ops[2])?,
                src_as: imm16(line, ops[3])?,
            });
        }
        _ => {}
    }

    if let Some(&(_, width, bits)) = MOVSX.iter().find(|(m, ..)| *m == mnemonic) {
        n(&[2], "2")?;
        let dst = register(line, ops[0])?;
        let src = register(line, ops[1])?;
        return plain(Instruction::MovSx { width, bits, dst, src });
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
    // `stx<size>` stores a register, `st<size>` an immediate.
    let store = match mnemonic.strip_prefix("stx") {
        Some(rest) => Some((rest, true)),
        None => mnemonic.strip_prefix("st").map(|rest| (rest, false)),
    };
    if let Some((size, from_reg)) = store.and_then(|(rest, r)| Some((size_suffix(rest)?, r))) {
        n(&[2], "2")?;
        let (dst, off) = memory(line, ops[0])?;
        let ins = if from_reg {
            let src = register(line, ops[1])?;
            Instruction::StoreReg { size, dst, src, off }
        } else {
            let imm = imm32(line, ops[1])?;
            Instruction::StoreImm { size, dst, off, imm }
        };
        return plain(ins);
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
                Some(off) => imm16(line, off)?,
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
    // `OP [%rD+off], %rS`: every form but load-acquire.
    let to_memory = |size, op| -> Result<Instruction, AsmError> {
        let (dst, off) = memory(line, rest[0])?;
        Ok(Instruction::Atomic {
            size,
            op,
            dst,
            src: register(line, rest[1])?,
            off,
        })
    };
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
            to_memory(size, op)
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
    to_memory(size, op)
}

#[cfg(test)]
mod tests;
