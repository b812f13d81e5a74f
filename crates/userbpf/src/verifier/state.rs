//! Function and verifier state (struct bpf_func_state / bpf_verifier_state):
//! registers, stack slots with their byte types and spilled registers, and
//! the call frames.

use super::reg::{RegState, RegType};
use crate::isa::opcode::MAX_BPF_STACK;

/// What one stack byte holds (enum bpf_stack_slot_type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SlotType {
    Invalid,
    Spill,
    Misc,
    Zero,
}

impl SlotType {
    pub fn log_char(self) -> char {
        match self {
            SlotType::Invalid => '?',
            SlotType::Spill => 'r',
            SlotType::Misc => 'm',
            SlotType::Zero => '0',
        }
    }
}

/// One 8-byte stack slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StackSlot {
    pub types: [SlotType; 8],
    pub spilled: RegState,
}

impl Default for StackSlot {
    fn default() -> Self {
        StackSlot {
            types: [SlotType::Invalid; 8],
            spilled: RegState::not_init(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncState {
    pub regs: [RegState; 11],
    /// Slot i covers fp-(i+1)*8 .. fp-i*8.
    pub stack: Vec<StackSlot>,
    pub frameno: u32,
    /// Where to continue after this frame returns.
    pub callsite: usize,
    /// The first instruction of the subprogram this frame runs.
    pub subprog: usize,
    /// A callback's frame: what its exit checks (see [`super::callbacks`]).
    pub callback: Option<super::callbacks::CallbackFrame>,
    /// Callbacks of this frame's callback-calling helper verified on this
    /// path since the helper was last passed (bpf_loop's unrolling bound;
    /// states are compared without it).
    pub callback_depth: u64,
}

impl FuncState {
    /// A frame at entry: R10 is the frame pointer, the rest not initialized
    /// (the caller sets R1..R5).
    pub fn new(frameno: u32, callsite: usize) -> Self {
        let mut regs = [RegState::not_init(); 11];
        let mut fp = RegState::pointer(RegType::Stack);
        fp.frameno = frameno;
        regs[10] = fp;
        FuncState {
            regs,
            stack: Vec::new(),
            frameno,
            callsite,
            subprog: 0,
            callback: None,
            callback_depth: 0,
        }
    }

    /// Grow the tracked stack to cover `depth` bytes below fp.
    pub fn grow_stack(&mut self, depth: usize) {
        let slots = depth.min(MAX_BPF_STACK).div_ceil(8);
        if self.stack.len() < slots {
            self.stack.resize(slots, StackSlot::default());
        }
    }
}

/// The state of one path: its call frames.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerifierState {
    pub frames: Vec<FuncState>,
    /// Acquired references (id, allocating insn), in acquisition order.
    pub refs: Vec<(u32, usize)>,
    /// The bpf_spin_lock held (active_locks, at most one).
    pub lock: Option<ActiveLock>,
}

/// A held bpf_spin_lock: the map value pointer's id and its map (the
/// kernel's lock state id and ptr).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ActiveLock {
    pub id: u32,
    pub map: u32,
}

impl VerifierState {
    pub fn cur(&self) -> &FuncState {
        self.frames.last().expect("a frame")
    }

    pub fn cur_mut(&mut self) -> &mut FuncState {
        self.frames.last_mut().expect("a frame")
    }

    /// The references print_verifier_state lists: pointer references, then
    /// the lock (always acquired last: no call may follow it).
    pub fn printed_refs(&self) -> Vec<(u32, usize)> {
        let mut refs = self.refs.clone();
        refs.extend(self.lock.map(|l| (l.id, 0)));
        refs
    }
}
