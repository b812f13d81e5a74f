//! BPF to x86-64: one pass over the decoded program, then out-of-line stubs.
//! By job: memory accesses (and LD_ABS/LD_IND) in access.rs, ALU
//! instructions in alu.rs, atomics in atomic.rs, helper and direct calls in
//! calls.rs, fused instruction pairs in fusion.rs, conditional jumps and
//! copied loop tests in jumps.rs, unrolled counted loops in unroll.rs, the
//! prologue and out-of-line stubs in stubs.rs; the compiler's state, split
//! by job (analysis facts, straight-line trackers, unrolling, out-of-line
//! code), in state.rs.
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
mod atomic;
mod calls;
mod constants;
mod exit_tests;
mod fusion;
mod jumps;
mod liveness;
mod state;
mod stubs;
mod unroll;

use self::access::{pinned_bases, translate_checked};
use self::calls::HelperId;
use self::state::{Facts, OutOfLine, Straight, Unrolling};
use super::emit::{mem, Alu, Asm, Cc, Label, Layout, R, W};
use crate::exec::interp::Fault;
use crate::exec::jit::ctx::{self, disp};
use crate::exec::jit::direct::DirectCall;
use crate::exec::AccessProof;
use crate::isa::cfg::target_in as target;
use crate::isa::opcode::MAX_BPF_STACK;
use crate::isa::{decode, AtomicOp, CallKind, DecodeError, Endian, Insn, Instruction, Operand, Width};

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
    /// The code buffer.
    a: Asm,
    /// One label per slot, plus one for "past the end".
    labels: Vec<Label>,
    opts: CompileOptions,
    key_state: u64,
    facts: Facts,
    line: Straight,
    copy: Unrolling,
    out: OutOfLine,
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
            _ => op.fetch_reg(src),
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
        labels,
        opts,
        key_state: opts.blind.unwrap_or(0) | 1,
        facts: Facts {
            len,
            stack_fast,
            landing: Vec::new(),
            constants: Vec::new(),
            live: liveness::liveness(&program, len),
            zero_tests: jumps::zero_tests(&program, len),
            proven: proven.to_vec(),
            pinned: if opts.blind.is_some() {
                Vec::new()
            } else {
                pinned_bases(&program, proven)
            },
            direct: direct.to_vec(),
        },
        line: Straight::default(),
        copy: Unrolling::default(),
        out: OutOfLine {
            sites: Vec::new(),
            epilogue,
            fault_exit,
            exit_zero,
            ld_abs_neg: None,
            slow_calls: Vec::new(),
            lag_exits: Vec::new(),
            deferred: Vec::new(),
            placed: Vec::new(),
            notes: Vec::new(),
        },
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
    c.facts.landing = landing.clone();
    if !opts.meter && opts.blind.is_none() {
        c.facts.constants = constants::cached_constants(&program, &landing);
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
                c.out.deferred.push(program[block].to_vec());
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
    for &(pc, at) in &c.out.placed {
        offsets[pc] = at;
    }
    let sites = c.out.sites.into_iter().map(|(_, s, _)| s).collect();
    let layout = c.a.layout();
    Ok((
        Compiled {
            code: c.a.finish(),
            offsets,
            sites,
            notes: c.out.notes,
        },
        layout,
    ))
}

impl Compiler {
    /// A fault site; returns the label of its stub.
    fn site(&mut self, pc: usize, kind: SiteKind) -> Label {
        let l = self.a.label();
        self.out.sites.push((l, Site { pc, kind }, None));
        l
    }

    /// Entry: save callee-saved registers, keep the context in r12, load the
    /// BPF registers, enter the program as a call, store r0.
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
        match target(pc, rel, self.facts.len) {
            Ok(t) => match self.copy.lag {
                // Out of an unrolled copy: bring the index up to date first.
                Some(lag) if lag.delta != 0 && !(lag.head..=lag.tail).contains(&t) && lag.cont != Some(t) => {
                    let l = self.a.label();
                    self.out
                        .lag_exits
                        .push((l, lag.reg, lag.delta, lag.width, self.labels[t]));
                    l
                }
                _ => self.labels[t],
            },
            Err(t) => self.site(
                pc,
                SiteKind::Static(Fault::JumpOutOfRange {
                    target: t,
                    len: self.facts.len,
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
            if let Some(c) = self.line.alias[r as usize] {
                if liveness::reads(ins, r) {
                    debug_assert!(false, "a constant kept in a register is read at {pc}");
                    self.a.mov(W::Q64, host(r), c);
                    self.line.alias[r as usize] = None;
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
            Instruction::LdImm64 { dst, src, .. } => {
                let Some(v) = ins.imm64().filter(|_| src == 0) else {
                    return self.fault(pc, Fault::UnresolvedLdImm64 { src });
                };
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
            Instruction::Load { size, signed, dst, .. } => {
                let m = self.insn_access(pc, ins, Access::Read);
                if signed {
                    self.a.load_sx(size.bytes(), host(dst), m);
                } else {
                    self.a.load(size.bytes(), host(dst), m);
                }
            }
            Instruction::StoreImm { size, imm, .. } => {
                let m = self.insn_access(pc, ins, Access::Write);
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
            Instruction::StoreReg { size, src, .. } => {
                let m = self.insn_access(pc, ins, Access::Write);
                self.a.store(size.bytes(), m, host(src));
            }
            Instruction::Atomic { .. } => self.atomic(pc, ins),
            Instruction::Ja { off } => {
                let l = self.branch_label(pc, self.threaded(pc, off as i64));
                self.a.jmp(l);
            }
            Instruction::Ja32 { imm } => {
                let l = self.branch_label(pc, self.threaded(pc, imm as i64));
                self.a.jmp(l);
            }
            Instruction::Jcond { .. } => self.jcond(pc, ins),
            Instruction::MayGoto { off } => {
                let l = self.branch_label(pc, off as i64);
                let m = mem(CTX, disp(ctx::MAY_GOTO));
                self.a.alu_mem_imm(Alu::Cmp, m, 0);
                self.a.jcc(Cc::E, l);
                self.a.dec_mem(m);
            }
            Instruction::Call(CallKind::Helper(id)) => {
                match self.facts.direct.iter().position(|d| d.pc == pc && d.helper_id() == id) {
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
                match target(pc, rel as i64, self.facts.len) {
                    Ok(t) => self.a.call(self.labels[t]),
                    Err(t) => {
                        return self.fault(
                            pc,
                            Fault::JumpOutOfRange {
                                target: t,
                                len: self.facts.len,
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
}
