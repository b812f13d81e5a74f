//! A program's control-flow graph in Graphviz DOT (`prog dump xlated
//! visual`, as bpftool draws it): one node per basic block holding its
//! instructions as the kernel prints them, solid edges for jumps and
//! fall-through, dashed ones to called subprograms. Instructions in
//! `highlight` (a rejected path from the verifier log) are marked red,
//! with the edges between them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use super::decode::{decode, DecodeError};
use super::disasm::disasm;
use super::{cfg, Insn};

/// Where control goes after the instruction at `pc`, in the program, and
/// the subprogram it calls.
fn successors(slots: &[Insn], pc: usize) -> (Vec<usize>, Option<usize>) {
    let inside = |t: i64| usize::try_from(t).ok().filter(|&t| t < slots.len());
    let succ = cfg::successors(slots, pc)
        .into_iter()
        .flatten()
        .filter_map(inside)
        .collect();
    (succ, slots[pc].callee_target(pc).and_then(inside))
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('{', "\\{")
        .replace('}', "\\}")
        .replace('<', "\\<")
        .replace('>', "\\>")
        .replace('|', "\\|")
}

/// The DOT text of `slots`' control-flow graph.
pub fn cfg_dot(slots: &[Insn], highlight: &BTreeSet<usize>) -> Result<String, DecodeError> {
    let insns = decode(slots)?;
    let len = slots.len();
    let mut leaders = BTreeSet::from([0usize]);
    for &(pc, _) in &insns {
        let (succ, call) = successors(slots, pc);
        let falls = pc + slots[pc].slots();
        if succ.len() != 1 || succ[0] != falls {
            leaders.extend(succ.iter().copied());
            leaders.insert(falls);
        }
        leaders.extend(call);
    }
    leaders.retain(|&l| l < len);
    // Blocks: leader -> its instructions.
    let mut blocks: BTreeMap<usize, Vec<(usize, String)>> = BTreeMap::new();
    let mut current = 0;
    for (pc, ins) in &insns {
        if leaders.contains(pc) {
            current = *pc;
        }
        blocks.entry(current).or_default().push((*pc, disasm(ins, *pc)));
    }
    let block_of = |pc: usize| *leaders.range(..=pc).next_back().unwrap_or(&0);
    let mut out = String::from("digraph \"cfg\" {\n\tnode [shape=record fontname=\"monospace\" fontsize=10];\n");
    for (start, lines) in &blocks {
        let hot = lines.iter().any(|(pc, _)| highlight.contains(pc));
        let label: Vec<String> = lines.iter().map(|(pc, t)| format!("{pc}: {}\\l", escape(t))).collect();
        let style = if hot { " color=red fontcolor=red penwidth=2" } else { "" };
        let _ = writeln!(out, "\tb{start} [label=\"{{{}}}\"{style}];", label.join("|"));
    }
    for (start, lines) in &blocks {
        let &(last, _) = lines.last().expect("a block has an instruction");
        let (succ, call) = successors(slots, last);
        for s in succ {
            let hot = highlight.contains(&last) && highlight.contains(&s);
            let style = if hot { " [color=red penwidth=2]" } else { "" };
            let _ = writeln!(out, "\tb{start} -> b{}{style};", block_of(s));
        }
        for (pc, _) in lines {
            if let (_, Some(callee)) = successors(slots, *pc) {
                let _ = writeln!(out, "\tb{start} -> b{callee} [style=dashed];");
            }
        }
        let _ = call;
    }
    out.push_str("}\n");
    Ok(out)
}

/// The instruction indices a verifier log walked (its `N: (xx) ...` lines).
pub fn path_from_log(log: &str) -> BTreeSet<usize> {
    log.lines()
        .filter_map(|l| {
            let (n, rest) = l.split_once(": (")?;
            rest.get(..2).filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()))?;
            n.trim().parse().ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::opcode::EXIT;

    #[test]
    fn a_branch_makes_three_blocks_and_the_path_is_red() {
        let p = [
            Insn::new(0xb7, 0, 0, 0, 0), // 0: r0 = 0
            Insn::new(0x15, 1, 0, 1, 0), // 1: if r1 == 0 goto +1
            Insn::new(0xb7, 0, 0, 0, 1), // 2: r0 = 1
            Insn::new(EXIT, 0, 0, 0, 0), // 3: exit
        ];
        let path = path_from_log("0: (b7) r0 = 0\n1: (15) if r1 == 0x0 goto pc+1\n3: (95) exit\nR0 !read_ok\n");
        assert_eq!(path, BTreeSet::from([0, 1, 3]));
        let dot = cfg_dot(&p, &path).unwrap();
        assert!(
            dot.contains("b0 [label=\"{0: (b7) r0 = 0\\l|1: (15) if r1 == 0x0 goto pc+1\\l}\" color=red"),
            "{dot}"
        );
        assert!(dot.contains("b0 -> b2;"), "{dot}");
        assert!(dot.contains("b0 -> b3 [color=red penwidth=2];"), "{dot}");
        assert!(dot.contains("b2 -> b3;"), "{dot}");
        assert!(!dot.contains("b2 [label=\"{2: (b7) r0 = 1\\l}\" color=red"), "{dot}");
    }
}
