//! Operands of the uBPF syntax: integers, registers, memory operands and
//! jump targets, each checked against the field it fills.

use super::{is_label_name, AsmError, Target};
use crate::isa::decode::{Operand, Reg};
use crate::isa::opcode::MAX_BPF_REG;

/// `[+-]?(0x<hex>|<decimal>)`, as a wide integer so every field's range can
/// be checked after the sign is applied.
pub(super) fn parse_int(text: &str) -> Option<i128> {
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
pub(super) fn fit_bits(value: i128, bits: u32) -> Option<u64> {
    let min = -(1i128 << (bits - 1));
    let max = (1i128 << bits) - 1;
    (min..=max).contains(&value).then_some(value as u64)
}

pub(super) fn imm32(line: usize, text: &str) -> Result<i32, AsmError> {
    parse_int(text)
        .and_then(|v| fit_bits(v, 32))
        .map(|v| v as u32 as i32)
        .ok_or_else(|| AsmError::BadImmediate {
            line,
            text: text.to_string(),
            bits: 32,
        })
}

pub(super) fn imm64(line: usize, text: &str) -> Result<u64, AsmError> {
    parse_int(text)
        .and_then(|v| fit_bits(v, 64))
        .ok_or_else(|| AsmError::BadImmediate {
            line,
            text: text.to_string(),
            bits: 64,
        })
}

/// A 16-bit field, signed (`i16`) or unsigned (`u16`).
pub(super) fn imm16<T: TryFrom<i128>>(line: usize, text: &str) -> Result<T, AsmError> {
    parse_int(text)
        .and_then(|v| T::try_from(v).ok())
        .ok_or_else(|| AsmError::BadImmediate {
            line,
            text: text.to_string(),
            bits: 16,
        })
}

pub(super) fn register(line: usize, text: &str) -> Result<Reg, AsmError> {
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
pub(super) fn memory(line: usize, text: &str) -> Result<(Reg, i16), AsmError> {
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
pub(super) fn operand(line: usize, text: &str) -> Result<Operand, AsmError> {
    if text.starts_with('%') {
        register(line, text).map(Operand::Reg)
    } else {
        imm32(line, text).map(Operand::Imm)
    }
}

/// `+N`/`-N` is a distance in slots; anything else names a label.
pub(super) fn target(line: usize, text: &str) -> Result<Target<'_>, AsmError> {
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
