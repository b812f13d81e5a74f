//! Programs for the verifier's soundness check, built from fuzzer bytes
//! (or a seed): what the verifier reasons about, over a fixed set of maps.

use crate::isa::Insn;
use crate::verifier::reg::MapShape;
use crate::verifier::MapRef;

use super::ProgramGen;

/// Choices drawn from fuzzer bytes (zeros once they run out), so that a
/// fuzzer's mutations steer the program shape.
struct Choices<'d> {
    data: &'d [u8],
    pos: usize,
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn below(&mut self, n: u32) -> u32 {
        let v = u32::from_le_bytes([self.byte(), self.byte(), 0, 0]);
        v % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }

    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// The maps a soundness program may use: (type, key size, value size,
/// max entries), as loaded: an array, a hash, and a one-entry array for
/// direct value loads.
pub(crate) const SOUND_MAPS: [SoundMap; 4] = [(2, 4, 16, 4), (1, 4, 16, 32), (2, 4, 8, 1), (27, 0, 0, 4096)];
/// A soundness map: (type, key size, value size, max entries).
pub(super) type SoundMap = (u32, u32, u32, u32);

/// Ring buffer record sizes the harness hands out (others: NULL).
pub(super) const SOUND_RECORDS: [u64; 2] = [8, 16];
/// Where the harness pretends map objects live (never mapped: a program
/// may not dereference a map pointer).
pub(super) const MAP_HANDLE: u64 = 0x7f00_0000_0000_0000;

/// A generated program for the soundness check.
pub struct SoundProgram {
    pub prog_type: u32,
    pub insns: Vec<Insn>,
    pub maps: Vec<MapRef>,
    pub ctx: Vec<u8>,
}

/// Context offsets a generated program reads (scalar fields only: the
/// harness has no ctx conversion, so packet pointers are never loaded).
fn scalar_ctx_offsets(prog_type: u32) -> &'static [i16] {
    use crate::uapi::types::prog_type as pt;
    match prog_type {
        pt::KPROBE => &[0, 8, 16, 32, 80, 96, 112, 160],
        _ => &[0, 4, 8, 12, 16, 20, 24, 36, 40, 48, 52, 56, 60, 64],
    }
}

/// Build a program from fuzzer bytes: a prologue that saves ctx in r6 and
/// initializes registers and stack, then a body biased towards what the
/// verifier reasons about (map lookups, null checks, value accesses with
/// fixed and masked variable offsets, stack accesses, bounds from
/// comparisons, pointer arithmetic), with occasional raw mutations.
pub fn sound_program(data: &[u8]) -> SoundProgram {
    use crate::isa::opcode::*;
    use crate::uapi::types::prog_type as pt;
    let mut c = Choices { data, pos: 0 };
    let prog_type = c.pick(&[pt::SOCKET_FILTER, pt::SOCKET_FILTER, pt::KPROBE]);
    let ctx_len = if prog_type == pt::KPROBE { 168 } else { 192 };
    let ctx: Vec<u8> = (0..ctx_len).map(|i| (i as u8).wrapping_mul(37)).collect();
    let mut out: Vec<Insn> = Vec::new();
    let mut maps = Vec::new();
    let mov64 = |d: u8, imm: i32| Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, imm);
    let movr = |d: u8, s: u8| Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0);
    out.push(movr(6, 1));
    // Initialized registers and stack.
    for r in [0u8, 2, 3, 4, 5, 7, 8, 9] {
        if c.below(16) != 0 {
            out.push(mov64(r, c.pick(&[0, 1, 7, 16, -1, 255, 4096, -8])));
        }
    }
    for slot in 1..=c.below(8) as i16 {
        out.push(Insn::new(
            BPF_ST | BPF_MEM | BPF_DW,
            10,
            0,
            -8 * slot,
            c.below(8) as i32,
        ));
    }
    let sizes = [BPF_B, BPF_H, BPF_W, BPF_DW];
    let size_bytes = |s: u8| match s {
        BPF_B => 1i16,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    };
    let n = 4 + c.below(28);
    let mut pending_jumps: Vec<usize> = Vec::new();
    // (call pc, r1 is ctx, callee misbehaves).
    let mut pending_calls: Vec<(usize, bool, bool)> = Vec::new();
    while (out.len() as u32) < n + 8 && !c.exhausted() {
        let dst = c.pick(&[0u8, 0, 2, 3, 7, 7, 8, 8, 9, 9]);
        let src = c.pick(&[0u8, 0, 3, 7, 7, 8, 8, 9, 9, 10]);
        // Raw mutations are rare: most programs should get far enough to
        // be accepted.
        let kind = if c.below(40) == 0 { 99 } else { c.below(20) };
        match kind {
            0 | 1 => {
                // A map lookup with a key on the stack, maybe null-checked,
                // then an access to the value.
                let m = c.below(2) as usize;
                let key_off = -8 * (1 + c.below(4) as i16);
                let key = c.pick(&[0, 1, 3, 4, 100]);
                out.push(Insn::new(BPF_ST | BPF_MEM | BPF_W, 10, 0, key_off, key));
                out.push(movr(2, 10));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, key_off as i32));
                load_map(&mut out, &mut maps, 1, m, None);
                out.push(Insn::new(CALL, 0, 0, 0, 1));
                if c.below(8) != 0 {
                    let off = 1 + c.below(4) as i16;
                    pending_jumps.push(out.len());
                    out.push(Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, off, 0));
                }
                let size = c.pick(&sizes);
                let off = if c.below(4) == 0 {
                    c.below(20) as i16 - 2
                } else {
                    c.below(17 - size_bytes(size) as u32) as i16
                };
                out.push(if c.below(2) == 0 {
                    Insn::new(BPF_LDX | BPF_MEM | size, dst, 0, off, 0)
                } else {
                    Insn::new(BPF_ST | BPF_MEM | size, 0, 0, off, 7)
                });
            }
            2 => {
                // A variable offset into a map value or the stack: a masked
                // (or compared) scalar added to the pointer.
                let base = c.pick(&[0u8, 10, 10]);
                out.push(Insn::new(
                    BPF_LDX | BPF_MEM | BPF_B,
                    3,
                    6,
                    c.pick(scalar_ctx_offsets(prog_type)),
                    0,
                ));
                // Sometimes the offset is a linked copy (maybe plus a
                // constant) of the register whose bounds are checked.
                let linked = c.below(2) == 0;
                if linked {
                    out.push(movr(5, 3));
                    if c.below(2) == 0 {
                        out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 5, 0, 0, c.pick(&[1, 4, -1])));
                    }
                }
                let idx = if linked { 5 } else { 3 };
                let mut skip_at = None;
                if c.below(2) == 0 {
                    out.push(Insn::new(
                        BPF_ALU64 | BPF_AND | BPF_K,
                        3,
                        0,
                        0,
                        c.pick(&[3, 7, 15, 31, 255]),
                    ));
                } else {
                    let lim = c.pick(&[4, 8, 12, 16]);
                    skip_at = Some(out.len());
                    out.push(Insn::new(
                        BPF_JMP | c.pick(&[BPF_JGT, BPF_JGE, BPF_JSGT, BPF_JSLT]) | BPF_K,
                        3,
                        0,
                        0,
                        lim,
                    ));
                }
                if base == 10 {
                    out.push(movr(4, 10));
                    out.push(Insn::new(
                        BPF_ALU64 | BPF_ADD | BPF_K,
                        4,
                        0,
                        0,
                        -(c.pick(&[8, 16, 32, 64])),
                    ));
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, idx, 0, 0));
                } else {
                    out.push(movr(4, 0));
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, idx, 0, 0));
                }
                let size = c.pick(&sizes);
                let off = c.below(16) as i16 - 8;
                out.push(if c.below(2) == 0 {
                    Insn::new(BPF_LDX | BPF_MEM | size, dst, 4, off, 0)
                } else {
                    Insn::new(BPF_STX | BPF_MEM | size, 4, src, off, 0)
                });
                // The bounds check jumps over the access.
                if let Some(at) = skip_at {
                    out[at].off = (out.len() - at - 1) as i16;
                }
            }
            3 | 4 => {
                // Stack loads and stores near the valid range.
                let size = c.pick(&sizes);
                let off = -(c.below(520) as i16) + c.pick(&[0, 0, 8]);
                let off = if c.below(4) != 0 {
                    off / size_bytes(size) * size_bytes(size)
                } else {
                    off
                };
                out.push(match c.below(3) {
                    0 => Insn::new(BPF_LDX | BPF_MEM | size, dst, 10, off, 0),
                    1 => Insn::new(BPF_STX | BPF_MEM | size, 10, src, off, 0),
                    _ => Insn::new(BPF_ST | BPF_MEM | size, 10, 0, off, c.below(3) as i32),
                });
            }
            5 => {
                // Context reads (and socket filter cb[] writes).
                let off = c.pick(scalar_ctx_offsets(prog_type));
                let size = if c.below(3) == 0 { c.pick(&sizes) } else { BPF_W };
                out.push(Insn::new(BPF_LDX | BPF_MEM | size, dst, 6, off, 0));
            }
            6 | 7 => {
                // Scalar arithmetic.
                let op = c.pick(&[
                    BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV,
                    BPF_ARSH,
                ]);
                let class = c.pick(&[BPF_ALU64, BPF_ALU64, BPF_ALU]);
                out.push(if c.below(2) == 0 {
                    Insn::new(
                        class | op | BPF_K,
                        dst,
                        0,
                        0,
                        c.pick(&[0, 1, 2, 3, 7, 8, 31, 63, -1, 255, 4096]),
                    )
                } else {
                    Insn::new(class | op | BPF_X, dst, src, 0, 0)
                });
            }
            8 | 9 => {
                // Forward conditional jumps (bounds on both ways).
                let op = c.pick(&[
                    BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT,
                    BPF_JSLE,
                ]);
                let class = c.pick(&[BPF_JMP, BPF_JMP, BPF_JMP32]);
                let off = 1 + c.below(5) as i16;
                pending_jumps.push(out.len());
                out.push(if c.below(3) != 0 {
                    Insn::new(class | op | BPF_K, dst, 0, off, c.pick(&[0, 1, 4, 8, 16, 255, -1]))
                } else {
                    Insn::new(class | op | BPF_X, dst, src, off, 0)
                });
            }
            10 => {
                // Pointer arithmetic on copies of fp, ctx or a map value.
                let base = c.pick(&[10u8, 10, 6, 0]);
                out.push(movr(dst, base));
                out.push(Insn::new(
                    BPF_ALU64 | BPF_ADD | BPF_K,
                    dst,
                    0,
                    0,
                    c.below(40) as i32 - 32,
                ));
                let size = c.pick(&sizes);
                out.push(Insn::new(BPF_LDX | BPF_MEM | size, src.min(9), dst, 0, 0));
            }
            11 => {
                // Helpers without pointer arguments, or trace_printk.
                if c.below(3) == 0 {
                    out.push(movr(1, 10));
                    out.push(Insn::new(
                        BPF_ALU64 | BPF_ADD | BPF_K,
                        1,
                        0,
                        0,
                        -8 * (1 + c.below(8) as i32),
                    ));
                    out.push(mov64(2, c.pick(&[1, 4, 8, 16])));
                    out.push(Insn::new(CALL, 0, 0, 0, 6));
                } else {
                    out.push(Insn::new(CALL, 0, 0, 0, c.pick(&[5, 7, 8])));
                }
            }
            12 => {
                // A direct map value load (one-entry array).
                load_map(&mut out, &mut maps, dst, 2, Some(c.below(8)));
                let size = c.pick(&sizes);
                out.push(Insn::new(
                    BPF_LDX | BPF_MEM | size,
                    src.min(9),
                    dst,
                    c.below(10) as i16 - 1,
                    0,
                ));
            }
            13 => {
                // Spill and fill a pointer or a scalar.
                let off = -8 * (1 + c.below(8) as i16);
                out.push(Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, src, off, 0));
                out.push(Insn::new(
                    BPF_LDX | BPF_MEM | c.pick(&[BPF_DW, BPF_DW, BPF_W]),
                    dst,
                    10,
                    off,
                    0,
                ));
            }
            14 => {
                // Map update / delete with a key and value on the stack.
                let m = c.below(2) as usize;
                out.push(movr(2, 10));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8));
                out.push(movr(3, 10));
                out.push(Insn::new(
                    BPF_ALU64 | BPF_ADD | BPF_K,
                    3,
                    0,
                    0,
                    -8 * (2 + c.below(4) as i32),
                ));
                load_map(&mut out, &mut maps, 1, m, None);
                out.push(mov64(4, 0));
                out.push(Insn::new(CALL, 0, 0, 0, c.pick(&[2, 3])));
            }
            15 => {
                // A ring buffer record: reserve, null check, access,
                // submit or discard (each step sometimes wrong).
                load_map(&mut out, &mut maps, 1, 3, None);
                out.push(mov64(2, c.pick(&[8, 16, 16, 3])));
                out.push(mov64(3, 0));
                out.push(Insn::new(CALL, 0, 0, 0, 131));
                let check = c.below(8) != 0;
                let release = c.below(8) != 0;
                if check {
                    out.push(Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1 + 3 * release as i16, 0));
                }
                let size = c.pick(&sizes);
                let off = if c.below(4) == 0 {
                    c.below(20) as i16 - 2
                } else {
                    c.below(9 - size_bytes(size).min(8) as u32) as i16
                };
                out.push(Insn::new(BPF_ST | BPF_MEM | size, 0, 0, off, 1));
                if release {
                    out.push(movr(1, 0));
                    out.push(mov64(2, 0));
                    out.push(Insn::new(CALL, 0, 0, 0, c.pick(&[132, 133])));
                }
            }
            16 => {
                // Atomic read-modify-write on the stack or a map value.
                let imm = c.pick(&[0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
                let size = c.pick(&[BPF_W, BPF_DW, BPF_DW, BPF_B]);
                let (base, off) = if c.below(2) == 0 {
                    (10u8, -8 * (1 + c.below(8) as i16))
                } else {
                    load_map(&mut out, &mut maps, 4, 2, Some(0));
                    (4u8, c.pick(&[0, 4, 8, -4]))
                };
                out.push(mov64(3, c.below(5) as i32));
                out.push(Insn::new(BPF_STX | BPF_ATOMIC | size, base, 3, off, imm));
            }
            17 => {
                // Load-acquire / store-release on the stack.
                let size = c.pick(&sizes);
                let off = -(c.below(40) as i16) - 1;
                let off = if c.below(4) != 0 {
                    off / size_bytes(size) * size_bytes(size)
                } else {
                    off
                };
                let off = if off == 0 { -8 } else { off };
                out.push(if c.below(2) == 0 {
                    Insn::new(BPF_STX | BPF_ATOMIC | size, dst, 10, off, BPF_LOAD_ACQ)
                } else {
                    Insn::new(BPF_STX | BPF_ATOMIC | size, 10, src, off, BPF_STORE_REL)
                });
            }
            18 => {
                // A bpf-to-bpf call: ctx or a constant in r1.
                let ctx_arg = c.below(2) == 0;
                out.push(if ctx_arg {
                    movr(1, 6)
                } else {
                    mov64(1, c.below(9) as i32)
                });
                pending_calls.push((out.len(), ctx_arg, c.below(4) == 0));
                out.push(Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, 0));
            }
            19 => {
                // A counted loop over the stack below fp - 64, as clang
                // emits `for (i = start; i != n; i += step) acc += p[i]`
                // (the JIT unrolls these), maybe leaving early on a value.
                let iv = c.pick(&[3u8, 7, 8, 9]);
                let step = c.pick(&[1, 1, 2, 4, 8]);
                let start = c.below(3) as i32;
                let n = start + step * (1 + c.below(8) as i32);
                out.push(mov64(2, 0));
                out.push(mov64(iv, start));
                let head = out.len();
                out.push(movr(4, iv));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, 10, 0, 0));
                let size = c.pick(&[BPF_B, BPF_H, BPF_W]);
                out.push(Insn::new(BPF_LDX | BPF_MEM | size, 5, 4, -64, 0));
                let inc_first = c.below(2) == 0;
                if inc_first {
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, iv, 0, 0, step));
                }
                let exit_at = (c.below(2) == 0).then(|| {
                    out.push(Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 0, c.below(8) as i32));
                    out.len() - 1
                });
                out.push(Insn::new(BPF_ALU64 | c.pick(&[BPF_ADD, BPF_XOR]) | BPF_X, 2, 5, 0, 0));
                if c.below(4) == 0 {
                    out.push(Insn::new(BPF_STX | BPF_MEM | size, 4, 2, -64, 0));
                }
                if !inc_first {
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, iv, 0, 0, step));
                }
                let back = crate::isa::cfg::rel(out.len(), head as i64);
                out.push(Insn::new(BPF_JMP | BPF_JNE | BPF_K, iv, 0, back as i16, n));
                if let Some(at) = exit_at {
                    out[at].off = (out.len() - at - 1) as i16;
                }
            }
            _ => {
                // A raw mutation: any instruction word.
                let b: Vec<u8> = (0..8).map(|_| c.byte()).collect();
                let mut w = [0u8; 8];
                w.copy_from_slice(&b);
                let insn = Insn::from_bytes(w);
                if !insn.is_ld_imm64() {
                    out.push(insn);
                }
            }
        }
    }
    out.push(mov64(0, 0));
    out.push(Insn::new(EXIT, 0, 0, 0, 0));
    let main_len = out.len();
    // Callees after the main program: each reads its argument (through
    // ctx or a stack round trip) and returns a scalar.
    for (pc, ctx_arg, bad) in pending_calls {
        let start = out.len();
        out[pc].imm = (start - pc - 1) as i32;
        if ctx_arg {
            out.push(Insn::new(BPF_LDX | BPF_MEM | BPF_W, 0, 1, if bad { -4 } else { 4 }, 0));
        } else {
            let off = if bad { -520 } else { -8 };
            out.push(Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, 1, off, 0));
            out.push(Insn::new(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, off, 0));
        }
        out.push(Insn::new(BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 7));
        out.push(Insn::new(EXIT, 0, 0, 0, 0));
    }
    // Jumps must land inside the main program and not in an ld_imm64's
    // tail.
    let len = main_len;
    for pc in pending_jumps {
        let t = crate::isa::cfg::target(pc, out[pc].off as i64);
        if t >= len as i64 || maps.iter().any(|m| m.pc + 1 == t as usize) {
            out[pc].off = 0;
        }
    }
    SoundProgram {
        prog_type,
        insns: out,
        maps,
        ctx,
    }
}

/// `dst = map` (`value_off` None) or `dst = &map's value + value_off`: one
/// ld_imm64, recorded as the verifier's map reference.
fn load_map(out: &mut Vec<Insn>, maps: &mut Vec<MapRef>, dst: u8, map: usize, value_off: Option<u32>) {
    use crate::isa::opcode::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, LD_IMM64};
    maps.push(MapRef {
        pc: out.len(),
        map: sound_shape(map),
        value_off,
        inner: None,
    });
    let src = if value_off.is_some() {
        BPF_PSEUDO_MAP_VALUE
    } else {
        BPF_PSEUDO_MAP_FD
    };
    out.push(Insn::new(LD_IMM64, dst, src, 0, 0));
    out.push(Insn::new(0, 0, 0, 0, 0));
}

fn sound_shape(i: usize) -> MapShape {
    let (map_type, key_size, value_size, max_entries) = SOUND_MAPS[i];
    MapShape {
        key_size,
        value_size,
        map_type,
        max_entries,
        map_flags: 0,
        index: i as u32,
        ..MapShape::default()
    }
}

pub fn sound_seed_bytes(seed: u64, n: u64) -> Vec<u8> {
    let mut g = ProgramGen::new(seed ^ n.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let len = 64 + g.below(448) as usize;
    (0..len).map(|_| g.next() as u8).collect()
}
