//! A seeded generator of programs for the differential tests.

use crate::isa::Insn;
use crate::uapi::helper_ids::func::*;

/// A small deterministic generator (splitmix64) of programs biased
/// towards well-formed, interesting code: every instruction class, edge
/// immediates, pointers into the buffer and the stack, short loops, calls.
pub struct ProgramGen {
    state: u64,
}

impl ProgramGen {
    pub fn new(seed: u64) -> Self {
        ProgramGen { state: seed }
    }

    pub(super) fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn imm(&mut self) -> i32 {
        match self.below(4) {
            0 => self.pick(&[0, 1, -1, 2, 7, 8, 16, 31, 32, 33, 63, 64, 255, i32::MIN, i32::MAX, -2]),
            1 => self.below(16) as i32,
            _ => self.next() as i32,
        }
    }

    fn reg(&mut self) -> u8 {
        // r10 mostly as a source; as a destination rarely.
        if self.below(40) == 0 {
            10
        } else {
            self.below(10) as u8
        }
    }

    fn jump_off(&mut self) -> i16 {
        self.below(13) as i16 - 5
    }

    /// A counted loop as clang emits them (the JIT unrolls these): `iv =
    /// start`, a body of `rD = r1; rD += iv; rE = *(rD + k)`, arithmetic
    /// and forward jumps (some out of the loop), `iv += step`, `if iv != n
    /// goto body` (or `<`). Pushes all but the back edge, which it returns.
    fn counted_loop(&mut self, out: &mut Vec<Insn>, mem_len: usize) -> Insn {
        use crate::isa::opcode::*;
        let iv = self.pick(&[2, 3, 6, 7, 8, 9]);
        let step = self.pick(&[1, 1, 2, 4, 8, 3]);
        let start = self.below(6) as i32;
        let trips = 1 + self.below(12) as i32;
        let n = start + step * trips + self.pick(&[0, 0, 0, 1]);
        // The end the body's bound tests compare with: r3 = r1 + about
        // the buffer's length.
        if self.below(2) == 0 {
            out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 3, 1, 0, 0));
            let end = mem_len as i32 + self.below(5) as i32 - 2;
            out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, end));
        }
        out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, iv, 0, 0, start));
        let head = out.len();
        let body_len = 3 + self.below(8) as usize;
        let inc_at = self.below(body_len as u64 + 1) as usize;
        let mut body = Vec::new();
        while body.len() < body_len {
            if body.len() == inc_at {
                body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, iv, 0, 0, step));
                continue;
            }
            let d = self.pick(&[0, 4, 5]);
            match self.below(6) {
                0 | 1 => {
                    // An access at r1 + iv (mem_len + 8 bytes: some fault).
                    body.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 4, 1, 0, 0));
                    body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, iv, 0, 0));
                    let size = self.pick(&[BPF_B, BPF_H, BPF_W, BPF_DW]);
                    let off = self.below(mem_len as u64 / 4 + 2) as i16;
                    if self.below(4) == 0 {
                        body.push(Insn::new(BPF_STX | BPF_MEM | size, 4, d, off, 0));
                    } else {
                        body.push(Insn::new(BPF_LDX | BPF_MEM | size, d, 4, off, 0));
                    }
                }
                2 => {
                    // A forward jump: inside the body or out of the loop.
                    let op = self.pick(&[BPF_JEQ, BPF_JGT, BPF_JSET, BPF_JNE]);
                    let off = self.below(body_len as u64 + 3) as i16;
                    body.push(Insn::new(BPF_JMP | op | BPF_K, d, 0, off, self.imm() & 0xff));
                }
                3 if self.below(4) == 0 => {
                    // A read of the index that keeps the increments.
                    body.push(Insn::new(BPF_ALU64 | BPF_XOR | BPF_X, 0, iv, 0, 0));
                }
                3 => {
                    // clang's bound test: r5 = r1; r5 += iv; r5 += k; if r5
                    // > r3 (or >=) goto out (or on in the body).
                    body.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 5, 1, 0, 0));
                    body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 5, iv, 0, 0));
                    body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 5, 0, 0, self.below(4) as i32));
                    let op = self.pick(&[BPF_JGT, BPF_JGT, BPF_JGE]);
                    let off = self.below(body_len as u64 + 3) as i16;
                    body.push(Insn::new(BPF_JMP | op | BPF_X, 5, 3, off, 0));
                }
                _ => {
                    let op = self.pick(&[BPF_ADD, BPF_XOR, BPF_MUL, BPF_RSH, BPF_OR]);
                    body.push(Insn::new(BPF_ALU64 | op | BPF_X, 0, d, 0, 0));
                }
            }
        }
        out.extend(body);
        let back = -((out.len() - head) as i16) - 1;
        let op = self.pick(&[BPF_JNE, BPF_JNE, BPF_JLT]);
        Insn::new(BPF_JMP | op | BPF_K, iv, 0, back, n)
    }

    /// A rotated loop (clang's `for` with `continue`s): `iv = start; goto
    /// body; test: iv += step; if iv != n goto body; goto out; body: ...;
    /// goto test; out:`, the index 32- or 64-bit, the body copying the
    /// index (`rD = iv`), accessing r1 + rD, continuing to the test and
    /// jumping forward (in the body or out). Pushes all but the back edge,
    /// which it returns.
    fn rotated_loop(&mut self, out: &mut Vec<Insn>, mem_len: usize) -> Insn {
        use crate::isa::opcode::*;
        let iv = self.pick(&[3, 6, 7, 8, 9]);
        let class = self.pick(&[BPF_ALU, BPF_ALU64]);
        let jclass = if class == BPF_ALU { BPF_JMP32 } else { BPF_JMP };
        let step = self.pick(&[1, 1, 2, 4, 8, 3]);
        let start = match self.below(4) {
            0 => -(self.below(20) as i32),
            _ => self.below(6) as i32,
        };
        let trips = 1 + self.below(12) as i32;
        let n = start.wrapping_add(step * trips + self.pick(&[0, 0, 0, 1]));
        let body_len = 3 + self.below(8) as usize;
        out.push(Insn::new(class | BPF_MOV | BPF_K, iv, 0, 0, start));
        out.push(Insn::new(JA, 0, 0, 3, 0));
        let test = out.len();
        out.push(Insn::new(class | BPF_ADD | BPF_K, iv, 0, 0, step));
        out.push(Insn::new(
            jclass | self.pick(&[BPF_JNE, BPF_JNE, BPF_JLT]) | BPF_K,
            iv,
            0,
            1,
            n,
        ));
        out.push(Insn::new(JA, 0, 0, body_len as i16 + 1, 0));
        let head = out.len();
        while out.len() - head < body_len {
            let d = self.pick(&[0, 4, 5]);
            let pc = out.len();
            match self.below(6) {
                0 => out.push(Insn::new(
                    self.pick(&[BPF_ALU, BPF_ALU64]) | BPF_MOV | BPF_X,
                    d,
                    iv,
                    0,
                    0,
                )),
                1 if out.len() - head + 2 <= body_len => {
                    // An access at r1 + a copy of the index.
                    out.push(Insn::new(BPF_ALU | BPF_MOV | BPF_X, 4, iv, 0, 0));
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, 1, 0, 0));
                    let size = self.pick(&[BPF_B, BPF_H, BPF_W]);
                    let off = self.below(mem_len as u64 / 4 + 2) as i16;
                    out.push(Insn::new(BPF_LDX | BPF_MEM | size, d, 4, off, 0));
                }
                2 => {
                    // `continue`.
                    let op = self.pick(&[BPF_JEQ, BPF_JGT, BPF_JSET, BPF_JNE]);
                    let off = test as i16 - pc as i16 - 1;
                    out.push(Insn::new(BPF_JMP | op | BPF_K, d, 0, off, self.imm() & 0xff));
                }
                3 => {
                    // Forward: inside the body or out of the loop.
                    let op = self.pick(&[BPF_JEQ, BPF_JGT, BPF_JSET, BPF_JNE]);
                    let off = self.below(body_len as u64 + 3) as i16;
                    out.push(Insn::new(BPF_JMP | op | BPF_K, d, 0, off, self.imm() & 0xff));
                }
                _ => {
                    let op = self.pick(&[BPF_ADD, BPF_XOR, BPF_MUL, BPF_RSH, BPF_OR]);
                    out.push(Insn::new(BPF_ALU64 | op | BPF_X, 0, d, 0, 0));
                }
            }
        }
        Insn::new(JA, 0, 0, test as i16 - out.len() as i16 - 1, 0)
    }

    /// The verifier's inlined array lookup and the program's test of its
    /// result (the JIT threads the hit path past the test): `rB = base;
    /// r0 = index; if r0 >= n goto miss; r0 <<= s; r0 += rB; goto +1;
    /// miss: r0 = 0; if r0 ==/!= 0 goto +k`, then a load through r0.
    /// Pushes all but the last instruction, which it returns.
    fn inlined_lookup(&mut self, out: &mut Vec<Insn>, mem_len: usize) -> Insn {
        use crate::isa::opcode::*;
        let base = self.pick(&[6u8, 7, 1]);
        if base != 1 {
            // The buffer (region 2), a wild address, or zero.
            let v = match self.below(4) {
                0 => 0,
                1 => self.next(),
                _ => 2 << 32 | self.below(16),
            };
            out.push(Insn::new(LD_IMM64, base, 0, 0, v as u32 as i32));
            out.push(Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32));
        }
        let index = match self.below(4) {
            0 => Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, self.below(8) as i32),
            1 => {
                // clang's key on the stack: `w3 = w7; w3 &= mask; *(u32
                // *)(r10 - 4) = r3` (sometimes another size, or a store
                // overlapping it), `r2 = r10; r2 += -4; r0 = *(u32 *)(r2
                // + 0)`: the JIT knows the key's range, and r2 needs no
                // register.
                let mask = self.pick(&[15, 7, 0xff, -1, 0x7fff_ffff]);
                out.push(Insn::new(BPF_ALU | BPF_MOV | BPF_X, 3, 7, 0, 0));
                out.push(Insn::new(BPF_ALU | BPF_AND | BPF_K, 3, 0, 0, mask));
                let size = self.pick(&[BPF_W, BPF_W, BPF_W, BPF_B, BPF_DW]);
                out.push(Insn::new(
                    BPF_STX | BPF_MEM | size,
                    10,
                    3,
                    -4 - 4 * (size == BPF_DW) as i16,
                    0,
                ));
                if self.below(5) == 0 {
                    let off = self.pick(&[-3, -8, -5, -1]);
                    out.push(Insn::new(BPF_ST | BPF_MEM | BPF_B, 10, 0, off, self.imm()));
                }
                out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4));
                Insn::new(BPF_LDX | BPF_MEM | self.pick(&[BPF_W, BPF_W, BPF_H]), 0, 2, 0, 0)
            }
            _ => Insn::new(
                BPF_LDX | BPF_MEM | self.pick(&[BPF_B, BPF_W]),
                0,
                1,
                self.below(mem_len as u64 / 2 + 2) as i16,
                0,
            ),
        };
        out.push(index);
        let n = self.pick(&[1, 4, 16, 0]);
        out.push(Insn::new(
            BPF_JMP | self.pick(&[BPF_JGE, BPF_JGE, BPF_JGT]) | BPF_K,
            0,
            0,
            3,
            n,
        ));
        out.push(Insn::new(BPF_ALU64 | BPF_LSH | BPF_K, 0, 0, 0, self.pick(&[0, 3, 63])));
        out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 0, base, 0, 0));
        out.push(Insn::new(JA, 0, 0, 1, 0));
        out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
        let op = self.pick(&[BPF_JEQ, BPF_JNE]);
        out.push(Insn::new(BPF_JMP | op | BPF_K, 0, 0, self.below(3) as i16, 0));
        let x = self.pick(&[2, 3]);
        if self.below(2) == 0 {
            return Insn::new(BPF_LDX | BPF_MEM | BPF_DW, x, 0, 0, 0);
        }
        // clang's accumulator: `x = *r0; x += r6; r6 = x` (or `r6 += x`),
        // 64-bit over 8 bytes or 32-bit over 4: `add r6, [r0]` when x is
        // dead after (it is live when the program reads it later).
        let (class, size) = self.pick(&[(BPF_ALU64, BPF_DW), (BPF_ALU, BPF_W), (BPF_ALU64, BPF_W)]);
        let op = self.pick(&[BPF_ADD, BPF_XOR, BPF_AND, BPF_SUB]);
        out.push(Insn::new(BPF_LDX | BPF_MEM | size, x, 0, 0, 0));
        if self.below(3) == 0 {
            return Insn::new(class | op | BPF_X, 6, x, 0, 0);
        }
        out.push(Insn::new(class | op | BPF_X, x, 6, 0, 0));
        Insn::new(class | BPF_MOV | BPF_X, 6, x, 0, 0)
    }

    /// A program (and memory for r1) from the next seed.
    pub fn program(&mut self) -> (Vec<Insn>, Vec<u8>) {
        use crate::isa::opcode::*;
        let mem_len = self.pick(&[0usize, 1, 4, 8, 16, 32, 64]);
        let memory: Vec<u8> = (0..mem_len).map(|_| self.next() as u8).collect();
        let n = 1 + self.below(24) as usize;
        let mut out = Vec::with_capacity(n + 2);
        let sizes = [BPF_B, BPF_H, BPF_W, BPF_DW];
        while out.len() < n {
            let dst = self.reg();
            let src = self.reg();
            let insn = match self.below(23) {
                0..=4 => {
                    let class = self.pick(&[BPF_ALU, BPF_ALU64]);
                    let op = self.pick(&[
                        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD,
                        BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END,
                    ]);
                    let off = match op {
                        BPF_DIV | BPF_MOD => self.below(2) as i16,
                        BPF_MOV if self.below(4) == 0 => self.pick(&[8, 16, 32]),
                        _ => 0,
                    };
                    match (op, self.below(2)) {
                        (BPF_NEG, _) => Insn::new(class | op, dst, 0, 0, 0),
                        (BPF_END, _) => {
                            let s = self.pick(&[BPF_K, BPF_X]);
                            let s = if class == BPF_ALU64 { BPF_K } else { s };
                            Insn::new(class | op | s, dst, 0, 0, self.pick(&[16, 32, 64]))
                        }
                        (BPF_MOV, _) if off != 0 => Insn::new(class | op | BPF_X, dst, src, off, 0),
                        (_, 0) => Insn::new(class | op | BPF_K, dst, 0, off, self.imm()),
                        _ => Insn::new(class | op | BPF_X, dst, src, off, 0),
                    }
                }
                5 => {
                    let v = match self.below(3) {
                        0 => self.pick(&[u64::MAX, 1 << 63, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000]),
                        // A guest pointer into the buffer (region 2) or stack
                        // (region 1).
                        1 => (self.below(2) + 1) << 32 | self.below(80),
                        _ => self.next(),
                    };
                    out.push(Insn::new(LD_IMM64, dst, 0, 0, v as u32 as i32));
                    Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32)
                }
                6..=9 => {
                    // Memory: mostly through r1 (the buffer) or r10 (stack).
                    let base = self.pick(&[1, 1, 10, 10, 10, src]);
                    let size = self.pick(&sizes);
                    let off = if base == 10 {
                        -(self.below(530) as i16) + 8
                    } else {
                        self.below(mem_len as u64 + 10) as i16 - 2
                    };
                    match self.below(6) {
                        0 | 1 => Insn::new(BPF_LDX | BPF_MEM | size, dst, base, off, 0),
                        2 if size != BPF_DW => Insn::new(BPF_LDX | BPF_MEMSX | size, dst, base, off, 0),
                        2 | 3 => Insn::new(BPF_STX | BPF_MEM | size, base, src, off, 0),
                        4 => Insn::new(BPF_ST | BPF_MEM | size, base, 0, off, self.imm()),
                        _ => {
                            let size = self.pick(&[BPF_W, BPF_DW]);
                            let off = off & !3;
                            let imm =
                                self.pick(&[0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110]);
                            let (d, s) = if imm == 0x100 { (dst, base) } else { (base, src) };
                            Insn::new(BPF_STX | BPF_ATOMIC | size, d, s, off, imm)
                        }
                    }
                }
                10..=13 => {
                    let class = self.pick(&[BPF_JMP, BPF_JMP32]);
                    let op = self.pick(&[
                        BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT,
                        BPF_JSLE,
                    ]);
                    let off = self.jump_off();
                    if self.below(2) == 0 {
                        Insn::new(class | op | BPF_K, dst, 0, off, self.imm())
                    } else {
                        Insn::new(class | op | BPF_X, dst, src, off, 0)
                    }
                }
                14 => match self.below(4) {
                    0 => Insn::new(JA, 0, 0, self.jump_off(), 0),
                    1 => Insn::new(JA32, 0, 0, 0, self.jump_off() as i32),
                    2 => Insn::new(MAY_GOTO, 0, 0, self.jump_off(), 0),
                    _ => Insn::new(
                        BPF_LD | self.pick(&[BPF_ABS, BPF_IND]) | self.pick(&[BPF_B, BPF_H, BPF_W]),
                        0,
                        0,
                        0,
                        0,
                    ),
                },
                15 => match self.below(5) {
                    0 | 1 => Insn::new(
                        CALL,
                        0,
                        BPF_PSEUDO_HELPER,
                        0,
                        self.pick(&[
                            BPF_FUNC_MAP_LOOKUP_ELEM,
                            BPF_FUNC_MAP_UPDATE_ELEM,
                            BPF_FUNC_MAP_DELETE_ELEM,
                            BPF_FUNC_KTIME_GET_NS,
                            BPF_FUNC_KTIME_GET_NS,
                            BPF_FUNC_SKC_LOOKUP_TCP,
                        ]),
                    ),
                    2 | 3 => Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, self.jump_off() as i32),
                    _ => Insn::new(CALLX, dst, 0, 0, 0),
                },
                16 => {
                    // Derived pointers: rD = r1/r10 + small.
                    let base = self.pick(&[1, 10]);
                    out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, dst, base, 0, 0));
                    Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, self.below(16) as i32 - 8)
                }
                17 => EXIT_INSN,
                18 => {
                    // LD_IND with a register index.
                    Insn::new(
                        BPF_LD | BPF_IND | self.pick(&[BPF_B, BPF_H, BPF_W]),
                        0,
                        src,
                        0,
                        self.imm() % 16,
                    )
                }
                19 => self.counted_loop(&mut out, mem_len),
                20 => self.inlined_lookup(&mut out, mem_len),
                21 => self.rotated_loop(&mut out, mem_len),
                _ => Insn::from_bytes(self.next().to_le_bytes()),
            };
            // Fix up LD_ABS immediates to land near the packet.
            let insn = if insn.code & 0xe7 == BPF_LD | BPF_ABS {
                Insn {
                    imm: self.below(70) as i32 - 2,
                    ..insn
                }
            } else {
                insn
            };
            out.push(insn);
        }
        if self.below(8) != 0 {
            out.push(EXIT_INSN);
        }
        (out, memory)
    }
}

const EXIT_INSN: Insn = Insn::new(crate::isa::opcode::EXIT, 0, 0, 0, 0);
