//! The path explorer (do_check): simulate each instruction on abstract
//! state, fork at conditional jumps whose outcome is unknown, and report the
//! first violation with the kernel's message and errno, logging as the
//! kernel's verifier does (level 1: the failing path; level 2: everything).

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};

use super::alu::scalar_op;
use super::ctx::{self, Access, CtxField};
use super::log::VerifierLog;
use super::reg::{RegState, RegType};
use super::state::{FuncState, SlotType, StackSlot, VerifierState};
use crate::exec::AccessProof;
use crate::isa::disasm::disasm;
use crate::isa::{AluOp, CallKind, Endian, Insn, Instruction, JmpOp, Operand, Size, Width};
use crate::uapi::Errno;

#[path = "atomic.rs"]
mod atomic;
#[path = "calls.rs"]
mod calls;
#[path = "check_call.rs"]
mod check_call;
#[path = "check_map.rs"]
mod check_map;
#[path = "const_str.rs"]
mod const_str;
#[path = "ptr_alu.rs"]
mod ptr_alu;
#[path = "ptr_cmp.rs"]
mod ptr_cmp;
#[path = "refine.rs"]
mod refine;
#[path = "spin_lock.rs"]
mod spin_lock;
#[path = "stack.rs"]
mod stack;
use refine::refine;
use spin_lock::BPF_FUNC_SPIN_UNLOCK;

/// The processed-instruction limit (BPF_COMPLEXITY_LIMIT_INSNS).
const INSN_LIMIT: u64 = 1_000_000;
/// Processed instructions after which a program with helper calls falls
/// back to the structural verdict (see `Env::run`).
const HELPER_PATH_BUDGET: u64 = 100_000;

/// Why checking stopped without a verdict of its own.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// The kernel's rejection: errno and message (already logged).
    Reject(Errno),
    /// Something this verifier does not model yet; the caller falls back.
    Unsupported(&'static str),
}

type Res<T> = Result<T, Stop>;

/// One pending branch.
struct Pending {
    state: VerifierState,
    pc: usize,
    prev_pc: usize,
    log_pos: usize,
    /// Length of the current path when the branch was pushed.
    path_len: usize,
}

fn state_hash(st: &VerifierState) -> u64 {
    let mut h = DefaultHasher::new();
    st.hash(&mut h);
    h.finish()
}

pub struct Env<'a> {
    /// Decoded instruction at each slot start.
    decoded: Vec<Option<Instruction>>,
    prog_type: u32,
    expected_attach_type: u32,
    privileged: bool,
    /// The license is GPL-compatible (GPL-only helpers may be called).
    gpl_compatible: bool,
    /// The map each map-loading ld_imm64 refers to.
    maps: &'a [super::MapRef],
    /// The load's BTF func_info (None: none was passed).
    pub func_info: Option<&'a [super::FuncRecord]>,
    /// By map index: the direct value of frozen read-only maps.
    pub map_rodata: &'a [Option<Vec<u8>>],
    /// Per instruction: None not reached, else what every access so far
    /// proved (see [`AccessProof`]).
    access_proof: Vec<Option<AccessProof>>,
    log: &'a mut VerifierLog,
    pending: Vec<Pending>,
    pub insn_processed: u64,
    /// States seen at jump targets on finished or current paths.
    visited: HashMap<usize, HashMap<u64, Vec<VerifierState>>>,
    jump_targets: Vec<bool>,
    /// (pc, state hash) at each jump target on the current path.
    path: Vec<(usize, u64)>,
    /// The same entries, for constant-time lookups (long loops).
    on_path: HashSet<(usize, u64)>,
    scratched_regs: u16,
    scratched_stack: u64,
    prev_log_pos: usize,
    prev_insn_print_pos: usize,
    next_id: u32,
    /// Helper calls processed so far.
    helper_calls: u64,
    /// The instruction being checked (reference allocation sites).
    cur_pc: usize,
    /// The deepest stack each subprogram (by first instruction) reached.
    stack_depth: HashMap<usize, usize>,
    /// The raw program (the static call graph).
    insns: &'a [Insn],
}

fn alu_str(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div | AluOp::SDiv => "/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod | AluOp::SMod => "%=",
        AluOp::Xor => "^=",
        AluOp::Mov => "=",
        AluOp::Arsh => "s>>=",
    }
}

/// vlog_alignment(): where `; state` annotations start.
fn vlog_alignment(pos: usize) -> usize {
    (pos + 4).max(40).div_ceil(8) * 8 - pos - 1
}

impl<'a> Env<'a> {
    pub fn new(
        insns: &'a [Insn],
        prog_type: u32,
        expected_attach_type: u32,
        privileged: bool,
        gpl_compatible: bool,
        maps: &'a [super::MapRef],
        log: &'a mut VerifierLog,
    ) -> Option<Self> {
        let mut decoded = vec![None; insns.len()];
        let mut jump_targets = vec![false; insns.len()];
        for (pc, ins) in crate::isa::decode(insns).ok()? {
            decoded[pc] = Some(ins);
            // may_goto stops the walk (unsupported): its target is no prune point.
            let rel = ins.jump_rel().filter(|_| !matches!(ins, Instruction::MayGoto { .. }));
            if let Some(t) = rel.and_then(|r| crate::isa::cfg::target_in(pc, r, insns.len()).ok()) {
                jump_targets[t] = true;
            }
        }
        Some(Env {
            decoded,
            prog_type,
            expected_attach_type,
            privileged,
            gpl_compatible,
            maps,
            func_info: None,
            map_rodata: &[],
            access_proof: vec![None; insns.len()],
            log,
            pending: Vec::new(),
            insn_processed: 0,
            visited: HashMap::new(),
            jump_targets,
            path: Vec::new(),
            on_path: HashSet::new(),
            scratched_regs: 0,
            scratched_stack: 0,
            prev_log_pos: 0,
            prev_insn_print_pos: 0,
            next_id: 0,
            helper_calls: 0,
            cur_pc: 0,
            stack_depth: HashMap::new(),
            insns,
        })
    }

    fn verbose(&mut self, s: &str) {
        self.log.write(s);
    }

    fn reject(&mut self, errno: Errno, msg: String) -> Stop {
        self.verbose(&msg);
        Stop::Reject(errno)
    }

    fn scratch_reg(&mut self, r: u8) {
        self.scratched_regs |= 1 << r;
    }

    fn scratch_slot(&mut self, spi: usize) {
        if spi < 64 {
            self.scratched_stack |= 1 << spi;
        }
    }

    /// print_verifier_state().
    fn state_text(&mut self, f: &FuncState, refs: &[(u32, usize)], all: bool) -> String {
        let mut s = String::new();
        if f.frameno != 0 {
            s.push_str(&format!(" frame{}:", f.frameno));
        }
        for (i, r) in f.regs.iter().enumerate() {
            if r.ty == RegType::NotInit || (!all && self.scratched_regs & (1 << i) == 0) {
                continue;
            }
            s.push_str(&format!(" R{i}={}", r.log_text_in(f.frameno)));
        }
        for (i, slot) in f.stack.iter().enumerate() {
            if slot.types.iter().all(|&t| t == SlotType::Invalid)
                || (!all && (i >= 64 || self.scratched_stack & (1 << i) == 0))
            {
                continue;
            }
            let off = -((i as i64) + 1) * 8;
            let chars: String = slot.types.iter().map(|t| t.log_char()).collect();
            if slot.types[7] == SlotType::Spill {
                // The bytes above a sub-register spill, then the register.
                let upto = slot.types.iter().position(|&t| t == SlotType::Spill).unwrap_or(8);
                s.push_str(&format!(
                    " fp{off}={}{}",
                    &chars[..upto],
                    slot.spilled.log_text_in(f.frameno)
                ));
            } else {
                s.push_str(&format!(" fp{off}={chars}"));
            }
        }
        if let Some((first, _)) = refs.first() {
            s.push_str(&format!(" refs={first}"));
            for (id, _) in &refs[1..] {
                s.push_str(&format!(",{id}"));
            }
        }
        s.push('\n');
        if !all {
            self.scratched_regs = 0;
            self.scratched_stack = 0;
        }
        s
    }

    /// print_insn_state(): the state after the previous instruction, on its
    /// line when nothing was printed since.
    fn print_insn_state(&mut self, f: &FuncState, refs: &[(u32, usize)], pc: usize) {
        let end = self.log.text().len();
        if self.prev_log_pos != 0 && self.prev_log_pos == end {
            self.log.truncate(end - 1);
            let pad = vlog_alignment(self.prev_insn_print_pos);
            self.verbose(&format!("{};", " ".repeat(pad)));
        } else {
            self.verbose(&format!("{pc}:"));
        }
        let text = self.state_text(f, refs, false);
        self.verbose(&text);
    }

    fn push_branch(&mut self, state: VerifierState, pc: usize, prev_pc: usize) {
        let log_pos = self.log.text().len();
        let path_len = self.path.len();
        self.pending.push(Pending {
            state,
            pc,
            prev_pc,
            log_pos,
            path_len,
        });
    }

    /// Explore every path from the entry state. Ok: all paths exit cleanly.
    pub fn run(&mut self) -> Res<()> {
        self.explore()?;
        // Level 1 keeps a failing path only: the explored ones are gone.
        if self.log.level & 2 == 0 {
            self.log.truncate(0);
        }
        self.check_max_stack_depth()
    }

    /// Every path from the entry state.
    fn explore(&mut self) -> Res<()> {
        let level2 = self.log.level & 2 != 0;
        let mut st = VerifierState {
            refs: Vec::new(),
            lock: None,
            frames: vec![FuncState::new(0, 0)],
        };
        st.frames[0].regs[1] = RegState::pointer(RegType::Ctx);
        self.scratched_regs = u16::MAX;
        let mut pc = 0usize;
        let mut prev_pc = 0usize;
        let mut print_from = false;
        loop {
            self.insn_processed += 1;
            // Helper results (random numbers, lengths) fork paths the
            // kernel merges through precision tracking and range-subsuming
            // pruning, which this explorer lacks (exact-state pruning only):
            // past a budget, such programs fall back instead of being
            // refused as too large.
            if self.helper_calls > 0 && self.insn_processed > HELPER_PATH_BUDGET {
                return Err(Stop::Unsupported("state pruning beyond exact matches"));
            }
            if self.insn_processed > INSN_LIMIT {
                let n = self.insn_processed;
                return Err(self.reject(Errno::E2BIG, format!("BPF program is too large. Processed {n} insn\n")));
            }
            // Loop detection and pruning at jump targets.
            if self.jump_targets[pc] {
                // Compared up to the renaming of ids.
                let canon = super::linked::canonical(&st);
                let h = state_hash(&canon);
                let bucket = self.visited.entry(pc).or_default().entry(h).or_default();
                if bucket.contains(&canon) {
                    if self.on_path.contains(&(pc, h)) {
                        let cur = self.state_text(&st.cur().clone(), &st.printed_refs(), true);
                        return Err(self.reject(
                            Errno::EINVAL,
                            format!("infinite loop detected at insn {pc}\ncur state:{cur}old state:{cur}"),
                        ));
                    }
                    // An identical state was fully explored: this path is safe.
                    match self.pop(&mut st, &mut pc, &mut prev_pc, level2)? {
                        true => {
                            print_from = true;
                            continue;
                        }
                        false => return Ok(()),
                    }
                }
                bucket.push(canon);
                self.path.push((pc, h));
                self.on_path.insert((pc, h));
            }
            if self.log.enabled() {
                if level2 && print_from {
                    let text = self.state_text(&st.cur().clone(), &st.printed_refs(), true);
                    self.verbose(&format!("\nfrom {prev_pc} to {pc}:{text}"));
                    print_from = false;
                }
                if self.scratched_regs != 0 || self.scratched_stack != 0 {
                    let f = st.cur().clone();
                    let refs = st.printed_refs();
                    self.print_insn_state(&f, &refs, pc);
                }
                let start = self.log.text().len();
                self.prev_log_pos = start;
                let ins = self.decoded[pc].expect("decoded");
                let line = format!("{pc}: {}\n", disasm(&ins, pc));
                self.verbose(&line);
                self.prev_insn_print_pos = self.log.text().len() - start;
                self.prev_log_pos = self.log.text().len();
            }
            let ins = self.decoded[pc].expect("structural check passed");
            let step = self.step(&mut st, pc, ins);
            // The subprogram's stack depth (check_max_stack_depth uses it).
            let f = st.cur();
            let depth = self.stack_depth.entry(f.subprog).or_insert(0);
            *depth = (*depth).max(f.stack.len() * 8);
            match step? {
                Next::Goto(t) => {
                    prev_pc = pc;
                    pc = t;
                }
                Next::Exit => match self.pop(&mut st, &mut pc, &mut prev_pc, level2)? {
                    true => print_from = true,
                    false => return Ok(()),
                },
            }
        }
    }

    /// pop_stack(): continue with the next pending branch (false: none).
    fn pop(&mut self, st: &mut VerifierState, pc: &mut usize, prev_pc: &mut usize, level2: bool) -> Res<bool> {
        let Some(p) = self.pending.pop() else { return Ok(false) };
        if !level2 {
            self.log.truncate(p.log_pos);
        }
        *st = p.state;
        *pc = p.pc;
        *prev_pc = p.prev_pc;
        // The path continues from where the branch was taken.
        for e in self.path.drain(p.path_len.min(self.path.len())..) {
            self.on_path.remove(&e);
        }
        Ok(true)
    }

    fn read_reg(&mut self, st: &VerifierState, r: u8) -> Res<RegState> {
        self.scratch_reg(r);
        let reg = st.cur().regs[r as usize];
        if reg.ty == RegType::NotInit {
            return Err(self.reject(Errno::EACCES, format!("R{r} !read_ok\n")));
        }
        Ok(reg)
    }

    fn check_write(&mut self, r: u8) -> Res<()> {
        self.scratch_reg(r);
        if r == 10 {
            return Err(self.reject(Errno::EACCES, "frame pointer is read only\n".into()));
        }
        Ok(())
    }

    fn step(&mut self, st: &mut VerifierState, pc: usize, ins: Instruction) -> Res<Next> {
        self.cur_pc = pc;
        let next = pc + ins.slots();
        match ins {
            Instruction::Alu { width, op, dst, src } => {
                self.check_alu(st, width, op, dst, src)?;
            }
            Instruction::MovSx { width, bits, dst, src } => {
                let s = self.read_reg(st, src)?;
                self.check_write(dst)?;
                if s.ty != RegType::Scalar {
                    return Err(self.reject(Errno::EACCES, format!("R{src} sign-extension part of pointer\n")));
                }
                let mut r = RegState::unknown();
                if s.is_const() {
                    let v = s.var_off.value;
                    let x = match bits {
                        8 => v as i8 as i64,
                        16 => v as i16 as i64,
                        _ => v as i32 as i64,
                    };
                    r.set_known(if width == Width::W32 {
                        x as i32 as u32 as u64
                    } else {
                        x as u64
                    });
                } else {
                    let lim = 1i64 << (bits - 1);
                    r.smin = -lim;
                    r.smax = lim - 1;
                    if width == Width::W32 {
                        r.s32_min = -lim as i32;
                        r.s32_max = (lim - 1) as i32;
                        r.smin = i64::MIN;
                        r.smax = i64::MAX;
                        r.umax = u32::MAX as u64;
                    }
                    r.sync_bounds();
                }
                st.cur_mut().regs[dst as usize] = r;
            }
            Instruction::Neg { width, dst } => {
                let d = self.read_reg(st, dst)?;
                self.check_write(dst)?;
                if d.ty != RegType::Scalar {
                    // is_pointer_value(): with pointer leaks allowed (the
                    // privileged), the result is just an unknown scalar.
                    if !self.privileged {
                        return Err(self.reject(Errno::EACCES, format!("R{dst} pointer arithmetic prohibited\n")));
                    }
                    st.cur_mut().regs[dst as usize] = RegState::unknown();
                    return Ok(Next::Goto(next));
                }
                let mut r = RegState::known(0);
                scalar_op(AluOp::Sub, width, &mut r, &d);
                st.cur_mut().regs[dst as usize] = r;
            }
            Instruction::End { kind, bits, dst } => {
                let d = self.read_reg(st, dst)?;
                self.check_write(dst)?;
                if d.ty != RegType::Scalar {
                    if !self.privileged {
                        return Err(self.reject(Errno::EACCES, format!("R{dst} pointer arithmetic prohibited\n")));
                    }
                    st.cur_mut().regs[dst as usize] = RegState::unknown();
                    return Ok(Next::Goto(next));
                }
                let r = if d.is_const() {
                    let v = d.var_off.value;
                    let swap = |v: u64| match bits {
                        16 => (v as u16).swap_bytes() as u64,
                        32 => (v as u32).swap_bytes() as u64,
                        _ => v.swap_bytes(),
                    };
                    let trunc = |v: u64| match bits {
                        16 => v as u16 as u64,
                        32 => v as u32 as u64,
                        _ => v,
                    };
                    RegState::known(match kind {
                        Endian::ToLe => trunc(v),
                        _ => swap(v),
                    })
                } else {
                    let mut r = RegState::unknown();
                    if bits < 64 {
                        r.umax = (1u64 << bits) - 1;
                        r.sync_bounds();
                    }
                    r
                };
                st.cur_mut().regs[dst as usize] = r;
            }
            Instruction::LdImm64 {
                dst,
                src,
                imm,
                next_imm,
            } => {
                self.check_write(dst)?;
                if src != 0 {
                    let r = self.ld_imm64_pseudo(pc, src)?;
                    st.cur_mut().regs[dst as usize] = r;
                    return Ok(Next::Goto(next));
                }
                st.cur_mut().regs[dst as usize] = RegState::known(imm as u32 as u64 | (next_imm as u32 as u64) << 32);
            }
            Instruction::Load {
                size,
                signed,
                dst,
                src,
                off,
            } => {
                let base = self.read_reg(st, src)?;
                self.check_write(dst)?;
                let val = self.check_mem(st, src, base, off as i64, size, Access::Read, None)?;
                self.note_access(&base);
                let mut val = val.unwrap_or_else(RegState::unknown);
                if val.ty == RegType::Scalar && size != Size::DW {
                    coerce_to_size(&mut val, size, signed);
                }
                st.cur_mut().regs[dst as usize] = val;
            }
            Instruction::StoreImm { size, dst, off, imm } => {
                let base = self.read_reg(st, dst)?;
                let v = RegState::known(imm as i64 as u64);
                self.check_mem(st, dst, base, off as i64, size, Access::Write, Some(v))?;
                self.note_access(&base);
            }
            Instruction::StoreReg { size, dst, src, off } => {
                let mut v = self.read_reg(st, src)?;
                let base = self.read_reg(st, dst)?;
                // A scalar spill links the slot and the register when the
                // value fits the store.
                let total = base.off as i64 + base.var_off.value as i64 + off as i64;
                let width = 64 - v.umax.leading_zeros();
                if base.ty == RegType::Stack
                    && base.var_off.is_const()
                    && total % 8 == 0
                    && self.privileged
                    && v.ty == RegType::Scalar
                    && width <= size.bits()
                {
                    super::linked::assign_id_before_mov(&mut v, &mut self.next_id);
                    st.cur_mut().regs[src as usize] = v;
                } else if base.ty == RegType::Stack && v.ty == RegType::Scalar && width > size.bits() {
                    // A narrowing spill breaks the link.
                    v.id = 0;
                    v.off = 0;
                }
                self.check_mem(st, dst, base, off as i64, size, Access::Write, Some(v))?;
                self.note_access(&base);
            }
            Instruction::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => {
                self.check_atomic(st, size, op, dst, src, off)?;
            }
            Instruction::Ja { off } => return Ok(Next::Goto((next as i64 + off as i64) as usize)),
            Instruction::Ja32 { imm } => return Ok(Next::Goto((next as i64 + imm as i64) as usize)),
            Instruction::Jcond {
                width,
                op,
                dst,
                src,
                off,
            } => {
                let target = (next as i64 + off as i64) as usize;
                return self.check_cond_jmp(st, pc, width, op, dst, src, target, next);
            }
            Instruction::Exit => {
                // check_resource_leak() comes before the return value; the
                // lock only in the main program (subprograms may return
                // holding it).
                let main = st.frames.len() == 1;
                self.check_resource_leak(st, "BPF_EXIT instruction in main prog", main)?;
                if st.frames.len() > 1 {
                    return self.prepare_func_exit(st).map(Next::Goto);
                }
                let r0 = self.read_reg(st, 0)?;
                if r0.ty != RegType::Scalar && !self.privileged {
                    return Err(self.reject(Errno::EACCES, "R0 leaks addr as return value\n".into()));
                }
                if let Some((lo, hi)) = ctx::return_range(self.prog_type, self.expected_attach_type) {
                    if r0.ty != RegType::Scalar {
                        return Err(self.reject(
                            Errno::EINVAL,
                            format!(
                                "At program exit the register R0 is not a known value ({})\n",
                                r0.ty.name()
                            ),
                        ));
                    }
                    if !(lo <= r0.smin && r0.smax <= hi) {
                        let mut m = String::from("At program exit the register R0 has");
                        if r0.smin > i64::MIN {
                            m.push_str(&format!(" smin={}", r0.smin));
                        }
                        if r0.smax < i64::MAX {
                            m.push_str(&format!(" smax={}", r0.smax));
                        }
                        if r0.smin == i64::MIN && r0.smax == i64::MAX {
                            m.push_str(" unknown scalar value");
                        }
                        m.push_str(&format!(" should have been in [{lo}, {hi}]\n"));
                        return Err(self.reject(Errno::EINVAL, m));
                    }
                }
                return Ok(Next::Exit);
            }
            Instruction::Call(CallKind::Helper(id)) => {
                self.helper_calls += 1;
                if st.lock.is_some() && id != BPF_FUNC_SPIN_UNLOCK {
                    return Err(self.reject(
                        Errno::EINVAL,
                        "function calls are not allowed while holding a lock\n".into(),
                    ));
                }
                self.check_helper_call(st, id)?
            }
            Instruction::Call(CallKind::Local(imm)) => {
                let target = crate::isa::cfg::target(pc, imm as i64) as usize;
                self.check_func_call(st, pc, target)?;
                return Ok(Next::Goto(target));
            }
            Instruction::Call(_) | Instruction::CallX { .. } => return Err(Stop::Unsupported("calls")),
            Instruction::LdAbs { .. } | Instruction::LdInd { .. } => {
                if !ctx::may_access_skb(self.prog_type) {
                    return Err(self.reject(
                        Errno::EINVAL,
                        "BPF_LD_[ABS|IND] instructions not allowed for this program type\n".into(),
                    ));
                }
                let r6 = self.read_reg(st, 6)?;
                self.check_resource_leak(st, "BPF_LD_[ABS|IND]", true)?;
                if let Instruction::LdInd { src, .. } = ins {
                    self.read_reg(st, src)?;
                }
                if r6.ty != RegType::Ctx {
                    return Err(self.reject(
                        Errno::EINVAL,
                        "at the time of BPF_LD_ABS|IND R6 != pointer to skb\n".into(),
                    ));
                }
                // The helper-like load clobbers the caller-saved registers.
                let f = st.cur_mut();
                for r in 1..=5 {
                    f.regs[r] = RegState::not_init();
                }
                f.regs[0] = RegState::unknown();
                self.scratched_regs |= 0b11_1111;
            }
            Instruction::MayGoto { .. } => return Err(Stop::Unsupported("may_goto")),
            Instruction::AddrSpaceCast { .. } => return Err(Stop::Unsupported("arena")),
        }
        Ok(Next::Goto(next))
    }

    fn check_alu(&mut self, st: &mut VerifierState, width: Width, op: AluOp, dst: u8, src: Operand) -> Res<()> {
        let s = match src {
            Operand::Reg(r) => self.read_reg(st, r)?,
            Operand::Imm(imm) => {
                if matches!(op, AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod) && imm == 0 {
                    return Err(self.reject(Errno::EINVAL, "div by zero\n".into()));
                }
                let bits = if width == Width::W64 { 64 } else { 32 };
                if matches!(op, AluOp::Lsh | AluOp::Rsh | AluOp::Arsh) && (imm < 0 || imm >= bits) {
                    return Err(self.reject(Errno::EINVAL, format!("invalid shift {imm}\n")));
                }
                let v = if width == Width::W64 {
                    imm as i64 as u64
                } else {
                    imm as u32 as u64
                };
                RegState::known(v)
            }
        };
        if op == AluOp::Mov {
            self.check_write(dst)?;
            let mut s = s;
            if let (Width::W64, Operand::Reg(sr)) = (width, src) {
                // The copy and the original stay linked.
                if self.privileged {
                    super::linked::assign_id_before_mov(&mut s, &mut self.next_id);
                    st.cur_mut().regs[sr as usize] = s;
                }
            }
            let mut r = s;
            if width == Width::W32 {
                if s.ty != RegType::Scalar {
                    if !self.privileged {
                        return Err(self.reject(Errno::EACCES, format!("R{} partial copy of pointer\n", src_reg(src))));
                    }
                    r = RegState::unknown();
                }
                let mut z = r;
                scalar_op(AluOp::Mov, Width::W32, &mut z, &r);
                r = z;
            }
            st.cur_mut().regs[dst as usize] = r;
            return Ok(());
        }
        let d = self.read_reg(st, dst)?;
        self.check_write(dst)?;
        let r = match (d.ty.is_pointer(), s.ty.is_pointer()) {
            (false, false) => {
                let mut r = d;
                scalar_op(op, width, &mut r, &s);
                if self.privileged {
                    super::linked::after_add(&mut r, &d, &s, op, width);
                }
                r
            }
            (true, true) => {
                if op == AluOp::Sub && self.privileged {
                    RegState::unknown()
                } else {
                    return Err(self.reject(
                        Errno::EACCES,
                        format!("R{dst} pointer {} pointer prohibited\n", alu_str(op)),
                    ));
                }
            }
            (true, false) => {
                // The scalar added to a pointer becomes precise.
                if let Operand::Reg(r) = src {
                    st.cur_mut().regs[r as usize].precise = true;
                }
                self.ptr_arith(width, op, dst, d, s, false)?
            }
            (false, true) => self.ptr_arith(width, op, dst, s, d, true)?,
        };
        st.cur_mut().regs[dst as usize] = r;
        Ok(())
    }

    /// Record that the access of the current instruction passed the
    /// checks for a pointer of type `ty`.
    fn note_access(&mut self, base: &RegState) {
        let proof = match base.ty {
            RegType::Ctx => AccessProof::Context,
            RegType::Packet | RegType::PacketMeta => AccessProof::Packet,
            RegType::MapValue => AccessProof::Map(base.map.index),
            RegType::Stack => AccessProof::Stack,
            _ => AccessProof::None,
        };
        if let Some(p) = self.access_proof.get_mut(self.cur_pc) {
            *p = Some(p.map_or(proof, |old| old.join(proof)));
        }
    }

    /// After an accepted run: per instruction, what every verified visit
    /// of its load or store proved.
    pub fn access_proofs(&self) -> Vec<AccessProof> {
        self.access_proof.iter().map(|p| p.unwrap_or_default()).collect()
    }

    /// check_mem_access() for the pointer types modelled. Returns the
    /// loaded value for reads.
    #[allow(clippy::too_many_arguments)]
    fn check_mem(
        &mut self,
        st: &mut VerifierState,
        regno: u8,
        reg: RegState,
        off: i64,
        size: Size,
        access: Access,
        value: Option<RegState>,
    ) -> Res<Option<RegState>> {
        let n = size.bytes() as i64;
        match reg.ty {
            RegType::Stack => {
                self.check_stack_alignment(&reg, off, n)?;
                self.check_stack_access_within_bounds(st, regno, &reg, off + reg.off as i64, n, access)?;
                if reg.frameno as usize != st.frames.len() - 1 {
                    return Err(Stop::Unsupported("access to a caller's stack"));
                }
                if !reg.var_off.is_const() {
                    return self.stack_var_off(st, &reg, off + reg.off as i64, n, access, value);
                }
                let total = reg.off as i64 + reg.var_off.value as i64 + off;
                // Byte fp+total+i lives in slot `spi` at index (slot - i) % 8,
                // the kernel's layout (index 0 is the slot's highest byte).
                let slot = (-total - 1) as usize;
                let spi = slot / 8;
                let idx = |i: usize| (slot - i) % 8;
                self.scratch_slot(spi);
                let privileged = self.privileged;
                let f = st.cur_mut();
                f.grow_stack((-total) as usize);
                let ss = &mut f.stack[spi];
                if access == Access::Write {
                    let v = value.expect("stored value");
                    if v.ty == RegType::Scalar && total % 8 == 0 && privileged {
                        // save_register_state(): a (possibly partial) spill.
                        ss.spilled = v;
                        for i in (8 - n as usize)..8 {
                            ss.types[i] = SlotType::Spill;
                        }
                        for i in 0..(8 - n as usize) {
                            if ss.types[i] != SlotType::Zero && ss.types[i] != SlotType::Invalid {
                                ss.types[i] = SlotType::Misc;
                            }
                        }
                    } else if v.ty != RegType::Scalar {
                        if n != 8 {
                            return Err(self.reject(Errno::EACCES, "invalid size of register spill\n".into()));
                        }
                        *ss = StackSlot {
                            types: [SlotType::Spill; 8],
                            spilled: v,
                        };
                    } else {
                        ss.spilled = RegState::not_init();
                        if ss.types[7] == SlotType::Spill {
                            for t in ss.types.iter_mut() {
                                if *t == SlotType::Spill {
                                    *t = SlotType::Misc;
                                }
                            }
                        }
                        let zero = v.is_const() && v.var_off.value == 0;
                        for i in 0..n as usize {
                            ss.types[idx(i)] = if zero { SlotType::Zero } else { SlotType::Misc };
                        }
                    }
                    return Ok(None);
                }
                let ss = *ss;
                if ss.types[7] == SlotType::Spill {
                    let spill_size = 1 + ss.types[..7]
                        .iter()
                        .rev()
                        .take_while(|&&t| t == SlotType::Spill)
                        .count();
                    if n == 8 && spill_size == 8 {
                        return Ok(Some(ss.spilled));
                    }
                    if ss.spilled.ty != RegType::Scalar {
                        return Err(self.reject(Errno::EACCES, "invalid size of register fill\n".into()));
                    }
                    // bpf_stack_narrow_access_ok(): a narrower fill keeps the
                    // spilled value only from the slot start (little endian).
                    if n as usize <= spill_size && total % 8 == 0 {
                        return Ok(Some(ss.spilled));
                    }
                    let (mut spill_cnt, mut zero_cnt) = (0, 0);
                    for i in 0..n as usize {
                        match ss.types[idx(i)] {
                            SlotType::Spill => spill_cnt += 1,
                            SlotType::Zero => zero_cnt += 1,
                            SlotType::Misc => {}
                            SlotType::Invalid if privileged => {}
                            SlotType::Invalid => {
                                return Err(self.reject(
                                    Errno::EACCES,
                                    format!("invalid read from stack off {total}+{i} size {n}\n"),
                                ))
                            }
                        }
                    }
                    let zero_spill = spill_cnt == n && ss.spilled.is_const() && ss.spilled.var_off.value == 0;
                    return Ok(Some(if zero_spill || zero_cnt == n {
                        RegState::known(0)
                    } else {
                        RegState::unknown()
                    }));
                }
                let mut zeros = 0;
                for i in 0..n as usize {
                    match ss.types[idx(i)] {
                        SlotType::Misc | SlotType::Spill => {}
                        SlotType::Zero => zeros += 1,
                        SlotType::Invalid if privileged => {}
                        SlotType::Invalid => {
                            return Err(self.reject(
                                Errno::EACCES,
                                format!("invalid read from stack off {total}+{i} size {n}\n"),
                            ))
                        }
                    }
                }
                Ok(Some(if zeros == n {
                    RegState::known(0)
                } else {
                    RegState::unknown()
                }))
            }
            RegType::Ctx => {
                self.check_ptr_off_reg(regno, &reg)?;
                if access == Access::Write && value.is_some_and(|v| v.ty != RegType::Scalar) {
                    return Err(Stop::Unsupported("pointer stores into ctx"));
                }
                if !ctx::supported(self.prog_type) {
                    return Err(Stop::Unsupported("this program type's context"));
                }
                match ctx::access(self.prog_type, self.expected_attach_type, off, n, access) {
                    None => Err(self.reject(
                        Errno::EACCES,
                        format!("invalid bpf_context access off={off} size={n}\n"),
                    )),
                    Some(CtxField::Scalar) => Ok(Some(RegState::unknown())),
                    Some(CtxField::SockCommonOrNull) => Err(Stop::Unsupported("socket pointers")),
                    Some(CtxField::Pointer(t)) => {
                        let mut p = RegState::pointer(t);
                        if t.is_pkt_pointer() {
                            self.next_id += 1;
                            p.id = 0;
                        }
                        Ok(Some(p))
                    }
                }
            }
            RegType::Packet | RegType::PacketMeta => {
                // may_access_direct_pkt_data(): who may write packets.
                use crate::uapi::types::prog_type as pt;
                let writable = matches!(
                    self.prog_type,
                    pt::SCHED_CLS | pt::SCHED_ACT | pt::XDP | pt::LWT_XMIT | pt::SK_SKB | pt::SK_MSG
                );
                if access == Access::Write && !writable {
                    return Err(self.reject(Errno::EACCES, "cannot write into packet\n".into()));
                }
                if access == Access::Write && !self.privileged && value.is_some_and(|v| v.ty != RegType::Scalar) {
                    return Err(Stop::Unsupported("pointer stores into packets by the unprivileged"));
                }
                self.check_packet_access(regno, &reg, off + reg.off as i64, n)?;
                Ok(Some(RegState::unknown()))
            }
            RegType::RingbufMem => {
                if access == Access::Write && !self.privileged && value.is_some_and(|v| v.ty.is_pointer()) {
                    return Err(Stop::Unsupported("pointer stores into memory by the unprivileged"));
                }
                self.check_mem_region_access(regno, &reg, off + reg.off as i64, n, reg.mem_size, false)?;
                Ok(Some(RegState::unknown()))
            }
            // check_ptr_to_map_access(): the privileged may read struct
            // bpf_map's fields, typed by the kernel's BTF (not modelled).
            RegType::MapPtr if self.privileged => Err(Stop::Unsupported("map pointer field reads (BTF)")),
            RegType::Scalar
            | RegType::NotInit
            | RegType::MapValueOrNull
            | RegType::RingbufMemOrNull
            | RegType::PacketEnd
            | RegType::MapPtr => Err(self.reject(
                Errno::EACCES,
                format!("R{regno} invalid mem access '{}'\n", reg.ty.name()),
            )),
            RegType::MapValue => {
                if access == Access::Write && !self.privileged && value.is_some_and(|v| v.ty.is_pointer()) {
                    return Err(Stop::Unsupported("pointer stores into maps by the unprivileged"));
                }
                self.check_map_access(regno, &reg, off + reg.off as i64, n, access == Access::Write, false)?;
                Ok(Some(RegState::unknown()))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_cond_jmp(
        &mut self,
        st: &mut VerifierState,
        pc: usize,
        width: Width,
        op: JmpOp,
        dst: u8,
        src: Operand,
        target: usize,
        next: usize,
    ) -> Res<Next> {
        let d = self.read_reg(st, dst)?;
        let s = match src {
            Operand::Reg(r) => self.read_reg(st, r)?,
            Operand::Imm(imm) => RegState::known(if width == Width::W64 {
                imm as i64 as u64
            } else {
                imm as u32 as u64
            }),
        };
        if d.ty != RegType::Scalar || s.ty != RegType::Scalar {
            return self.ptr_cond_jmp(st, pc, width, op, dst, src, d, s, target, next);
        }
        let decided = branch_taken(op, width, &d, &s);
        if decided.is_some() {
            // mark_chain_precision() on the operands that decided it (the
            // flag shows as `P` in logs; states compare without it).
            st.cur_mut().regs[dst as usize].precise = true;
            if let Operand::Reg(r) = src {
                st.cur_mut().regs[r as usize].precise = true;
            }
        }
        match decided {
            Some(true) => Ok(Next::Goto(target)),
            Some(false) => Ok(Next::Goto(next)),
            None => {
                // Both ways: the taken branch is explored later.
                let mut other = st.clone();
                refine(&mut other, width, op, dst, src, &d, &s, true);
                refine(st, width, op, dst, src, &d, &s, false);
                self.push_branch(other, target, pc);
                Ok(Next::Goto(next))
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn pkt_compare(
        &mut self,
        st: &mut VerifierState,
        pc: usize,
        op: JmpOp,
        _dst: u8,
        d: RegState,
        s: RegState,
        target: usize,
        next: usize,
    ) -> Res<Option<Next>> {
        // `pkt > pkt_end` style checks: on the branch where the access
        // stays inside, every pointer with the same id gets range = off.
        let (pkt, end_on_right) = match (d.ty, s.ty) {
            // pkt' vs pkt_end, and pkt_meta' vs the packet start.
            (RegType::Packet, RegType::PacketEnd) => (d, true),
            (RegType::PacketMeta, RegType::Packet) if init_pkt(&s) => (d, true),
            (RegType::PacketEnd, RegType::Packet) => (s, false),
            (RegType::Packet, RegType::PacketMeta) if init_pkt(&d) => (s, false),
            _ => return Ok(None),
        };
        // Which branch proves pkt + off <= end?
        let safe_on_taken = match (op, end_on_right) {
            (JmpOp::Jgt, true) | (JmpOp::Jge, true) | (JmpOp::Jlt, false) | (JmpOp::Jle, false) => false,
            (JmpOp::Jle, true) | (JmpOp::Jlt, true) | (JmpOp::Jge, false) | (JmpOp::Jgt, false) => true,
            _ => return Ok(None),
        };
        // find_good_pkt_pointers(): `pkt' < end` (from the `>=`/`<` forms)
        // proves one byte more than `pkt' <= end`; a negative offset, or
        // `pkt < end` itself, proves nothing.
        let right_open = matches!(
            (op, end_on_right),
            (JmpOp::Jge, true) | (JmpOp::Jlt, true) | (JmpOp::Jle, false) | (JmpOp::Jgt, false)
        );
        // MAX_PACKET_OFF: a pointer that may have wrapped proves nothing.
        let overflow = pkt.umax > 0xffff || pkt.umax + pkt.off.max(0) as u64 > 0xffff;
        if pkt.off < 0 || (pkt.off == 0 && right_open) || overflow {
            self.push_branch(st.clone(), target, pc);
            return Ok(Some(Next::Goto(next)));
        }
        let range = pkt.off + right_open as i32;
        let mut safe = st.clone();
        if range > 0 {
            // Every copy, in any frame and spilled, shares the range.
            for f in safe.frames.iter_mut() {
                for r in f.regs.iter_mut() {
                    if r.ty == pkt.ty && r.id == pkt.id {
                        r.range = r.range.max(range);
                    }
                }
                for sl in f.stack.iter_mut() {
                    let r = &mut sl.spilled;
                    if sl.types[7] == SlotType::Spill && r.ty == pkt.ty && r.id == pkt.id {
                        r.range = r.range.max(range);
                    }
                }
            }
        }
        let (taken, fall) = if safe_on_taken {
            (safe, st.clone())
        } else {
            (st.clone(), safe)
        };
        *st = fall;
        self.push_branch(taken, target, pc);
        Ok(Some(Next::Goto(next)))
    }
}

/// reg_is_init_pkt_pointer(): the packet start itself.
fn init_pkt(r: &RegState) -> bool {
    r.ty == RegType::Packet && r.off == 0 && r.var_off.is_const() && r.var_off.value == 0
}

fn src_reg(src: Operand) -> u8 {
    match src {
        Operand::Reg(r) => r,
        Operand::Imm(_) => 0,
    }
}

enum Next {
    Goto(usize),
    Exit,
}

/// coerce_reg_to_size(): a load of fewer than 8 bytes.
fn coerce_to_size(r: &mut RegState, size: Size, signed: bool) {
    let bits = size.bits();
    if r.is_const() {
        let v = r.var_off.value & ((1u64 << bits) - 1);
        let v = if signed {
            ((v << (64 - bits)) as i64 >> (64 - bits)) as u64
        } else {
            v
        };
        r.set_known(v);
        return;
    }
    if !signed {
        // coerce_reg_to_size(): keep what is known of the low bits.
        let mask = if bits == 64 { u64::MAX } else { (1u64 << bits) - 1 };
        r.var_off = r.var_off.cast(bits / 8);
        if r.umin & !mask == r.umax & !mask {
            r.umin &= mask;
            r.umax &= mask;
        } else {
            r.umin = 0;
            r.umax = mask;
        }
        r.smin = r.umin as i64;
        r.smax = r.umax as i64;
        if bits < 32 {
            r.unbound32();
        }
        r.id = 0;
        r.sync_bounds();
        return;
    }
    *r = RegState::unknown();
    if signed {
        r.smin = -(1i64 << (bits - 1));
        r.smax = (1i64 << (bits - 1)) - 1;
    } else {
        r.var_off = super::tnum::Tnum::new(0, (1u64 << bits) - 1);
        r.umax = (1u64 << bits) - 1;
    }
    r.sync_bounds();
}

/// is_branch_taken() for scalars: Some(outcome) when the bounds decide it.
fn branch_taken(op: JmpOp, width: Width, d: &RegState, s: &RegState) -> Option<bool> {
    let (dmin, dmax, smin_s, smax_s, umin_d, umax_d, umin_s, umax_s);
    if width == Width::W32 {
        dmin = d.s32_min as i64;
        dmax = d.s32_max as i64;
        smin_s = s.s32_min as i64;
        smax_s = s.s32_max as i64;
        umin_d = d.u32_min as u64;
        umax_d = d.u32_max as u64;
        umin_s = s.u32_min as u64;
        umax_s = s.u32_max as u64;
    } else {
        dmin = d.smin;
        dmax = d.smax;
        smin_s = s.smin;
        smax_s = s.smax;
        umin_d = d.umin;
        umax_d = d.umax;
        umin_s = s.umin;
        umax_s = s.umax;
    }
    let (dt, st) = if width == Width::W32 {
        (d.var_off.subreg(), s.var_off.subreg())
    } else {
        (d.var_off, s.var_off)
    };
    match op {
        JmpOp::Jeq | JmpOp::Jne => {
            let eq = if dt.is_const() && st.is_const() {
                Some(dt.value == st.value)
            } else if umin_d > umax_s
                || umax_d < umin_s
                || dmin > smax_s
                || dmax < smin_s
                || (dt.value ^ st.value) & !(dt.mask | st.mask) != 0
            {
                // Disjoint ranges, or known bits that differ.
                Some(false)
            } else {
                None
            };
            eq.map(|e| if op == JmpOp::Jeq { e } else { !e })
        }
        JmpOp::Jset => {
            if dt.value & st.value != 0 {
                Some(true)
            } else if (dt.value | dt.mask) & (st.value | st.mask) == 0 {
                Some(false)
            } else {
                None
            }
        }
        JmpOp::Jgt => decide(umin_d > umax_s, umax_d <= umin_s),
        JmpOp::Jge => decide(umin_d >= umax_s, umax_d < umin_s),
        JmpOp::Jlt => decide(umax_d < umin_s, umin_d >= umax_s),
        JmpOp::Jle => decide(umax_d <= umin_s, umin_d > umax_s),
        JmpOp::Jsgt => decide(dmin > smax_s, dmax <= smin_s),
        JmpOp::Jsge => decide(dmin >= smax_s, dmax < smin_s),
        JmpOp::Jslt => decide(dmax < smin_s, dmin >= smax_s),
        JmpOp::Jsle => decide(dmax <= smin_s, dmin > smax_s),
    }
}

fn decide(always: bool, never: bool) -> Option<bool> {
    if always {
        Some(true)
    } else if never {
        Some(false)
    } else {
        None
    }
}
