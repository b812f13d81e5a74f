//! BTF, kernel-side and in objects: the type information (`.BTF`, or a
//! blob given to BPF_BTF_LOAD), its extension (`.BTF.ext`: func_info,
//! line_info, CO-RE relocations), and the raw text dump `bpftool btf dump
//! file X` prints. Used by the bpf(2) commands (BTF_LOAD, the load path's
//! func_info checks), the maps (btf_record) and the ELF loader.

pub mod dump;
pub(crate) mod ext;
pub(crate) mod parse;
pub(crate) mod types;

use std::collections::HashMap;
use std::sync::OnceLock;

use thiserror::Error;

pub use ext::{BtfExt, CoreRelo, FuncInfo, LineInfo};
pub use types::{kind, BtfKind, BtfType, Linkage, Member};

use parse::MAX_RESOLVE_DEPTH;

/// Why BTF or BTF.ext was refused.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum BtfError {
    #[error("BTF: bad magic {magic:#06x}")]
    BadMagic { magic: u16 },
    #[error("BTF: big-endian BTF is not supported")]
    BigEndian,
    #[error("BTF: unsupported version {version}")]
    BadVersion { version: u8 },
    #[error("BTF: unsupported flags {flags:#x}")]
    BadFlags { flags: u8 },
    #[error("BTF: bad header: {reason}")]
    BadHeader { reason: String },
    #[error("BTF: {what} truncated at offset {offset}")]
    Truncated { what: &'static str, offset: usize },
    #[error("BTF: bad string section: {reason}")]
    BadStrings { reason: String },
    #[error("BTF: type [{id}]: {reason}")]
    BadType { id: u32, reason: String },
    #[error("BTF: no type [{id}]")]
    NoType { id: u32 },
    #[error("BTF: string offset {offset} outside the string section")]
    BadStringOffset { offset: u32 },
    #[error("BTF: type [{id}] has no size ({reason})")]
    NoSize { id: u32, reason: &'static str },
    #[error("BTF.ext: {reason}")]
    BadExt { reason: String },
}

/// Parsed, validated BTF: `types[0]` is void.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Btf {
    pub types: Vec<BtfType>,
    strings: Vec<u8>,
    /// Type ids by name without a `___flavor` suffix, built on first use
    /// (CO-RE candidate lookups in a kernel's 100k+ types).
    by_essential_name: OnceLock<HashMap<String, Vec<u32>>>,
}

/// A name without its CO-RE flavor suffix (`task_struct___old` is a
/// flavor of `task_struct`).
pub(crate) fn essential_name(name: &str) -> &str {
    match name.rfind("___") {
        Some(i) if i > 0 => &name[..i],
        _ => name,
    }
}

impl Btf {
    pub(crate) fn new(types: Vec<BtfType>, strings: Vec<u8>) -> Btf {
        Btf {
            types,
            strings,
            by_essential_name: OnceLock::new(),
        }
    }

    /// Ids of the named types whose essential name is `name`.
    pub fn ids_by_essential_name(&self, name: &str) -> &[u32] {
        let index = self.by_essential_name.get_or_init(|| {
            let mut m: HashMap<String, Vec<u32>> = HashMap::new();
            for (id, t) in self.types.iter().enumerate().skip(1) {
                if let Ok(n) = self.name(t.name_off) {
                    if !n.is_empty() {
                        m.entry(essential_name(n).to_string()).or_default().push(id as u32);
                    }
                }
            }
            m
        });
        index.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The string at `off` in the string section.
    pub fn name(&self, off: u32) -> Result<&str, BtfError> {
        let bad = BtfError::BadStringOffset { offset: off };
        if self.strings.is_empty() && off == 0 {
            return Ok("");
        }
        let rest = self.strings.get(off as usize..).ok_or(bad.clone())?;
        let end = rest.iter().position(|&b| b == 0).ok_or(bad.clone())?;
        std::str::from_utf8(&rest[..end]).map_err(|_| bad)
    }

    /// A type's name ("" when anonymous or unreadable).
    pub fn type_name(&self, id: u32) -> &str {
        self.types
            .get(id as usize)
            .and_then(|t| self.name(t.name_off).ok())
            .unwrap_or("")
    }

    pub fn get(&self, id: u32) -> Result<&BtfType, BtfError> {
        self.types.get(id as usize).ok_or(BtfError::NoType { id })
    }

    /// The number of types including void.
    pub fn len(&self) -> usize {
        self.types.len()
    }

    pub fn is_empty(&self) -> bool {
        self.types.len() <= 1
    }

    /// Follows typedefs and modifiers (const, volatile, restrict, type
    /// tags) to the underlying type.
    pub fn skip_mods_and_typedefs(&self, mut id: u32) -> Result<u32, BtfError> {
        for _ in 0..=MAX_RESOLVE_DEPTH {
            match &self.get(id)?.kind {
                BtfKind::Typedef { type_id }
                | BtfKind::Volatile { type_id }
                | BtfKind::Const { type_id }
                | BtfKind::Restrict { type_id }
                | BtfKind::TypeTag { type_id } => id = *type_id,
                _ => return Ok(id),
            }
        }
        Err(BtfError::BadType {
            id,
            reason: "modifier chain too long".into(),
        })
    }

    /// btf__resolve_size(): the byte size of a type.
    pub fn resolve_size(&self, id: u32) -> Result<u32, BtfError> {
        let mut id = id;
        let mut nelems: u64 = 1;
        for _ in 0..=MAX_RESOLVE_DEPTH {
            let size = match &self.get(id)?.kind {
                BtfKind::Int { size, .. }
                | BtfKind::Struct { size, .. }
                | BtfKind::Union { size, .. }
                | BtfKind::Enum { size, .. }
                | BtfKind::Enum64 { size, .. }
                | BtfKind::Datasec { size, .. }
                | BtfKind::Float { size } => Some(*size as u64),
                BtfKind::Ptr { .. } => Some(8),
                BtfKind::Typedef { type_id }
                | BtfKind::Volatile { type_id }
                | BtfKind::Const { type_id }
                | BtfKind::Restrict { type_id }
                | BtfKind::Var { type_id, .. }
                | BtfKind::DeclTag { type_id, .. }
                | BtfKind::TypeTag { type_id } => {
                    id = *type_id;
                    None
                }
                BtfKind::Array {
                    elem_type, nelems: n, ..
                } => {
                    nelems = nelems.saturating_mul(*n as u64);
                    id = *elem_type;
                    None
                }
                BtfKind::Void => return Err(BtfError::NoSize { id, reason: "void" }),
                BtfKind::Fwd { .. } => {
                    return Err(BtfError::NoSize {
                        id,
                        reason: "forward declaration",
                    })
                }
                BtfKind::Func { .. } | BtfKind::FuncProto { .. } => {
                    return Err(BtfError::NoSize { id, reason: "function" })
                }
            };
            if let Some(size) = size {
                let total = size.saturating_mul(nelems);
                return u32::try_from(total).map_err(|_| BtfError::NoSize {
                    id,
                    reason: "larger than 4 GiB",
                });
            }
        }
        Err(BtfError::BadType {
            id,
            reason: "reference chain too long".into(),
        })
    }

    /// The first type of this kind with this name.
    pub fn find_by_name_kind(&self, name: &str, kind_num: u8) -> Option<u32> {
        self.types
            .iter()
            .enumerate()
            .skip(1)
            .find(|(_, t)| t.kind_num() == kind_num && self.name(t.name_off).ok() == Some(name))
            .map(|(i, _)| i as u32)
    }

    /// The DATASEC of this name (".maps", ".data", ".kconfig", ...).
    pub fn datasec(&self, name: &str) -> Option<(u32, &[types::VarSecInfo])> {
        let id = self.find_by_name_kind(name, kind::DATASEC)?;
        match &self.types[id as usize].kind {
            BtfKind::Datasec { vars, .. } => Some((id, vars)),
            _ => None,
        }
    }
}
