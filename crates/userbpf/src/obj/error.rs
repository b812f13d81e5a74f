//! The loader's errors: one enum, each variant carrying where it happened
//! (section, symbol, program, map, instruction) so a message alone says
//! what to look at.

use thiserror::Error;

use crate::btf::BtfError;
use crate::uapi::Errno;

#[derive(Debug, Error)]
pub enum ObjError {
    #[error("not an ELF object: {reason}")]
    Elf { reason: String },
    #[error("ELF machine {machine} is not BPF (247)")]
    NotBpf { machine: u16 },
    #[error("ELF type {e_type} is not a relocatable object (1)")]
    NotRelocatable { e_type: u16 },
    #[error("section {section}: {reason}")]
    Section { section: String, reason: String },
    #[error("symbol {symbol}: {reason}")]
    Symbol { symbol: String, reason: String },
    #[error("section {section}: relocation at offset {offset}: {reason}")]
    Relocation {
        section: String,
        offset: u64,
        reason: String,
    },
    #[error(transparent)]
    Btf(#[from] BtfError),
    #[error("map {map}: {reason}")]
    MapDef { map: String, reason: String },
    #[error("map {map}: BPF_MAP_CREATE failed: {errno}")]
    MapCreate { map: String, errno: Errno },
    #[error("map {map}: {op} failed: {errno}")]
    MapSetup {
        map: String,
        op: &'static str,
        errno: Errno,
    },
    /// libbpf's init_prog_array_slots failure (fd < 0: the program was
    /// not loaded).
    #[error("map {map}: failed to initialize slot [{slot}] to prog '{program}' fd={fd}: {errno}{}", if *fd < 0 { " (the program is not loaded)" } else { "" })]
    ProgArraySlot {
        map: String,
        slot: u32,
        program: String,
        fd: i32,
        errno: Errno,
    },
    #[error("extern {name}: {reason}")]
    Extern { name: String, reason: String },
    #[error("program {program}: {reason}")]
    Program { program: String, reason: String },
    #[error("program {program}: unknown section name {section:?} (no program type)")]
    UnknownSection { program: String, section: String },
    #[error("program {program}: CO-RE relocation #{index} at insn {insn}: {reason}")]
    Core {
        program: String,
        index: usize,
        insn: usize,
        reason: String,
    },
    #[error("program {program}: BPF_PROG_LOAD failed: {errno}")]
    ProgLoad { program: String, errno: Errno, log: String },
    #[error("no program named {name}")]
    NoSuchProgram { name: String },
}

impl ObjError {
    pub(crate) fn section(section: &str, reason: impl Into<String>) -> Self {
        ObjError::Section {
            section: section.to_string(),
            reason: reason.into(),
        }
    }

    pub(crate) fn reloc(section: &str, offset: u64, reason: impl Into<String>) -> Self {
        ObjError::Relocation {
            section: section.to_string(),
            offset,
            reason: reason.into(),
        }
    }

    pub(crate) fn map(map: &str, reason: impl Into<String>) -> Self {
        ObjError::MapDef {
            map: map.to_string(),
            reason: reason.into(),
        }
    }
}

impl From<object::read::Error> for ObjError {
    fn from(e: object::read::Error) -> Self {
        ObjError::Elf { reason: e.to_string() }
    }
}
