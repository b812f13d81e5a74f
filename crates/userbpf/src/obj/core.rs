//! CO-RE: rewriting instructions recorded in `.BTF.ext`'s core_relo
//! records so field offsets, sizes, existence, type sizes and enum values
//! match a target BTF (the running kernel's, or another file), as
//! libbpf's relo_core.c does.

use crate::btf::{kind, Btf, BtfKind, CoreRelo, Member};
use crate::isa::opcode::LD_IMM64;
use crate::isa::Insn;

/// enum bpf_core_relo_kind.
pub mod relo_kind {
    pub const FIELD_BYTE_OFFSET: u32 = 0;
    pub const FIELD_BYTE_SIZE: u32 = 1;
    pub const FIELD_EXISTS: u32 = 2;
    pub const FIELD_SIGNED: u32 = 3;
    pub const FIELD_LSHIFT_U64: u32 = 4;
    pub const FIELD_RSHIFT_U64: u32 = 5;
    pub const TYPE_ID_LOCAL: u32 = 6;
    pub const TYPE_ID_TARGET: u32 = 7;
    pub const TYPE_EXISTS: u32 = 8;
    pub const TYPE_SIZE: u32 = 9;
    pub const ENUMVAL_EXISTS: u32 = 10;
    pub const ENUMVAL_VALUE: u32 = 11;
    pub const TYPE_MATCHES: u32 = 12;
}
use relo_kind as rk;

/// The helper id libbpf calls in place of an instruction it can't relocate
/// (the verifier then names it when the path is reachable).
pub const POISON_HELPER: i32 = 0xbad2310;

/// One step of an access path after the root: a member (by name when it
/// has one) or an array element.
#[derive(Clone, Debug)]
enum Step {
    Member {
        name: String,
    },
    /// An anonymous member: walked through, matched by what it contains.
    Anon,
    Index(u32),
}

/// What a field access resolves to in one BTF.
#[derive(Clone, Copy, Debug)]
struct Field {
    bit_off: u64,
    type_id: u32,
    /// The last member's bitfield size (0: not a bitfield).
    bitfield: u32,
}

use crate::btf::essential_name;

fn is_enum(btf: &Btf, id: u32) -> bool {
    btf.get(id)
        .is_ok_and(|t| matches!(t.kind, BtfKind::Enum { .. } | BtfKind::Enum64 { .. }))
}

/// Target candidates: same essential name, compatible kind.
fn candidates(local: &Btf, local_id: u32, target: &Btf) -> Result<Vec<u32>, String> {
    let lt = local.get(local_id).map_err(|e| e.to_string())?;
    let name = essential_name(local.name(lt.name_off).map_err(|e| e.to_string())?);
    if name.is_empty() {
        return Err("anonymous local type".into());
    }
    let lk = lt.kind_num();
    Ok(target
        .ids_by_essential_name(name)
        .iter()
        .copied()
        .filter(|&id| {
            let tk = target.types[id as usize].kind_num();
            tk == lk || (matches!(lk, kind::ENUM | kind::ENUM64) && matches!(tk, kind::ENUM | kind::ENUM64))
        })
        .collect())
}

/// The local access path: root index, then steps; and the local field.
fn local_spec(btf: &Btf, root: u32, access: &[u32]) -> Result<(u32, Vec<Step>, Field), String> {
    let (&first, rest) = access.split_first().ok_or("empty access string")?;
    let root_size = btf.resolve_size(root).map_err(|e| e.to_string())? as u64;
    let mut f = Field {
        bit_off: (first as u64).saturating_mul(root_size).saturating_mul(8),
        type_id: root,
        bitfield: 0,
    };
    let mut steps = Vec::new();
    for &idx in rest {
        let id = btf.skip_mods_and_typedefs(f.type_id).map_err(|e| e.to_string())?;
        let t = btf.get(id).map_err(|e| e.to_string())?;
        match &t.kind {
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => {
                let m: &Member = members
                    .get(idx as usize)
                    .ok_or_else(|| format!("member {idx} of a {}-member type", members.len()))?;
                f.bit_off = f.bit_off.saturating_add(m.bit_offset as u64);
                f.type_id = m.type_id;
                f.bitfield = m.bitfield_size;
                let name = btf.name(m.name_off).map_err(|e| e.to_string())?;
                steps.push(if name.is_empty() {
                    Step::Anon
                } else {
                    Step::Member { name: name.to_string() }
                });
            }
            BtfKind::Array { elem_type, .. } => {
                let sz = btf.resolve_size(*elem_type).map_err(|e| e.to_string())? as u64;
                f.bit_off = f
                    .bit_off
                    .saturating_add((idx as u64).saturating_mul(sz).saturating_mul(8));
                f.type_id = *elem_type;
                f.bitfield = 0;
                steps.push(Step::Index(idx));
            }
            _ => return Err(format!("access {idx} into a {}", t.kind_name())),
        }
    }
    Ok((first, steps, f))
}

/// A named member of a composite, looking through anonymous members;
/// the bit offset is from the composite's start.
fn find_member(btf: &Btf, comp: u32, name: &str, depth: usize) -> Option<(u64, Member)> {
    if depth > 32 {
        return None;
    }
    let t = btf.get(btf.skip_mods_and_typedefs(comp).ok()?).ok()?;
    for m in t.members() {
        let mname = btf.name(m.name_off).ok()?;
        if mname == name {
            return Some((m.bit_offset as u64, m.clone()));
        }
        if mname.is_empty() {
            if let Some((off, found)) = find_member(btf, m.type_id, name, depth + 1) {
                return Some((m.bit_offset as u64 + off, found));
            }
        }
    }
    None
}

/// bpf_core_fields_are_compat().
fn fields_compat(local: &Btf, l: u32, target: &Btf, t: u32, depth: usize) -> bool {
    if depth > 32 {
        return false;
    }
    let (Ok(l), Ok(t)) = (local.skip_mods_and_typedefs(l), target.skip_mods_and_typedefs(t)) else {
        return false;
    };
    let (Ok(lt), Ok(tt)) = (local.get(l), target.get(t)) else {
        return false;
    };
    if lt.is_composite() && tt.is_composite() {
        return true;
    }
    if is_enum(local, l) && is_enum(target, t) {
        return true;
    }
    if lt.kind_num() != tt.kind_num() {
        return false;
    }
    match (&lt.kind, &tt.kind) {
        (BtfKind::Array { elem_type: le, .. }, BtfKind::Array { elem_type: te, .. }) => {
            fields_compat(local, *le, target, *te, depth + 1)
        }
        (BtfKind::Fwd { .. }, _) | (BtfKind::Float { .. }, _) | (BtfKind::Int { .. }, _) | (BtfKind::Ptr { .. }, _) => {
            true
        }
        _ => false,
    }
}

/// The field an access path reaches in a target candidate, if it does.
fn target_field(local: &Btf, target: &Btf, cand: u32, first: u32, steps: &[Step], local_field: Field) -> Option<Field> {
    let root_size = target.resolve_size(cand).ok()? as u64;
    let mut f = Field {
        bit_off: (first as u64).saturating_mul(root_size).saturating_mul(8),
        type_id: cand,
        bitfield: 0,
    };
    for step in steps {
        match step {
            Step::Anon => continue,
            Step::Member { name } => {
                let comp = target.skip_mods_and_typedefs(f.type_id).ok()?;
                if !target.get(comp).ok()?.is_composite() {
                    return None;
                }
                let (off, m) = find_member(target, comp, name, 0)?;
                f.bit_off = f.bit_off.saturating_add(off);
                f.type_id = m.type_id;
                f.bitfield = m.bitfield_size;
            }
            Step::Index(idx) => {
                let arr = target.skip_mods_and_typedefs(f.type_id).ok()?;
                let BtfKind::Array { elem_type, nelems, .. } = target.get(arr).ok()?.kind else {
                    return None;
                };
                if *idx >= nelems && nelems != 0 {
                    return None;
                }
                let sz = target.resolve_size(elem_type).ok()? as u64;
                f.bit_off = f
                    .bit_off
                    .saturating_add((*idx as u64).saturating_mul(sz).saturating_mul(8));
                f.type_id = elem_type;
                f.bitfield = 0;
            }
        }
    }
    fields_compat(local, local_field.type_id, target, f.type_id, 0).then_some(f)
}

/// bpf_core_calc_field_relo(): the value of a field relocation kind.
fn field_value(btf: &Btf, f: Field, relo_kind: u32) -> Result<(u64, u32), String> {
    let bit_off = f.bit_off;
    if bit_off > u32::MAX as u64 * 8 {
        return Err(format!("field at bit {bit_off} is past any object"));
    }
    let (byte_off, byte_sz, bit_sz) = if f.bitfield == 0 {
        let sz = btf.resolve_size(f.type_id).map_err(|e| e.to_string())?;
        (bit_off / 8, sz, sz as u64 * 8)
    } else {
        let bit_sz = f.bitfield as u64;
        let mt = btf.skip_mods_and_typedefs(f.type_id).map_err(|e| e.to_string())?;
        let mut byte_sz = btf.resolve_size(mt).map_err(|e| e.to_string())?.max(1);
        let mut byte_off = bit_off / 8 / byte_sz as u64 * byte_sz as u64;
        while (bit_off + bit_sz).saturating_sub(byte_off * 8) > byte_sz as u64 * 8 {
            if byte_sz >= 8 {
                return Err("bitfield doesn't fit in 8 bytes".into());
            }
            byte_sz *= 2;
            byte_off = bit_off / 8 / byte_sz as u64 * byte_sz as u64;
        }
        (byte_off, byte_sz, bit_sz)
    };
    let v = match relo_kind {
        rk::FIELD_BYTE_OFFSET => byte_off,
        rk::FIELD_BYTE_SIZE => byte_sz as u64,
        rk::FIELD_EXISTS => 1,
        rk::FIELD_SIGNED => {
            let t = btf
                .get(btf.skip_mods_and_typedefs(f.type_id).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            match t.kind {
                BtfKind::Int { encoding, .. } => (encoding & 1) as u64,
                BtfKind::Enum { signed, .. } | BtfKind::Enum64 { signed, .. } => signed as u64,
                _ => 0,
            }
        }
        rk::FIELD_LSHIFT_U64 => 64u64
            .checked_sub((bit_off + bit_sz).saturating_sub(byte_off * 8))
            .ok_or("field wider than 64 bits")?,
        rk::FIELD_RSHIFT_U64 => 64u64.checked_sub(bit_sz).ok_or("field wider than 64 bits")?,
        _ => return Err(format!("kind {relo_kind} is not a field kind")),
    };
    Ok((v, byte_sz))
}

/// A relocation's outcome: the value the compiler put (local), the value
/// for the target (None: poison the instruction), and for field offsets
/// the field's size in both, for load width adjustment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreResult {
    pub orig: u64,
    pub new: Option<u64>,
    pub orig_sz: u32,
    pub new_sz: u32,
}

impl CoreResult {
    /// A type or enumerator relocation's result: the value the candidates
    /// agree on; without one, 0 for the kinds that ask whether it exists
    /// (`absent_is_zero`), else none (the instruction is poisoned).
    fn of_value(orig: u64, found: Option<(u64, u32)>, absent_is_zero: bool) -> CoreResult {
        let new = match found {
            Some((v, _)) => Some(v),
            None if absent_is_zero => Some(0),
            None => None,
        };
        CoreResult {
            orig,
            new,
            orig_sz: 0,
            new_sz: 0,
        }
    }
}

/// Agreeing results over all candidates, or an error when they differ.
fn agree(results: Vec<(u64, u32)>) -> Result<Option<(u64, u32)>, String> {
    let mut it = results.into_iter();
    let Some(first) = it.next() else { return Ok(None) };
    for r in it {
        if r.0 != first.0 {
            return Err(format!("ambiguous: candidates give {} and {}", first.0, r.0));
        }
    }
    Ok(Some(first))
}

/// bpf_core_calc_relo_insn(): the result of one relocation.
pub fn calc_relo(local: &Btf, target: &Btf, relo: &CoreRelo) -> Result<CoreResult, String> {
    let access_str = local.name(relo.access_str_off).map_err(|e| e.to_string())?;
    let access: Vec<u32> = access_str
        .split(':')
        .map(|s| {
            s.parse::<u32>()
                .map_err(|_| format!("bad access string {access_str:?}"))
        })
        .collect::<Result<_, _>>()?;
    let root = relo.type_id;
    local.get(root).map_err(|e| e.to_string())?;
    match relo.kind {
        rk::FIELD_BYTE_OFFSET..=rk::FIELD_RSHIFT_U64 => {
            let (first, steps, lf) = local_spec(local, root, &access)?;
            let (orig, orig_sz) = field_value(local, lf, relo.kind)?;
            let cands = candidates(local, root, target)?;
            let mut results = Vec::new();
            for c in cands {
                if let Some(tf) = target_field(local, target, c, first, &steps, lf) {
                    results.push(field_value(target, tf, relo.kind)?);
                }
            }
            let found = agree(results)?;
            Ok(match (found, relo.kind) {
                (Some((v, sz)), _) => CoreResult {
                    orig,
                    new: Some(v),
                    orig_sz,
                    new_sz: sz,
                },
                (None, rk::FIELD_EXISTS) => CoreResult {
                    orig,
                    new: Some(0),
                    orig_sz,
                    new_sz: orig_sz,
                },
                (None, _) => CoreResult {
                    orig,
                    new: None,
                    orig_sz,
                    new_sz: orig_sz,
                },
            })
        }
        rk::TYPE_ID_LOCAL => Ok(CoreResult {
            orig: root as u64,
            new: Some(root as u64),
            orig_sz: 0,
            new_sz: 0,
        }),
        rk::TYPE_ID_TARGET | rk::TYPE_EXISTS | rk::TYPE_SIZE | rk::TYPE_MATCHES => {
            let cands = candidates(local, root, target)?;
            let value = |btf: &Btf, id: u32| -> Result<u64, String> {
                Ok(match relo.kind {
                    rk::TYPE_ID_TARGET => id as u64,
                    rk::TYPE_SIZE => btf.resolve_size(id).map_err(|e| e.to_string())? as u64,
                    _ => 1,
                })
            };
            let orig = match relo.kind {
                rk::TYPE_ID_TARGET => root as u64,
                _ => value(local, root)?,
            };
            let results = cands
                .iter()
                .map(|&c| Ok((value(target, c)?, 0)))
                .collect::<Result<Vec<_>, String>>()?;
            let found = if relo.kind == rk::TYPE_ID_TARGET {
                cands.first().map(|&c| (c as u64, 0))
            } else {
                agree(results)?
            };
            let absent_is_zero = matches!(relo.kind, rk::TYPE_EXISTS | rk::TYPE_MATCHES);
            Ok(CoreResult::of_value(orig, found, absent_is_zero))
        }
        rk::ENUMVAL_EXISTS | rk::ENUMVAL_VALUE => {
            let idx = *access.first().ok_or("empty access string")? as usize;
            let lt = local
                .get(local.skip_mods_and_typedefs(root).map_err(|e| e.to_string())?)
                .map_err(|e| e.to_string())?;
            let (BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. }) = &lt.kind else {
                return Err(format!("enum relocation on a {}", lt.kind_name()));
            };
            let e = values
                .get(idx)
                .ok_or_else(|| format!("enumerator {idx} of {}", values.len()))?;
            let ename = local.name(e.name_off).map_err(|e| e.to_string())?;
            let orig = if relo.kind == rk::ENUMVAL_EXISTS {
                1
            } else {
                e.value as u64
            };
            let mut results = Vec::new();
            for c in candidates(local, root, target)? {
                if let Ok(BtfKind::Enum { values, .. } | BtfKind::Enum64 { values, .. }) =
                    target.get(c).map(|t| &t.kind)
                {
                    let same = |v: &&crate::btf::types::Enumerator| {
                        target
                            .name(v.name_off)
                            .is_ok_and(|n| essential_name(n) == essential_name(ename))
                    };
                    if let Some(tv) = values.iter().find(same) {
                        results.push((
                            if relo.kind == rk::ENUMVAL_EXISTS {
                                1
                            } else {
                                tv.value as u64
                            },
                            0,
                        ));
                    }
                }
            }
            let absent_is_zero = relo.kind == rk::ENUMVAL_EXISTS;
            Ok(CoreResult::of_value(orig, agree(results)?, absent_is_zero))
        }
        other => Err(format!("unknown relocation kind {other}")),
    }
}

fn size_code(bytes: u32) -> Option<u8> {
    Some(match bytes {
        1 => 0x10,
        2 => 0x08,
        4 => 0x00,
        8 => 0x18,
        _ => return None,
    })
}

fn size_bytes(code: u8) -> u32 {
    match code & 0x18 {
        0x10 => 1,
        0x08 => 2,
        0x00 => 4,
        _ => 8,
    }
}

fn poison(insn: &mut Insn) {
    *insn = Insn::new(crate::obj::parse::CALL, 0, 0, 0, POISON_HELPER);
}

/// bpf_core_patch_insn(): writes the result into the instruction at `idx`.
pub(crate) fn patch_insn(insns: &mut [Insn], idx: usize, res: &CoreResult, kind_num: u32) -> Result<(), String> {
    let insn = *insns
        .get(idx)
        .ok_or_else(|| format!("instruction {idx} out of range"))?;
    let Some(new) = res.new else {
        poison(&mut insns[idx]);
        if insn.code == LD_IMM64 {
            if let Some(next) = insns.get_mut(idx + 1) {
                poison(next);
            }
        }
        return Ok(());
    };
    let class = insn.code & 0x07;
    match class {
        // ALU, ALU64 with an immediate.
        0x04 | 0x07 => {
            if insn.code & 0x08 != 0 {
                return Err("ALU instruction with a register source".into());
            }
            if insn.imm as u32 as u64 != res.orig {
                return Err(format!(
                    "instruction's value {} is not the local value {}",
                    insn.imm, res.orig
                ));
            }
            let imm = i32::try_from(new as i64)
                .or_else(|_| u32::try_from(new).map(|v| v as i32))
                .map_err(|_| format!("value {new} doesn't fit an immediate"))?;
            insns[idx].imm = imm;
        }
        // LDX, ST, STX: the offset, and the width when the field's size changed.
        0x01..=0x03 => {
            if insn.off as i64 != res.orig as i64 {
                return Err(format!(
                    "instruction's offset {} is not the local value {}",
                    insn.off, res.orig
                ));
            }
            insns[idx].off = i16::try_from(new).map_err(|_| format!("offset {new} doesn't fit 16 bits"))?;
            if kind_num == rk::FIELD_BYTE_OFFSET && res.new_sz != res.orig_sz && res.orig_sz != 0 {
                if size_bytes(insn.code) != res.orig_sz {
                    return Err(format!(
                        "access of {} bytes to a {}-byte field",
                        size_bytes(insn.code),
                        res.orig_sz
                    ));
                }
                let code = size_code(res.new_sz).ok_or_else(|| format!("field size {} can't be loaded", res.new_sz))?;
                insns[idx].code = (insn.code & !0x18) | code;
            }
        }
        _ if insn.code == LD_IMM64 => {
            let next = insns.get(idx + 1).ok_or("ld_imm64 without its second slot")?;
            let cur = (insn.imm as u32 as u64) | ((next.imm as u32 as u64) << 32);
            if cur != res.orig {
                return Err(format!("instruction's value {cur} is not the local value {}", res.orig));
            }
            insns[idx].imm = new as u32 as i32;
            insns[idx + 1].imm = (new >> 32) as u32 as i32;
        }
        _ => return Err(format!("can't relocate instruction {:#04x}", insn.code)),
    }
    Ok(())
}
