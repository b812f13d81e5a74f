//! The path explorer (do_check): simulate each instruction on abstract
//! state, fork at conditional jumps whose outcome is unknown, and report the
//! first violation with the kernel's message and errno, logging as the
//! kernel's verifier does (level 1: the failing path; level 2: everything).
//!
//! [`Env`] is the walk's driver; the instruction classes are checked in
//! sibling modules: [`super::check_alu`], [`super::check_mem`] (loads and
//! stores), [`super::atomic`], [`super::cond_jmp`] and [`super::ptr_cmp`]
//! (conditional jumps), [`super::check_call`] (helpers), [`super::calls`]
//! (bpf-to-bpf calls), [`super::exit`].

use super::cond_jmp::CondJmp;
use super::explored::Visit;
use super::facts::Facts;
use super::log::VerifierLog;
use super::reg::{RegState, RegType};
use super::spin_lock::BPF_FUNC_SPIN_UNLOCK;
use super::state::{FuncState, VerifierState};
use super::state_log::StateLog;
use super::walk::Walk;
use crate::exec::AccessProof;
use crate::isa::disasm::disasm;
use crate::isa::{CallKind, Insn, Instruction};
use crate::uapi::Errno;

/// The processed-instruction limit (BPF_COMPLEXITY_LIMIT_INSNS).
const INSN_LIMIT: u64 = 1_000_000;

/// Why checking stopped without a verdict of its own.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// The kernel's rejection: errno and message (already logged).
    Reject(Errno),
    /// Something this verifier does not model yet; the caller falls back.
    Unsupported(&'static str),
}

pub(super) type Res<T> = Result<T, Stop>;

/// What the load gave the verifier, fixed for the whole walk.
pub(super) struct Prog<'a> {
    /// Decoded instruction at each slot start.
    pub(super) decoded: Vec<Option<Instruction>>,
    pub(super) prog_type: u32,
    pub(super) expected_attach_type: u32,
    pub(super) privileged: bool,
    /// The license is GPL-compatible (GPL-only helpers may be called).
    pub(super) gpl_compatible: bool,
    /// The map each map-loading ld_imm64 refers to.
    pub(super) maps: &'a [super::MapRef],
    /// Prune points (mark_prune_point): where states are compared.
    pub(super) prune_points: Vec<bool>,
    /// Sync callback-calling helper calls (mark_calls_callback): forced
    /// checkpoints where a callback's iterations converge.
    pub(super) calls_callback: Vec<bool>,
    /// Jump points (mark_jmp_point): where the jump history records how
    /// the path came in.
    pub(super) jmp_points: Vec<bool>,
    /// Per instruction, the registers live before it.
    pub(super) live_regs: Vec<u16>,
    /// Each subprogram's first instruction, sorted.
    pub(super) subprog_starts: Vec<usize>,
    /// Per instruction, its loop's number (compute_scc; 0: in none).
    pub(super) scc: Vec<u32>,
    /// The raw program (the static call graph).
    pub(super) insns: &'a [Insn],
}

/// The verifier's walk over one program: what it was given ([`Prog`]),
/// what it learns for after the verdict ([`Facts`]), its bookkeeping
/// ([`Walk`]) and the log with the state printer ([`StateLog`]).
pub struct Env<'a> {
    pub(super) prog: Prog<'a>,
    /// The load's BTF func_info (None: none was passed).
    pub func_info: Option<&'a [super::FuncRecord]>,
    /// By map index: the direct value of frozen read-only maps.
    pub map_rodata: &'a [Option<Vec<u8>>],
    /// env->strict_alignment (BPF_F_STRICT_ALIGNMENT without ANY_ALIGNMENT).
    pub strict_alignment: bool,
    /// The kernel BTF (kfunc calls are named from it when the walk stops).
    pub kernel_btf: Option<&'a crate::btf::Btf>,
    pub(super) facts: Facts,
    pub(super) walk: Walk,
    pub(super) stack_live: super::stack_liveness::StackLiveness,
    pub(super) vlog: StateLog<'a>,
    pub insn_processed: u64,
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
        let n = insns.len();
        let mut decoded = vec![None; n];
        let mut prune_points = vec![false; n];
        let mut jmp_points = vec![false; n];
        let mut calls_callback = vec![false; n];
        let mut mark = |pc: usize, jmp: bool| {
            if pc < n {
                prune_points[pc] = true;
                jmp_points[pc] |= jmp;
            }
        };
        for (pc, ins) in crate::isa::decode(insns).ok()? {
            decoded[pc] = Some(ins);
            let target = ins.jump_rel().and_then(|r| crate::isa::cfg::target_in(pc, r, n).ok());
            // As check_cfg's visit_insn() marks them.
            match ins {
                Instruction::Ja { .. } | Instruction::Ja32 { .. } => {
                    if let Some(t) = target {
                        mark(t, true);
                    }
                }
                Instruction::Call(kind) => {
                    mark(pc + 1, true);
                    // is_sync_callback_calling_insn(): a prune and jump
                    // point, and a forced checkpoint.
                    if super::callbacks::calls_callback(&ins) {
                        calls_callback[pc] = true;
                        mark(pc, true);
                    }
                    if let CallKind::Local(imm) = kind {
                        mark(pc, false);
                        if let Ok(t) = crate::isa::cfg::target_in(pc, imm as i64, n) {
                            mark(t, true);
                        }
                    }
                }
                _ if ins.comparison().is_some() || matches!(ins, Instruction::MayGoto { .. }) => {
                    mark(pc, false);
                    if let Some(t) = target {
                        mark(t, true);
                    }
                }
                _ => {}
            }
        }
        let decoded_at: Vec<bool> = decoded.iter().map(Option::is_some).collect();
        let live_regs = super::liveness::live_regs_before(insns, &decoded_at);
        let scc = super::liveness::scc_ids(insns, &decoded_at);
        Some(Env {
            prog: Prog {
                decoded,
                prog_type,
                expected_attach_type,
                privileged,
                gpl_compatible,
                maps,
                prune_points,
                calls_callback,
                jmp_points,
                live_regs,
                scc,
                subprog_starts: crate::isa::cfg::subprog_starts(insns, usize::MAX).unwrap_or_else(|_| vec![0]),
                insns,
            },
            func_info: None,
            map_rodata: &[],
            strict_alignment: false,
            kernel_btf: None,
            facts: Facts::new(insns.len()),
            walk: Walk::default(),
            stack_live: Default::default(),
            vlog: StateLog::new(log),
            insn_processed: 0,
        })
    }

    pub(super) fn verbose(&mut self, s: &str) {
        self.vlog.verbose(s);
    }

    pub(super) fn reject(&mut self, errno: Errno, msg: String) -> Stop {
        self.verbose(&msg);
        Stop::Reject(errno)
    }

    pub(super) fn push_branch(&mut self, state: VerifierState, pc: usize, prev_pc: usize) {
        let log_pos = self.vlog.log.text().len();
        self.walk.push(state, pc, prev_pc as i64, log_pos);
    }

    /// Explore every path from the entry state. Ok: all paths exit cleanly.
    pub fn run(&mut self) -> Res<()> {
        if self.vlog.log.level & 2 != 0 {
            // check_subprogs() and compute_live_registers() at level 2.
            let mut s = String::new();
            for (i, start) in self.prog.subprog_starts.iter().enumerate() {
                s.push_str(&format!("func#{i} @{start}\n"));
            }
            s.push_str(&super::liveness::live_regs_table(
                &self.prog.decoded,
                &self.prog.live_regs,
                &self.prog.scc,
            ));
            self.verbose(&s);
        }
        self.explore()?;
        // Level 1 keeps a failing path only: the explored ones are gone.
        if self.vlog.log.level & 2 == 0 {
            self.vlog.log.truncate(0);
        }
        self.check_max_stack_depth()
    }

    /// Every path from the entry state.
    fn explore(&mut self) -> Res<()> {
        let level2 = self.vlog.log.level & 2 != 0;
        let mut st = VerifierState {
            refs: Vec::new(),
            lock: None,
            frames: vec![FuncState::new(0, 0)],
        };
        st.frames[0].regs[1] = RegState::pointer(RegType::Ctx);
        self.vlog.scratched_regs = u16::MAX;
        let mut pc = 0usize;
        let mut prev_pc: i64 = -1;
        let mut print_from = false;
        loop {
            self.insn_processed += 1;
            if self.insn_processed > INSN_LIMIT {
                let n = self.insn_processed;
                return Err(self.reject(Errno::E2BIG, format!("BPF program is too large. Processed {n} insn\n")));
            }
            self.walk.cur.last_insn_idx = prev_pc;
            self.walk.cur_pc = pc;
            self.walk.prev_pc = prev_pc;
            self.walk.hist_this_insn = false;
            if self.prog.prune_points[pc] {
                if let Visit::Hit = self.is_state_visited(&mut st, pc)? {
                    // An equivalent state was fully explored: this path is safe.
                    if self.vlog.log.level & 3 != 0 {
                        let line = if print_from {
                            format!("\nfrom {prev_pc} to {pc}: safe\n")
                        } else {
                            format!("{pc}: safe\n")
                        };
                        self.verbose(&line);
                    }
                    match self.end_path(&mut st, &mut pc, &mut prev_pc, level2) {
                        true => {
                            print_from = true;
                            continue;
                        }
                        false => return Ok(()),
                    }
                }
            }
            if self.prog.jmp_points[pc] {
                self.walk.push_history(None, Vec::new());
            }
            if self.vlog.log.enabled() {
                if level2 && print_from {
                    let text = self.vlog.state_text(&st.cur().clone(), &st.printed_refs(), true);
                    self.verbose(&format!("\nfrom {prev_pc} to {pc}:{text}"));
                    print_from = false;
                }
                if self.vlog.scratched_regs != 0 || self.vlog.scratched_stack != 0 {
                    let f = st.cur().clone();
                    let refs = st.printed_refs();
                    self.vlog.print_insn_state(&f, &refs, pc);
                }
                let start = self.vlog.log.text().len();
                self.vlog.prev_log_pos = start;
                let ins = self.prog.decoded[pc].expect("decoded");
                let line = format!("{pc}: {}\n", disasm(&ins, pc));
                self.verbose(&line);
                self.vlog.prev_insn_print_pos = self.vlog.log.text().len() - start;
                self.vlog.prev_log_pos = self.vlog.log.text().len();
            }
            let ins = self.prog.decoded[pc].expect("structural check passed");
            self.reset_stack_writes(&st, pc);
            let step = self.step(&mut st, pc, ins);
            if step.is_ok() {
                self.commit_stack_writes();
            }
            // The subprogram's stack depth (check_max_stack_depth uses it).
            let f = st.cur();
            let depth = self.facts.stack_depth.entry(f.subprog).or_insert(0);
            *depth = (*depth).max(f.stack.len() * 8);
            match step? {
                Next::Goto(t) => {
                    prev_pc = pc as i64;
                    pc = t;
                }
                Next::Exit => match self.end_path(&mut st, &mut pc, &mut prev_pc, level2) {
                    true => print_from = true,
                    false => return Ok(()),
                },
            }
        }
    }

    /// The path ended (exit, or pruned): update_branch_counts(), then
    /// pop_stack(): continue with the next pending branch (false: none).
    fn end_path(&mut self, st: &mut VerifierState, pc: &mut usize, prev_pc: &mut i64, level2: bool) -> bool {
        // mark_verifier_state_scratched(): the next path prints its whole state.
        self.vlog.scratched_regs = u16::MAX;
        self.vlog.scratched_stack = u64::MAX;
        for done in self.walk.end_path() {
            self.maybe_exit_scc(done);
        }
        // bpf_update_live_stack(): the ended path's marks are complete.
        self.update_live_stack(st);
        let Some(p) = self.walk.pop() else { return false };
        if !level2 {
            self.vlog.log.truncate(p.log_pos);
        }
        *st = p.state;
        *pc = p.pc;
        *prev_pc = p.prev_pc;
        self.stack_live_frames_changed();
        true
    }

    /// The statistics line's numbers: max_states_per_insn, total_states,
    /// peak_states (mark_read is always 0 since 6.18's liveness).
    pub fn state_stats(&self) -> (u64, u64, u64) {
        let c = &self.walk.counters;
        (c.max_states_per_insn, c.total_states, c.peak_states)
    }

    pub(super) fn read_reg(&mut self, st: &VerifierState, r: u8) -> Res<RegState> {
        self.vlog.scratch_reg(r);
        let reg = st.cur().regs[r as usize];
        if reg.ty == RegType::NotInit {
            return Err(self.reject(Errno::EACCES, format!("R{r} !read_ok\n")));
        }
        Ok(reg)
    }

    pub(super) fn check_write(&mut self, r: u8) -> Res<()> {
        self.vlog.scratch_reg(r);
        if r == 10 {
            return Err(self.reject(Errno::EACCES, "frame pointer is read only\n".into()));
        }
        Ok(())
    }
    fn step(&mut self, st: &mut VerifierState, pc: usize, ins: Instruction) -> Res<Next> {
        self.walk.cur_pc = pc;
        let next = pc + ins.slots();
        if matches!(
            ins,
            Instruction::Ja { .. }
                | Instruction::Ja32 { .. }
                | Instruction::Jcond { .. }
                | Instruction::Exit
                | Instruction::Call(_)
                | Instruction::CallX { .. }
                | Instruction::MayGoto { .. }
        ) {
            self.walk.counters.jmps_processed += 1;
        }
        match ins {
            Instruction::Alu { width, op, dst, src } => {
                self.check_alu(st, width, op, dst, src)?;
            }
            Instruction::MovSx { width, bits, dst, src } => self.check_movsx(st, width, bits, dst, src)?,
            Instruction::Neg { width, dst } => self.check_neg(st, width, dst)?,
            Instruction::End { kind, bits, dst } => self.check_end(st, kind, bits, dst)?,
            Instruction::LdImm64 { dst, src, .. } => {
                self.check_write(dst)?;
                let r = match ins.imm64() {
                    Some(value) if src == 0 => RegState::known(value),
                    _ => self.ld_imm64_pseudo(pc, src)?,
                };
                st.cur_mut().regs[dst as usize] = r;
            }
            Instruction::Load { .. } | Instruction::StoreImm { .. } | Instruction::StoreReg { .. } => {
                self.check_load_store(st, ins)?
            }
            Instruction::Atomic { .. } => self.check_atomic(st, ins)?,
            Instruction::Ja { .. } | Instruction::Ja32 { .. } | Instruction::Jcond { .. } => {
                let target = crate::isa::cfg::target(pc, ins.jump_rel().unwrap_or_default()) as usize;
                return match ins.comparison() {
                    Some(cmp) => self.check_cond_jmp(st, CondJmp { pc, target, next, cmp }),
                    None => Ok(Next::Goto(target)),
                };
            }
            Instruction::Exit => return self.check_exit(st),
            Instruction::Call(CallKind::Helper(id)) => {
                self.facts.helper_calls += 1;
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
            Instruction::Call(CallKind::Kfunc { btf_id, off }) => {
                return Err(super::kfunc::unsupported_kfunc(self.kernel_btf, btf_id, off))
            }
            Instruction::CallX { .. } => return Err(Stop::Unsupported("calls")),
            Instruction::LdAbs { .. } | Instruction::LdInd { .. } => self.check_ld_abs(st, ins)?,
            Instruction::MayGoto { .. } => return Err(Stop::Unsupported("may_goto")),
            Instruction::AddrSpaceCast { .. } => return Err(Stop::Unsupported("arena")),
        }
        Ok(Next::Goto(next))
    }

    /// Record that the access of the current instruction passed the
    /// checks for a pointer of type `ty`.
    pub(super) fn note_access(&mut self, base: &RegState) {
        self.facts.note_access(self.walk.cur_pc, base);
    }

    /// After an accepted run: per instruction, what every verified visit
    /// of its load or store proved.
    pub fn access_proofs(&self) -> Vec<AccessProof> {
        self.facts.access_proofs()
    }
}

pub(super) enum Next {
    Goto(usize),
    Exit,
}
