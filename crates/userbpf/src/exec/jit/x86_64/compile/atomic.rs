//! BPF_ATOMIC: load-acquire and store-release as plain moves (x86 is
//! TSO), read-modify-writes as `lock` instructions, the fetching forms
//! through xadd, xchg or a cmpxchg loop.

use super::{host, Access, Compiler};
use crate::exec::jit::x86_64::emit::{Alu, Cc, R, W};
use crate::isa::{AtomicOp, Instruction};

impl Compiler {
    pub(super) fn atomic(&mut self, pc: usize, ins: &Instruction) {
        let Instruction::Atomic { size, op, dst, src, .. } = *ins else {
            unreachable!("not an atomic: {ins:?}")
        };
        let bytes = size.bytes();
        let w = if bytes == 8 { W::Q64 } else { W::D32 };
        let s = host(src);
        match op {
            AtomicOp::LoadAcquire => {
                let m = self.insn_access(pc, ins, Access::Read);
                self.a.load(bytes, host(dst), m);
                return;
            }
            AtomicOp::StoreRelease => {
                let m = self.insn_access(pc, ins, Access::Write);
                self.a.store(bytes, m, s);
                return;
            }
            _ => {}
        }
        let m = self.insn_access(pc, ins, Access::Atomic);
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
}
