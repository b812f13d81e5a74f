//! convert_ctx_accesses() for the packet pointers of a context: a 32-bit
//! load of `__sk_buff.data` (or `data_end`, `data_meta`, or the `xdp_md`
//! ones) through a context pointer becomes a 64-bit load of the shadow slot
//! that holds the guest address (see [`crate::runtime::ctx_layout`]).
//!
//! The kernel knows which loads go through the context from the types the
//! verifier recorded per instruction. Here a small must-analysis finds them
//! on its own, so the rewrite also holds for programs the full verifier
//! does not model yet: a register holds the context when it does on every
//! path (r1 at entry, copies by `mov`, 8-byte spills and fills at constant
//! frame offsets, arguments of bpf-to-bpf calls). The verifier refuses a
//! load that sees the context on one path and another pointer on another,
//! and pointer arithmetic on the context, so "on every path, base + const"
//! is exactly the kernel's set.

use crate::isa::opcode::*;
use crate::isa::Insn;
use crate::runtime::ctx_layout::{self, CtxLayout};

/// Which registers and 8-byte stack slots hold the context.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Facts {
    regs: u16,
    /// Frame offsets (from r10) of spilled context pointers, sorted.
    slots: Vec<i16>,
}

impl Facts {
    fn meet(&mut self, other: &Facts) -> bool {
        let regs = self.regs & other.regs;
        let slots: Vec<i16> = self.slots.iter().copied().filter(|s| other.slots.contains(s)).collect();
        let changed = regs != self.regs || slots != self.slots;
        self.regs = regs;
        self.slots = slots;
        changed
    }

    fn is_ctx(&self, r: u8) -> bool {
        r < 11 && self.regs & (1 << r) != 0
    }

    fn set(&mut self, r: u8, ctx: bool) {
        if r < 11 {
            if ctx {
                self.regs |= 1 << r;
            } else {
                self.regs &= !(1 << r);
            }
        }
    }

    /// A store of `len` bytes at r10 + `off` overwrites overlapping slots.
    fn clobber(&mut self, off: i16, len: i16) {
        let (lo, hi) = (off as i32, off as i32 + len as i32);
        self.slots.retain(|&s| s as i32 + 8 <= lo || s as i32 >= hi);
    }
}

/// Rewrite the context's packet-pointer loads of `insns` for `prog_type`.
/// Returns how many loads were rewritten.
pub fn convert_ctx_accesses(insns: &mut [Insn], prog_type: u32) -> usize {
    let Some(layout) = ctx_layout::layout(prog_type) else {
        return 0;
    };
    let facts = analyse(insns);
    let mut converted = 0;
    for (pc, f) in facts.iter().enumerate() {
        let Some(f) = f else { continue };
        let i = insns[pc];
        if i.code == BPF_LDX | BPF_MEM | BPF_W && f.is_ctx(i.src) {
            if let Some(shadow) = shadow_of(layout, i.off) {
                insns[pc] = Insn::new(BPF_LDX | BPF_MEM | BPF_DW, i.dst, i.src, shadow, 0);
                converted += 1;
            }
        }
    }
    converted
}

/// aux->max_ctx_offset: the end of the furthest context access (loads and
/// stores through a register holding the context), which the test runs of
/// raw tracepoints and syscall programs compare with ctx_size_in.
pub fn max_ctx_offset(insns: &[Insn]) -> u32 {
    let facts = analyse(insns);
    let mut max = 0u32;
    for (pc, f) in facts.iter().enumerate() {
        let Some(f) = f else { continue };
        let i = insns[pc];
        let base = match class(i.code) {
            BPF_LDX => i.src,
            BPF_ST | BPF_STX => i.dst,
            _ => continue,
        };
        if f.is_ctx(base) && i.off >= 0 {
            let end = i.off as u32 + size_bytes(size(i.code)) as u32;
            max = max.max(end);
        }
    }
    max
}

fn shadow_of(layout: &CtxLayout, off: i16) -> Option<i16> {
    layout.pointer_fields.iter().find(|(u, _)| *u == off).map(|(_, s)| *s)
}

/// The facts holding before each instruction (None: unreached).
fn analyse(insns: &[Insn]) -> Vec<Option<Facts>> {
    let n = insns.len();
    let mut at: Vec<Option<Facts>> = vec![None; n];
    let mut work: Vec<usize> = Vec::new();
    let flow = |at: &mut Vec<Option<Facts>>, work: &mut Vec<usize>, pc: usize, f: &Facts| {
        if pc >= n {
            return;
        }
        match &mut at[pc] {
            Some(old) => {
                if old.meet(f) {
                    work.push(pc);
                }
            }
            slot @ None => {
                *slot = Some(f.clone());
                work.push(pc);
            }
        }
    };
    if n == 0 {
        return at;
    }
    flow(
        &mut at,
        &mut work,
        0,
        &Facts {
            regs: 1 << 1,
            slots: Vec::new(),
        },
    );
    while let Some(pc) = work.pop() {
        let Some(mut f) = at[pc].clone() else { continue };
        let i = insns[pc];
        let cls = class(i.code);
        let mut next = pc + 1;
        match cls {
            BPF_ALU | BPF_ALU64 => {
                let is_copy = cls == BPF_ALU64 && i.code == BPF_ALU64 | BPF_MOV | BPF_X && i.off == 0;
                let ctx = is_copy && f.is_ctx(i.src);
                f.set(i.dst, ctx);
            }
            BPF_LD => {
                f.set(0, false);
                if i.code == LD_IMM64 {
                    f.set(i.dst, false);
                    next = pc + 2;
                } else {
                    // LD_ABS/LD_IND clobber r1..r5 as a call does.
                    for r in 1..=5 {
                        f.set(r, false);
                    }
                }
            }
            BPF_LDX => {
                let fill = i.code == BPF_LDX | BPF_MEM | BPF_DW && i.src == 10 && f.slots.contains(&i.off);
                f.set(i.dst, fill);
            }
            BPF_ST | BPF_STX => {
                let len = size_bytes(size(i.code)) as i16;
                if mode(i.code) == BPF_ATOMIC {
                    if i.imm & BPF_FETCH != 0 {
                        f.set(i.src, false);
                    }
                    if i.imm == BPF_CMPXCHG {
                        f.set(0, false);
                    }
                    if i.imm == BPF_LOAD_ACQ {
                        f.set(i.dst, false);
                    }
                }
                if i.dst == 10 {
                    f.clobber(i.off, len);
                    if cls == BPF_STX && mode(i.code) == BPF_MEM && len == 8 && f.is_ctx(i.src) {
                        f.slots.push(i.off);
                        f.slots.sort_unstable();
                    }
                }
            }
            BPF_JMP | BPF_JMP32 => {
                let o = op(i.code);
                if i.code == EXIT {
                    continue;
                }
                if o == BPF_CALL {
                    if let Some(target) = i.callee_target(pc) {
                        if (0..n as i64).contains(&target) {
                            let entry = Facts {
                                regs: f.regs & 0b11_1110,
                                slots: Vec::new(),
                            };
                            flow(&mut at, &mut work, target as usize, &entry);
                        }
                    }
                    for r in 0..=5 {
                        f.set(r, false);
                    }
                } else {
                    // JMP32 | EXIT (refused before any fixup) reads as a jump by `off`.
                    let target = i.jump_target(pc).unwrap_or(crate::isa::cfg::target(pc, i.off as i64));
                    if (0..n as i64).contains(&target) {
                        flow(&mut at, &mut work, target as usize, &f);
                    }
                    if i.is_goto() {
                        continue;
                    }
                }
            }
            _ => {}
        }
        flow(&mut at, &mut work, next, &f);
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uapi::helper_ids::func::*;
    use crate::uapi::types::prog_type as pt;

    fn ldx(size: u8, dst: u8, src: u8, off: i16) -> Insn {
        Insn::new(BPF_LDX | BPF_MEM | size, dst, src, off, 0)
    }
    const EXIT_I: Insn = Insn::new(EXIT, 0, 0, 0, 0);

    #[test]
    fn direct_loads_of_xdp_data_become_shadow_loads() {
        let mut p = vec![ldx(BPF_W, 2, 1, 0), ldx(BPF_W, 3, 1, 4), ldx(BPF_W, 4, 1, 12), EXIT_I];
        assert_eq!(convert_ctx_accesses(&mut p, pt::XDP), 2);
        assert_eq!(p[0], ldx(BPF_DW, 2, 1, 24));
        assert_eq!(p[1], ldx(BPF_DW, 3, 1, 32));
        assert_eq!(p[2], ldx(BPF_W, 4, 1, 12), "ingress_ifindex is a scalar field");
    }

    #[test]
    fn copies_and_spills_keep_the_context_and_calls_drop_it() {
        let mut p = vec![
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),  // r6 = r1
            Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, 6, -8, 0), // *(u64 *)(r10 -8) = r6
            Insn::new(CALL, 0, 0, 0, BPF_FUNC_KTIME_GET_NS),     // call ktime: r1 gone
            ldx(BPF_DW, 7, 10, -8),                              // r7 = ctx (fill)
            ldx(BPF_W, 2, 7, 76),                                // skb->data via r7
            ldx(BPF_W, 3, 1, 80),                                // r1 is no longer ctx
            ldx(BPF_W, 4, 6, 80),                                // r6 survives the call
            EXIT_I,
        ];
        assert_eq!(convert_ctx_accesses(&mut p, pt::SCHED_CLS), 2);
        assert_eq!(p[4], ldx(BPF_DW, 2, 7, 192));
        assert_eq!(p[5], ldx(BPF_W, 3, 1, 80));
        assert_eq!(p[6], ldx(BPF_DW, 4, 6, 200));
    }

    #[test]
    fn a_register_that_is_ctx_on_one_path_only_is_not_converted() {
        let mut p = vec![
            Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 0),   // if r1 == 0 goto +1
            Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 0), // r1 = 0
            ldx(BPF_W, 2, 1, 0),
            EXIT_I,
        ];
        assert_eq!(convert_ctx_accesses(&mut p, pt::XDP), 0);
    }

    #[test]
    fn subprograms_see_the_context_passed_in_r1() {
        let mut p = vec![
            Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, 1), // call +1
            EXIT_I,
            ldx(BPF_W, 0, 1, 4), // subprog: xdp->data_end
            EXIT_I,
        ];
        assert_eq!(convert_ctx_accesses(&mut p, pt::XDP), 1);
        assert_eq!(p[2], ldx(BPF_DW, 0, 1, 32));
    }

    #[test]
    fn max_ctx_offset_is_the_end_of_the_furthest_access() {
        let p = vec![
            ldx(BPF_DW, 2, 1, 8),
            Insn::new(BPF_ST | BPF_MEM | BPF_W, 1, 0, 0, 7),
            ldx(BPF_DW, 3, 10, -8), // not the context
            EXIT_I,
        ];
        assert_eq!(max_ctx_offset(&p), 16);
    }

    #[test]
    fn types_without_packet_pointers_are_untouched() {
        let mut p = vec![ldx(BPF_W, 2, 1, 0), EXIT_I];
        assert_eq!(convert_ctx_accesses(&mut p, pt::KPROBE), 0);
    }
}
