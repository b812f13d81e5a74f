//! BPF_MAP_TYPE_STRUCT_OPS (kernel/bpf/bpf_struct_ops.c): its value is a
//! kernel structure named by btf_vmlinux_value_type_id. The attr checks
//! are the kernel's; past them, no kernel structure is known here (no
//! vmlinux BTF), which is the kernel's answer for an id that names no
//! struct_ops value type: ENOTSUPP.

use super::{CreateCtx, MapAttr, MapOps};
use crate::uapi::types::map_flags as mf;
use crate::uapi::Errno;

/// bpf_struct_ops_map_alloc_check().
pub fn alloc_check(a: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.key_size != 4
        || a.max_entries != 1
        || a.map_flags & !(mf::LINK | mf::VTYPE_BTF_OBJ_FD) != 0
        || a.btf_vmlinux_value_type_id == 0
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// bpf_struct_ops_find_value() finds nothing.
pub fn alloc(_: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    Err(Errno::ENOTSUPP)
}
