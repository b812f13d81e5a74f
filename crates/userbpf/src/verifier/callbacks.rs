//! Callbacks: a static subprogram passed to a helper that calls it
//! (bpf_loop, bpf_for_each_map_elem), as the kernel verifies them.
//!
//! - `ld_imm64 rX, BPF_PSEUDO_FUNC` loads PTR_TO_FUNC (check_ld_imm: the
//!   program needs BTF func_info and the callee must be static);
//! - at the helper call, push_callback_call(): the callback's entry is a
//!   pending branch (the current state plus a callee frame whose R1..R5 the
//!   helper's set_*_callback_state fills), and the current path goes on
//!   past the helper;
//! - at the callback's BPF_EXIT (prepare_func_exit): R0 a scalar within the
//!   callback's return range, then back to the helper call itself, which
//!   schedules the callback again: the iteration ends when the state at the
//!   call repeats (pruning), or for bpf_loop when its count is reached
//!   (callback_depth);
//! - states are compared without bpf_loop's unrolling counter; a state
//!   repeating on the current path is an infinite loop unless the path
//!   since passed a callback-calling helper (the kernel prunes there, at
//!   calls_callback instructions, without its loop check).
//!
//! Not modelled (the full verifier stops naming it): the async timer
//! callbacks, bpf_find_vma's (a BTF vma pointer), bpf_user_ringbuf_drain's
//! (a dynptr), references acquired in a callback and held at its exit, and
//! the widening of imprecise scalars after a callback returns (the kernel's
//! widen_imprecise_scalars; without it iteration goes on until the state
//! repeats exactly or bpf_loop's count is reached).

use super::do_check::{Env, Res, Stop};
use super::reg::{MapShape, RegState, RegType};
use super::state::{FuncState, SlotType, VerifierState};
use crate::isa::opcode::MAX_CALL_FRAMES;
use crate::isa::{CallKind, Instruction};
use crate::uapi::helper_ids::func::{
    BPF_FUNC_FIND_VMA, BPF_FUNC_FOR_EACH_MAP_ELEM, BPF_FUNC_LOOP, BPF_FUNC_USER_RINGBUF_DRAIN,
};
use crate::uapi::types::map_type as mt;
use crate::uapi::Errno;

/// What a callback's frame carries for its exit.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CallbackFrame {
    /// callback_ret_range: R0's allowed values at the callback's exit.
    pub ret: (i64, i64),
    /// The references held when the callback was entered.
    pub refs_at_entry: Vec<u32>,
}

/// is_sync_callback_calling_insn(): the helper calls that return to their
/// callback until it converges (prune points).
pub(super) fn calls_callback(ins: &Instruction) -> bool {
    matches!(
        ins,
        Instruction::Call(CallKind::Helper(
            BPF_FUNC_LOOP | BPF_FUNC_FOR_EACH_MAP_ELEM | BPF_FUNC_FIND_VMA | BPF_FUNC_USER_RINGBUF_DRAIN
        ))
    )
}

/// The callee frame's arguments, by helper (set_*_callback_state).
enum CalleeArgs {
    /// bpf_loop: R1 the index, R2 the context.
    Loop,
    /// bpf_for_each_map_elem: R1 the map, R2 a key, R3 its value, R4 the context.
    MapElem(MapShape),
}

/// Map types whose ops have map_set_for_each_callback_args.
fn map_has_for_each(map_type: u32) -> bool {
    matches!(
        map_type,
        mt::HASH | mt::LRU_HASH | mt::PERCPU_HASH | mt::LRU_PERCPU_HASH | mt::ARRAY | mt::PERCPU_ARRAY
    )
}

impl Env<'_> {
    /// check_ld_imm() of BPF_PSEUDO_FUNC: PTR_TO_FUNC naming the callee.
    pub(super) fn ld_imm64_func(&mut self, pc: usize) -> Res<RegState> {
        let Some(funcs) = self.func_info else {
            return Err(self.reject(Errno::EINVAL, "missing btf func_info\n".into()));
        };
        let imm = self.prog.insns[pc].imm;
        let target = crate::isa::cfg::target(pc, imm as i64) as u32;
        if funcs.iter().any(|f| f.insn_off == target && !f.is_static) {
            return Err(self.reject(Errno::EINVAL, "callback function not static\n".into()));
        }
        let mut r = RegState::pointer(RegType::Func);
        r.subprog = target;
        Ok(r)
    }

    /// check_helper_call()'s callback step for the helper `id` given the
    /// callback at `start` (after the arguments, before R1-R5 are
    /// clobbered).
    pub(super) fn callback_helper_call(
        &mut self,
        st: &mut VerifierState,
        id: i32,
        start: usize,
        map: Option<MapShape>,
    ) -> Res<()> {
        match id {
            BPF_FUNC_FOR_EACH_MAP_ELEM => {
                let map = map.expect("ARG_CONST_MAP_PTR checked");
                if !map_has_for_each(map.map_type) {
                    return Err(self.reject(Errno::ENOTSUPP, "callback function not allowed for map\n".into()));
                }
                self.push_callback_call(st, start, CalleeArgs::MapElem(map))
            }
            BPF_FUNC_LOOP => {
                // The iteration count decides when unrolling stops: precise.
                let r1 = &mut st.cur_mut().regs[1];
                r1.precise = true;
                let nr = r1.umax;
                if st.cur().callback_depth < nr {
                    self.push_callback_call(st, start, CalleeArgs::Loop)
                } else {
                    st.cur_mut().callback_depth = 0;
                    if self.vlog.log.level & 2 != 0 {
                        let frame = st.frames.len() - 1;
                        self.verbose(&format!("frame{frame} bpf_loop iteration limit reached\n"));
                    }
                    Ok(())
                }
            }
            BPF_FUNC_FIND_VMA => Err(Stop::Unsupported("bpf_find_vma callbacks")),
            BPF_FUNC_USER_RINGBUF_DRAIN => Err(Stop::Unsupported("bpf_user_ringbuf_drain callbacks")),
            _ => Err(Stop::Unsupported("this helper's callback")),
        }
    }

    /// push_callback_call() for a synchronous callback: its entry becomes
    /// a pending branch; the current path goes on past the helper.
    fn push_callback_call(&mut self, st: &mut VerifierState, start: usize, args: CalleeArgs) -> Res<()> {
        let pc = self.walk.cur_pc;
        let curframe = st.frames.len() - 1;
        // setup_func_entry().
        if curframe + 1 >= MAX_CALL_FRAMES {
            return Err(self.reject(
                Errno::E2BIG,
                format!("the call stack of {} frames is too deep\n", curframe + 2),
            ));
        }
        let mut cb = st.clone();
        let caller = cb.cur().clone();
        let mut callee = FuncState::new(curframe as u32 + 1, pc);
        callee.subprog = start;
        match args {
            CalleeArgs::Loop => {
                callee.regs[1] = RegState::unknown();
                callee.regs[2] = caller.regs[3];
            }
            CalleeArgs::MapElem(map) => {
                callee.regs[1] = caller.regs[1];
                let mut key = RegState::pointer(RegType::MapKey);
                key.map = map;
                callee.regs[2] = key;
                let mut value = RegState::pointer(RegType::MapValue);
                value.map = map;
                // 6.18 gives each callback entry's value its own id.
                self.walk.next_id += 1;
                value.id = self.walk.next_id;
                callee.regs[3] = value;
                callee.regs[4] = caller.regs[3];
            }
        }
        callee.callback = Some(CallbackFrame {
            ret: (0, 1),
            refs_at_entry: st.refs.iter().map(|&(id, _)| id).collect(),
        });
        cb.frames.push(callee);
        cb.frames[curframe].callback_depth += 1;
        st.cur_mut().callback_depth = 0;
        self.push_branch(cb, start, pc);
        Ok(())
    }

    /// prepare_func_exit() of a callback: R0 in the callback's range, then
    /// back to the helper call (which schedules the callback again).
    pub(super) fn callback_exit(&mut self, st: &mut VerifierState, cb: CallbackFrame) -> Res<usize> {
        let r0 = st.cur().regs[0];
        if r0.ty != RegType::Scalar {
            return Err(self.reject(Errno::EACCES, "R0 not a scalar value\n".into()));
        }
        // The range check relies on R0's value: precise back along the
        // path that computed it (mark_chain_precision, as the kernel's
        // prepare_func_exit does), not only in this state.
        self.mark_chain_precision(st, 0)?;
        let (lo, hi) = cb.ret;
        if !(lo <= r0.smin && r0.smax <= hi) {
            let m = super::exit::invalid_scalar("At callback return", &r0, (lo, hi));
            return Err(self.reject(Errno::EINVAL, m));
        }
        if st.refs.iter().any(|(id, _)| !cb.refs_at_entry.contains(id)) {
            return Err(Stop::Unsupported("references held at a callback's exit"));
        }
        let callee = st.frames.pop().expect("a callback frame");
        // The frames changed: the stack liveness of the ended frame is
        // complete (as prepare_func_exit does for a bpf-to-bpf return).
        self.update_live_stack(st);
        self.widen_imprecise_scalars(st, callee.callsite);
        self.log_return_to_caller(st, &callee, callee.callsite);
        self.vlog.scratched_regs = u16::MAX;
        self.vlog.scratched_stack = u64::MAX;
        Ok(callee.callsite)
    }

    /// widen_imprecise_scalars(): against the state the current path had
    /// at the helper call `callsite` last (find_prev_entry: the newest
    /// checkpoint there still on the path, same call chain), every scalar
    /// (in registers and spilled) that changed and is precise on neither
    /// side becomes unknown, so that iterations converge (a counter in the
    /// callback's context, say).
    fn widen_imprecise_scalars(&mut self, st: &mut VerifierState, callsite: usize) {
        let Some(old) = self.find_prev_entry(st, callsite).cloned() else {
            return;
        };
        // regs_exact() up to the ids, which the two states name apart.
        let same = |o: &RegState, c: &RegState| {
            let (mut o, mut c) = (*o, *c);
            o.id = 0;
            c.id = 0;
            o == c
        };
        let widen = |o: &RegState, r: &mut RegState| {
            if o.ty == RegType::Scalar && r.ty == RegType::Scalar && !o.precise && !r.precise && !same(o, r) {
                *r = RegState::unknown();
            }
        };
        for (fi, f) in st.frames.iter_mut().enumerate() {
            let Some(of) = old.frames.get(fi) else { break };
            for i in 0..f.regs.len() {
                widen(&of.regs[i], &mut f.regs[i]);
            }
            for (i, s) in f.stack.iter_mut().enumerate() {
                let Some(os) = of.stack.get(i) else {
                    continue;
                };
                if os.types[7] == SlotType::Spill && s.types[7] == SlotType::Spill {
                    widen(&os.spilled, &mut s.spilled);
                }
            }
        }
    }

    /// A load or store through a pointer into a caller's stack (a
    /// callback's context): the access runs on that frame's stack.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn caller_stack_access(
        &mut self,
        st: &mut VerifierState,
        regno: u8,
        mut reg: RegState,
        off: i64,
        size: crate::isa::Size,
        access: super::ctx::Access,
        value: Option<RegState>,
    ) -> Res<Option<RegState>> {
        let target = reg.frameno as usize;
        let cur = st.frames.len() - 1;
        // check_stack_write_fixed_off(): no stack pointer into a caller's frame.
        let spill = value.filter(|v| v.ty == RegType::Stack && size == crate::isa::Size::DW);
        if access == super::ctx::Access::Write && spill.is_some() {
            return Err(self.reject(
                Errno::EINVAL,
                "cannot spill pointers to stack into stack frame of the caller\n".into(),
            ));
        }
        if target > cur {
            return Err(Stop::Unsupported("access to a callee's stack"));
        }
        // The target frame stands in as the current one for the access.
        st.frames.swap(target, cur);
        reg.frameno = cur as u32;
        let r = self.check_mem(st, regno, reg, off, size, access, value);
        let f = st.cur();
        let depth = self.facts.stack_depth.entry(f.subprog).or_insert(0);
        *depth = (*depth).max(f.stack.len() * 8);
        st.frames.swap(target, cur);
        r
    }

    /// check_mem_access() through PTR_TO_MAP_KEY: reads within the key.
    pub(super) fn check_map_key_access(
        &mut self,
        regno: u8,
        reg: &RegState,
        off: i64,
        size: i64,
        access: super::ctx::Access,
    ) -> Res<Option<RegState>> {
        if access == super::ctx::Access::Write {
            return Err(self.reject(Errno::EACCES, format!("write to change key R{regno} not allowed\n")));
        }
        self.check_mem_region_access(regno, reg, off + reg.off as i64, size, reg.map.key_size, false)?;
        Ok(Some(RegState::unknown()))
    }
}
