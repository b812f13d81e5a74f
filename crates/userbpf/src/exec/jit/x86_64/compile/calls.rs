//! Calls out of the image: helpers through the Rust trampoline, and the
//! direct calls (exec/jit/direct.rs) that skip it: map functions with host
//! pointers, environment helpers called or inlined.

use super::{host, translate_checked, Access, Compiler, CTX, REG_MAP};
use crate::exec::jit::ctx::{self, disp};
use crate::exec::jit::direct::{DirectCall, DirectFn, FALLBACK};
use crate::exec::jit::x86_64::emit::{mem, mem_idx, Alu, Asm, Cc, Shift, R, W};
use crate::uapi::helper_ids::func::*;

/// Store r1..r6, which live in caller-saved host registers, to their
/// context slots before a call into Rust (r7..r10 live in callee-saved
/// ones).
fn spill_caller_saved(a: &mut Asm) {
    for (i, r) in REG_MAP.iter().enumerate().take(7).skip(1) {
        a.store(8, mem(CTX, disp(ctx::REGS + i)), *r);
    }
}

/// Load r1..r6 back after the call.
fn reload_caller_saved(a: &mut Asm) {
    for (i, r) in REG_MAP.iter().enumerate().take(7).skip(1) {
        a.load(8, *r, mem(CTX, disp(ctx::REGS + i)));
    }
}

/// Which helper a trampoline call names.
pub(super) enum HelperId {
    Imm(u32),
    Reg(R),
}

impl Compiler {
    /// A helper call through the Rust trampoline: every BPF register is
    /// spilled to the context (the helper sees r1-r5 there and writes r0),
    /// and reloaded after, so r1-r5 keep their values as in the interpreter.
    pub(super) fn helper_call(&mut self, pc: usize, id: HelperId) {
        let a = &mut self.a;
        // The helper reads r1..r5 from the context and writes r0 there.
        // r7..r10 live in callee-saved host registers, which the
        // trampoline (a C-ABI function) preserves; r1..r6 don't.
        spill_caller_saved(a);
        // SysV: rdi = env, rsi = id, rdx = pc. Take the id before rdi (r1)
        // is overwritten.
        match id {
            HelperId::Imm(id) => a.mov_imm32(R::Rsi, id),
            HelperId::Reg(r) => a.mov(W::Q64, R::Rsi, r),
        }
        a.load(8, R::Rdi, mem(CTX, disp(ctx::ENV)));
        a.mov_imm32(R::Rdx, pc as u32);
        a.call_mem(mem(CTX, disp(ctx::TRAMPOLINE)));
        // The trampoline returns (status, ctx): the context may have moved.
        a.mov(W::Q64, CTX, R::Rdx);
        a.test(W::D32, R::Rax, R::Rax);
        a.jcc(Cc::Ne, self.out.epilogue);
        for (i, r) in REG_MAP.iter().enumerate().take(7) {
            a.load(8, *r, mem(CTX, disp(ctx::REGS + i)));
        }
    }

    /// A map helper as a direct call of the map's native function
    /// (`self.facts.direct[i]`): when the run allows it (ctx::DIRECT_OK) and r1 is
    /// the map compiled for, the key r2 (and for an update the value r3)
    /// points at is translated (in the frame by the compiler's own
    /// bookkeeping, else checked like any read) and its host address handed
    /// to the function, which returns r0. Anything else (a pointer outside
    /// guest memory, another map, FALLBACK) takes the ordinary helper
    /// call, which behaves as the interpreter does.
    pub(super) fn direct_call(&mut self, pc: usize, i: usize) {
        let d = self.facts.direct[i].clone();
        if let DirectFn::Env(..) = d.func {
            return self.direct_env_call(pc, &d);
        }
        let (slow, done) = (self.a.label(), self.a.label());
        let key_in_frame = self.frame_access(2, 0, d.key_size as usize).is_some();
        let value_in_frame = self.frame_access(3, 0, d.value_size as usize).is_some();
        let a = &mut self.a;
        a.alu_mem_imm(Alu::Cmp, mem(CTX, disp(ctx::DIRECT_OK)), 0);
        a.jcc(Cc::E, slow);
        a.mov_imm(R::Rax, d.handle);
        a.alu(W::Q64, Alu::Cmp, host(1), R::Rax);
        a.jcc(Cc::Ne, slow);
        // The host address of `bytes` readable bytes at BPF register `r`,
        // into `to` (translation clobbers rcx and rdx).
        let pointer = |a: &mut Asm, r: u8, bytes: u32, in_frame: bool, to: R| {
            let m = if in_frame {
                a.load(8, R::Rcx, mem(CTX, disp(ctx::STACK_DELTA)));
                mem_idx(host(r), R::Rcx, 0)
            } else {
                translate_checked(a, slow, bytes as usize, Access::Read, mem(host(r), 0))
            };
            a.lea(to, m);
        };
        pointer(a, 2, d.key_size, key_in_frame, R::Rax);
        if let DirectFn::Update(_) = d.func {
            pointer(a, 3, d.value_size, value_in_frame, R::Rdx);
        }
        spill_caller_saved(a);
        // SysV: rdi, rsi, rdx, rcx, r8.
        match d.func {
            DirectFn::Lookup(_) => a.mov_imm(R::Rdx, d.handle),
            DirectFn::Update(_) => {
                a.mov(W::Q64, R::Rcx, host(4));
                a.load(8, R::R8, mem(CTX, disp(ctx::CPU)));
            }
            DirectFn::Delete(_) | DirectFn::Env(..) => {}
        }
        a.mov(W::Q64, R::Rsi, R::Rax);
        a.mov_imm(R::Rdi, d.obj as u64);
        a.mov_imm(R::Rax, d.func.addr());
        a.call_reg(R::Rax);
        reload_caller_saved(a);
        a.alu_imm(W::Q64, Alu::Cmp, R::Rax, FALLBACK as i64 as i32);
        a.jcc(Cc::E, slow);
        a.mov(W::Q64, REG_MAP[0], R::Rax);
        a.bind(done);
        self.out.slow_calls.push((slow, pc, d.helper_id() as u32, done));
    }

    /// An environment helper (clocks, prandom, CPU, task ids): inline when
    /// it is a few loads (and for prandom the generator's arithmetic, on
    /// the same state), else a direct call taking the run's environment
    /// (ctx::RUN_ENV); the trampoline when the run's helper table is not
    /// the kernel's (ctx::DIRECT_OK). Inline forms touch rax, rcx and rdx
    /// only, which nothing is pinned to in a program with calls.
    fn direct_env_call(&mut self, pc: usize, d: &DirectCall) {
        let off = d.env_offsets().expect("an environment helper's call");
        let (slow, done) = (self.a.label(), self.a.label());
        let a = &mut self.a;
        a.alu_mem_imm(Alu::Cmp, mem(CTX, disp(ctx::DIRECT_OK)), 0);
        a.jcc(Cc::E, slow);
        let r0 = REG_MAP[0];
        let env_field = |a: &mut Asm, dst: R, at: usize| {
            a.load(8, R::Rcx, mem(CTX, disp(ctx::RUN_ENV)));
            a.load(4, dst, mem(R::Rcx, at as i32));
        };
        let inline = match d.helper_id() {
            BPF_FUNC_GET_SMP_PROCESSOR_ID => {
                a.load(8, r0, mem(CTX, disp(ctx::CPU)));
                true
            }
            // One NUMA node.
            BPF_FUNC_GET_NUMA_NODE_ID => {
                a.mov_imm32(r0, 0);
                true
            }
            // bpf_get_current_pid_tgid / uid_gid: high << 32 | low.
            id @ (BPF_FUNC_GET_CURRENT_PID_TGID | BPF_FUNC_GET_CURRENT_UID_GID) => {
                let (high, low) = if id == BPF_FUNC_GET_CURRENT_PID_TGID {
                    (off.tgid, off.pid)
                } else {
                    (off.gid, off.uid)
                };
                env_field(a, r0, high);
                a.shift_imm(W::Q64, Shift::Shl, r0, 32);
                a.load(4, R::Rax, mem(R::Rcx, low as i32));
                a.alu(W::Q64, Alu::Or, r0, R::Rax);
                true
            }
            // bpf_get_prandom_u32: the helper's xorshift64* on the
            // environment's prandom state.
            BPF_FUNC_GET_PRANDOM_U32 => {
                a.load(8, R::Rcx, mem(CTX, disp(ctx::RUN_ENV)));
                let state = mem(R::Rcx, off.prandom as i32);
                a.load(8, R::Rax, state);
                // x.max(1)
                let nonzero = a.label();
                a.test(W::Q64, R::Rax, R::Rax);
                a.jcc(Cc::Ne, nonzero);
                a.mov_imm32(R::Rax, 1);
                a.bind(nonzero);
                for (op, k) in [(Shift::Shr, 12), (Shift::Shl, 25), (Shift::Shr, 27)] {
                    a.mov(W::Q64, R::Rdx, R::Rax);
                    a.shift_imm(W::Q64, op, R::Rdx, k);
                    a.alu(W::Q64, Alu::Xor, R::Rax, R::Rdx);
                }
                a.store(8, state, R::Rax);
                a.mov_imm(R::Rdx, 0x2545_f491_4f6c_dd1d);
                a.imul(W::Q64, R::Rax, R::Rdx);
                a.shift_imm(W::Q64, Shift::Shr, R::Rax, 32);
                a.mov(W::D32, r0, R::Rax);
                true
            }
            _ => false,
        };
        if inline {
            a.bind(done);
            self.out.slow_calls.push((slow, pc, d.helper_id() as u32, done));
            return;
        }
        spill_caller_saved(a);
        a.load(8, R::Rdi, mem(CTX, disp(ctx::RUN_ENV)));
        a.mov_imm(R::Rax, d.func.addr());
        a.call_reg(R::Rax);
        reload_caller_saved(a);
        a.mov(W::Q64, REG_MAP[0], R::Rax);
        a.bind(done);
        self.out.slow_calls.push((slow, pc, d.helper_id() as u32, done));
    }
}
