//! What the walk learns about the program as a whole, for after the
//! verdict: per instruction, what its accesses proved (the engines elide
//! checks on it), the deepest stack of each subprogram
//! (check_max_stack_depth) and how many helper calls were checked.

use std::collections::HashMap;

use super::reg::{RegState, RegType};
use crate::exec::AccessProof;

pub(super) struct Facts {
    /// Per instruction: None not reached, else what every access so far
    /// proved (see [`AccessProof`]).
    access_proof: Vec<Option<AccessProof>>,
    /// The deepest stack each subprogram (by first instruction) reached.
    pub(super) stack_depth: HashMap<usize, usize>,
    /// Helper calls processed so far.
    pub(super) helper_calls: u64,
}

impl Facts {
    pub(super) fn new(len: usize) -> Self {
        Facts {
            access_proof: vec![None; len],
            stack_depth: HashMap::new(),
            helper_calls: 0,
        }
    }

    /// Record that the access at `pc` passed the checks for a pointer of
    /// type `base.ty`.
    pub(super) fn note_access(&mut self, pc: usize, base: &RegState) {
        let proof = match base.ty {
            RegType::Ctx => AccessProof::Context,
            RegType::Packet | RegType::PacketMeta => AccessProof::Packet,
            // An inner map's value lies in whichever inner map the run
            // finds, which need not be one of the program's regions.
            RegType::MapValue if base.map.index == super::reg::INNER_MAP_INDEX => AccessProof::None,
            RegType::MapValue => AccessProof::Map(base.map.index),
            RegType::Stack => AccessProof::Stack,
            _ => AccessProof::None,
        };
        if let Some(p) = self.access_proof.get_mut(pc) {
            *p = Some(p.map_or(proof, |old| old.join(proof)));
        }
    }

    /// Per instruction, what every verified visit of its load or store
    /// proved.
    pub(super) fn access_proofs(&self) -> Vec<AccessProof> {
        self.access_proof.iter().map(|p| p.unwrap_or_default()).collect()
    }
}
