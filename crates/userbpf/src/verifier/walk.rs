//! The exploration's bookkeeping: the branches still to explore
//! (push_stack / pop_stack), the states seen at jump targets (exact-state
//! pruning and the infinite-loop check on the current path), and the ids
//! handed out along the walk.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::state::VerifierState;

/// One pending branch.
pub(super) struct Pending {
    pub(super) state: VerifierState,
    pub(super) pc: usize,
    pub(super) prev_pc: usize,
    pub(super) log_pos: usize,
    /// Length of the current path when the branch was pushed.
    pub(super) path_len: usize,
}

pub(super) fn state_hash(st: &VerifierState) -> u64 {
    let mut h = DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

/// Pending branches, seen states and the current path.
#[derive(Default)]
pub(super) struct Walk {
    pub(super) pending: Vec<Pending>,
    /// States seen at jump targets on finished or current paths.
    pub(super) visited: HashMap<usize, HashMap<u64, Vec<VerifierState>>>,
    /// (pc, state hash) at each jump target on the current path.
    pub(super) path: Vec<(usize, u64)>,
    /// The same entries, for constant-time lookups (long loops).
    pub(super) on_path: HashSet<(usize, u64)>,
    /// The last id handed out (pointers, references, linked scalars).
    pub(super) next_id: u32,
    /// The instruction being checked (reference allocation sites).
    pub(super) cur_pc: usize,
}

impl Walk {
    /// push_stack(): a branch to explore later, from the current path.
    pub(super) fn push(&mut self, state: VerifierState, pc: usize, prev_pc: usize, log_pos: usize) {
        let path_len = self.path.len();
        self.pending.push(Pending {
            state,
            pc,
            prev_pc,
            log_pos,
            path_len,
        });
    }

    /// pop_stack(): the next pending branch; the current path is cut back
    /// to where the branch was taken.
    pub(super) fn pop(&mut self) -> Option<Pending> {
        let p = self.pending.pop()?;
        // The path continues from where the branch was taken.
        for e in self.path.drain(p.path_len.min(self.path.len())..) {
            self.on_path.remove(&e);
        }
        Some(p)
    }
}
