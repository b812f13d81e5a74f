//! The BTF type model: one [`BtfType`] per type id (id 0 is void), each
//! with its kind-specific data, as `include/uapi/linux/btf.h` lays them out.

/// BTF_KIND_* numbers.
pub mod kind {
    pub const UNKN: u8 = 0;
    pub const INT: u8 = 1;
    pub const PTR: u8 = 2;
    pub const ARRAY: u8 = 3;
    pub const STRUCT: u8 = 4;
    pub const UNION: u8 = 5;
    pub const ENUM: u8 = 6;
    pub const FWD: u8 = 7;
    pub const TYPEDEF: u8 = 8;
    pub const VOLATILE: u8 = 9;
    pub const CONST: u8 = 10;
    pub const RESTRICT: u8 = 11;
    pub const FUNC: u8 = 12;
    pub const FUNC_PROTO: u8 = 13;
    pub const VAR: u8 = 14;
    pub const DATASEC: u8 = 15;
    pub const FLOAT: u8 = 16;
    pub const DECL_TAG: u8 = 17;
    pub const TYPE_TAG: u8 = 18;
    pub const ENUM64: u8 = 19;
    pub const MAX: u8 = ENUM64;
}

/// BTF_INT_* encoding bits.
pub mod int_encoding {
    pub const SIGNED: u8 = 1 << 0;
    pub const CHAR: u8 = 1 << 1;
    pub const BOOL: u8 = 1 << 2;
}

/// A struct or union member. With the kind flag, `bit_offset` and
/// `bitfield_size` come from the packed offset field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Member {
    pub name_off: u32,
    pub type_id: u32,
    pub bit_offset: u32,
    pub bitfield_size: u32,
}

/// One enumerator (ENUM values are widened to i64 as their signedness says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Enumerator {
    pub name_off: u32,
    pub value: i64,
}

/// A function prototype's parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Param {
    pub name_off: u32,
    pub type_id: u32,
}

/// One variable of a DATASEC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarSecInfo {
    pub type_id: u32,
    pub offset: u32,
    pub size: u32,
}

/// Linkage of a FUNC or VAR (btf_func_linkage / btf_var_linkage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Linkage {
    Static,
    Global,
    Extern,
}

impl Linkage {
    pub fn from_raw(v: u32) -> Option<Linkage> {
        match v {
            0 => Some(Linkage::Static),
            1 => Some(Linkage::Global),
            2 => Some(Linkage::Extern),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Linkage::Static => "static",
            Linkage::Global => "global",
            Linkage::Extern => "extern",
        }
    }
}

/// The kind-specific part of a type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BtfKind {
    /// Type id 0.
    Void,
    Int {
        size: u32,
        encoding: u8,
        offset: u8,
        bits: u8,
    },
    Ptr {
        type_id: u32,
    },
    Array {
        elem_type: u32,
        index_type: u32,
        nelems: u32,
    },
    Struct {
        size: u32,
        members: Vec<Member>,
    },
    Union {
        size: u32,
        members: Vec<Member>,
    },
    Enum {
        size: u32,
        signed: bool,
        values: Vec<Enumerator>,
    },
    Fwd {
        is_union: bool,
    },
    Typedef {
        type_id: u32,
    },
    Volatile {
        type_id: u32,
    },
    Const {
        type_id: u32,
    },
    Restrict {
        type_id: u32,
    },
    Func {
        type_id: u32,
        linkage: Linkage,
    },
    FuncProto {
        ret_type: u32,
        params: Vec<Param>,
    },
    Var {
        type_id: u32,
        linkage: Linkage,
    },
    Datasec {
        size: u32,
        vars: Vec<VarSecInfo>,
    },
    Float {
        size: u32,
    },
    DeclTag {
        type_id: u32,
        component_idx: i32,
    },
    TypeTag {
        type_id: u32,
    },
    Enum64 {
        size: u32,
        signed: bool,
        values: Vec<Enumerator>,
    },
}

/// One type: its name (an offset into the string section) and kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BtfType {
    pub name_off: u32,
    pub kind: BtfKind,
}

impl BtfType {
    /// The BTF_KIND_* number.
    pub fn kind_num(&self) -> u8 {
        match &self.kind {
            BtfKind::Void => kind::UNKN,
            BtfKind::Int { .. } => kind::INT,
            BtfKind::Ptr { .. } => kind::PTR,
            BtfKind::Array { .. } => kind::ARRAY,
            BtfKind::Struct { .. } => kind::STRUCT,
            BtfKind::Union { .. } => kind::UNION,
            BtfKind::Enum { .. } => kind::ENUM,
            BtfKind::Fwd { .. } => kind::FWD,
            BtfKind::Typedef { .. } => kind::TYPEDEF,
            BtfKind::Volatile { .. } => kind::VOLATILE,
            BtfKind::Const { .. } => kind::CONST,
            BtfKind::Restrict { .. } => kind::RESTRICT,
            BtfKind::Func { .. } => kind::FUNC,
            BtfKind::FuncProto { .. } => kind::FUNC_PROTO,
            BtfKind::Var { .. } => kind::VAR,
            BtfKind::Datasec { .. } => kind::DATASEC,
            BtfKind::Float { .. } => kind::FLOAT,
            BtfKind::DeclTag { .. } => kind::DECL_TAG,
            BtfKind::TypeTag { .. } => kind::TYPE_TAG,
            BtfKind::Enum64 { .. } => kind::ENUM64,
        }
    }

    /// The kind's name as bpftool prints it.
    pub fn kind_name(&self) -> &'static str {
        kind_name(self.kind_num())
    }

    /// The type this one refers to (modifiers, typedefs, pointers, vars,
    /// funcs, tags), if it is such a reference.
    pub fn referenced(&self) -> Option<u32> {
        match &self.kind {
            BtfKind::Ptr { type_id }
            | BtfKind::Typedef { type_id }
            | BtfKind::Volatile { type_id }
            | BtfKind::Const { type_id }
            | BtfKind::Restrict { type_id }
            | BtfKind::Func { type_id, .. }
            | BtfKind::Var { type_id, .. }
            | BtfKind::DeclTag { type_id, .. }
            | BtfKind::TypeTag { type_id } => Some(*type_id),
            _ => None,
        }
    }

    /// Every type id this type mentions (for validation).
    pub fn type_refs(&self) -> Vec<u32> {
        match &self.kind {
            BtfKind::Array {
                elem_type, index_type, ..
            } => vec![*elem_type, *index_type],
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => {
                members.iter().map(|m| m.type_id).collect()
            }
            BtfKind::FuncProto { ret_type, params } => std::iter::once(*ret_type)
                .chain(params.iter().map(|p| p.type_id))
                .collect(),
            BtfKind::Datasec { vars, .. } => vars.iter().map(|v| v.type_id).collect(),
            _ => self.referenced().into_iter().collect(),
        }
    }

    pub fn members(&self) -> &[Member] {
        match &self.kind {
            BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => members,
            _ => &[],
        }
    }

    pub fn is_composite(&self) -> bool {
        matches!(self.kind, BtfKind::Struct { .. } | BtfKind::Union { .. })
    }
}

/// BTF kind names as bpftool prints them.
pub fn kind_name(k: u8) -> &'static str {
    match k {
        kind::UNKN => "UNKNOWN",
        kind::INT => "INT",
        kind::PTR => "PTR",
        kind::ARRAY => "ARRAY",
        kind::STRUCT => "STRUCT",
        kind::UNION => "UNION",
        kind::ENUM => "ENUM",
        kind::FWD => "FWD",
        kind::TYPEDEF => "TYPEDEF",
        kind::VOLATILE => "VOLATILE",
        kind::CONST => "CONST",
        kind::RESTRICT => "RESTRICT",
        kind::FUNC => "FUNC",
        kind::FUNC_PROTO => "FUNC_PROTO",
        kind::VAR => "VAR",
        kind::DATASEC => "DATASEC",
        kind::FLOAT => "FLOAT",
        kind::DECL_TAG => "DECL_TAG",
        kind::TYPE_TAG => "TYPE_TAG",
        kind::ENUM64 => "ENUM64",
        _ => "UNKNOWN",
    }
}
