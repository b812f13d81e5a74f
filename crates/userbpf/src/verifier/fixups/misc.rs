//! do_misc_fixups(): rewrites after verification that make the program
//! faster without changing what it does. Here: a bpf_map_lookup_elem call
//! on a map with an inline form (arrays: `map_gen_lookup`) becomes that
//! form when the program will be JIT-compiled, as the kernel does; and the
//! helper calls the JIT may compile as direct calls are listed.
//!
//! The kernel knows the map at each call from the verifier's per-insn
//! state; here a small constant propagation finds it (the map handle, a
//! constant after the ld_imm64 fixup, reaching r1 on every path). A call
//! whose r1 may hold different maps stays a call, as the kernel leaves a
//! "poisoned" map pointer.

use std::sync::Arc;

use super::patch::{InsnAux, Xlated};
use crate::exec::jit::direct::DirectCall;
use crate::exec::AccessProof;
use crate::isa::opcode::*;
use crate::isa::Insn;
use crate::maps::guest::map_base;
use crate::maps::Map;
use crate::uapi::helper_ids::func::*;

/// What a register holds, as far as constants go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Val {
    Unknown,
    Const(u64),
}

fn meet(a: &mut [Val; 11], b: &[Val; 11]) -> bool {
    let mut changed = false;
    for (x, y) in a.iter_mut().zip(b) {
        if *x != *y && *x != Val::Unknown {
            *x = Val::Unknown;
            changed = true;
        }
    }
    changed
}

/// The constant registers before each instruction (None: unreached).
fn constants(insns: &[Insn]) -> Vec<Option<[Val; 11]>> {
    let n = insns.len();
    let mut at: Vec<Option<[Val; 11]>> = vec![None; n];
    let mut work = vec![];
    let flow = |at: &mut Vec<Option<[Val; 11]>>, work: &mut Vec<usize>, pc: i64, s: &[Val; 11]| {
        if !(0..n as i64).contains(&pc) {
            return;
        }
        let pc = pc as usize;
        match &mut at[pc] {
            Some(old) => {
                if meet(old, s) {
                    work.push(pc);
                }
            }
            slot @ None => {
                *slot = Some(*s);
                work.push(pc);
            }
        }
    };
    if n == 0 {
        return at;
    }
    flow(&mut at, &mut work, 0, &[Val::Unknown; 11]);
    // Subprograms start unknown too.
    for (pc, i) in insns.iter().enumerate() {
        if let Some(t) = i.subprog_target(pc) {
            flow(&mut at, &mut work, t, &[Val::Unknown; 11]);
        }
    }
    while let Some(pc) = work.pop() {
        let Some(mut s) = at[pc] else { continue };
        let i = insns[pc];
        let d = (i.dst as usize).min(10);
        let mut next = pc as i64 + 1;
        match class(i.code) {
            BPF_ALU | BPF_ALU64 => {
                s[d] = if i.code == BPF_ALU64 | BPF_MOV | BPF_X && i.off == 0 {
                    s[(i.src as usize).min(10)]
                } else {
                    Val::Unknown
                };
            }
            BPF_LD if i.code == LD_IMM64 => {
                let hi = insns.get(pc + 1).map_or(0, |n| n.imm as u32 as u64);
                s[d] = if i.src == 0 {
                    Val::Const(i.imm as u32 as u64 | hi << 32)
                } else {
                    Val::Unknown
                };
                next = pc as i64 + 2;
            }
            BPF_LD => {
                for r in s.iter_mut().take(6) {
                    *r = Val::Unknown;
                }
            }
            BPF_LDX => s[d] = Val::Unknown,
            BPF_STX if mode(i.code) == BPF_ATOMIC => {
                if i.imm & BPF_FETCH != 0 {
                    s[(i.src as usize).min(10)] = Val::Unknown;
                }
                if i.imm == BPF_CMPXCHG {
                    s[0] = Val::Unknown;
                }
                if i.imm == BPF_LOAD_ACQ {
                    s[d] = Val::Unknown;
                }
            }
            BPF_JMP | BPF_JMP32 => match op(i.code) {
                BPF_EXIT => continue,
                BPF_CALL => {
                    for r in s.iter_mut().take(6) {
                        *r = Val::Unknown;
                    }
                }
                _ => {
                    let target = i.jump_target(pc).expect("a jump");
                    flow(&mut at, &mut work, target, &s);
                    if i.is_goto() {
                        continue;
                    }
                }
            },
            _ => {}
        }
        flow(&mut at, &mut work, next, &s);
    }
    at
}

/// Inline the lookups whose map has an inline form, through the patch
/// primitive. The inline form's accesses: its key load (from r2) takes the
/// proof the verifier kept at the call for the key; the rest, none.
pub fn inline_map_lookups(prog: &mut Xlated, used_maps: &[Arc<Map>]) {
    let consts = constants(&prog.insns);
    let mut sites = Vec::new();
    for (pc, i) in prog.insns.iter().enumerate() {
        if i.code != CALL || i.src != 0 || i.imm != BPF_FUNC_MAP_LOOKUP_ELEM {
            continue;
        }
        let Some(Some(s)) = consts.get(pc) else { continue };
        let Val::Const(handle) = s[1] else { continue };
        let Some(index) = (0..used_maps.len()).find(|&m| map_base(m) == handle) else {
            continue;
        };
        if let Some(code) = used_maps[index].ops().gen_lookup() {
            sites.push((pc, code));
        }
    }
    // Back to front, so earlier sites keep their index.
    for (pc, code) in sites.iter().rev() {
        prog.patch(*pc, code, |call, i| InsnAux {
            proof: if class(i.code) == BPF_LDX && i.src == 2 {
                call.proof
            } else {
                AccessProof::None
            },
            ..InsnAux::default()
        });
    }
}

/// The helper calls to compile as direct calls: of the map's own functions
/// (maps::direct: hash lookups, array and hash updates and deletes), as
/// the kernel's JIT calls __htab_map_lookup_elem and the maps' update
/// functions, and of the environment helpers (clocks, prandom, CPU, task
/// ids). Run on the final instructions: the sites are their pcs.
pub fn direct_map_calls(insns: &[Insn], used_maps: &[Arc<Map>]) -> Vec<DirectCall> {
    let consts = constants(insns);
    let mut sites = Vec::new();
    for (pc, i) in insns.iter().enumerate() {
        if i.code != CALL || i.src != 0 {
            continue;
        }
        if let Some(f) = crate::helpers::run::env_helper(i.imm) {
            sites.push(DirectCall::env(pc, i.imm, f));
            continue;
        }
        if !matches!(
            i.imm,
            BPF_FUNC_MAP_LOOKUP_ELEM | BPF_FUNC_MAP_UPDATE_ELEM | BPF_FUNC_MAP_DELETE_ELEM
        ) {
            continue;
        }
        let Some(Some(s)) = consts.get(pc) else { continue };
        let Val::Const(handle) = s[1] else { continue };
        let Some(m) = (0..used_maps.len()).find(|&m| map_base(m) == handle) else {
            continue;
        };
        sites.extend(crate::maps::direct::direct_call(pc, i.imm, handle, &used_maps[m]));
    }
    sites
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_reach_calls_through_copies_but_not_merges() {
        let p = vec![
            Insn::new(LD_IMM64, 6, 0, 0, 0),
            Insn::new(0, 0, 0, 0, 1), // r6 = 1 << 32
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
            Insn::new(CALL, 0, 0, 0, BPF_FUNC_MAP_LOOKUP_ELEM),
            Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1, 0),
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 6, 0, 0, 5),
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
            Insn::new(CALL, 0, 0, 0, BPF_FUNC_MAP_LOOKUP_ELEM),
            Insn::new(EXIT, 0, 0, 0, 0),
        ];
        let c = constants(&p);
        assert_eq!(c[3].unwrap()[1], Val::Const(1 << 32));
        assert_eq!(c[7].unwrap()[1], Val::Unknown);
    }
}
