//! Map references in programs: the load-time half of
//! kernel/bpf/verifier.c that turns ld_imm64 pseudo sources into map
//! pointers (process_fd_array, resolve_pseudo_ldimm64,
//! check_map_prog_compatibility before the checks, convert_pseudo_ld_imm64
//! after them) and the dump-time half that turns them back into map IDs
//! (bpf_insn_prepare_dump), with the kernel's errno and log text.
//!
//! "Map pointers" here are guest addresses (see [`crate::maps::guest`]):
//! used map `i` is `map_base(i)`, a direct value `map_base(i) +
//! ARRAY_VALUE_OFF + off`.

use std::sync::Arc;

use super::patch::{MapUse, Xlated};
use crate::btf::{Btf, BtfKind};
use crate::isa::opcode::{
    BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, LD_IMM64,
};
use crate::isa::Insn;
use crate::maps::guest::map_base;
use crate::maps::Map;
use crate::uapi::attr::prog_load as F;
use crate::uapi::types::{map_type as mt, prog_type as pt, MAX_USED_MAPS};
use crate::uapi::Errno;
use crate::verifier::log::VerifierLog;
use crate::verifier::LoadInput;

/// BPF_MAX_VAR_OFF: direct value offsets must stay below it.
const BPF_MAX_VAR_OFF: u32 = 1 << 29;

/// One ld_imm64 that loads a map or a map value (insn_aux_data's
/// map_index and map_off).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapLoad {
    /// The first slot of the ld_imm64.
    pub pc: usize,
    /// Index into the program's used maps.
    pub map_index: usize,
    /// For a direct value load, the offset into the value.
    pub value_off: Option<u32>,
}

impl MapLoad {
    /// The 64-bit constant the instruction loads.
    pub fn address(&self, used: &[Arc<Map>]) -> u64 {
        let base = map_base(self.map_index);
        match self.value_off {
            None => base,
            Some(off) => {
                let area = used[self.map_index]
                    .ops
                    .direct_value_addr(off)
                    .and_then(Result::ok)
                    .unwrap_or(crate::maps::ARRAY_VALUE_OFF);
                base + area as u64 + off as u64
            }
        }
    }
}

/// The used-map set of one load (env->used_maps), in first-use order.
#[derive(Default)]
pub struct UsedMaps {
    pub maps: Vec<Arc<Map>>,
}

impl UsedMaps {
    /// __add_used_map(): the map's index, adding it if new (E2BIG past
    /// MAX_USED_MAPS).
    pub fn add(&mut self, map: Arc<Map>, log: &mut VerifierLog) -> Result<usize, Errno> {
        if let Some(i) = self.maps.iter().position(|m| Arc::ptr_eq(m, &map)) {
            return Ok(i);
        }
        if self.maps.len() >= MAX_USED_MAPS {
            log.write(&format!(
                "The total number of maps per program has reached the limit of {MAX_USED_MAPS}\n"
            ));
            return Err(Errno::E2BIG);
        }
        self.maps.push(map);
        Ok(self.maps.len() - 1)
    }
}

/// process_fd_array(): with fd_array_cnt, every fd of fd_array is taken
/// up front (maps only: there are no BTF objects here).
pub fn process_fd_array(input: &LoadInput<'_>, used: &mut UsedMaps, log: &mut VerifierLog) -> Result<(), Errno> {
    let cnt = input.attr.u32(F::FD_ARRAY_CNT);
    let fd_array = input.attr.u64(F::FD_ARRAY);
    if cnt == 0 {
        return Ok(());
    }
    if cnt >= u32::MAX / 4 {
        log.write(&format!("fd_array_cnt is too big ({cnt})\n"));
        return Err(Errno::EINVAL);
    }
    for i in 0..cnt {
        let mut b = [0u8; 4];
        input.mem.read(fd_array.wrapping_add(i as u64 * 4), &mut b)?;
        let fd = i32::from_le_bytes(b);
        match input.fds.map_fd(fd as u32) {
            Ok(map) => {
                used.add(map, log)?;
            }
            Err(e) => {
                log.write(&format!("fd {fd} is not pointing to valid bpf_map or btf\n"));
                return Err(e);
            }
        }
    }
    Ok(())
}

/// check_map_prog_compatibility() for what exists here.
fn check_compat(map: &Map, input: &LoadInput<'_>, log: &mut VerifierLog) -> Result<(), Errno> {
    if let Some(h) = &map.excl_prog_hash {
        if *h != input.digest {
            log.write("program's hash doesn't match map's excl_prog_hash\n");
            return Err(Errno::EACCES);
        }
    }
    if map.record().spin_lock_off().is_some() {
        if input.prog_type == pt::SOCKET_FILTER {
            log.write("socket filter progs cannot use bpf_spin_lock yet\n");
            return Err(Errno::EINVAL);
        }
        // is_tracing_prog_type().
        if matches!(
            input.prog_type,
            pt::KPROBE | pt::TRACEPOINT | pt::PERF_EVENT | pt::RAW_TRACEPOINT | pt::RAW_TRACEPOINT_WRITABLE
        ) {
            log.write("tracing progs cannot use bpf_spin_lock yet\n");
            return Err(Errno::EINVAL);
        }
    }
    if input.sleepable
        && !matches!(
            map.map_type,
            mt::HASH
                | mt::LRU_HASH
                | mt::ARRAY
                | mt::PERCPU_HASH
                | mt::PERCPU_ARRAY
                | mt::LRU_PERCPU_HASH
                | mt::ARRAY_OF_MAPS
                | mt::HASH_OF_MAPS
                | mt::RINGBUF
                | mt::USER_RINGBUF
                | mt::INODE_STORAGE
                | mt::SK_STORAGE
                | mt::TASK_STORAGE
                | mt::CGRP_STORAGE
                | mt::QUEUE
                | mt::STACK
                | mt::ARENA
        )
    {
        log.write("Sleepable programs can only use array, hash, ringbuf and local storage maps\n");
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// check_pseudo_btf_id(), as far as it goes here: the id must name a VAR
/// or FUNC of the kernel BTF, and a VAR's address comes from kallsyms,
/// which has no kernel variables in userbpf (as on kernels whose kallsyms
/// lists no per-CPU variables): refused as the kernel refuses a symbol
/// it cannot find. A FUNC passes (the walk does not model it); module
/// BTFs (a BTF fd in the second slot) are left to the walk as well.
fn check_pseudo_btf_id(id: i32, btf_fd: i32, kernel_btf: Option<&Btf>, log: &mut VerifierLog) -> Result<(), Errno> {
    if btf_fd != 0 {
        return Ok(());
    }
    let Some(btf) = kernel_btf else {
        log.write("kernel is missing BTF, make sure CONFIG_DEBUG_INFO_BTF=y is specified in Kconfig.\n");
        return Err(Errno::EINVAL);
    };
    let Ok(t) = btf.get(id as u32) else {
        log.write(&format!("ldimm64 insn specifies invalid btf_id {id}.\n"));
        return Err(Errno::ENOENT);
    };
    match t.kind {
        BtfKind::Func { .. } => Ok(()),
        BtfKind::Var { .. } => {
            let name = btf.name(t.name_off).unwrap_or("");
            log.write(&format!(
                "ldimm64 failed to find the address for kernel symbol '{name}'.\n"
            ));
            Err(Errno::ENOENT)
        }
        _ => {
            log.write(&format!("pseudo btf_id {id} in ldimm64 isn't KIND_VAR or KIND_FUNC\n"));
            Err(Errno::EINVAL)
        }
    }
}

/// resolve_pseudo_ldimm64() for map sources: every well-formed ld_imm64
/// with src_reg MAP_FD, MAP_VALUE, MAP_IDX or MAP_IDX_VALUE gets its map
/// (added to `used`) and its constant; src_reg stays until
/// [`convert_pseudo_ld_imm64`]. Malformed ld_imm64 pairs and other
/// sources (BTF_ID, FUNC) are left to the verifier.
pub fn resolve_pseudo_ldimm64(
    insns: &mut [Insn],
    input: &LoadInput<'_>,
    used: &mut UsedMaps,
    log: &mut VerifierLog,
) -> Result<Vec<MapLoad>, Errno> {
    let mut loads = Vec::new();
    let mut pc = 0;
    while pc < insns.len() {
        let insn = insns[pc];
        if insn.code != LD_IMM64 {
            pc += 1;
            continue;
        }
        let Some(&tail) = insns.get(pc + 1) else { break };
        if tail.code != 0 || tail.dst != 0 || tail.src != 0 || tail.off != 0 {
            break; // "invalid bpf_ld_imm64 insn": the verifier says it
        }
        let src = insn.src;
        if !matches!(
            src,
            BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_VALUE | BPF_PSEUDO_MAP_IDX | BPF_PSEUDO_MAP_IDX_VALUE
        ) {
            if src != 0 && src != BPF_PSEUDO_FUNC && src != crate::isa::opcode::BPF_PSEUDO_BTF_ID {
                log.write("unrecognized bpf_ld_imm64 insn\n");
                return Err(Errno::EINVAL);
            }
            if src == crate::isa::opcode::BPF_PSEUDO_BTF_ID {
                check_pseudo_btf_id(insn.imm, tail.imm, input.kernel_btf, log)?;
            }
            pc += 2;
            continue;
        }
        if matches!(src, BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_IDX) && tail.imm != 0 {
            log.write("unrecognized bpf_ld_imm64 insn\n");
            return Err(Errno::EINVAL);
        }
        let by_idx = matches!(src, BPF_PSEUDO_MAP_IDX | BPF_PSEUDO_MAP_IDX_VALUE);
        let fd = if by_idx {
            let fd_array = input.attr.u64(F::FD_ARRAY);
            if fd_array == 0 {
                log.write("fd_idx without fd_array is invalid\n");
                return Err(Errno::EPROTO);
            }
            let mut b = [0u8; 4];
            let at = fd_array.wrapping_add((insn.imm as i64 * 4) as u64);
            input.mem.read(at, &mut b)?;
            i32::from_le_bytes(b)
        } else {
            insn.imm
        };
        let map = match input.fds.map_fd(fd as u32) {
            Ok(m) => m,
            Err(e) => {
                log.write(&format!("fd {fd} is not pointing to valid bpf_map\n"));
                return Err(e);
            }
        };
        let map_index = used.add(Arc::clone(&map), log)?;
        check_compat(&map, input, log)?;
        let value_off = if matches!(src, BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_IDX) {
            None
        } else {
            let off = tail.imm as u32;
            if off >= BPF_MAX_VAR_OFF {
                log.write(&format!("direct value offset of {off} is not allowed\n"));
                return Err(Errno::EINVAL);
            }
            match map.ops.direct_value_addr(off) {
                None => {
                    log.write("no direct value access support for this map type\n");
                    return Err(Errno::EINVAL);
                }
                Some(Err(e)) => {
                    log.write(&format!(
                        "invalid access to map value pointer, value_size={} off={off}\n",
                        map.value_size
                    ));
                    return Err(e);
                }
                Some(Ok(_)) => Some(off),
            }
        };
        let load = MapLoad {
            pc,
            map_index,
            value_off,
        };
        let addr = load.address(&used.maps);
        insns[pc].imm = addr as u32 as i32;
        insns[pc + 1].imm = (addr >> 32) as u32 as i32;
        loads.push(load);
        pc += 2;
    }
    Ok(loads)
}

impl MapLoad {
    /// The map load at `pc` of `map`.
    pub fn at(pc: usize, map: MapUse) -> MapLoad {
        MapLoad {
            pc,
            map_index: map.map_index,
            value_off: map.value_off,
        }
    }

    /// What the instruction's aux record says of its map.
    pub fn map_use(&self) -> MapUse {
        MapUse {
            map_index: self.map_index,
            value_off: self.value_off,
        }
    }
}

/// The map loads of `prog`, as its aux records place them now.
pub fn map_loads(prog: &Xlated) -> Vec<MapLoad> {
    prog.aux
        .iter()
        .enumerate()
        .filter_map(|(pc, a)| a.map.map(|m| MapLoad::at(pc, m)))
        .collect()
}

/// convert_pseudo_ld_imm64(): after verification, map loads are plain
/// 64-bit constants (BPF_PSEUDO_FUNC stays for the callback machinery).
pub fn convert_pseudo_ld_imm64(prog: &mut Xlated) {
    for (insn, aux) in prog.insns.iter_mut().zip(&prog.aux) {
        if aux.map.is_some() && insn.src != BPF_PSEUDO_FUNC {
            insn.src = 0;
        }
    }
}

/// bpf_insn_prepare_dump()'s map part: what BPF_OBJ_GET_INFO_BY_FD shows
/// of map loads: src_reg MAP_FD or MAP_VALUE, the map ID in imm, the value
/// offset in the second slot's imm.
pub fn prepare_dump(xlated: &[Insn], loads: &[MapLoad], used: &[Arc<Map>]) -> Vec<Insn> {
    let mut out = xlated.to_vec();
    for l in loads {
        let Some(m) = used.get(l.map_index) else { continue };
        if l.pc + 1 >= out.len() {
            continue;
        }
        let (src, off) = match l.value_off {
            None => (BPF_PSEUDO_MAP_FD, 0),
            Some(off) => (BPF_PSEUDO_MAP_VALUE, off),
        };
        out[l.pc].src = src;
        out[l.pc].imm = m.id() as i32;
        out[l.pc + 1].imm = off as i32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::opcode::{CALL, EXIT};

    /// A map load after an inlined lookup is dumped where it now is.
    #[test]
    fn map_loads_follow_their_instructions_through_patches() {
        let map = MapUse {
            map_index: 0,
            value_off: Some(4),
        };
        let mut prog = Xlated::new(vec![
            Insn::new(CALL, 0, 0, 0, 1),
            Insn::new(LD_IMM64, 1, BPF_PSEUDO_MAP_VALUE, 0, 0),
            Insn::new(0, 0, 0, 0, 4),
            Insn::new(EXIT, 0, 0, 0, 0),
        ]);
        prog.aux[1].map = Some(map);
        prog.patch(0, &[Insn::new(0xb7, 0, 0, 0, 0); 3], |_, _| Default::default());
        convert_pseudo_ld_imm64(&mut prog);
        assert_eq!(map_loads(&prog), [MapLoad::at(3, map)]);
        assert_eq!(prog.insns[3].src, 0, "a plain constant after the checks");
    }
}
