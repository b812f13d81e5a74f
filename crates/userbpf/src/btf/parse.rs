//! Parsing and validating raw BTF (the `.BTF` section of an object, or
//! /sys/kernel/btf/vmlinux): header, type section, string section, and the
//! checks that make every later lookup safe (ids in range, names inside
//! the string section, sizes sane, no reference cycles through modifiers).

use super::types::{kind, BtfKind, BtfType, Enumerator, Linkage, Member, Param, VarSecInfo};
use super::{Btf, BtfError};

pub const BTF_MAGIC: u16 = 0xeb9f;
const HEADER_LEN: usize = 24;
/// Largest vlen the format can hold (16 bits).
const MAX_VLEN: usize = 0xffff;
/// How far a chain of modifiers or typedefs may go (MAX_RESOLVE_DEPTH).
pub const MAX_RESOLVE_DEPTH: usize = 32;

/// A little-endian reader over a slice that reports where it ran out.
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    pub(crate) fn u32(&mut self) -> Option<u32> {
        let b = self.data.get(self.pos..self.pos.checked_add(4)?)?;
        self.pos += 4;
        Some(u32::from_le_bytes(b.try_into().ok()?))
    }

    pub(crate) fn skip(&mut self, n: usize) -> Option<()> {
        let end = self.pos.checked_add(n)?;
        if end > self.data.len() {
            return None;
        }
        self.pos = end;
        Some(())
    }
}

fn u32_at(data: &[u8], off: usize) -> Option<u32> {
    Some(u32::from_le_bytes(data.get(off..off + 4)?.try_into().ok()?))
}

/// The header's section bounds, checked against the data.
struct Header {
    hdr_len: usize,
    type_off: usize,
    type_len: usize,
    str_off: usize,
    str_len: usize,
}

fn header(data: &[u8]) -> Result<Header, BtfError> {
    if data.len() < HEADER_LEN {
        return Err(BtfError::Truncated {
            what: "header",
            offset: 0,
        });
    }
    let magic = u16::from_le_bytes([data[0], data[1]]);
    if magic != BTF_MAGIC {
        return Err(if magic.swap_bytes() == BTF_MAGIC {
            BtfError::BigEndian
        } else {
            BtfError::BadMagic { magic }
        });
    }
    if data[2] != 1 {
        return Err(BtfError::BadVersion { version: data[2] });
    }
    if data[3] != 0 {
        return Err(BtfError::BadFlags { flags: data[3] });
    }
    let field = |off| u32_at(data, off).map(|v| v as usize).unwrap_or(0);
    let h = Header {
        hdr_len: field(4),
        type_off: field(8),
        type_len: field(12),
        str_off: field(16),
        str_len: field(20),
    };
    if h.hdr_len < HEADER_LEN || h.hdr_len > data.len() {
        return Err(BtfError::BadHeader {
            reason: format!("hdr_len {} with {} bytes of data", h.hdr_len, data.len()),
        });
    }
    // Fields past those we know must be zero (btf_check_sec_info).
    if data[HEADER_LEN..h.hdr_len].iter().any(|&b| b != 0) {
        return Err(BtfError::BadHeader {
            reason: "unknown header fields are not zero".into(),
        });
    }
    let body = data.len() - h.hdr_len;
    let check = |what: &'static str, off: usize, len: usize| {
        if off.checked_add(len).is_none_or(|end| end > body) {
            Err(BtfError::BadHeader {
                reason: format!("{what} section [{off}, +{len}) outside the {body} bytes after the header"),
            })
        } else {
            Ok(())
        }
    };
    check("type", h.type_off, h.type_len)?;
    check("string", h.str_off, h.str_len)?;
    if !h.type_off.is_multiple_of(4) {
        return Err(BtfError::BadHeader {
            reason: format!("type section offset {} is not 4-aligned", h.type_off),
        });
    }
    let (a, b) = ((h.type_off, h.type_len), (h.str_off, h.str_len));
    let overlap = a.0 < b.0 + b.1 && b.0 < a.0 + a.1;
    if overlap {
        return Err(BtfError::BadHeader {
            reason: "type and string sections overlap".into(),
        });
    }
    Ok(h)
}

/// A type's `vlen` records of `per` bytes each, read by `read`, for the
/// type at offset `at`. Each record is at least 4 bytes, so vlen can't
/// exceed what is left: checked before anything is read or allocated.
fn records<T>(
    r: &mut Reader<'_>,
    vlen: usize,
    per: usize,
    at: usize,
    mut read: impl FnMut(&mut Reader<'_>) -> Option<T>,
) -> Result<Vec<T>, BtfError> {
    if vlen.saturating_mul(per) > r.remaining() {
        return Err(BtfError::Truncated {
            what: "type members",
            offset: at,
        });
    }
    (0..vlen)
        .map(|_| {
            read(r).ok_or(BtfError::Truncated {
                what: "type",
                offset: at,
            })
        })
        .collect()
}

/// Parses one type at the reader's position.
fn parse_type(r: &mut Reader<'_>, id: u32) -> Result<BtfType, BtfError> {
    let at = r.pos();
    let trunc = || BtfError::Truncated {
        what: "type",
        offset: at,
    };
    let name_off = r.u32().ok_or_else(trunc)?;
    let info = r.u32().ok_or_else(trunc)?;
    let size_or_type = r.u32().ok_or_else(trunc)?;
    let vlen = (info & 0xffff) as usize;
    let kind_num = ((info >> 24) & 0x1f) as u8;
    let kind_flag = info >> 31 != 0;
    let bad = |reason: String| BtfError::BadType { id, reason };
    if info & 0x60ff_0000 != 0 {
        return Err(bad(format!("unused info bits set ({info:#x})")));
    }
    let no_vlen = |name: &str| {
        if vlen != 0 {
            Err(bad(format!("{name} with vlen {vlen}")))
        } else {
            Ok(())
        }
    };
    let kind = match kind_num {
        kind::INT => {
            no_vlen("INT")?;
            let v = r.u32().ok_or_else(trunc)?;
            let (encoding, offset, bits) = (((v >> 24) & 0xf) as u8, ((v >> 16) & 0xff) as u8, (v & 0xff) as u8);
            if v & 0xf000_ff00 != 0 {
                return Err(bad(format!("INT with unused bits set ({v:#x})")));
            }
            if bits as u32 > 128 || offset as u32 + bits as u32 > size_or_type.saturating_mul(8) {
                return Err(bad(format!("INT of {bits} bits at {offset} in {size_or_type} bytes")));
            }
            if !matches!(size_or_type, 1 | 2 | 4 | 8 | 16) {
                return Err(bad(format!("INT of size {size_or_type}")));
            }
            BtfKind::Int {
                size: size_or_type,
                encoding,
                offset,
                bits,
            }
        }
        kind::PTR => {
            no_vlen("PTR")?;
            BtfKind::Ptr { type_id: size_or_type }
        }
        kind::ARRAY => {
            no_vlen("ARRAY")?;
            let elem_type = r.u32().ok_or_else(trunc)?;
            let index_type = r.u32().ok_or_else(trunc)?;
            let nelems = r.u32().ok_or_else(trunc)?;
            BtfKind::Array {
                elem_type,
                index_type,
                nelems,
            }
        }
        kind::STRUCT | kind::UNION => {
            let members = records(r, vlen, 12, at, |r| {
                let (name_off, type_id, offset) = (r.u32()?, r.u32()?, r.u32()?);
                let (bit_offset, bitfield_size) = if kind_flag {
                    (offset & 0xff_ffff, offset >> 24)
                } else {
                    (offset, 0)
                };
                Some(Member {
                    name_off,
                    type_id,
                    bit_offset,
                    bitfield_size,
                })
            })?;
            if kind_num == kind::STRUCT {
                BtfKind::Struct {
                    size: size_or_type,
                    members,
                }
            } else {
                BtfKind::Union {
                    size: size_or_type,
                    members,
                }
            }
        }
        kind::ENUM | kind::ENUM64 => {
            let wide = kind_num == kind::ENUM64;
            // Read before the size is judged: a vlen past the data is
            // refused first, and reads within it cannot fail.
            let values = records(r, vlen, if wide { 12 } else { 8 }, at, |r| {
                let (name_off, lo) = (r.u32()?, r.u32()?);
                let value = if wide {
                    let hi = r.u32()?;
                    ((hi as u64) << 32 | lo as u64) as i64
                } else if kind_flag {
                    lo as i32 as i64
                } else {
                    lo as i64
                };
                Some(Enumerator { name_off, value })
            })?;
            if !matches!(size_or_type, 1 | 2 | 4 | 8) {
                return Err(bad(format!("enum of size {size_or_type}")));
            }
            if wide {
                BtfKind::Enum64 {
                    size: size_or_type,
                    signed: kind_flag,
                    values,
                }
            } else {
                BtfKind::Enum {
                    size: size_or_type,
                    signed: kind_flag,
                    values,
                }
            }
        }
        kind::FWD => {
            no_vlen("FWD")?;
            BtfKind::Fwd { is_union: kind_flag }
        }
        kind::TYPEDEF => BtfKind::Typedef { type_id: size_or_type },
        kind::VOLATILE => BtfKind::Volatile { type_id: size_or_type },
        kind::CONST => BtfKind::Const { type_id: size_or_type },
        kind::RESTRICT => BtfKind::Restrict { type_id: size_or_type },
        kind::TYPE_TAG => BtfKind::TypeTag { type_id: size_or_type },
        kind::FUNC => {
            let linkage = Linkage::from_raw(vlen as u32).ok_or_else(|| bad(format!("FUNC linkage {vlen}")))?;
            BtfKind::Func {
                type_id: size_or_type,
                linkage,
            }
        }
        kind::FUNC_PROTO => {
            let params = records(r, vlen, 8, at, |r| {
                let (name_off, type_id) = (r.u32()?, r.u32()?);
                Some(Param { name_off, type_id })
            })?;
            BtfKind::FuncProto {
                ret_type: size_or_type,
                params,
            }
        }
        kind::VAR => {
            no_vlen("VAR")?;
            let raw = r.u32().ok_or_else(trunc)?;
            let linkage = Linkage::from_raw(raw).ok_or_else(|| bad(format!("VAR linkage {raw}")))?;
            BtfKind::Var {
                type_id: size_or_type,
                linkage,
            }
        }
        kind::DATASEC => {
            let vars = records(r, vlen, 12, at, |r| {
                let (type_id, offset, size) = (r.u32()?, r.u32()?, r.u32()?);
                Some(VarSecInfo { type_id, offset, size })
            })?;
            BtfKind::Datasec {
                size: size_or_type,
                vars,
            }
        }
        kind::FLOAT => {
            no_vlen("FLOAT")?;
            if !matches!(size_or_type, 2 | 4 | 8 | 12 | 16) {
                return Err(bad(format!("FLOAT of size {size_or_type}")));
            }
            BtfKind::Float { size: size_or_type }
        }
        kind::DECL_TAG => {
            no_vlen("DECL_TAG")?;
            let component_idx = r.u32().ok_or_else(trunc)? as i32;
            BtfKind::DeclTag {
                type_id: size_or_type,
                component_idx,
            }
        }
        other => return Err(bad(format!("unknown kind {other}"))),
    };
    debug_assert!(vlen <= MAX_VLEN);
    Ok(BtfType { name_off, kind })
}

impl Btf {
    /// Parses and validates raw BTF.
    pub fn parse(data: &[u8]) -> Result<Btf, BtfError> {
        let h = header(data)?;
        let body = &data[h.hdr_len..];
        let strings = body[h.str_off..h.str_off + h.str_len].to_vec();
        if !strings.is_empty() && (strings[0] != 0 || strings[strings.len() - 1] != 0) {
            return Err(BtfError::BadStrings {
                reason: "the string section must start and end with a NUL".into(),
            });
        }
        let mut r = Reader::new(&body[h.type_off..h.type_off + h.type_len]);
        let mut types = vec![BtfType {
            name_off: 0,
            kind: BtfKind::Void,
        }];
        while r.remaining() > 0 {
            let id = types.len() as u32;
            types.push(parse_type(&mut r, id)?);
        }
        let btf = Btf::new(types, strings);
        btf.validate()?;
        Ok(btf)
    }

    /// The checks that need the whole type table.
    fn validate(&self) -> Result<(), BtfError> {
        let count = self.types.len() as u32;
        // First every reference in range, so the checks below may follow
        // references to types not yet visited.
        for (id, t) in self.types.iter().enumerate().skip(1) {
            if let Some(r) = t.type_refs().into_iter().find(|&r| r >= count) {
                return Err(BtfError::BadType {
                    id: id as u32,
                    reason: format!("refers to type {r}, past the last type {}", count - 1),
                });
            }
        }
        for (id, t) in self.types.iter().enumerate().skip(1) {
            let id = id as u32;
            let bad = |reason: String| BtfError::BadType { id, reason };
            self.name(t.name_off)
                .map_err(|_| bad(format!("name offset {} outside the strings", t.name_off)))?;
            match &t.kind {
                BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => {
                    for m in members {
                        self.name(m.name_off)
                            .map_err(|_| bad("member name outside the strings".into()))?;
                    }
                }
                BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. } => {
                    for v in values {
                        self.name(v.name_off)
                            .map_err(|_| bad("enumerator name outside the strings".into()))?;
                    }
                }
                BtfKind::FuncProto { params, .. } => {
                    for p in params {
                        self.name(p.name_off)
                            .map_err(|_| bad("parameter name outside the strings".into()))?;
                    }
                }
                BtfKind::Func { type_id, .. }
                    if !matches!(self.types[*type_id as usize].kind, BtfKind::FuncProto { .. }) =>
                {
                    return Err(bad(format!("FUNC's type {type_id} is not a FUNC_PROTO")));
                }
                BtfKind::Datasec { vars, .. } => {
                    for v in vars {
                        if !matches!(
                            self.types[v.type_id as usize].kind,
                            BtfKind::Var { .. } | BtfKind::Func { .. }
                        ) {
                            return Err(bad(format!("DATASEC entry {} is not a VAR", v.type_id)));
                        }
                    }
                }
                _ => {}
            }
            // Modifier chains must end (no cycles) within the depth limit.
            let mut cur = id;
            for depth in 0.. {
                let Some(next) = self.types[cur as usize].referenced() else {
                    break;
                };
                if matches!(self.types[cur as usize].kind, BtfKind::Ptr { .. }) {
                    break; // pointers may point back (linked lists)
                }
                if depth > MAX_RESOLVE_DEPTH {
                    return Err(bad("reference chain too long or cyclic".into()));
                }
                cur = next;
            }
        }
        Ok(())
    }
}
