//! The kernel BTF a load resolves kfunc calls and `__ksym` externs
//! against: `--kernel-btf FILE` (raw BTF or an ELF object's .BTF), else
//! the host's /sys/kernel/btf/vmlinux, read only when the program needs
//! it (parsing vmlinux takes a while).

use std::path::Path;
use std::sync::Arc;

use userbpf::btf::Btf;
use userbpf::isa::opcode::{BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, CALL};
use userbpf::isa::Insn;
use userbpf::obj::read_target_btf;

use crate::failure::Failure;

pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// Whether raw instructions name kernel BTF ids (kfunc calls, BTF_ID
/// ld_imm64).
pub fn wants_kernel_btf(insns: &[Insn]) -> bool {
    insns
        .iter()
        .any(|i| (i.code == CALL && i.src == BPF_PSEUDO_KFUNC_CALL) || (i.is_ld_imm64() && i.src == BPF_PSEUDO_BTF_ID))
}

/// `--kernel-btf FILE`, else the host's vmlinux BTF when present.
pub fn read(path: Option<&Path>) -> Result<Option<Arc<Btf>>, Failure> {
    let path = match path {
        Some(p) => p,
        None if Path::new(VMLINUX_BTF).exists() => Path::new(VMLINUX_BTF),
        None => return Ok(None),
    };
    let data = std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let btf = read_target_btf(&data).map_err(|e| Failure::from(format!("{}: {e}", path.display())))?;
    Ok(Some(Arc::new(btf)))
}
