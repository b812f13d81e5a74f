//! The rewrites of the load path, all owned by [`super::bpf_check`], over
//! one program whose per-instruction aux records ([`InsnAux`]: access
//! proofs, map references) stay aligned through the one patch primitive
//! ([`Xlated::patch`]):
//! - before the checks, [`ldimm64`] resolves map fds in ld_imm64 (and
//!   records each map load in its instruction's aux);
//! - after them, [`after_check`] runs the rest, in this order:
//!   convert_pseudo_ld_imm64, the inlined lookups of do_misc_fixups (when
//!   the JIT is asked for), the callback handles of fixup_call_args
//!   ([`pseudo_func`]), max_ctx_offset, convert_ctx_accesses
//!   ([`ctx_access`]), then the JIT's direct calls, found on the final
//!   instructions.
//!
//! The kernel's order is convert_ctx_accesses, do_misc_fixups,
//! fixup_call_args, convert_pseudo_ld_imm64. Ours differs because our
//! passes find what the kernel reads from insn_aux_data by small analyses
//! of the instructions: the constant propagation that finds a lookup's map
//! reads map loads as plain constants (so it comes after
//! convert_pseudo_ld_imm64) and enters callbacks through their
//! BPF_PSEUDO_FUNC loads (so it comes before they become handles), and the
//! context analysis sees the inlined forms. Reordering would change what
//! some programs become.

pub mod ctx_access;
pub mod ldimm64;
pub mod misc;
pub mod patch;
pub mod pseudo_func;

use std::sync::Arc;

use crate::exec::jit::direct::DirectCall;
use crate::maps::Map;
pub use ldimm64::{prepare_dump, MapLoad, UsedMaps};
pub use patch::Xlated;

/// What the rewrites after the checks leave beside the instructions.
pub struct AfterCheck {
    /// aux->max_ctx_offset: bytes of context the program may touch.
    pub max_ctx_offset: u32,
    /// The helper calls the JIT compiles as direct calls (none without it).
    pub direct_calls: Vec<DirectCall>,
}

/// The rewrites after a successful check of `prog` (`jit_requested`:
/// bpf_jit_enable asked for the JIT, which the inlined lookups and the
/// direct calls are for).
pub fn after_check(prog: &mut Xlated, used_maps: &[Arc<Map>], prog_type: u32, jit_requested: bool) -> AfterCheck {
    ldimm64::convert_pseudo_ld_imm64(prog);
    if jit_requested {
        misc::inline_map_lookups(prog, used_maps);
    }
    pseudo_func::resolve_pseudo_func(&mut prog.insns);
    let max_ctx_offset = ctx_access::max_ctx_offset(&prog.insns);
    ctx_access::convert_ctx_accesses(&mut prog.insns, prog_type);
    let direct_calls = if jit_requested {
        misc::direct_map_calls(&prog.insns, used_maps)
    } else {
        Vec::new()
    };
    AfterCheck {
        max_ctx_offset,
        direct_calls,
    }
}
