//! The code around the program: the prologue that enters it, and after it
//! the out-of-line code (moved blocks, lagging exits of unrolled copies,
//! direct calls' helper paths, fault stubs) and the shared exits.

use super::calls::HelperId;
use super::{host, Compiler, CTX, FRAME_BYTES, REG_MAP, SAVED};
use crate::exec::jit::ctx::{self, disp};
use crate::exec::jit::x86_64::emit::{mem, Alu, Cc, R, W};
use crate::exec::ld_abs::{SKF_LL_OFF, SKF_NET_OFF};
use crate::isa::opcode::MAX_CALL_FRAMES;

impl Compiler {
    pub(super) fn prologue(&mut self) {
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
        for &(slot, r) in &self.facts.pinned {
            a.load(8, r, mem(CTX, disp(slot)));
        }
        for &(v, r) in &self.facts.constants {
            a.mov_imm(r, v);
        }
        a.call(self.labels[0]);
        a.store(8, mem(CTX, disp(ctx::REGS)), REG_MAP[0]);
        a.mov_imm32(R::Rax, ctx::STATUS_OK as u32);
        a.bind(self.out.epilogue);
        a.load(8, R::Rsp, mem(CTX, disp(ctx::SAVED_RSP)));
        for r in SAVED.iter().rev() {
            a.pop(*r);
        }
        a.ret();
    }

    /// Out-of-line code: direct calls' helper paths, fault stubs and the
    /// shared exits.
    pub(super) fn stubs(&mut self) {
        for block in std::mem::take(&mut self.out.deferred) {
            self.place_block(&block);
        }
        for (l, reg, delta, w, target) in std::mem::take(&mut self.out.lag_exits) {
            self.a.bind(l);
            self.a.alu_imm(w, Alu::Add, host(reg), delta);
            self.a.jmp(target);
        }
        for (slow, pc, id, done) in std::mem::take(&mut self.out.slow_calls) {
            self.a.bind(slow);
            self.helper_call(pc, HelperId::Imm(id));
            self.a.jmp(done);
        }
        for i in 0..self.out.sites.len() {
            let (l, _, addr) = self.out.sites[i];
            self.a.bind(l);
            if let Some(m) = addr {
                self.a.lea(R::Rax, m);
            }
            self.a.mov_imm32(R::Rcx, i as u32);
            self.a.jmp(self.out.fault_exit);
        }
        let a = &mut self.a;
        a.bind(self.out.fault_exit);
        a.store(8, mem(CTX, disp(ctx::FAULT_ADDR)), R::Rax);
        a.store(8, mem(CTX, disp(ctx::FAULT_SITE)), R::Rcx);
        a.mov_imm32(R::Rax, ctx::STATUS_FAULT as u32);
        a.jmp(self.out.epilogue);
        // LD_ABS/LD_IND outside the packet: the program ends with r0 = 0.
        a.bind(self.out.exit_zero);
        a.mov_imm32(REG_MAP[0], 0);
        a.store(8, mem(CTX, disp(ctx::REGS)), REG_MAP[0]);
        a.mov_imm32(R::Rax, ctx::STATUS_OK as u32);
        a.jmp(self.out.epilogue);
        // Called with a negative LD_ABS/LD_IND k in rax: returns the offset
        // from skb->data (exec/ld_abs.rs), or one far past any packet when
        // k is below SKF_LL_OFF.
        if let Some(neg) = self.out.ld_abs_neg {
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
}
