//! `prog dump jited`: the image disassembled with iced-x86, each block
//! headed by the BPF instruction it was compiled from.

use std::fmt::Write;

use iced_x86::{Decoder, DecoderOptions, Formatter, Instruction, IntelFormatter, Mnemonic, OpKind};

use super::JitProgram;
use crate::isa::{decode, disasm};

/// The listing: `; <pc>: <bpf insn>` headers, then `addr: bytes  insn`.
pub fn listing(prog: &JitProgram) -> String {
    let code = prog.image();
    let offsets = prog.insn_offsets();
    let slots = prog.program().slots();
    let len = slots.len();
    // Headers by image offset. Jumps into the middle of an ld_imm64 and the
    // end of the program have stubs of their own.
    let mut headers: std::collections::BTreeMap<u32, Vec<String>> = Default::default();
    if let Ok(program) = decode(slots) {
        for (pc, ins) in &program {
            headers
                .entry(offsets[*pc])
                .or_default()
                .push(format!("{pc}: {}", disasm::disasm(ins, *pc)));
            if ins.slots() == 2 {
                headers
                    .entry(offsets[pc + 1])
                    .or_default()
                    .push(format!("{}: (jump into ld_imm64)", pc + 1));
            }
        }
    }
    headers
        .entry(offsets[len])
        .or_default()
        .push(format!("{len}: (end of program)"));
    headers.entry(0).or_default().insert(0, "prologue".to_string());
    for (offset, note) in &prog.notes {
        headers.entry(*offset).or_default().insert(0, note.clone());
    }

    // The native functions direct map calls reach, by address, to name the
    // `mov rax, imm64` that loads them.
    let direct: std::collections::HashMap<u64, &str> = prog
        .direct
        .iter()
        .map(|d| {
            let name = crate::uapi::helper_ids::helper_name(d.helper_id()).unwrap_or("a helper");
            (d.func.addr(), name)
        })
        .collect();
    // Stubs follow the last instruction with a header (blocks placed out
    // of line come before them).
    let last_header = headers.keys().copied().max().unwrap_or(0);
    let mut out = String::new();
    let mut decoder = Decoder::with_ip(64, code, prog.addr(), DecoderOptions::NONE);
    let mut formatter = IntelFormatter::new();
    let mut text = String::new();
    let mut ins = Instruction::default();
    let mut stubs_started = false;
    while decoder.can_decode() {
        let offset = (decoder.ip() - prog.addr()) as u32;
        if let Some(h) = headers.get(&offset) {
            for line in h {
                let _ = writeln!(out, "; {line}");
            }
        } else if offset > last_header && !stubs_started {
            stubs_started = true;
            let _ = writeln!(out, "; out-of-line stubs");
        }
        decoder.decode_out(&mut ins);
        text.clear();
        formatter.format(&ins, &mut text);
        let start = offset as usize;
        let bytes: String = code[start..start + ins.len()]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if ins.mnemonic() == Mnemonic::Mov && ins.op1_kind() == OpKind::Immediate64 {
            if let Some(name) = direct.get(&ins.immediate64()) {
                let _ = write!(text, "  ; {name}, called directly");
            }
        }
        let _ = writeln!(out, "{:>6x}: {bytes:<24} {text}", offset);
    }
    out
}
