//! The run context shared by compiled code and the Rust side of a run: one
//! `u64` buffer whose address the image keeps in r12.
//!
//! ```text
//! slot  0..12   header (HOT fields first, reachable with 8-bit displacements)
//! slot 12..23   BPF registers r0..r10: inputs at entry, r0 at exit, spill
//!               area around helper calls
//! slot 23..25   LD_ABS/LD_IND: what SKF_NET_OFF and SKF_LL_OFF offsets add
//! slot 25       whether direct map calls (jit/direct.rs) may be taken
//! slot 26       the run's CPU (what direct map updates pass on)
//! slot 27       the run's environment (what direct environment helpers take)
//! slot 28..44   the context region's entry, copied (accesses the verifier
//!               places in it use fixed displacements)
//! slot 44..60   the packet region's entry, copied
//! slot 60..76   the frame window (STACK_SIZE bytes below r10) as an entry
//! slot 76       which of the three were found
//! slot 77..     region table, 16 slots per entry: host pointer, readable
//!               length, writable length (0 when read-only), host minus
//!               guest address, guest base, then for accesses of 1, 2, 4
//!               and 8 bytes the readable and writable limits (length -
//!               size + 1, 0 when none fits): an access at guest address
//!               `a` is in bounds when `a - base < limit` (unsigned).
//!               Entry t describes guest addresses t << 32 | offset, so
//!               entry 0 (NULL and small integers) is all zeros.
//! ```

use std::cell::Cell;

use crate::exec::memory::{AccessKind, GuestMemory, RegionKind};

/// Number of table entries (regions + 1).
pub const NENT: usize = 0;
/// Host minus guest address of the stack region.
pub const STACK_DELTA: usize = 1;
/// Instructions left (metered images only).
pub const BUDGET: usize = 2;
/// may_goto iterations left.
pub const MAY_GOTO: usize = 3;
/// Guest address of the packet for LD_ABS/LD_IND.
pub const PKT_BASE: usize = 4;
/// Packet length (0 when there is no packet: every LD_ABS exits with 0).
pub const PKT_LEN: usize = 5;
/// Host rsp after the prologue, restored by the epilogue.
pub const SAVED_RSP: usize = 6;
/// Lowest rsp at which a bpf-to-bpf call may still push a frame.
pub const CALL_LIMIT: usize = 7;
/// `*mut CallEnv` handed back to the trampoline.
pub const ENV: usize = 8;
/// Address of the helper trampoline.
pub const TRAMPOLINE: usize = 9;
/// Guest address of a faulting access.
pub const FAULT_ADDR: usize = 10;
/// Index of the fault site that stopped the run.
pub const FAULT_SITE: usize = 11;
/// r0..r10.
pub const REGS: usize = 12;
/// LdAbsPacket::net_delta() and mac_delta() (see exec/ld_abs.rs).
pub const PKT_NET_DELTA: usize = 23;
pub const PKT_MAC_DELTA: usize = 24;
/// Non-zero when this run's maps are the ones the image's direct map
/// calls were compiled for (else every call takes the trampoline).
pub const DIRECT_OK: usize = 25;
/// The CPU the run is on (ExecEnv::cpu).
pub const CPU: usize = 26;
/// The run's environment (`*const E::Run`, see exec/env.rs).
pub const RUN_ENV: usize = 27;
/// A copy of the context region's table entry (RegionKind::Context).
pub const CTX_REGION: usize = 28;
/// A copy of the packet region's table entry (RegionKind::Packet).
pub const PACKET_REGION: usize = CTX_REGION + ENTRY_SLOTS;
/// The run's frame window (the STACK_SIZE bytes below the frame pointer,
/// inside one writable region), as a table entry.
pub const STACK_REGION: usize = PACKET_REGION + ENTRY_SLOTS;
/// Bit 0: CTX_REGION is filled; bit 1: PACKET_REGION; bit 2: STACK_REGION.
pub const KIND_FOUND: usize = STACK_REGION + ENTRY_SLOTS;
/// First table entry.
pub const TABLE: usize = KIND_FOUND + 1;
/// Slots per table entry, and log2 of its size in bytes.
pub const ENTRY_SLOTS: usize = 16;
pub const ENTRY_SHIFT: u8 = 7;
/// Offsets within an entry.
pub const ENTRY_PTR: usize = 0;
pub const ENTRY_RLEN: usize = 1;
pub const ENTRY_WLEN: usize = 2;
pub const ENTRY_DELTA: usize = 3;
pub const ENTRY_GUEST: usize = 4;
/// Readable limits for 1, 2, 4, 8-byte accesses (index by log2 size).
pub const ENTRY_RLIM: usize = 5;
/// Writable limits, likewise.
pub const ENTRY_WLIM: usize = 9;
/// Readable and writable limits for 16 bytes (an unrolled round's span).
pub const ENTRY_RLIM16: usize = 13;
pub const ENTRY_WLIM16: usize = 14;

/// The table entry of region `t` as the image reads it.
fn entry(base: u64, ptr: u64, len: u64, writable: bool) -> [u64; ENTRY_SLOTS] {
    let mut e = [0u64; ENTRY_SLOTS];
    let wlen = if writable { len } else { 0 };
    e[ENTRY_PTR] = ptr;
    e[ENTRY_RLEN] = len;
    e[ENTRY_WLEN] = wlen;
    e[ENTRY_DELTA] = ptr.wrapping_sub(base);
    e[ENTRY_GUEST] = base;
    for k in 0..5 {
        let size = 1u64 << k;
        let lim = |l: u64| if l >= size { l - size + 1 } else { 0 };
        e[limit_slot(false, size as usize)] = lim(len);
        e[limit_slot(true, size as usize)] = lim(wlen);
    }
    e
}

/// The slot of an entry's limit for an access of `bytes` (1, 2, 4, 8, 16):
/// `guest - base` must be below it.
pub const fn limit_slot(write: bool, bytes: usize) -> usize {
    let k = bytes.trailing_zeros() as usize;
    match (write, k) {
        (false, 4) => ENTRY_RLIM16,
        (true, 4) => ENTRY_WLIM16,
        (false, _) => ENTRY_RLIM + k,
        (true, _) => ENTRY_WLIM + k,
    }
}

/// Byte offset of a slot, as the image addresses it.
pub const fn disp(slot: usize) -> i32 {
    (slot * 8) as i32
}

/// What the image returns.
pub const STATUS_OK: u64 = 0;
/// A fault site stopped the run (FAULT_SITE, FAULT_ADDR).
pub const STATUS_FAULT: u64 = 1;
/// The trampoline recorded the outcome (helper exit, fault or panic).
pub const STATUS_TRAMPOLINE: u64 = 2;

thread_local! {
    /// A context buffer kept between runs on this thread, so a run
    /// allocates nothing once warm. (A nested run, from a helper, finds it
    /// taken and allocates its own.)
    static SPARE: Cell<Vec<u64>> = const { Cell::new(Vec::new()) };
}

/// A fresh context for `mem`: header zeroed, region table filled (with
/// at least `min_entries` entries, zero past the mapped regions).
pub fn new_ctx_with(mem: &GuestMemory<'_>, min_entries: usize) -> Vec<u64> {
    let mut ctx = new_ctx(mem);
    let want = TABLE + min_entries * ENTRY_SLOTS;
    if ctx.len() < want {
        ctx.resize(want, 0);
    }
    ctx
}

/// A fresh context for `mem`: header zeroed, region table filled.
pub fn new_ctx(mem: &GuestMemory<'_>) -> Vec<u64> {
    let mut ctx = SPARE.take();
    ctx.clear();
    ctx.resize(TABLE + ENTRY_SLOTS, 0);
    ctx[NENT] = 1;
    refresh_regions(&mut ctx, mem);
    ctx
}

/// The run's frame window, `len` bytes at guest `base` (host `host`), as
/// STACK_REGION and STACK_DELTA: stack accesses, at r10 + a constant or
/// where the verifier places them, translate with this one delta.
pub fn set_frame_window(ctx: &mut [u64], base: u64, host: u64, len: u64) {
    ctx[STACK_REGION..STACK_REGION + ENTRY_SLOTS].copy_from_slice(&entry(base, host, len, true));
    ctx[STACK_DELTA] = host.wrapping_sub(base);
    ctx[KIND_FOUND] |= 4;
}

/// Give a context back for the next run on this thread.
pub fn recycle(ctx: Vec<u64>) {
    SPARE.set(ctx);
}

/// Append table entries for regions mapped since the table was filled
/// (guest memory only ever grows). May reallocate `ctx`.
#[inline]
pub fn refresh_regions(ctx: &mut Vec<u64>, mem: &GuestMemory<'_>) {
    // Entry t describes region t - 1: up to date when NENT = regions + 1.
    if ctx[NENT] as usize <= mem.region_count() {
        append_regions(ctx, mem);
    }
}

fn append_regions(ctx: &mut Vec<u64>, mem: &GuestMemory<'_>) {
    loop {
        let t = ctx[NENT] as usize;
        let base = (t as u64) << 32;
        let Some((kind, len)) = mem.region_at(base) else {
            return;
        };
        let ptr = mem.translate(base, 0, AccessKind::Read).map_or(0, |p| p as u64);
        let writable = mem.translate(base, 0, AccessKind::Write).is_ok();
        let e = entry(base, ptr, len as u64, writable);
        // The first context and packet regions are the run's (nested runs
        // have their own context).
        // (STACK_REGION is the run's frame window: see `set_frame_window`.)
        let (at, bit) = match kind {
            RegionKind::Context => (CTX_REGION, 1),
            RegionKind::Packet => (PACKET_REGION, 2),
            _ => (0, 0),
        };
        if bit != 0 && ctx[KIND_FOUND] & bit == 0 {
            ctx[at..at + ENTRY_SLOTS].copy_from_slice(&e);
            ctx[KIND_FOUND] |= bit;
        }
        let slot = TABLE + t * ENTRY_SLOTS;
        if ctx.len() < slot + ENTRY_SLOTS {
            ctx.resize(slot + ENTRY_SLOTS, 0);
        }
        ctx[slot..slot + ENTRY_SLOTS].copy_from_slice(&e);
        ctx[NENT] = t as u64 + 1;
    }
}
