//! Reading a program from a file or text: raw `.bin` instructions, `.hex`
//! text, or assembly in either syntax (the same inputs kbpf.py takes, plus
//! assembly).

use std::path::Path;

use super::asm::{self, AsmError, Syntax};
use super::hex::{parse_hex_bytes, HexError};
use super::insn::{insns_from_bytes, Insn, TrailingBytes};

/// How program text is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    /// Raw little-endian instructions, 8 bytes each.
    Binary,
    /// Hex digits, whitespace ignored, 16 per instruction.
    Hex,
    /// Assembly; the syntax is detected unless given.
    Asm(Option<Syntax>),
}

impl SourceFormat {
    /// The format a file name implies: `.bin`, `.hex`, else assembly.
    pub fn from_path(path: &Path) -> SourceFormat {
        match path.extension().and_then(|e| e.to_str()) {
            Some("bin" | "o.bin") => SourceFormat::Binary,
            Some("hex") => SourceFormat::Hex,
            _ => SourceFormat::Asm(None),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {err}")]
    Io { path: String, err: std::io::Error },
    #[error(transparent)]
    Hex(#[from] HexError),
    #[error(transparent)]
    Length(#[from] TrailingBytes),
    #[error(transparent)]
    Asm(#[from] AsmError),
}

/// Parse program bytes in the given format into instruction slots.
pub fn parse_program(bytes: &[u8], format: SourceFormat) -> Result<Vec<Insn>, SourceError> {
    match format {
        SourceFormat::Binary => Ok(insns_from_bytes(bytes)?),
        SourceFormat::Hex => Ok(insns_from_bytes(&parse_hex_bytes(&String::from_utf8_lossy(bytes))?)?),
        SourceFormat::Asm(syntax) => Ok(asm::assemble(&String::from_utf8_lossy(bytes), syntax)?),
    }
}

/// Read a program file, choosing the format from its extension.
pub fn read_program(path: &Path) -> Result<Vec<Insn>, SourceError> {
    let bytes = std::fs::read(path).map_err(|err| SourceError::Io {
        path: path.display().to_string(),
        err,
    })?;
    parse_program(&bytes, SourceFormat::from_path(path))
}
