//! Map references in a program as tools write them: an ld_imm64 whose
//! src_reg names a map (`BPF_PSEUDO_MAP_FD`, `BPF_PSEUDO_MAP_VALUE`) holds
//! an index into a list of maps the tool creates first, and becomes that
//! map's fd before the load (kbpf.py's `patch_map_refs()`). Shared by the
//! CLI's `--map` and the tests that replay recorded programs.

use super::insn::Insn;
use super::opcode::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, LD_IMM64};

/// Which ld_imm64 sources hold a map index, and what an index past the
/// list does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapRefPatch<'a> {
    /// The src_reg values patched (others are left alone).
    pub sources: &'a [u8],
    /// An index with no map: an error, or the instruction left as it is
    /// (the load then sees the index as an fd).
    pub missing: MissingMap,
}

/// What [`patch_map_refs`] does with an index past the list of maps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingMap {
    Error,
    Keep,
}

impl MapRefPatch<'_> {
    /// kbpf.py's rule: map fds and map values, an unknown index an error.
    pub const KBPF: MapRefPatch<'static> = MapRefPatch {
        sources: &[BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE],
        missing: MissingMap::Error,
    };
}

/// An ld_imm64 naming a map the list does not have.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {insn}: map index {index} but {maps} maps given")]
pub struct MapIndexError {
    pub insn: usize,
    pub index: i32,
    pub maps: usize,
}

/// Replace each map index in `insns` (per `how`) by `fds[index]`.
pub fn patch_map_refs(insns: &mut [Insn], fds: &[u32], how: MapRefPatch<'_>) -> Result<(), MapIndexError> {
    let mut i = 0;
    while i < insns.len() {
        if insns[i].code == LD_IMM64 {
            if how.sources.contains(&insns[i].src) {
                let index = insns[i].imm;
                match usize::try_from(index).ok().and_then(|x| fds.get(x)) {
                    Some(&fd) => insns[i].imm = fd as i32,
                    None if how.missing == MissingMap::Keep => {}
                    None => {
                        return Err(MapIndexError {
                            insn: i,
                            index,
                            maps: fds.len(),
                        })
                    }
                }
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ld(src: u8, imm: i32) -> [Insn; 2] {
        [Insn::new(LD_IMM64, 1, src, 0, imm), Insn::new(0, 0, 0, 0, 0)]
    }

    #[test]
    fn indices_become_fds_and_unknown_ones_follow_the_rule() {
        let mut p: Vec<Insn> = [ld(1, 1), ld(2, 0), ld(0, 1), ld(1, 5)].concat();
        let err = patch_map_refs(&mut p.clone(), &[7, 8], MapRefPatch::KBPF).unwrap_err();
        assert_eq!(
            err,
            MapIndexError {
                insn: 6,
                index: 5,
                maps: 2
            }
        );
        let keep = MapRefPatch {
            sources: &[BPF_PSEUDO_MAP_FD],
            missing: MissingMap::Keep,
        };
        patch_map_refs(&mut p, &[7, 8], keep).unwrap();
        let imms: Vec<i32> = p.iter().step_by(2).map(|i| i.imm).collect();
        assert_eq!(imms, [8, 0, 1, 5]);
    }
}
