//! Stack slot liveness (Linux 6.18's kernel/bpf/liveness.c): per call
//! chain and instruction, the slots the walk saw read there (may_read,
//! a union over visits) and fully written there (must_write, an
//! intersection over visits); after a path ends, a backward data flow over
//! the subprogram gives the slots that may still be read before each
//! instruction (live_before). Explored states forget dead slots when they
//! are cleaned, so states differing only in them compare equal.

use std::collections::HashMap;

use super::do_check::Env;
use super::state::VerifierState;
use crate::isa::opcode::MAX_CALL_FRAMES;

#[derive(Clone, Copy, Default)]
struct Masks {
    may_read: u64,
    must_write: u64,
    /// Written by this instruction or on every path after it.
    must_write_acc: u64,
    live_before: u64,
}

/// compute_postorder() for one subprogram: depth first from its start,
/// successors pushed in order (so the jump target is explored first).
fn postorder(insns: &[crate::isa::Insn], start: usize, end: usize) -> Vec<usize> {
    let mut state = vec![0u8; end - start];
    let mut order = Vec::new();
    let mut stack = vec![start];
    while let Some(&top) = stack.last() {
        state[top - start] |= 1;
        if state[top - start] & 2 != 0 {
            order.push(top);
            stack.pop();
            continue;
        }
        for s in crate::isa::cfg::successors(insns, top).into_iter().flatten() {
            if let Some(s) = usize::try_from(s).ok().filter(|s| (start..end).contains(s)) {
                if state[s - start] == 0 {
                    stack.push(s);
                    state[s - start] |= 1;
                }
            }
        }
        state[top - start] |= 2;
    }
    order
}

/// bpf_fmt_stack_mask().
fn stack_mask_text(m: u64) -> String {
    (0..64)
        .filter(|i| m & (1 << i) != 0)
        .map(|i| format!("{}", -(i as i64 + 1) * 8))
        .collect::<Vec<_>>()
        .join(",")
}

/// log_mask_change(): slots that became set (+) or clear (-).
fn mask_change(out: &mut String, chain: &str, what: &str, frame: usize, insn: usize, old: u64, new: u64) {
    let (ones, zeros) = (new & !old, old & !new);
    if ones | zeros == 0 {
        return;
    }
    out.push_str(&format!("{chain} frame {frame} insn {insn} "));
    if ones != 0 {
        out.push_str(&format!("+{what} {} ", stack_mask_text(ones)));
    }
    if zeros != 0 {
        out.push_str(&format!("-{what} {}", stack_mask_text(zeros)));
    }
    out.push('\n');
}

/// struct func_instance: one subprogram reached through one call chain.
struct Instance {
    /// The subprogram's slots: [start, end).
    start: usize,
    end: usize,
    /// Per frame of the chain, per instruction of the subprogram.
    frames: HashMap<usize, Vec<Masks>>,
    /// must_write was set for the instruction (first visit).
    must_write_set: Vec<bool>,
    /// Marks changed since the last data flow.
    updated: bool,
    /// Some must_write shrank (must_write_acc is recomputed from scratch).
    must_write_dropped: bool,
}

impl Instance {
    fn masks(&mut self, frame: usize, insn: usize) -> &mut Masks {
        let len = self.end - self.start;
        &mut self.frames.entry(frame).or_insert_with(|| vec![Masks::default(); len])[insn - self.start]
    }

    fn live_before(&self, frame: usize, insn: usize) -> u64 {
        match self.frames.get(&frame) {
            Some(v) if (self.start..self.end).contains(&insn) => v[insn - self.start].live_before,
            _ => 0,
        }
    }
}

/// The call chain of frame `frame` of `st`: the call sites of the frames
/// below it, then its subprogram's first instruction.
fn callchain(st: &VerifierState, frame: usize) -> Vec<usize> {
    let mut c: Vec<usize> = (0..frame).map(|i| st.frames[i + 1].callsite).collect();
    c.push(st.frames[frame].subprog);
    c
}

#[derive(Default)]
pub(super) struct StackLiveness {
    instances: HashMap<Vec<usize>, Instance>,
    /// Writes of the instruction being checked, per frame.
    write_acc: [u64; MAX_CALL_FRAMES],
    write_insn: usize,
    /// The current state's chain (cur_instance), None after a frame change.
    cur: Option<Vec<usize>>,
}

impl Env<'_> {
    fn instance(&mut self, chain: &[usize]) -> &mut Instance {
        let starts = &self.prog.subprog_starts;
        let len = self.prog.insns.len();
        self.stack_live.instances.entry(chain.to_vec()).or_insert_with(|| {
            let start = *chain.last().expect("a chain");
            let end = starts.iter().copied().find(|&s| s > start).unwrap_or(len);
            Instance {
                start,
                end,
                frames: HashMap::new(),
                must_write_set: vec![false; end - start],
                updated: false,
                must_write_dropped: false,
            }
        })
    }

    fn cur_chain(&mut self, st: &VerifierState) -> Vec<usize> {
        if self.stack_live.cur.is_none() {
            self.stack_live.cur = Some(callchain(st, st.frames.len() - 1));
        }
        self.stack_live.cur.clone().expect("set")
    }

    /// bpf_reset_live_stack_callchain(): the frames changed.
    pub(super) fn stack_live_frames_changed(&mut self) {
        self.stack_live.cur = None;
    }

    /// bpf_mark_stack_read(): slot `spi` of frame `frame` may be read here.
    pub(super) fn mark_stack_read(&mut self, st: &VerifierState, frame: usize, spi: usize) {
        if spi >= 64 {
            return;
        }
        let insn = self.walk.cur_pc;
        let chain = self.cur_chain(st);
        let inst = self.instance(&chain);
        let m = inst.masks(frame, insn);
        let new = m.may_read | 1 << spi;
        let grows = new != m.may_read && (new | m.live_before) != m.live_before;
        m.may_read = new;
        inst.updated |= grows;
    }

    /// bpf_mark_stack_write(): the whole slot is written here.
    pub(super) fn mark_stack_write(&mut self, frame: usize, spi: usize) {
        if spi < 64 && frame < MAX_CALL_FRAMES {
            self.stack_live.write_acc[frame] |= 1 << spi;
        }
    }

    /// bpf_reset_stack_write_marks(): before an instruction.
    pub(super) fn reset_stack_writes(&mut self, st: &VerifierState, insn: usize) {
        self.cur_chain(st);
        self.stack_live.write_acc = [0; MAX_CALL_FRAMES];
        self.stack_live.write_insn = insn;
    }

    /// bpf_commit_stack_write_marks(): after it (not after a call or a
    /// return, which changed the frames).
    pub(super) fn commit_stack_writes(&mut self) {
        let Some(chain) = self.stack_live.cur.clone() else {
            return;
        };
        let acc = self.stack_live.write_acc;
        let insn = self.stack_live.write_insn;
        let inst = self.instance(&chain);
        if !(inst.start..inst.end).contains(&insn) {
            return;
        }
        let idx = insn - inst.start;
        let seen = inst.must_write_set[idx];
        for (frame, &mask) in acc.iter().enumerate().take(chain.len()) {
            if mask == 0 && !seen {
                continue;
            }
            let m = inst.masks(frame, insn);
            let new = if seen { mask & m.must_write } else { mask };
            let changed = new != m.must_write;
            let dropped = m.must_write & !new != 0;
            m.must_write = new;
            inst.updated |= changed;
            inst.must_write_dropped |= dropped;
        }
        inst.must_write_set[idx] = true;
    }

    /// bpf_update_live_stack(): the data flow of every instance along the
    /// current state's chain whose marks changed.
    pub(super) fn update_live_stack(&mut self, st: &VerifierState) {
        self.stack_live.cur = None;
        for frame in (0..st.frames.len()).rev() {
            let chain = callchain(st, frame);
            if !self.instance(&chain).updated {
                continue;
            }
            let text = self.update_instance(&chain);
            if self.vlog.log.level & 2 != 0 {
                self.verbose(&text);
            }
        }
    }

    /// update_instance(): live_before and must_write_acc to a fixed point,
    /// over the subprogram's instructions in postorder; the level-2 lines
    /// it logs.
    fn update_instance(&mut self, chain: &[usize]) -> String {
        let insns = self.prog.insns;
        let prune_points = &self.prog.prune_points;
        let inst = self.stack_live.instances.get_mut(chain).expect("looked up");
        inst.updated = false;
        let (start, end) = (inst.start, inst.end);
        if inst.must_write_dropped {
            for v in inst.frames.values_mut() {
                v.iter_mut().for_each(|m| m.must_write_acc = 0);
            }
        }
        inst.must_write_dropped = false;
        let order = postorder(insns, start, end);
        let name = format!(
            "({})",
            chain.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(",")
        );
        let mut frames: Vec<usize> = inst.frames.keys().copied().collect();
        frames.sort_unstable();
        let mut text = String::new();
        let mut passes = 0;
        loop {
            passes += 1;
            let mut changed = false;
            for &frame in &frames {
                let v = inst.frames.get_mut(&frame).expect("a frame");
                for &pc in &order {
                    let succ: Vec<usize> = crate::isa::cfg::successors(insns, pc)
                        .into_iter()
                        .flatten()
                        .filter_map(|s| usize::try_from(s).ok().filter(|s| (start..end).contains(s)))
                        .collect();
                    if succ.is_empty() {
                        continue;
                    }
                    let mut after = 0;
                    let mut acc = u64::MAX;
                    for &s in &succ {
                        after |= v[s - start].live_before;
                        acc &= v[s - start].must_write_acc;
                    }
                    let m = &mut v[pc - start];
                    acc |= m.must_write;
                    let before = (after & !m.must_write) | m.may_read;
                    changed |= before != m.live_before || acc != m.must_write_acc;
                    if m.may_read != 0 || m.must_write != 0 || pc == start || prune_points[pc] {
                        mask_change(&mut text, &name, "live", frame, pc, m.live_before, before);
                        mask_change(&mut text, &name, "written", frame, pc, m.must_write_acc, acc);
                    }
                    m.live_before = before;
                    m.must_write_acc = acc;
                }
            }
            if !changed {
                break;
            }
        }
        text.push_str(&format!("{name} live stack update done in {passes} iterations\n"));
        text
    }

    /// bpf_stack_slot_alive() for slot `spi` of frame `frameno` of `st`
    /// at `insn`: read later in the frame's instance, or after the call
    /// of some frame above.
    pub(super) fn stack_slot_alive(&mut self, st: &VerifierState, insn: usize, frameno: usize, spi: usize) -> bool {
        if spi >= 64 {
            return true;
        }
        let curframe = st.frames.len() - 1;
        let chain = callchain(st, curframe);
        if self.instance(&chain).live_before(frameno, insn) & (1 << spi) != 0 {
            return true;
        }
        for (i, &callsite) in chain.iter().enumerate().take(curframe).skip(frameno) {
            let outer = callchain(st, i);
            if self.instance(&outer).live_before(frameno, callsite + 1) & (1 << spi) != 0 {
                return true;
            }
        }
        false
    }
}
