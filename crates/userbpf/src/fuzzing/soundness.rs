//! The verifier's soundness: what it accepts runs without a fault. A
//! program is verified (as root, the full verifier) and, if accepted, run
//! in the interpreter over checked guest memory.

use crate::exec::{
    AlignedBuf, Executor, GuestMemory, HelperExit, HelperTable, Interpreter, Program, RegionKind, RunOptions,
};

use super::sound_gen::{sound_program, SoundMap, SoundProgram, MAP_HANDLE, SOUND_MAPS, SOUND_RECORDS};

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
