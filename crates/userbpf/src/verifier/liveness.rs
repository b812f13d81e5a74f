//! Register liveness before each instruction (compute_live_registers, as
//! Linux 6.18 computes it before the walk): a register is live at an
//! instruction when some path from it reads the register before writing
//! it. Explored states forget their dead registers (clean_func_state), so
//! two states differing only in dead registers compare equal.

use crate::helpers::proto::{default_proto, ArgBase};
use crate::isa::opcode::*;
use crate::isa::Insn;

/// R0..R5, clobbered by calls.
const CALLER_SAVED: u16 = 0x3f;

/// (use, def) masks of the instruction at `pc` (compute_insn_live_regs).
fn use_def(insns: &[Insn], pc: usize) -> (u16, u16) {
    let i = insns[pc];
    let dst = 1u16 << (i.dst & 0xf);
    let src = 1u16 << (i.src & 0xf);
    let code = i.code;
    let is_x = source(code) == BPF_X;
    match class(code) {
        BPF_ALU | BPF_ALU64 => match op(code) {
            BPF_END => (dst, dst),
            BPF_MOV => (if is_x { src } else { 0 }, dst),
            _ => (if is_x { dst | src } else { dst }, dst),
        },
        BPF_LD => match mode(code) {
            BPF_IMM => (0, dst),
            BPF_IND => (1 << 6 | src, CALLER_SAVED),
            _ => (1 << 6, CALLER_SAVED),
        },
        BPF_LDX => (src, dst),
        BPF_ST => (dst, 0),
        BPF_STX if mode(code) == BPF_ATOMIC => {
            if i.imm == BPF_CMPXCHG {
                (dst | src | 1, 1)
            } else if i.imm & BPF_FETCH != 0 {
                (dst | src, src)
            } else {
                (dst | src, 0)
            }
        }
        BPF_STX => (dst | src, 0),
        _ => match op(code) {
            BPF_JA => (0, 0),
            BPF_EXIT => (1, 0),
            BPF_CALL => {
                // A helper reads the arguments of its prototype; anything
                // else (subprograms, unmodelled helpers) R1-R5.
                let n = match (i.src, default_proto(i.imm)) {
                    (0, Some(p)) => p.arg_type.iter().take_while(|a| a.base != ArgBase::DontCare).count(),
                    _ => 5,
                };
                (((1u16 << (n + 1)) - 1) & !1, CALLER_SAVED)
            }
            _ => (if is_x { dst | src } else { dst }, 0),
        },
    }
}

/// Per instruction slot: the registers live before it (bit i: Ri).
pub(super) fn live_regs_before(insns: &[Insn], decoded_at: &[bool]) -> Vec<u16> {
    let n = insns.len();
    let mut live = vec![0u16; n];
    let ud: Vec<(u16, u16)> = (0..n)
        .map(|pc| if decoded_at[pc] { use_def(insns, pc) } else { (0, 0) })
        .collect();
    let mut changed = true;
    while changed {
        changed = false;
        for pc in (0..n).rev() {
            if !decoded_at[pc] {
                continue;
            }
            let mut after = 0u16;
            for s in crate::isa::cfg::successors(insns, pc).into_iter().flatten() {
                if let Some(&l) = usize::try_from(s).ok().and_then(|s| live.get(s)) {
                    after |= l;
                }
            }
            let (u, d) = ud[pc];
            let before = u | (after & !d);
            if before != live[pc] {
                live[pc] = before;
                changed = true;
            }
        }
    }
    live
}

/// compute_scc(): per instruction, the number of the loop (non-trivial
/// strongly connected component of the CFG, calls falling through) it is
/// in, 0 if none; numbered 1, 2, ... as Tarjan's walk from instruction 0
/// completes them.
pub(super) fn scc_ids(insns: &[Insn], decoded_at: &[bool]) -> Vec<u32> {
    let n = insns.len();
    let succ = |pc: usize| -> Vec<usize> {
        crate::isa::cfg::successors(insns, pc)
            .into_iter()
            .flatten()
            .filter_map(|s| usize::try_from(s).ok().filter(|&s| s < n))
            .collect()
    };
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut ids = vec![0u32; n];
    let mut next_index = 0;
    let mut next_id = 0;
    for root in 0..n {
        if !decoded_at[root] || index[root] != usize::MAX {
            continue;
        }
        // (node, its successors, next successor to visit)
        let mut dfs: Vec<(usize, Vec<usize>, usize)> = vec![(root, succ(root), 0)];
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, ss, i)) = dfs.last_mut() {
            let v = *v;
            if let Some(&w) = ss.get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    let sw = succ(w);
                    dfs.push((w, sw, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            dfs.pop();
            if let Some((u, _, _)) = dfs.last() {
                low[*u] = low[*u].min(low[v]);
            }
            if low[v] == index[v] {
                let mut members = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    members.push(w);
                    if w == v {
                        break;
                    }
                }
                let self_loop = succ(v).contains(&v);
                if members.len() > 1 || self_loop {
                    next_id += 1;
                    for w in members {
                        ids[w] = next_id;
                    }
                }
            }
        }
    }
    ids
}

/// The level-2 table compute_live_registers prints: per instruction, its
/// loop number if in one, the live registers (a digit each, `.` if dead)
/// and the instruction.
pub(super) fn live_regs_table(decoded: &[Option<crate::isa::Instruction>], live: &[u16], scc: &[u32]) -> String {
    let mut s = String::from("Live regs before insn:\n");
    for (pc, ins) in decoded.iter().enumerate() {
        let Some(ins) = ins else { continue };
        let regs: String = (0..10)
            .map(|r| {
                if live[pc] & (1 << r) != 0 {
                    char::from(b'0' + r)
                } else {
                    '.'
                }
            })
            .collect();
        let loop_no = match scc[pc] {
            0 => "    ".to_string(),
            id => format!("{id:3} "),
        };
        s.push_str(&format!(
            "{loop_no}{pc:3}: {regs} {}\n",
            crate::isa::disasm::disasm(ins, pc)
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ins(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
        Insn::new(code, dst, src, off, imm)
    }

    /// Derived by hand: `r0 = 1; if r1 == 100 goto +1; r0 = r2; exit`.
    #[test]
    fn live_before_each_insn() {
        let p = [
            ins(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1),
            ins(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1, 100),
            ins(BPF_ALU64 | BPF_MOV | BPF_X, 0, 2, 0, 0),
            ins(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
        ];
        let live = live_regs_before(&p, &[true; 4]);
        assert_eq!(live, vec![0b110, 0b111, 0b100, 0b1]);
    }
}
