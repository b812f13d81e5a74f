//! Every run of a program on an engine goes through here: the engines'
//! entry points (`Interpreter`, `Jit`) are called in this file only, so a
//! change of their API is adapted once. Beside the single runs,
//! [`both_with`] runs a program on the interpreter and the JIT and insists
//! they agree (the semantic tests' runner).

use userbpf::exec::{
    AlignedBuf, ExecEnv, ExecError, Executor, GuestMemory, HelperTable, Interpreter, Jit, JitOptions, JitProgram,
    LdAbsPacket, Program, RegionKind, RunOptions,
};
use userbpf::isa::asm::{assemble, Syntax};
use userbpf::isa::Insn;
use userbpf::runtime::{KernelEnv, RunEnv};

/// The engine a run uses: a program for the interpreter, or an image.
#[derive(Clone, Copy)]
pub enum On<'a> {
    Interpreter(&'a Program),
    Jit(&'a JitProgram),
}

/// Run on `engine` with the stack of `mem`; `args` become r1..r5 (in the
/// default environment of the helper table's kind).
pub fn run<E: ExecEnv>(
    engine: On<'_>,
    helpers: &HelperTable<E>,
    mem: &mut GuestMemory<'_>,
    args: &[u64],
    opts: &RunOptions,
) -> Result<u64, ExecError> {
    match engine {
        On::Interpreter(prog) => Interpreter::new(prog, helpers).run(mem, args, opts),
        On::Jit(image) => Jit::new(image, helpers).run(mem, args, opts),
    }
}

/// Run on `engine` with the helpers' environment `env` and the stack top
/// `fp` the caller mapped.
pub fn run_in<'m>(
    engine: On<'_>,
    helpers: &HelperTable<KernelEnv>,
    mem: &mut GuestMemory<'m>,
    env: &RunEnv<'m>,
    fp: u64,
    args: &[u64],
    opts: &RunOptions,
) -> Result<u64, ExecError> {
    match engine {
        On::Interpreter(prog) => Interpreter::new(prog, helpers).execute_in(mem, env, fp, args, opts),
        On::Jit(image) => Jit::new(image, helpers).execute_in(mem, env, fp, args, opts),
    }
}

/// Run on `engine` with a fresh memory and no arguments.
pub fn run_bare<E: ExecEnv>(engine: On<'_>, helpers: &HelperTable<E>, opts: &RunOptions) -> Result<u64, ExecError> {
    run(engine, helpers, &mut GuestMemory::new(), &[], opts)
}

/// `slots` as a program (panics if it is not well-formed).
pub fn program(slots: &[Insn]) -> Program {
    Program::new(slots.to_vec()).expect("well-formed program")
}

/// `slots` compiled with `opts` (panics if the JIT refuses).
pub fn compile(slots: &[Insn], opts: JitOptions) -> JitProgram {
    JitProgram::compile(&program(slots), opts).expect("compiles")
}

/// The JIT's listing of `slots` compiled with the default options.
pub fn listing(slots: &[Insn]) -> String {
    compile(slots, JitOptions::default()).disassemble()
}

/// Kernel-syntax assembly (what the verifier log prints) as slots; panics
/// with the assembler's error.
pub fn asm(text: &str) -> Vec<Insn> {
    assemble(text, Some(Syntax::Kernel)).unwrap_or_else(|e| panic!("{e}\nin:\n{text}"))
}

/// Where a run's buffer goes: r1 = its address, r2 = its length.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Buf {
    /// A writable memory region.
    Memory,
    /// A read-only packet region.
    ReadOnlyPacket,
    /// A writable packet region.
    Packet,
    /// A read-only context region.
    ReadOnlyContext,
}

/// Run on both engines, each over its own copy of `buf` (r1 = its address,
/// r2 = its length, no region when empty), and insist they agree on r0 or
/// the error and on the buffer afterwards; returns the result and the
/// buffer. A packet in `opts` is relative to the buffer.
pub fn both_with(
    slots: &[Insn],
    buf: &[u8],
    kind: Buf,
    opts: &RunOptions,
    helpers: &HelperTable,
) -> (Result<u64, ExecError>, Vec<u8>) {
    let prog = program(slots);
    let jit = JitProgram::compile(
        &prog,
        JitOptions {
            meter: opts.budget.is_some(),
            blind: false,
        },
    )
    .expect("compiles");
    let mut outcomes = on_both(&prog, &jit, buf, kind, Args::AddrAndLen, opts, helpers);
    let jit_outcome = outcomes.pop().unwrap();
    let interp_outcome = outcomes.pop().unwrap();
    assert_eq!(
        jit_outcome, interp_outcome,
        "JIT (left) and interpreter (right) disagree"
    );
    jit_outcome
}

/// How a run's buffer reaches the program.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Args {
    /// r1 = its address (0, and no region, when it is empty), r2 = its
    /// length.
    AddrAndLen,
    /// r1 = its region's address (mapped even when empty), r2 = 0.
    AddrOnly,
}

/// `prog` on the interpreter, then `jit`, each over its own copy of `buf`
/// mapped as `kind` and passed as `args`: their results and the buffers
/// after, not compared.
pub fn on_both(
    prog: &Program,
    jit: &JitProgram,
    buf: &[u8],
    kind: Buf,
    args: Args,
    opts: &RunOptions,
    helpers: &HelperTable,
) -> Vec<(Result<u64, ExecError>, Vec<u8>)> {
    let mut outcomes = Vec::new();
    for engine in [On::Interpreter(prog), On::Jit(jit)] {
        let mut data = AlignedBuf::from_bytes(buf);
        let mut mem = GuestMemory::new();
        let result = {
            let p = match kind {
                _ if buf.is_empty() && args == Args::AddrAndLen => 0,
                Buf::ReadOnlyPacket => mem.add_readonly(data.as_bytes(), RegionKind::Packet),
                Buf::Packet => mem.add(data.as_mut_bytes(), RegionKind::Packet),
                Buf::ReadOnlyContext => mem.add_readonly(data.as_bytes(), RegionKind::Context),
                Buf::Memory => mem.add(data.as_mut_bytes(), RegionKind::Memory),
            };
            let mut opts = opts.clone();
            // The packet's data is an offset into `buf` here.
            if let Some(pk) = opts.packet {
                opts.packet = Some(LdAbsPacket {
                    data: p + pk.data,
                    ..pk
                });
            }
            let r2 = if args == Args::AddrAndLen { buf.len() as u64 } else { 0 };
            run(engine, helpers, &mut mem, &[p, r2], &opts)
        };
        drop(mem);
        outcomes.push((result, data.as_bytes().to_vec()));
    }
    outcomes
}

/// [`both_with`] with no buffer, no budget and the conformance helpers.
pub fn both(slots: &[Insn]) -> Result<u64, ExecError> {
    both_with(
        slots,
        &[],
        Buf::Memory,
        &RunOptions::default(),
        &HelperTable::conformance(),
    )
    .0
}

/// [`both_with`] over a writable `buf`, no budget, the conformance helpers.
pub fn both_mem(slots: &[Insn], buf: &[u8]) -> (Result<u64, ExecError>, Vec<u8>) {
    both_with(
        slots,
        buf,
        Buf::Memory,
        &RunOptions::default(),
        &HelperTable::conformance(),
    )
}

/// `slots` on the interpreter with `maps` installed in a fresh memory (as
/// the load path placed them), no arguments, no budget.
pub fn interpret_with_maps(
    slots: &[Insn],
    maps: &[std::sync::Arc<userbpf::maps::Map>],
    helpers: &HelperTable,
) -> Result<u64, ExecError> {
    let prog = program(slots);
    let mut gm = GuestMemory::new();
    let _table = userbpf::maps::MapTable::install(maps, &mut gm).expect("maps install");
    run(On::Interpreter(&prog), helpers, &mut gm, &[], &RunOptions::default())
}
