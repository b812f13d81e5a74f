//! The verifier (bpf_check), in the kernel's phases and with its messages:
//! - [`cfg`]: structure (call targets, jump ranges, ld_imm64, unknown
//!   opcodes, reachability, reserved fields);
//! - [`attach`]: what the program type demands (check_attach_btf_id);
//! - [`do_check`]: path exploration over [`state`] ([`reg`] with [`tnum`]
//!   bounds, [`alu`] arithmetic, [`ctx`] context fields);
//! - [`log`]: the log buffer rules.
//!
//! `VerifierMode::Structural` (the default until the full mode agrees with
//! the kernel on the differential corpus) stops after the structural phases
//! and says so at log level 2.

pub mod alu;
pub mod attach;
pub mod cfg;
pub mod convert_ctx;
pub mod ctx;
pub mod do_check;
pub mod linked;
pub mod log;
pub mod misc_fixups;
pub mod reg;
pub mod state;
pub mod tnum;

// Env's parts and the instruction classes of do_check (crate-internal).
mod atomic;
mod calls;
mod check_alu;
mod check_call;
mod check_map;
mod check_mem;
mod cond_jmp;
mod const_str;
mod exit;
mod facts;
mod ptr_alu;
mod ptr_cmp;
mod refine;
mod spin_lock;
mod stack;
mod state_log;
mod walk;

use crate::isa::Insn;
use crate::uapi::Errno;
use log::VerifierLog;

/// How much of the kernel's verifier runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum VerifierMode {
    /// Structure only: decoding, jumps, reachability, attach rules.
    Structural,
    /// Path exploration with register and stack state (the default: it
    /// agrees with the kernel far more often, see DEVELOPERS.md); anything
    /// not modelled yet (helper calls, maps, bpf-to-bpf calls, ...) falls
    /// back to the structural verdict.
    #[default]
    Full,
}

/// What the caller of bpf_check provides.
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
}

/// A program that passed.
pub struct Verified {
    /// The program after fixups (xlated).
    pub xlated: Vec<Insn>,
    /// Instructions processed (verified_insns).
    pub verified_insns: u32,
    /// When the full verifier explored the program (no structural
    /// fallback): per instruction, whether its load or store was proven to
    /// stay inside one stack, context, map value or packet object.
    pub proven: Option<Vec<crate::exec::AccessProof>>,
}

/// The note that tells a log reader what ran.
pub const STRUCTURAL_ONLY_NOTE: &str = "userbpf: structural check only (the full verifier is not built yet)\n";

/// Check a program, logging as the kernel would. The error is the errno.
/// The structural-only note is written at log level 2 only, so that level-1
/// logs keep the kernel's exact text (and size).
pub fn bpf_check(input: &CheckInput<'_>, log: &mut VerifierLog) -> Result<Verified, Errno> {
    if log.level & 2 != 0 && input.mode == VerifierMode::Structural {
        log.write(STRUCTURAL_ONLY_NOTE);
    }
    let start = log.text().len();
    let result = cfg::check(input.insns, input.privileged)
        .map_err(|msg| {
            let errno = if msg == cfg::TOO_MANY_SUBPROGS {
                Errno::E2BIG
            } else {
                Errno::EINVAL
            };
            (msg, errno)
        })
        .and_then(|()| attach::check_attach_btf_id(input));
    if let Err((msg, _)) = &result {
        log.write(msg);
    }
    // Structural errors come before any instruction is processed.
    let mut processed = if result.is_ok() { input.insns.len() as u64 } else { 0 };
    let mut proven = None;
    let mut result = result.map_err(|(_, errno)| errno);
    if result.is_ok() && input.mode == VerifierMode::Full {
        if let Some(mut env) = do_check::Env::new(
            input.insns,
            input.prog_type,
            input.expected_attach_type,
            input.privileged,
            input.gpl_compatible,
            input.maps,
            log,
        ) {
            env.func_info = input.func_info;
            env.map_rodata = input.map_rodata;
            let outcome = env.run();
            let n = env.insn_processed;
            match outcome {
                Ok(()) => {
                    processed = n;
                    proven = Some(env.access_proofs());
                    // Level 1 keeps only a failing path: a clean run leaves
                    // nothing but the statistics.
                    if log.level & 2 == 0 {
                        log.truncate(0);
                    }
                }
                Err(do_check::Stop::Reject(errno)) => {
                    processed = n;
                    result = Err(errno);
                }
                Err(do_check::Stop::Unsupported(what)) => {
                    log.truncate(start);
                    if log.level & 2 != 0 {
                        log.write(&format!("userbpf: {what} not modelled yet; structural check only\n"));
                    }
                }
            }
        }
    }
    log.write(&format!(
        "processed {processed} insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
    ));
    result?;
    Ok(Verified {
        xlated: input.insns.to_vec(),
        verified_insns: processed as u32,
        proven,
    })
}

/// The direct values (element 0) of the used maps that are read-only to
/// programs and frozen, by index: what constant strings may point into.
pub fn map_rodata(used: &[std::sync::Arc<crate::maps::Map>]) -> Vec<Option<Vec<u8>>> {
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
pub fn map_refs(loads: &[crate::maps::ldimm64::MapLoad], used: &[std::sync::Arc<crate::maps::Map>]) -> Vec<MapRef> {
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
            })
        })
        .collect()
}
