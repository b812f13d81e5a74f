//! Map definitions of an object: BTF-defined maps (`.maps`), the legacy
//! `maps` section (struct bpf_map_def), and the single-entry array maps
//! libbpf makes of global data sections (`.data`, `.rodata*`, `.bss`) and
//! of `.kconfig` externs.

use super::error::ObjError;
use super::parse::{Sec, Sym};
use crate::btf::{Btf, BtfKind};
use crate::uapi::types::{map_flags as mf, map_type as mt, BPF_OBJ_NAME_LEN};

/// Which global data section a map holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataKind {
    Data,
    Rodata,
    Bss,
    Kconfig,
}

impl DataKind {
    /// Read-only for programs and frozen after its contents are written.
    pub fn read_only(self) -> bool {
        matches!(self, DataKind::Rodata | DataKind::Kconfig)
    }
}

/// Where a definition came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MapOrigin {
    Btf,
    Legacy,
    /// Global data: the section's contents are the value of key 0.
    Data {
        kind: DataKind,
        init: Vec<u8>,
    },
}

/// One map to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapDef {
    pub name: String,
    pub origin: MapOrigin,
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub numa_node: u32,
    pub map_extra: u64,
    /// LIBBPF_PIN_* (0 none, 1 by name).
    pub pinning: u32,
    /// For map-in-map: the template of the inner maps.
    pub inner: Option<Box<MapDef>>,
    /// `values` initializers of a map-in-map: (slot, index of the inner
    /// map in the object's maps).
    pub init_slots: Vec<(u32, usize)>,
    /// A prog array declared with `values` (of function pointers).
    pub prog_values: bool,
    /// `values` initializers of a prog array: (slot, program name), set
    /// after the programs load (libbpf's init_prog_array_slots).
    pub prog_slots: Vec<(u32, String)>,
    /// Where its definition lives, to match relocations (ELF section
    /// index, byte offset and size of the symbol or section).
    pub section_index: Option<usize>,
    pub section_offset: u64,
    pub def_size: u64,
    /// The key and value types in the object's BTF (libbpf's
    /// btf_key_type_id / btf_value_type_id; 0 when unknown), which map
    /// creation passes so that the kernel finds spin locks and timers.
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
}

impl MapDef {
    fn empty(name: &str, origin: MapOrigin) -> MapDef {
        MapDef {
            name: name.to_string(),
            origin,
            map_type: 0,
            key_size: 0,
            value_size: 0,
            max_entries: 0,
            map_flags: 0,
            numa_node: 0,
            map_extra: 0,
            pinning: 0,
            inner: None,
            init_slots: Vec::new(),
            prog_values: false,
            prog_slots: Vec::new(),
            section_index: None,
            section_offset: 0,
            btf_key_type_id: 0,
            btf_value_type_id: 0,
            def_size: 0,
        }
    }

    pub fn is_map_in_map(&self) -> bool {
        matches!(self.map_type, mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS)
    }
}

/// The data kind of a section name, if libbpf makes a map of it.
pub fn data_section_kind(name: &str, nobits: bool) -> Option<DataKind> {
    let is = |base: &str| name == base || name.strip_prefix(base).is_some_and(|r| r.starts_with('.'));
    if nobits {
        return is(".bss").then_some(DataKind::Bss);
    }
    if is(".data") {
        Some(DataKind::Data)
    } else if is(".rodata") {
        Some(DataKind::Rodata)
    } else {
        None
    }
}

/// libbpf's internal map name: up to 8 characters of the object name then
/// the section name (`global_d.rodata`); a section name with a second dot
/// (`.rodata.cst16`) stands alone. Characters the kernel refuses become '_'.
pub fn internal_map_name(obj_name: &str, section: &str) -> String {
    let sfx_len = section.len().max(7);
    let pfx_len = if section.get(1..).is_some_and(|r| r.contains('.')) {
        0
    } else {
        (BPF_OBJ_NAME_LEN.saturating_sub(sfx_len + 1)).min(obj_name.len())
    };
    let mut name: String = obj_name.chars().take(pfx_len).collect();
    name.extend(section.chars().take(sfx_len));
    let name: String = name.chars().take(BPF_OBJ_NAME_LEN - 1).collect();
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A global data section's map.
pub(crate) fn data_map(obj_name: &str, s: &Sec<'_>, kind: DataKind) -> Result<MapDef, ObjError> {
    let size = u32::try_from(s.size).map_err(|_| ObjError::section(&s.name, "larger than 4 GiB"))?;
    let init = if s.nobits { Vec::new() } else { s.data.to_vec() };
    let mut m = MapDef::empty(&internal_map_name(obj_name, &s.name), MapOrigin::Data { kind, init });
    m.map_type = mt::ARRAY;
    m.key_size = 4;
    m.value_size = size;
    m.max_entries = 1;
    m.map_flags = mf::MMAPABLE | if kind.read_only() { mf::RDONLY_PROG } else { 0 };
    m.section_index = Some(s.index);
    m.def_size = s.size;
    Ok(m)
}

/// The `.kconfig` map of `size` bytes.
pub(crate) fn kconfig_map_def(obj_name: &str, size: u32) -> MapDef {
    let mut m = MapDef::empty(
        &internal_map_name(obj_name, ".kconfig"),
        MapOrigin::Data {
            kind: DataKind::Kconfig,
            init: Vec::new(),
        },
    );
    m.map_type = mt::ARRAY;
    m.key_size = 4;
    m.value_size = size;
    m.max_entries = 1;
    m.map_flags = mf::MMAPABLE | mf::RDONLY_PROG;
    m
}

/// `__uint(name, N)` is `int (*name)[N]`: N.
fn btf_uint(btf: &Btf, type_id: u32, map: &str, field: &str) -> Result<u32, ObjError> {
    let bad = || ObjError::map(map, format!("{field} is not __uint(...)"));
    let t = btf.get(btf.skip_mods_and_typedefs(type_id)?)?;
    let BtfKind::Ptr { type_id: arr } = t.kind else {
        return Err(bad());
    };
    match btf.get(arr)?.kind {
        BtfKind::Array { nelems, .. } => Ok(nelems),
        _ => Err(bad()),
    }
}

/// `__type(name, T)` is `T *name`: T.
fn btf_pointee(btf: &Btf, type_id: u32, map: &str, field: &str) -> Result<u32, ObjError> {
    match btf.get(btf.skip_mods_and_typedefs(type_id)?)?.kind {
        BtfKind::Ptr { type_id } => Ok(type_id),
        _ => Err(ObjError::map(map, format!("{field} is not __type(...)"))),
    }
}

/// parse_btf_map_def(): a map's definition from its BTF struct.
fn parse_btf_def(btf: &Btf, name: &str, struct_id: u32, allow_inner: bool) -> Result<MapDef, ObjError> {
    let t = btf.get(btf.skip_mods_and_typedefs(struct_id)?)?;
    if !matches!(t.kind, BtfKind::Struct { .. }) {
        return Err(ObjError::map(
            name,
            format!("definition is a {}, not a struct", t.kind_name()),
        ));
    }
    let mut m = MapDef::empty(name, MapOrigin::Btf);
    let (mut key_size, mut value_size) = (None::<u32>, None::<u32>);
    let set_size = |slot: &mut Option<u32>, v: u32, what: &str| -> Result<(), ObjError> {
        match *slot {
            Some(old) if old != v => Err(ObjError::map(name, format!("conflicting {what}: {old} and {v}"))),
            _ => {
                *slot = Some(v);
                Ok(())
            }
        }
    };
    // libbpf reads `values` knowing the map type: it must come last.
    let members = t.members();
    if members
        .iter()
        .rev()
        .skip(1)
        .any(|mb| btf.name(mb.name_off).ok() == Some("values"))
    {
        return Err(ObjError::map(name, "'values' member should be last"));
    }
    for member in members {
        let field = btf.name(member.name_off)?;
        match field {
            "type" => m.map_type = btf_uint(btf, member.type_id, name, field)?,
            "max_entries" => m.max_entries = btf_uint(btf, member.type_id, name, field)?,
            "map_flags" => m.map_flags = btf_uint(btf, member.type_id, name, field)?,
            "numa_node" => m.numa_node = btf_uint(btf, member.type_id, name, field)?,
            "map_extra" => m.map_extra = btf_uint(btf, member.type_id, name, field)? as u64,
            "pinning" => {
                m.pinning = btf_uint(btf, member.type_id, name, field)?;
                if m.pinning > 1 {
                    return Err(ObjError::map(name, format!("unknown pinning {}", m.pinning)));
                }
            }
            "key_size" => set_size(&mut key_size, btf_uint(btf, member.type_id, name, field)?, "key size")?,
            "value_size" => set_size(
                &mut value_size,
                btf_uint(btf, member.type_id, name, field)?,
                "value size",
            )?,
            "key" => {
                let k = btf_pointee(btf, member.type_id, name, field)?;
                set_size(&mut key_size, btf.resolve_size(k)?, "key size")?;
                m.btf_key_type_id = k;
            }
            "value" => {
                let v = btf_pointee(btf, member.type_id, name, field)?;
                set_size(&mut value_size, btf.resolve_size(v)?, "value size")?;
                m.btf_value_type_id = v;
            }
            "values" => {
                if !allow_inner {
                    return Err(ObjError::map(name, "inner maps can't have `values`"));
                }
                // An array (of size 0) of pointers to the inner definition.
                let arr = btf.get(btf.skip_mods_and_typedefs(member.type_id)?)?;
                let BtfKind::Array { elem_type, .. } = arr.kind else {
                    return Err(ObjError::map(name, "values is not an array"));
                };
                let elem = btf.get(btf.skip_mods_and_typedefs(elem_type)?)?;
                let BtfKind::Ptr { type_id: inner_id } = elem.kind else {
                    return Err(ObjError::map(name, "values is not an array of pointers"));
                };
                let inner_t = btf.get(btf.skip_mods_and_typedefs(inner_id)?)?;
                // A prog array's `values`: pointers to programs, filled
                // after the programs load (init_slots holds their slots).
                if m.map_type == mt::PROG_ARRAY {
                    if !matches!(inner_t.kind, BtfKind::FuncProto { .. }) {
                        return Err(ObjError::map(
                            name,
                            format!("prog-array value def is of unexpected kind {}", inner_t.kind_name()),
                        ));
                    }
                    set_size(&mut value_size, 4, "value size")?;
                    m.prog_values = true;
                    continue;
                }
                if !m.is_map_in_map() {
                    return Err(ObjError::map(name, "`values` should be of a map-in-map or prog-array"));
                }
                if !matches!(inner_t.kind, BtfKind::Struct { .. }) {
                    return Err(ObjError::map(
                        name,
                        format!("map-in-map inner def is of unexpected kind {}", inner_t.kind_name()),
                    ));
                }
                let inner = parse_btf_def(btf, &format!("{name}.inner"), inner_id, false)?;
                m.inner = Some(Box::new(inner));
                set_size(&mut value_size, 4, "value size")?;
            }
            other => return Err(ObjError::map(name, format!("unknown field {other:?}"))),
        }
    }
    m.key_size = key_size.unwrap_or(0);
    m.value_size = value_size.unwrap_or(0);
    // fill_map_from_def(): ring buffers' max_entries rounded up as libbpf
    // does before BPF_MAP_CREATE.
    if matches!(m.map_type, mt::RINGBUF | mt::USER_RINGBUF) {
        m.max_entries = adjust_ringbuf_sz(m.max_entries);
    }
    if m.inner.is_some() && !m.is_map_in_map() {
        return Err(ObjError::map(
            name,
            format!("map type {} can't have inner maps", m.map_type),
        ));
    }
    Ok(m)
}

/// bpf_object__init_user_btf_maps(): one map per VAR of the `.maps`
/// DATASEC, in its order. Its place in the section comes from the ELF
/// symbol of the same name (clang leaves DATASEC offsets at zero; libbpf
/// fixes them up the same way).
pub(crate) fn parse_btf_maps(btf: &Btf, s: &Sec<'_>, syms: &[Sym]) -> Result<Vec<MapDef>, ObjError> {
    let Some((_, vars)) = btf.datasec(".maps") else {
        return Err(ObjError::section(".maps", "no DATASEC .maps in BTF"));
    };
    let mut out = Vec::new();
    for v in vars {
        let var = btf.get(v.type_id)?;
        let BtfKind::Var { type_id, .. } = var.kind else {
            return Err(ObjError::section(
                ".maps",
                format!("entry [{}] is not a VAR", v.type_id),
            ));
        };
        let name = btf.name(var.name_off)?.to_string();
        let mut m = parse_btf_def(btf, &name, type_id, true)?;
        let sym = syms
            .iter()
            .find(|y| y.section == Some(s.index) && y.name == name)
            .ok_or_else(|| ObjError::map(&name, "no symbol in .maps"))?;
        // The symbol is longer than the struct when `values` is initialized.
        let size = (btf.resolve_size(type_id)? as u64).max(sym.size);
        if sym.value.saturating_add(size) > s.size {
            return Err(ObjError::map(
                &name,
                format!("offset {} size {size} outside .maps", sym.value),
            ));
        }
        m.section_index = Some(s.index);
        m.section_offset = sym.value;
        m.def_size = size;
        out.push(m);
    }
    Ok(out)
}

/// bpf_object__init_user_maps(): struct bpf_map_def records, one per
/// symbol of the `maps` section, each `size / symbols` bytes.
pub(crate) fn parse_legacy_maps(s: &Sec<'_>, syms: &[Sym]) -> Result<Vec<MapDef>, ObjError> {
    let mut map_syms: Vec<&Sym> = syms
        .iter()
        .filter(|y| y.section == Some(s.index) && !y.is_section && !y.name.is_empty())
        .collect();
    map_syms.sort_by_key(|y| y.value);
    if map_syms.is_empty() {
        return Ok(Vec::new());
    }
    let def_size = s.data.len() / map_syms.len();
    if def_size < 16 || !s.data.len().is_multiple_of(map_syms.len()) {
        return Err(ObjError::section(
            "maps",
            format!(
                "{} bytes for {} maps is not a whole bpf_map_def each",
                s.data.len(),
                map_syms.len()
            ),
        ));
    }
    let mut out = Vec::new();
    for y in map_syms {
        let start = usize::try_from(y.value).unwrap_or(usize::MAX);
        let def = start
            .checked_add(def_size)
            .and_then(|end| s.data.get(start..end))
            .ok_or_else(|| ObjError::map(&y.name, format!("definition at {} outside the maps section", y.value)))?;
        let word = |i: usize| {
            def.get(i * 4..i * 4 + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .unwrap_or(0)
        };
        // Fields past map_flags (inner_map_idx, numa_node of old
        // definitions) must be zero: nothing here honours them.
        if def.get(20..).is_some_and(|rest| rest.iter().any(|&b| b != 0)) {
            return Err(ObjError::map(
                &y.name,
                "unsupported bpf_map_def fields past map_flags are set",
            ));
        }
        let mut m = MapDef::empty(&y.name, MapOrigin::Legacy);
        m.map_type = word(0);
        m.key_size = word(1);
        m.value_size = word(2);
        m.max_entries = word(3);
        m.map_flags = word(4);
        m.section_index = Some(s.index);
        m.section_offset = y.value;
        m.def_size = def_size as u64;
        out.push(m);
    }
    Ok(out)
}

/// A relocation in `.maps` at `offset`: a `values` slot of the map whose
/// definition contains it, pointing at another map (map-in-map) or at a
/// program (prog array; checked against the programs once they are known).
pub(crate) fn record_slot_init(
    maps: &mut [MapDef],
    maps_index: usize,
    offset: u64,
    target: &Sym,
) -> Result<(), ObjError> {
    let outer = maps
        .iter()
        .position(|m| {
            m.section_index == Some(maps_index)
                && offset >= m.section_offset
                && offset.saturating_add(8) <= m.section_offset.saturating_add(m.def_size)
        })
        .ok_or_else(|| {
            ObjError::reloc(
                ".maps",
                offset,
                format!("cannot find map '{}' at this offset", target.name),
            )
        })?;
    // The byte offset within the definition; [`finish_slots`] makes it a
    // slot index once the offset of `values` is known.
    let rel = (offset - maps[outer].section_offset) as u32;
    if maps[outer].prog_values {
        if !target.is_func || target.undefined {
            return Err(ObjError::reloc(
                ".maps",
                offset,
                format!("'{}' isn't a valid program reference", target.name),
            ));
        }
        maps[outer].prog_slots.push((rel, target.name.clone()));
        return Ok(());
    }
    let inner = maps
        .iter()
        .position(|m| {
            m.section_index == Some(maps_index)
                && m.section_offset == target.value
                && target.section == Some(maps_index)
        })
        .ok_or_else(|| ObjError::reloc(".maps", offset, format!("'{}' isn't a BTF-defined map", target.name)))?;
    let m = &mut maps[outer];
    if m.inner.is_none() {
        return Err(ObjError::reloc(
            ".maps",
            offset,
            format!("map {} has no `values`", m.name),
        ));
    }
    m.init_slots.push((rel, inner));
    Ok(())
}

/// Turns the byte offsets recorded by [`record_slot_init`] into slot
/// indices once the struct size (offset of `values`) is known.
pub(crate) fn finish_slots(btf: Option<&Btf>, maps: &mut [MapDef]) -> Result<(), ObjError> {
    for m in maps
        .iter_mut()
        .filter(|m| !m.init_slots.is_empty() || !m.prog_slots.is_empty())
    {
        let base = values_offset(btf, m)?;
        let slot_of = |rel: u32| -> Result<u32, ObjError> {
            let rel = rel as u64;
            if rel < base || !(rel - base).is_multiple_of(8) {
                return Err(ObjError::map(
                    &m.name,
                    format!("initializer at offset {rel} is not a values slot"),
                ));
            }
            let slot = ((rel - base) / 8) as u32;
            if slot >= m.max_entries {
                return Err(ObjError::map(
                    &m.name,
                    format!("initializer slot {slot} >= max_entries {}", m.max_entries),
                ));
            }
            Ok(slot)
        };
        let init_slots = m
            .init_slots
            .iter()
            .map(|&(rel, inner)| Ok((slot_of(rel)?, inner)))
            .collect::<Result<Vec<_>, ObjError>>()?;
        let prog_slots = m
            .prog_slots
            .iter()
            .map(|(rel, prog)| Ok((slot_of(*rel)?, prog.clone())))
            .collect::<Result<Vec<_>, ObjError>>()?;
        m.init_slots = init_slots;
        m.prog_slots = prog_slots;
    }
    Ok(())
}

/// The byte offset of the `values` member in a map's definition.
fn values_offset(btf: Option<&Btf>, m: &MapDef) -> Result<u64, ObjError> {
    let btf = btf.ok_or_else(|| ObjError::map(&m.name, "`values` needs BTF"))?;
    let (_, vars) = btf
        .datasec(".maps")
        .ok_or_else(|| ObjError::map(&m.name, "no DATASEC .maps"))?;
    let var = vars
        .iter()
        .find(|v| {
            btf.get(v.type_id)
                .is_ok_and(|t| btf.name(t.name_off).ok() == Some(m.name.as_str()))
        })
        .ok_or_else(|| ObjError::map(&m.name, "no VAR of its name"))?;
    let BtfKind::Var { type_id, .. } = btf.get(var.type_id)?.kind else {
        return Err(ObjError::map(&m.name, "not a VAR"));
    };
    let st = btf.get(btf.skip_mods_and_typedefs(type_id)?)?;
    let values = st
        .members()
        .iter()
        .find(|mb| btf.name(mb.name_off).ok() == Some("values"))
        .ok_or_else(|| ObjError::map(&m.name, "no values member"))?;
    Ok(values.bit_offset as u64 / 8)
}

/// libbpf's adjust_ringbuf_sz(): a ring buffer's size as the smallest
/// power-of-2 multiple of the page size above it, unless it is one already
/// (0 and sizes past the largest such multiple stay, for the kernel to
/// refuse).
fn adjust_ringbuf_sz(sz: u32) -> u32 {
    let page = crate::uapi::PAGE_SIZE as u32;
    if sz == 0 || (sz.is_multiple_of(page) && (sz / page).is_power_of_two()) {
        return sz;
    }
    let mut mul: u32 = 1;
    while mul <= u32::MAX / page {
        if mul * page > sz {
            return mul * page;
        }
        mul <<= 1;
    }
    sz
}

#[cfg(test)]
mod ringbuf_size_tests {
    use super::adjust_ringbuf_sz;

    #[test]
    fn ringbuf_sizes_round_up_as_libbpf() {
        // Hand-derived from libbpf's adjust_ringbuf_sz with 4 KiB pages.
        assert_eq!(adjust_ringbuf_sz(0), 0);
        assert_eq!(adjust_ringbuf_sz(8), 4096);
        assert_eq!(adjust_ringbuf_sz(4096), 4096);
        assert_eq!(adjust_ringbuf_sz(4097), 8192);
        assert_eq!(adjust_ringbuf_sz(3 * 4096), 4 * 4096);
        assert_eq!(adjust_ringbuf_sz(1 << 20), 1 << 20);
        assert_eq!(adjust_ringbuf_sz(u32::MAX), u32::MAX);
    }
}
