//! The disassembler against the real kernel: every pair recorded by
//! tests/fixtures/disasm/record.py from a Linux verifier log must come out
//! of `disasm` byte for byte.

mod common;

use common::isa::{valid_opcodes, DISASM_GOLDEN};

use std::collections::{BTreeSet, HashMap};

use userbpf::isa::disasm::{disasm_with, Symbolizer};
use userbpf::isa::{decode_at, CallKind, Insn, Instruction};

/// The kfunc names the kernel took from its BTF (`# kfunc ID NAME`).
struct KfuncNames(HashMap<i32, String>);

impl Symbolizer for KfuncNames {
    fn call_name(&self, _pc: usize, call: CallKind) -> Option<String> {
        match call {
            CallKind::Kfunc { btf_id, .. } => self.0.get(&btf_id).cloned(),
            _ => None,
        }
    }
}

struct Pair {
    line: usize,
    slots: Vec<Insn>,
    text: &'static str,
}

fn parse_golden() -> (Vec<Pair>, KfuncNames) {
    let mut pairs = Vec::new();
    let mut kfuncs = HashMap::new();
    for (i, line) in DISASM_GOLDEN.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("# kfunc ") {
            let (id, name) = rest.split_once(' ').expect("# kfunc ID NAME");
            kfuncs.insert(id.parse().expect("kfunc id"), name.to_string());
            continue;
        }
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let (hex, text) = line.split_once('\t').expect("hex<TAB>text");
        let slots = hex
            .split(' ')
            .map(|h| {
                let bytes: Vec<u8> = (0..16)
                    .step_by(2)
                    .map(|j| u8::from_str_radix(&h[j..j + 2], 16).expect("hex"))
                    .collect();
                Insn::from_bytes(bytes.try_into().expect("8 bytes"))
            })
            .collect();
        pairs.push(Pair {
            line: i + 1,
            slots,
            text,
        });
    }
    (pairs, KfuncNames(kfuncs))
}

/// A coarse name of the instruction's form, to check the fixture's coverage.
fn form(ins: &Instruction) -> &'static str {
    match ins {
        Instruction::Alu { .. } => "alu",
        Instruction::MovSx { .. } => "movsx",
        Instruction::AddrSpaceCast { .. } => "addr_space_cast",
        Instruction::Neg { .. } => "neg",
        Instruction::End { .. } => "end",
        Instruction::LdImm64 { .. } => "ld_imm64",
        Instruction::LdAbs { .. } => "ld_abs",
        Instruction::LdInd { .. } => "ld_ind",
        Instruction::Load { .. } => "load",
        Instruction::StoreImm { .. } => "store_imm",
        Instruction::StoreReg { .. } => "store_reg",
        Instruction::Atomic { .. } => "atomic",
        Instruction::Ja { .. } => "ja",
        Instruction::Ja32 { .. } => "ja32",
        Instruction::Jcond { .. } => "jcond",
        Instruction::MayGoto { .. } => "may_goto",
        Instruction::Call(CallKind::Helper(_)) => "call helper",
        Instruction::Call(CallKind::Local(_)) => "call local",
        Instruction::Call(CallKind::Kfunc { .. }) => "call kfunc",
        Instruction::CallX { .. } => "callx",
        Instruction::Exit => "exit",
    }
}

#[test]
fn disasm_matches_the_kernel() {
    let (pairs, kfuncs) = parse_golden();
    let mut failures = Vec::new();
    let mut forms = BTreeSet::new();
    let mut opcodes = BTreeSet::new();
    for p in &pairs {
        let ins = match decode_at(&p.slots, 0) {
            Ok((ins, n)) if n == p.slots.len() => ins,
            other => {
                failures.push(format!("line {}: decodes to {other:?}", p.line));
                continue;
            }
        };
        forms.insert(form(&ins));
        opcodes.insert(p.slots[0].code);
        let ours = disasm_with(&ins, 0, &kfuncs);
        if ours != p.text {
            failures.push(format!("line {}: kernel `{}`, userbpf `{ours}`", p.line, p.text));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} pairs differ:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
    // The fixture must keep covering every form the kernel can print
    // (callx is refused before the verifier prints anything).
    let missing: Vec<_> = [
        "alu",
        "movsx",
        "addr_space_cast",
        "neg",
        "end",
        "ld_imm64",
        "ld_abs",
        "ld_ind",
        "load",
        "store_imm",
        "store_reg",
        "atomic",
        "ja",
        "ja32",
        "jcond",
        "may_goto",
        "call helper",
        "call local",
        "call kfunc",
        "exit",
    ]
    .into_iter()
    .filter(|f| !forms.contains(f))
    .collect();
    assert!(missing.is_empty(), "fixture lacks {missing:?}");
    assert!(pairs.len() > 1000, "only {} pairs", pairs.len());
    let valid = valid_opcodes().to_vec();
    // 53 ALU/ALU64 + 50 JMP/JMP32 + 26 load/store opcodes, counted by hand.
    assert!(valid.len() >= 129, "decoder accepts only {} opcodes", valid.len());
    let absent: Vec<String> = valid
        .into_iter()
        .filter(|c| !opcodes.contains(c) && *c != 0x8d)
        .map(|c| format!("{c:#04x}"))
        .collect();
    assert!(absent.is_empty(), "fixture lacks opcodes {absent:?}");
}
