//! Entry points for fuzz targets (fuzz/fuzz_targets/*) and the property
//! tests that run the same code in CI. Each takes arbitrary bytes and must
//! never panic; where an oracle exists it asserts it.
//!
//! - this file: the decoder, interpreter, assembler and ELF loader entries
//! - [`program_gen`]: the seeded generator of well-formed programs
//! - [`differential`]: the JIT against the interpreter, and campaigns
//! - [`sound_gen`] and [`soundness`]: programs for the verifier, and the
//!   check that what it accepts runs without a fault
//! - [`engines`]: the engines agree through the whole load path

pub(crate) mod differential;
pub mod engines;
pub(crate) mod program_gen;
pub(crate) mod sound_gen;
pub(crate) mod soundness;

pub use differential::{
    assert_agree, compare_engines, diff_campaign, diff_helpers, jit_vs_interp, run_engine, DiffRun, DiffStats, Engine,
    Outcome,
};
pub(crate) use program_gen::ProgramGen;
pub(crate) use sound_gen::SOUND_MAPS;
pub use sound_gen::{sound_program, sound_seed_bytes, SoundProgram};
pub use soundness::{check_soundness, sound_verifier_message, verifier_soundness, SoundVerdict};

use crate::exec::{
    AlignedBuf, Executor, GuestMemory, HelperTable, Interpreter, LdAbsPacket, Program, RegionKind, RunOptions,
};
use crate::isa::{decode, encode, insns_from_bytes, Insn, INSN_SIZE};

/// Instructions from arbitrary bytes (a trailing partial slot is dropped).
fn slots(data: &[u8]) -> Vec<Insn> {
    let whole = data.len() / INSN_SIZE * INSN_SIZE;
    insns_from_bytes(&data[..whole]).expect("whole slots")
}

/// The input layout of [`run_bytes`] and [`jit_vs_interp`]: the first byte
/// sizes a memory buffer taken from the rest, what follows is the program
/// (None: empty input, or a program that does not decode).
fn split_input(data: &[u8]) -> Option<(&[u8], Program)> {
    let (&mem_len, rest) = data.split_first()?;
    let (memory, program) = rest.split_at((mem_len as usize).min(rest.len()));
    Some((memory, Program::new(slots(program)).ok()?))
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
    let Some((memory, prog)) = split_input(data) else {
        return;
    };
    let helpers = HelperTable::conformance();
    let mut buf = AlignedBuf::from_bytes(memory);
    let mut mem = GuestMemory::new();
    let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
    let opts = RunOptions {
        budget: Some(10_000),
        packet: Some(LdAbsPacket::linear(addr, memory.len() as u32)),
    };
    let _ = Interpreter::new(&prog, &helpers).run(&mut mem, &[addr, memory.len() as u64], &opts);
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

/// ELF loader: arbitrary bytes either fail to parse with an [`ObjError`]
/// or give an object that is loaded (maps created, code relocated and
/// linked, every program through BPF_PROG_LOAD) into a fresh instance
/// with a 4 MiB memlock limit (big maps fail fast); once the object is dropped nothing of it
/// is left. The same bytes as raw BTF parse or fail cleanly, and what
/// parses dumps.
///
/// [`ObjError`]: crate::obj::ObjError
pub fn load_object(data: &[u8]) {
    use crate::obj::{LoadOptions, LoadedObject, Object};
    if let Ok(btf) = crate::btf::Btf::parse(data) {
        let _ = crate::btf::dump::dump_raw(&btf);
    }
    let Ok(obj) = Object::parse("fuzz", data) else {
        return;
    };
    // The structural verifier: path exploration has its own fuzzing, and a
    // mutated program can keep it busy for seconds (see
    // fuzz/findings/), starving the loader of executions.
    let bpf = crate::Bpf::new(crate::Config {
        memlock_limit: Some(4 << 20),
        verifier: crate::verifier::VerifierMode::Structural,
        ..crate::Config::default()
    });
    let p = bpf.process(crate::Creds::ROOT);
    // The object's own BTF is a valid CO-RE target (relocations resolve to
    // their local values).
    let opts = LoadOptions {
        target_btf: obj.btf.clone(),
        ..LoadOptions::default()
    };
    if let Ok(mut loaded) = LoadedObject::prepare(&p, &obj, &opts) {
        for prog in &obj.programs {
            let _ = loaded.load_program(prog.name(), 0);
        }
    }
    assert_eq!(bpf.map_count(), 0, "maps left after the object was dropped");
    assert_eq!(bpf.prog_count(), 0, "programs left after the object was dropped");
}
