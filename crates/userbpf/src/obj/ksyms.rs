//! `__ksym` externs resolved against a kernel BTF, as libbpf's
//! bpf_object__resolve_ksyms_btf_id() does: a kfunc (`extern` function)
//! by its FUNC of the same name (without a `___flavor` suffix), a kernel
//! variable by its VAR; the local and kernel types must be compatible
//! (bpf_core_types_are_compat). A weak extern that does not resolve is
//! left unresolved: its ld_imm64 loads 0 and its calls are poisoned.

use super::error::ObjError;
use super::externs::ExternKind;
use super::parse::Object;
use crate::btf::{essential_name, kind, Btf, BtfKind};

/// libbpf's POISON_CALL_KFUNC_BASE: an unresolved weak kfunc's call
/// becomes a call of helper `base + extern index`, which the verifier
/// names ("invalid func unknown#2002000001") if the call is reachable.
pub const POISON_CALL_KFUNC_BASE: i32 = 2_002_000_000;

/// What one extern resolved to: the kernel BTF id of a typed ksym, or
/// None (a `.kconfig` extern, or an unresolved weak ksym: address 0).
pub type KsymIds = Vec<Option<u32>>;

/// btf__find_by_name_kind(): the first type of that exact name and kind.
pub fn find_by_name_kind(btf: &Btf, name: &str, kind_num: u8) -> Option<u32> {
    btf.ids_by_essential_name(essential_name(name))
        .iter()
        .copied()
        .find(|&id| btf.types[id as usize].kind_num() == kind_num && btf.type_name(id) == name)
}

/// The kinds CO-RE treats as one (btf_kind_core_compat): equal, or both
/// enums.
fn kinds_compat(a: u8, b: u8) -> bool {
    let is_enum = |k| k == kind::ENUM || k == kind::ENUM64;
    a == b || (is_enum(a) && is_enum(b))
}

/// bpf_core_types_are_compat(): same shape, modifiers and typedefs
/// skipped; aggregates and enums by kind alone, integers unless
/// bitfield-like, pointers and arrays by what they hold, function
/// prototypes parameter by parameter then the return type.
pub fn types_are_compat(local: &Btf, local_id: u32, target: &Btf, target_id: u32, level: u32) -> Result<bool, String> {
    let kind_of = |b: &Btf, id: u32| b.get(id).map(|t| t.kind_num()).map_err(|e| e.to_string());
    if !kinds_compat(kind_of(local, local_id)?, kind_of(target, target_id)?) {
        return Ok(false);
    }
    let (mut l, mut t) = (local_id, target_id);
    for _ in 0..32 {
        l = local.skip_mods_and_typedefs(l).map_err(|e| e.to_string())?;
        t = target.skip_mods_and_typedefs(t).map_err(|e| e.to_string())?;
        let (lt, tt) = (
            local.get(l).map_err(|e| e.to_string())?,
            target.get(t).map_err(|e| e.to_string())?,
        );
        if !kinds_compat(lt.kind_num(), tt.kind_num()) {
            return Ok(false);
        }
        match (&lt.kind, &tt.kind) {
            (BtfKind::Int { offset: lo, .. }, BtfKind::Int { offset: to, .. }) => return Ok(*lo == 0 && *to == 0),
            (BtfKind::Ptr { type_id: a }, BtfKind::Ptr { type_id: b }) => (l, t) = (*a, *b),
            (BtfKind::Array { elem_type: a, .. }, BtfKind::Array { elem_type: b, .. }) => (l, t) = (*a, *b),
            (
                BtfKind::FuncProto {
                    ret_type: lr,
                    params: lp,
                },
                BtfKind::FuncProto {
                    ret_type: tr,
                    params: tp,
                },
            ) => {
                if lp.len() != tp.len() {
                    return Ok(false);
                }
                for (a, b) in lp.iter().zip(tp) {
                    if level == 0 {
                        return Err("types nest too deeply".into());
                    }
                    let a = local.skip_mods_and_typedefs(a.type_id).map_err(|e| e.to_string())?;
                    let b = target.skip_mods_and_typedefs(b.type_id).map_err(|e| e.to_string())?;
                    if !types_are_compat(local, a, target, b, level - 1)? {
                        return Ok(false);
                    }
                }
                (l, t) = (*lr, *tr);
            }
            // Void, structs, unions, enums, forward declarations.
            _ => return Ok(true),
        }
    }
    Err("types nest too deeply".into())
}

/// Resolves every `__ksym` extern of `obj` against `kernel` (None: no
/// kernel BTF, which only an object without typed ksyms can do without).
pub fn resolve_ksyms(obj: &Object, kernel: Option<&Btf>) -> Result<KsymIds, ObjError> {
    let mut out = Vec::with_capacity(obj.externs.len());
    for e in &obj.externs {
        let err = |reason: String| ObjError::Extern {
            name: e.name.clone(),
            reason,
        };
        let ExternKind::Ksym { func, type_id } = e.kind else {
            out.push(None);
            continue;
        };
        // A typeless ksym (`extern const void x __ksym`) is an address
        // from kallsyms, which userbpf has none of for kernel symbols.
        if type_id == 0 && !func {
            if e.weak {
                out.push(None);
                continue;
            }
            return Err(err(
                "typeless ksym (void type): its address comes from /proc/kallsyms, which userbpf does not model".into(),
            ));
        }
        let local = obj.btf.as_ref().ok_or_else(|| err("externs need BTF".into()))?;
        let kernel = kernel.ok_or_else(|| {
            err("__ksym externs resolve against a kernel BTF, and none was given (Config::kernel_btf)".into())
        })?;
        let (what, name, kind_num) = if func {
            ("func ksym", essential_name(&e.name), kind::FUNC)
        } else {
            ("var ksym", e.name.as_str(), kind::VAR)
        };
        let Some(id) = find_by_name_kind(kernel, name, kind_num) else {
            if e.weak {
                out.push(None);
                continue;
            }
            return Err(err(format!("{what} not found in kernel BTF")));
        };
        let target_type = match kernel.get(id).map(|t| &t.kind) {
            Ok(BtfKind::Func { type_id, .. }) => *type_id,
            Ok(BtfKind::Var { type_id, .. }) => kernel.skip_mods_and_typedefs(*type_id)?,
            _ => return Err(err(format!("kernel BTF [{id}] is not a FUNC or VAR"))),
        };
        if !types_are_compat(local, type_id, kernel, target_type, 32).map_err(&err)? {
            if func && e.weak {
                out.push(None);
                continue;
            }
            return Err(err(format!(
                "{what}: local type [{type_id}] is incompatible with the kernel's [{target_type}]"
            )));
        }
        out.push(Some(id));
    }
    Ok(out)
}
