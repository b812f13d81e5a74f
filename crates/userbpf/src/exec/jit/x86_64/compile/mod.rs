//! BPF to x86-64: one pass over the decoded program, then out-of-line stubs.
//! By job: memory accesses in access.rs, ALU instructions in alu.rs, helper
//! and direct calls in calls.rs, fused instruction pairs in fusion.rs,
//! copied loop tests in jumps.rs, unrolled counted loops in unroll.rs.
//!
//! Register map (BPF -> host), chosen so that rax, rcx and rdx stay free for
//! division, shifts and address translation, and r12 holds the run context:
//!
//! ```text
//! r0 rbx  r1 rdi  r2 rsi  r3 r8  r4 r9  r5 r10
//! r6 r11  r7 r13  r8 r14  r9 r15  r10 rbp      ctx r12   scratch rax rcx rdx
//! ```
//!
//! Frames: the prologue enters the program with a native `call`, and every
//! bpf-to-bpf call pushes r6-r9 and r10, `call`s the callee and pops them
//! back, so `exit` is always `ret`, whatever the depth. Each frame is 48 bytes,
//! keeping rsp 16-byte aligned for calls into Rust. The depth limit is a
//! compare of rsp against a precomputed bound.
//!
//! Memory: every access is translated inline through the region table of
//! the context (see `ctx.rs`); an access at r10 + a constant inside the
//! current 512-byte frame skips the check when the program never writes r10
//! (every frame then lies inside the stack region), and an access the
//! verifier proved (`proven`) is translated without any check. Faults jump
//! to a stub that names a [`Site`]; the Rust side rebuilds the exact
//! interpreter error.
//!
//! Helpers (`call`, `callx`) spill the registers to the context and call
//! the Rust trampoline of `jit/mod.rs`, which returns a status and the
//! (possibly moved) context. A bpf_map_lookup_elem whose map is known
//! (`jit/direct.rs`) calls the map's native lookup instead, with the key's
//! host address, and takes the trampoline only when it can't.
//!
//! Budget (metered images only): straight-line segments that end at the
//! first instruction that can branch, fault or touch memory subtract their
//! length up front; if the budget runs out inside a segment, only pure
//! register instructions preceded the exhausting one, so reporting its pc is
//! exact.

mod access;
mod alu;
mod calls;
mod constants;
mod exit_tests;
mod fusion;
mod jumps;
mod liveness;
mod unroll;

use self::access::{pinned_bases, translate_checked};
use self::calls::HelperId;
use super::emit::{mem, Alu, Asm, Cc, Label, Layout, Mem, R, W};
use crate::exec::interp::Fault;
use crate::exec::jit::ctx::{self, disp};
use crate::exec::jit::direct::DirectCall;
use crate::exec::ld_abs::{SKF_LL_OFF, SKF_NET_OFF};
use crate::exec::AccessProof;
use crate::isa::cfg::target_in as target;
use crate::isa::opcode::{MAX_BPF_STACK, MAX_CALL_FRAMES};
use crate::isa::{decode, AtomicOp, CallKind, DecodeError, Endian, Insn, Instruction, JmpOp, Operand, Size, Width};

/// Host register of each BPF register.
pub const REG_MAP: [R; 11] = [
    R::Rbx,
    R::Rdi,
    R::Rsi,
    R::R8,
    R::R9,
    R::R10,
    R::R11,
    R::R13,
    R::R14,
    R::R15,
    R::Rbp,
];
const CTX: R = R::R12;
/// Callee-saved host registers the prologue preserves.
const SAVED: [R; 6] = [R::Rbx, R::Rbp, R::R12, R::R13, R::R14, R::R15];
/// Bytes of native stack per BPF frame: r6-r9, r10 and the return address.
const FRAME_BYTES: i32 = 48;

/// How an access is checked and which fault it reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// Read-modify-write: natural alignment (guest and host) and write
    /// permission.
    Atomic,
}

/// What stopped a run at a fault stub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SiteKind {
    /// A guest access of `size` bytes failed; the address is in FAULT_ADDR.
    Memory { size: u8, access: Access },
    /// Always this fault.
    Static(Fault),
    /// The budget ran out in the segment of these instructions.
    Budget { pcs: Vec<usize> },
    /// A bpf-to-bpf call past the frame limit.
    CallDepth,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub pc: usize,
    pub kind: SiteKind,
}

/// Compiler settings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Count instructions against the run's budget.
    pub meter: bool,
    /// Constant blinding (bpf_jit_harden): no immediate of the program
    /// appears in the image; each is xored with a fresh key. The value seeds
    /// the keys.
    pub blind: Option<u64>,
    /// The proofs are trusted: proven accesses run unchecked. Otherwise
    /// they are hints: an access the verifier places in the context, the
    /// packet or a map gets a short check against that region alone.
    pub trust_proofs: bool,
}

/// A compiled image before mapping.
pub struct Compiled {
    pub code: Vec<u8>,
    /// Host offset of each BPF slot's code (second slots of ld_imm64 point
    /// at their stub); `offsets[len]` is the fall-off-the-end stub.
    pub offsets: Vec<u32>,
    pub sites: Vec<Site>,
    /// Code that belongs to no single instruction (unrolled loops), by
    /// offset, for the listing.
    pub notes: Vec<(u32, String)>,
}

struct Compiler {
    a: Asm,
    len: usize,
    /// One label per slot, plus one for "past the end".
    labels: Vec<Label>,
    /// Fault sites, each with the label of its stub and, for memory
    /// faults, the address operand the stub recomputes the guest address
    /// from (the fast path never materialises it).
    sites: Vec<(Label, Site, Option<Mem>)>,
    stack_fast: bool,
    /// Registers known to hold r10 + a constant here (within the current
    /// straight line: reset where jumps land and after calls). The
    /// compiler's own bookkeeping, no proof needed: accesses through them
    /// inside the frame take r10's unchecked path.
    frame_offset: [Option<i32>; 11],
    /// Unsigned ranges of the registers, along straight lines likewise
    /// (jumps.rs).
    ranges: [jumps::Range64; 11],
    /// Instructions a jump or call lands on (where straight lines begin).
    landing: Vec<bool>,
    /// 64-bit constants held in registers the program leaves free
    /// (constants.rs), loaded by the prologue.
    constants: Vec<(u64, R)>,
    /// BPF registers whose value is such a constant's register, not their
    /// own (along straight lines), and one about to be after the next
    /// `left` instructions are tracked: (register, host register, left).
    alias: [Option<R>; 11],
    alias_pending: Option<(u8, R, usize)>,
    /// Registers live after each pc (liveness.rs).
    live: liveness::Liveness,
    /// Ranges of frame slots: (offset from r10, bytes, range), likewise.
    slots: Vec<(i32, usize, (u64, u64))>,
    /// Tests against zero by pc, for the ranges to decide (jumps.rs).
    zero_tests: Vec<Option<(u8, bool, i16)>>,
    /// Compiling an unrolled loop's copies: its head and tail.
    copy_body: Option<(usize, usize)>,
    /// Blocks moved out of line (jumps.rs), and where their instructions
    /// went (pc, offset).
    deferred: Vec<Vec<(usize, Instruction)>>,
    placed: Vec<(usize, u32)>,
    /// Accesses the verifier proved safe, by pc.
    proven: Vec<AccessProof>,
    /// Context slots of region deltas held in registers for the whole run
    /// (see [`pinned_bases`]).
    pinned: Vec<(usize, R)>,
    opts: CompileOptions,
    key_state: u64,
    epilogue: Label,
    fault_exit: Label,
    exit_zero: Label,
    /// The shared routine converting a negative LD_ABS/LD_IND offset (None
    /// until an LD_ABS/LD_IND needs it).
    ld_abs_neg: Option<Label>,
    /// Map-helper calls compiled as direct calls, by pc.
    direct: Vec<DirectCall>,
    /// Their helper paths, emitted out of line with the stubs: (entry,
    /// pc, helper id, where to go on).
    slow_calls: Vec<(Label, usize, u32, Label)>,
    /// Inside a copy of an unrolled loop whose increments are folded: the
    /// index register lags behind the index (see [`unroll`]).
    lag: Option<Lag>,
    /// Ways out of such copies: (entry, register, lag, width, target),
    /// emitted out of line (`add register, lag; jmp target`).
    lag_exits: Vec<(Label, u8, i32, W, Label)>,
    /// Inside an unrolled round: accesses its start checked for every copy.
    round_checked: Vec<usize>,
    /// Inside an unrolled loop: accesses whose address was checked over a
    /// range before its rounds, (pc, first, last address); one whose
    /// address the ranges place inside it needs no check of its own.
    range_checked: Vec<(usize, u64, u64)>,
    /// Inside an unrolled round: exit tests its start decided (not taken
    /// in any copy), by pc (exit_tests.rs).
    hoisted: Vec<usize>,
    notes: Vec<(u32, String)>,
}

/// The index register of an unrolled loop holds the index minus `delta`
/// (an index of width `width`), in the body `head..=tail` and at a rotated
/// loop's test block `cont` (the next copy).
#[derive(Clone, Copy, Debug)]
struct Lag {
    reg: u8,
    delta: i32,
    width: W,
    head: usize,
    tail: usize,
    cont: Option<usize>,
}

fn host(r: u8) -> R {
    REG_MAP[r as usize]
}

fn width(w: Width) -> W {
    match w {
        Width::W32 => W::D32,
        Width::W64 => W::Q64,
    }
}

/// The register an instruction writes, if any (calls aside).
pub fn writes(ins: &Instruction) -> Option<u8> {
    match *ins {
        Instruction::Alu { dst, .. }
        | Instruction::MovSx { dst, .. }
        | Instruction::AddrSpaceCast { dst, .. }
        | Instruction::Neg { dst, .. }
        | Instruction::End { dst, .. }
        | Instruction::LdImm64 { dst, .. }
        | Instruction::Load { dst, .. } => Some(dst),
        Instruction::Atomic { op, dst, src, .. } => match op {
            AtomicOp::LoadAcquire => Some(dst),
            AtomicOp::CmpXchg => Some(0),
            AtomicOp::Xchg
            | AtomicOp::Add { fetch: true }
            | AtomicOp::Or { fetch: true }
            | AtomicOp::And { fetch: true }
            | AtomicOp::Xor { fetch: true } => Some(src),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an instruction ends a metering segment: it may branch, call,
/// fault, touch memory or stop the program.
fn ends_segment(ins: &Instruction) -> bool {
    match *ins {
        Instruction::Alu { .. } | Instruction::MovSx { .. } | Instruction::Neg { .. } | Instruction::End { .. } => {
            false
        }
        Instruction::LdImm64 { src, .. } => src != 0,
        _ => true,
    }
}

/// How much each pc weighs when the compiler picks what to keep in
/// registers: 100 inside a loop (between a backward jump and its target),
/// else 1.
fn loop_weights(program: &[(usize, Instruction)], len: usize) -> Vec<usize> {
    let mut weights = vec![1; len + 1];
    for (pc, ins) in program {
        if let Some(t) = branch_rel(ins).and_then(|rel| target(*pc, rel, len).ok()) {
            if t <= *pc {
                weights[t..=*pc].fill(100);
            }
        }
    }
    weights
}

fn branch_rel(ins: &Instruction) -> Option<i64> {
    ins.jump_rel().or(ins.callee_rel())
}

/// Compile a whole program. `proven[pc]` set means the verifier proved the
/// memory access of instruction `pc` inside one region, with the access's
/// permission and alignment: it is translated without checks.
///
/// `direct` names the map-helper calls to compile as direct calls.
///
/// Two passes: the first with every jump long, the second with the jumps
/// the first pass's layout shows in reach made short (see [`Layout`]).
pub fn compile(
    slots: &[Insn],
    opts: CompileOptions,
    proven: &[AccessProof],
    direct: &[DirectCall],
) -> Result<Compiled, DecodeError> {
    let (_, layout) = compile_pass(slots, opts, proven, direct, Asm::new())?;
    let (compiled, _) = compile_pass(slots, opts, proven, direct, Asm::with_layout(layout))?;
    Ok(compiled)
}

fn compile_pass(
    slots: &[Insn],
    opts: CompileOptions,
    proven: &[AccessProof],
    direct: &[DirectCall],
    mut a: Asm,
) -> Result<(Compiled, Layout), DecodeError> {
    let program = decode(slots)?;
    let len = slots.len();
    let stack_fast = !program.iter().any(|(_, i)| writes(i) == Some(10));

    // Segment starts for metering.
    let mut starts = vec![false; len + 1];
    if opts.meter {
        if len > 0 {
            starts[0] = true;
        }
        for (pc, ins) in &program {
            if let Some(rel) = branch_rel(ins) {
                if let Ok(t) = target(*pc, rel, len) {
                    starts[t] = true;
                }
            }
            if ends_segment(ins) {
                starts[pc + ins.slots()] = true;
            }
        }
    }

    let labels = (0..=len).map(|_| a.label()).collect();
    let epilogue = a.label();
    let fault_exit = a.label();
    let exit_zero = a.label();
    let mut c = Compiler {
        a,
        len,
        labels,
        sites: Vec::new(),
        stack_fast,
        frame_offset: [None; 11],
        ranges: [None; 11],
        slots: Vec::new(),
        landing: Vec::new(),
        constants: Vec::new(),
        alias: [None; 11],
        alias_pending: None,
        zero_tests: jumps::zero_tests(&program, len),
        live: liveness::liveness(&program, len),
        copy_body: None,
        deferred: Vec::new(),
        placed: Vec::new(),
        proven: proven.to_vec(),
        pinned: if opts.blind.is_some() {
            Vec::new()
        } else {
            pinned_bases(&program, proven)
        },
        opts,
        key_state: opts.blind.unwrap_or(0) | 1,
        epilogue,
        fault_exit,
        exit_zero,
        ld_abs_neg: None,
        direct: direct.to_vec(),
        slow_calls: Vec::new(),
        lag: None,
        lag_exits: Vec::new(),
        round_checked: Vec::new(),
        range_checked: Vec::new(),
        hoisted: Vec::new(),
        notes: Vec::new(),
    };
    // Instructions a jump or call lands on (they can't be fused into the
    // one before).
    let mut landing = vec![false; len + 1];
    for (pc, ins) in &program {
        if let Some(t) = branch_rel(ins).and_then(|rel| target(*pc, rel, len).ok()) {
            landing[t] = true;
        }
    }
    // The compiler's own jumps land too: a copied block's copy (jumps.rs)
    // goes on where the block's test falls through (also where a rotated
    // loop's unrolled rounds end).
    for i in 0..program.len() {
        if let Some(block) = jumps::copied_block(&program, i, &[]) {
            landing[program.get(block.end).map_or(len, |&(p, _)| p)] = true;
        }
    }
    c.landing = landing.clone();
    if !opts.meter && opts.blind.is_none() {
        c.constants = constants::cached_constants(&program, &landing);
    }
    c.prologue();
    let loops = if opts.meter || opts.blind.is_some() {
        Vec::new()
    } else {
        unroll::counted_loops(&program, &landing)
    };
    let heads: Vec<usize> = loops.iter().map(|l| l.head).collect();
    let mut offsets = vec![0u32; len + 1];
    // Instructions already compiled with one before them (fusion.rs).
    let mut fused_rest = 0usize;
    // Instructions before this pc were placed out of line.
    let mut skip_to = 0;
    for (i, (pc, ins)) in program.iter().enumerate() {
        if *pc < skip_to {
            continue;
        }
        // A loop's head label is its unrolled rounds' guard (for every jump
        // there, the loop's own back edge included: it enters the rounds
        // once the trip count allows); the loop as written starts here.
        let mut here = c.labels[*pc];
        if let Some(lp) = loops.iter().find(|l| l.head == *pc) {
            let t_idx = program
                .iter()
                .position(|(p, _)| *p == lp.tail)
                .expect("the loop's tail");
            here = c.a.label();
            c.unrolled(lp, &program[i..t_idx], &landing, here);
        }
        offsets[*pc] = c.a.pos() as u32;
        c.a.bind(here);
        if landing[*pc] {
            c.forget();
        }
        if fused_rest > 0 {
            fused_rest -= 1;
            c.track(ins);
            continue;
        }
        let n = c.fused(&program[i..], &landing);
        if n > 0 {
            fused_rest = n - 1;
            c.track(ins);
            continue;
        }
        if !opts.meter && opts.blind.is_none() {
            if let Some(block) = jumps::copied_block(&program, i, &heads) {
                c.copy_block(&program[block]);
                continue;
            }
            if let Some(block) = c.skipped_block(&program, i, &heads) {
                // No code: the goto falls through to its target.
                skip_to = program.get(block.end).map_or(len, |(p, _)| *p);
                c.deferred.push(program[block].to_vec());
                c.forget();
                continue;
            }
        }
        if starts[*pc] {
            // The segment: this instruction and the following ones up to the
            // next start (or the end of the program).
            let pcs = program[i..]
                .iter()
                .enumerate()
                .take_while(|(k, (p, _))| *k == 0 || !starts[*p])
                .map(|(_, (p, _))| *p)
                .collect::<Vec<_>>();
            c.meter(pcs);
        }
        c.insn(*pc, ins);
        c.track(ins);
    }
    // Falling off the end.
    offsets[len] = c.a.pos() as u32;
    c.a.bind(c.labels[len]);
    let off_end = c.site(
        len,
        SiteKind::Static(Fault::JumpOutOfRange {
            target: len as i64,
            len,
        }),
    );
    c.a.jmp(off_end);

    // Jumps into the middle of an ld_imm64 execute its second slot (code 0).
    for (pc, ins) in &program {
        if ins.slots() == 2 {
            let second = pc + 1;
            offsets[second] = c.a.pos() as u32;
            c.a.bind(c.labels[second]);
            if opts.meter {
                c.meter(vec![second]);
            }
            let l = c.site(second, SiteKind::Static(Fault::InvalidInstruction { code: 0 }));
            c.a.jmp(l);
        }
    }
    c.stubs();
    for &(pc, at) in &c.placed {
        offsets[pc] = at;
    }
    let sites = c.sites.into_iter().map(|(_, s, _)| s).collect();
    let layout = c.a.layout();
    Ok((
        Compiled {
            code: c.a.finish(),
            offsets,
            sites,
            notes: c.notes,
        },
        layout,
    ))
}

impl Compiler {
    /// A fault site; returns the label of its stub.
    fn site(&mut self, pc: usize, kind: SiteKind) -> Label {
        let l = self.a.label();
        self.sites.push((l, Site { pc, kind }, None));
        l
    }

    /// Entry: save callee-saved registers, keep the context in r12, load the
    /// BPF registers, enter the program as a call, store r0.
    fn prologue(&mut self) {
        let a = &mut self.a;
        for r in SAVED {
            a.push(r);
        }
        // Six pushes after the return address: rsp is 8 mod 16 here, so the
        // program, entered by a call, runs at a 16-byte aligned S = rsp - 8.
        a.mov(W::Q64, CTX, R::Rdi);
        a.store(8, mem(CTX, disp(ctx::ENV)), R::Rsi);
        a.store(8, mem(CTX, disp(ctx::SAVED_RSP)), R::Rsp);
        // Frame d (0 = main) runs at rsp = S - 48 d; a call from frame d is
        // allowed while d + 1 < MAX_CALL_FRAMES.
        let limit = 8 + FRAME_BYTES * (MAX_CALL_FRAMES as i32 - 2);
        a.lea(R::Rax, mem(R::Rsp, -limit));
        a.store(8, mem(CTX, disp(ctx::CALL_LIMIT)), R::Rax);
        for (i, r) in REG_MAP.iter().enumerate() {
            a.load(8, *r, mem(CTX, disp(ctx::REGS + i)));
        }
        for &(slot, r) in &self.pinned {
            a.load(8, r, mem(CTX, disp(slot)));
        }
        for &(v, r) in &self.constants {
            a.mov_imm(r, v);
        }
        a.call(self.labels[0]);
        a.store(8, mem(CTX, disp(ctx::REGS)), REG_MAP[0]);
        a.mov_imm32(R::Rax, ctx::STATUS_OK as u32);
        a.bind(self.epilogue);
        a.load(8, R::Rsp, mem(CTX, disp(ctx::SAVED_RSP)));
        for r in SAVED.iter().rev() {
            a.pop(*r);
        }
        a.ret();
    }

    /// Out-of-line code: direct calls' helper paths, fault stubs and the
    /// shared exits.
    fn stubs(&mut self) {
        for block in std::mem::take(&mut self.deferred) {
            self.place_block(&block);
        }
        for (l, reg, delta, w, target) in std::mem::take(&mut self.lag_exits) {
            self.a.bind(l);
            self.a.alu_imm(w, Alu::Add, host(reg), delta);
            self.a.jmp(target);
        }
        for (slow, pc, id, done) in std::mem::take(&mut self.slow_calls) {
            self.a.bind(slow);
            self.helper_call(pc, HelperId::Imm(id));
            self.a.jmp(done);
        }
        for i in 0..self.sites.len() {
            let (l, _, addr) = self.sites[i];
            self.a.bind(l);
            if let Some(m) = addr {
                self.a.lea(R::Rax, m);
            }
            self.a.mov_imm32(R::Rcx, i as u32);
            self.a.jmp(self.fault_exit);
        }
        let a = &mut self.a;
        a.bind(self.fault_exit);
        a.store(8, mem(CTX, disp(ctx::FAULT_ADDR)), R::Rax);
        a.store(8, mem(CTX, disp(ctx::FAULT_SITE)), R::Rcx);
        a.mov_imm32(R::Rax, ctx::STATUS_FAULT as u32);
        a.jmp(self.epilogue);
        // LD_ABS/LD_IND outside the packet: the program ends with r0 = 0.
        a.bind(self.exit_zero);
        a.mov_imm32(REG_MAP[0], 0);
        a.store(8, mem(CTX, disp(ctx::REGS)), REG_MAP[0]);
        a.mov_imm32(R::Rax, ctx::STATUS_OK as u32);
        a.jmp(self.epilogue);
        // Called with a negative LD_ABS/LD_IND k in rax: returns the offset
        // from skb->data (exec/ld_abs.rs), or one far past any packet when
        // k is below SKF_LL_OFF.
        if let Some(neg) = self.ld_abs_neg {
            let (link_layer, fail) = (a.label(), a.label());
            a.bind(neg);
            a.alu_imm(W::Q64, Alu::Cmp, R::Rax, SKF_NET_OFF);
            a.jcc(Cc::L, link_layer);
            a.alu_reg_mem(Alu::Add, R::Rax, mem(CTX, disp(ctx::PKT_NET_DELTA)));
            a.ret();
            a.bind(link_layer);
            a.alu_imm(W::Q64, Alu::Cmp, R::Rax, SKF_LL_OFF);
            a.jcc(Cc::L, fail);
            a.alu_reg_mem(Alu::Add, R::Rax, mem(CTX, disp(ctx::PKT_MAC_DELTA)));
            a.ret();
            a.bind(fail);
            a.mov_imm(R::Rax, 1 << 40);
            a.ret();
        }
    }

    fn meter(&mut self, pcs: Vec<usize>) {
        let n = pcs.len() as i32;
        let pc = pcs[0];
        let l = self.site(pc, SiteKind::Budget { pcs });
        self.a.alu_mem_imm(Alu::Sub, mem(CTX, disp(ctx::BUDGET)), n);
        self.a.jcc(Cc::B, l);
    }

    /// The label a branch to `pc + 1 + rel` goes to: the instruction, or a
    /// stub reporting the jump out of range.
    fn branch_label(&mut self, pc: usize, rel: i64) -> Label {
        match target(pc, rel, self.len) {
            Ok(t) => match self.lag {
                // Out of an unrolled copy: bring the index up to date first.
                Some(lag) if lag.delta != 0 && !(lag.head..=lag.tail).contains(&t) && lag.cont != Some(t) => {
                    let l = self.a.label();
                    self.lag_exits.push((l, lag.reg, lag.delta, lag.width, self.labels[t]));
                    l
                }
                _ => self.labels[t],
            },
            Err(t) => self.site(
                pc,
                SiteKind::Static(Fault::JumpOutOfRange {
                    target: t,
                    len: self.len,
                }),
            ),
        }
    }

    fn fault(&mut self, pc: usize, f: Fault) {
        let l = self.site(pc, SiteKind::Static(f));
        self.a.jmp(l);
    }

    /// Next blinding key (xorshift64*).
    fn key(&mut self) -> i32 {
        let mut x = self.key_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.key_state = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as i32
    }

    /// With blinding on, `imm` materialised in rcx (sign-extended) without
    /// appearing in the code; otherwise None.
    fn blinded(&mut self, imm: i32) -> Option<R> {
        self.opts.blind?;
        let k = self.key();
        self.a.mov_imm64_sext(R::Rcx, imm ^ k);
        self.a.alu_imm(W::Q64, Alu::Xor, R::Rcx, k);
        Some(R::Rcx)
    }

    /// A source operand as a register: BPF registers as they are, immediates
    /// through rcx when blinding.
    fn operand(&mut self, src: Operand) -> Result<R, i32> {
        match src {
            Operand::Reg(r) => Ok(host(r)),
            Operand::Imm(i) => self.blinded(i).ok_or(i),
        }
    }

    fn insn(&mut self, pc: usize, ins: &Instruction) {
        // (Never expected: a constant kept in a register is read only by
        // the scaled leas constants.rs saw. Safe anyway: copy it back.)
        for r in 0..11u8 {
            if let Some(c) = self.alias[r as usize] {
                if liveness::reads(ins, r) {
                    debug_assert!(false, "a constant kept in a register is read at {pc}");
                    self.a.mov(W::Q64, host(r), c);
                    self.alias[r as usize] = None;
                }
            }
        }
        match *ins {
            Instruction::Alu { width: w, op, dst, src } => self.alu(width(w), op, host(dst), src),
            Instruction::MovSx {
                width: w,
                bits,
                dst,
                src,
            } => self.a.movsx(width(w), bits, host(dst), host(src)),
            Instruction::AddrSpaceCast { .. } => self.fault(
                pc,
                Fault::Unsupported {
                    what: "addr_space_cast (arena)",
                },
            ),
            Instruction::Neg { width: w, dst } => self.a.neg(width(w), host(dst)),
            Instruction::End { kind, bits, dst } => {
                let d = host(dst);
                match (kind, bits) {
                    (Endian::ToLe, 16) => self.a.movzx16(d, d),
                    (Endian::ToLe, 32) => self.a.mov(W::D32, d, d),
                    (Endian::ToLe, _) => {}
                    (_, 16) => {
                        self.a.ror16_8(d);
                        self.a.movzx16(d, d);
                    }
                    (_, 32) => self.a.bswap(W::D32, d),
                    (_, _) => self.a.bswap(W::Q64, d),
                }
            }
            Instruction::LdImm64 {
                dst,
                src,
                imm,
                next_imm,
            } => {
                if src != 0 {
                    return self.fault(pc, Fault::UnresolvedLdImm64 { src });
                }
                let v = imm as u32 as u64 | (next_imm as u32 as u64) << 32;
                if self.opts.blind.is_some() {
                    let k = (self.key() as u32 as u64) << 32 | self.key() as u32 as u64;
                    self.a.mov_imm(host(dst), v ^ k);
                    self.a.mov_imm(R::Rcx, k);
                    self.a.alu(W::Q64, Alu::Xor, host(dst), R::Rcx);
                } else {
                    self.a.mov_imm(host(dst), v);
                }
            }
            Instruction::LdAbs { size, imm } => self.ld_packet(pc, size, None, imm),
            Instruction::LdInd { size, src, imm } => self.ld_packet(pc, size, Some(src), imm),
            Instruction::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => {
                let m = self.access(pc, src, off, size.bytes(), Access::Read);
                if signed {
                    self.a.load_sx(size.bytes(), host(dst), m);
                } else {
                    self.a.load(size.bytes(), host(dst), m);
                }
            }
            Instruction::StoreImm { size, dst, off, imm } => {
                let m = self.access(pc, dst, off, size.bytes(), Access::Write);
                if self.opts.blind.is_some() {
                    // The translation used rcx; blind through rax.
                    let k = self.key();
                    self.a.mov_imm64_sext(R::Rax, imm ^ k);
                    self.a.alu_imm(W::Q64, Alu::Xor, R::Rax, k);
                    self.a.store(size.bytes(), m, R::Rax);
                } else {
                    self.a.store_imm(size.bytes(), m, imm);
                }
            }
            Instruction::StoreReg { size, dst, src, off } => {
                let m = self.access(pc, dst, off, size.bytes(), Access::Write);
                self.a.store(size.bytes(), m, host(src));
            }
            Instruction::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self.atomic(pc, size, op, dst, src, off),
            Instruction::Ja { off } => {
                let l = self.branch_label(pc, self.threaded(pc, off as i64));
                self.a.jmp(l);
            }
            Instruction::Ja32 { imm } => {
                let l = self.branch_label(pc, self.threaded(pc, imm as i64));
                self.a.jmp(l);
            }
            Instruction::Jcond {
                width: w,
                op,
                dst,
                src,
                off,
            } => match self.decided(ins) {
                Some(false) => {}
                Some(true) => {
                    let l = self.branch_label(pc, off as i64);
                    self.a.jmp(l);
                }
                None => self.jcond(pc, width(w), op, host(dst), src, off),
            },
            Instruction::MayGoto { off } => {
                let l = self.branch_label(pc, off as i64);
                let m = mem(CTX, disp(ctx::MAY_GOTO));
                self.a.alu_mem_imm(Alu::Cmp, m, 0);
                self.a.jcc(Cc::E, l);
                self.a.dec_mem(m);
            }
            Instruction::Call(CallKind::Helper(id)) => {
                match self.direct.iter().position(|d| d.pc == pc && d.helper_id() == id) {
                    Some(i) => self.direct_call(pc, i),
                    None => self.helper_call(pc, HelperId::Imm(id as u32)),
                }
            }
            Instruction::CallX { reg } => self.helper_call(pc, HelperId::Reg(host(reg))),
            Instruction::Call(CallKind::Local(rel)) => {
                let deep = self.site(pc, SiteKind::CallDepth);
                self.a.alu_reg_mem(Alu::Cmp, R::Rsp, mem(CTX, disp(ctx::CALL_LIMIT)));
                self.a.jcc(Cc::B, deep);
                for r in 6..=10 {
                    self.a.push(host(r));
                }
                self.a.alu_imm(W::Q64, Alu::Sub, host(10), MAX_BPF_STACK as i32);
                match target(pc, rel as i64, self.len) {
                    Ok(t) => self.a.call(self.labels[t]),
                    Err(t) => {
                        return self.fault(
                            pc,
                            Fault::JumpOutOfRange {
                                target: t,
                                len: self.len,
                            },
                        )
                    }
                }
                // The callee's exit returned here: restore the caller's frame.
                for r in (6..=10).rev() {
                    self.a.pop(host(r));
                }
            }
            Instruction::Call(CallKind::Kfunc { .. }) => self.fault(pc, Fault::Unsupported { what: "kfunc calls" }),
            Instruction::Exit => self.a.ret(),
        }
    }

    fn jcond(&mut self, pc: usize, w: W, op: JmpOp, d: R, src: Operand, off: i16) {
        let l = self.branch_label(pc, off as i64);
        let cc = self.compare(w, op, d, src);
        self.a.jcc(cc, l);
    }

    /// The compare (or test) of a conditional jump; returns the condition
    /// under which it jumps.
    fn compare(&mut self, w: W, op: JmpOp, d: R, src: Operand) -> Cc {
        if op == JmpOp::Jset {
            match self.operand(src) {
                Ok(s) => self.a.test(w, d, s),
                Err(i) => self.a.test_imm(w, d, i),
            }
        } else {
            match self.operand(src) {
                Ok(s) => self.a.alu(w, Alu::Cmp, d, s),
                Err(0) if matches!(op, JmpOp::Jeq | JmpOp::Jne) => self.a.test(w, d, d),
                Err(i) => self.a.alu_imm(w, Alu::Cmp, d, i),
            }
        }
        match op {
            JmpOp::Jeq => Cc::E,
            JmpOp::Jne | JmpOp::Jset => Cc::Ne,
            JmpOp::Jgt => Cc::A,
            JmpOp::Jge => Cc::Ae,
            JmpOp::Jlt => Cc::B,
            JmpOp::Jle => Cc::Be,
            JmpOp::Jsgt => Cc::G,
            JmpOp::Jsge => Cc::Ge,
            JmpOp::Jslt => Cc::L,
            JmpOp::Jsle => Cc::Le,
        }
    }

    fn atomic(&mut self, pc: usize, size: Size, op: AtomicOp, dst: u8, src: u8, off: i16) {
        let bytes = size.bytes();
        let w = if bytes == 8 { W::Q64 } else { W::D32 };
        let s = host(src);
        match op {
            AtomicOp::LoadAcquire => {
                let m = self.access(pc, src, off, bytes, Access::Read);
                self.a.load(bytes, host(dst), m);
                return;
            }
            AtomicOp::StoreRelease => {
                let m = self.access(pc, dst, off, bytes, Access::Write);
                self.a.store(bytes, m, s);
                return;
            }
            _ => {}
        }
        let m = self.access(pc, dst, off, bytes, Access::Atomic);
        let a = &mut self.a;
        match op {
            AtomicOp::Add { fetch: false } => a.lock_alu(w, Alu::Add, m, s),
            AtomicOp::Or { fetch: false } => a.lock_alu(w, Alu::Or, m, s),
            AtomicOp::And { fetch: false } => a.lock_alu(w, Alu::And, m, s),
            AtomicOp::Xor { fetch: false } => a.lock_alu(w, Alu::Xor, m, s),
            AtomicOp::Add { fetch: true } => {
                a.mov(w, R::Rax, s);
                a.lock_xadd(w, m, R::Rax);
                a.mov(W::Q64, s, R::Rax);
            }
            AtomicOp::Or { fetch: true } | AtomicOp::And { fetch: true } | AtomicOp::Xor { fetch: true } => {
                let x = match op {
                    AtomicOp::Or { .. } => Alu::Or,
                    AtomicOp::And { .. } => Alu::And,
                    _ => Alu::Xor,
                };
                // A cmpxchg loop: rax = old, rdx = old op src.
                let retry = a.label();
                a.load(bytes, R::Rax, m);
                a.bind(retry);
                a.mov(w, R::Rdx, R::Rax);
                a.alu(w, x, R::Rdx, s);
                a.lock_cmpxchg(w, m, R::Rdx);
                a.jcc(Cc::Ne, retry);
                a.mov(W::Q64, s, R::Rax);
            }
            AtomicOp::Xchg => {
                a.mov(w, R::Rax, s);
                a.xchg(w, m, R::Rax);
                a.mov(W::Q64, s, R::Rax);
            }
            AtomicOp::CmpXchg => {
                let r0 = host(0);
                a.mov(w, R::Rax, r0);
                a.lock_cmpxchg(w, m, s);
                a.mov(W::Q64, r0, R::Rax);
            }
            AtomicOp::LoadAcquire | AtomicOp::StoreRelease => unreachable!(),
        }
    }

    /// LD_ABS / LD_IND: r0 = ntoh(packet[at]) with the 32-bit k = imm (+
    /// src) converted as exec/ld_abs.rs says; a failed load ends the
    /// program with r0 = 0.
    fn ld_packet(&mut self, pc: usize, size: Size, src: Option<u8>, imm: i32) {
        let bytes = size.bytes();
        let fault = self.site(
            pc,
            SiteKind::Memory {
                size: bytes as u8,
                access: Access::Read,
            },
        );
        let exit_zero = self.exit_zero;
        match self.blinded(imm) {
            Some(r) => self.a.mov(W::D32, R::Rax, r),
            None => self.a.mov_imm32(R::Rax, imm as u32),
        }
        let a = &mut self.a;
        if let Some(s) = src {
            a.alu(W::D32, Alu::Add, R::Rax, host(s));
        }
        a.movsx(W::Q64, 32, R::Rax, R::Rax);
        // rax = the offset from skb->data (negative k: out of line).
        let neg = *self.ld_abs_neg.get_or_insert_with(|| a.label());
        let offset = a.label();
        a.test(W::Q64, R::Rax, R::Rax);
        a.jcc(Cc::Ge, offset);
        a.call(neg);
        a.bind(offset);
        // headlen - offset >= size, signed (the offset may be negative).
        a.lea(R::Rcx, mem(R::Rax, bytes as i32));
        a.alu_reg_mem(Alu::Cmp, R::Rcx, mem(CTX, disp(ctx::PKT_LEN)));
        a.jcc(Cc::G, exit_zero);
        a.alu_reg_mem(Alu::Add, R::Rax, mem(CTX, disp(ctx::PKT_BASE)));
        // The guest address is in rax: translate it like any read.
        let m = translate_checked(a, fault, bytes, Access::Read, mem(R::Rax, 0));
        let r0 = host(0);
        match bytes {
            1 => a.load(1, r0, m),
            2 => {
                a.load(2, r0, m);
                a.ror16_8(r0);
                a.movzx16(r0, r0);
            }
            _ => {
                a.load(4, r0, m);
                a.bswap(W::D32, r0);
            }
        }
    }
}
