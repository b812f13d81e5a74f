//! The recorded programs' map references: an ld_imm64 naming a map holds
//! an index into the case's list of maps, made the map's fd before the
//! load by the library's patcher. The fixtures differ in which sources
//! they patch and what an index past the list does; each rule is named
//! here.

use userbpf::isa::map_refs::{patch_map_refs, MapRefPatch, MissingMap};
use userbpf::isa::opcode::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
use userbpf::isa::Insn;

/// kbpf.py's rule (the verifier corpus): map fds and map values; an index
/// with no map is the test's error.
pub const KBPF: MapRefPatch<'static> = MapRefPatch::KBPF;

/// The test-run recorder's rule: map fds and map values; an index with no
/// map stays (the load then sees it as an fd).
pub const MAPS_KEEP_MISSING: MapRefPatch<'static> = MapRefPatch {
    sources: &[BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE],
    missing: MissingMap::Keep,
};

/// The spin-lock recorder's rule: map fds only; an index with no map stays.
pub const MAP_FDS_KEEP_MISSING: MapRefPatch<'static> = MapRefPatch {
    sources: &[BPF_PSEUDO_MAP_FD],
    missing: MissingMap::Keep,
};

/// Patch `insns` by `rule`; panics on an index the rule refuses.
pub fn patch(insns: &mut [Insn], fds: &[u32], rule: MapRefPatch<'_>) {
    patch_map_refs(insns, fds, rule).unwrap_or_else(|e| panic!("{e}"));
}
