//! Externs: `extern ... __kconfig` variables (laid out in a `.kconfig`
//! map as libbpf lays them out, values from a kernel config), and
//! `__ksym` externs (kfuncs and kernel variables), which [`super::ksyms`]
//! resolves against a kernel BTF.

use std::collections::HashMap;

use super::error::ObjError;
use super::maps::{kconfig_map_def, MapDef};
use super::parse::Sym;
use crate::btf::{types::int_encoding, Btf, BtfKind, Linkage};

/// Largest `.kconfig` area accepted (config strings are short).
const MAX_KCONFIG_SIZE: u32 = 1 << 16;

/// How a `.kconfig` value is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KcfgType {
    Bool,
    Char,
    Tristate,
    Int { signed: bool },
    CharArray,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExternKind {
    /// A `.kconfig` variable at `data_off` in the kconfig map.
    Kcfg {
        ty: KcfgType,
        size: u32,
        align: u32,
        data_off: u32,
    },
    /// A `.ksyms` variable or function (kernel symbol by BTF id): a
    /// function's FUNC_PROTO, or a variable's type past modifiers and
    /// typedefs (0: `void`, a typeless ksym that only kallsyms resolves).
    Ksym { func: bool, type_id: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extern {
    pub name: String,
    pub weak: bool,
    pub kind: ExternKind,
}

impl Extern {
    /// A `__ksym` extern (kfunc or kernel variable).
    pub fn is_ksym(&self) -> bool {
        matches!(self.kind, ExternKind::Ksym { .. })
    }
}

/// find_kcfg_type(): the storage class of a kconfig variable's type.
fn kcfg_type(btf: &Btf, type_id: u32, name: &str) -> Result<(KcfgType, u32, u32), ObjError> {
    let bad = |why: &str| ObjError::Extern {
        name: name.to_string(),
        reason: format!("unsupported .kconfig type: {why}"),
    };
    let id = btf.skip_mods_and_typedefs(type_id)?;
    let t = btf.get(id)?;
    match &t.kind {
        BtfKind::Int { size, encoding, .. } => {
            if encoding & int_encoding::BOOL != 0 {
                return if *size == 1 {
                    Ok((KcfgType::Bool, 1, 1))
                } else {
                    Err(bad("bool wider than a byte"))
                };
            }
            if *size == 1 {
                return Ok((KcfgType::Char, 1, 1));
            }
            if !matches!(size, 2 | 4 | 8) {
                return Err(bad("integer size"));
            }
            Ok((
                KcfgType::Int {
                    signed: encoding & int_encoding::SIGNED != 0,
                },
                *size,
                *size,
            ))
        }
        BtfKind::Enum { size, .. } if btf.name(t.name_off)? == "libbpf_tristate" => {
            Ok((KcfgType::Tristate, *size, *size))
        }
        BtfKind::Array { elem_type, nelems, .. } => {
            let (elem, _, _) = kcfg_type(btf, *elem_type, name)?;
            if elem != KcfgType::Char || *nelems == 0 {
                return Err(bad("array of non-char"));
            }
            Ok((KcfgType::CharArray, *nelems, 1))
        }
        _ => Err(bad(t.kind_name())),
    }
}

/// bpf_object__collect_externs(): every undefined symbol, typed by its
/// BTF VAR, kconfig ones laid out by libbpf's order (alignment down,
/// then size up, then name).
pub(crate) fn collect(btf: Option<&Btf>, syms: &[Sym]) -> Result<Vec<Extern>, ObjError> {
    let undefined: Vec<&Sym> = syms
        .iter()
        .filter(|s| s.undefined && !s.name.is_empty() && (s.is_global || s.is_weak))
        .collect();
    if undefined.is_empty() {
        return Ok(Vec::new());
    }
    let btf = btf.ok_or_else(|| ObjError::Extern {
        name: undefined[0].name.clone(),
        reason: "externs need BTF".into(),
    })?;
    let sec_of = |id: u32| -> Option<String> {
        btf.types.iter().find_map(|t| match &t.kind {
            BtfKind::Datasec { vars, .. } if vars.iter().any(|v| v.type_id == id) => {
                btf.name(t.name_off).ok().map(str::to_string)
            }
            _ => None,
        })
    };
    let mut out = Vec::new();
    for s in undefined {
        let id = btf
            .types
            .iter()
            .position(|t| {
                matches!(
                    t.kind,
                    BtfKind::Var {
                        linkage: Linkage::Extern,
                        ..
                    } | BtfKind::Func {
                        linkage: Linkage::Extern,
                        ..
                    }
                ) && btf.name(t.name_off).ok() == Some(s.name.as_str())
            })
            .ok_or_else(|| ObjError::Extern {
                name: s.name.clone(),
                reason: "no extern VAR or FUNC of that name in BTF".into(),
            })? as u32;
        let kind = match (&btf.types[id as usize].kind, sec_of(id).as_deref()) {
            (BtfKind::Var { type_id, .. }, Some(".kconfig")) => {
                let (ty, size, align) = kcfg_type(btf, *type_id, &s.name)?;
                ExternKind::Kcfg {
                    ty,
                    size,
                    align,
                    data_off: 0,
                }
            }
            (BtfKind::Var { type_id, .. }, _) => ExternKind::Ksym {
                func: false,
                type_id: btf.skip_mods_and_typedefs(*type_id)?,
            },
            (BtfKind::Func { type_id, .. }, _) => ExternKind::Ksym {
                func: true,
                type_id: *type_id,
            },
            _ => {
                return Err(ObjError::Extern {
                    name: s.name.clone(),
                    reason: "a .kconfig extern that is not a VAR".into(),
                })
            }
        };
        out.push(Extern {
            name: s.name.clone(),
            weak: s.is_weak,
            kind,
        });
    }
    // libbpf's order: kconfig first, by alignment down, size up, name.
    out.sort_by(|a, b| {
        let key = |e: &Extern| match e.kind {
            ExternKind::Kcfg { size, align, .. } => (0u8, u32::MAX - align, size),
            ExternKind::Ksym { .. } => (1, 0, 0),
        };
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    let mut off = 0u32;
    for e in out.iter_mut() {
        if let ExternKind::Kcfg {
            size, align, data_off, ..
        } = &mut e.kind
        {
            let placed = off
                .div_ceil((*align).max(1))
                .checked_mul((*align).max(1))
                .and_then(|start| Some((start, start.checked_add(*size)?)))
                .filter(|&(_, end)| end <= MAX_KCONFIG_SIZE);
            let Some((start, end)) = placed else {
                return Err(ObjError::Extern {
                    name: e.name.clone(),
                    reason: format!("the .kconfig area would pass {MAX_KCONFIG_SIZE} bytes"),
                });
            };
            *data_off = start;
            off = end;
        }
    }
    Ok(out)
}

/// The `.kconfig` map, if any extern lives there.
pub(crate) fn kconfig_map(obj_name: &str, externs: &[Extern]) -> Option<MapDef> {
    let end = externs
        .iter()
        .filter_map(|e| match e.kind {
            ExternKind::Kcfg { size, data_off, .. } => Some(data_off + size),
            ExternKind::Ksym { .. } => None,
        })
        .max()?;
    Some(kconfig_map_def(obj_name, end))
}

/// Values for `.kconfig` externs: a kernel config (`CONFIG_X=y`) and the
/// kernel version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Kconfig {
    pub values: HashMap<String, String>,
    /// LINUX_KERNEL_VERSION (KERNEL_VERSION(a, b, c)).
    pub linux_kernel_version: Option<u32>,
}

impl Kconfig {
    /// Parses `.config` text: `CONFIG_X=value` lines; comments ignored.
    pub fn parse(text: &str) -> Kconfig {
        let values = text
            .lines()
            .filter(|l| l.starts_with("CONFIG_"))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Kconfig {
            values,
            linux_kernel_version: None,
        }
    }

    /// KERNEL_VERSION() of a release string like "6.18.0-rc1" (the patch
    /// level saturates at 255).
    pub fn version_code(release: &str) -> Option<u32> {
        let mut parts = release.split(|c: char| !c.is_ascii_digit());
        let major: u32 = parts.next()?.parse().ok()?;
        let minor: u32 = parts.next()?.parse().ok()?;
        let patch: u32 = parts.next().and_then(|p| p.parse().ok()).unwrap_or(0);
        Some((major << 16) | (minor.min(255) << 8) | patch.min(255))
    }
}

fn parse_int(s: &str) -> Option<i128> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => i128::from_str_radix(h, 16).ok()?,
        None => s.parse::<i128>().ok()?,
    };
    Some(if neg { -v } else { v })
}

/// The bytes of the `.kconfig` map's value.
pub fn kconfig_value(externs: &[Extern], size: u32, kconfig: &Kconfig) -> Result<Vec<u8>, ObjError> {
    let mut data = vec![0u8; size as usize];
    for e in externs {
        let ExternKind::Kcfg { ty, size, data_off, .. } = e.kind else {
            continue;
        };
        let bad = |reason: String| ObjError::Extern {
            name: e.name.clone(),
            reason,
        };
        let raw: Option<String> = if e.name == "LINUX_KERNEL_VERSION" {
            kconfig.linux_kernel_version.map(|v| v.to_string())
        } else if e.name.starts_with("CONFIG_") {
            kconfig.values.get(&e.name).cloned()
        } else {
            return Err(bad(
                "unknown .kconfig extern (only CONFIG_* and LINUX_KERNEL_VERSION)".into()
            ));
        };
        let Some(raw) = raw else {
            if e.weak {
                continue;
            }
            return Err(bad("value not found in the kernel config".into()));
        };
        let bytes: Vec<u8> = match ty {
            KcfgType::Bool => match raw.as_str() {
                "y" => vec![1],
                "n" => vec![0],
                other => return Err(bad(format!("value {other:?} for a bool"))),
            },
            KcfgType::Tristate => {
                let v: u32 = match raw.as_str() {
                    "y" => 1,
                    "n" => 0,
                    "m" => 2,
                    other => return Err(bad(format!("value {other:?} for a tristate"))),
                };
                (v as u64).to_le_bytes()[..(size as usize).min(8)].to_vec()
            }
            KcfgType::Char => match raw.as_str() {
                "y" | "n" | "m" => vec![raw.as_bytes()[0]],
                other => return Err(bad(format!("value {other:?} for a char"))),
            },
            KcfgType::Int { .. } => {
                let v = parse_int(&raw).ok_or_else(|| bad(format!("value {raw:?} is not a number")))?;
                let b = (v as i64).to_le_bytes();
                b[..size as usize].to_vec()
            }
            KcfgType::CharArray => {
                let s = raw
                    .strip_prefix('"')
                    .and_then(|r| r.strip_suffix('"'))
                    .ok_or_else(|| bad(format!("value {raw:?} is not a string")))?;
                let mut v = s.as_bytes().to_vec();
                v.truncate(size as usize - 1);
                v
            }
        };
        let start = data_off as usize;
        let dst = data
            .get_mut(start..start + bytes.len())
            .ok_or_else(|| bad(format!("offset {start} outside the {size}-byte .kconfig map")))?;
        dst.copy_from_slice(&bytes);
    }
    Ok(data)
}
