//! bpf-to-bpf calls of static subprograms: a new frame per call
//! (__check_func_call: the frame limit, R1-R5 passed, the caller's
//! R1-R5 cleared), the return (prepare_func_exit: R0 back to the caller,
//! no stack pointers), and after exploration the static call graph's
//! combined stack size (check_max_stack_depth).

use super::do_check::{Env, Res};
use crate::isa::opcode::{MAX_BPF_STACK, MAX_CALL_FRAMES};
use crate::uapi::Errno;
use crate::verifier::reg::{RegState, RegType};
use crate::verifier::state::{FuncState, VerifierState};

impl Env<'_> {
    /// __check_func_call() for the call at `pc` to `target`.
    pub(super) fn check_func_call(&mut self, st: &mut VerifierState, pc: usize, target: usize) -> Res<()> {
        let curframe = st.frames.len() - 1;
        if curframe + 1 >= MAX_CALL_FRAMES {
            return Err(self.reject(
                Errno::E2BIG,
                format!("the call stack of {} frames is too deep\n", curframe + 2),
            ));
        }
        let frameno = st.frames.len() as u32;
        let mut callee = FuncState::new(frameno, pc);
        callee.subprog = target;
        let caller = st.cur_mut();
        callee.regs[1..=5].copy_from_slice(&caller.regs[1..=5]);
        for r in 1..=5 {
            caller.regs[r] = RegState::not_init();
        }
        st.frames.push(callee);
        self.stack_live_frames_changed();
        if self.vlog.log.level & 1 != 0 {
            let refs = st.printed_refs();
            let caller = st.frames[curframe].clone();
            let callee = st.cur().clone();
            let a = self.vlog.state_text(&caller, &refs, true);
            let b = self.vlog.state_text(&callee, &refs, true);
            self.verbose(&format!("caller:\n{a}callee:\n{b}"));
        }
        self.vlog.scratched_regs = u16::MAX;
        self.vlog.scratched_stack = u64::MAX;
        Ok(())
    }

    /// prepare_func_exit(): back to the caller with R0; where to continue.
    pub(super) fn prepare_func_exit(&mut self, st: &mut VerifierState) -> Res<usize> {
        let r0 = st.cur().regs[0];
        if r0.ty == RegType::Stack {
            return Err(self.reject(Errno::EINVAL, "cannot return stack pointer to the caller\n".into()));
        }
        if let Some(cb) = st.cur().callback.clone() {
            return self.callback_exit(st, cb);
        }
        let callee = st.frames.pop().expect("a callee frame");
        st.cur_mut().regs[0] = r0;
        self.update_live_stack(st);
        self.log_return_to_caller(st, &callee, callee.callsite + 1);
        self.vlog.scratched_regs = u16::MAX;
        self.vlog.scratched_stack = u64::MAX;
        Ok(callee.callsite + 1)
    }

    /// The level-2 lines of a return (prepare_func_exit): the callee's
    /// frame, then the caller's at the instruction the walk goes on at.
    pub(super) fn log_return_to_caller(&mut self, st: &VerifierState, callee: &FuncState, at: usize) {
        if self.vlog.log.level & 1 == 0 {
            return;
        }
        let refs = st.printed_refs();
        let caller = st.cur().clone();
        let a = self.vlog.state_text(callee, &refs, true);
        let b = self.vlog.state_text(&caller, &refs, true);
        self.verbose(&format!("returning from callee:\n{a}to caller at {at}:\n{b}"));
    }

    /// check_max_stack_depth(): along every static call chain, the
    /// subprograms' stack sizes (rounded up to 16, as for the JIT) add up
    /// to at most MAX_BPF_STACK, in at most MAX_CALL_FRAMES frames.
    pub(super) fn check_max_stack_depth(&mut self) -> Res<()> {
        let insns = self.prog.insns;
        // cfg::check accepted the program: every subprogram reference lands in it.
        let starts = crate::isa::cfg::subprog_starts(insns, usize::MAX).unwrap_or_else(|_| vec![0]);
        let end_of = |s: usize| starts.iter().find(|&&x| x > s).copied().unwrap_or(insns.len());
        let depth_of = |s: usize| self.facts.stack_depth.get(&s).copied().unwrap_or(0).div_ceil(16) * 16;
        // Explicit DFS: (subprog, next insn to scan).
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        let mut depth = depth_of(0);
        let mut failure: Option<(Errno, String)> = None;
        if depth > MAX_BPF_STACK {
            failure = Some((
                Errno::EACCES,
                format!("combined stack size of 1 calls is {depth}. Too large\n"),
            ));
        }
        while failure.is_none() {
            let Some(&mut (sub, ref mut i)) = stack.last_mut() else {
                break;
            };
            let end = end_of(sub);
            let mut callee = None;
            while *i < end {
                let at = *i;
                *i += 1;
                // Callbacks (BPF_PSEUDO_FUNC) count as calls.
                if let Some(t) = insns[at].subprog_target(at) {
                    callee = Some(t as usize);
                    break;
                }
            }
            match callee {
                Some(c) => {
                    if stack.len() >= MAX_CALL_FRAMES {
                        failure = Some((
                            Errno::E2BIG,
                            format!("the call stack of {} frames is too deep !\n", stack.len()),
                        ));
                        break;
                    }
                    depth += depth_of(c);
                    stack.push((c, c));
                    if depth > MAX_BPF_STACK {
                        failure = Some((
                            Errno::EACCES,
                            format!("combined stack size of {} calls is {depth}. Too large\n", stack.len()),
                        ));
                    }
                }
                None => {
                    stack.pop();
                    depth -= depth_of(sub);
                }
            }
        }
        match failure {
            Some((errno, msg)) => Err(self.reject(errno, msg)),
            None => Ok(()),
        }
    }
}
