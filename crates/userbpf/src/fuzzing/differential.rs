//! The JIT against the interpreter: one program run on both over the same
//! memory must give the same r0 or error, memory and stack; campaigns of
//! generated programs.

use crate::exec::interp::STACK_SIZE;
use crate::exec::{
    AlignedBuf, ExecError, Executor, GuestMemory, HelperExit, HelperTable, Interpreter, Jit, JitOptions, JitProgram,
    LdAbsPacket, Program, RegionKind, RunOptions,
};
pub use crate::plugin::Engine;

use super::{split_input, ProgramGen};

/// Helpers of the differential tests: the conformance table (5: unwind)
/// plus helpers that mix all arguments, store to guest memory (and may
/// fault), and fail.
pub fn diff_helpers() -> HelperTable {
    let mut t = HelperTable::conformance();
    t.register(1, "mix", |_, a| {
        Ok(a[0].rotate_left(7) ^ a[1].wrapping_mul(3) ^ a[2] ^ (a[3] << 1) ^ a[4].wrapping_add(1))
    });
    t.register(2, "store", |m, a| {
        m.store(a[0], 8, a[1])?;
        Ok(a[1] ^ 1)
    });
    t.register(3, "fail_on_zero", |_, a| {
        if a[0] == 0 {
            Err(HelperExit::Failed("r1 is 0".into()))
        } else {
            Ok(a[0].wrapping_add(1))
        }
    });
    t
}

/// Everything a run can be observed by: r0 or the error (pc and fault), the
/// caller's buffer and the stack afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub result: Result<u64, ExecError>,
    pub memory: Vec<u8>,
    pub stack: Vec<u8>,
}

/// How the differential harness runs a program.
#[derive(Clone, Copy, Debug)]
pub struct DiffRun {
    pub budget: Option<u64>,
    /// Map the buffer as the packet of LD_ABS/LD_IND too.
    pub packet: bool,
    /// Compile the JIT image with constant blinding.
    pub blind: bool,
}

/// Run `prog` on `engine` over a copy of `memory` (r1 = its address, r2 =
/// its length).
pub fn run_engine(engine: Engine, prog: &Program, memory: &[u8], run: DiffRun) -> Outcome {
    let helpers = diff_helpers();
    let mut buf = AlignedBuf::from_bytes(memory);
    let mut stack = vec![0u8; STACK_SIZE];
    let result = {
        let mut mem = GuestMemory::new();
        let fp = mem.stack_top(STACK_SIZE);
        let addr = mem.add(buf.as_mut_bytes(), RegionKind::Memory);
        let opts = RunOptions {
            budget: run.budget,
            packet: run.packet.then_some(LdAbsPacket::linear(addr, memory.len() as u32)),
        };
        let args = [addr, memory.len() as u64];
        let result = match engine {
            Engine::Interp => Interpreter::new(prog, &helpers).run(&mut mem, &args, &opts),
            Engine::Jit => {
                let options = JitOptions {
                    meter: run.budget.is_some(),
                    blind: run.blind,
                };
                let jit = JitProgram::compile(prog, options).expect("a decoded program compiles");
                Jit::new(&jit, &helpers).run(&mut mem, &args, &opts)
            }
        };
        mem.read_bytes(fp - STACK_SIZE as u64, &mut stack)
            .expect("stack mapped");
        result
    };
    Outcome {
        result,
        memory: buf.as_bytes().to_vec(),
        stack,
    }
}

/// Run `prog` on both engines; the interpreter's outcome when they agree,
/// both otherwise.
pub fn compare_engines(prog: &Program, memory: &[u8], run: DiffRun) -> Result<Outcome, Box<(Outcome, Outcome)>> {
    let interp = run_engine(Engine::Interp, prog, memory, run);
    let jit = run_engine(Engine::Jit, prog, memory, run);
    if interp == jit {
        Ok(interp)
    } else {
        Err(Box::new((interp, jit)))
    }
}

/// JIT against interpreter on arbitrary bytes (the layout of
/// [`run_bytes`]): every well-formed program must give the same r0 or
/// error, memory and stack on both, within a budget.
pub fn jit_vs_interp(data: &[u8]) {
    let Some((memory, prog)) = split_input(data) else {
        return;
    };
    assert_agree(&prog, memory, data.len() % 2 == 1);
}

/// One program of a differential campaign: the engines' outcomes, metered
/// and not (panics with both on a disagreement).
pub fn assert_agree(prog: &Program, memory: &[u8], blind: bool) -> Outcome {
    let run = DiffRun {
        budget: Some(10_000),
        packet: true,
        blind,
    };
    let disagree = |interp: &Outcome, jit: &Outcome, what: &str| -> ! {
        let text = crate::isa::disasm::disasm_program(prog.slots()).unwrap_or_default();
        panic!(
            "engines disagree ({what}) on\n{text}memory {memory:02x?}\ninterpreter: {interp:?}\njit:         {jit:?}"
        );
    };
    let outcome = match compare_engines(prog, memory, run) {
        Ok(o) => o,
        Err(both) => disagree(&both.0, &both.1, "metered JIT"),
    };
    // A run that ended within the budget takes the same path without one:
    // the unmetered image (what programs normally run) must agree too.
    let exhausted = matches!(&outcome.result, Err(e) if matches!(e.fault, crate::exec::Fault::BudgetExhausted { .. }));
    if !exhausted {
        // On a thread, watched: a wrong image may loop forever, and a
        // campaign (CI's included) must report it rather than hang.
        let (tx, rx) = std::sync::mpsc::channel();
        let (p, m) = (prog.clone(), memory.to_vec());
        let worker = std::thread::spawn(move || {
            let _ = tx.send(run_engine(Engine::Jit, &p, &m, DiffRun { budget: None, ..run }));
        });
        let got = rx.recv_timeout(std::time::Duration::from_secs(20));
        if got.is_ok() {
            // Gone, thread-locals freed, before the caller goes on (a
            // fuzzer counts what the input left allocated).
            let _ = worker.join();
        }
        match got {
            Ok(free) if free != outcome => disagree(&outcome, &free, "unmetered JIT"),
            Ok(_) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                let text = crate::isa::disasm::disasm_program(prog.slots()).unwrap_or_default();
                panic!(
                    "the unmetered JIT ran 20 s where the metered run ended within its budget:\n{text}memory {memory:02x?}"
                );
            }
            // The run panicked on its thread: run it here to report it.
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                run_engine(Engine::Jit, prog, memory, DiffRun { budget: None, ..run });
            }
        }
    }
    outcome
}

/// What a differential campaign saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DiffStats {
    /// Programs generated.
    pub generated: u64,
    /// Well-formed ones, run on both engines with identical outcomes.
    pub agreed: u64,
    /// Of those, runs that ended with r0 (the rest: a fault).
    pub returned: u64,
    /// Of those, programs whose (unmetered) image unrolls a loop.
    pub unrolled: u64,
}

/// Generate `count` programs from `seed` and compare the engines on each
/// well-formed one (panics with both outcomes on the first disagreement).
pub fn diff_campaign(seed: u64, count: u64) -> DiffStats {
    let mut gen = ProgramGen::new(seed);
    let mut stats = DiffStats::default();
    for i in 0..count {
        let (slots, memory) = gen.program();
        stats.generated += 1;
        let Ok(prog) = Program::new(slots) else {
            continue;
        };
        let outcome = assert_agree(&prog, &memory, i % 4 == 3);
        stats.agreed += 1;
        stats.returned += outcome.result.is_ok() as u64;
        let image = JitProgram::compile(&prog, JitOptions::default()).expect("a decoded program compiles");
        stats.unrolled += (image.unrolled_loops() > 0) as u64;
    }
    stats
}
