//! is_state_visited(): at a prune point, compare the current state with
//! the explored states of the same instruction (a match ends the path:
//! it is safe), detect infinite loops against states still on the path,
//! and decide, with the kernel's heuristics, whether the current state
//! becomes a checkpoint itself; plus the kernel's eviction of states that
//! keep missing, and the counters of the statistics line.

use super::do_check::{Env, Res};
use super::reg::{RegState, RegType};
use super::state::{SlotType, StackSlot, VerifierState};
use super::states_equal::{states_equal, states_maybe_looping, ExactLevel};
use super::walk::{Checkpoint, Lineage};
use crate::uapi::Errno;

/// BPF_COMPLEXITY_LIMIT_STATES: states per instruction for the unprivileged.
const COMPLEXITY_LIMIT_STATES: u64 = 64;
/// Jumps since the last checkpoint under which loops add none.
const MAX_JMPS_PER_STATE: u64 = 20;

pub(super) enum Visit {
    /// An equivalent explored state: the path is safe.
    Hit,
    /// Go on (the current state may have become a checkpoint).
    Miss,
}

/// The frame's callsite as the kernel keeps it (BPF_MAIN_FUNC is -1).
fn callsite_of(st: &VerifierState) -> i32 {
    if st.frames.len() == 1 {
        -1
    } else {
        st.cur().callsite as i32
    }
}

/// same_callsites().
fn same_callsites(a: &VerifierState, b: &VerifierState) -> bool {
    a.frames.len() == b.frames.len() && a.frames.iter().zip(&b.frames).all(|(x, y)| x.callsite == y.callsite)
}

impl Env<'_> {
    /// find_prev_entry(): the newest checkpoint at `insn` still on the
    /// current path (branches left) with the same call chain as `st`.
    pub(super) fn find_prev_entry(&self, st: &VerifierState, insn: usize) -> Option<&VerifierState> {
        let list = self.walk.lists.get(&self.bucket(insn, st))?;
        list.iter()
            .rev()
            .map(|&i| &self.walk.checkpoints[i])
            .find_map(|c| (c.insn_idx == insn && c.branches > 0 && same_callsites(&c.state, st)).then_some(&c.state))
    }

    /// explored_state(): the list (bucket) of `insn` for the current frame.
    fn bucket(&self, insn: usize, st: &VerifierState) -> u32 {
        ((insn as i32 ^ callsite_of(st)) as u32) % self.prog.insns.len() as u32
    }

    /// clean_verifier_state(): dead registers of a finished checkpoint
    /// become NOT_INIT (compute_live_registers; each frame at its own
    /// instruction: the callee's, or the call it is in).
    fn clean_checkpoint(&mut self, i: usize) {
        let c = &mut self.walk.checkpoints[i];
        c.cleaned = true;
        let n = c.state.frames.len();
        for fi in 0..n {
            let ip = if fi + 1 == n {
                c.insn_idx
            } else {
                c.state.frames[fi + 1].callsite
            };
            let live = self.prog.live_regs[ip];
            for (r, reg) in c.state.frames[fi].regs.iter_mut().enumerate().take(10) {
                if live & (1 << r) == 0 {
                    *reg = RegState::not_init();
                }
            }
        }
        // Dead stack slots (bpf_stack_slot_alive) become invalid.
        let (state, insn) = (c.state.clone(), c.insn_idx);
        for fi in 0..n {
            for spi in 0..state.frames[fi].stack.len() {
                if !self.stack_slot_alive(&state, insn, fi, spi) {
                    self.walk.checkpoints[i].state.frames[fi].stack[spi] = StackSlot::default();
                }
            }
        }
    }

    pub(super) fn is_state_visited(&mut self, st: &mut VerifierState, insn: usize) -> Res<Visit> {
        let privileged = self.prog.privileged;
        let force_new_state = self.walk.cur.history.len() > 40 || self.prog.calls_callback[insn];
        let c = &self.walk.counters;
        let mut add_new_state = force_new_state
            || (c.jmps_processed - c.prev_jmps_processed >= 2 && self.insn_processed - c.prev_insn_processed >= 8);
        let key = self.bucket(insn, st);
        let list: Vec<usize> = match self.walk.lists.get(&key) {
            Some(l) => l.clone(),
            None => Vec::new(),
        };
        // clean_live_states(): finished checkpoints of this instruction.
        for &i in list.iter().rev() {
            let c = &self.walk.checkpoints[i];
            if c.branches == 0 && !c.cleaned && c.insn_idx == insn && same_callsites(&c.state, st) {
                self.clean_checkpoint(i);
            }
        }
        let mut states_cnt = 0u64;
        let mut evict = Vec::new();
        // Newest first, as the kernel's list.
        for &i in list.iter().rev() {
            states_cnt += 1;
            if self.walk.checkpoints[i].insn_idx != insn {
                continue;
            }
            let id_gen = self.walk.next_id;
            let mut hit = false;
            if self.walk.checkpoints[i].branches > 0 {
                // Still on the current path: a loop.
                let old = &self.walk.checkpoints[i].state;
                // A callback's iterations: a state within the old one's
                // ranges has been seen; anything else iterates again.
                if self.prog.calls_callback[insn] {
                    hit = states_equal(old, st, ExactLevel::RangeWithin, id_gen, privileged);
                } else if states_maybe_looping(old, st) && states_equal(old, st, ExactLevel::Exact, id_gen, privileged)
                {
                    let old = old.frames[st.frames.len() - 1].clone();
                    let refs = st.printed_refs();
                    let cur = self.vlog.state_text(&st.cur().clone(), &refs, true);
                    let old = self.vlog.state_text(&old, &refs, true);
                    return Err(self.reject(
                        Errno::EINVAL,
                        format!("infinite loop detected at insn {insn}\ncur state:{cur}old state:{old}"),
                    ));
                }
                let c = &self.walk.counters;
                if !hit
                    && !force_new_state
                    && c.jmps_processed - c.prev_jmps_processed < MAX_JMPS_PER_STATE
                    && self.insn_processed - c.prev_insn_processed < 100
                {
                    add_new_state = false;
                }
            } else {
                hit = states_equal(
                    &self.walk.checkpoints[i].state,
                    st,
                    ExactLevel::NotExact,
                    id_gen,
                    privileged,
                );
            }
            if hit {
                self.walk.checkpoints[i].hit_cnt += 1;
                if self.prog.jmp_points[insn] {
                    self.walk.push_history(None, Vec::new());
                }
                self.propagate_precision(i)?;
                self.evict(key, &evict);
                return Ok(Visit::Hit);
            }
            // miss:
            let c = &mut self.walk.checkpoints[i];
            if add_new_state {
                c.miss_cnt += 1;
            }
            let n = 3;
            if c.miss_cnt > c.hit_cnt * n + n {
                evict.push(i);
            }
        }
        self.evict(key, &evict);
        let c = &mut self.walk.counters;
        c.max_states_per_insn = c.max_states_per_insn.max(states_cnt);
        if (!privileged && states_cnt > COMPLEXITY_LIMIT_STATES) || !add_new_state {
            return Ok(Visit::Miss);
        }
        c.total_states += 1;
        c.explored_size += 1;
        c.update_peak();
        c.prev_jmps_processed = c.jmps_processed;
        c.prev_insn_processed = self.insn_processed;
        // mark_all_scalars_imprecise(): precision comes back by backtracking.
        if privileged {
            for f in st.frames.iter_mut() {
                for r in f.regs.iter_mut().filter(|r| r.ty == RegType::Scalar) {
                    r.precise = false;
                }
                for s in f.stack.iter_mut() {
                    if s.types[7] == SlotType::Spill && s.spilled.ty == RegType::Scalar {
                        s.spilled.precise = false;
                    }
                }
            }
        }
        let lineage = std::mem::replace(
            &mut self.walk.cur,
            Lineage {
                parent: None,
                first_insn_idx: insn,
                last_insn_idx: self.walk.prev_pc,
                history: Vec::new(),
            },
        );
        let idx = self.walk.checkpoints.len();
        self.walk.checkpoints.push(Checkpoint {
            state: st.clone(),
            insn_idx: insn,
            lineage,
            branches: 1,
            hit_cnt: 0,
            miss_cnt: 0,
            evicted: false,
            cleaned: false,
        });
        self.walk.cur.parent = Some(idx);
        self.walk.lists.entry(key).or_default().push(idx);
        self.maybe_enter_scc(idx);
        Ok(Visit::Miss)
    }

    /// compute_scc_callchain(): the call sites down to the outermost
    /// frame that is in a loop, then that loop's number (None: no frame is).
    fn scc_callchain(&self, st: &VerifierState, insn: usize) -> Option<Vec<usize>> {
        let n = st.frames.len();
        let mut chain = Vec::new();
        for i in 0..n {
            let ip = if i + 1 == n { insn } else { st.frames[i + 1].callsite };
            match self.prog.scc[ip] {
                0 if i + 1 < n => chain.push(ip),
                0 => return None,
                scc => {
                    chain.push(scc as usize);
                    return Some(chain);
                }
            }
        }
        None
    }

    /// The callchain as format_callchain() prints it.
    fn callchain_text(chain: &[usize]) -> String {
        let (scc, sites) = chain.split_last().expect("a loop number");
        let sites: String = sites.iter().map(|s| format!("{s},")).collect();
        format!("({sites}{scc})")
    }

    /// maybe_enter_scc(): a checkpoint inside a loop whose visit has no
    /// entry state becomes it.
    fn maybe_enter_scc(&mut self, idx: usize) {
        let cp = &self.walk.checkpoints[idx];
        let Some(chain) = self.scc_callchain(&cp.state, cp.insn_idx) else {
            return;
        };
        let entry = self.walk.scc_visits.entry(chain.clone()).or_insert(None);
        if entry.is_none() {
            *entry = Some(idx);
            if self.vlog.log.level & 2 != 0 {
                self.verbose(&format!("SCC enter {}\n", Self::callchain_text(&chain)));
            }
        }
    }

    /// maybe_exit_scc(): every path from a loop's entry state is finished.
    pub(super) fn maybe_exit_scc(&mut self, idx: usize) {
        let cp = &self.walk.checkpoints[idx];
        let Some(chain) = self.scc_callchain(&cp.state, cp.insn_idx) else {
            return;
        };
        if let Some(entry) = self.walk.scc_visits.get_mut(&chain) {
            if *entry == Some(idx) {
                *entry = None;
                if self.vlog.log.level & 2 != 0 {
                    self.verbose(&format!("SCC exit {}\n", Self::callchain_text(&chain)));
                }
            }
        }
    }

    /// Move missing states out of their list (to the free list; freed
    /// once every path from them is finished).
    fn evict(&mut self, key: u32, which: &[usize]) {
        if which.is_empty() {
            return;
        }
        if let Some(l) = self.walk.lists.get_mut(&key) {
            l.retain(|i| !which.contains(i));
        }
        for &i in which {
            let c = &mut self.walk.checkpoints[i];
            c.evicted = true;
            self.walk.counters.explored_size -= 1;
            if c.branches > 0 {
                self.walk.counters.free_size += 1;
            }
        }
    }
}
