//! The verifier (bpf_check). Until the kernel-faithful verifier lands, this
//! performs the structural checks only (decoding, ld_imm64 pairs, jump
//! targets, the last instruction, reachability, back-edges for the
//! unprivileged), with the kernel's messages and EINVAL, and says so in the
//! log.

pub mod attach;
pub mod log;

use crate::isa::opcode::*;
use crate::isa::{decode, DecodeError, Insn, Instruction};
use crate::uapi::Errno;
use log::VerifierLog;

/// What the caller of bpf_check provides.
pub struct CheckInput<'a> {
    pub insns: &'a [Insn],
    pub prog_type: u32,
    pub expected_attach_type: u32,
    /// BPF_F_SLEEPABLE was asked for.
    pub sleepable: bool,
    pub gpl_compatible: bool,
    /// bpf_capable(): bounded loops and the 1M limit are for the privileged.
    pub privileged: bool,
}

/// A program that passed.
pub struct Verified {
    /// The program after fixups (xlated).
    pub xlated: Vec<Insn>,
    /// Instructions processed (verified_insns).
    pub verified_insns: u32,
}

/// The note that tells a log reader what ran.
pub const STRUCTURAL_ONLY_NOTE: &str = "userbpf: structural check only (the full verifier is not built yet)\n";

/// Check a program, logging as the kernel would. The error is the errno.
/// The note is written at log level 2 only, so that level-1 logs keep the
/// kernel's exact text (and size); callers can tell what ran from
/// [`STRUCTURAL_ONLY`].
pub fn bpf_check(input: &CheckInput<'_>, log: &mut VerifierLog) -> Result<Verified, Errno> {
    if log.level & 2 != 0 {
        log.write(STRUCTURAL_ONLY_NOTE);
    }
    let result = structure(input)
        .map_err(|msg| (msg, Errno::EINVAL))
        .and_then(|()| attach::check_attach_btf_id(input));
    if let Err((msg, _)) = &result {
        log.write(msg);
    }
    // Structural errors come before any instruction is processed.
    let processed = if result.is_ok() { input.insns.len() } else { 0 };
    log.write(&format!(
        "processed {processed} insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
    ));
    result.map_err(|(_, errno)| errno)?;
    Ok(Verified {
        xlated: input.insns.to_vec(),
        verified_insns: input.insns.len() as u32,
    })
}

/// True while the verifier performs the structural checks only.
pub const STRUCTURAL_ONLY: bool = true;

/// The kernel's message for a malformed instruction.
fn decode_message(e: &DecodeError, insns: &[Insn]) -> String {
    match *e {
        DecodeError::UnknownOpcode { code, .. } => format!("unknown opcode {code:02x}\n"),
        DecodeError::TruncatedLdImm64 { .. } | DecodeError::BadLdImm64Tail { .. } => {
            "invalid bpf_ld_imm64 insn\n".into()
        }
        DecodeError::BadRegister { reg, .. } => format!("R{reg} is invalid\n"),
        DecodeError::ReservedField { pc, .. } | DecodeError::InvalidField { pc, .. } => {
            let what = match class(insns[pc].code) {
                BPF_ALU | BPF_ALU64 => "BPF_ALU",
                BPF_LDX => "BPF_LDX",
                BPF_ST => "BPF_ST",
                BPF_STX => "BPF_STX",
                BPF_LD => "BPF_LD_[ABS|IND]",
                _ => {
                    return match insns[pc].code {
                        CALL => "BPF_CALL uses reserved fields\n".into(),
                        EXIT => "BPF_EXIT uses reserved fields\n".into(),
                        JA | JA32 => "BPF_JA uses reserved fields\n".into(),
                        _ => "BPF_JMP/JMP32 uses reserved fields\n".into(),
                    }
                }
            };
            format!("{what} uses reserved fields\n")
        }
    }
}

/// Structural checks of check_subprogs() and check_cfg().
fn structure(input: &CheckInput<'_>) -> Result<(), String> {
    let insns = input.insns;
    let program = decode(insns).map_err(|e| decode_message(&e, insns))?;
    let len = insns.len() as i64;
    // Instruction starts, so that a jump into an ld_imm64 is caught.
    let mut is_start = vec![false; insns.len()];
    for (pc, _) in &program {
        is_start[*pc] = true;
    }
    // At most two successors per instruction (branch target, fall-through).
    let mut succs: Vec<[Option<usize>; 2]> = vec![[None; 2]; insns.len()];
    for (pc, ins) in &program {
        let pc = *pc;
        let next = pc as i64 + ins.slots() as i64;
        let target = |rel: i64| -> Result<usize, String> {
            let t = pc as i64 + 1 + rel;
            if t < 0 || t >= len {
                return Err(format!("jump out of range from insn {pc} to {t}\n"));
            }
            if !is_start[t as usize] {
                return Err(format!("jump to the middle of ldimm64 insn {t}\n"));
            }
            Ok(t as usize)
        };
        let fallthrough = |succ: &mut [Option<usize>; 2]| -> Result<(), String> {
            if next >= len {
                return Err("last insn is not an exit or jmp\n".into());
            }
            succ[1] = Some(next as usize);
            Ok(())
        };
        let s = &mut succs[pc];
        match *ins {
            Instruction::Exit => {}
            Instruction::Ja { off } => s[0] = Some(target(off as i64)?),
            Instruction::Ja32 { imm } => s[0] = Some(target(imm as i64)?),
            Instruction::Jcond { off, .. } | Instruction::MayGoto { off } => {
                s[0] = Some(target(off as i64)?);
                fallthrough(s)?;
            }
            Instruction::Call(crate::isa::CallKind::Local(rel)) => {
                target(rel as i64).map_err(|_| format!("call to invalid destination\n"))?;
                fallthrough(s)?;
            }
            _ => fallthrough(s)?,
        }
    }
    // Reachability from the entry and from every bpf-to-bpf callee; back-edges
    // are loops, which only the privileged may have (bounded ones).
    let mut entries = vec![0usize];
    for (pc, ins) in &program {
        if let Instruction::Call(crate::isa::CallKind::Local(rel)) = ins {
            entries.push((*pc as i64 + 1 + *rel as i64) as usize);
        }
    }
    let mut state = vec![0u8; insns.len()]; // 0 new, 1 on stack, 2 done
    for &entry in &entries {
        if state[entry] != 0 {
            continue;
        }
        let mut stack = vec![(entry, 0usize)];
        state[entry] = 1;
        while let Some((node, i)) = stack.pop() {
            if i < 2 {
                stack.push((node, i + 1));
                let Some(succ) = succs[node][i] else { continue };
                match state[succ] {
                    0 => {
                        state[succ] = 1;
                        stack.push((succ, 0));
                    }
                    1 if !input.privileged => return Err(format!("back-edge from insn {node} to {succ}\n")),
                    _ => {}
                }
            } else {
                state[node] = 2;
            }
        }
    }
    if let Some((pc, _)) = program.iter().find(|(pc, _)| state[*pc] == 0) {
        return Err(format!("unreachable insn {pc}\n"));
    }
    Ok(())
}
