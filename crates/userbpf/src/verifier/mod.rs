//! The verifier (bpf_check), in the kernel's phases and with its messages:
//! - before the checks, the program's references: fd_array and ld_imm64
//!   map fds (`fixups::ldimm64`), BTF func_info (`btf_info`);
//! - [`cfg`]: structure (call targets, jump ranges, ld_imm64, unknown
//!   opcodes, reachability, reserved fields);
//! - `attach`: what the program type demands (check_attach_btf_id);
//! - `do_check`: path exploration over `state` (`reg` with `tnum`
//!   bounds, `alu` arithmetic, `ctx` context fields, helper calls, maps,
//!   bpf-to-bpf calls);
//! - `fixups`: the rewrites after the checks, over instructions whose
//!   per-instruction facts stay aligned;
//! - [`log`]: the log buffer rules.
//!
//! `bpf_check` runs all of it for a program load; [`check_insns`] runs
//! the checks alone, over instructions whose references are resolved.
//! `VerifierMode::Full` is the default. A construct it does not model yet
//! refuses the load with EOPNOTSUPP and the log line `userbpf: WHAT is not
//! modelled`: an accept always comes from the full verifier.
//! `VerifierMode::Structural` (asked for explicitly, never a fallback)
//! stops after the structural phases.

pub(crate) mod alu;
pub(crate) mod attach;
pub(crate) mod btf_info;
pub(crate) mod cfg;
pub(crate) mod ctx;
pub(crate) mod do_check;
pub(crate) mod fixups;
pub(crate) mod kfunc;
pub(crate) mod linked;
pub mod log;
pub(crate) mod reg;
pub(crate) mod state;
pub(crate) mod tnum;

// Env's parts and the instruction classes of do_check (crate-internal).
mod alignment;
mod atomic;
mod callbacks;
mod calls;
mod check_alu;
mod check_call;
mod check_map;
mod check_mem;
mod cond_jmp;
mod const_str;
mod exit;
mod explored;
mod facts;
mod liveness;
mod precision;
mod ptr_alu;
mod ptr_cmp;
mod refine;
mod spin_lock;
mod stack;
mod stack_liveness;
mod state_log;
mod states_equal;
mod walk;

use std::sync::Arc;

use crate::btf::Btf;
use crate::exec::jit::direct::DirectCall;
use crate::exec::AccessProof;
use crate::isa::Insn;
use crate::maps::Map;
use crate::uapi::{Attr, Errno};
use crate::user_mem::UserMemory;
use fixups::{MapLoad, UsedMaps, Xlated};
use log::VerifierLog;

/// How much of the kernel's verifier runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VerifierMode {
    /// Structure only: decoding, jumps, reachability, attach rules.
    Structural,
    /// Path exploration with register and stack state, helper calls, maps
    /// and bpf-to-bpf calls (the default). What it does not model yet
    /// (may_goto, arena, some helper argument types, ...) refuses the
    /// load with EOPNOTSUPP ([`NOT_MODELLED`]), naming the construct.
    #[default]
    Full,
}

/// The caller's fds, as a program load reaches them.
pub(crate) trait LoadFds {
    /// bpf_map_get(): EBADF if not open, EINVAL if not a map.
    fn map_fd(&self, fd: u32) -> Result<Arc<Map>, Errno>;
    /// btf_get_by_fd(): EBADF if not open, EINVAL if not BTF.
    fn btf_fd(&self, fd: u32) -> Result<Arc<Btf>, Errno>;
}

/// What a program load hands [`bpf_check`]: the instructions as the
/// caller wrote them, the load's attributes (fd_array, func_info,
/// prog_btf_fd) and the caller's fds and memory they point into.
pub(crate) struct LoadInput<'a> {
    pub mode: VerifierMode,
    pub insns: &'a [Insn],
    pub attr: &'a Attr,
    pub prog_type: u32,
    /// After bpf_prog_load_fixup_attach_type().
    pub expected_attach_type: u32,
    /// BPF_F_SLEEPABLE was asked for.
    pub sleepable: bool,
    pub gpl_compatible: bool,
    /// bpf_capable(): bounded loops and the 1M limit are for the privileged.
    pub privileged: bool,
    /// env->strict_alignment: BPF_F_STRICT_ALIGNMENT and not
    /// BPF_F_ANY_ALIGNMENT (this target has efficient unaligned access).
    pub strict_alignment: bool,
    /// prog->digest (exclusive maps name their program by it).
    pub digest: [u8; 32],
    /// bpf_jit_enable asked for the JIT (lookups are inlined and helpers
    /// called directly for it).
    pub jit_requested: bool,
    /// The instance's kernel BTF (kfunc calls name their function in it).
    pub kernel_btf: Option<&'a Btf>,
    pub fds: &'a dyn LoadFds,
    pub mem: &'a dyn UserMemory,
}

/// What the checks of [`check_insns`] need.
pub struct CheckInput<'a> {
    pub mode: VerifierMode,
    pub insns: &'a [Insn],
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// BPF_F_SLEEPABLE was asked for.
    pub sleepable: bool,
    pub gpl_compatible: bool,
    /// bpf_capable(): bounded loops and the 1M limit are for the privileged.
    pub privileged: bool,
    /// The maps the program's ld_imm64 instructions load (resolved by
    /// resolve_pseudo_ldimm64 before the verifier runs).
    pub maps: &'a [MapRef],
    /// The program's BTF func_info (None: the load passed none).
    pub func_info: Option<&'a [FuncRecord]>,
    /// By used-map index: the value of frozen read-only arrays (constant
    /// strings are read from it), see [`map_rodata`].
    pub map_rodata: &'a [Option<Vec<u8>>],
    /// env->strict_alignment: every load and store is checked for
    /// alignment, not only the stack's and atomics'.
    pub strict_alignment: bool,
    /// The instance's kernel BTF (None: no CONFIG_DEBUG_INFO_BTF): what
    /// kfunc calls' BTF ids index.
    pub kernel_btf: Option<&'a Btf>,
    /// The JIT was asked for (kfunc calls need it).
    pub jit_requested: bool,
    /// The load passed an fd_array (kfuncs of module BTFs index it).
    pub fd_array: bool,
}

/// One func_info record as the verifier needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FuncRecord {
    pub insn_off: u32,
    /// BTF_FUNC_STATIC linkage (callbacks must be static).
    pub is_static: bool,
}

/// One ld_imm64 of a map or a map value, with what the verifier needs of
/// the map (insn_aux_data's map_index / map_off and the map's shape).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapRef {
    /// The first slot of the ld_imm64.
    pub pc: usize,
    pub map: reg::MapShape,
    /// A direct value load (BPF_PSEUDO_MAP_VALUE): the offset into the value.
    pub value_off: Option<u32>,
    /// A map-in-map: its inner map template (map->inner_map_meta), what a
    /// non-NULL lookup result points to.
    pub inner: Option<reg::MapShape>,
}

/// A program that passed the checks (its instructions unchanged).
pub struct Verified {
    /// Instructions processed (verified_insns).
    pub verified_insns: u32,
    /// When the full verifier explored the program (no structural
    /// fallback): per instruction, whether its load or store was proven to
    /// stay inside one stack, context, map value or packet object.
    pub proven: Option<Vec<crate::exec::AccessProof>>,
}

/// The note that tells a log reader that paths were not explored, as the
/// caller asked (`VerifierMode::Structural`).
pub(crate) const STRUCTURAL_MODE_NOTE: &str =
    "userbpf: verifier mode structural: structure and attach rules checked, paths not explored\n";

/// The errno of a load the full verifier stopped at a construct it does
/// not model: EOPNOTSUPP, never an accept.
pub const NOT_MODELLED: Errno = Errno::EOPNOTSUPP;

thread_local! {
    /// What the last check on this thread did not model (like errno, per
    /// thread: a load runs on its caller's thread).
    static LAST_NOT_MODELLED: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
}

/// What stopped the full verifier in the last load on this thread that
/// was refused with [`NOT_MODELLED`] (cleared by each check).
pub fn last_not_modelled() -> Option<&'static str> {
    LAST_NOT_MODELLED.with(|c| c.get())
}

/// A program bpf_check passed: the instructions after every rewrite, with
/// what the runtime, the dump and the program object need of them.
pub(crate) struct Checked {
    /// The program after fixups (what "xlated" dumps, before
    /// bpf_insn_prepare_dump).
    pub xlated: Vec<Insn>,
    /// Per instruction of `xlated`, what the verifier proved of its memory
    /// access; empty when the full verifier did not explore the program.
    pub proofs: Vec<AccessProof>,
    /// env->used_maps, in first-use order.
    pub used_maps: Vec<Arc<Map>>,
    /// The ld_imm64 instructions of `xlated` that load a map or a value.
    pub map_loads: Vec<MapLoad>,
    /// aux->max_ctx_offset: bytes of context the program may touch.
    pub max_ctx_offset: u32,
    /// The helper calls of `xlated` the JIT compiles as direct calls.
    pub direct_calls: Vec<DirectCall>,
    /// Instructions processed (verified_insns).
    pub verified_insns: u32,
}

/// bpf_check(): resolve the program's references, check it, then rewrite
/// it ([`fixups`]), logging as the kernel would. The error is the errno.
/// A refusal before the checks ends the log with the statistics line, as
/// skip_full_check does.
///
/// The kernel checks subprograms (add_subprog_and_kfunc, check_subprogs)
/// and the attach target (check_attach_btf_id) between
/// check_btf_info_early and resolve_pseudo_ldimm64; here both come with
/// the structure after the references, as the load path always ran them.
/// Moving them would change which of several errors a program reports.
pub(crate) fn bpf_check(load: &LoadInput<'_>, log: &mut VerifierLog) -> Result<Checked, Errno> {
    LAST_NOT_MODELLED.with(|c| c.set(None));
    let mut used = UsedMaps::default();
    let mut insns = load.insns.to_vec();
    let early = fixups::ldimm64::process_fd_array(load, &mut used, log)
        .and_then(|()| btf_info::check_btf_info(load, log))
        .and_then(|funcs| {
            fixups::ldimm64::resolve_pseudo_ldimm64(&mut insns, load, &mut used, log).map(|l| (l, funcs))
        });
    let (loads, funcs) = match early {
        Ok(r) => r,
        Err(e) => {
            log.write(&stats_line(0, (0, 0, 0)));
            return Err(e);
        }
    };
    let maps = map_refs(&loads, &used.maps);
    let rodata = map_rodata(&used.maps);
    let verified = check_insns(
        &CheckInput {
            mode: load.mode,
            insns: &insns,
            prog_type: load.prog_type,
            expected_attach_type: load.expected_attach_type,
            sleepable: load.sleepable,
            gpl_compatible: load.gpl_compatible,
            privileged: load.privileged,
            maps: &maps,
            func_info: funcs.as_deref(),
            map_rodata: &rodata,
            strict_alignment: load.strict_alignment,
            kernel_btf: load.kernel_btf,
            jit_requested: load.jit_requested,
            fd_array: load.attr.u64(crate::uapi::attr::prog_load::FD_ARRAY) != 0,
        },
        log,
    )?;
    let proofs = verified.proven.filter(|p| p.len() == insns.len());
    let proven = proofs.is_some();
    let mut prog = Xlated::new(insns);
    for (aux, proof) in prog.aux.iter_mut().zip(proofs.unwrap_or_default()) {
        aux.proof = proof;
    }
    for l in &loads {
        prog.aux[l.pc].map = Some(l.map_use());
    }
    let after = fixups::after_check(&mut prog, &used.maps, load.prog_type, load.jit_requested);
    Ok(Checked {
        proofs: if proven { prog.proofs() } else { Vec::new() },
        map_loads: fixups::ldimm64::map_loads(&prog),
        xlated: prog.insns,
        used_maps: used.maps,
        max_ctx_offset: after.max_ctx_offset,
        direct_calls: after.direct_calls,
        verified_insns: verified.verified_insns,
    })
}

/// The statistics line that ends every log (print_verification_stats).
/// print_verification_stats(): `(max_states_per_insn, total_states,
/// peak_states)`; mark_read is 0 since register read marks are gone (6.18).
fn stats_line(processed: u64, (max_states, total, peak): (u64, u64, u64)) -> String {
    format!(
        "processed {processed} insns (limit 1000000) max_states_per_insn {max_states} total_states {total} peak_states {peak} mark_read 0\n"
    )
}

/// The checks of bpf_check, without its rewrites: structure, attach rules
/// and (in full mode) path exploration, logging as the kernel would. The
/// error is the errno. The structural-only note is written at log level 2
/// only, so that level-1 logs keep the kernel's exact text (and size).
pub fn check_insns(input: &CheckInput<'_>, log: &mut VerifierLog) -> Result<Verified, Errno> {
    LAST_NOT_MODELLED.with(|c| c.set(None));
    if log.level & 2 != 0 && input.mode == VerifierMode::Structural {
        log.write(STRUCTURAL_MODE_NOTE);
    }
    let kfunc_env = kfunc::KfuncEnv {
        kernel_btf: input.kernel_btf,
        privileged: input.privileged,
        jit_requested: input.jit_requested,
        gpl_compatible: input.gpl_compatible,
        fd_array: input.fd_array,
    };
    let result = kfunc::add_subprog_and_kfunc(input.insns, &kfunc_env)
        .and_then(|()| {
            cfg::check(input.insns, input.privileged).map_err(|msg| {
                let errno = if msg == cfg::TOO_MANY_SUBPROGS {
                    Errno::E2BIG
                } else {
                    Errno::EINVAL
                };
                (msg, errno)
            })
        })
        .and_then(|()| attach::check_attach_btf_id(input));
    if let Err((msg, _)) = &result {
        log.write(msg);
    }
    // Structural errors come before any instruction is processed.
    let mut processed = if result.is_ok() { input.insns.len() as u64 } else { 0 };
    let mut proven = None;
    let mut states = (0, 0, 0);
    let mut result = result.map_err(|(_, errno)| errno);
    if result.is_ok() && input.mode == VerifierMode::Full {
        let not_modelled = |what: &'static str, log: &mut VerifierLog| {
            LAST_NOT_MODELLED.with(|c| c.set(Some(what)));
            log.write(&format!("userbpf: {what} is not modelled\n"));
            Err(NOT_MODELLED)
        };
        match do_check::Env::new(
            input.insns,
            input.prog_type,
            input.expected_attach_type,
            input.privileged,
            input.gpl_compatible,
            input.maps,
            log,
        ) {
            None => {
                processed = 0;
                result = not_modelled("an instruction the decoder does not know", log);
            }
            Some(mut env) => {
                env.func_info = input.func_info;
                env.map_rodata = input.map_rodata;
                env.strict_alignment = input.strict_alignment;
                env.kernel_btf = input.kernel_btf;
                let outcome = env.run();
                processed = env.insn_processed;
                states = env.state_stats();
                if outcome.is_ok() {
                    proven = Some(env.access_proofs());
                }
                drop(env);
                match outcome {
                    Ok(()) => {
                        // Level 1 keeps only a failing path: a clean run leaves
                        // nothing but the statistics.
                        if log.level & 2 == 0 {
                            log.truncate(0);
                        }
                    }
                    Err(do_check::Stop::Reject(errno)) => result = Err(errno),
                    Err(do_check::Stop::Unsupported(what)) => result = not_modelled(what, log),
                }
            }
        }
    }
    log.write(&stats_line(processed, states));
    result?;
    Ok(Verified {
        verified_insns: processed as u32,
        proven,
    })
}

/// The direct values (element 0) of the used maps that are read-only to
/// programs and frozen, by index: what constant strings may point into.
pub fn map_rodata(used: &[Arc<Map>]) -> Vec<Option<Vec<u8>>> {
    used.iter()
        .map(|m| {
            if !m.is_rdonly() || m.ops.direct_value_addr(0).is_none_or(|r| r.is_err()) {
                return None;
            }
            let mut v = vec![0u8; m.value_size as usize];
            m.ops.lookup(&0u32.to_le_bytes(), &mut v).ok().map(|()| v)
        })
        .collect()
}

/// The verifier's view of a load's resolved map references.
pub(crate) fn map_refs(loads: &[MapLoad], used: &[Arc<Map>]) -> Vec<MapRef> {
    loads
        .iter()
        .filter_map(|l| {
            let m = used.get(l.map_index)?;
            let mut name = [0u8; 16];
            let n = m.name.len().min(15);
            name[..n].copy_from_slice(&m.name[..n]);
            Some(MapRef {
                pc: l.pc,
                map: reg::MapShape {
                    key_size: m.key_size,
                    value_size: m.value_size,
                    map_type: m.map_type,
                    max_entries: m.max_entries,
                    map_flags: m.map_flags,
                    index: l.map_index as u32,
                    name,
                    has_btf: m.btf.is_some(),
                    rdonly: m.is_rdonly(),
                    record: m.record(),
                },
                value_off: l.value_off,
                inner: m.inner_meta().map(|i| reg::MapShape {
                    key_size: i.key_size,
                    value_size: i.value_size,
                    map_type: i.map_type,
                    max_entries: i.max_entries,
                    map_flags: i.map_flags,
                    index: reg::INNER_MAP_INDEX,
                    ..reg::MapShape::default()
                }),
            })
        })
        .collect()
}
