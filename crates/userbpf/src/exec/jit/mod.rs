//! The x86-64 JIT: BPF programs compiled to host machine code, with the
//! interpreter's semantics, faults and errors.
//!
//! - [`JitProgram::compile`] turns a [`Program`] into a sealed W^X image
//!   (`x86_64/compile/` emits: mod.rs the pass and instructions, access.rs
//!   memory accesses, calls.rs helper and direct calls; `x86_64/mem.rs` maps).
//! - [`Jit`] runs an image over [`GuestMemory`] like [`Interpreter`] does:
//!   same arguments, same result, same [`ExecError`] (pc and fault) on the
//!   same programs; helpers are called through a Rust trampoline.
//!   Both implement [`Executor`], generic over the run's environment.
//!
//! [`Interpreter`]: crate::exec::Interpreter
//! [`Executor`]: crate::exec::Executor

pub(crate) mod ctx;
pub(crate) mod direct;
mod disasm;
pub(crate) mod x86_64;

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use self::direct::DirectCall;
use self::x86_64::compile::{compile, Access, CompileOptions, Site, SiteKind};
use self::x86_64::mem::ExecMemory;
use crate::exec::env::{ExecEnv, NoEnv};
use crate::exec::executor::Executor;
use crate::exec::helper_table::{HelperCall, HelperExit, HelperTable};
use crate::exec::interp::{ExecError, Fault, Program, RunOptions, STACK_SIZE};
use crate::exec::memory::{AccessFault, AccessKind, GuestMemory};
use crate::exec::AccessProof;
use crate::isa::DecodeError;
use crate::uapi::helper_ids::func::*;

// The kernel's budget for `may_goto` loops, as the interpreter counts it.
use crate::uapi::BPF_MAX_LOOPS as MAY_GOTO_BUDGET;

/// How to compile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitOptions {
    /// Count executed instructions so runs can have a budget
    /// ([`RunOptions::budget`]). Costs a subtraction per straight-line
    /// segment; off by default.
    pub meter: bool,
    /// Constant blinding as bpf_jit_harden does it: no program immediate
    /// appears verbatim in the image.
    pub blind: bool,
}

/// Why a program could not be compiled.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    #[error("invalid program: {0}")]
    Decode(#[from] DecodeError),
    #[error("cannot map executable memory: {0}")]
    Map(#[from] std::io::Error),
}

/// A compiled program: the sealed image and what a run needs to
/// explain a fault.
#[derive(Debug)]
pub struct JitProgram {
    image: ExecMemory,
    /// Host offset of each BPF slot's code; `offsets[len]` is past the end.
    offsets: Vec<u32>,
    sites: Vec<Site>,
    /// Code of no single instruction (unrolled loops), for the listing.
    notes: Vec<(u32, String)>,
    program: Program,
    options: JitOptions,
    /// The regions the image's proofs address by fixed slots.
    needs: ProofNeeds,
    /// The map-helper calls compiled as direct calls (and what keeps
    /// their maps alive).
    direct: Vec<DirectCall>,
}

/// What guest memory must hold for a proven image: a context region, a
/// packet region, and the used maps as regions 0..maps (maps::guest's
/// layout). Checked at every run, so a misused image faults cleanly.
#[derive(Clone, Copy, Debug, Default)]
struct ProofNeeds {
    /// Trusted proofs (else hints, which need only the table entries to
    /// exist, zeroed when their region is missing).
    trusted: bool,
    context: bool,
    packet: bool,
    stack: bool,
    maps: u32,
}

impl ProofNeeds {
    fn of(proofs: &[AccessProof]) -> Self {
        let mut n = ProofNeeds::default();
        for p in proofs {
            match *p {
                AccessProof::Context => n.context = true,
                AccessProof::Packet => n.packet = true,
                AccessProof::Stack => n.stack = true,
                AccessProof::Map(i) => n.maps = n.maps.max(i + 1),
                AccessProof::None | AccessProof::InRegion => {}
            }
        }
        n
    }

    fn met_by(&self, ctx: &[u64], mem: &GuestMemory<'_>) -> bool {
        if !self.trusted {
            return true;
        }
        let found = ctx[ctx::KIND_FOUND];
        (!self.context || found & 1 != 0)
            && (!self.packet || found & 2 != 0)
            && (!self.stack || found & 4 != 0)
            && (0..self.maps as u64).all(|i| {
                matches!(
                    mem.region_at((i + 1) << 32),
                    Some((crate::exec::RegionKind::MapValue, _))
                )
            })
    }
}

/// The verifier's proofs as the compiler takes them: hints, which keep
/// every access checked (against the named region alone), or trusted
/// promises, which drop the checks.
#[derive(Clone, Copy, Debug, Default)]
pub struct Proofs<'a> {
    proofs: &'a [AccessProof],
    trusted: bool,
}

impl<'a> Proofs<'a> {
    /// Hints: a wrong one costs a fault, never a wild access.
    pub fn hints(proofs: &'a [AccessProof]) -> Self {
        Proofs { proofs, trusted: false }
    }

    /// Promises: `proven[pc]` set promises that the memory access of
    /// instruction `pc` always lies inside one mapped region (the one
    /// named, if any), with write permission if it writes and natural
    /// alignment if it is atomic.
    ///
    /// # Safety
    /// Every promise must hold for every run of an image compiled with
    /// them, with any guest memory it is run on: a wrong one is a wild
    /// host access.
    pub unsafe fn trusted(proven: &'a [AccessProof]) -> Self {
        Proofs {
            proofs: proven,
            trusted: true,
        }
    }
}

impl JitProgram {
    /// Compile `prog` to a sealed, executable image.
    pub fn compile(prog: &Program, options: JitOptions) -> Result<Self, JitError> {
        Self::compile_with(prog, options, Proofs::default(), &[])
    }

    /// Compile with the verifier's proofs as hints: every access stays
    /// checked, but one the verifier places in the context, the packet or
    /// a map is checked against that region alone (a shorter sequence).
    /// A wrong hint costs a fault, never a wild access.
    pub fn compile_with_hints(prog: &Program, options: JitOptions, hints: &[AccessProof]) -> Result<Self, JitError> {
        Self::compile_with(prog, options, Proofs::hints(hints), &[])
    }

    /// Compile with the verifier's proofs trusted (see `Proofs::trusted`):
    /// such accesses are translated with no checks at all (as the kernel's
    /// JIT trusts its verifier).
    ///
    /// # Safety
    /// As `Proofs::trusted`.
    pub unsafe fn compile_with_proofs(
        prog: &Program,
        options: JitOptions,
        proven: &[AccessProof],
    ) -> Result<Self, JitError> {
        // SAFETY: the caller's promise.
        Self::compile_with(prog, options, unsafe { Proofs::trusted(proven) }, &[])
    }

    /// Compile with the verifier's proofs (blinded images ignore them) and
    /// `direct` naming the helper calls to compile as direct calls.
    pub(crate) fn compile_with(
        prog: &Program,
        options: JitOptions,
        proofs: Proofs<'_>,
        direct: &[DirectCall],
    ) -> Result<Self, JitError> {
        let blind = options.blind.then(blinding_seed);
        let trust = proofs.trusted;
        // Blinded images take no proofs (as before any of this existed).
        let proofs = if blind.is_some() { &[][..] } else { proofs.proofs };
        let compiled = compile(
            prog.slots(),
            CompileOptions {
                meter: options.meter,
                blind,
                trust_proofs: trust,
            },
            proofs,
            direct,
        )?;
        let image = ExecMemory::new(&compiled.code)?;
        let needs = ProofNeeds::of(proofs);
        Ok(JitProgram {
            image,
            offsets: compiled.offsets,
            sites: compiled.sites,
            notes: compiled.notes,
            program: prog.clone(),
            options,
            needs: ProofNeeds {
                trusted: trust,
                ..needs
            },
            direct: direct.to_vec(),
        })
    }

    /// Loops the image runs unrolled (x86_64/compile/unroll.rs).
    pub fn unrolled_loops(&self) -> usize {
        self.notes.len()
    }

    /// Host address of the image.
    pub fn image(&self) -> &[u8] {
        self.image.bytes()
    }

    /// Host address of the image (its kallsyms start).
    pub fn addr(&self) -> u64 {
        self.image.addr()
    }

    /// Bytes of machine code (bpf_prog_info.jited_prog_len).
    pub fn len(&self) -> usize {
        self.image.len()
    }

    pub fn is_empty(&self) -> bool {
        self.image.is_empty()
    }

    /// The map-helper calls compiled as direct calls: (pc, helper id).
    pub fn direct_call_sites(&self) -> Vec<(usize, i32)> {
        self.direct.iter().map(|d| (d.pc(), d.helper_id())).collect()
    }

    /// Image offset where the code of each BPF slot starts (the line info
    /// of `prog dump jited`); one more entry for the end of the program.
    pub fn insn_offsets(&self) -> &[u32] {
        &self.offsets
    }

    pub fn program(&self) -> &Program {
        &self.program
    }

    pub fn options(&self) -> JitOptions {
        self.options
    }

    /// The image disassembled (Intel syntax), each block headed by the BPF
    /// instruction it comes from, as `bpftool prog dump jited linum`.
    pub fn disassemble(&self) -> String {
        disasm::listing(self)
    }

    fn fault(&self, ctx: &[u64], mem: &GuestMemory<'_>, budget: u64) -> ExecError {
        let site = &self.sites[ctx[ctx::FAULT_SITE] as usize];
        let fault = match &site.kind {
            SiteKind::Memory { size, access } => {
                Fault::Memory(access_fault(mem, ctx[ctx::FAULT_ADDR], *size as usize, *access))
            }
            SiteKind::Static(f) => f.clone(),
            SiteKind::CallDepth => Fault::CallDepth,
            SiteKind::Budget { pcs } => {
                // The segment's subtraction wrapped: add it back for what was
                // left on entry; that many instructions of it still ran.
                let left = ctx[ctx::BUDGET].wrapping_add(pcs.len() as u64) as usize;
                return ExecError {
                    pc: pcs[left],
                    fault: Fault::BudgetExhausted { budget },
                };
            }
        };
        ExecError { pc: site.pc, fault }
    }
}

/// The exact error the interpreter reports for a failed access (the image
/// only knows that the fast path failed).
fn access_fault(mem: &GuestMemory<'_>, addr: u64, len: usize, access: Access) -> AccessFault {
    let result = match access {
        Access::Read => mem.translate(addr, len, AccessKind::Read).map(|_| ()),
        Access::Write => mem.translate(addr, len, AccessKind::Write).map(|_| ()),
        Access::Atomic => {
            if !addr.is_multiple_of(len as u64) {
                Err(AccessFault::Misaligned { addr, len })
            } else {
                mem.translate(addr, len, AccessKind::Write).and_then(|p| {
                    if !(p as usize).is_multiple_of(len) {
                        Err(AccessFault::Misaligned { addr, len })
                    } else {
                        Ok(())
                    }
                })
            }
        }
    };
    // The image and the region table agree, so the access does fail; should
    // they ever not, name the address rather than pretend success.
    result.err().unwrap_or(AccessFault::Unmapped {
        addr,
        len,
        kind: AccessKind::Read,
    })
}

/// A per-image seed for blinding keys (the kernel uses get_random_u32).
fn blinding_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    h.finish()
}

/// A compiled program bound to a helper table: the JIT's counterpart of
/// [`Interpreter`](crate::exec::Interpreter).
pub struct Jit<'p, E: ExecEnv = NoEnv> {
    prog: &'p JitProgram,
    helpers: &'p HelperTable<E>,
}

/// What the trampoline hands back to the image: status in rax, the (maybe
/// moved) context in rdx.
#[repr(C)]
struct TrampolineRet {
    status: u64,
    ctx: *mut u64,
}

/// The Rust side of a run, reachable from the image through ctx[ENV].
struct CallEnv<'e, 'm, E: ExecEnv> {
    mem: &'e mut GuestMemory<'m>,
    env: &'e E::Run<'m>,
    helpers: &'e HelperTable<E>,
    ctx: Vec<u64>,
    outcome: Option<Result<u64, ExecError>>,
    panic: Option<Box<dyn Any + Send>>,
}

/// Called by the image for `call helper` and `callx`: registers are in
/// ctx[REGS..]; r0 is written back there.
extern "C" fn helper_trampoline<E: ExecEnv>(env: &mut CallEnv<'_, '_, E>, id: u64, pc: u64) -> TrampolineRet {
    let status = env.call_helper(id, pc as usize);
    TrampolineRet {
        status,
        ctx: env.ctx.as_mut_ptr(),
    }
}

impl<E: ExecEnv> CallEnv<'_, '_, E> {
    fn call_helper(&mut self, id: u64, pc: usize) -> u64 {
        let helpers = self.helpers;
        // bpf_map_lookup_elem straight into the map code: no table, no
        // boxed call (unless the run has no maps).
        if id == BPF_FUNC_MAP_LOOKUP_ELEM as u64 && helpers.direct_map_lookup() {
            let (map, key) = (self.ctx[ctx::REGS + 1], self.ctx[ctx::REGS + 2]);
            let (mem, env) = (&mut *self.mem, self.env);
            match catch_unwind(AssertUnwindSafe(|| E::map_lookup_elem(env, mem, map, key))) {
                Ok(None) => {}
                Ok(Some(r)) => return self.finish_call(Ok(r), "bpf_map_lookup_elem", pc),
                Err(payload) => return self.finish_call(Err(payload), "bpf_map_lookup_elem", pc),
            }
        }
        let Some(h) = helpers.get(id) else {
            self.outcome = Some(Err(ExecError {
                pc,
                fault: Fault::UnknownHelper { id },
            }));
            return ctx::STATUS_TRAMPOLINE;
        };
        // r1..r5 where the image stored them: the helper reads each with
        // one 8-byte load (a copy of the array would read it back with
        // wide loads, which miss store forwarding and stall).
        let args: &[u64; 5] = self.ctx[ctx::REGS + 1..ctx::REGS + 6]
            .try_into()
            .expect("five registers");
        let mut call = HelperCall::<E> {
            mem: &mut *self.mem,
            env: self.env,
        };
        // A panic must not unwind through machine code: carry it over.
        // The helper's Result is taken apart where it was written (copying
        // it whole would read it back with wide loads, as above).
        let mut r0 = 0;
        let mut exit = None;
        let caught = catch_unwind(AssertUnwindSafe(|| match (h.func)(&mut call, args) {
            Ok(v) => r0 = v,
            Err(e) => exit = Some(e),
        }));
        let r = caught.map(|()| exit.map_or(Ok(r0), Err));
        self.finish_call(r, h.name, pc)
    }

    /// What a helper's result means for the image: r0 and go on, or stop
    /// with an outcome (exit, fault, or a panic to resume).
    fn finish_call(&mut self, r: std::thread::Result<Result<u64, HelperExit>>, name: &'static str, pc: usize) -> u64 {
        let fault = match r {
            Ok(Ok(r0)) => {
                self.ctx[ctx::REGS] = r0;
                ctx::refresh_regions(&mut self.ctx, self.mem);
                return ctx::STATUS_OK;
            }
            Ok(Err(HelperExit::Exit(r0))) => {
                self.outcome = Some(Ok(r0));
                return ctx::STATUS_TRAMPOLINE;
            }
            Ok(Err(HelperExit::Fault(f))) => Fault::Memory(f),
            Ok(Err(HelperExit::Failed(reason))) => Fault::HelperFailed { name, reason },
            Err(payload) => {
                self.panic = Some(payload);
                return ctx::STATUS_TRAMPOLINE;
            }
        };
        self.outcome = Some(Err(ExecError { pc, fault }));
        ctx::STATUS_TRAMPOLINE
    }
}

impl<'p, E: ExecEnv> Jit<'p, E> {
    pub fn new(prog: &'p JitProgram, helpers: &'p HelperTable<E>) -> Self {
        Jit { prog, helpers }
    }
}

impl<E: ExecEnv> Executor for Jit<'_, E> {
    type Env = E;
    type Prepared = PreparedRun;

    /// Check `mem` and build the run context once, for a series of runs
    /// over the same guest memory and stack (BPF_PROG_TEST_RUN's repeat):
    /// [`execute_prepared`](Self::execute_prepared) then only resets the
    /// inputs.
    fn prepare(&self, mem: &GuestMemory<'_>, fp: u64, opts: &RunOptions) -> Result<PreparedRun, ExecError> {
        let unsupported = |what| {
            Err(ExecError {
                pc: 0,
                fault: Fault::Unsupported { what },
            })
        };
        if opts.budget.is_some() && !self.prog.options.meter {
            return unsupported("an instruction budget on an image compiled without JitOptions::meter");
        }
        let stack_base = fp.wrapping_sub(STACK_SIZE as u64);
        let stack_host = match mem.translate(stack_base, STACK_SIZE, AccessKind::Write) {
            Ok(p) if (p as usize).is_multiple_of(8) && fp.is_multiple_of(8) => p as u64,
            _ => return unsupported("a frame pointer that is not the top of an aligned, writable stack region"),
        };
        // Hinted and proven map accesses read entries 1..=maps at fixed
        // places: they exist (zero when unmapped, so a hinted access faults).
        let mut ctx = ctx::new_ctx_with(mem, self.prog.needs.maps as usize + 1);
        ctx::set_frame_window(&mut ctx, stack_base, stack_host, STACK_SIZE as u64);
        if !self.prog.needs.met_by(&ctx, mem) {
            ctx::recycle(ctx);
            return unsupported("guest memory without the regions the verifier's proofs name");
        }
        ctx[ctx::REGS + 10] = fp;
        type Trampoline<E> = extern "C" fn(&mut CallEnv<'_, '_, E>, u64, u64) -> TrampolineRet;
        ctx[ctx::TRAMPOLINE] = helper_trampoline::<E> as Trampoline<E> as usize as u64;
        Ok(PreparedRun { ctx, fp })
    }

    /// One run over a [`prepare`](Self::prepare)d context.
    fn execute_prepared<'m>(
        &self,
        prepared: &mut PreparedRun,
        mem: &mut GuestMemory<'m>,
        env: &E::Run<'m>,
        args: &[u64],
        opts: &RunOptions,
    ) -> Result<u64, ExecError> {
        let mut ctx = std::mem::take(&mut prepared.ctx);
        ctx::refresh_regions(&mut ctx, mem);
        // Registers start as a fresh context has them: zero but the inputs.
        ctx[ctx::REGS..ctx::REGS + 10].fill(0);
        for (r, a) in ctx[ctx::REGS + 1..ctx::REGS + 6].iter_mut().zip(args) {
            *r = *a;
        }
        ctx[ctx::REGS + 10] = prepared.fp;
        let budget = opts.budget.unwrap_or(u64::MAX);
        ctx[ctx::BUDGET] = budget;
        ctx[ctx::MAY_GOTO] = MAY_GOTO_BUDGET;
        ctx[ctx::DIRECT_OK] = self.direct_calls_allowed(env) as u64;
        ctx[ctx::CPU] = E::cpu(env) as u64;
        ctx[ctx::RUN_ENV] = env as *const E::Run<'_> as u64;
        // No packet: length 0 and both headers at 0 make every load fail.
        let pkt = opts.packet.unwrap_or_default();
        ctx[ctx::PKT_BASE] = pkt.data;
        ctx[ctx::PKT_LEN] = pkt.len as u64;
        ctx[ctx::PKT_NET_DELTA] = pkt.net_delta() as u64;
        ctx[ctx::PKT_MAC_DELTA] = pkt.mac_delta() as u64;
        let mut env = CallEnv {
            mem,
            env,
            helpers: self.helpers,
            ctx,
            outcome: None,
            panic: None,
        };
        let ctx_ptr = env.ctx.as_mut_ptr();
        let env_ptr: *mut CallEnv<'_, '_, E> = &mut env;
        // SAFETY: the image was produced by our compiler for this context
        // layout. It reads and writes only the context (through ctx_ptr, or
        // the pointer the trampoline returns), guest memory through the
        // region table (checked, or proven by whoever called
        // `compile_with_proofs`, with the named regions checked present by
        // `prepare`), whose entries were taken from `mem` and stay valid
        // while `mem` is borrowed here (regions are never unmapped), and its
        // own native stack frames. It hands env_ptr, untouched, to
        // `helper_trampoline` only, while `env` is not otherwise in use; the
        // trampoline never unwinds (panics are caught and resumed below).
        let status = unsafe { (self.prog.image.entry())(ctx_ptr, env_ptr as *mut std::ffi::c_void) };
        let result = match status {
            ctx::STATUS_OK => Ok(env.ctx[ctx::REGS]),
            ctx::STATUS_FAULT => Err(self.prog.fault(&env.ctx, env.mem, budget)),
            _ => {
                if let Some(p) = env.panic.take() {
                    prepared.ctx = env.ctx;
                    std::panic::resume_unwind(p);
                }
                env.outcome
                    .take()
                    .expect("the trampoline records why it stopped the run")
            }
        };
        prepared.ctx = env.ctx;
        result
    }
}

impl<E: ExecEnv> Jit<'_, E> {
    /// Direct calls run the maps' code in place of the helper table's map
    /// helpers: only when the table is the kernel's and the run's maps
    /// hold, at each call's handle, the map compiled for (and environment
    /// helpers only in the environment they were compiled for).
    fn direct_calls_allowed(&self, env: &E::Run<'_>) -> bool {
        let direct = &self.prog.direct;
        if direct.is_empty() || !self.helpers.direct_map_lookup() {
            return false;
        }
        direct.iter().all(|d| d.allowed_in::<E>(env))
    }
}

/// A run context built by [`Executor::prepare`], reused across runs; given
/// back for later runs on this thread when dropped.
pub struct PreparedRun {
    ctx: Vec<u64>,
    fp: u64,
}

impl Drop for PreparedRun {
    fn drop(&mut self) {
        ctx::recycle(std::mem::take(&mut self.ctx));
    }
}
