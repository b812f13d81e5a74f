//! Entry points for fuzz targets (fuzz/fuzz_targets/*) and the property
//! tests that run the same code in CI. Each takes arbitrary bytes and must
//! never panic; where an oracle exists it asserts it.

use crate::exec::{AlignedBuf, GuestMemory, HelperTable, Interpreter, Program, RegionKind, RunOptions};
use crate::isa::{decode, encode, insns_from_bytes, Insn, INSN_SIZE};

/// Instructions from arbitrary bytes (a trailing partial slot is dropped).
fn slots(data: &[u8]) -> Vec<Insn> {
    let whole = data.len() / INSN_SIZE * INSN_SIZE;
    insns_from_bytes(&data[..whole]).expect("whole slots")
}

/// Decoder: arbitrary slots either fail with a named error or decode to
/// instructions that encode back to the very same slots, and whose lossless
/// kernel-format disassembly assembles back to them too.
pub fn decode_bytes(data: &[u8]) {
    let slots = slots(data);
    if let Ok(program) = decode(&slots) {
        let instructions: Vec<_> = program.iter().map(|(_, i)| *i).collect();
        assert_eq!(encode(&instructions), slots, "decode/encode round trip");
        for (pc, ins) in program {
            let text = crate::isa::disasm::disasm_with(&ins, pc, &crate::isa::disasm::Lossless);
            let back = crate::isa::asm::kernel::assemble_insn(&text).expect("disassembly assembles");
            assert_eq!(back, ins, "{text}");
        }
    }
}

/// Interpreter: the first byte sizes a memory buffer taken from the input,
/// the rest is the program; any well-formed program runs to an r0 or a
/// clean fault within a budget.
pub fn run_bytes(data: &[u8]) {
    let Some((&mem_len, rest)) = data.split_first() else {
        return;
    };
    let mem_len = (mem_len as usize).min(rest.len());
    let (memory, program) = rest.split_at(mem_len);
    let Ok(prog) = Program::new(slots(program)) else {
        return;
    };
    let helpers = HelperTable::conformance();
    let mut buf = AlignedBuf::from_bytes(memory);
    let mut mem = GuestMemory::new();
    let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
    let opts = RunOptions {
        budget: Some(10_000),
        packet: Some((addr, mem_len as u32)),
    };
    let _ = Interpreter::new(&prog, &helpers).run(&mut mem, &[addr, mem_len as u64], &opts);
}

/// Assemblers: arbitrary text assembles or fails with a located error;
/// whatever assembles decodes back to the instructions it came from.
pub fn assemble_text(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(program) = crate::isa::asm::ubpf::assemble(&text) {
        let slots = encode(&program);
        let decoded: Vec<_> = decode(&slots)
            .expect("assembled code decodes")
            .into_iter()
            .map(|(_, i)| i)
            .collect();
        assert_eq!(decoded, program);
    }
}
