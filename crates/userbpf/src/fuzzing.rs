//! Entry points for fuzz targets (fuzz/fuzz_targets/*) and the property
//! tests that run the same code in CI. Each takes arbitrary bytes and must
//! never panic; where an oracle exists it asserts it.

pub mod engines;

use crate::exec::{AlignedBuf, GuestMemory, HelperTable, Interpreter, LdAbsPacket, Program, RegionKind, RunOptions};
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
        packet: Some(LdAbsPacket::linear(addr, mem_len as u32)),
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

// ---- the JIT against the interpreter ----

use crate::exec::interp::STACK_SIZE;
use crate::exec::{ExecError, HelperExit, Jit, JitOptions, JitProgram};
pub use crate::plugin::Engine;

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
    let Some((&mem_len, rest)) = data.split_first() else {
        return;
    };
    let mem_len = (mem_len as usize).min(rest.len());
    let (memory, program) = rest.split_at(mem_len);
    let Ok(prog) = Program::new(slots(program)) else {
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

/// A small deterministic generator (splitmix64) of programs biased
/// towards well-formed, interesting code: every instruction class, edge
/// immediates, pointers into the buffer and the stack, short loops, calls.
pub struct ProgramGen {
    state: u64,
}

impl ProgramGen {
    pub fn new(seed: u64) -> Self {
        ProgramGen { state: seed }
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn imm(&mut self) -> i32 {
        match self.below(4) {
            0 => self.pick(&[0, 1, -1, 2, 7, 8, 16, 31, 32, 33, 63, 64, 255, i32::MIN, i32::MAX, -2]),
            1 => self.below(16) as i32,
            _ => self.next() as i32,
        }
    }

    fn reg(&mut self) -> u8 {
        // r10 mostly as a source; as a destination rarely.
        if self.below(40) == 0 {
            10
        } else {
            self.below(10) as u8
        }
    }

    fn jump_off(&mut self) -> i16 {
        self.below(13) as i16 - 5
    }

    /// A counted loop as clang emits them (the JIT unrolls these): `iv =
    /// start`, a body of `rD = r1; rD += iv; rE = *(rD + k)`, arithmetic
    /// and forward jumps (some out of the loop), `iv += step`, `if iv != n
    /// goto body` (or `<`). Pushes all but the back edge, which it returns.
    fn counted_loop(&mut self, out: &mut Vec<Insn>, mem_len: usize) -> Insn {
        use crate::isa::opcode::*;
        let iv = self.pick(&[2, 3, 6, 7, 8, 9]);
        let step = self.pick(&[1, 1, 2, 4, 8, 3]);
        let start = self.below(6) as i32;
        let trips = 1 + self.below(12) as i32;
        let n = start + step * trips + self.pick(&[0, 0, 0, 1]);
        // The end the body's bound tests compare with: r3 = r1 + about
        // the buffer's length.
        if self.below(2) == 0 {
            out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 3, 1, 0, 0));
            let end = mem_len as i32 + self.below(5) as i32 - 2;
            out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 3, 0, 0, end));
        }
        out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, iv, 0, 0, start));
        let head = out.len();
        let body_len = 3 + self.below(8) as usize;
        let inc_at = self.below(body_len as u64 + 1) as usize;
        let mut body = Vec::new();
        while body.len() < body_len {
            if body.len() == inc_at {
                body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, iv, 0, 0, step));
                continue;
            }
            let d = self.pick(&[0, 4, 5]);
            match self.below(6) {
                0 | 1 => {
                    // An access at r1 + iv (mem_len + 8 bytes: some fault).
                    body.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 4, 1, 0, 0));
                    body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, iv, 0, 0));
                    let size = self.pick(&[BPF_B, BPF_H, BPF_W, BPF_DW]);
                    let off = self.below(mem_len as u64 / 4 + 2) as i16;
                    if self.below(4) == 0 {
                        body.push(Insn::new(BPF_STX | BPF_MEM | size, 4, d, off, 0));
                    } else {
                        body.push(Insn::new(BPF_LDX | BPF_MEM | size, d, 4, off, 0));
                    }
                }
                2 => {
                    // A forward jump: inside the body or out of the loop.
                    let op = self.pick(&[BPF_JEQ, BPF_JGT, BPF_JSET, BPF_JNE]);
                    let off = self.below(body_len as u64 + 3) as i16;
                    body.push(Insn::new(BPF_JMP | op | BPF_K, d, 0, off, self.imm() & 0xff));
                }
                3 if self.below(4) == 0 => {
                    // A read of the index that keeps the increments.
                    body.push(Insn::new(BPF_ALU64 | BPF_XOR | BPF_X, 0, iv, 0, 0));
                }
                3 => {
                    // clang's bound test: r5 = r1; r5 += iv; r5 += k; if r5
                    // > r3 (or >=) goto out (or on in the body).
                    body.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 5, 1, 0, 0));
                    body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 5, iv, 0, 0));
                    body.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 5, 0, 0, self.below(4) as i32));
                    let op = self.pick(&[BPF_JGT, BPF_JGT, BPF_JGE]);
                    let off = self.below(body_len as u64 + 3) as i16;
                    body.push(Insn::new(BPF_JMP | op | BPF_X, 5, 3, off, 0));
                }
                _ => {
                    let op = self.pick(&[BPF_ADD, BPF_XOR, BPF_MUL, BPF_RSH, BPF_OR]);
                    body.push(Insn::new(BPF_ALU64 | op | BPF_X, 0, d, 0, 0));
                }
            }
        }
        out.extend(body);
        let back = -((out.len() - head) as i16) - 1;
        let op = self.pick(&[BPF_JNE, BPF_JNE, BPF_JLT]);
        Insn::new(BPF_JMP | op | BPF_K, iv, 0, back, n)
    }

    /// A rotated loop (clang's `for` with `continue`s): `iv = start; goto
    /// body; test: iv += step; if iv != n goto body; goto out; body: ...;
    /// goto test; out:`, the index 32- or 64-bit, the body copying the
    /// index (`rD = iv`), accessing r1 + rD, continuing to the test and
    /// jumping forward (in the body or out). Pushes all but the back edge,
    /// which it returns.
    fn rotated_loop(&mut self, out: &mut Vec<Insn>, mem_len: usize) -> Insn {
        use crate::isa::opcode::*;
        let iv = self.pick(&[3, 6, 7, 8, 9]);
        let class = self.pick(&[BPF_ALU, BPF_ALU64]);
        let jclass = if class == BPF_ALU { BPF_JMP32 } else { BPF_JMP };
        let step = self.pick(&[1, 1, 2, 4, 8, 3]);
        let start = match self.below(4) {
            0 => -(self.below(20) as i32),
            _ => self.below(6) as i32,
        };
        let trips = 1 + self.below(12) as i32;
        let n = start.wrapping_add(step * trips + self.pick(&[0, 0, 0, 1]));
        let body_len = 3 + self.below(8) as usize;
        out.push(Insn::new(class | BPF_MOV | BPF_K, iv, 0, 0, start));
        out.push(Insn::new(JA, 0, 0, 3, 0));
        let test = out.len();
        out.push(Insn::new(class | BPF_ADD | BPF_K, iv, 0, 0, step));
        out.push(Insn::new(
            jclass | self.pick(&[BPF_JNE, BPF_JNE, BPF_JLT]) | BPF_K,
            iv,
            0,
            1,
            n,
        ));
        out.push(Insn::new(JA, 0, 0, body_len as i16 + 1, 0));
        let head = out.len();
        while out.len() - head < body_len {
            let d = self.pick(&[0, 4, 5]);
            let pc = out.len();
            match self.below(6) {
                0 => out.push(Insn::new(
                    self.pick(&[BPF_ALU, BPF_ALU64]) | BPF_MOV | BPF_X,
                    d,
                    iv,
                    0,
                    0,
                )),
                1 if out.len() - head + 2 <= body_len => {
                    // An access at r1 + a copy of the index.
                    out.push(Insn::new(BPF_ALU | BPF_MOV | BPF_X, 4, iv, 0, 0));
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, 1, 0, 0));
                    let size = self.pick(&[BPF_B, BPF_H, BPF_W]);
                    let off = self.below(mem_len as u64 / 4 + 2) as i16;
                    out.push(Insn::new(BPF_LDX | BPF_MEM | size, d, 4, off, 0));
                }
                2 => {
                    // `continue`.
                    let op = self.pick(&[BPF_JEQ, BPF_JGT, BPF_JSET, BPF_JNE]);
                    let off = test as i16 - pc as i16 - 1;
                    out.push(Insn::new(BPF_JMP | op | BPF_K, d, 0, off, self.imm() & 0xff));
                }
                3 => {
                    // Forward: inside the body or out of the loop.
                    let op = self.pick(&[BPF_JEQ, BPF_JGT, BPF_JSET, BPF_JNE]);
                    let off = self.below(body_len as u64 + 3) as i16;
                    out.push(Insn::new(BPF_JMP | op | BPF_K, d, 0, off, self.imm() & 0xff));
                }
                _ => {
                    let op = self.pick(&[BPF_ADD, BPF_XOR, BPF_MUL, BPF_RSH, BPF_OR]);
                    out.push(Insn::new(BPF_ALU64 | op | BPF_X, 0, d, 0, 0));
                }
            }
        }
        Insn::new(JA, 0, 0, test as i16 - out.len() as i16 - 1, 0)
    }

    /// The verifier's inlined array lookup and the program's test of its
    /// result (the JIT threads the hit path past the test): `rB = base;
    /// r0 = index; if r0 >= n goto miss; r0 <<= s; r0 += rB; goto +1;
    /// miss: r0 = 0; if r0 ==/!= 0 goto +k`, then a load through r0.
    /// Pushes all but the last instruction, which it returns.
    fn inlined_lookup(&mut self, out: &mut Vec<Insn>, mem_len: usize) -> Insn {
        use crate::isa::opcode::*;
        let base = self.pick(&[6u8, 7, 1]);
        if base != 1 {
            // The buffer (region 2), a wild address, or zero.
            let v = match self.below(4) {
                0 => 0,
                1 => self.next(),
                _ => 2 << 32 | self.below(16),
            };
            out.push(Insn::new(LD_IMM64, base, 0, 0, v as u32 as i32));
            out.push(Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32));
        }
        let index = match self.below(4) {
            0 => Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, self.below(8) as i32),
            1 => {
                // clang's key on the stack: `w3 = w7; w3 &= mask; *(u32
                // *)(r10 - 4) = r3` (sometimes another size, or a store
                // overlapping it), `r2 = r10; r2 += -4; r0 = *(u32 *)(r2
                // + 0)`: the JIT knows the key's range, and r2 needs no
                // register.
                let mask = self.pick(&[15, 7, 0xff, -1, 0x7fff_ffff]);
                out.push(Insn::new(BPF_ALU | BPF_MOV | BPF_X, 3, 7, 0, 0));
                out.push(Insn::new(BPF_ALU | BPF_AND | BPF_K, 3, 0, 0, mask));
                let size = self.pick(&[BPF_W, BPF_W, BPF_W, BPF_B, BPF_DW]);
                out.push(Insn::new(
                    BPF_STX | BPF_MEM | size,
                    10,
                    3,
                    -4 - 4 * (size == BPF_DW) as i16,
                    0,
                ));
                if self.below(5) == 0 {
                    let off = self.pick(&[-3, -8, -5, -1]);
                    out.push(Insn::new(BPF_ST | BPF_MEM | BPF_B, 10, 0, off, self.imm()));
                }
                out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4));
                Insn::new(BPF_LDX | BPF_MEM | self.pick(&[BPF_W, BPF_W, BPF_H]), 0, 2, 0, 0)
            }
            _ => Insn::new(
                BPF_LDX | BPF_MEM | self.pick(&[BPF_B, BPF_W]),
                0,
                1,
                self.below(mem_len as u64 / 2 + 2) as i16,
                0,
            ),
        };
        out.push(index);
        let n = self.pick(&[1, 4, 16, 0]);
        out.push(Insn::new(
            BPF_JMP | self.pick(&[BPF_JGE, BPF_JGE, BPF_JGT]) | BPF_K,
            0,
            0,
            3,
            n,
        ));
        out.push(Insn::new(BPF_ALU64 | BPF_LSH | BPF_K, 0, 0, 0, self.pick(&[0, 3, 63])));
        out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 0, base, 0, 0));
        out.push(Insn::new(JA, 0, 0, 1, 0));
        out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
        let op = self.pick(&[BPF_JEQ, BPF_JNE]);
        out.push(Insn::new(BPF_JMP | op | BPF_K, 0, 0, self.below(3) as i16, 0));
        let x = self.pick(&[2, 3]);
        if self.below(2) == 0 {
            return Insn::new(BPF_LDX | BPF_MEM | BPF_DW, x, 0, 0, 0);
        }
        // clang's accumulator: `x = *r0; x += r6; r6 = x` (or `r6 += x`),
        // 64-bit over 8 bytes or 32-bit over 4: `add r6, [r0]` when x is
        // dead after (it is live when the program reads it later).
        let (class, size) = self.pick(&[(BPF_ALU64, BPF_DW), (BPF_ALU, BPF_W), (BPF_ALU64, BPF_W)]);
        let op = self.pick(&[BPF_ADD, BPF_XOR, BPF_AND, BPF_SUB]);
        out.push(Insn::new(BPF_LDX | BPF_MEM | size, x, 0, 0, 0));
        if self.below(3) == 0 {
            return Insn::new(class | op | BPF_X, 6, x, 0, 0);
        }
        out.push(Insn::new(class | op | BPF_X, x, 6, 0, 0));
        Insn::new(class | BPF_MOV | BPF_X, 6, x, 0, 0)
    }

    /// A program (and memory for r1) from the next seed.
    pub fn program(&mut self) -> (Vec<Insn>, Vec<u8>) {
        use crate::isa::opcode::*;
        let mem_len = self.pick(&[0usize, 1, 4, 8, 16, 32, 64]);
        let memory: Vec<u8> = (0..mem_len).map(|_| self.next() as u8).collect();
        let n = 1 + self.below(24) as usize;
        let mut out = Vec::with_capacity(n + 2);
        let sizes = [BPF_B, BPF_H, BPF_W, BPF_DW];
        while out.len() < n {
            let dst = self.reg();
            let src = self.reg();
            let insn = match self.below(23) {
                0..=4 => {
                    let class = self.pick(&[BPF_ALU, BPF_ALU64]);
                    let op = self.pick(&[
                        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD,
                        BPF_XOR, BPF_MOV, BPF_ARSH, BPF_END,
                    ]);
                    let off = match op {
                        BPF_DIV | BPF_MOD => self.below(2) as i16,
                        BPF_MOV if self.below(4) == 0 => self.pick(&[8, 16, 32]),
                        _ => 0,
                    };
                    match (op, self.below(2)) {
                        (BPF_NEG, _) => Insn::new(class | op, dst, 0, 0, 0),
                        (BPF_END, _) => {
                            let s = self.pick(&[BPF_K, BPF_X]);
                            let s = if class == BPF_ALU64 { BPF_K } else { s };
                            Insn::new(class | op | s, dst, 0, 0, self.pick(&[16, 32, 64]))
                        }
                        (BPF_MOV, _) if off != 0 => Insn::new(class | op | BPF_X, dst, src, off, 0),
                        (_, 0) => Insn::new(class | op | BPF_K, dst, 0, off, self.imm()),
                        _ => Insn::new(class | op | BPF_X, dst, src, off, 0),
                    }
                }
                5 => {
                    let v = match self.below(3) {
                        0 => self.pick(&[u64::MAX, 1 << 63, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000]),
                        // A guest pointer into the buffer (region 2) or stack
                        // (region 1).
                        1 => (self.below(2) + 1) << 32 | self.below(80),
                        _ => self.next(),
                    };
                    out.push(Insn::new(LD_IMM64, dst, 0, 0, v as u32 as i32));
                    Insn::new(0, 0, 0, 0, (v >> 32) as u32 as i32)
                }
                6..=9 => {
                    // Memory: mostly through r1 (the buffer) or r10 (stack).
                    let base = self.pick(&[1, 1, 10, 10, 10, src]);
                    let size = self.pick(&sizes);
                    let off = if base == 10 {
                        -(self.below(530) as i16) + 8
                    } else {
                        self.below(mem_len as u64 + 10) as i16 - 2
                    };
                    match self.below(6) {
                        0 | 1 => Insn::new(BPF_LDX | BPF_MEM | size, dst, base, off, 0),
                        2 if size != BPF_DW => Insn::new(BPF_LDX | BPF_MEMSX | size, dst, base, off, 0),
                        2 | 3 => Insn::new(BPF_STX | BPF_MEM | size, base, src, off, 0),
                        4 => Insn::new(BPF_ST | BPF_MEM | size, base, 0, off, self.imm()),
                        _ => {
                            let size = self.pick(&[BPF_W, BPF_DW]);
                            let off = off & !3;
                            let imm =
                                self.pick(&[0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110]);
                            let (d, s) = if imm == 0x100 { (dst, base) } else { (base, src) };
                            Insn::new(BPF_STX | BPF_ATOMIC | size, d, s, off, imm)
                        }
                    }
                }
                10..=13 => {
                    let class = self.pick(&[BPF_JMP, BPF_JMP32]);
                    let op = self.pick(&[
                        BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT,
                        BPF_JSLE,
                    ]);
                    let off = self.jump_off();
                    if self.below(2) == 0 {
                        Insn::new(class | op | BPF_K, dst, 0, off, self.imm())
                    } else {
                        Insn::new(class | op | BPF_X, dst, src, off, 0)
                    }
                }
                14 => match self.below(4) {
                    0 => Insn::new(JA, 0, 0, self.jump_off(), 0),
                    1 => Insn::new(JA32, 0, 0, 0, self.jump_off() as i32),
                    2 => Insn::new(MAY_GOTO, 0, 0, self.jump_off(), 0),
                    _ => Insn::new(
                        BPF_LD | self.pick(&[BPF_ABS, BPF_IND]) | self.pick(&[BPF_B, BPF_H, BPF_W]),
                        0,
                        0,
                        0,
                        0,
                    ),
                },
                15 => match self.below(5) {
                    0 | 1 => Insn::new(CALL, 0, BPF_PSEUDO_HELPER, 0, self.pick(&[1, 2, 3, 5, 5, 99])),
                    2 | 3 => Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, self.jump_off() as i32),
                    _ => Insn::new(CALLX, dst, 0, 0, 0),
                },
                16 => {
                    // Derived pointers: rD = r1/r10 + small.
                    let base = self.pick(&[1, 10]);
                    out.push(Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, dst, base, 0, 0));
                    Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, self.below(16) as i32 - 8)
                }
                17 => EXIT_INSN,
                18 => {
                    // LD_IND with a register index.
                    Insn::new(
                        BPF_LD | BPF_IND | self.pick(&[BPF_B, BPF_H, BPF_W]),
                        0,
                        src,
                        0,
                        self.imm() % 16,
                    )
                }
                19 => self.counted_loop(&mut out, mem_len),
                20 => self.inlined_lookup(&mut out, mem_len),
                21 => self.rotated_loop(&mut out, mem_len),
                _ => Insn::from_bytes(self.next().to_le_bytes()),
            };
            // Fix up LD_ABS immediates to land near the packet.
            let insn = if insn.code & 0xe7 == BPF_LD | BPF_ABS {
                Insn {
                    imm: self.below(70) as i32 - 2,
                    ..insn
                }
            } else {
                insn
            };
            out.push(insn);
        }
        if self.below(8) != 0 {
            out.push(EXIT_INSN);
        }
        (out, memory)
    }
}

const EXIT_INSN: Insn = Insn::new(crate::isa::opcode::EXIT, 0, 0, 0, 0);

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

// ---- the verifier's soundness: what it accepts runs without a fault ----

use crate::verifier::reg::MapShape;
use crate::verifier::MapRef;

/// Choices drawn from fuzzer bytes (zeros once they run out), so that a
/// fuzzer's mutations steer the program shape.
struct Choices<'d> {
    data: &'d [u8],
    pos: usize,
}

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn below(&mut self, n: u32) -> u32 {
        let v = u32::from_le_bytes([self.byte(), self.byte(), 0, 0]);
        v % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u32) as usize]
    }

    fn exhausted(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// The maps a soundness program may use: (type, key size, value size,
/// max entries), as loaded: an array, a hash, and a one-entry array for
/// direct value loads.
pub(crate) const SOUND_MAPS: [SoundMap; 4] = [(2, 4, 16, 4), (1, 4, 16, 32), (2, 4, 8, 1), (27, 0, 0, 4096)];
/// A soundness map: (type, key size, value size, max entries).
type SoundMap = (u32, u32, u32, u32);

/// Ring buffer record sizes the harness hands out (others: NULL).
const SOUND_RECORDS: [u64; 2] = [8, 16];
/// Where the harness pretends map objects live (never mapped: a program
/// may not dereference a map pointer).
const MAP_HANDLE: u64 = 0x7f00_0000_0000_0000;

/// A generated program for the soundness check.
pub struct SoundProgram {
    pub prog_type: u32,
    pub insns: Vec<Insn>,
    pub maps: Vec<MapRef>,
    pub ctx: Vec<u8>,
}

/// Context offsets a generated program reads (scalar fields only: the
/// harness has no ctx conversion, so packet pointers are never loaded).
fn scalar_ctx_offsets(prog_type: u32) -> &'static [i16] {
    use crate::uapi::types::prog_type as pt;
    match prog_type {
        pt::KPROBE => &[0, 8, 16, 32, 80, 96, 112, 160],
        _ => &[0, 4, 8, 12, 16, 20, 24, 36, 40, 48, 52, 56, 60, 64],
    }
}

/// Build a program from fuzzer bytes: a prologue that saves ctx in r6 and
/// initializes registers and stack, then a body biased towards what the
/// verifier reasons about (map lookups, null checks, value accesses with
/// fixed and masked variable offsets, stack accesses, bounds from
/// comparisons, pointer arithmetic), with occasional raw mutations.
pub fn sound_program(data: &[u8]) -> SoundProgram {
    use crate::isa::opcode::*;
    use crate::uapi::types::prog_type as pt;
    let mut c = Choices { data, pos: 0 };
    let prog_type = c.pick(&[pt::SOCKET_FILTER, pt::SOCKET_FILTER, pt::KPROBE]);
    let ctx_len = if prog_type == pt::KPROBE { 168 } else { 192 };
    let ctx: Vec<u8> = (0..ctx_len).map(|i| (i as u8).wrapping_mul(37)).collect();
    let mut out: Vec<Insn> = Vec::new();
    let mut maps = Vec::new();
    let mov64 = |d: u8, imm: i32| Insn::new(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, imm);
    let movr = |d: u8, s: u8| Insn::new(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0);
    out.push(movr(6, 1));
    // Initialized registers and stack.
    for r in [0u8, 2, 3, 4, 5, 7, 8, 9] {
        if c.below(16) != 0 {
            out.push(mov64(r, c.pick(&[0, 1, 7, 16, -1, 255, 4096, -8])));
        }
    }
    for slot in 1..=c.below(8) as i16 {
        out.push(Insn::new(
            BPF_ST | BPF_MEM | BPF_DW,
            10,
            0,
            -8 * slot,
            c.below(8) as i32,
        ));
    }
    let sizes = [BPF_B, BPF_H, BPF_W, BPF_DW];
    let size_bytes = |s: u8| match s {
        BPF_B => 1i16,
        BPF_H => 2,
        BPF_W => 4,
        _ => 8,
    };
    let n = 4 + c.below(28);
    let mut pending_jumps: Vec<usize> = Vec::new();
    // (call pc, r1 is ctx, callee misbehaves).
    let mut pending_calls: Vec<(usize, bool, bool)> = Vec::new();
    while (out.len() as u32) < n + 8 && !c.exhausted() {
        let dst = c.pick(&[0u8, 0, 2, 3, 7, 7, 8, 8, 9, 9]);
        let src = c.pick(&[0u8, 0, 3, 7, 7, 8, 8, 9, 9, 10]);
        // Raw mutations are rare: most programs should get far enough to
        // be accepted.
        let kind = if c.below(40) == 0 { 99 } else { c.below(20) };
        match kind {
            0 | 1 => {
                // A map lookup with a key on the stack, maybe null-checked,
                // then an access to the value.
                let m = c.below(2) as usize;
                let key_off = -8 * (1 + c.below(4) as i16);
                let key = c.pick(&[0, 1, 3, 4, 100]);
                out.push(Insn::new(BPF_ST | BPF_MEM | BPF_W, 10, 0, key_off, key));
                out.push(movr(2, 10));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, key_off as i32));
                maps.push(MapRef {
                    pc: out.len(),
                    map: sound_shape(m),
                    value_off: None,
                });
                out.push(Insn::new(LD_IMM64, 1, BPF_PSEUDO_MAP_FD, 0, 0));
                out.push(Insn::new(0, 0, 0, 0, 0));
                out.push(Insn::new(CALL, 0, 0, 0, 1));
                if c.below(8) != 0 {
                    let off = 1 + c.below(4) as i16;
                    pending_jumps.push(out.len());
                    out.push(Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, off, 0));
                }
                let size = c.pick(&sizes);
                let off = if c.below(4) == 0 {
                    c.below(20) as i16 - 2
                } else {
                    c.below(17 - size_bytes(size) as u32) as i16
                };
                out.push(if c.below(2) == 0 {
                    Insn::new(BPF_LDX | BPF_MEM | size, dst, 0, off, 0)
                } else {
                    Insn::new(BPF_ST | BPF_MEM | size, 0, 0, off, 7)
                });
            }
            2 => {
                // A variable offset into a map value or the stack: a masked
                // (or compared) scalar added to the pointer.
                let base = c.pick(&[0u8, 10, 10]);
                out.push(Insn::new(
                    BPF_LDX | BPF_MEM | BPF_B,
                    3,
                    6,
                    c.pick(scalar_ctx_offsets(prog_type)),
                    0,
                ));
                // Sometimes the offset is a linked copy (maybe plus a
                // constant) of the register whose bounds are checked.
                let linked = c.below(2) == 0;
                if linked {
                    out.push(movr(5, 3));
                    if c.below(2) == 0 {
                        out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 5, 0, 0, c.pick(&[1, 4, -1])));
                    }
                }
                let idx = if linked { 5 } else { 3 };
                let mut skip_at = None;
                if c.below(2) == 0 {
                    out.push(Insn::new(
                        BPF_ALU64 | BPF_AND | BPF_K,
                        3,
                        0,
                        0,
                        c.pick(&[3, 7, 15, 31, 255]),
                    ));
                } else {
                    let lim = c.pick(&[4, 8, 12, 16]);
                    skip_at = Some(out.len());
                    out.push(Insn::new(
                        BPF_JMP | c.pick(&[BPF_JGT, BPF_JGE, BPF_JSGT, BPF_JSLT]) | BPF_K,
                        3,
                        0,
                        0,
                        lim,
                    ));
                }
                if base == 10 {
                    out.push(movr(4, 10));
                    out.push(Insn::new(
                        BPF_ALU64 | BPF_ADD | BPF_K,
                        4,
                        0,
                        0,
                        -(c.pick(&[8, 16, 32, 64])),
                    ));
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, idx, 0, 0));
                } else {
                    out.push(movr(4, 0));
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, idx, 0, 0));
                }
                let size = c.pick(&sizes);
                let off = c.below(16) as i16 - 8;
                out.push(if c.below(2) == 0 {
                    Insn::new(BPF_LDX | BPF_MEM | size, dst, 4, off, 0)
                } else {
                    Insn::new(BPF_STX | BPF_MEM | size, 4, src, off, 0)
                });
                // The bounds check jumps over the access.
                if let Some(at) = skip_at {
                    out[at].off = (out.len() - at - 1) as i16;
                }
            }
            3 | 4 => {
                // Stack loads and stores near the valid range.
                let size = c.pick(&sizes);
                let off = -(c.below(520) as i16) + c.pick(&[0, 0, 8]);
                let off = if c.below(4) != 0 {
                    off / size_bytes(size) * size_bytes(size)
                } else {
                    off
                };
                out.push(match c.below(3) {
                    0 => Insn::new(BPF_LDX | BPF_MEM | size, dst, 10, off, 0),
                    1 => Insn::new(BPF_STX | BPF_MEM | size, 10, src, off, 0),
                    _ => Insn::new(BPF_ST | BPF_MEM | size, 10, 0, off, c.below(3) as i32),
                });
            }
            5 => {
                // Context reads (and socket filter cb[] writes).
                let off = c.pick(scalar_ctx_offsets(prog_type));
                let size = if c.below(3) == 0 { c.pick(&sizes) } else { BPF_W };
                out.push(Insn::new(BPF_LDX | BPF_MEM | size, dst, 6, off, 0));
            }
            6 | 7 => {
                // Scalar arithmetic.
                let op = c.pick(&[
                    BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_MOD, BPF_XOR, BPF_MOV,
                    BPF_ARSH,
                ]);
                let class = c.pick(&[BPF_ALU64, BPF_ALU64, BPF_ALU]);
                out.push(if c.below(2) == 0 {
                    Insn::new(
                        class | op | BPF_K,
                        dst,
                        0,
                        0,
                        c.pick(&[0, 1, 2, 3, 7, 8, 31, 63, -1, 255, 4096]),
                    )
                } else {
                    Insn::new(class | op | BPF_X, dst, src, 0, 0)
                });
            }
            8 | 9 => {
                // Forward conditional jumps (bounds on both ways).
                let op = c.pick(&[
                    BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT, BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT,
                    BPF_JSLE,
                ]);
                let class = c.pick(&[BPF_JMP, BPF_JMP, BPF_JMP32]);
                let off = 1 + c.below(5) as i16;
                pending_jumps.push(out.len());
                out.push(if c.below(3) != 0 {
                    Insn::new(class | op | BPF_K, dst, 0, off, c.pick(&[0, 1, 4, 8, 16, 255, -1]))
                } else {
                    Insn::new(class | op | BPF_X, dst, src, off, 0)
                });
            }
            10 => {
                // Pointer arithmetic on copies of fp, ctx or a map value.
                let base = c.pick(&[10u8, 10, 6, 0]);
                out.push(movr(dst, base));
                out.push(Insn::new(
                    BPF_ALU64 | BPF_ADD | BPF_K,
                    dst,
                    0,
                    0,
                    c.below(40) as i32 - 32,
                ));
                let size = c.pick(&sizes);
                out.push(Insn::new(BPF_LDX | BPF_MEM | size, src.min(9), dst, 0, 0));
            }
            11 => {
                // Helpers without pointer arguments, or trace_printk.
                if c.below(3) == 0 {
                    out.push(movr(1, 10));
                    out.push(Insn::new(
                        BPF_ALU64 | BPF_ADD | BPF_K,
                        1,
                        0,
                        0,
                        -8 * (1 + c.below(8) as i32),
                    ));
                    out.push(mov64(2, c.pick(&[1, 4, 8, 16])));
                    out.push(Insn::new(CALL, 0, 0, 0, 6));
                } else {
                    out.push(Insn::new(CALL, 0, 0, 0, c.pick(&[5, 7, 8])));
                }
            }
            12 => {
                // A direct map value load (one-entry array).
                maps.push(MapRef {
                    pc: out.len(),
                    map: sound_shape(2),
                    value_off: Some(c.below(8)),
                });
                out.push(Insn::new(LD_IMM64, dst, BPF_PSEUDO_MAP_VALUE, 0, 0));
                out.push(Insn::new(0, 0, 0, 0, 0));
                let size = c.pick(&sizes);
                out.push(Insn::new(
                    BPF_LDX | BPF_MEM | size,
                    src.min(9),
                    dst,
                    c.below(10) as i16 - 1,
                    0,
                ));
            }
            13 => {
                // Spill and fill a pointer or a scalar.
                let off = -8 * (1 + c.below(8) as i16);
                out.push(Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, src, off, 0));
                out.push(Insn::new(
                    BPF_LDX | BPF_MEM | c.pick(&[BPF_DW, BPF_DW, BPF_W]),
                    dst,
                    10,
                    off,
                    0,
                ));
            }
            14 => {
                // Map update / delete with a key and value on the stack.
                let m = c.below(2) as usize;
                out.push(movr(2, 10));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -8));
                out.push(movr(3, 10));
                out.push(Insn::new(
                    BPF_ALU64 | BPF_ADD | BPF_K,
                    3,
                    0,
                    0,
                    -8 * (2 + c.below(4) as i32),
                ));
                maps.push(MapRef {
                    pc: out.len(),
                    map: sound_shape(m),
                    value_off: None,
                });
                out.push(Insn::new(LD_IMM64, 1, BPF_PSEUDO_MAP_FD, 0, 0));
                out.push(Insn::new(0, 0, 0, 0, 0));
                out.push(mov64(4, 0));
                out.push(Insn::new(CALL, 0, 0, 0, c.pick(&[2, 3])));
            }
            15 => {
                // A ring buffer record: reserve, null check, access,
                // submit or discard (each step sometimes wrong).
                maps.push(MapRef {
                    pc: out.len(),
                    map: sound_shape(3),
                    value_off: None,
                });
                out.push(Insn::new(LD_IMM64, 1, BPF_PSEUDO_MAP_FD, 0, 0));
                out.push(Insn::new(0, 0, 0, 0, 0));
                out.push(mov64(2, c.pick(&[8, 16, 16, 3])));
                out.push(mov64(3, 0));
                out.push(Insn::new(CALL, 0, 0, 0, 131));
                let check = c.below(8) != 0;
                let release = c.below(8) != 0;
                if check {
                    out.push(Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1 + 3 * release as i16, 0));
                }
                let size = c.pick(&sizes);
                let off = if c.below(4) == 0 {
                    c.below(20) as i16 - 2
                } else {
                    c.below(9 - size_bytes(size).min(8) as u32) as i16
                };
                out.push(Insn::new(BPF_ST | BPF_MEM | size, 0, 0, off, 1));
                if release {
                    out.push(movr(1, 0));
                    out.push(mov64(2, 0));
                    out.push(Insn::new(CALL, 0, 0, 0, c.pick(&[132, 133])));
                }
            }
            16 => {
                // Atomic read-modify-write on the stack or a map value.
                let imm = c.pick(&[0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1]);
                let size = c.pick(&[BPF_W, BPF_DW, BPF_DW, BPF_B]);
                let (base, off) = if c.below(2) == 0 {
                    (10u8, -8 * (1 + c.below(8) as i16))
                } else {
                    maps.push(MapRef {
                        pc: out.len(),
                        map: sound_shape(2),
                        value_off: Some(0),
                    });
                    out.push(Insn::new(LD_IMM64, 4, BPF_PSEUDO_MAP_VALUE, 0, 0));
                    out.push(Insn::new(0, 0, 0, 0, 0));
                    (4u8, c.pick(&[0, 4, 8, -4]))
                };
                out.push(mov64(3, c.below(5) as i32));
                out.push(Insn::new(BPF_STX | BPF_ATOMIC | size, base, 3, off, imm));
            }
            17 => {
                // Load-acquire / store-release on the stack.
                let size = c.pick(&sizes);
                let off = -(c.below(40) as i16) - 1;
                let off = if c.below(4) != 0 {
                    off / size_bytes(size) * size_bytes(size)
                } else {
                    off
                };
                let off = if off == 0 { -8 } else { off };
                out.push(if c.below(2) == 0 {
                    Insn::new(BPF_STX | BPF_ATOMIC | size, dst, 10, off, BPF_LOAD_ACQ)
                } else {
                    Insn::new(BPF_STX | BPF_ATOMIC | size, 10, src, off, BPF_STORE_REL)
                });
            }
            18 => {
                // A bpf-to-bpf call: ctx or a constant in r1.
                let ctx_arg = c.below(2) == 0;
                out.push(if ctx_arg {
                    movr(1, 6)
                } else {
                    mov64(1, c.below(9) as i32)
                });
                pending_calls.push((out.len(), ctx_arg, c.below(4) == 0));
                out.push(Insn::new(CALL, 0, BPF_PSEUDO_CALL, 0, 0));
            }
            19 => {
                // A counted loop over the stack below fp - 64, as clang
                // emits `for (i = start; i != n; i += step) acc += p[i]`
                // (the JIT unrolls these), maybe leaving early on a value.
                let iv = c.pick(&[3u8, 7, 8, 9]);
                let step = c.pick(&[1, 1, 2, 4, 8]);
                let start = c.below(3) as i32;
                let n = start + step * (1 + c.below(8) as i32);
                out.push(mov64(2, 0));
                out.push(mov64(iv, start));
                let head = out.len();
                out.push(movr(4, iv));
                out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_X, 4, 10, 0, 0));
                let size = c.pick(&[BPF_B, BPF_H, BPF_W]);
                out.push(Insn::new(BPF_LDX | BPF_MEM | size, 5, 4, -64, 0));
                let inc_first = c.below(2) == 0;
                if inc_first {
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, iv, 0, 0, step));
                }
                let exit_at = (c.below(2) == 0).then(|| {
                    out.push(Insn::new(BPF_JMP | BPF_JEQ | BPF_K, 5, 0, 0, c.below(8) as i32));
                    out.len() - 1
                });
                out.push(Insn::new(BPF_ALU64 | c.pick(&[BPF_ADD, BPF_XOR]) | BPF_X, 2, 5, 0, 0));
                if c.below(4) == 0 {
                    out.push(Insn::new(BPF_STX | BPF_MEM | size, 4, 2, -64, 0));
                }
                if !inc_first {
                    out.push(Insn::new(BPF_ALU64 | BPF_ADD | BPF_K, iv, 0, 0, step));
                }
                let back = crate::isa::cfg::rel(out.len(), head as i64);
                out.push(Insn::new(BPF_JMP | BPF_JNE | BPF_K, iv, 0, back as i16, n));
                if let Some(at) = exit_at {
                    out[at].off = (out.len() - at - 1) as i16;
                }
            }
            _ => {
                // A raw mutation: any instruction word.
                let b: Vec<u8> = (0..8).map(|_| c.byte()).collect();
                let mut w = [0u8; 8];
                w.copy_from_slice(&b);
                let insn = Insn::from_bytes(w);
                if !insn.is_ld_imm64() {
                    out.push(insn);
                }
            }
        }
    }
    out.push(mov64(0, 0));
    out.push(Insn::new(EXIT, 0, 0, 0, 0));
    let main_len = out.len();
    // Callees after the main program: each reads its argument (through
    // ctx or a stack round trip) and returns a scalar.
    for (pc, ctx_arg, bad) in pending_calls {
        let start = out.len();
        out[pc].imm = (start - pc - 1) as i32;
        if ctx_arg {
            out.push(Insn::new(BPF_LDX | BPF_MEM | BPF_W, 0, 1, if bad { -4 } else { 4 }, 0));
        } else {
            let off = if bad { -520 } else { -8 };
            out.push(Insn::new(BPF_STX | BPF_MEM | BPF_DW, 10, 1, off, 0));
            out.push(Insn::new(BPF_LDX | BPF_MEM | BPF_DW, 0, 10, off, 0));
        }
        out.push(Insn::new(BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 0, 7));
        out.push(Insn::new(EXIT, 0, 0, 0, 0));
    }
    // Jumps must land inside the main program and not in an ld_imm64's
    // tail.
    let len = main_len;
    for pc in pending_jumps {
        let t = crate::isa::cfg::target(pc, out[pc].off as i64);
        if t >= len as i64 || maps.iter().any(|m| m.pc + 1 == t as usize) {
            out[pc].off = 0;
        }
    }
    SoundProgram {
        prog_type,
        insns: out,
        maps,
        ctx,
    }
}

fn sound_shape(i: usize) -> MapShape {
    let (map_type, key_size, value_size, max_entries) = SOUND_MAPS[i];
    MapShape {
        key_size,
        value_size,
        map_type,
        max_entries,
        map_flags: 0,
        index: i as u32,
        ..MapShape::default()
    }
}

/// What the soundness check did with one input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoundVerdict {
    /// The verifier refused it.
    Rejected,
    /// The full verifier does not model something in it (it would fall
    /// back to the structural verdict): not a soundness claim.
    NotModelled,
    /// Accepted and run without a memory fault.
    Ran,
}

/// Verify `p` with the full verifier (as root); if it accepts, run it in
/// the interpreter over checked guest memory (a 512-byte stack, the
/// context, map values behind lookup helpers) and panic on any memory
/// fault: the verifier let through an unsafe access.
pub fn check_soundness(p: &SoundProgram) -> SoundVerdict {
    use crate::verifier::do_check::{Env, Stop};
    use crate::verifier::log::VerifierLog;
    if crate::verifier::cfg::check(&p.insns, true).is_err() {
        return SoundVerdict::Rejected;
    }
    let Ok(mut log) = VerifierLog::new(0, 0, 0) else {
        return SoundVerdict::NotModelled;
    };
    let outcome = match Env::new(&p.insns, p.prog_type, 0, true, true, &p.maps, &mut log) {
        Some(mut env) => env.run(),
        None => return SoundVerdict::Rejected,
    };
    match outcome {
        Ok(()) => {}
        Err(Stop::Reject(_)) => return SoundVerdict::Rejected,
        Err(Stop::Unsupported(_)) => return SoundVerdict::NotModelled,
    }
    // Map buffers, the context and the stack, all checked regions.
    let mut values: Vec<AlignedBuf> = SOUND_MAPS
        .iter()
        .map(|&(_, _, vs, n)| AlignedBuf::zeroed((vs * n) as usize))
        .collect();
    let mut ctx = AlignedBuf::from_bytes(&p.ctx);
    // One frame's stack exactly, unless the program calls subprograms
    // (the interpreter puts callee frames below).
    let calls = p.insns.iter().any(|i| i.code == crate::isa::opcode::CALL && i.src == 1);
    let stack_len = crate::isa::opcode::MAX_BPF_STACK * if calls { 8 } else { 1 };
    let mut stack = AlignedBuf::zeroed(stack_len);
    let mut records: Vec<AlignedBuf> = SOUND_RECORDS.iter().map(|&n| AlignedBuf::zeroed(n as usize)).collect();
    let mut mem = GuestMemory::new();
    let stack_base = mem.add(stack.as_mut_bytes(), RegionKind::Stack);
    let ctx_addr = if p.prog_type == crate::uapi::types::prog_type::KPROBE {
        mem.add_readonly(ctx.as_bytes(), RegionKind::Memory)
    } else {
        mem.add(ctx.as_mut_bytes(), RegionKind::Memory)
    };
    let value_addrs: Vec<u64> = values
        .iter_mut()
        .map(|v| mem.add(v.as_mut_bytes(), RegionKind::Memory))
        .collect();
    let record_addrs: Vec<u64> = records
        .iter_mut()
        .map(|r| mem.add(r.as_mut_bytes(), RegionKind::Memory))
        .collect();
    // The program as the kernel would run it: map loads become addresses.
    let mut insns = p.insns.clone();
    for m in &p.maps {
        let i = m.map.index as usize;
        let addr = match m.value_off {
            None => MAP_HANDLE + i as u64,
            Some(off) => value_addrs[i] + off as u64,
        };
        insns[m.pc].src = 0;
        insns[m.pc].imm = addr as u32 as i32;
        insns[m.pc + 1].imm = (addr >> 32) as u32 as i32;
    }
    let Ok(prog) = Program::new(insns) else {
        panic!("a verified program does not decode");
    };
    let helpers = sound_helpers(value_addrs, record_addrs);
    let opts = RunOptions {
        budget: Some(1_000_000),
        packet: None,
    };
    let fp = stack_base + stack_len as u64;
    let r = Interpreter::new(&prog, &helpers).execute(&mut mem, fp, &[ctx_addr], &opts);
    if let Err(e) = &r {
        let benign = matches!(e.fault, crate::exec::Fault::BudgetExhausted { .. });
        if !benign {
            let text = crate::isa::disasm::disasm_program(&p.insns).unwrap_or_default();
            let mut log = VerifierLog::new(2, 1, 1 << 24).expect("log");
            if let Some(mut env) = Env::new(&p.insns, p.prog_type, 0, true, true, &p.maps, &mut log) {
                let _ = env.run();
            }
            panic!(
                "verifier accepted a program that faults: {e}\nprog_type {}\n{text}\nverifier log:\n{}",
                p.prog_type,
                String::from_utf8_lossy(log.text())
            );
        }
    }
    SoundVerdict::Ran
}

/// The helpers a soundness program calls, over guest memory: map
/// lookup/update/delete (reading the key and value as the kernel's would,
/// so a bad pointer faults), trace_printk (reads its buffer), and
/// argument-free helpers.
fn sound_helpers(value_addrs: Vec<u64>, record_addrs: Vec<u64>) -> HelperTable {
    let mut t = HelperTable::new();
    let shape = |h: u64| -> Result<(usize, SoundMap), HelperExit> {
        let i = h.wrapping_sub(MAP_HANDLE) as usize;
        SOUND_MAPS
            .get(i)
            .map(|&m| (i, m))
            .ok_or_else(|| HelperExit::Failed(format!("not a map: {h:#x}")))
    };
    let slot = move |i: usize, m: SoundMap, key: &[u8], addrs: &[u64]| -> u64 {
        let (ty, _, vs, n) = m;
        let k = u32::from_le_bytes([key[0], key[1], key[2], key[3]]);
        if ty == 2 {
            if k < n {
                addrs[i] + (k * vs) as u64
            } else {
                0
            }
        } else if k % 3 == 2 {
            0 // a hash miss
        } else {
            addrs[i] + ((k % n) * vs) as u64
        }
    };
    let a = value_addrs.clone();
    t.register(1, "map_lookup_elem", move |mem, args| {
        let (i, m) = shape(args[0])?;
        let mut key = vec![0u8; m.1 as usize];
        mem.read_bytes(args[1], &mut key)?;
        Ok(slot(i, m, &key, &a))
    });
    let a = value_addrs;
    t.register(2, "map_update_elem", move |mem, args| {
        let (i, m) = shape(args[0])?;
        let mut key = vec![0u8; m.1 as usize];
        mem.read_bytes(args[1], &mut key)?;
        let mut value = vec![0u8; m.2 as usize];
        mem.read_bytes(args[2], &mut value)?;
        let at = slot(i, m, &key, &a);
        if at != 0 {
            mem.write_bytes(at, &value)?;
        }
        Ok(0)
    });
    t.register(3, "map_delete_elem", move |mem, args| {
        let (_, m) = shape(args[0])?;
        let mut key = vec![0u8; m.1 as usize];
        mem.read_bytes(args[1], &mut key)?;
        Ok(0)
    });
    t.register(5, "ktime_get_ns", |_, _| Ok(1_000_000));
    t.register(6, "trace_printk", |mem, args| {
        let mut buf = vec![0u8; args[1].min(4096) as usize];
        mem.read_bytes(args[0], &mut buf)?;
        Ok(0)
    });
    t.register(
        7,
        "get_prandom_u32",
        |_, args| Ok((args[0] ^ 0x9e37_79b9) & 0xffff_ffff),
    );
    t.register(8, "get_smp_processor_id", |_, _| Ok(0));
    // Ring buffer: records of the sizes in SOUND_RECORDS, exactly as
    // large as asked for; submit/discard must get one of them back.
    let recs = record_addrs.clone();
    t.register(131, "ringbuf_reserve", move |_, args| {
        shape(args[0])?;
        Ok(SOUND_RECORDS.iter().position(|&n| n == args[1]).map_or(0, |i| recs[i]))
    });
    for (id, name) in [(132, "ringbuf_submit"), (133, "ringbuf_discard")] {
        let recs = record_addrs.clone();
        t.register(id, name, move |_, args| {
            if recs.contains(&args[0]) {
                Ok(0)
            } else {
                Err(HelperExit::Failed(format!("not a record: {:#x}", args[0])))
            }
        });
    }
    t
}

/// The fuzz entry: a program from the bytes, checked as above.
pub fn verifier_soundness(data: &[u8]) -> SoundVerdict {
    check_soundness(&sound_program(data))
}

/// Input bytes for the `n`th program of a seeded campaign.
pub fn sound_seed_bytes(seed: u64, n: u64) -> Vec<u8> {
    let mut g = ProgramGen::new(seed ^ n.wrapping_mul(0x2545_f491_4f6c_dd1d));
    let len = 64 + g.below(448) as usize;
    (0..len).map(|_| g.next() as u8).collect()
}

/// The verifier's last log line for `p` (level 1): why it was refused.
pub fn sound_verifier_message(p: &SoundProgram) -> String {
    use crate::verifier::do_check::Env;
    use crate::verifier::log::VerifierLog;
    if let Err(m) = crate::verifier::cfg::check(&p.insns, true) {
        return m.trim_end().to_string();
    }
    let mut log = VerifierLog::new(1, 1, 1 << 24).expect("log");
    if let Some(mut env) = Env::new(&p.insns, p.prog_type, 0, true, true, &p.maps, &mut log) {
        let _ = env.run();
    }
    let text = String::from_utf8_lossy(log.text()).into_owned();
    text.lines().last().unwrap_or("").to_string()
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
    if let Ok(btf) = crate::obj::btf::Btf::parse(data) {
        let _ = crate::obj::btf::dump::dump_raw(&btf);
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
