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
use super::facts::Facts;
use super::log::VerifierLog;
use super::reg::{RegState, RegType};
use super::spin_lock::BPF_FUNC_SPIN_UNLOCK;
use super::state::{FuncState, VerifierState};
use super::state_log::StateLog;
use super::walk::{state_hash, Walk};
use crate::exec::AccessProof;
use crate::isa::disasm::disasm;
use crate::isa::{CallKind, Insn, Instruction};
use crate::uapi::Errno;

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
    /// The instructions jumps land on (where states are compared).
    pub(super) jump_targets: Vec<bool>,
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
        let mut decoded = vec![None; insns.len()];
        let mut jump_targets = vec![false; insns.len()];
        for (pc, ins) in crate::isa::decode(insns).ok()? {
            decoded[pc] = Some(ins);
            // may_goto stops the walk (unsupported): its target is no prune point.
            let rel = ins.jump_rel().filter(|_| !matches!(ins, Instruction::MayGoto { .. }));
            if let Some(t) = rel.and_then(|r| crate::isa::cfg::target_in(pc, r, insns.len()).ok()) {
                jump_targets[t] = true;
            }
            // Callbacks return to their helper call: its states are compared.
            if super::callbacks::calls_callback(&ins) {
                jump_targets[pc] = true;
            }
        }
        Some(Env {
            prog: Prog {
                decoded,
                prog_type,
                expected_attach_type,
                privileged,
                gpl_compatible,
                maps,
                jump_targets,
                insns,
            },
            func_info: None,
            map_rodata: &[],
            strict_alignment: false,
            kernel_btf: None,
            facts: Facts::new(insns.len()),
            walk: Walk::default(),
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
        self.walk.push(state, pc, prev_pc, log_pos);
    }

    /// Explore every path from the entry state. Ok: all paths exit cleanly.
    pub fn run(&mut self) -> Res<()> {
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
        let mut prev_pc = 0usize;
        let mut print_from = false;
        loop {
            self.insn_processed += 1;
            // Helper results (random numbers, lengths) fork paths the
            // kernel merges through precision tracking and range-subsuming
            // pruning, which this explorer lacks (exact-state pruning only):
            // past a budget, such programs fall back instead of being
            // refused as too large.
            if self.facts.helper_calls > 0 && self.insn_processed > HELPER_PATH_BUDGET {
                return Err(Stop::Unsupported("state pruning beyond exact matches"));
            }
            if self.insn_processed > INSN_LIMIT {
                let n = self.insn_processed;
                return Err(self.reject(Errno::E2BIG, format!("BPF program is too large. Processed {n} insn\n")));
            }
            // Loop detection and pruning at jump targets.
            if self.prog.jump_targets[pc] {
                // Compared up to the renaming of ids.
                let canon = super::callbacks::prune_view(super::linked::canonical(&st));
                let h = state_hash(&canon);
                let bucket = self.walk.visited.entry(pc).or_default().entry(h).or_default();
                if bucket.contains(&canon) {
                    // A repeat through a callback-calling helper is the
                    // callback's iteration converging, not a loop.
                    if self.walk.on_path.contains(&(pc, h)) && !self.loops_through_callback_call(pc, h) {
                        let cur = self.vlog.state_text(&st.cur().clone(), &st.printed_refs(), true);
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
                self.walk.path.push((pc, h));
                self.walk.on_path.insert((pc, h));
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
            let step = self.step(&mut st, pc, ins);
            // The subprogram's stack depth (check_max_stack_depth uses it).
            let f = st.cur();
            let depth = self.facts.stack_depth.entry(f.subprog).or_insert(0);
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
        let Some(p) = self.walk.pop() else { return Ok(false) };
        if !level2 {
            self.vlog.log.truncate(p.log_pos);
        }
        *st = p.state;
        *pc = p.pc;
        *prev_pc = p.prev_pc;
        Ok(true)
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
