//! The engines agree on verified programs, through the whole load path:
//! a generated program (the soundness generator's socket filters, with an
//! array, a hash and a ring buffer) is loaded by BPF_PROG_LOAD into three
//! instances: run by the interpreter, by the JIT with the verifier's
//! proofs as hints (the default), and by the JIT trusting them. Each
//! instance runs it with BPF_PROG_TEST_RUN on the same packet; retval,
//! data_out and the array and hash contents must be equal.

use crate::isa::opcode::{BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE};
use crate::runtime::Engine;
use crate::uapi::types::{map_flags, prog_type};
use crate::{Bpf, Config, Creds, MapCreateRequest, ProgLoadRequest, TestRunRequest};

use super::{sound_program, SOUND_MAPS};

/// What one input did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EnginesVerdict {
    /// Not a socket filter, nondeterministic (ktime, prandom), or the
    /// verifier refused it.
    Skipped,
    /// Loaded and run in all three with the same results; `unrolled`: the
    /// JIT images run a loop unrolled.
    Agreed { unrolled: bool },
}

/// The observable result of one test run.
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    run: Result<(u32, Vec<u8>), crate::Errno>,
    maps: Vec<Vec<(Vec<u8>, Vec<u8>)>>,
}

fn packet() -> Vec<u8> {
    let mut p: Vec<u8> = (0..96u8).map(|i| i.wrapping_mul(29)).collect();
    p[12] = 0x08; // IPv4
    p[13] = 0x00;
    p[14] = 0x45;
    p
}

/// Load and run `insns` in a fresh instance (and whether its image runs a
/// loop unrolled); None when the load fails.
fn observe(
    insns: &[crate::isa::Insn],
    maps: &[crate::verifier::MapRef],
    engine: Engine,
    trust: bool,
) -> Option<(Observed, bool)> {
    let bpf = Bpf::new(Config {
        jit_trust_verifier: trust,
        possible_cpus: 2,
        ..Config::default()
    });
    let p = bpf.process(Creds::ROOT);
    let fds: Vec<u32> = SOUND_MAPS
        .iter()
        .map(|&(map_type, key_size, value_size, max_entries)| {
            p.map_create(&MapCreateRequest {
                map_type,
                key_size,
                value_size,
                max_entries,
                // A fixed hash seed: the same buckets in every instance.
                map_flags: if map_type == 1 { map_flags::ZERO_SEED } else { 0 },
                ..Default::default()
            })
            .expect("the harness's maps")
        })
        .collect();
    let mut insns = insns.to_vec();
    for m in maps {
        let ld = &mut insns[m.pc];
        if ld.is_ld_imm64() && matches!(ld.src, BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_VALUE) {
            ld.imm = fds[m.map.index as usize] as i32;
            if let Some(off) = m.value_off {
                insns[m.pc + 1].imm = off as i32;
            }
        }
    }
    let fd = p
        .prog_load(&ProgLoadRequest {
            prog_type: prog_type::SOCKET_FILTER,
            insns,
            license: b"GPL".to_vec(),
            ..Default::default()
        })
        .result
        .ok()?;
    let run = p
        .prog_test_run(&TestRunRequest {
            prog_fd: fd,
            data_in: packet(),
            repeat: 2,
            engine,
            ..Default::default()
        })
        .map(|o| (o.retval, o.data_out));
    // The array and the hash (the ring buffer's records are not compared).
    let maps = fds[..3]
        .iter()
        .map(|&fd| {
            let mut rows: Vec<(Vec<u8>, Vec<u8>)> = p
                .map_dump(fd)
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect();
            rows.sort();
            rows
        })
        .collect();
    let unrolled = match &p.prog_by_fd(fd).ok()?.runtime {
        crate::prog::Runtime::Jit(j) => j.unrolled_loops() > 0,
        _ => false,
    };
    Some((Observed { run, maps }, unrolled))
}

/// Panics when the engines disagree.
pub fn engines_agree(data: &[u8]) -> EnginesVerdict {
    let p = sound_program(data);
    // Socket filters only (kprobes have no test run); and not the ones
    // reading the clock or prandom, whose answers differ run to run.
    let nondeterministic = p.insns.iter().any(|i| {
        i.code == crate::isa::opcode::CALL
            && i.src == 0
            && matches!(
                i.imm,
                crate::uapi::helper_ids::func::BPF_FUNC_KTIME_GET_NS
                    | crate::uapi::helper_ids::func::BPF_FUNC_GET_PRANDOM_U32
            )
    });
    if p.prog_type != prog_type::SOCKET_FILTER || nondeterministic {
        return EnginesVerdict::Skipped;
    }
    let Some((interp, _)) = observe(&p.insns, &p.maps, Engine::Interpreter, false) else {
        return EnginesVerdict::Skipped;
    };
    let text = || crate::isa::disasm::disasm_program(&p.insns).unwrap_or_default();
    let mut unrolled = false;
    for trust in [false, true] {
        let (jit, u) = observe(&p.insns, &p.maps, Engine::Loaded, trust).expect("the same load succeeds again");
        unrolled |= u;
        assert_eq!(
            interp,
            jit,
            "interpreter and JIT ({}) disagree on\n{}",
            if trust { "trusting the verifier" } else { "hints" },
            text()
        );
    }
    EnginesVerdict::Agreed { unrolled }
}
