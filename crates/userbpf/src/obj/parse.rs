//! Reading a clang-built BPF object with the `object` crate: the license
//! and version, code sections split into programs by their symbols, the
//! `.text` subprograms, map and data sections, externs, BTF, and every
//! relocation classified by what it points at. Nothing is created here;
//! [`super::load`] does that.

use object::read::elf::ElfFile64;
use object::{LittleEndian, Object as _, ObjectSection, ObjectSymbol, RelocationFlags, SectionKind, SymbolKind};

use super::error::ObjError;
use super::externs::{self, Extern};
use super::maps::{self, MapDef};
use super::section_name::{section_def, strip_autoload_prefix, SectionDef};
use crate::btf::{Btf, BtfExt};
use crate::isa::opcode::{BPF_PSEUDO_CALL, LD_IMM64};
use crate::isa::{Insn, INSN_SIZE};

/// `call` (BPF_JMP | BPF_CALL).
pub const CALL: u8 = 0x85;
const EM_BPF: u16 = 247;
const ET_REL: u16 = 1;
const SHT_NOBITS: u32 = 8;
const SHT_SYMTAB: u32 = 2;
const SHT_RELA: u32 = 4;
const SHT_REL: u32 = 9;

/// A section of instructions (a program section or `.text`).
#[derive(Clone, Debug)]
pub struct CodeSection {
    /// ELF section index.
    pub index: usize,
    pub name: String,
    pub insns: Vec<Insn>,
    /// Relocations, by instruction index within the section.
    pub relocs: Vec<Reloc>,
}

/// What a relocated instruction refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelocTarget {
    /// ld_imm64 of a map (index into [`Object::maps`]).
    Map { map: usize },
    /// ld_imm64 of an address inside a data section's map, `sym_off`
    /// bytes from its start plus the instruction's own immediate.
    Data { map: usize, sym_off: u32 },
    /// ld_imm64 of an extern (index into [`Object::externs`]).
    Extern { ext: usize },
    /// A `call` of an extern function: a kfunc call.
    ExternCall { ext: usize },
    /// A call into `.text`: the callee starts at `sym_off / 8 + imm + 1`.
    Call { sym_off: u32 },
    /// ld_imm64 of a `.text` function's address (BPF_PSEUDO_FUNC): the
    /// function starts at `(sym_off + imm) / 8`.
    FuncAddr { sym_off: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reloc {
    pub insn: usize,
    pub target: RelocTarget,
}

/// A function in a code section: a program, or a subprogram in `.text`.
#[derive(Clone, Debug)]
pub struct Function {
    pub name: String,
    /// Index into [`Object::code`].
    pub code: usize,
    /// First instruction within the section, and count.
    pub insn_off: usize,
    pub insn_cnt: usize,
}

/// A program: a function in a non-`.text` code section.
#[derive(Clone, Debug)]
pub struct Program {
    pub func: Function,
    /// The section name without libbpf's `?` prefix (what libbpf's
    /// bpf_program__section_name() returns).
    pub section: String,
    /// The type its section name gives it (None: unknown section name).
    pub def: Option<SectionDef>,
    /// libbpf's autoload: false for `SEC("?...")` programs, which loading
    /// the whole object skips and loading them by name loads.
    pub autoload: bool,
}

impl Program {
    pub fn name(&self) -> &str {
        &self.func.name
    }
}

/// A parsed object: everything needed to create its maps and load its
/// programs.
#[derive(Clone, Debug)]
pub struct Object {
    /// The object's name (file stem), the prefix of internal map names.
    pub name: String,
    /// The license string without its NUL (empty without a section).
    pub license: Vec<u8>,
    pub kern_version: u32,
    pub btf: Option<Btf>,
    /// The `.BTF` section as it is in the file (what BPF_BTF_LOAD gets).
    pub btf_raw: Option<Vec<u8>>,
    pub btf_ext: Option<BtfExt>,
    pub code: Vec<CodeSection>,
    pub programs: Vec<Program>,
    /// `.text` functions, by start.
    pub subprograms: Vec<Function>,
    pub maps: Vec<MapDef>,
    pub externs: Vec<Extern>,
}

/// A symbol as the loader needs it.
#[derive(Clone, Debug)]
pub(crate) struct Sym {
    pub name: String,
    pub section: Option<usize>,
    pub undefined: bool,
    pub value: u64,
    pub size: u64,
    pub is_func: bool,
    pub is_section: bool,
    pub is_global: bool,
    pub is_weak: bool,
}

/// A section as the loader needs it.
#[derive(Clone, Debug)]
pub(crate) struct Sec<'d> {
    pub index: usize,
    pub name: String,
    pub data: &'d [u8],
    pub size: u64,
    pub nobits: bool,
    pub exec: bool,
}

fn insns_of(name: &str, data: &[u8]) -> Result<Vec<Insn>, ObjError> {
    if !data.len().is_multiple_of(INSN_SIZE) {
        return Err(ObjError::section(
            name,
            format!("size {} is not a multiple of 8", data.len()),
        ));
    }
    Ok(data
        .chunks_exact(INSN_SIZE)
        .map(|c| Insn::from_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

impl Object {
    /// Parses an object; `name` is its file stem (internal map names).
    pub fn parse(name: &str, data: &[u8]) -> Result<Object, ObjError> {
        let file = ElfFile64::<LittleEndian>::parse(data)?;
        let endian = LittleEndian;
        let header = file.elf_header();
        let machine = header.e_machine.get(endian).0;
        if machine != EM_BPF {
            return Err(ObjError::NotBpf { machine });
        }
        let e_type = header.e_type.get(endian).0;
        if e_type != ET_REL {
            return Err(ObjError::NotRelocatable { e_type });
        }

        let mut secs = Vec::new();
        for s in file.sections() {
            let name = s
                .name()
                .map_err(|e| ObjError::Elf { reason: e.to_string() })?
                .to_string();
            let hdr = s.elf_section_header();
            let nobits = hdr.sh_type.get(endian).0 == SHT_NOBITS;
            let data = if nobits { &[][..] } else { s.data()? };
            secs.push(Sec {
                index: s.index().0,
                name,
                data,
                size: s.size(),
                nobits,
                exec: s.kind() == SectionKind::Text,
            });
        }

        // Relocation sections must name the symbol table and a section.
        let symtab = file
            .sections()
            .find(|s| s.elf_section_header().sh_type.get(endian).0 == SHT_SYMTAB)
            .map(|s| s.index().0);
        for s in file.sections() {
            let hdr = s.elf_section_header();
            if matches!(hdr.sh_type.get(endian).0, SHT_REL | SHT_RELA) {
                let (link, info) = (hdr.sh_link.get(endian) as usize, hdr.sh_info.get(endian) as usize);
                let name = s.name().unwrap_or("?");
                if Some(link) != symtab {
                    return Err(ObjError::section(
                        name,
                        format!("sh_link {link} is not the symbol table"),
                    ));
                }
                if !secs.iter().any(|x| x.index == info) {
                    return Err(ObjError::section(name, format!("sh_info {info} is not a section")));
                }
            }
        }

        let mut syms = Vec::new();
        for s in file.symbols() {
            let section = match s.section() {
                object::SymbolSection::Section(i) => Some(i.0),
                _ => None,
            };
            syms.push((
                s.index().0,
                Sym {
                    name: s.name().unwrap_or("").to_string(),
                    section,
                    undefined: s.is_undefined(),
                    value: s.address(),
                    size: s.size(),
                    is_func: s.kind() == SymbolKind::Text,
                    is_section: s.kind() == SymbolKind::Section,
                    is_global: s.is_global(),
                    is_weak: s.is_weak(),
                },
            ));
        }

        let mut license = Vec::new();
        let mut kern_version = 0;
        let mut btf = None;
        let mut btf_raw = None;
        let mut btf_ext_data = None;
        for s in &secs {
            match s.name.as_str() {
                "license" => {
                    let end = s.data.iter().position(|&b| b == 0).unwrap_or(s.data.len());
                    license = s.data[..end].to_vec();
                }
                "version" => {
                    let b: [u8; 4] = s
                        .data
                        .try_into()
                        .map_err(|_| ObjError::section("version", format!("size {} is not 4", s.data.len())))?;
                    kern_version = u32::from_le_bytes(b);
                }
                ".BTF" => {
                    btf = Some(Btf::parse(s.data)?);
                    btf_raw = Some(s.data.to_vec());
                }
                ".BTF.ext" => btf_ext_data = Some(s.data),
                _ => {}
            }
        }
        let btf_ext = match (&btf, btf_ext_data) {
            (Some(b), Some(d)) => Some(BtfExt::parse(d, b)?),
            _ => None,
        };

        // Maps: BTF-defined, legacy, then data sections (libbpf's order).
        let sym_list: Vec<Sym> = syms.iter().map(|(_, s)| s.clone()).collect();
        let mut map_defs = Vec::new();
        if let Some(s) = secs.iter().find(|s| s.name == ".maps") {
            let b = btf
                .as_ref()
                .ok_or_else(|| ObjError::section(".maps", "BTF-defined maps need a .BTF section"))?;
            map_defs.extend(maps::parse_btf_maps(b, s, &sym_list)?);
        }
        if let Some(s) = secs.iter().find(|s| s.name == "maps") {
            map_defs.extend(maps::parse_legacy_maps(s, &sym_list)?);
        }
        for s in &secs {
            if let Some(kind) = maps::data_section_kind(&s.name, s.nobits) {
                if s.size == 0 {
                    continue;
                }
                let mut def = maps::data_map(name, s, kind)?;
                // libbpf describes the value by the section's DATASEC, once
                // its size is fixed up; an unfixed (size 0) one is left out.
                if let Some((id, _)) = btf.as_ref().and_then(|b| b.datasec(&s.name)) {
                    if btf.as_ref().and_then(|b| b.resolve_size(id).ok()) == Some(def.value_size) {
                        def.btf_value_type_id = id;
                    }
                }
                map_defs.push(def);
            }
        }
        let ext_list = externs::collect(btf.as_ref(), &sym_list)?;
        if let Some(kconfig) = externs::kconfig_map(name, &ext_list) {
            map_defs.push(kconfig);
        }

        // Map-in-map initial slots: relocations of `.maps`.
        if let Some(maps_sec) = secs.iter().find(|s| s.name == ".maps") {
            let sec = file
                .section_by_index(object::SectionIndex(maps_sec.index))
                .map_err(|e| ObjError::Elf { reason: e.to_string() })?;
            for (offset, r) in sec.relocations() {
                let object::RelocationTarget::Symbol(si) = r.target() else {
                    return Err(ObjError::reloc(".maps", offset, "not against a symbol"));
                };
                let target = syms
                    .iter()
                    .find(|(i, _)| *i == si.0)
                    .map(|(_, s)| s)
                    .ok_or_else(|| ObjError::reloc(".maps", offset, format!("symbol {} does not exist", si.0)))?;
                maps::record_slot_init(&mut map_defs, maps_sec.index, offset, target)?;
            }
            maps::finish_slots(btf.as_ref(), &mut map_defs)?;
        }

        // Code sections, programs and subprograms.
        let mut code = Vec::new();
        let mut programs = Vec::new();
        let mut subprograms = Vec::new();
        for s in secs.iter().filter(|s| s.exec && !s.nobits && s.size > 0) {
            let insns = insns_of(&s.name, s.data)?;
            let code_idx = code.len();
            let mut funcs: Vec<Function> = Vec::new();
            for sym in sym_list.iter().filter(|y| y.section == Some(s.index) && y.is_func) {
                if sym.value % INSN_SIZE as u64 != 0 || sym.size % INSN_SIZE as u64 != 0 {
                    return Err(ObjError::Symbol {
                        symbol: sym.name.clone(),
                        reason: format!("offset {} or size {} is not a multiple of 8", sym.value, sym.size),
                    });
                }
                let insn_off = (sym.value / 8) as usize;
                let insn_cnt = (sym.size / 8) as usize;
                if insn_cnt == 0 || insn_off.checked_add(insn_cnt).is_none_or(|end| end > insns.len()) {
                    return Err(ObjError::Symbol {
                        symbol: sym.name.clone(),
                        reason: format!(
                            "instructions [{insn_off}, +{insn_cnt}) outside section {} ({} instructions)",
                            s.name,
                            insns.len()
                        ),
                    });
                }
                funcs.push(Function {
                    name: sym.name.clone(),
                    code: code_idx,
                    insn_off,
                    insn_cnt,
                });
            }
            funcs.sort_by_key(|f| f.insn_off);
            if let Some(w) = funcs.windows(2).find(|w| w[0].insn_off + w[0].insn_cnt > w[1].insn_off) {
                return Err(ObjError::section(
                    &s.name,
                    format!("functions {} and {} overlap", w[0].name, w[1].name),
                ));
            }
            if s.name == ".text" {
                subprograms.extend(funcs);
            } else {
                for f in funcs {
                    let sym = sym_list.iter().find(|y| y.section == Some(s.index) && y.name == f.name);
                    if sym.is_some_and(|y| !y.is_global && !y.is_weak) {
                        return Err(ObjError::Program {
                            program: f.name.clone(),
                            reason: format!("static programs are not supported (section {})", s.name),
                        });
                    }
                    let (section, autoload) = strip_autoload_prefix(&s.name);
                    programs.push(Program {
                        section: section.to_string(),
                        def: section_def(section),
                        autoload,
                        func: f,
                    });
                }
            }
            code.push(CodeSection {
                index: s.index,
                name: s.name.clone(),
                insns,
                relocs: Vec::new(),
            });
        }
        let text_index = secs.iter().find(|s| s.name == ".text").map(|s| s.index);
        // Prog array initializers name entry-point programs.
        for m in &map_defs {
            if let Some((_, name)) = m
                .prog_slots
                .iter()
                .find(|(_, n)| !programs.iter().any(|p| p.name() == n))
            {
                return Err(ObjError::map(&m.name, format!("'{name}' isn't an entry-point program")));
            }
        }

        // Relocations of code sections, classified.
        for cs in code.iter_mut() {
            let sec = file
                .section_by_index(object::SectionIndex(cs.index))
                .map_err(|e| ObjError::Elf { reason: e.to_string() })?;
            for (offset, r) in sec.relocations() {
                let err = |reason: String| ObjError::reloc(&cs.name, offset, reason);
                let object::RelocationTarget::Symbol(si) = r.target() else {
                    return Err(err("not against a symbol".into()));
                };
                let RelocationFlags::Elf { r_type } = r.flags() else {
                    return Err(err("not an ELF relocation".into()));
                };
                let r_type = r_type.0;
                if offset % INSN_SIZE as u64 != 0 {
                    return Err(err("offset is not a multiple of 8".into()));
                }
                let insn_idx = (offset / 8) as usize;
                let Some(&insn) = cs.insns.get(insn_idx) else {
                    return Err(err(format!("past the last of {} instructions", cs.insns.len())));
                };
                let sym = syms
                    .iter()
                    .find(|(i, _)| *i == si.0)
                    .map(|(_, s)| s)
                    .ok_or_else(|| err(format!("symbol {} does not exist", si.0)))?;
                let target = classify(
                    &cs.name, offset, insn, r_type, sym, text_index, &secs, &map_defs, &ext_list,
                )?;
                if matches!(
                    target,
                    RelocTarget::Map { .. }
                        | RelocTarget::Data { .. }
                        | RelocTarget::Extern { .. }
                        | RelocTarget::FuncAddr { .. }
                ) && insn_idx + 1 >= cs.insns.len()
                {
                    return Err(err("ld_imm64 without its second slot".into()));
                }
                cs.relocs.push(Reloc { insn: insn_idx, target });
            }
        }

        Ok(Object {
            name: name.to_string(),
            license,
            kern_version,
            btf,
            btf_raw,
            btf_ext,
            code,
            programs,
            subprograms,
            maps: map_defs,
            externs: ext_list,
        })
    }

    pub fn program(&self, name: &str) -> Option<&Program> {
        self.programs.iter().find(|p| p.name() == name)
    }

    /// The `.text` section's index into [`Object::code`], if any.
    pub(crate) fn text_code(&self) -> Option<usize> {
        self.code.iter().position(|c| c.name == ".text")
    }
}

/// bpf_program__record_reloc(): what a relocation in a code section means.
#[allow(clippy::too_many_arguments)]
fn classify(
    section: &str,
    offset: u64,
    insn: Insn,
    r_type: u32,
    sym: &Sym,
    text_index: Option<usize>,
    secs: &[Sec<'_>],
    maps_list: &[MapDef],
    ext_list: &[Extern],
) -> Result<RelocTarget, ObjError> {
    let err = |reason: String| ObjError::reloc(section, offset, reason);
    let is_call = insn.code == CALL && insn.src == BPF_PSEUDO_CALL;
    let is_ldimm64 = insn.code == LD_IMM64;
    if sym.undefined || sym.section.is_none() {
        let ext = ext_list
            .iter()
            .position(|e| e.name == sym.name)
            .ok_or_else(|| err(format!("symbol {} is undefined and not a known extern", sym.name)))?;
        // As libbpf: a `call` of an extern is a kfunc call, anything else
        // must be an ld_imm64 of its address.
        return match insn.code {
            CALL => Ok(RelocTarget::ExternCall { ext }),
            LD_IMM64 => Ok(RelocTarget::Extern { ext }),
            code => Err(err(format!(
                "invalid relo against extern {} for instruction code {code:#04x}",
                sym.name
            ))),
        };
    }
    let shndx = sym.section.unwrap_or(0);
    let sym_off = u32::try_from(sym.value).map_err(|_| err(format!("symbol offset {} too large", sym.value)))?;
    if is_call {
        if Some(shndx) != text_index {
            return Err(err(format!("call to symbol {} outside .text", sym.name)));
        }
        if sym_off % 8 != 0 {
            return Err(err(format!("call to misaligned offset {sym_off}")));
        }
        return Ok(RelocTarget::Call { sym_off });
    }
    if !is_ldimm64 {
        return Err(err(format!(
            "relocation type {r_type} against {} on instruction {:#04x}, not ld_imm64",
            sym.name, insn.code
        )));
    }
    if Some(shndx) == text_index && (sym.is_func || sym.is_section) {
        return Ok(RelocTarget::FuncAddr { sym_off });
    }
    let sec = secs
        .iter()
        .find(|s| s.index == shndx)
        .ok_or_else(|| err(format!("symbol {} in missing section {shndx}", sym.name)))?;
    if sec.name == ".maps" || sec.name == "maps" {
        let map = maps_list
            .iter()
            .position(|m| m.section_index == Some(shndx) && m.section_offset == sym.value)
            .ok_or_else(|| err(format!("no map at offset {} of {}", sym.value, sec.name)))?;
        return Ok(RelocTarget::Map { map });
    }
    if maps::data_section_kind(&sec.name, sec.nobits).is_some() {
        let map = maps_list
            .iter()
            .position(|m| m.section_index == Some(shndx))
            .ok_or_else(|| err(format!("no map for data section {}", sec.name)))?;
        return Ok(RelocTarget::Data { map, sym_off });
    }
    Err(err(format!(
        "symbol {} is in section {}, which is neither maps nor data",
        sym.name, sec.name
    )))
}
