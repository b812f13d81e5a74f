//! The one patch primitive (bpf_patch_insn_data() with
//! adjust_insn_aux_data()): the program being rewritten keeps, aligned
//! with its instructions, what the verifier knows of each one, and every
//! rewrite that changes the program's length goes through
//! [`Xlated::patch`], which moves jumps, calls, function references and
//! the per-instruction records across the site.

use crate::exec::AccessProof;
use crate::isa::opcode::*;
use crate::isa::Insn;

/// A map an ld_imm64 loads (insn_aux_data's map_index and map_off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapUse {
    /// Index into the program's used maps.
    pub map_index: usize,
    /// For a direct value load, the offset into the value.
    pub value_off: Option<u32>,
}

/// What the verifier knows of one instruction (struct bpf_insn_aux_data,
/// the parts the rewrites and the runtime need).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InsnAux {
    /// Where the full verifier placed the instruction's memory access
    /// ([`AccessProof::None`]: nothing proven, or no access).
    pub proof: AccessProof,
    /// On the first slot of an ld_imm64 of a map or a map value: the map.
    pub map: Option<MapUse>,
}

/// The program as the rewrites see it: the instructions and their aux
/// records, one per instruction slot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Xlated {
    pub insns: Vec<Insn>,
    pub aux: Vec<InsnAux>,
}

impl Xlated {
    /// `insns` with empty records.
    pub fn new(insns: Vec<Insn>) -> Xlated {
        let aux = vec![InsnAux::default(); insns.len()];
        Xlated { insns, aux }
    }

    /// Replace the instruction at `pc` with `with` (at least one), moving
    /// every jump, call and function reference across it; the new
    /// instructions' records are `aux_of(record of the old instruction,
    /// new instruction)`, the other records move with their instructions.
    /// A jump to `pc` lands on the first instruction of `with`.
    pub fn patch(&mut self, pc: usize, with: &[Insn], aux_of: impl Fn(&InsnAux, &Insn) -> InsnAux) {
        assert!(!with.is_empty(), "a patch replaces one instruction by at least one");
        let delta = with.len() as i64 - 1;
        let new_index = |old: i64| if old <= pc as i64 { old } else { old + delta };
        for (i, insn) in self.insns.iter_mut().enumerate() {
            if i == pc {
                continue;
            }
            let i = i as i64;
            let c = insn.code;
            let is_jump = matches!(class(c), BPF_JMP | BPF_JMP32) && !matches!(op(c), BPF_CALL | BPF_EXIT);
            let retarget = |off: i64| new_index(i + 1 + off) - new_index(i) - 1;
            if is_jump {
                if c == JA32 {
                    insn.imm = retarget(insn.imm as i64) as i32;
                } else {
                    insn.off = retarget(insn.off as i64) as i16;
                }
            } else if (c == CALL && insn.src == BPF_PSEUDO_CALL) || (c == LD_IMM64 && insn.src == BPF_PSEUDO_FUNC) {
                insn.imm = retarget(insn.imm as i64) as i32;
            }
        }
        let old = self.aux[pc];
        self.aux.splice(pc..=pc, with.iter().map(|i| aux_of(&old, i)));
        self.insns.splice(pc..=pc, with.iter().copied());
    }

    /// The proofs, one per instruction.
    pub fn proofs(&self) -> Vec<AccessProof> {
        self.aux.iter().map(|a| a.proof).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::helper_ids::func::*;

    fn fresh(_: &InsnAux, _: &Insn) -> InsnAux {
        InsnAux::default()
    }

    #[test]
    fn patching_moves_jumps_calls_and_function_references_across_the_site() {
        let mut p = Xlated::new(vec![
            Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 2, 0), // 0: if r1 == 0 goto 3
            Insn::new(CALL, 0, 0, 0, BPF_FUNC_MAP_LOOKUP_ELEM), // 1: patched (3 insns)
            Insn::new(BPF_JMP | BPF_JA, 0, 0, -3, 0),         // 2: goto 0
            Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, -3),       // 3: call 1
            Insn::new(EXIT, 0, 0, 0, 0),                      // 4
        ]);
        let with = [
            Insn::new(0xb7, 0, 0, 0, 1),
            Insn::new(0xb7, 0, 0, 0, 2),
            Insn::new(0xb7, 0, 0, 0, 3),
        ];
        p.patch(1, &with, fresh);
        let p = p.insns;
        assert_eq!(p.len(), 7);
        assert_eq!(p[0].off, 4, "0 -> old 3, now 5");
        assert_eq!(p[4].off, -5, "old 2 (now 4) -> 0");
        assert_eq!(p[5].imm, -5, "old 3 (now 5) -> old 1, the start of the patch");
    }

    #[test]
    fn records_stay_with_their_instructions_across_a_patch() {
        let map = MapUse {
            map_index: 0,
            value_off: None,
        };
        let mut p = Xlated::new(vec![
            Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 3, 0), // 0: if r1 == 0 goto 4
            Insn::new(CALL, 0, 0, 0, BPF_FUNC_MAP_LOOKUP_ELEM), // 1: patched (4 insns)
            Insn::new(LD_IMM64, 1, BPF_PSEUDO_MAP_FD, 0, 0),  // 2: a map load
            Insn::new(0, 0, 0, 0, 0),
            Insn::new(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, -8, 0), // 4: a proven access
            Insn::new(BPF_JMP | BPF_JA, 0, 0, -6, 0),            // 5: goto 0
            Insn::new(EXIT, 0, 0, 0, 0),
        ]);
        p.aux[1].proof = AccessProof::Map(0);
        p.aux[2].map = Some(map);
        p.aux[4].proof = AccessProof::Stack;
        let with = [
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
            Insn::new(BPF_LDX | BPF_MEM | BPF_W, 0, 2, 0, 0),
            Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 0, 1),
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 0),
        ];
        // The new load takes the old instruction's proof, the rest none.
        p.patch(1, &with, |old, i| InsnAux {
            proof: if class(i.code) == BPF_LDX {
                old.proof
            } else {
                AccessProof::None
            },
            ..InsnAux::default()
        });
        assert_eq!(p.insns.len(), p.aux.len());
        assert_eq!(p.insns.len(), 10);
        let proofs = p.proofs();
        assert_eq!(
            &proofs[1..5],
            [
                AccessProof::None,
                AccessProof::Map(0),
                AccessProof::None,
                AccessProof::None
            ]
        );
        assert_eq!(p.insns[5].code, LD_IMM64);
        assert_eq!(p.aux[5].map, Some(map), "the map load's record moved with it");
        assert_eq!(p.insns[7].code, BPF_LDX | BPF_MEM | BPF_DW);
        assert_eq!(
            proofs[7],
            AccessProof::Stack,
            "the proven access keeps its proof at its new pc"
        );
        assert_eq!(proofs.iter().filter(|&&a| a == AccessProof::Stack).count(), 1);
        assert_eq!(p.insns[0].off, 6, "the jump over the site lands on the access, now 7");
        assert_eq!(p.insns[8].off, -9, "the jump back from old 5 (now 8) lands on 0");
    }
}
