//! `.BTF.ext`: per-section func_info, line_info and CO-RE relocation
//! records. Instruction offsets are in bytes from the start of their ELF
//! section, as clang writes them; names are offsets into `.BTF`'s strings.

use super::parse::{Reader, BTF_MAGIC};
use super::{Btf, BtfError};

/// bpf_func_info: the BTF FUNC of the function starting at `insn_off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncInfo {
    pub insn_off: u32,
    pub type_id: u32,
}

/// bpf_line_info: the source line of the instruction at `insn_off`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineInfo {
    pub insn_off: u32,
    pub file_name_off: u32,
    pub line_off: u32,
    pub line_col: u32,
}

/// bpf_core_relo: an instruction to adjust for the target kernel's types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreRelo {
    pub insn_off: u32,
    pub type_id: u32,
    pub access_str_off: u32,
    pub kind: u32,
}

/// Records of one kind for one ELF section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionRecords<T> {
    pub section: String,
    pub records: Vec<T>,
}

/// The parsed `.BTF.ext`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BtfExt {
    pub func_info: Vec<SectionRecords<FuncInfo>>,
    pub line_info: Vec<SectionRecords<LineInfo>>,
    pub core_relos: Vec<SectionRecords<CoreRelo>>,
}

fn bad(reason: impl Into<String>) -> BtfError {
    BtfError::BadExt { reason: reason.into() }
}

/// One info block: a record size, then per section a name, a count, and
/// that many records of at least `min_rec` bytes (only the first
/// `min_rec / 4` words are read; longer records are from newer formats).
fn parse_block<T>(
    data: &[u8],
    btf: &Btf,
    what: &str,
    min_rec: usize,
    make: impl Fn(&[u32]) -> T,
) -> Result<Vec<SectionRecords<T>>, BtfError> {
    if data.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader::new(data);
    let rec_size = r.u32().ok_or_else(|| bad(format!("{what}: no record size")))? as usize;
    if rec_size < min_rec || !rec_size.is_multiple_of(4) {
        return Err(bad(format!("{what}: record size {rec_size}")));
    }
    let mut out = Vec::new();
    while r.remaining() > 0 {
        let name_off = r
            .u32()
            .ok_or_else(|| bad(format!("{what}: truncated section header")))?;
        let count = r
            .u32()
            .ok_or_else(|| bad(format!("{what}: truncated section header")))? as usize;
        let section = btf.name(name_off)?.to_string();
        if count == 0 {
            return Err(bad(format!("{what}: section {section} has no records")));
        }
        if count.saturating_mul(rec_size) > r.remaining() {
            return Err(bad(format!(
                "{what}: section {section}: {count} records run past the end"
            )));
        }
        let mut records = Vec::with_capacity(count);
        let mut words = vec![0u32; min_rec / 4];
        for _ in 0..count {
            for w in words.iter_mut() {
                *w = r.u32().ok_or_else(|| bad(format!("{what}: truncated record")))?;
            }
            r.skip(rec_size - min_rec)
                .ok_or_else(|| bad(format!("{what}: truncated record")))?;
            records.push(make(&words));
        }
        out.push(SectionRecords { section, records });
    }
    Ok(out)
}

impl BtfExt {
    /// Parses `.BTF.ext` against the object's `.BTF`.
    pub fn parse(data: &[u8], btf: &Btf) -> Result<BtfExt, BtfError> {
        let word = |off: usize| -> Option<usize> {
            Some(u32::from_le_bytes(data.get(off..off + 4)?.try_into().ok()?) as usize)
        };
        if data.len() < 24 {
            return Err(bad("header truncated"));
        }
        let magic = u16::from_le_bytes([data[0], data[1]]);
        if magic != BTF_MAGIC {
            return Err(bad(format!("bad magic {magic:#06x}")));
        }
        if data[2] != 1 || data[3] != 0 {
            return Err(bad(format!("version {} flags {}", data[2], data[3])));
        }
        let hdr_len = word(4).unwrap_or(0);
        if hdr_len < 24 || hdr_len > data.len() {
            return Err(bad(format!("hdr_len {hdr_len}")));
        }
        let body = &data[hdr_len..];
        let block = |off_at: usize| -> Result<&[u8], BtfError> {
            if off_at + 8 > hdr_len {
                return Ok(&[]);
            }
            let (off, len) = (word(off_at).unwrap_or(0), word(off_at + 4).unwrap_or(0));
            if len == 0 {
                return Ok(&[]);
            }
            off.checked_add(len)
                .and_then(|end| body.get(off..end))
                .ok_or_else(|| bad(format!("block [{off}, +{len}) outside the data")))
        };
        Ok(BtfExt {
            func_info: parse_block(block(8)?, btf, "func_info", 8, |w| FuncInfo {
                insn_off: w[0],
                type_id: w[1],
            })?,
            line_info: parse_block(block(16)?, btf, "line_info", 16, |w| LineInfo {
                insn_off: w[0],
                file_name_off: w[1],
                line_off: w[2],
                line_col: w[3],
            })?,
            core_relos: parse_block(block(24)?, btf, "core_relo", 16, |w| CoreRelo {
                insn_off: w[0],
                type_id: w[1],
                access_str_off: w[2],
                kind: w[3],
            })?,
        })
    }

    fn for_section<'a, T>(blocks: &'a [SectionRecords<T>], section: &str) -> &'a [T] {
        blocks
            .iter()
            .find(|b| b.section == section)
            .map(|b| b.records.as_slice())
            .unwrap_or(&[])
    }

    pub fn func_info_for(&self, section: &str) -> &[FuncInfo] {
        Self::for_section(&self.func_info, section)
    }

    pub fn line_info_for(&self, section: &str) -> &[LineInfo] {
        Self::for_section(&self.line_info, section)
    }

    pub fn core_relos_for(&self, section: &str) -> &[CoreRelo] {
        Self::for_section(&self.core_relos, section)
    }
}
