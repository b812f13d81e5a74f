//! ALU instructions: two-operand x86 forms, shifts through cl, division
//! and modulo with the BPF rules for a zero divisor (dst / 0 = 0, dst % 0 =
//! dst) and for INT_MIN / -1 (signed forms: no trap, the wrapped result).

use super::{host, Compiler};
use crate::exec::jit::x86_64::emit::{Alu, Asm, Cc, Shift, R, W};
use crate::isa::{AluOp, Operand};

impl Compiler {
    pub(super) fn alu(&mut self, w: W, op: AluOp, d: R, src: Operand) {
        let simple = match op {
            AluOp::Add => Some(Alu::Add),
            AluOp::Sub => Some(Alu::Sub),
            AluOp::Or => Some(Alu::Or),
            AluOp::And => Some(Alu::And),
            AluOp::Xor => Some(Alu::Xor),
            _ => None,
        };
        if let Some(x) = simple {
            match self.operand(src) {
                Ok(s) => self.a.alu(w, x, d, s),
                Err(i) => self.a.alu_imm(w, x, d, i),
            }
            return;
        }
        match op {
            AluOp::Mov => match self.operand(src) {
                Ok(s) if s == d && w == W::Q64 => {}
                Ok(s) => self.a.mov(w, d, s),
                Err(i) if w == W::Q64 => self.a.mov_imm64_sext(d, i),
                Err(i) => self.a.mov_imm32(d, i as u32),
            },
            AluOp::Mul => match self.operand(src) {
                Ok(s) => self.a.imul(w, d, s),
                Err(i) => self.a.imul_imm(w, d, d, i),
            },
            AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => {
                let sh = match op {
                    AluOp::Lsh => Shift::Shl,
                    AluOp::Rsh => Shift::Shr,
                    _ => Shift::Sar,
                };
                match src {
                    Operand::Reg(s) => {
                        self.a.mov(W::D32, R::Rcx, host(s));
                        self.a.shift_cl(w, sh, d);
                    }
                    Operand::Imm(i) => {
                        // Blinding leaves shift counts alone: they are
                        // masked to 5-6 bits anyway.
                        let n = i as u32 & if w == W::Q64 { 63 } else { 31 };
                        if n != 0 {
                            self.a.shift_imm(w, sh, d, n as u8);
                        } else if w == W::D32 {
                            self.a.mov(W::D32, d, d);
                        }
                    }
                }
            }
            AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod => {
                let signed = matches!(op, AluOp::SDiv | AluOp::SMod);
                let is_mod = matches!(op, AluOp::Mod | AluOp::SMod);
                self.divmod(w, signed, is_mod, d, src);
            }
            _ => unreachable!("simple ops handled above"),
        }
    }

    /// Division and modulo with BPF's rules: by zero, div gives 0 and mod
    /// keeps the (truncated) dividend; signed by -1, div negates and mod
    /// gives 0 (x86 would trap on INT_MIN / -1).
    fn divmod(&mut self, w: W, signed: bool, is_mod: bool, d: R, src: Operand) {
        let by_zero = |a: &mut Asm| {
            if !is_mod {
                a.mov_imm32(d, 0);
            } else if w == W::D32 {
                a.mov(W::D32, d, d);
            }
        };
        let by_minus_one = |a: &mut Asm| {
            if is_mod {
                a.mov_imm32(d, 0);
            } else {
                a.neg(w, d);
            }
        };
        let core = |a: &mut Asm, s: R| {
            a.mov(w, R::Rax, d);
            if signed {
                a.sign_extend_ax(w);
                a.idiv(w, s);
            } else if w == W::Q64 {
                // Both operands below 2^32: the 32-bit divide gives the
                // same quotient and remainder (zero-extended) and is
                // several times faster on many x86 cores (clang does the
                // same).
                let (wide, done) = (a.label(), a.label());
                a.mov(W::Q64, R::Rdx, R::Rax);
                a.alu(W::Q64, Alu::Or, R::Rdx, s);
                a.shift_imm(W::Q64, Shift::Shr, R::Rdx, 32);
                a.jcc(Cc::Ne, wide);
                a.div(W::D32, s);
                a.jmp(done);
                a.bind(wide);
                a.mov_imm32(R::Rdx, 0);
                a.div(W::Q64, s);
                a.bind(done);
            } else {
                a.mov_imm32(R::Rdx, 0);
                a.div(w, s);
            }
            a.mov(w, d, if is_mod { R::Rdx } else { R::Rax });
        };
        match src {
            Operand::Imm(i) => {
                let v = if w == W::Q64 { i as i64 as u64 } else { i as u32 as u64 };
                if v == 0 {
                    by_zero(&mut self.a);
                } else if signed && i == -1 {
                    by_minus_one(&mut self.a);
                } else {
                    match self.blinded(i) {
                        Some(_) => {}
                        None => self.a.mov_imm(R::Rcx, v),
                    }
                    core(&mut self.a, R::Rcx);
                }
            }
            Operand::Reg(s) => {
                let s = host(s);
                let zero = self.a.label();
                let done = self.a.label();
                // 64-bit mod by zero leaves dst alone: skip straight past.
                let nothing_on_zero = is_mod && w == W::Q64;
                self.a.test(w, s, s);
                self.a.jcc(Cc::E, if nothing_on_zero { done } else { zero });
                let minus_one = signed.then(|| {
                    let l = self.a.label();
                    self.a.alu_imm(w, Alu::Cmp, s, -1);
                    self.a.jcc(Cc::E, l);
                    l
                });
                core(&mut self.a, s);
                if !nothing_on_zero {
                    self.a.jmp(done);
                    self.a.bind(zero);
                    by_zero(&mut self.a);
                }
                if let Some(l) = minus_one {
                    self.a.jmp(done);
                    self.a.bind(l);
                    by_minus_one(&mut self.a);
                }
                self.a.bind(done);
            }
        }
    }
}
