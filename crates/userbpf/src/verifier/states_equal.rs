//! State equivalence for pruning (states_equal and its parts, as the
//! kernel's): an explored state that reached exit safely makes any current
//! state it subsumes safe. Registers (regsafe): scalars by range and tnum
//! containment when the old one is precise (not at all when imprecise,
//! unless the comparison is exact); pointers by type, offset and range.
//! Stack slots (stacksafe), references (refsafe) and ids (check_ids: the
//! mapping from old to current ids must be one-to-one).

use super::linked::ADD_CONST;
use super::reg::{RegState, RegType};
use super::state::{FuncState, SlotType, StackSlot, VerifierState};
use super::tnum::Tnum;

/// enum exact_level.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum ExactLevel {
    /// Containment, imprecise scalars and unread registers ignored.
    NotExact,
    /// Everything but ids equal (the infinite-loop check).
    Exact,
    /// Containment for every scalar (iterator and callback loops, whose
    /// marks are incomplete: not modelled yet, those programs stop).
    #[cfg_attr(not(test), allow(dead_code))]
    RangeWithin,
}

/// struct bpf_idmap: old id -> current id.
pub(super) struct IdMap {
    map: Vec<(u32, u32)>,
    /// Fresh ids for current scalars without one (tmp_id_gen).
    tmp_id_gen: u32,
    /// allow_uninit_stack: uninitialized stack reads as misc.
    allow_uninit: bool,
    /// Without bpf_capable precision is not tracked: every scalar counts.
    all_precise: bool,
}

impl IdMap {
    pub(super) fn new(id_gen: u32) -> Self {
        IdMap {
            map: Vec::new(),
            tmp_id_gen: id_gen,
            allow_uninit: true,
            all_precise: false,
        }
    }

    /// check_ids().
    fn check(&mut self, old: u32, cur: u32) -> bool {
        if (old == 0) != (cur == 0) {
            return false;
        }
        if old == 0 {
            return true;
        }
        for &(o, c) in &self.map {
            if o == old {
                return c == cur;
            }
            if c == cur {
                return false;
            }
        }
        self.map.push((old, cur));
        true
    }

    /// check_scalar_ids(): an old scalar without id accepts any current one.
    fn check_scalar(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 {
            return true;
        }
        let cur = if cur != 0 {
            cur
        } else {
            self.tmp_id_gen += 1;
            self.tmp_id_gen
        };
        self.check(old, cur)
    }
}

/// tnum_in(): every value of `b` is a value of `a`.
fn tnum_in(a: Tnum, b: Tnum) -> bool {
    b.mask & !a.mask == 0 && a.value == b.value & !a.mask
}

/// range_within(): cur's bounds inside old's.
fn range_within(old: &RegState, cur: &RegState) -> bool {
    old.umin <= cur.umin
        && old.umax >= cur.umax
        && old.smin <= cur.smin
        && old.smax >= cur.smax
        && old.u32_min <= cur.u32_min
        && old.u32_max >= cur.u32_max
        && old.s32_min <= cur.s32_min
        && old.s32_max >= cur.s32_max
}

/// The fields before `id` in struct bpf_reg_state, up to `var_off`
/// (type, off and the type's union: map, packet range, memory size).
fn same_head(a: &RegState, b: &RegState) -> bool {
    a.ty == b.ty && a.off == b.off && a.range == b.range && a.map == b.map && a.mem_size == b.mem_size
}

/// memcmp(a, b, offsetof(struct bpf_reg_state, id)).
pub(super) fn same_value(a: &RegState, b: &RegState) -> bool {
    same_head(a, b)
        && a.var_off == b.var_off
        && a.smin == b.smin
        && a.smax == b.smax
        && a.umin == b.umin
        && a.umax == b.umax
        && a.s32_min == b.s32_min
        && a.s32_max == b.s32_max
        && a.u32_min == b.u32_min
        && a.u32_max == b.u32_max
}

fn regs_exact(old: &RegState, cur: &RegState, idmap: &mut IdMap) -> bool {
    same_value(old, cur) && idmap.check(old.id, cur.id) && idmap.check(old.ref_obj_id, cur.ref_obj_id)
}

/// regsafe(): old safe implies cur safe.
fn regsafe(old: &RegState, cur: &RegState, idmap: &mut IdMap, exact: ExactLevel) -> bool {
    if exact == ExactLevel::Exact {
        return regs_exact(old, cur, idmap);
    }
    if old.ty == RegType::NotInit && (exact == ExactLevel::NotExact || cur.ty == RegType::NotInit) {
        return true;
    }
    if old.ty != cur.ty {
        return false;
    }
    match old.ty {
        RegType::Scalar => {
            if !old.precise && !idmap.all_precise && exact == ExactLevel::NotExact {
                return true;
            }
            let (oc, cc) = (old.id & ADD_CONST != 0, cur.id & ADD_CONST != 0);
            if (oc && !cc) || (old.id != 0 && !oc && cc) || (oc && old.off != cur.off) {
                return false;
            }
            if !idmap.check_scalar(old.id, cur.id) {
                return false;
            }
            if oc && !idmap.check(old.id & !ADD_CONST, cur.id & !ADD_CONST) {
                return false;
            }
            range_within(old, cur) && tnum_in(old.var_off, cur.var_off)
        }
        RegType::MapValue | RegType::RingbufMem => {
            same_head(old, cur)
                && range_within(old, cur)
                && tnum_in(old.var_off, cur.var_off)
                && idmap.check(old.id, cur.id)
                && idmap.check(old.ref_obj_id, cur.ref_obj_id)
        }
        RegType::Packet | RegType::PacketMeta => {
            if old.range < 0 || cur.range < 0 {
                if old.range != cur.range {
                    return false;
                }
            } else if old.range > cur.range {
                return false;
            }
            old.off == cur.off
                && idmap.check(old.id, cur.id)
                && range_within(old, cur)
                && tnum_in(old.var_off, cur.var_off)
        }
        RegType::Stack => regs_exact(old, cur, idmap) && old.frameno == cur.frameno,
        _ => regs_exact(old, cur, idmap),
    }
}

/// is_spilled_scalar_reg64(): a whole 64-bit scalar spill.
fn spilled_scalar64(s: &StackSlot) -> bool {
    s.types[0] == SlotType::Spill && s.spilled.ty == RegType::Scalar
}

/// scalar_reg_for_stack(): the scalar a slot reads as, if it is one (a
/// 64-bit scalar spill, or all-misc bytes: an unknown scalar).
fn scalar_for_stack(s: &StackSlot, allow_uninit: bool) -> Option<RegState> {
    if spilled_scalar64(s) {
        return Some(s.spilled);
    }
    let all_misc = s
        .types
        .iter()
        .all(|&t| t == SlotType::Misc || (t == SlotType::Invalid && allow_uninit));
    all_misc.then(RegState::unknown)
}

/// stacksafe(): the old stack's slots, byte by byte.
fn stacksafe(old: &FuncState, cur: &FuncState, idmap: &mut IdMap, exact: ExactLevel) -> bool {
    let allow_uninit = idmap.allow_uninit;
    let old_alloc = old.stack.len() * 8;
    let cur_alloc = cur.stack.len() * 8;
    let mut i = 0;
    while i < old_alloc {
        let spi = i / 8;
        let os = &old.stack[spi];
        let ot = os.types[i % 8];
        if exact != ExactLevel::NotExact && (i >= cur_alloc || ot != cur.stack[spi].types[i % 8]) {
            return false;
        }
        if ot == SlotType::Invalid || (allow_uninit && ot == SlotType::Misc) {
            i += 1;
            continue;
        }
        if i >= cur_alloc {
            return false;
        }
        let cs = &cur.stack[spi];
        if let (Some(o), Some(c)) = (scalar_for_stack(os, allow_uninit), scalar_for_stack(cs, allow_uninit)) {
            if !regsafe(&o, &c, idmap, exact) {
                return false;
            }
            i += 8 - i % 8;
            continue;
        }
        let ct = cs.types[i % 8];
        if ot == SlotType::Misc && ct == SlotType::Zero {
            i += 1;
            continue;
        }
        if ot != ct {
            return false;
        }
        if i % 8 == 7 && os.types[7] == SlotType::Spill && !regsafe(&os.spilled, &cs.spilled, idmap, exact) {
            return false;
        }
        i += 1;
    }
    true
}

/// refsafe() with the held lock: the same references, ids mapped.
fn refsafe(old: &VerifierState, cur: &VerifierState, idmap: &mut IdMap) -> bool {
    if old.refs.len() != cur.refs.len() {
        return false;
    }
    if old.refs.iter().zip(&cur.refs).any(|(o, c)| !idmap.check(o.0, c.0)) {
        return false;
    }
    match (old.lock, cur.lock) {
        (None, None) => true,
        (Some(o), Some(c)) => o.map == c.map && idmap.check(o.id, c.id),
        _ => false,
    }
}

/// func_states_equal(): registers then stack of one frame.
fn func_states_equal(old: &FuncState, cur: &FuncState, idmap: &mut IdMap, exact: ExactLevel) -> bool {
    old.regs.iter().zip(&cur.regs).all(|(o, c)| regsafe(o, c, idmap, exact)) && stacksafe(old, cur, idmap, exact)
}

/// states_equal(): the same call chain, every frame equivalent, the same
/// references and lock. `id_gen` is the walk's last id; `privileged`:
/// bpf_capable (precision tracked) and allow_uninit_stack.
pub(super) fn states_equal(
    old: &VerifierState,
    cur: &VerifierState,
    exact: ExactLevel,
    id_gen: u32,
    privileged: bool,
) -> bool {
    if old.frames.len() != cur.frames.len() {
        return false;
    }
    let mut idmap = IdMap::new(id_gen);
    idmap.allow_uninit = privileged;
    idmap.all_precise = !privileged;
    // References (and the lock) first, then each frame.
    if !refsafe(old, cur, &mut idmap) {
        return false;
    }
    old.frames
        .iter()
        .zip(&cur.frames)
        .all(|(o, c)| o.callsite == c.callsite && func_states_equal(o, c, &mut idmap, exact))
}

/// states_maybe_looping(): the current frame's registers are identical
/// (ids included, precision not).
pub(super) fn states_maybe_looping(old: &VerifierState, cur: &VerifierState) -> bool {
    if old.frames.len() != cur.frames.len() {
        return false;
    }
    let (o, c) = (old.cur(), cur.cur());
    o.regs
        .iter()
        .zip(&c.regs)
        .all(|(a, b)| same_value(a, b) && a.id == b.id && a.ref_obj_id == b.ref_obj_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(lo: u64, hi: u64) -> RegState {
        let mut r = RegState::unknown();
        r.umin = lo;
        r.umax = hi;
        r.sync_bounds();
        r
    }

    #[test]
    fn precise_scalars_compare_by_containment() {
        let mut old = range(0, 10);
        let cur = range(2, 5);
        let mut m = IdMap::new(100);
        // Imprecise: anything goes.
        assert!(regsafe(&old, &RegState::unknown(), &mut m, ExactLevel::NotExact));
        old.precise = true;
        assert!(regsafe(&old, &cur, &mut m, ExactLevel::NotExact));
        assert!(!regsafe(&cur, &old, &mut m, ExactLevel::RangeWithin));
        assert!(!regsafe(&old, &cur, &mut m, ExactLevel::Exact));
    }

    #[test]
    fn ids_map_one_to_one() {
        let mut m = IdMap::new(100);
        assert!(m.check(1, 5));
        assert!(m.check(1, 5));
        assert!(!m.check(1, 6));
        assert!(!m.check(2, 5));
        // Two unlinked current scalars cannot stand for one old id.
        let mut m = IdMap::new(100);
        assert!(m.check_scalar(3, 0));
        assert!(!m.check_scalar(3, 0));
    }
}
