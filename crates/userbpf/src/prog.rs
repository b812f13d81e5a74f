//! The program object: what BPF_PROG_LOAD creates and fds, IDs and pins
//! refer to. Its resources (ID, memlock charge, kallsyms entry) are owned
//! guards, released when the last reference goes.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::exec;
use crate::isa::opcode::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
use crate::isa::{insns_to_bytes, Insn};
use crate::maps::Map;
use crate::memlock::MemlockCharge;
use crate::syscall::idr::IdGuard;
use crate::syscall::kallsyms::KsymGuard;
use crate::verifier::fixups::MapLoad;

/// How a loaded program runs (bpf_prog_select_runtime's choice).
#[derive(Debug)]
pub enum Runtime {
    Interpreter(exec::Program),
    Jit(exec::JitProgram),
}

/// A loaded program.
pub struct Prog {
    pub prog_type: u32,
    pub expected_attach_type: u32,
    pub prog_flags: u32,
    /// Up to 15 bytes; what `bpf_prog_info.name` reports.
    pub name: Vec<u8>,
    pub tag: [u8; 8],
    pub gpl_compatible: bool,
    /// Boot-time nanoseconds at load (ktime_get_boottime_ns).
    pub load_time_ns: u64,
    pub created_by_uid: u32,
    /// The program after verification and fixups (what "xlated" dumps).
    pub xlated: Vec<Insn>,
    pub verified_insns: u32,
    /// aux->max_ctx_offset: bytes of context the program may touch.
    pub max_ctx_offset: u32,
    pub runtime: Runtime,
    /// Whether bpf_jit_enable asked for the JIT.
    pub jit_requested: bool,
    /// The maps the program references (aux->used_maps), which it holds:
    /// used map `i` is guest region `i` of a run (`maps::guest`).
    pub used_maps: Vec<Arc<Map>>,
    /// The ld_imm64 instructions of `xlated` that load a map or a value.
    pub map_loads: Vec<MapLoad>,
    pub(crate) id: IdGuard<Prog>,
    pub(crate) _memlock: Option<MemlockCharge>,
    pub(crate) _ksym: Option<KsymGuard>,
}

impl Prog {
    pub fn id(&self) -> u32 {
        self.id.id()
    }

    /// Size of the JIT image (0: interpreted).
    pub fn jited_len(&self) -> u32 {
        match &self.runtime {
            Runtime::Interpreter(_) => 0,
            Runtime::Jit(j) => j.len() as u32,
        }
    }
}

impl std::fmt::Debug for Prog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prog")
            .field("id", &self.id())
            .field("type", &self.prog_type)
            .field("name", &String::from_utf8_lossy(&self.name))
            .finish()
    }
}

/// The program digest (prog->digest, bpf_prog_calc_tag): SHA-256 of the
/// instructions, with the imm fields of map-referencing ld_imm64
/// (BPF_PSEUDO_MAP_FD / MAP_VALUE, both slots) zeroed because fds are not
/// stable. Exclusive maps (excl_prog_hash) compare it whole.
pub fn calc_digest(insns: &[Insn]) -> [u8; 32] {
    let mut copy = insns.to_vec();
    let mut was_ld_map = false;
    for i in copy.iter_mut() {
        if !was_ld_map && i.is_ld_imm64() && matches!(i.src, BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_VALUE) {
            was_ld_map = true;
            i.imm = 0;
        } else if was_ld_map && i.code == 0 && i.dst == 0 && i.src == 0 && i.off == 0 {
            was_ld_map = false;
            i.imm = 0;
        } else {
            was_ld_map = false;
        }
    }
    Sha256::digest(insns_to_bytes(&copy)).into()
}

/// The program tag: the first 8 bytes of [`calc_digest`]. Kernel 6.18
/// hashes with SHA-256 (earlier kernels used SHA-1).
#[cfg(test)]
pub(crate) fn calc_tag(insns: &[Insn]) -> [u8; 8] {
    calc_digest(insns)[..8].try_into().expect("8 bytes")
}

/// license_is_gpl_compatible() of include/linux/license.h.
pub(crate) fn license_is_gpl_compatible(license: &[u8]) -> bool {
    matches!(
        license,
        b"GPL" | b"GPL v2" | b"GPL and additional rights" | b"Dual BSD/GPL" | b"Dual MIT/GPL" | b"Dual MPL/GPL"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::opcode::LD_IMM64;

    #[test]
    fn tag_of_r0_7_exit_matches_the_kernel() {
        // kbpf.py load of `b700000007000000 9500000000000000` on 6.18
        // reported tag 9efe8873120741b3.
        let p = [Insn::new(0xb7, 0, 0, 0, 7), Insn::new(0x95, 0, 0, 0, 0)];
        assert_eq!(calc_tag(&p), [0x9e, 0xfe, 0x88, 0x73, 0x12, 0x07, 0x41, 0xb3]);
    }

    #[test]
    fn map_fds_do_not_change_the_tag() {
        let with_fd = |fd| {
            [
                Insn::new(LD_IMM64, 1, BPF_PSEUDO_MAP_FD, 0, fd),
                Insn::new(0, 0, 0, 0, 0),
                Insn::new(0xb7, 0, 0, 0, 0),
                Insn::new(0x95, 0, 0, 0, 0),
            ]
        };
        assert_eq!(calc_tag(&with_fd(3)), calc_tag(&with_fd(9)));
        // A plain ld_imm64's immediate does count.
        let plain = |v| {
            [
                Insn::new(LD_IMM64, 1, 0, 0, v),
                Insn::new(0, 0, 0, 0, 0),
                Insn::new(0x95, 0, 0, 0, 0),
            ]
        };
        assert_ne!(calc_tag(&plain(3)), calc_tag(&plain(9)));
    }

    #[test]
    fn gpl_compatibility_is_exact_string_match() {
        for l in [
            "GPL",
            "GPL v2",
            "GPL and additional rights",
            "Dual BSD/GPL",
            "Dual MIT/GPL",
            "Dual MPL/GPL",
        ] {
            assert!(license_is_gpl_compatible(l.as_bytes()), "{l}");
        }
        for l in ["gpl", "GPL ", "MIT", "", "Dual BSD/GPL\n", "GPLv2"] {
            assert!(!license_is_gpl_compatible(l.as_bytes()), "{l}");
        }
    }
}
