//! The compiler's state, by job: what the analyses found before emission
//! ([`Facts`]), what is tracked along the current straight line
//! ([`Straight`]), where an unrolled loop's copies stand ([`Unrolling`]),
//! and the code that waits to be emitted out of line ([`OutOfLine`]). The
//! code buffer, the slot labels, the options and the blinding key stay on
//! the `Compiler` itself.

use super::jumps::Range64;
use super::liveness::Liveness;
use super::{Lag, Site};
use crate::exec::jit::direct::DirectCall;
use crate::exec::jit::x86_64::emit::{Label, Mem, R, W};
use crate::exec::AccessProof;
use crate::isa::Instruction;

/// Computed once from the program before emission starts.
pub(super) struct Facts {
    pub(super) len: usize,
    /// The program never writes r10: frame accesses at r10 + a constant
    /// skip their check.
    pub(super) stack_fast: bool,
    /// Instructions a jump or call lands on (where straight lines begin).
    pub(super) landing: Vec<bool>,
    /// 64-bit constants held in registers the program leaves free
    /// (constants.rs), loaded by the prologue.
    pub(super) constants: Vec<(u64, R)>,
    /// Registers live after each pc (liveness.rs).
    pub(super) live: Liveness,
    /// Tests against zero by pc, for the ranges to decide (jumps.rs).
    pub(super) zero_tests: Vec<Option<(u8, bool, i16)>>,
    /// Accesses the verifier proved safe, by pc.
    pub(super) proven: Vec<AccessProof>,
    /// Context slots of region deltas held in registers for the whole run
    /// (see [`super::access::pinned_bases`]).
    pub(super) pinned: Vec<(usize, R)>,
    /// Map-helper calls compiled as direct calls, by pc.
    pub(super) direct: Vec<DirectCall>,
}

/// The compiler's own bookkeeping along the current straight line (reset
/// where jumps land and after calls), no proof needed.
#[derive(Default)]
pub(super) struct Straight {
    /// Registers known to hold r10 + a constant here: accesses through
    /// them inside the frame take r10's unchecked path.
    pub(super) frame_offset: [Option<i32>; 11],
    /// Unsigned ranges of the registers (jumps.rs).
    pub(super) ranges: [Range64; 11],
    /// BPF registers whose value is a cached constant's register, not their
    /// own, and one about to be after the next `left` instructions are
    /// tracked: (register, host register, left).
    pub(super) alias: [Option<R>; 11],
    pub(super) alias_pending: Option<(u8, R, usize)>,
    /// Ranges of frame slots: (offset from r10, bytes, range).
    pub(super) slots: Vec<(i32, usize, (u64, u64))>,
}

/// Compiling an unrolled loop's copies (unroll.rs).
#[derive(Default)]
pub(super) struct Unrolling {
    /// The loop's head and tail.
    pub(super) copy_body: Option<(usize, usize)>,
    /// Inside a copy whose increments are folded: the index register lags
    /// behind the index (see [`super::unroll`]).
    pub(super) lag: Option<Lag>,
    /// Inside an unrolled round: accesses its start checked for every copy.
    pub(super) round_checked: Vec<usize>,
    /// Accesses whose address was checked over a range before the rounds,
    /// (pc, first, last address); one whose address the ranges place
    /// inside it needs no check of its own.
    pub(super) range_checked: Vec<(usize, u64, u64)>,
    /// Inside an unrolled round: exit tests its start decided (not taken
    /// in any copy), by pc (exit_tests.rs).
    pub(super) hoisted: Vec<usize>,
}

/// Code emitted after the program (stubs.rs), and what the listing needs.
pub(super) struct OutOfLine {
    /// Fault sites, each with the label of its stub and, for memory
    /// faults, the address operand the stub recomputes the guest address
    /// from (the fast path never materialises it).
    pub(super) sites: Vec<(Label, Site, Option<Mem>)>,
    pub(super) epilogue: Label,
    pub(super) fault_exit: Label,
    pub(super) exit_zero: Label,
    /// The shared routine converting a negative LD_ABS/LD_IND offset (None
    /// until an LD_ABS/LD_IND needs it).
    pub(super) ld_abs_neg: Option<Label>,
    /// Direct calls' helper paths: (entry, pc, helper id, where to go on).
    pub(super) slow_calls: Vec<(Label, usize, u32, Label)>,
    /// Ways out of unrolled copies: (entry, register, lag, width, target)
    /// (`add register, lag; jmp target`).
    pub(super) lag_exits: Vec<(Label, u8, i32, W, Label)>,
    /// Blocks moved out of line (jumps.rs), and where their instructions
    /// went (pc, offset).
    pub(super) deferred: Vec<Vec<(usize, Instruction)>>,
    pub(super) placed: Vec<(usize, u32)>,
    /// Code that belongs to no single instruction, for the listing.
    pub(super) notes: Vec<(u32, String)>,
}
