//! The kernel syntax's lexer: a cursor over one line that eats words,
//! numbers, registers and punctuation.

use super::{AsmErrorKind, RegText};
use crate::isa::decode::{Reg, Size};
use crate::isa::opcode::MAX_BPF_REG;

/// A position in one line. It only ever steps over ASCII bytes, so it stays
/// on a char boundary whatever the line holds.
pub(super) struct Cursor<'a> {
    s: &'a str,
    /// Byte offset; the parser saves and restores it to backtrack.
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn new(s: &'a str) -> Self {
        Cursor { s, pos: 0 }
    }

    pub(super) fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    pub(super) fn ws(&mut self) {
        let n = self.rest().len() - self.rest().trim_start().len();
        self.pos += n;
    }

    pub(super) fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.rest().bytes().next()
    }

    /// Consume `lit` (after whitespace) if it comes next.
    pub(super) fn eat(&mut self, lit: &str) -> bool {
        self.ws();
        if self.rest().starts_with(lit) {
            self.pos += lit.len();
            true
        } else {
            false
        }
    }

    /// Consume the keyword `word` if it comes next as a whole word.
    pub(super) fn eat_word(&mut self, word: &str) -> bool {
        self.ws();
        let rest = self.rest();
        let whole = rest.starts_with(word)
            && !rest[word.len()..]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        if whole {
            self.pos += word.len();
        }
        whole
    }

    pub(super) fn expect(&mut self, lit: &'static str) -> Result<(), AsmErrorKind> {
        if self.eat(lit) {
            Ok(())
        } else {
            Err(self.expected(lit))
        }
    }

    pub(super) fn expected(&self, expected: &'static str) -> AsmErrorKind {
        AsmErrorKind::Expected {
            expected,
            found: self.rest().to_string(),
        }
    }

    pub(super) fn end(&mut self) -> Result<(), AsmErrorKind> {
        self.ws();
        if self.rest().is_empty() {
            Ok(())
        } else {
            Err(AsmErrorKind::Trailing(self.rest().to_string()))
        }
    }

    /// Skip a verifier log's `N: ` and the live registers column after it,
    /// and the loop (SCC) number some listing lines start with.
    pub(super) fn slot_number(&mut self) {
        let scc = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        let after = self.rest()[scc..].trim_start();
        let pc = after.bytes().take_while(u8::is_ascii_digit).count();
        if scc > 0 && pc > 0 && after.len() < self.rest().len() - scc && after[pc..].starts_with(':') {
            self.pos += scc;
            self.ws();
        }
        let digits = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && self.rest()[digits..].starts_with(':') {
            self.pos += digits + 1;
            self.ws();
            let col = self.rest().bytes().take_while(|b| *b == b'.' || b.is_ascii_digit());
            let col = col.count();
            let is_column =
                self.rest()[..col].contains('.') && self.rest()[col..].starts_with(|ch: char| ch.is_ascii_whitespace());
            if is_column {
                self.pos += col;
            }
        }
    }

    /// The `(xx) ` opcode prefix, if present.
    pub(super) fn opcode_prefix(&mut self) -> Option<u8> {
        self.ws();
        let rest = self.rest().as_bytes();
        let hex = rest.iter().skip(1).take_while(|b| b.is_ascii_hexdigit()).count();
        if rest.first() == Some(&b'(') && (1..=2).contains(&hex) && rest.get(hex + 1) == Some(&b')') {
            let code = u8::from_str_radix(&self.rest()[1..1 + hex], 16).ok()?;
            self.pos += hex + 2;
            Some(code)
        } else {
            None
        }
    }

    /// `rN` or `wN`, N in 0..=10.
    pub(super) fn reg(&mut self) -> Result<RegText, AsmErrorKind> {
        self.ws();
        let rest = self.rest();
        let wide = match rest.bytes().next() {
            Some(b'r') => true,
            Some(b'w') => false,
            _ => return Err(self.expected("a register")),
        };
        let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        let word_len = 1 + digits;
        let trailing_word = rest[word_len..]
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
        let num = rest[1..word_len].parse::<u8>().ok().filter(|n| *n < MAX_BPF_REG);
        match num {
            Some(num) if digits > 0 && !trailing_word => {
                self.pos += word_len;
                Ok(RegText { wide, num })
            }
            _ => {
                let word = rest.split(|ch: char| !ch.is_ascii_alphanumeric()).next();
                Err(AsmErrorKind::Register(word.unwrap_or(rest).to_string()))
            }
        }
    }

    /// A register that must be written `rN`.
    pub(super) fn reg64(&mut self) -> Result<Reg, AsmErrorKind> {
        let r = self.reg()?;
        if !r.wide {
            return Err(AsmErrorKind::Width);
        }
        Ok(r.num)
    }

    /// A decimal or `0x` hexadecimal integer with an optional sign.
    pub(super) fn int(&mut self) -> Result<i128, AsmErrorKind> {
        self.ws();
        let rest = self.rest();
        let sign_len = usize::from(rest.starts_with(['-', '+']));
        let negative = rest.starts_with('-');
        // `(r1 + 8)` as people write it, beside the kernel's `(r1 +8)`.
        let after_sign = &rest[sign_len..];
        let gap = if sign_len > 0 {
            after_sign.len() - after_sign.trim_start().len()
        } else {
            0
        };
        let sign_len = sign_len + gap;
        let body = &rest[sign_len..];
        let (radix, prefix) = if body.starts_with("0x") || body.starts_with("0X") {
            (16, 2)
        } else {
            (10, 0)
        };
        let digits = body[prefix..].bytes().take_while(|b| b.is_ascii_hexdigit()).count();
        let text = &body[prefix..prefix + digits];
        // 40 digits bound every value we accept; longer is out of range.
        let magnitude = (digits > 0 && digits <= 40)
            .then(|| i128::from_str_radix(text, radix).ok())
            .flatten();
        let Some(magnitude) = magnitude else {
            let word = rest.split(|ch: char| ch.is_whitespace()).next();
            return Err(AsmErrorKind::Number(word.unwrap_or(rest).to_string()));
        };
        self.pos += sign_len + prefix + digits;
        Ok(if negative { -magnitude } else { magnitude })
    }

    /// An integer in `lo..=hi`.
    pub(super) fn int_in(&mut self, what: &'static str, lo: i128, hi: i128) -> Result<i128, AsmErrorKind> {
        let value = self.int()?;
        if (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            Err(AsmErrorKind::Range { what, value })
        }
    }

    pub(super) fn off16(&mut self, what: &'static str) -> Result<i16, AsmErrorKind> {
        Ok(self.int_in(what, i16::MIN.into(), i16::MAX.into())? as i16)
    }

    pub(super) fn off32(&mut self, what: &'static str) -> Result<i32, AsmErrorKind> {
        Ok(self.int_in(what, i32::MIN.into(), i32::MAX.into())? as i32)
    }

    /// A 32-bit immediate, written signed or as its u32 bit pattern.
    pub(super) fn imm32(&mut self, what: &'static str) -> Result<i32, AsmErrorKind> {
        Ok(self.int_in(what, i32::MIN.into(), u32::MAX.into())? as u32 as i32)
    }

    /// `(u32 *)(r1 -8)`: the access size, whether it is a sign-extending
    /// (`s8`..`s32`) type, the base register and the offset.
    pub(super) fn mem(&mut self) -> Result<(Size, bool, Reg, i16), AsmErrorKind> {
        let (size, signed) = self.size_type()?;
        self.expect("(")?;
        let base = self.reg64()?;
        let off = if self.peek() == Some(b')') {
            0
        } else {
            self.off16("offset")?
        };
        self.expect(")")?;
        Ok((size, signed, base, off))
    }

    /// `(u32 *)`.
    pub(super) fn size_type(&mut self) -> Result<(Size, bool), AsmErrorKind> {
        self.expect("(")?;
        const TYPES: [(&str, Size, bool); 7] = [
            ("u8", Size::B, false),
            ("u16", Size::H, false),
            ("u32", Size::W, false),
            ("u64", Size::DW, false),
            ("s8", Size::B, true),
            ("s16", Size::H, true),
            ("s32", Size::W, true),
        ];
        let found = TYPES.iter().find(|(name, ..)| self.eat_word(name));
        let Some(&(_, size, signed)) = found else {
            return Err(self.expected("u8, u16, u32, u64, s8, s16 or s32"));
        };
        self.expect("*")?;
        self.expect(")")?;
        Ok((size, signed))
    }

    /// `pc+N` of jumps and calls.
    pub(super) fn pc_rel(&mut self) -> Result<(), AsmErrorKind> {
        self.expect("pc")
    }
}
