//! The interpreter: every instruction of RFC 9669 (v4 included) over guest
//! memory, with bpf-to-bpf calls, helpers and an optional instruction budget.
//!
//! Programs are decoded once when loaded ([`Program::new`]), so the run loop
//! matches on opcode bytes of instructions already known to be well formed.
//! Anything the decoder can't rule out (a jump into the middle of an
//! ld_imm64, out of the program, a bad address) is a clean [`ExecError`].

use super::env::{ExecEnv, NoEnv};
use super::executor::Executor;
use super::helper_table::{HelperCall, HelperExit, HelperTable};
use super::memory::{AccessFault, GuestMemory};
use crate::isa::opcode::*;
use crate::isa::{decode, DecodeError, Insn};

/// A decoded, well-formed program ready to run.
#[derive(Clone, Debug)]
pub struct Program {
    slots: Vec<Insn>,
}

impl Program {
    /// Check that every instruction decodes.
    pub fn new(slots: Vec<Insn>) -> Result<Self, DecodeError> {
        decode(&slots)?;
        Ok(Program { slots })
    }

    pub fn slots(&self) -> &[Insn] {
        &self.slots
    }
}

/// What stopped a run.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    #[error(transparent)]
    Memory(#[from] AccessFault),
    #[error("jump to {target} is outside the program of {len} instructions")]
    JumpOutOfRange { target: i64, len: usize },
    #[error("invalid instruction (opcode {code:#04x}): jump into the middle of ld_imm64?")]
    InvalidInstruction { code: u8 },
    #[error("call to unknown helper {id}")]
    UnknownHelper { id: u64 },
    #[error("helper {name} failed: {reason}")]
    HelperFailed { name: &'static str, reason: String },
    #[error("call depth exceeds {MAX_CALL_FRAMES} frames")]
    CallDepth,
    #[error("instruction budget of {budget} exhausted")]
    BudgetExhausted { budget: u64 },
    #[error("ld_imm64 with pseudo source {src} was not resolved at load time")]
    UnresolvedLdImm64 { src: u8 },
    #[error("{what} is not supported by the interpreter")]
    Unsupported { what: &'static str },
}

/// A fault and the instruction that caused it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insn {pc}: {fault}")]
pub struct ExecError {
    pub pc: usize,
    pub fault: Fault,
}

/// Per-run settings.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Stop with `BudgetExhausted` after this many instructions.
    pub budget: Option<u64>,
    /// The packet of LD_ABS/LD_IND (None: every such load fails).
    pub packet: Option<super::LdAbsPacket>,
}

// The kernel's budget for `may_goto` loops.
use crate::uapi::BPF_MAX_LOOPS as MAY_GOTO_BUDGET;

/// Saved caller state of a bpf-to-bpf call.
#[derive(Clone, Copy, Default)]
struct Frame {
    return_pc: usize,
    saved: [u64; 4], // r6..r9
    fp: u64,
}

/// The interpreter bound to a program and a helper table.
pub struct Interpreter<'p, E: ExecEnv = NoEnv> {
    prog: &'p Program,
    helpers: &'p HelperTable<E>,
}

/// Stack bytes for all frames.
pub const STACK_SIZE: usize = MAX_BPF_STACK * MAX_CALL_FRAMES;

impl<E: ExecEnv> Executor for Interpreter<'_, E> {
    type Env = E;
    /// The frame pointer: the interpreter needs nothing else set up.
    type Prepared = u64;

    fn prepare(&self, _: &GuestMemory<'_>, fp: u64, _: &RunOptions) -> Result<u64, ExecError> {
        Ok(fp)
    }

    fn execute_prepared<'m>(
        &self,
        fp: &mut u64,
        mem: &mut GuestMemory<'m>,
        env: &E::Run<'m>,
        args: &[u64],
        opts: &RunOptions,
    ) -> Result<u64, ExecError> {
        self.execute_from(mem, env, *fp, args, opts, 0)
    }
}

impl<'p, E: ExecEnv> Interpreter<'p, E> {
    pub fn new(prog: &'p Program, helpers: &'p HelperTable<E>) -> Self {
        Interpreter { prog, helpers }
    }

    /// [`Executor::execute_in`] starting at instruction `entry`
    /// (a callback subprogram), whose `exit` ends the run.
    pub fn execute_from<'m>(
        &self,
        mem: &mut GuestMemory<'m>,
        env: &E::Run<'m>,
        fp: u64,
        args: &[u64],
        opts: &RunOptions,
        entry: usize,
    ) -> Result<u64, ExecError> {
        let mut reg = [0u64; 11];
        for (r, a) in reg[1..6].iter_mut().zip(args) {
            *r = *a;
        }
        reg[10] = fp;
        let prog = self.prog.slots();
        let len = prog.len();
        let mut frames: [Frame; MAX_CALL_FRAMES] = [Frame::default(); MAX_CALL_FRAMES];
        let mut depth = 0usize;
        let mut pc = entry;
        let mut executed = 0u64;
        let budget = opts.budget.unwrap_or(u64::MAX);
        let mut may_goto_left = MAY_GOTO_BUDGET;

        macro_rules! fault {
            ($f:expr) => {
                return Err(ExecError { pc, fault: $f.into() })
            };
        }
        macro_rules! mem {
            ($e:expr) => {
                match $e {
                    Ok(v) => v,
                    Err(f) => fault!(Fault::Memory(f)),
                }
            };
        }

        loop {
            let Some(&insn) = prog.get(pc) else {
                return Err(ExecError {
                    pc,
                    fault: Fault::JumpOutOfRange { target: pc as i64, len },
                });
            };
            executed += 1;
            if executed > budget {
                fault!(Fault::BudgetExhausted { budget });
            }
            let dst = insn.dst as usize;
            let src = insn.src as usize;
            let imm = insn.imm;
            let off = insn.off;
            // Sign-extended immediate for 64-bit operations.
            let imm64 = imm as i64 as u64;
            let imm32 = imm as u32;
            let mut next = pc + 1;

            macro_rules! jump {
                ($rel:expr) => {{
                    let target = crate::isa::cfg::target(pc, $rel as i64);
                    if target < 0 || target >= len as i64 {
                        fault!(Fault::JumpOutOfRange { target, len });
                    }
                    next = target as usize;
                }};
            }
            macro_rules! cond {
                ($cmp:expr) => {
                    if $cmp {
                        jump!(off)
                    }
                };
            }
            macro_rules! addr {
                ($base:expr) => {
                    $base.wrapping_add(off as i64 as u64)
                };
            }

            match insn.code {
                // ---- ALU64 ----
                0x07 => reg[dst] = reg[dst].wrapping_add(imm64),
                0x0f => reg[dst] = reg[dst].wrapping_add(reg[src]),
                0x17 => reg[dst] = reg[dst].wrapping_sub(imm64),
                0x1f => reg[dst] = reg[dst].wrapping_sub(reg[src]),
                0x27 => reg[dst] = reg[dst].wrapping_mul(imm64),
                0x2f => reg[dst] = reg[dst].wrapping_mul(reg[src]),
                0x37 => reg[dst] = reg[dst].bpf_div(imm64, off),
                0x3f => reg[dst] = reg[dst].bpf_div(reg[src], off),
                0x47 => reg[dst] |= imm64,
                0x4f => reg[dst] |= reg[src],
                0x57 => reg[dst] &= imm64,
                0x5f => reg[dst] &= reg[src],
                0x67 => reg[dst] <<= imm64 & 63,
                0x6f => reg[dst] <<= reg[src] & 63,
                0x77 => reg[dst] >>= imm64 & 63,
                0x7f => reg[dst] >>= reg[src] & 63,
                0x87 => reg[dst] = (reg[dst] as i64).wrapping_neg() as u64,
                0x97 => reg[dst] = reg[dst].bpf_rem(imm64, off),
                0x9f => reg[dst] = reg[dst].bpf_rem(reg[src], off),
                0xa7 => reg[dst] ^= imm64,
                0xaf => reg[dst] ^= reg[src],
                0xb7 => reg[dst] = imm64,
                0xbf => {
                    reg[dst] = match off {
                        8 => reg[src] as i8 as i64 as u64,
                        16 => reg[src] as i16 as i64 as u64,
                        32 => reg[src] as i32 as i64 as u64,
                        BPF_ADDR_SPACE_CAST => fault!(Fault::Unsupported {
                            what: "addr_space_cast (arena)"
                        }),
                        _ => reg[src],
                    }
                }
                0xc7 => reg[dst] = ((reg[dst] as i64) >> (imm64 & 63)) as u64,
                0xcf => reg[dst] = ((reg[dst] as i64) >> (reg[src] & 63)) as u64,
                0xd7 => {
                    reg[dst] = match imm {
                        16 => (reg[dst] as u16).swap_bytes() as u64,
                        32 => (reg[dst] as u32).swap_bytes() as u64,
                        _ => reg[dst].swap_bytes(),
                    }
                }

                // ---- ALU (32-bit, results zero-extended) ----
                0x04 => reg[dst] = (reg[dst] as u32).wrapping_add(imm32) as u64,
                0x0c => reg[dst] = (reg[dst] as u32).wrapping_add(reg[src] as u32) as u64,
                0x14 => reg[dst] = (reg[dst] as u32).wrapping_sub(imm32) as u64,
                0x1c => reg[dst] = (reg[dst] as u32).wrapping_sub(reg[src] as u32) as u64,
                0x24 => reg[dst] = (reg[dst] as u32).wrapping_mul(imm32) as u64,
                0x2c => reg[dst] = (reg[dst] as u32).wrapping_mul(reg[src] as u32) as u64,
                0x34 => reg[dst] = (reg[dst] as u32).bpf_div(imm32, off) as u64,
                0x3c => reg[dst] = (reg[dst] as u32).bpf_div(reg[src] as u32, off) as u64,
                0x44 => reg[dst] = (reg[dst] as u32 | imm32) as u64,
                0x4c => reg[dst] = (reg[dst] as u32 | reg[src] as u32) as u64,
                0x54 => reg[dst] = (reg[dst] as u32 & imm32) as u64,
                0x5c => reg[dst] = (reg[dst] as u32 & reg[src] as u32) as u64,
                0x64 => reg[dst] = ((reg[dst] as u32) << (imm32 & 31)) as u64,
                0x6c => reg[dst] = ((reg[dst] as u32) << (reg[src] as u32 & 31)) as u64,
                0x74 => reg[dst] = ((reg[dst] as u32) >> (imm32 & 31)) as u64,
                0x7c => reg[dst] = ((reg[dst] as u32) >> (reg[src] as u32 & 31)) as u64,
                0x84 => reg[dst] = (reg[dst] as i32).wrapping_neg() as u32 as u64,
                0x94 => reg[dst] = (reg[dst] as u32).bpf_rem(imm32, off) as u64,
                0x9c => reg[dst] = (reg[dst] as u32).bpf_rem(reg[src] as u32, off) as u64,
                0xa4 => reg[dst] = (reg[dst] as u32 ^ imm32) as u64,
                0xac => reg[dst] = (reg[dst] as u32 ^ reg[src] as u32) as u64,
                0xb4 => reg[dst] = imm32 as u64,
                0xbc => {
                    reg[dst] = match off {
                        8 => reg[src] as i8 as i32 as u32 as u64,
                        16 => reg[src] as i16 as i32 as u32 as u64,
                        _ => reg[src] as u32 as u64,
                    }
                }
                0xc4 => reg[dst] = ((reg[dst] as i32) >> (imm32 & 31)) as u32 as u64,
                0xcc => reg[dst] = ((reg[dst] as i32) >> (reg[src] as u32 & 31)) as u32 as u64,
                // to little endian: the host is little endian, so truncate.
                0xd4 => {
                    reg[dst] = match imm {
                        16 => reg[dst] as u16 as u64,
                        32 => reg[dst] as u32 as u64,
                        _ => reg[dst],
                    }
                }
                // to big endian.
                0xdc => {
                    reg[dst] = match imm {
                        16 => (reg[dst] as u16).to_be() as u64,
                        32 => (reg[dst] as u32).to_be() as u64,
                        _ => reg[dst].to_be(),
                    }
                }

                // ---- jumps ----
                JA => jump!(off),
                JA32 => jump!(imm),
                0x15 => cond!(reg[dst] == imm64),
                0x1d => cond!(reg[dst] == reg[src]),
                0x25 => cond!(reg[dst] > imm64),
                0x2d => cond!(reg[dst] > reg[src]),
                0x35 => cond!(reg[dst] >= imm64),
                0x3d => cond!(reg[dst] >= reg[src]),
                0x45 => cond!(reg[dst] & imm64 != 0),
                0x4d => cond!(reg[dst] & reg[src] != 0),
                0x55 => cond!(reg[dst] != imm64),
                0x5d => cond!(reg[dst] != reg[src]),
                0x65 => cond!((reg[dst] as i64) > imm as i64),
                0x6d => cond!((reg[dst] as i64) > reg[src] as i64),
                0x75 => cond!((reg[dst] as i64) >= imm as i64),
                0x7d => cond!((reg[dst] as i64) >= reg[src] as i64),
                0xa5 => cond!(reg[dst] < imm64),
                0xad => cond!(reg[dst] < reg[src]),
                0xb5 => cond!(reg[dst] <= imm64),
                0xbd => cond!(reg[dst] <= reg[src]),
                0xc5 => cond!((reg[dst] as i64) < imm as i64),
                0xcd => cond!((reg[dst] as i64) < reg[src] as i64),
                0xd5 => cond!((reg[dst] as i64) <= imm as i64),
                0xdd => cond!((reg[dst] as i64) <= reg[src] as i64),
                0x16 => cond!(reg[dst] as u32 == imm32),
                0x1e => cond!(reg[dst] as u32 == reg[src] as u32),
                0x26 => cond!(reg[dst] as u32 > imm32),
                0x2e => cond!(reg[dst] as u32 > reg[src] as u32),
                0x36 => cond!(reg[dst] as u32 >= imm32),
                0x3e => cond!(reg[dst] as u32 >= reg[src] as u32),
                0x46 => cond!(reg[dst] as u32 & imm32 != 0),
                0x4e => cond!(reg[dst] as u32 & reg[src] as u32 != 0),
                0x56 => cond!(reg[dst] as u32 != imm32),
                0x5e => cond!(reg[dst] as u32 != reg[src] as u32),
                0x66 => cond!((reg[dst] as i32) > imm),
                0x6e => cond!((reg[dst] as i32) > reg[src] as i32),
                0x76 => cond!((reg[dst] as i32) >= imm),
                0x7e => cond!((reg[dst] as i32) >= reg[src] as i32),
                0xa6 => cond!((reg[dst] as u32) < imm32),
                0xae => cond!((reg[dst] as u32) < reg[src] as u32),
                0xb6 => cond!(reg[dst] as u32 <= imm32),
                0xbe => cond!(reg[dst] as u32 <= reg[src] as u32),
                0xc6 => cond!((reg[dst] as i32) < imm),
                0xce => cond!((reg[dst] as i32) < reg[src] as i32),
                0xd6 => cond!((reg[dst] as i32) <= imm),
                0xde => cond!((reg[dst] as i32) <= reg[src] as i32),
                MAY_GOTO => {
                    if may_goto_left == 0 {
                        jump!(off)
                    } else {
                        may_goto_left -= 1;
                    }
                }
                CALL => match insn.src {
                    BPF_PSEUDO_CALL => {
                        if depth + 1 >= MAX_CALL_FRAMES {
                            fault!(Fault::CallDepth);
                        }
                        frames[depth] = Frame {
                            return_pc: next,
                            saved: [reg[6], reg[7], reg[8], reg[9]],
                            fp: reg[10],
                        };
                        depth += 1;
                        reg[10] = reg[10].wrapping_sub(MAX_BPF_STACK as u64);
                        jump!(imm);
                    }
                    BPF_PSEUDO_HELPER => match self.call_helper(mem, env, imm as u32 as u64, &mut reg) {
                        Ok(()) => {}
                        Err(CallOutcome::Exit(r0)) => return Ok(r0),
                        Err(CallOutcome::Fault(f)) => fault!(f),
                    },
                    _ => fault!(Fault::Unsupported { what: "kfunc calls" }),
                },
                // callx: the register holds the helper id (there are no host
                // function addresses in guest memory).
                CALLX => match self.call_helper(mem, env, reg[dst], &mut reg) {
                    Ok(()) => {}
                    Err(CallOutcome::Exit(r0)) => return Ok(r0),
                    Err(CallOutcome::Fault(f)) => fault!(f),
                },
                EXIT => {
                    if depth == 0 {
                        return Ok(reg[0]);
                    }
                    depth -= 1;
                    let f = frames[depth];
                    reg[6..10].copy_from_slice(&f.saved);
                    reg[10] = f.fp;
                    next = f.return_pc;
                }

                // ---- ld_imm64 and legacy packet loads ----
                LD_IMM64 => {
                    if insn.src != BPF_PSEUDO_NONE {
                        fault!(Fault::UnresolvedLdImm64 { src: insn.src });
                    }
                    // Program::new guarantees the second slot exists.
                    let hi = prog[pc + 1].imm as u32 as u64;
                    reg[dst] = (imm32 as u64) | (hi << 32);
                    next = pc + 2;
                }
                0x20 | 0x28 | 0x30 | 0x40 | 0x48 | 0x50 => {
                    let size = size_bytes(size(insn.code));
                    // As the kernel: a 32-bit offset, and a failed load
                    // ends the program with r0 = 0.
                    let mut k = imm;
                    if mode(insn.code) == BPF_IND {
                        k = k.wrapping_add(reg[src] as u32 as i32);
                    }
                    let Some(at) = opts.packet.and_then(|p| p.address(k, size as u32)) else {
                        return Ok(0);
                    };
                    let v = mem!(mem.load(at, size));
                    reg[0] = match size {
                        1 => v,
                        2 => (v as u16).swap_bytes() as u64,
                        _ => (v as u32).swap_bytes() as u64,
                    };
                }

                // ---- loads ----
                0x61 => reg[dst] = mem!(mem.load(addr!(reg[src]), 4)),
                0x69 => reg[dst] = mem!(mem.load(addr!(reg[src]), 2)),
                0x71 => reg[dst] = mem!(mem.load(addr!(reg[src]), 1)),
                0x79 => reg[dst] = mem!(mem.load(addr!(reg[src]), 8)),
                0x81 => reg[dst] = mem!(mem.load(addr!(reg[src]), 4)) as i32 as i64 as u64,
                0x89 => reg[dst] = mem!(mem.load(addr!(reg[src]), 2)) as i16 as i64 as u64,
                0x91 => reg[dst] = mem!(mem.load(addr!(reg[src]), 1)) as i8 as i64 as u64,

                // ---- stores ----
                0x62 => mem!(mem.store(addr!(reg[dst]), 4, imm64)),
                0x6a => mem!(mem.store(addr!(reg[dst]), 2, imm64)),
                0x72 => mem!(mem.store(addr!(reg[dst]), 1, imm64)),
                0x7a => mem!(mem.store(addr!(reg[dst]), 8, imm64)),
                0x63 => mem!(mem.store(addr!(reg[dst]), 4, reg[src])),
                0x6b => mem!(mem.store(addr!(reg[dst]), 2, reg[src])),
                0x73 => mem!(mem.store(addr!(reg[dst]), 1, reg[src])),
                0x7b => mem!(mem.store(addr!(reg[dst]), 8, reg[src])),

                // ---- atomics ----
                0xc3 | 0xdb | 0xd3 | 0xcb => {
                    let size = size_bytes(size(insn.code));
                    let a = addr!(reg[dst]);
                    let s = reg[src];
                    let mask = if size == 8 { u64::MAX } else { (1u64 << (size * 8)) - 1 };
                    match imm {
                        BPF_LOAD_ACQ => reg[dst] = mem!(mem.load(addr!(reg[src]), size)),
                        BPF_STORE_REL => mem!(mem.store(a, size, s)),
                        BPF_CMPXCHG => {
                            reg[0] = mem!(mem.atomic_cmpxchg(a, size, reg[0] & mask, s & mask));
                        }
                        BPF_XCHG => reg[src] = mem!(mem.atomic_update(a, size, |_| s & mask)),
                        _ => {
                            let op = imm & !BPF_FETCH;
                            let old = mem!(mem.atomic_update(a, size, |v| {
                                (match op as u8 {
                                    BPF_ADD => v.wrapping_add(s),
                                    BPF_OR => v | s,
                                    BPF_AND => v & s,
                                    _ => v ^ s,
                                }) & mask
                            }));
                            if imm & BPF_FETCH != 0 {
                                reg[src] = old;
                            }
                        }
                    }
                }
                code => fault!(Fault::InvalidInstruction { code }),
            }
            pc = next;
        }
    }

    fn call_helper<'m>(
        &self,
        mem: &mut GuestMemory<'m>,
        env: &E::Run<'m>,
        id: u64,
        reg: &mut [u64; 11],
    ) -> Result<(), CallOutcome> {
        let Some(h) = self.helpers.get(id) else {
            return Err(CallOutcome::Fault(Fault::UnknownHelper { id }));
        };
        let args = [reg[1], reg[2], reg[3], reg[4], reg[5]];
        match (h.func)(&mut HelperCall::<E> { mem, env }, &args) {
            Ok(r0) => {
                reg[0] = r0;
                Ok(())
            }
            Err(HelperExit::Exit(r0)) => Err(CallOutcome::Exit(r0)),
            Err(HelperExit::Fault(f)) => Err(CallOutcome::Fault(Fault::Memory(f))),
            Err(HelperExit::Failed(reason)) => Err(CallOutcome::Fault(Fault::HelperFailed { name: h.name, reason })),
        }
    }
}

enum CallOutcome {
    Exit(u64),
    Fault(Fault),
}

/// Division and modulo as BPF defines them, unsigned (`off == 0`) or
/// signed (`off == 1`): by zero the quotient is 0 and the remainder the
/// dividend; INT_MIN / -1 wraps and INT_MIN % -1 is 0.
trait BpfDiv: Sized {
    fn bpf_div(self, b: Self, off: i16) -> Self;
    fn bpf_rem(self, b: Self, off: i16) -> Self;
}

/// [`BpfDiv`] for an unsigned width and its signed twin.
macro_rules! bpf_div {
    ($u:ty, $s:ty) => {
        impl BpfDiv for $u {
            #[inline]
            fn bpf_div(self, b: $u, off: i16) -> $u {
                match b {
                    0 => 0,
                    _ if off == BPF_OFF_SIGNED => (self as $s).wrapping_div(b as $s) as $u,
                    _ => self / b,
                }
            }

            #[inline]
            fn bpf_rem(self, b: $u, off: i16) -> $u {
                match b {
                    0 => self,
                    _ if off == BPF_OFF_SIGNED => (self as $s).wrapping_rem(b as $s) as $u,
                    _ => self % b,
                }
            }
        }
    };
}

bpf_div!(u64, i64);
bpf_div!(u32, i32);
