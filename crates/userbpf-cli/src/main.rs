//! `userbpf`: a bpftool-like command line over the user-space BPF subsystem.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod batch;
mod btf_cmd;
mod failure;
mod hints;
mod kernel_btf;
mod map_cmd;
mod obj_cmd;
mod output;
mod pcap;
mod prog_cmd;
mod prog_run;
mod session;

use clap::{Parser, Subcommand, ValueEnum};
use failure::Failure;
use session::Session;
use userbpf::exec::{
    AlignedBuf, ExecError, Executor, GuestMemory, HelperTable, Interpreter, Jit, JitOptions, JitProgram, Program,
    RegionKind, RunOptions,
};
use userbpf::isa::asm::Syntax;
use userbpf::isa::hex::parse_hex_bytes;
use userbpf::isa::source::{parse_program, read_program, SourceFormat};
use userbpf::isa::{insns_to_bytes, Insn};

#[derive(Parser)]
#[command(
    name = "userbpf",
    version,
    about = "The Linux kernel's BPF subsystem in user space",
    long_about = "userbpf is the Linux kernel's BPF subsystem in user space: it loads and verifies \
                  eBPF programs as Linux does (same verdict, errno and verifier log), runs them on \
                  packets or contexts with BPF_PROG_TEST_RUN's semantics, keeps maps, and needs no root \
                  and no BPF-capable kernel.\n\nStart with:\n  userbpf verify PROG --type xdp --log-level 2\n  \
                  userbpf prog run PROG --type sched_cls --data @frame.bin   (or --pcap capture.pcap)\n\n\
                  Programs are read from .bin (raw 8-byte instructions), .hex (hex text), assembly files \
                  (bpf_conformance syntax `mov %r0, 1` or kernel syntax `r0 = 1`, detected automatically), \
                  or ELF objects built by clang -target bpf."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum SyntaxArg {
    /// bpf_conformance / uBPF syntax: `mov %r0, 1`
    Ubpf,
    /// the kernel's verifier-log syntax: `r0 = 1`
    Kernel,
}

impl From<SyntaxArg> for Syntax {
    fn from(s: SyntaxArg) -> Syntax {
        match s {
            SyntaxArg::Ubpf => Syntax::Ubpf,
            SyntaxArg::Kernel => Syntax::Kernel,
        }
    }
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Engine {
    /// the interpreter
    Interp,
    /// the x86-64 JIT
    Jit,
}

#[derive(Subcommand)]
enum Command {
    /// Assemble a program into raw instructions
    Asm {
        /// assembly source (`-` for standard input)
        file: PathBuf,
        /// output file for the raw instructions; hex on standard output if absent
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// source syntax (detected when absent)
        #[arg(long, value_enum)]
        syntax: Option<SyntaxArg>,
    },
    /// Disassemble a program as the kernel prints it
    Disasm {
        /// program: .bin, .hex or assembly
        file: PathBuf,
        /// output syntax
        #[arg(long, value_enum, default_value = "kernel")]
        syntax: SyntaxArg,
    },
    /// Run a program (interpreter or JIT) and print r0
    Run {
        /// program: .bin, .hex or assembly
        file: PathBuf,
        /// memory passed in r1 (length in r2): hex, or @FILE for raw bytes
        #[arg(long)]
        mem: Option<String>,
        /// stop after this many instructions
        #[arg(long)]
        budget: Option<u64>,
        /// execution engine
        #[arg(long, value_enum, default_value = "interp")]
        engine: Engine,
        /// run this many times (memory persists between runs) and report
        /// the mean duration_ns per run, as the kernel's BPF_PROG_TEST_RUN
        #[arg(long, default_value = "1", value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
    /// Check a program as BPF_PROG_LOAD would and print the verifier's log
    /// (the load options of `prog load`; nothing stays loaded)
    Verify(prog_cmd::LoadArgs),
    /// Print a completion script for a shell (bash, zsh, fish, elvish,
    /// powershell), e.g. `userbpf completions bash > /etc/bash_completion.d/userbpf`
    Completions { shell: clap_complete::Shell },
    /// Programs: load, show, dump, pin (as bpftool prog)
    #[command(subcommand)]
    Prog(prog_cmd::ProgCmd),
    /// Maps: create, show, lookup, update, delete, dump, pin (as bpftool map)
    #[command(subcommand)]
    Map(map_cmd::MapCmd),
    /// BTF: dump the types of a BTF file or an object's .BTF (bpftool's raw format)
    #[command(subcommand)]
    Btf(btf_cmd::BtfCmd),
    /// Run commands from a file against one instance, one per line, so
    /// objects persist from line to line (as `bpftool batch file`)
    Batch {
        /// only `file`
        #[arg(value_parser = ["file"])]
        kind: String,
        /// the command file (`-` for standard input)
        file: PathBuf,
    },
    /// Speak the bpf_conformance plugin protocol: program hex on stdin, memory
    /// hex as the last argument, r0 in hex on stdout
    ConformancePlugin {
        /// execution engine
        #[arg(long, value_enum, default_value = "interp")]
        engine: Engine,
        /// stop after this many instructions
        #[arg(long)]
        budget: Option<u64>,
        /// the memory as hex (absent when the test has none)
        memory: Option<String>,
    },
}

fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        Ok(b)
    } else {
        std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))
    }
}

fn load(path: &Path) -> Result<Vec<Insn>, Failure> {
    if path.as_os_str() == "-" {
        return Ok(parse_program(&read_input(path)?, SourceFormat::Asm(None))?);
    }
    Ok(read_program(path)?)
}

/// Memory given as hex text or `@FILE`.
fn memory_arg(arg: Option<&str>) -> Result<Vec<u8>, Failure> {
    match arg {
        None => Ok(Vec::new()),
        Some(a) => match a.strip_prefix('@') {
            Some(file) => std::fs::read(file).map_err(|e| Failure::usage(format!("cannot read {file}: {e}"))),
            None => Ok(parse_hex_bytes(a)?),
        },
    }
}

impl From<Engine> for userbpf::plugin::Engine {
    fn from(e: Engine) -> Self {
        match e {
            Engine::Interp => userbpf::plugin::Engine::Interp,
            Engine::Jit => userbpf::plugin::Engine::Jit,
        }
    }
}

/// Run `prog` `repeat` times on `engine`; returns the last r0 and the mean
/// nanoseconds per run (compilation excluded, as the kernel's test run
/// times only the program).
fn run_repeated(
    engine: Engine,
    prog: &Program,
    mem: &mut GuestMemory<'_>,
    args: &[u64],
    opts: &RunOptions,
    repeat: u32,
) -> Result<(u64, u64), Failure> {
    let helpers = HelperTable::conformance();
    let jit;
    type OneRun<'e> = Box<dyn FnMut(&mut GuestMemory<'_>) -> Result<u64, ExecError> + 'e>;
    let mut once: OneRun<'_> = match engine {
        Engine::Interp => {
            let interp = Interpreter::new(prog, &helpers);
            Box::new(move |m| interp.run(m, args, opts))
        }
        Engine::Jit => {
            let options = JitOptions {
                meter: opts.budget.is_some(),
                ..JitOptions::default()
            };
            jit = JitProgram::compile(prog, options).map_err(|e| Failure::usage(format!("JIT: {e}")))?;
            let runner = Jit::new(&jit, &helpers);
            Box::new(move |m| runner.run(m, args, opts))
        }
    };
    let start = std::time::Instant::now();
    let mut r0 = 0;
    for _ in 0..repeat {
        r0 = once(mem)?;
    }
    let ns = start.elapsed().as_nanos() / repeat as u128;
    Ok((r0, ns as u64))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn run(cli: Cli, session: &Session) -> Result<(), Failure> {
    match cli.command {
        Command::Prog(cmd) => prog_cmd::run(session, &cmd)?,
        Command::Verify(a) => prog_cmd::load(session, &a)?,
        Command::Completions { shell } => clap_complete::generate(
            shell,
            &mut <Cli as clap::CommandFactory>::command(),
            "userbpf",
            &mut std::io::stdout(),
        ),
        Command::Map(cmd) => map_cmd::run(session, &cmd)?,
        Command::Btf(cmd) => btf_cmd::run(&cmd)?,
        Command::Batch { kind: _, file } => batch::run_file(session, &file)?,
        Command::Asm { file, output, syntax } => {
            let text = read_input(&file)?;
            let slots = parse_program(&text, SourceFormat::Asm(syntax.map(Into::into)))?;
            let bytes = insns_to_bytes(&slots);
            match output {
                Some(out) => std::fs::write(&out, &bytes)
                    .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))?,
                None => {
                    let mut so = std::io::stdout().lock();
                    for chunk in bytes.chunks(8) {
                        writeln!(so, "{}", hex(chunk))?;
                    }
                }
            }
        }
        Command::Disasm { file, syntax } => {
            let slots = load(&file)?;
            let text = match syntax {
                SyntaxArg::Kernel => userbpf::isa::disasm::disasm_program(&slots)?,
                SyntaxArg::Ubpf => userbpf::isa::asm::ubpf::disassemble_slots(&slots)?,
            };
            print!("{text}");
        }
        Command::Run {
            file,
            mem,
            budget,
            engine,
            repeat,
        } => {
            let prog = Program::new(load(&file)?)?;
            let memory = memory_arg(mem.as_deref())?;
            let mut buf = AlignedBuf::from_bytes(&memory);
            let mut gm = GuestMemory::new();
            let addr = if memory.is_empty() {
                0
            } else {
                gm.add(buf.as_mut_bytes(), RegionKind::Memory)
            };
            let opts = RunOptions { budget, packet: None };
            let args = [addr, memory.len() as u64];
            let (r0, ns) = run_repeated(engine, &prog, &mut gm, &args, &opts, repeat)?;
            println!("r0 = {r0:#x} ({})", r0 as i64);
            if repeat > 1 {
                println!("duration_ns = {ns} (mean of {repeat} runs)");
            }
        }
        Command::ConformancePlugin { engine, budget, memory } => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            let program = parse_hex_bytes(&text)?;
            let memory = memory_arg(memory.as_deref())?;
            let r0 = userbpf::plugin::run(engine.into(), &program, &memory, budget)?;
            println!("{r0:x}");
        }
    }
    Ok(())
}

/// A closed pipe ends the process quietly, as it ends `cat` or bpftool:
/// Rust ignores SIGPIPE by default, and every `println!` into a closed
/// pipe (`userbpf ... | head`) would then panic.
fn die_on_closed_pipe() {
    // SAFETY: restoring a signal's default disposition at the start of
    // main, before any thread exists, touches no Rust state; SIG_DFL is a
    // valid handler for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    die_on_closed_pipe();
    let words: Vec<String> = std::env::args().collect();
    output::note_style(&words[1..]);
    match run(Cli::parse(), &Session::new()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            if !f.message.is_empty() {
                eprintln!("userbpf: {}", f.message);
            }
            ExitCode::from(f.code)
        }
    }
}
