//! Relocation, as explicit passes over the object's code sections:
//!
//! 1. `apply_core`: CO-RE records rewrite offsets and constants for the
//!    target BTF;
//! 2. [`apply_map_relocs`]: ld_imm64 of maps become BPF_PSEUDO_MAP_FD,
//!    global data and `.kconfig` externs BPF_PSEUDO_MAP_VALUE (map fd,
//!    value offset in the second slot); [`apply_ksym_relocs`]: kfunc calls
//!    become BPF_PSEUDO_KFUNC_CALL and typed `__ksym` ld_imm64
//!    BPF_PSEUDO_BTF_ID, with the kernel BTF ids they resolved to;
//! 3. [`link_program`]: a program gets the `.text` subprograms it reaches
//!    appended (depth first, in the order libbpf appends them) and its
//!    calls and function pointers (BPF_PSEUDO_FUNC) pointed at them; its
//!    func_info and line_info follow the code.

use super::core::{calc_relo, patch_insn};
use super::error::ObjError;
use super::externs::ExternKind;
use super::ksyms::POISON_CALL_KFUNC_BASE;
use super::parse::{Object, Program, RelocTarget, CALL};
use crate::btf::{Btf, FuncInfo, LineInfo};
use crate::isa::opcode::{
    BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD,
    BPF_PSEUDO_MAP_VALUE, LD_IMM64,
};
use crate::isa::Insn;

/// The name of the function containing instruction `insn` of a section.
fn function_at(obj: &Object, code: usize, insn: usize) -> String {
    obj.programs
        .iter()
        .map(|p| &p.func)
        .chain(obj.subprograms.iter())
        .find(|f| f.code == code && insn >= f.insn_off && insn < f.insn_off + f.insn_cnt)
        .map(|f| f.name.clone())
        .unwrap_or_else(|| obj.code.get(code).map(|c| c.name.clone()).unwrap_or_default())
}

/// Whether any section has CO-RE relocations.
pub fn has_core_relos(obj: &Object) -> bool {
    obj.btf_ext
        .as_ref()
        .is_some_and(|e| e.core_relos.iter().any(|s| !s.records.is_empty()))
}

/// Pass 1: CO-RE relocations against `target`.
pub(crate) fn apply_core(obj: &Object, code: &mut [Vec<Insn>], target: &Btf) -> Result<(), ObjError> {
    let (Some(local), Some(ext)) = (&obj.btf, &obj.btf_ext) else {
        return Ok(());
    };
    for (ci, cs) in obj.code.iter().enumerate() {
        for (index, relo) in ext.core_relos_for(&cs.name).iter().enumerate() {
            let insn = (relo.insn_off / 8) as usize;
            let err = |reason: String| ObjError::Core {
                program: function_at(obj, ci, insn),
                index,
                insn,
                reason,
            };
            if relo.insn_off % 8 != 0 || insn >= code[ci].len() {
                return Err(err(format!("instruction offset {} outside the section", relo.insn_off)));
            }
            let res = calc_relo(local, target, relo).map_err(err)?;
            patch_insn(&mut code[ci], insn, &res, relo.kind).map_err(err)?;
        }
    }
    Ok(())
}

/// Pass 2: map, global data and extern references, given the fd of each
/// of the object's maps.
pub fn apply_map_relocs(obj: &Object, code: &mut [Vec<Insn>], map_fds: &[u32]) -> Result<(), ObjError> {
    let kconfig_map = obj.maps.iter().position(|m| {
        matches!(
            m.origin,
            super::maps::MapOrigin::Data {
                kind: super::maps::DataKind::Kconfig,
                ..
            }
        )
    });
    for (ci, cs) in obj.code.iter().enumerate() {
        for r in &cs.relocs {
            let insns = &mut code[ci];
            let (i, n) = (r.insn, r.insn + 1);
            if n >= insns.len() && !matches!(r.target, RelocTarget::Call { .. }) {
                return Err(ObjError::reloc(
                    &cs.name,
                    i as u64 * 8,
                    "ld_imm64 without its second slot",
                ));
            }
            let fd_of = |map: usize| -> Result<i32, ObjError> {
                map_fds
                    .get(map)
                    .map(|&fd| fd as i32)
                    .ok_or_else(|| ObjError::reloc(&cs.name, i as u64 * 8, format!("map {map} was not created")))
            };
            match r.target {
                RelocTarget::Map { map } => {
                    insns[i].src = BPF_PSEUDO_MAP_FD;
                    insns[i].imm = fd_of(map)?;
                }
                RelocTarget::Data { map, sym_off } => {
                    let off = insns[i].imm.wrapping_add(sym_off as i32);
                    insns[i].src = BPF_PSEUDO_MAP_VALUE;
                    insns[i].imm = fd_of(map)?;
                    insns[n].imm = off;
                }
                RelocTarget::Extern { ext } => {
                    let e = obj
                        .externs
                        .get(ext)
                        .ok_or_else(|| ObjError::reloc(&cs.name, i as u64 * 8, "extern out of range"))?;
                    match e.kind {
                        ExternKind::Kcfg { data_off, .. } => {
                            let map = kconfig_map.ok_or_else(|| ObjError::Extern {
                                name: e.name.clone(),
                                reason: "no .kconfig map".into(),
                            })?;
                            insns[i].src = BPF_PSEUDO_MAP_VALUE;
                            insns[i].imm = fd_of(map)?;
                            insns[n].imm = data_off as i32;
                        }
                        // Pass 2b, with the kernel's BTF ids.
                        ExternKind::Ksym { .. } => {}
                    }
                }
                RelocTarget::Call { .. } | RelocTarget::FuncAddr { .. } | RelocTarget::ExternCall { .. } => {}
            }
        }
    }
    Ok(())
}

/// Pass 2b (bpf_object__relocate_data's extern cases): given the kernel
/// BTF id each extern resolved to ([`super::ksyms::resolve_ksyms`]),
/// a kfunc call gets BPF_PSEUDO_KFUNC_CALL, the id in imm and 0 (vmlinux)
/// in off, or, unresolved (weak), becomes a call of the poison helper
/// id; a `__ksym` ld_imm64 gets BPF_PSEUDO_BTF_ID and the id, or,
/// unresolved, the address 0.
pub fn apply_ksym_relocs(obj: &Object, code: &mut [Vec<Insn>], ksyms: &[Option<u32>]) -> Result<(), ObjError> {
    for (ci, cs) in obj.code.iter().enumerate() {
        for r in &cs.relocs {
            let (RelocTarget::Extern { ext } | RelocTarget::ExternCall { ext }) = r.target else {
                continue;
            };
            let e = obj
                .externs
                .get(ext)
                .ok_or_else(|| ObjError::reloc(&cs.name, r.insn as u64 * 8, "extern out of range"))?;
            if !matches!(e.kind, ExternKind::Ksym { .. }) {
                continue;
            }
            let id = ksyms.get(ext).copied().flatten();
            let insns = &mut code[ci];
            let i = r.insn;
            if matches!(r.target, RelocTarget::ExternCall { .. }) {
                insns[i] = match id {
                    Some(id) => Insn::new(CALL, 0, BPF_PSEUDO_KFUNC_CALL, 0, id as i32),
                    None => Insn::new(CALL, 0, 0, 0, POISON_CALL_KFUNC_BASE + ext as i32),
                };
                continue;
            }
            let n = i + 1;
            if n >= insns.len() {
                return Err(ObjError::reloc(
                    &cs.name,
                    i as u64 * 8,
                    "ld_imm64 without its second slot",
                ));
            }
            match id {
                Some(id) => {
                    insns[i].src = BPF_PSEUDO_BTF_ID;
                    insns[i].imm = id as i32;
                    insns[n].imm = 0;
                }
                None => {
                    insns[i].imm = 0;
                    insns[n].imm = 0;
                }
            }
        }
    }
    Ok(())
}

/// A program ready for BPF_PROG_LOAD.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkedProgram {
    pub insns: Vec<Insn>,
    /// func_info and line_info with instruction offsets in `insns`.
    pub func_info: Vec<FuncInfo>,
    pub line_info: Vec<LineInfo>,
}

/// The state of one program's linking: where each subprogram went.
struct Linker<'a> {
    obj: &'a Object,
    code: &'a [Vec<Insn>],
    text: Option<usize>,
    out: LinkedProgram,
    /// Start of each appended `.text` subprogram (by index in obj.subprograms).
    placed: Vec<Option<usize>>,
    prog_name: &'a str,
    /// How many subprograms deep the first-discovery chain is.
    depth: usize,
}

/// Deeper first-discovery chains than this are refused (the kernel
/// allows 8 call frames, so a loadable program never nears it).
const MAX_LINK_DEPTH: usize = 64;

impl Linker<'_> {
    fn err(&self, reason: String) -> ObjError {
        ObjError::Program {
            program: self.prog_name.to_string(),
            reason,
        }
    }

    /// Appends the function's code and its func/line info, then fixes its
    /// calls (appending callees first, depth first).
    fn append(&mut self, code_idx: usize, insn_off: usize, insn_cnt: usize) -> Result<usize, ObjError> {
        let start = self.out.insns.len();
        let section = &self.code[code_idx];
        let body = section
            .get(insn_off..insn_off + insn_cnt)
            .ok_or_else(|| self.err(format!("function [{insn_off}, +{insn_cnt}) outside its section")))?;
        self.out.insns.extend_from_slice(body);
        if let Some(ext) = &self.obj.btf_ext {
            let name = &self.obj.code[code_idx].name;
            let in_range = |off: u32| {
                let i = (off / 8) as usize;
                (insn_off..insn_off + insn_cnt).contains(&i)
            };
            for f in ext.func_info_for(name).iter().filter(|f| in_range(f.insn_off)) {
                self.out.func_info.push(FuncInfo {
                    insn_off: (start + f.insn_off as usize / 8 - insn_off) as u32,
                    type_id: f.type_id,
                });
            }
            for l in ext.line_info_for(name).iter().filter(|l| in_range(l.insn_off)) {
                self.out.line_info.push(LineInfo {
                    insn_off: (start + l.insn_off as usize / 8 - insn_off) as u32,
                    ..*l
                });
            }
        }
        self.fix_calls(code_idx, insn_off, insn_cnt, start)?;
        Ok(start)
    }

    /// bpf_object__reloc_code(): every call and function pointer in the
    /// function placed at `start`.
    fn fix_calls(&mut self, code_idx: usize, insn_off: usize, insn_cnt: usize, start: usize) -> Result<(), ObjError> {
        for k in 0..insn_cnt {
            let sec_idx = insn_off + k;
            let insn = self.out.insns[start + k];
            let is_call = insn.code == CALL && insn.src == BPF_PSEUDO_CALL;
            let relo = self.obj.code[code_idx]
                .relocs
                .iter()
                .find(|r| r.insn == sec_idx)
                .map(|r| r.target);
            let is_func_ptr = insn.code == LD_IMM64
                && (insn.src == BPF_PSEUDO_FUNC || matches!(relo, Some(RelocTarget::FuncAddr { .. })));
            if !is_call && !is_func_ptr {
                continue;
            }
            let target_idx: i64 = match relo {
                Some(RelocTarget::Call { sym_off }) => sym_off as i64 / 8 + insn.imm as i64 + 1,
                Some(RelocTarget::FuncAddr { sym_off }) => (sym_off as i64 + insn.imm as i64) / 8,
                Some(_) => continue,
                None if Some(code_idx) == self.text => sec_idx as i64 + insn.imm as i64 + 1,
                None => {
                    return Err(self.err(format!(
                        "call at instruction {sec_idx} of {} has no relocation and is outside .text",
                        self.obj.code[code_idx].name
                    )))
                }
            };
            let text = self
                .text
                .ok_or_else(|| self.err("call into .text, but there is no .text".into()))?;
            let sub = self
                .obj
                .subprograms
                .iter()
                .position(|f| f.code == text && f.insn_off as i64 == target_idx)
                .ok_or_else(|| self.err(format!("call target {target_idx} is not the start of a .text function")))?;
            let placed = match self.placed[sub] {
                Some(p) => p,
                None => {
                    let f = &self.obj.subprograms[sub];
                    let (off, cnt) = (f.insn_off, f.insn_cnt);
                    if self.depth >= MAX_LINK_DEPTH {
                        return Err(self.err(format!("subprogram calls nest deeper than {MAX_LINK_DEPTH}")));
                    }
                    // Reserve the slot before recursing (recursive calls).
                    self.placed[sub] = Some(self.out.insns.len());
                    self.depth += 1;
                    let placed = self.append(text, off, cnt);
                    self.depth -= 1;
                    placed?
                }
            };
            let rel = placed as i64 - (start + k) as i64 - 1;
            let slot = &mut self.out.insns[start + k];
            slot.imm = i32::try_from(rel).map_err(|_| ObjError::Program {
                program: self.prog_name.to_string(),
                reason: "call offset overflows".into(),
            })?;
            if is_func_ptr {
                slot.src = BPF_PSEUDO_FUNC;
            }
        }
        Ok(())
    }
}

/// Pass 3: the program's instructions with its subprograms appended.
pub fn link_program(obj: &Object, code: &[Vec<Insn>], prog: &Program) -> Result<LinkedProgram, ObjError> {
    let mut l = Linker {
        obj,
        code,
        text: obj.text_code(),
        out: LinkedProgram::default(),
        placed: vec![None; obj.subprograms.len()],
        prog_name: prog.name(),
        depth: 0,
    };
    l.append(prog.func.code, prog.func.insn_off, prog.func.insn_cnt)?;
    Ok(l.out)
}
