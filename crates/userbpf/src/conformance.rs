//! The bpf_conformance suite's `.data` test format (the plugin protocol's hex
//! is [`crate::isa::hex`]).
//!
//! A test file is a preamble (licence `#` comments, ignored) followed by
//! sections, each introduced by a line `-- name`:
//!
//! ```text
//! -- asm              the program, in the syntax of `isa::asm::ubpf`
//! -- mem              input memory: hex bytes separated by whitespace
//! -- result           the expected r0: `0x1` (hex) or decimal
//! -- error            the expected error text
//! -- raw              the program as u64 slots: the number's little-endian
//!                     bytes are the slot's bytes (0x5566778800000018 is
//!                     code 0x18, regs 0, off 0, imm 0x55667788)
//! -- c                the C source the program came from
//! ```
//!
//! Every section, known or not, is also kept verbatim in
//! [`TestCase::sections`].

use std::io;
use std::path::{Path, PathBuf};

use crate::isa::asm::ubpf::{self, AsmError};
use crate::isa::insn::Insn;

/// One section of a test file, verbatim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The name after `-- `, trimmed (`asm`, `no register offset`, ...).
    pub name: String,
    /// 1-based line number of the first body line (the one after `-- name`).
    pub first_line: usize,
    /// The body lines, each ending in `\n`.
    pub body: String,
}

/// A parsed test file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestCase {
    /// The file stem when loaded by [`load_dir`]; empty from [`parse`].
    pub name: String,
    /// The `-- asm` body, verbatim (comments included).
    pub asm: String,
    pub mem: Vec<u8>,
    pub result: Option<u64>,
    pub error: Option<String>,
    pub raw: Option<Vec<Insn>>,
    /// Every section in file order, including the ones above.
    pub sections: Vec<Section>,
}

impl TestCase {
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The program to run: the `-- raw` slots if present (as the reference
    /// runner does), otherwise the assembled `-- asm`. Errors carry line
    /// numbers of the file, not of the section.
    pub fn program(&self) -> Result<Vec<Insn>, AsmError> {
        if let Some(raw) = &self.raw {
            return Ok(raw.clone());
        }
        ubpf::assemble_slots(&self.asm).map_err(|e| self.asm_error_in_file(e))
    }

    /// Shift an assembler error's line from the `-- asm` body to the file.
    pub fn asm_error_in_file(&self, error: AsmError) -> AsmError {
        let Some(first) = self.section("asm").map(|s| s.first_line) else {
            return error;
        };
        error.shifted(first - 1)
    }
}

/// Why a test file does not parse. `line` is 1-based in the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: section `-- {name}` appears a second time")]
    DuplicateSection { line: usize, name: String },
    #[error("line {line}: bad memory byte `{token}` (expected one or two hex digits)")]
    BadMemByte { line: usize, token: String },
    #[error("line {line}: bad result `{text}` (expected one 64-bit hex or decimal number)")]
    BadResult { line: usize, text: String },
    #[error("line {line}: bad raw instruction `{token}` (expected a 64-bit hex or decimal number)")]
    BadRaw { line: usize, token: String },
}

/// Sections whose contents `parse` interprets; each may appear once.
const KNOWN_SECTIONS: [&str; 5] = ["asm", "mem", "result", "error", "raw"];

/// Parse the text of one `.data` file.
pub fn parse(text: &str) -> Result<TestCase, ParseError> {
    let sections = split_sections(text);
    let mut case = TestCase::default();
    for (i, section) in sections.iter().enumerate() {
        let name = section.name.as_str();
        if KNOWN_SECTIONS.contains(&name) && sections[..i].iter().any(|s| s.name == name) {
            return Err(ParseError::DuplicateSection {
                line: section.first_line - 1,
                name: name.to_string(),
            });
        }
        match name {
            "asm" => case.asm = section.body.clone(),
            "mem" => case.mem = parse_mem(section)?,
            "result" => case.result = parse_result(section)?,
            "error" => case.error = parse_error_text(section),
            "raw" => case.raw = Some(parse_raw(section)?),
            _ => {}
        }
    }
    case.sections = sections;
    Ok(case)
}

/// `-- name` starts a section; anything before the first one is preamble.
fn section_header(line: &str) -> Option<&str> {
    let name = line.strip_prefix("--")?.trim();
    (!name.is_empty() && line[2..].starts_with(char::is_whitespace)).then_some(name)
}

fn split_sections(text: &str) -> Vec<Section> {
    let mut sections: Vec<Section> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if let Some(name) = section_header(line) {
            sections.push(Section {
                name: name.to_string(),
                first_line: index + 2,
                body: String::new(),
            });
        } else if let Some(current) = sections.last_mut() {
            current.body.push_str(line);
            current.body.push('\n');
        }
    }
    sections
}

/// Body lines with their 1-based file line numbers.
fn numbered_lines(section: &Section) -> impl Iterator<Item = (usize, &str)> {
    section
        .body
        .lines()
        .enumerate()
        .map(move |(i, l)| (section.first_line + i, l))
}

fn parse_mem(section: &Section) -> Result<Vec<u8>, ParseError> {
    let mut mem = Vec::new();
    for (line, text) in numbered_lines(section) {
        for token in text.split_whitespace() {
            let digits = token
                .strip_prefix("0x")
                .or_else(|| token.strip_prefix("0X"))
                .unwrap_or(token);
            let byte = (1..=2)
                .contains(&digits.len())
                .then(|| u8::from_str_radix(digits, 16).ok())
                .flatten()
                .filter(|_| digits.chars().all(|c| c.is_ascii_hexdigit()))
                .ok_or_else(|| ParseError::BadMemByte {
                    line,
                    token: token.to_string(),
                })?;
            mem.push(byte);
        }
    }
    Ok(mem)
}

/// `0x...` hex or decimal, without sign.
fn parse_u64(text: &str) -> Option<u64> {
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => (hex, 16),
        None => (text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

fn parse_result(section: &Section) -> Result<Option<u64>, ParseError> {
    let mut values = numbered_lines(section).filter(|(_, l)| !l.trim().is_empty());
    let Some((line, text)) = values.next() else {
        return Ok(None);
    };
    let bad = |line: usize, text: &str| ParseError::BadResult {
        line,
        text: text.to_string(),
    };
    if let Some((extra_line, extra)) = values.next() {
        return Err(bad(extra_line, extra));
    }
    parse_u64(text.trim()).map(Some).ok_or_else(|| bad(line, text))
}

/// The expected error: the non-blank lines, trimmed.
fn parse_error_text(section: &Section) -> Option<String> {
    let lines: Vec<&str> = section.body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn parse_raw(section: &Section) -> Result<Vec<Insn>, ParseError> {
    let mut slots = Vec::new();
    for (line, text) in numbered_lines(section) {
        for token in text.split_whitespace() {
            let value = parse_u64(token).ok_or_else(|| ParseError::BadRaw {
                line,
                token: token.to_string(),
            })?;
            slots.push(Insn::from_bytes(value.to_le_bytes()));
        }
    }
    Ok(slots)
}

/// Load every `*.data` file of a directory, sorted by file name. A file that
/// does not parse is an `InvalidData` error naming it.
pub fn load_dir(path: impl AsRef<Path>) -> io::Result<Vec<(PathBuf, TestCase)>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(path)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<_>>()?;
    paths.retain(|p| p.extension().is_some_and(|e| e == "data") && p.is_file());
    paths.sort();
    let mut cases = Vec::with_capacity(paths.len());
    for path in paths {
        let text = std::fs::read_to_string(&path)?;
        let mut case =
            parse(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))?;
        case.name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        cases.push((path, case));
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# Copyright (c) Example
# SPDX-License-Identifier: MIT
-- asm
mov %r0, 1 # one
exit
-- mem
00 01 ff
0a
-- result
0x1
-- no register offset
call instruction
-- c
#include <stdint.h>
int f(int i) { return i--; }
";

    #[test]
    fn sample_file_parses_into_every_section() {
        let case = parse(SAMPLE).unwrap();
        assert_eq!(case.asm, "mov %r0, 1 # one\nexit\n");
        assert_eq!(case.mem, vec![0x00, 0x01, 0xff, 0x0a]);
        assert_eq!(case.result, Some(1));
        assert_eq!(case.error, None);
        assert_eq!(case.raw, None);
        let names: Vec<&str> = case.sections.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["asm", "mem", "result", "no register offset", "c"]);
        assert_eq!(case.section("asm").unwrap().first_line, 4);
        // `#` inside a non-asm section is content, not a comment.
        assert!(case.section("c").unwrap().body.starts_with("#include"));
        assert_eq!(case.section("no register offset").unwrap().body, "call instruction\n");
    }

    #[test]
    fn raw_slots_are_little_endian_u64s() {
        let case = parse("-- raw\n0x5566778800000018 0x1122334400000000\n0x95\n").unwrap();
        // Hand decoded: low byte is the opcode, bytes 4..8 the imm.
        assert_eq!(
            case.raw.unwrap(),
            vec![
                Insn::new(0x18, 0, 0, 0, 0x55667788),
                Insn::new(0, 0, 0, 0, 0x11223344),
                Insn::new(0x95, 0, 0, 0, 0),
            ]
        );
        // 0x...fff87b: code 0x7b, regs 0x1a (dst 10, src 1), off -8.
        let case = parse("-- raw\n0x00000000fff81a7b\n").unwrap();
        assert_eq!(case.raw.unwrap(), vec![Insn::new(0x7b, 10, 1, -8, 0)]);
    }

    #[test]
    fn result_accepts_hex_and_decimal_and_error_keeps_text() {
        assert_eq!(parse("-- result\n0\n").unwrap().result, Some(0));
        assert_eq!(
            parse("-- result\n0xFFFFFFFFFFFFFFF6\n").unwrap().result,
            Some(0xffff_ffff_ffff_fff6)
        );
        let case = parse("-- error\n  Invalid register: %r11  \n").unwrap();
        assert_eq!(case.error.as_deref(), Some("Invalid register: %r11"));
    }

    #[test]
    fn malformed_sections_are_reported_with_their_line() {
        assert_eq!(
            parse("-- mem\n00 1g\n"),
            Err(ParseError::BadMemByte {
                line: 2,
                token: "1g".into()
            })
        );
        assert_eq!(
            parse("-- mem\n100\n"),
            Err(ParseError::BadMemByte {
                line: 2,
                token: "100".into()
            })
        );
        assert!(matches!(
            parse("-- result\n0x1\n0x2\n"),
            Err(ParseError::BadResult { line: 3, .. })
        ));
        assert!(matches!(
            parse("-- result\n0x10000000000000000\n"),
            Err(ParseError::BadResult { line: 2, .. })
        ));
        assert!(matches!(
            parse("-- raw\n0xzz\n"),
            Err(ParseError::BadRaw { line: 2, .. })
        ));
        assert_eq!(
            parse("-- asm\nexit\n-- asm\nexit\n"),
            Err(ParseError::DuplicateSection {
                line: 3,
                name: "asm".into()
            })
        );
    }

    #[test]
    fn crlf_and_dashes_inside_text_are_handled() {
        let case = parse("-- asm\r\nexit\r\n-- result\r\n0x2\r\n").unwrap();
        assert_eq!(case.asm, "exit\n");
        assert_eq!(case.result, Some(2));
        // Only `-- name` at the start of a line opens a section.
        let case = parse("-- c\nx--;\n--x\n").unwrap();
        assert_eq!(case.sections.len(), 1);
        assert_eq!(case.sections[0].body, "x--;\n--x\n");
    }

    #[test]
    fn program_prefers_raw_and_maps_asm_errors_to_file_lines() {
        let case = parse("# licence\n-- asm\nmov %r0, 1\nbogus\n").unwrap();
        let err = case.program().unwrap_err();
        assert_eq!(err.line(), 4);
        let case = parse("-- asm\nbogus\n-- raw\n0x95\n").unwrap();
        assert_eq!(case.program().unwrap(), vec![Insn::new(0x95, 0, 0, 0, 0)]);
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse(&text);
        }
    }
}
