//! The bpf_conformance plugin protocol: run a program on a memory buffer and
//! report r0.
//!
//! The suite passes the program's bytes as hex on standard input and the
//! memory as hex in the last argument; r1 points to a copy of that memory
//! (0 when there is none) and r2 holds its length. Helper 5 is "unwind"
//! (see [`HelperTable::conformance`]).

use crate::exec::{AlignedBuf, ExecError, GuestMemory, HelperTable, Interpreter, Program, RegionKind, RunOptions};
use crate::isa::{insns_from_bytes, DecodeError};

/// Why a plugin run produced no r0.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("{0}")]
    Length(#[from] crate::isa::insn::TrailingBytes),
    #[error("invalid program: {0}")]
    Decode(#[from] DecodeError),
    #[error("execution failed: {0}")]
    Exec(#[from] ExecError),
}

/// Run `program` (raw instruction bytes) over `memory` with the
/// interpreter; returns r0.
pub fn run_interp(program: &[u8], memory: &[u8], budget: Option<u64>) -> Result<u64, PluginError> {
    let prog = Program::new(insns_from_bytes(program)?)?;
    let helpers = HelperTable::conformance();
    let mut buf = AlignedBuf::from_bytes(memory);
    let mut mem = GuestMemory::new();
    let addr = if memory.is_empty() {
        0
    } else {
        mem.add(buf.as_mut_bytes(), RegionKind::Memory)
    };
    let opts = RunOptions { budget, packet: None };
    Ok(Interpreter::new(&prog, &helpers).run(&mut mem, &[addr, memory.len() as u64], &opts)?)
}
