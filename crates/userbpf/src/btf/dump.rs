//! The raw text of `bpftool btf dump file X` (format raw): one line per
//! type, members indented by a tab.

use std::fmt::Write;

use super::types::{int_encoding, BtfKind};
use super::Btf;

fn quoted(btf: &Btf, off: u32) -> String {
    match btf.name(off) {
        Ok("") => "'(anon)'".to_string(),
        Ok(s) => format!("'{s}'"),
        Err(_) => "'(invalid)'".to_string(),
    }
}

fn int_encoding_name(e: u8) -> &'static str {
    match e {
        0 => "(none)",
        int_encoding::SIGNED => "SIGNED",
        int_encoding::CHAR => "CHAR",
        int_encoding::BOOL => "BOOL",
        _ => "UNKN",
    }
}

/// The text of one type, without the trailing newline.
pub(crate) fn dump_type(btf: &Btf, id: u32) -> String {
    let Some(t) = btf.types.get(id as usize) else {
        return format!("[{id}] UNKNOWN");
    };
    let mut s = format!("[{id}] {} {}", t.kind_name(), quoted(btf, t.name_off));
    let w = &mut s;
    // Writing into a String can't fail.
    let _ = match &t.kind {
        BtfKind::Void => Ok(()),
        BtfKind::Int {
            size,
            encoding,
            offset,
            bits,
        } => write!(
            w,
            " size={size} bits_offset={offset} nr_bits={bits} encoding={}",
            int_encoding_name(*encoding)
        ),
        BtfKind::Ptr { type_id }
        | BtfKind::Typedef { type_id }
        | BtfKind::Volatile { type_id }
        | BtfKind::Const { type_id }
        | BtfKind::Restrict { type_id }
        | BtfKind::TypeTag { type_id } => write!(w, " type_id={type_id}"),
        BtfKind::Array {
            elem_type,
            index_type,
            nelems,
        } => write!(w, " type_id={elem_type} index_type_id={index_type} nr_elems={nelems}"),
        BtfKind::Struct { size, members } | BtfKind::Union { size, members } => {
            let _ = write!(w, " size={size} vlen={}", members.len());
            for m in members {
                let _ = write!(
                    w,
                    "\n\t{} type_id={} bits_offset={}",
                    quoted(btf, m.name_off),
                    m.type_id,
                    m.bit_offset
                );
                if m.bitfield_size != 0 {
                    let _ = write!(w, " bitfield_size={}", m.bitfield_size);
                }
            }
            Ok(())
        }
        BtfKind::Enum { size, signed, values } | BtfKind::Enum64 { size, signed, values } => {
            let wide = matches!(t.kind, BtfKind::Enum64 { .. });
            let enc = if *signed { "SIGNED" } else { "UNSIGNED" };
            let _ = write!(w, " encoding={enc} size={size} vlen={}", values.len());
            for v in values {
                let val = match (wide, *signed) {
                    (false, true) => format!("{}", v.value as i32),
                    (false, false) => format!("{}", v.value as u32),
                    (true, true) => format!("{}LL", v.value),
                    (true, false) => format!("{}ULL", v.value as u64),
                };
                let _ = write!(w, "\n\t{} val={val}", quoted(btf, v.name_off));
            }
            Ok(())
        }
        BtfKind::Fwd { is_union } => write!(w, " fwd_kind={}", if *is_union { "union" } else { "struct" }),
        BtfKind::Func { type_id, linkage } => write!(w, " type_id={type_id} linkage={}", linkage.name()),
        BtfKind::FuncProto { ret_type, params } => {
            let _ = write!(w, " ret_type_id={ret_type} vlen={}", params.len());
            for p in params {
                let _ = write!(w, "\n\t{} type_id={}", quoted(btf, p.name_off), p.type_id);
            }
            Ok(())
        }
        BtfKind::Var { type_id, linkage } => write!(w, " type_id={type_id}, linkage={}", linkage.name()),
        BtfKind::Datasec { size, vars } => {
            let _ = write!(w, " size={size} vlen={}", vars.len());
            for v in vars {
                let (kind, name) = match btf.types.get(v.type_id as usize) {
                    Some(vt) => (vt.kind_name(), quoted(btf, vt.name_off)),
                    None => ("UNKNOWN", "'(invalid)'".to_string()),
                };
                let _ = write!(
                    w,
                    "\n\ttype_id={} offset={} size={} ({kind} {name})",
                    v.type_id, v.offset, v.size
                );
            }
            Ok(())
        }
        BtfKind::Float { size } => write!(w, " size={size}"),
        BtfKind::DeclTag { type_id, component_idx } => {
            write!(w, " type_id={type_id} component_idx={component_idx}")
        }
    };
    s
}

/// Every type, one per line, as bpftool prints them.
pub fn dump_raw(btf: &Btf) -> String {
    let mut out = String::new();
    for id in 1..btf.types.len() as u32 {
        out.push_str(&dump_type(btf, id));
        out.push('\n');
    }
    out
}
