//! Linked scalars: copies of an unknown scalar share an id
//! (assign_scalar_id_before_mov), `rX += const` keeps the link with a
//! delta (BPF_ADD_CONST), and what a branch learns about one copy reaches
//! the others (sync_linked_regs). States compare their ids through
//! check_ids (see `states_equal`).

use super::alu::scalar_op;
use crate::isa::{AluOp, Width};
use crate::verifier::reg::{RegState, RegType};
use crate::verifier::state::VerifierState;

/// BPF_ADD_CONST: the id's flag for "this copy is the original plus off".
pub const ADD_CONST: u32 = 1 << 31;

/// assign_scalar_id_before_mov(): give an unknown scalar an id before it
/// is copied (`next_id` is env->id_gen).
pub fn assign_id_before_mov(r: &mut RegState, next_id: &mut u32) {
    if r.ty != RegType::Scalar {
        return;
    }
    if r.id & ADD_CONST != 0 {
        r.id = 0;
        r.off = 0;
    }
    if r.id == 0 && !r.var_off.is_const() {
        *next_id += 1;
        r.id = *next_id;
    }
}

/// After `dst += src` on scalars (64-bit, privileged): a constant addend
/// keeps the link as a delta, anything else breaks it.
pub fn after_add(r: &mut RegState, before: &RegState, src: &RegState, op: AluOp, width: Width) {
    r.off = 0;
    r.id = 0;
    if op != AluOp::Add || width != Width::W64 || before.id == 0 || !src.is_const() {
        return;
    }
    let val = src.var_off.value;
    if before.id & ADD_CONST != 0 || val > i32::MAX as u64 {
        return;
    }
    r.id = before.id | ADD_CONST;
    r.off = val as i32;
}

/// sync_linked_regs(): every other scalar linked to `known` takes its
/// bounds (shifted by the delta between them): spilled ones, and the
/// registers live in their frame (`live`, per frame: collect_linked_regs
/// skips dead ones).
pub fn sync_linked_regs(st: &mut VerifierState, known: &RegState, skip: (usize, u8), live: &[u16]) {
    let base = known.id & !ADD_CONST;
    if known.ty != RegType::Scalar || base == 0 {
        return;
    }
    let update = |reg: &mut RegState| {
        if reg.ty != RegType::Scalar || reg.id & !ADD_CONST != base {
            return;
        }
        let both_plain = reg.id & ADD_CONST == 0 && known.id & ADD_CONST == 0;
        if both_plain || reg.off == known.off {
            *reg = *known;
        } else {
            let (id, off) = (reg.id, reg.off);
            let delta = RegState::known((off as i64 - known.off as i64) as u64);
            let mut r = *known;
            scalar_op(AluOp::Add, Width::W64, &mut r, &delta);
            r.id = id;
            r.off = off;
            *reg = r;
        }
    };
    for (fi, f) in st.frames.iter_mut().enumerate() {
        let live = live.get(fi).copied().unwrap_or(u16::MAX);
        for (ri, r) in f.regs.iter_mut().enumerate() {
            if (fi, ri as u8) != skip && live & (1 << ri) != 0 {
                update(r);
            }
        }
        for s in f.stack.iter_mut() {
            if s.types[7] == crate::verifier::state::SlotType::Spill {
                update(&mut s.spilled);
            }
        }
    }
}
