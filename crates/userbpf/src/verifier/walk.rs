//! The exploration's bookkeeping, as the kernel keeps it: the branches
//! still to explore (push_stack / pop_stack), the explored states
//! (checkpoints) with their parentage and branch counts, the current
//! state's lineage (its parent checkpoint, first and last instruction and
//! jump history, what precision backtracking walks), the counters the
//! statistics line prints, and the ids handed out along the walk.

use std::collections::HashMap;

use super::state::VerifierState;

/// A register or spilled stack slot linked to others by a scalar id, as a
/// conditional jump's history entry records them (linked_regs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Linked {
    Reg { frame: usize, reg: u8 },
    Slot { frame: usize, spi: usize },
}

/// struct bpf_jmp_history_entry: a jump into `idx` from `prev_idx`, with
/// what backtracking needs about the instruction (its stack slot if it
/// spilled or filled one; the scalars linked at a conditional jump).
#[derive(Clone, Debug)]
pub(super) struct HistEntry {
    pub(super) idx: usize,
    pub(super) prev_idx: i64,
    /// INSN_F_STACK_ACCESS: (frame, spi).
    pub(super) stack: Option<(usize, usize)>,
    pub(super) linked: Vec<Linked>,
}

/// Where a state comes from: the checkpoint it continues (parent), the
/// instructions it covers since (first_insn_idx..=last_insn_idx) and the
/// jumps among them.
#[derive(Clone, Debug, Default)]
pub(super) struct Lineage {
    pub(super) parent: Option<usize>,
    pub(super) first_insn_idx: usize,
    /// -1 before the first instruction.
    pub(super) last_insn_idx: i64,
    pub(super) history: Vec<HistEntry>,
}

/// One explored state (struct bpf_verifier_state_list).
pub(super) struct Checkpoint {
    pub(super) state: VerifierState,
    pub(super) insn_idx: usize,
    pub(super) lineage: Lineage,
    /// Paths from this state not yet finished (st->branches).
    pub(super) branches: u32,
    pub(super) hit_cnt: u32,
    pub(super) miss_cnt: u32,
    /// Evicted from its list (kept: children may still walk it).
    pub(super) evicted: bool,
    /// Dead registers already cleared (clean_verifier_state).
    pub(super) cleaned: bool,
}

/// One pending branch.
pub(super) struct Pending {
    pub(super) state: VerifierState,
    pub(super) lineage: Lineage,
    pub(super) pc: usize,
    pub(super) prev_pc: i64,
    pub(super) log_pos: usize,
}

/// What print_verification_stats reports, and the counters the
/// checkpoint heuristics read.
#[derive(Default, Debug)]
pub(super) struct Counters {
    pub(super) jmps_processed: u64,
    pub(super) prev_jmps_processed: u64,
    pub(super) prev_insn_processed: u64,
    pub(super) total_states: u64,
    pub(super) peak_states: u64,
    pub(super) max_states_per_insn: u64,
    /// States in the lists, and evicted ones not yet freed.
    pub(super) explored_size: u64,
    pub(super) free_size: u64,
}

impl Counters {
    pub(super) fn update_peak(&mut self) {
        self.peak_states = self.peak_states.max(self.explored_size + self.free_size);
    }
}

#[derive(Default)]
pub(super) struct Walk {
    pub(super) pending: Vec<Pending>,
    pub(super) checkpoints: Vec<Checkpoint>,
    /// explored_states: per hash bucket, checkpoint indices, oldest first
    /// (the kernel's list head is the last).
    pub(super) lists: HashMap<u32, Vec<usize>>,
    /// The current state's lineage.
    pub(super) cur: Lineage,
    /// A history entry was pushed for the instruction being checked
    /// (further flags merge into it).
    pub(super) hist_this_insn: bool,
    pub(super) counters: Counters,
    /// The last id handed out (pointers, references, linked scalars).
    pub(super) next_id: u32,
    /// The instruction being checked (reference allocation sites).
    pub(super) cur_pc: usize,
    /// The instruction checked before it (-1: none).
    pub(super) prev_pc: i64,
    /// struct bpf_scc_visit: per loop call chain, the checkpoint that
    /// entered it while its paths are being explored.
    pub(super) scc_visits: HashMap<Vec<usize>, Option<usize>>,
}

impl Walk {
    /// push_stack(): a branch to explore later, from the current state.
    pub(super) fn push(&mut self, state: VerifierState, pc: usize, prev_pc: i64, log_pos: usize) {
        if let Some(p) = self.cur.parent {
            self.checkpoints[p].branches += 1;
        }
        self.pending.push(Pending {
            state,
            lineage: self.cur.clone(),
            pc,
            prev_pc,
            log_pos,
        });
    }

    /// pop_stack(): the next pending branch becomes the current state.
    pub(super) fn pop(&mut self) -> Option<Pending> {
        let mut p = self.pending.pop()?;
        self.cur = std::mem::take(&mut p.lineage);
        Some(p)
    }

    /// update_branch_counts(): the current path ended; checkpoints whose
    /// every path is finished can be freed once evicted. Returns those
    /// checkpoints, innermost first.
    pub(super) fn end_path(&mut self) -> Vec<usize> {
        let mut done = Vec::new();
        let mut at = self.cur.parent;
        while let Some(i) = at {
            let c = &mut self.checkpoints[i];
            c.branches -= 1;
            if c.branches > 0 {
                break;
            }
            done.push(i);
            if c.evicted {
                // maybe_free_verifier_state().
                self.counters.free_size -= 1;
            }
            at = c.lineage.parent;
        }
        done
    }

    /// push_jmp_history(): into the current state's history; flags for the
    /// same instruction merge into its entry.
    pub(super) fn push_history(&mut self, stack: Option<(usize, usize)>, linked: Vec<Linked>) {
        if self.hist_this_insn {
            if let Some(e) = self.cur.history.last_mut() {
                e.stack = e.stack.or(stack);
                if !linked.is_empty() {
                    e.linked = linked;
                }
                return;
            }
        }
        self.cur.history.push(HistEntry {
            idx: self.cur_pc,
            prev_idx: self.prev_pc,
            stack,
            linked,
        });
        self.hist_this_insn = true;
    }
}
