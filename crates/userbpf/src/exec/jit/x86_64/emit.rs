//! A small x86-64 assembler: exactly the encodings the BPF compiler needs,
//! with labels and rel32 fixups.
//!
//! Every branch to a label is emitted with a 32-bit displacement and patched
//! when the code is finished, so instruction sizes never depend on layout.

/// A general-purpose register, numbered as in the ModRM/REX encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum R {
    Rax = 0,
    Rcx = 1,
    Rdx = 2,
    Rbx = 3,
    Rsp = 4,
    Rbp = 5,
    Rsi = 6,
    Rdi = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
    R11 = 11,
    R12 = 12,
    R13 = 13,
    R14 = 14,
    R15 = 15,
}

impl R {
    const fn n(self) -> u8 {
        self as u8
    }
    const fn low(self) -> u8 {
        self as u8 & 7
    }
    const fn ext(self) -> u8 {
        (self as u8 >> 3) & 1
    }
}

/// A memory operand `[base + index << scale + disp]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mem {
    pub base: R,
    pub index: Option<R>,
    /// log2 of the index's factor (0..=3).
    pub scale: u8,
    pub disp: i32,
}

/// `[base + disp]`.
pub const fn mem(base: R, disp: i32) -> Mem {
    Mem {
        base,
        index: None,
        scale: 0,
        disp,
    }
}

/// `[base + index + disp]`.
pub const fn mem_idx(base: R, index: R, disp: i32) -> Mem {
    mem_scaled(base, index, 0, disp)
}

/// `[base + index * 2^scale + disp]` (scale 0..=3).
pub const fn mem_scaled(base: R, index: R, scale: u8, disp: i32) -> Mem {
    Mem {
        base,
        index: Some(index),
        scale,
        disp,
    }
}

/// Operand width of an ALU instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum W {
    D32,
    Q64,
}

/// Condition codes (the low nibble of `jcc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Cc {
    B = 0x2,
    Ae = 0x3,
    E = 0x4,
    Ne = 0x5,
    Be = 0x6,
    A = 0x7,
    S = 0x8,
    Ns = 0x9,
    L = 0xc,
    Ge = 0xd,
    Le = 0xe,
    G = 0xf,
}

impl Cc {
    /// The opposite condition (x86 pairs them in the low bit).
    pub fn negate(self) -> Cc {
        match self {
            Cc::B => Cc::Ae,
            Cc::Ae => Cc::B,
            Cc::E => Cc::Ne,
            Cc::Ne => Cc::E,
            Cc::Be => Cc::A,
            Cc::A => Cc::Be,
            Cc::S => Cc::Ns,
            Cc::Ns => Cc::S,
            Cc::L => Cc::Ge,
            Cc::Ge => Cc::L,
            Cc::Le => Cc::G,
            Cc::G => Cc::Le,
        }
    }
}

/// Two-operand integer ALU operations sharing the classic encoding pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alu {
    Add,
    Or,
    And,
    Sub,
    Xor,
    Cmp,
}

impl Alu {
    /// `/digit` of the 0x81/0x83 immediate group.
    const fn digit(self) -> u8 {
        match self {
            Alu::Add => 0,
            Alu::Or => 1,
            Alu::And => 4,
            Alu::Sub => 5,
            Alu::Xor => 6,
            Alu::Cmp => 7,
        }
    }
    /// Opcode of `op r/m, reg`.
    const fn rm_reg(self) -> u8 {
        self.digit() << 3 | 0x01
    }
    /// Opcode of `op reg, r/m`.
    const fn reg_rm(self) -> u8 {
        self.digit() << 3 | 0x03
    }
}

/// Shift operations (`/digit` of 0xC1/0xD3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    Ror = 1,
    Shl = 4,
    Shr = 5,
    Sar = 7,
}

/// A position in the code that branches can target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Label(usize);

/// The r/m operand of an instruction.
#[derive(Clone, Copy)]
enum Rm {
    Reg(R),
    Mem(Mem),
}

/// The machine code being built.
#[derive(Default)]
pub struct Asm {
    pub code: Vec<u8>,
    labels: Vec<Option<usize>>,
    /// (position of the displacement, its size: 1 or 4, target).
    fixups: Vec<(usize, u8, Label)>,
    /// Where each `jmp`/`jcc` started, in emission order.
    jump_starts: Vec<usize>,
    /// The layout of a previous pass over the same instructions, which
    /// decides which jumps can be short (see [`Layout`]).
    prev: Option<Layout>,
}

/// Where a pass put its labels and jumps. A later pass emitting the same
/// instructions makes a jump short (rel8) when its distance in this layout
/// fits: every jump of the later pass is at most as long as here and all
/// other code is identical, so no distance grows (the kernel's JIT
/// converges the same way, pass after pass).
#[derive(Clone, Debug, Default)]
pub struct Layout {
    labels: Vec<Option<usize>>,
    jump_starts: Vec<usize>,
}

fn fits_i8(v: i64) -> bool {
    v == v as i8 as i64
}

impl Asm {
    pub fn new() -> Self {
        Self::default()
    }

    /// An assembler whose jumps are short where `prev` (a pass over the
    /// same instructions) shows they can be.
    pub fn with_layout(prev: Layout) -> Self {
        Asm {
            prev: Some(prev),
            ..Self::default()
        }
    }

    /// This pass's layout, for the next.
    pub fn layout(&self) -> Layout {
        Layout {
            labels: self.labels.clone(),
            jump_starts: self.jump_starts.clone(),
        }
    }

    pub fn pos(&self) -> usize {
        self.code.len()
    }

    fn byte(&mut self, b: u8) {
        self.code.push(b);
    }

    fn bytes(&mut self, b: &[u8]) {
        self.code.extend_from_slice(b);
    }

    fn imm32(&mut self, v: i32) {
        self.bytes(&v.to_le_bytes());
    }

    // ---- labels ----

    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    pub fn bind(&mut self, l: Label) {
        debug_assert!(self.labels[l.0].is_none(), "label bound twice");
        self.labels[l.0] = Some(self.code.len());
    }

    /// Whether a jump emitted so far targets `l`.
    pub fn is_referenced(&self, l: Label) -> bool {
        self.fixups.iter().any(|f| f.2 == l)
    }

    fn rel32_to(&mut self, l: Label) {
        self.fixups.push((self.code.len(), 4, l));
        self.imm32(0);
    }

    fn rel8_to(&mut self, l: Label) {
        self.fixups.push((self.code.len(), 1, l));
        self.byte(0);
    }

    /// Starts a jump to `l`: whether it can be short (2 bytes) by the
    /// previous layout's distance from this jump to `l`.
    fn short_jump(&mut self, l: Label) -> bool {
        let n = self.jump_starts.len();
        self.jump_starts.push(self.code.len());
        let Some(prev) = &self.prev else { return false };
        let (Some(&start), Some(Some(target))) = (prev.jump_starts.get(n), prev.labels.get(l.0)) else {
            return false;
        };
        // rel8 counts from the end of the 2-byte short form.
        fits_i8(*target as i64 - (start as i64 + 2))
    }

    /// Patch every branch; returns the code. Panics on an unbound label or
    /// a short jump out of reach (compiler bugs).
    pub fn finish(mut self) -> Vec<u8> {
        for (at, size, l) in std::mem::take(&mut self.fixups) {
            let target = self.labels[l.0].expect("branch to an unbound label");
            let rel = target as i64 - (at as i64 + size as i64);
            if size == 1 {
                assert!(fits_i8(rel), "a short jump out of reach");
                self.code[at] = rel as i8 as u8;
            } else {
                self.code[at..at + 4].copy_from_slice(&(rel as i32).to_le_bytes());
            }
        }
        self.code
    }

    // ---- encoding core ----

    /// REX prefix for `reg` (ModRM.reg) and an r/m operand; emitted when any
    /// bit is set or `force` (byte registers sil/dil/...).
    fn rex(&mut self, w: bool, reg: u8, rm: Rm, force: bool) {
        let (x, b) = match rm {
            Rm::Reg(r) => (0, r.ext()),
            Rm::Mem(m) => (m.index.map_or(0, |i| i.ext()), m.base.ext()),
        };
        let rex = 0x40 | (w as u8) << 3 | ((reg >> 3) & 1) << 2 | x << 1 | b;
        if rex != 0x40 || force {
            self.byte(rex);
        }
    }

    /// ModRM (+ SIB + displacement) for `reg` and an r/m operand.
    fn modrm(&mut self, reg: u8, rm: Rm) {
        let reg = (reg & 7) << 3;
        match rm {
            Rm::Reg(r) => self.byte(0xc0 | reg | r.low()),
            Rm::Mem(m) => {
                let disp = m.disp as i64;
                // rbp/r13 as base have no disp-less form.
                let md = if disp == 0 && m.base.low() != 5 {
                    0x00
                } else if fits_i8(disp) {
                    0x40
                } else {
                    0x80
                };
                match m.index {
                    Some(i) => {
                        debug_assert!(i != R::Rsp, "rsp can't be an index");
                        self.byte(md | reg | 4);
                        debug_assert!(m.scale <= 3, "scale is log2 of 1, 2, 4 or 8");
                        self.byte(m.scale << 6 | i.low() << 3 | m.base.low());
                    }
                    None if m.base.low() == 4 => {
                        // rsp/r12 as base need a SIB with no index.
                        self.byte(md | reg | 4);
                        self.byte(0x24);
                    }
                    None => self.byte(md | reg | m.base.low()),
                }
                match md {
                    0x40 => self.byte(disp as u8),
                    0x80 => self.imm32(m.disp),
                    _ => {}
                }
            }
        }
    }

    /// `[prefix] [REX] opcode ModRM...` for a reg/rm instruction.
    fn op(&mut self, prefix: Option<u8>, w: bool, opcode: &[u8], reg: u8, rm: Rm, force_rex: bool) {
        if let Some(p) = prefix {
            self.byte(p);
        }
        self.rex(w, reg, rm, force_rex);
        self.bytes(opcode);
        self.modrm(reg, rm);
    }

    // ---- moves ----

    /// `mov dst, src` (32-bit form zero-extends).
    pub fn mov(&mut self, w: W, dst: R, src: R) {
        self.op(None, w == W::Q64, &[0x89], src.n(), Rm::Reg(dst), false);
    }

    /// `dst = imm` sign-extended to 64 bits (shortest encoding).
    pub fn mov_imm64_sext(&mut self, dst: R, imm: i32) {
        if imm >= 0 {
            self.mov_imm32(dst, imm as u32);
        } else {
            self.op(None, true, &[0xc7], 0, Rm::Reg(dst), false);
            self.imm32(imm);
        }
    }

    /// `mov dst32, imm` (zero-extends).
    pub fn mov_imm32(&mut self, dst: R, imm: u32) {
        if imm == 0 {
            self.alu(W::D32, Alu::Xor, dst, dst);
            return;
        }
        if dst.ext() != 0 {
            self.byte(0x41);
        }
        self.byte(0xb8 + dst.low());
        self.imm32(imm as i32);
    }

    /// `dst = imm` for any 64-bit value (shortest encoding).
    pub fn mov_imm(&mut self, dst: R, imm: u64) {
        if imm <= u32::MAX as u64 {
            self.mov_imm32(dst, imm as u32);
        } else if imm as i64 == imm as i32 as i64 {
            self.mov_imm64_sext(dst, imm as i32);
        } else {
            self.byte(0x48 | dst.ext());
            self.byte(0xb8 + dst.low());
            self.bytes(&imm.to_le_bytes());
        }
    }

    /// Load `bytes` (1, 2, 4, 8) from memory, zero-extended.
    pub fn load(&mut self, bytes: usize, dst: R, m: Mem) {
        match bytes {
            1 => self.op(None, false, &[0x0f, 0xb6], dst.n(), Rm::Mem(m), false),
            2 => self.op(None, false, &[0x0f, 0xb7], dst.n(), Rm::Mem(m), false),
            4 => self.op(None, false, &[0x8b], dst.n(), Rm::Mem(m), false),
            _ => self.op(None, true, &[0x8b], dst.n(), Rm::Mem(m), false),
        }
    }

    /// Load `bytes` (1, 2, 4) from memory, sign-extended to 64 bits.
    pub fn load_sx(&mut self, bytes: usize, dst: R, m: Mem) {
        match bytes {
            1 => self.op(None, true, &[0x0f, 0xbe], dst.n(), Rm::Mem(m), false),
            2 => self.op(None, true, &[0x0f, 0xbf], dst.n(), Rm::Mem(m), false),
            _ => self.op(None, true, &[0x63], dst.n(), Rm::Mem(m), false),
        }
    }

    /// Store the low `bytes` of `src`.
    pub fn store(&mut self, bytes: usize, m: Mem, src: R) {
        match bytes {
            1 => self.op(None, false, &[0x88], src.n(), Rm::Mem(m), true),
            2 => self.op(Some(0x66), false, &[0x89], src.n(), Rm::Mem(m), false),
            4 => self.op(None, false, &[0x89], src.n(), Rm::Mem(m), false),
            _ => self.op(None, true, &[0x89], src.n(), Rm::Mem(m), false),
        }
    }

    /// Store the low `bytes` of `imm` (8 bytes: sign-extended).
    pub fn store_imm(&mut self, bytes: usize, m: Mem, imm: i32) {
        match bytes {
            1 => {
                self.op(None, false, &[0xc6], 0, Rm::Mem(m), false);
                self.byte(imm as u8);
            }
            2 => {
                self.op(Some(0x66), false, &[0xc7], 0, Rm::Mem(m), false);
                self.bytes(&(imm as u16).to_le_bytes());
            }
            4 => {
                self.op(None, false, &[0xc7], 0, Rm::Mem(m), false);
                self.imm32(imm);
            }
            _ => {
                self.op(None, true, &[0xc7], 0, Rm::Mem(m), false);
                self.imm32(imm);
            }
        }
    }

    /// `lea dst, [m]`.
    pub fn lea(&mut self, dst: R, m: Mem) {
        self.op(None, true, &[0x8d], dst.n(), Rm::Mem(m), false);
    }

    /// `lea dst32, [m]`: the low 32 bits of the address, zero-extended.
    pub fn lea32(&mut self, dst: R, m: Mem) {
        self.op(None, false, &[0x8d], dst.n(), Rm::Mem(m), false);
    }

    /// `movsx dst, src8/16` or `movsxd dst, src32` into a 32- or 64-bit
    /// destination.
    pub fn movsx(&mut self, w: W, bits: u8, dst: R, src: R) {
        let q = w == W::Q64;
        match bits {
            8 => self.op(None, q, &[0x0f, 0xbe], dst.n(), Rm::Reg(src), true),
            16 => self.op(None, q, &[0x0f, 0xbf], dst.n(), Rm::Reg(src), false),
            _ => self.op(None, true, &[0x63], dst.n(), Rm::Reg(src), false),
        }
    }

    /// `movzx dst32, src16`.
    pub fn movzx16(&mut self, dst: R, src: R) {
        self.op(None, false, &[0x0f, 0xb7], dst.n(), Rm::Reg(src), false);
    }

    // ---- ALU ----

    /// `op dst, src`.
    pub fn alu(&mut self, w: W, op: Alu, dst: R, src: R) {
        self.op(None, w == W::Q64, &[op.rm_reg()], src.n(), Rm::Reg(dst), false);
    }

    /// `op dst, imm` (imm sign-extended in the 64-bit form).
    pub fn alu_imm(&mut self, w: W, op: Alu, dst: R, imm: i32) {
        self.alu_imm_rm(w, op, Rm::Reg(dst), imm);
    }

    /// `op qword [m], imm`.
    pub fn alu_mem_imm(&mut self, op: Alu, m: Mem, imm: i32) {
        self.alu_imm_rm(W::Q64, op, Rm::Mem(m), imm);
    }

    fn alu_imm_rm(&mut self, w: W, op: Alu, rm: Rm, imm: i32) {
        if fits_i8(imm as i64) {
            self.op(None, w == W::Q64, &[0x83], op.digit(), rm, false);
            self.byte(imm as u8);
        } else {
            self.op(None, w == W::Q64, &[0x81], op.digit(), rm, false);
            self.imm32(imm);
        }
    }

    /// `op dst, qword [m]`.
    pub fn alu_reg_mem(&mut self, op: Alu, dst: R, m: Mem) {
        self.alu_mem(W::Q64, op, dst, m);
    }

    /// `op dst, [m]` of width `w` (a 32-bit result is zero-extended).
    pub fn alu_mem(&mut self, w: W, op: Alu, dst: R, m: Mem) {
        self.op(None, w == W::Q64, &[op.reg_rm()], dst.n(), Rm::Mem(m), false);
    }

    /// `test a, b`.
    pub fn test(&mut self, w: W, a: R, b: R) {
        self.op(None, w == W::Q64, &[0x85], b.n(), Rm::Reg(a), false);
    }

    /// `test a, imm` (imm sign-extended in the 64-bit form).
    pub fn test_imm(&mut self, w: W, a: R, imm: i32) {
        if a == R::Rax {
            if w == W::Q64 {
                self.byte(0x48);
            }
            self.byte(0xa9);
        } else {
            self.op(None, w == W::Q64, &[0xf7], 0, Rm::Reg(a), false);
        }
        self.imm32(imm);
    }

    /// `test a8, imm8` (low byte).
    pub fn test8_imm(&mut self, a: R, imm: u8) {
        if a == R::Rax {
            self.byte(0xa8);
        } else {
            self.op(None, false, &[0xf6], 0, Rm::Reg(a), true);
        }
        self.byte(imm);
    }

    /// `imul dst, src`.
    pub fn imul(&mut self, w: W, dst: R, src: R) {
        self.op(None, w == W::Q64, &[0x0f, 0xaf], dst.n(), Rm::Reg(src), false);
    }

    /// `imul dst, src, imm`.
    pub fn imul_imm(&mut self, w: W, dst: R, src: R, imm: i32) {
        if fits_i8(imm as i64) {
            self.op(None, w == W::Q64, &[0x6b], dst.n(), Rm::Reg(src), false);
            self.byte(imm as u8);
        } else {
            self.op(None, w == W::Q64, &[0x69], dst.n(), Rm::Reg(src), false);
            self.imm32(imm);
        }
    }

    /// The 0xF7 group: `/3 neg`, `/6 div`, `/7 idiv`.
    fn grp3(&mut self, w: W, digit: u8, r: R) {
        self.op(None, w == W::Q64, &[0xf7], digit, Rm::Reg(r), false);
    }

    pub fn neg(&mut self, w: W, r: R) {
        self.grp3(w, 3, r);
    }

    /// Unsigned `rdx:rax / r` (or `edx:eax`).
    pub fn div(&mut self, w: W, r: R) {
        self.grp3(w, 6, r);
    }

    /// Signed `rdx:rax / r` (or `edx:eax`).
    pub fn idiv(&mut self, w: W, r: R) {
        self.grp3(w, 7, r);
    }

    /// `cqo` / `cdq`: sign-extend rax into rdx.
    pub fn sign_extend_ax(&mut self, w: W) {
        if w == W::Q64 {
            self.byte(0x48);
        }
        self.byte(0x99);
    }

    /// `shift r, cl`.
    pub fn shift_cl(&mut self, w: W, op: Shift, r: R) {
        self.op(None, w == W::Q64, &[0xd3], op as u8, Rm::Reg(r), false);
    }

    /// `shift r, imm`.
    pub fn shift_imm(&mut self, w: W, op: Shift, r: R, imm: u8) {
        self.op(None, w == W::Q64, &[0xc1], op as u8, Rm::Reg(r), false);
        self.byte(imm);
    }

    /// `ror r16, 8`: swap the two low bytes.
    pub fn ror16_8(&mut self, r: R) {
        self.op(Some(0x66), false, &[0xc1], Shift::Ror as u8, Rm::Reg(r), false);
        self.byte(8);
    }

    pub fn bswap(&mut self, w: W, r: R) {
        let rex = 0x40 | ((w == W::Q64) as u8) << 3 | r.ext();
        if rex != 0x40 {
            self.byte(rex);
        }
        self.bytes(&[0x0f, 0xc8 + r.low()]);
    }

    /// `dec qword [m]`.
    pub fn dec_mem(&mut self, m: Mem) {
        self.op(None, true, &[0xff], 1, Rm::Mem(m), false);
    }

    // ---- atomics (with a lock prefix where the instruction needs one) ----

    /// `lock op [m], src` for add/or/and/xor.
    pub fn lock_alu(&mut self, w: W, op: Alu, m: Mem, src: R) {
        self.op(Some(0xf0), w == W::Q64, &[op.rm_reg()], src.n(), Rm::Mem(m), false);
    }

    /// `lock xadd [m], src`.
    pub fn lock_xadd(&mut self, w: W, m: Mem, src: R) {
        self.op(Some(0xf0), w == W::Q64, &[0x0f, 0xc1], src.n(), Rm::Mem(m), false);
    }

    /// `xchg [m], src` (implicitly locked).
    pub fn xchg(&mut self, w: W, m: Mem, src: R) {
        self.op(None, w == W::Q64, &[0x87], src.n(), Rm::Mem(m), false);
    }

    /// `lock cmpxchg [m], src`: compares with rax.
    pub fn lock_cmpxchg(&mut self, w: W, m: Mem, src: R) {
        self.op(Some(0xf0), w == W::Q64, &[0x0f, 0xb1], src.n(), Rm::Mem(m), false);
    }

    // ---- control flow ----

    pub fn jmp(&mut self, l: Label) {
        if self.short_jump(l) {
            self.byte(0xeb);
            self.rel8_to(l);
        } else {
            self.byte(0xe9);
            self.rel32_to(l);
        }
    }

    pub fn jcc(&mut self, cc: Cc, l: Label) {
        if self.short_jump(l) {
            self.byte(0x70 | cc as u8);
            self.rel8_to(l);
        } else {
            self.bytes(&[0x0f, 0x80 | cc as u8]);
            self.rel32_to(l);
        }
    }

    pub fn call(&mut self, l: Label) {
        self.byte(0xe8);
        self.rel32_to(l);
    }

    /// `call qword [m]`.
    pub fn call_mem(&mut self, m: Mem) {
        self.op(None, false, &[0xff], 2, Rm::Mem(m), false);
    }

    /// `call r`.
    pub fn call_reg(&mut self, r: R) {
        self.op(None, false, &[0xff], 2, Rm::Reg(r), false);
    }

    pub fn ret(&mut self) {
        self.byte(0xc3);
    }

    pub fn push(&mut self, r: R) {
        if r.ext() != 0 {
            self.byte(0x41);
        }
        self.byte(0x50 + r.low());
    }

    pub fn pop(&mut self, r: R) {
        if r.ext() != 0 {
            self.byte(0x41);
        }
        self.byte(0x58 + r.low());
    }

    #[cfg(test)]
    pub fn int3(&mut self) {
        self.byte(0xcc);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(f: impl FnOnce(&mut Asm)) -> Vec<u8> {
        let mut a = Asm::new();
        f(&mut a);
        a.finish()
    }

    #[test]
    fn encodings_match_the_manual() {
        // Reference bytes from the Intel SDM / any assembler.
        assert_eq!(enc(|a| a.mov(W::Q64, R::Rbx, R::R13)), [0x4c, 0x89, 0xeb]);
        assert_eq!(enc(|a| a.mov(W::D32, R::R8, R::Rax)), [0x41, 0x89, 0xc0]);
        assert_eq!(
            enc(|a| a.alu_imm(W::Q64, Alu::Add, R::Rdi, 1)),
            [0x48, 0x83, 0xc7, 0x01]
        );
        assert_eq!(
            enc(|a| a.alu_imm(W::D32, Alu::Cmp, R::R15, 1000)),
            [0x41, 0x81, 0xff, 0xe8, 0x03, 0, 0]
        );
        assert_eq!(
            enc(|a| a.load(8, R::Rax, mem(R::R12, 8))),
            [0x49, 0x8b, 0x44, 0x24, 0x08]
        );
        assert_eq!(
            enc(|a| a.load(1, R::Rsi, mem(R::R13, 0))),
            [0x41, 0x0f, 0xb6, 0x75, 0x00]
        );
        assert_eq!(
            enc(|a| a.load(8, R::Rdx, mem_idx(R::Rbp, R::Rcx, -8))),
            [0x48, 0x8b, 0x54, 0x0d, 0xf8]
        );
        assert_eq!(enc(|a| a.store(1, mem(R::Rcx, -1), R::Rsi)), [0x40, 0x88, 0x71, 0xff]);
        assert_eq!(enc(|a| a.store(2, mem(R::Rcx, 0), R::R9)), [0x66, 0x44, 0x89, 0x09]);
        assert_eq!(
            enc(|a| a.mov_imm(R::Rax, u64::MAX)),
            [0x48, 0xc7, 0xc0, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(enc(|a| a.bswap(W::Q64, R::R14)), [0x49, 0x0f, 0xce]);
        assert_eq!(enc(|a| a.movsx(W::Q64, 32, R::Rax, R::Rdi)), [0x48, 0x63, 0xc7]);
        assert_eq!(enc(|a| a.movsx(W::D32, 8, R::Rax, R::Rsi)), [0x40, 0x0f, 0xbe, 0xc6]);
        assert_eq!(
            enc(|a| a.lock_cmpxchg(W::Q64, mem(R::Rcx, -8), R::R11)),
            [0xf0, 0x4c, 0x0f, 0xb1, 0x59, 0xf8]
        );
        assert_eq!(enc(|a| a.push(R::R15)), [0x41, 0x57]);
        assert_eq!(enc(|a| a.call_mem(mem(R::R12, 72))), [0x41, 0xff, 0x54, 0x24, 0x48]);
        // call rax; call r11 (Intel SDM: FF /2).
        assert_eq!(enc(|a| a.call_reg(R::Rax)), [0xff, 0xd0]);
        assert_eq!(enc(|a| a.call_reg(R::R11)), [0x41, 0xff, 0xd3]);
        assert_eq!(enc(|a| a.ror16_8(R::Rbx)), [0x66, 0xc1, 0xcb, 0x08]);
        assert_eq!(enc(|a| a.lea32(R::Rcx, mem(R::R9, -4))), [0x41, 0x8d, 0x49, 0xfc]);
        // Scaled indexes (SIB.scale): lea rbx, [rdi + rbx*8]; lea r11,
        // [rbp + r13*4 - 4].
        assert_eq!(
            enc(|a| a.lea(R::Rbx, mem_scaled(R::Rdi, R::Rbx, 3, 0))),
            [0x48, 0x8d, 0x1c, 0xdf]
        );
        assert_eq!(
            enc(|a| a.lea(R::R11, mem_scaled(R::Rbp, R::R13, 2, -4))),
            [0x4e, 0x8d, 0x5c, 0xad, 0xfc]
        );
        // add r11, [rbx + rdx]; add r11d, [rbx + rdx].
        assert_eq!(
            enc(|a| a.alu_reg_mem(Alu::Add, R::R11, mem_idx(R::Rbx, R::Rdx, 0))),
            [0x4c, 0x03, 0x1c, 0x13]
        );
        assert_eq!(
            enc(|a| a.alu_mem(W::D32, Alu::Add, R::R11, mem_idx(R::Rbx, R::Rdx, 0))),
            [0x44, 0x03, 0x1c, 0x13]
        );
    }

    #[test]
    fn branches_are_patched() {
        let code = enc(|a| {
            let l = a.label();
            a.jcc(Cc::E, l);
            a.int3();
            a.bind(l);
            a.jmp(l);
        });
        assert_eq!(code, [0x0f, 0x84, 1, 0, 0, 0, 0xcc, 0xe9, 0xfb, 0xff, 0xff, 0xff]);
    }

    /// A second pass over the same code makes the jumps in reach short
    /// (Intel SDM: EB rel8, 70+cc rel8) and leaves the others long.
    #[test]
    fn a_second_pass_shortens_jumps_in_reach() {
        let emit = |a: &mut Asm| {
            let (near, far) = (a.label(), a.label());
            a.jcc(Cc::E, near);
            a.int3();
            a.bind(near);
            a.jmp(far);
            for _ in 0..200 {
                a.int3();
            }
            a.bind(far);
            a.jmp(near);
        };
        let mut first = Asm::new();
        emit(&mut first);
        let layout = first.layout();
        assert_eq!(first.finish().len(), 6 + 1 + 5 + 200 + 5);
        let mut second = Asm::with_layout(layout);
        emit(&mut second);
        let code = second.finish();
        assert_eq!(&code[..3], [0x74, 0x01, 0xcc], "je over one byte");
        assert_eq!(&code[3..8], [0xe9, 200, 0, 0, 0], "201 bytes away stays long");
        // Back from 208 to 3: rel8 = 3 - 210 = -207 doesn't fit either.
        assert_eq!(code[208], 0xe9);
        assert_eq!(code.len(), 2 + 1 + 5 + 200 + 5);
    }
}
