//! Program structure, checked on the raw slots in the kernel's order:
//! add_subprog_and_kfunc() (call targets), check_subprogs() (jump ranges,
//! the last instruction), resolve_pseudo_ldimm64() (ld_imm64 pairs, LDX
//! fields, unknown opcodes), check_cfg() (reachability, back-edges for the
//! unprivileged, jumps into ld_imm64), then the per-instruction field checks
//! do_check() makes, each with the kernel's message.

use crate::isa::cfg::{self, SubprogError};
use crate::isa::decode::opcode_decodes;
use crate::isa::opcode::*;
use crate::isa::{DecodeError, Insn};

/// Whether an opcode byte is one the kernel knows (bpf_opcode_in_insntable),
/// whatever its other fields: some field choice decodes (callx is LLVM's,
/// not the kernel's).
fn opcode_known(code: u8) -> bool {
    code != CALLX && opcode_decodes(code)
}

/// add_subprog()'s refusal past BPF_MAX_SUBPROGS (E2BIG).
pub const TOO_MANY_SUBPROGS: &str = "too many subprograms\n";

/// Start of every subprogram: 0 and each bpf-to-bpf call or function
/// pointer target.
fn subprog_starts(insns: &[Insn]) -> Result<Vec<usize>, String> {
    // BPF_MAX_SUBPROGS, the main program included.
    const MAX_SUBPROGS: usize = 256;
    cfg::subprog_starts(insns, MAX_SUBPROGS).map_err(|e| match e {
        SubprogError::InvalidDestination { .. } => "call to invalid destination\n".into(),
        SubprogError::TooMany => TOO_MANY_SUBPROGS.into(),
    })
}

fn check_subprogs(insns: &[Insn], starts: &[usize]) -> Result<(), String> {
    for (n, &start) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(insns.len());
        for (pc, i) in insns.iter().enumerate().take(end).skip(start) {
            if let Some(t) = i.jump_target(pc) {
                if t < start as i64 || t >= end as i64 {
                    return Err(format!("jump out of range from insn {pc} to {t}\n"));
                }
            }
        }
        let last = insns[end - 1];
        if !last.is_exit() && !last.is_goto() {
            return Err("last insn is not an exit or jmp\n".into());
        }
    }
    Ok(())
}

fn resolve_pseudo_ldimm64(insns: &[Insn]) -> Result<(), String> {
    let mut pc = 0;
    while pc < insns.len() {
        let i = &insns[pc];
        if class(i.code) == BPF_LDX && (!matches!(mode(i.code), BPF_MEM | BPF_MEMSX) || i.imm != 0) {
            return Err("BPF_LDX uses reserved fields\n".into());
        }
        if i.is_ld_imm64() {
            let tail_ok = insns
                .get(pc + 1)
                .is_some_and(|t| t.code == 0 && t.dst == 0 && t.src == 0 && t.off == 0);
            if !tail_ok {
                return Err("invalid bpf_ld_imm64 insn\n".into());
            }
            if i.src > BPF_PSEUDO_MAP_IDX_VALUE {
                return Err("unrecognized bpf_ld_imm64 insn\n".into());
            }
            pc += 2;
            continue;
        }
        if !opcode_known(i.code) {
            return Err(format!("unknown opcode {:02x}\n", i.code));
        }
        pc += 1;
    }
    Ok(())
}

/// check_cfg(): depth-first over the slot graph from every subprogram.
fn check_cfg(insns: &[Insn], starts: &[usize], privileged: bool) -> Result<(), String> {
    let walk = cfg::walk(insns, starts);
    if let Some(&(from, to)) = walk.back_edges.first().filter(|_| !privileged) {
        return Err(format!("back-edge from insn {from} to {to}\n"));
    }
    let mut pc = 0;
    while pc < insns.len() {
        if !walk.reached[pc] {
            return Err(format!("unreachable insn {pc}\n"));
        }
        if insns[pc].is_ld_imm64() {
            if walk.reached.get(pc + 1).is_some_and(|&r| r) {
                return Err(format!("jump into the middle of ldimm64 insn {pc}\n"));
            }
            pc += 1;
        }
        pc += 1;
    }
    Ok(())
}

/// do_check()'s message for an instruction whose fields are wrong.
fn field_message(e: &DecodeError, insns: &[Insn]) -> String {
    let code = insns[e.pc()].code;
    if let DecodeError::BadRegister { reg, .. } = e {
        return format!("R{reg} is invalid\n");
    }
    let insn = &insns[e.pc()];
    // may_goto with any other field set.
    if code == MAY_GOTO {
        return format!("invalid may_goto imm {}\n", insn.imm);
    }
    // mov64 with off 1 is addr_space_cast, which takes address spaces 0/1.
    if code == BPF_ALU64 | BPF_MOV | BPF_X && insn.off == 1 && insn.imm != 1 && insn.imm != 1 << 16 {
        return "addr_space_cast insn can only convert between address space 1 and 0\n".into();
    }
    let what = match class(code) {
        BPF_ALU | BPF_ALU64 => match op(code) {
            BPF_MOV => "BPF_MOV",
            BPF_NEG => "BPF_NEG",
            BPF_END => "BPF_END",
            _ => "BPF_ALU",
        },
        BPF_LDX => "BPF_LDX",
        BPF_ST => "BPF_ST",
        BPF_STX if mode(code) == BPF_ATOMIC => {
            let imm = insns[e.pc()].imm;
            // check_atomic_rmw(): a known operation on bytes or halfwords.
            let rmw = matches!(imm, 0x00 | 0x01 | 0x40 | 0x41 | 0x50 | 0x51 | 0xa0 | 0xa1 | 0xe1 | 0xf1);
            if rmw && matches!(size(code), BPF_B | BPF_H) {
                return "invalid atomic operand size\n".into();
            }
            return format!("BPF_ATOMIC uses invalid atomic opcode {imm:02x}\n");
        }
        BPF_STX => "BPF_STX",
        BPF_LD if code == LD_IMM64 => "BPF_LD_IMM64",
        BPF_LD => "BPF_LD_[ABS|IND]",
        _ => match op(code) {
            BPF_CALL => "BPF_CALL",
            BPF_EXIT => "BPF_EXIT",
            BPF_JA => "BPF_JA",
            _ => "BPF_JMP/JMP32",
        },
    };
    format!("{what} uses reserved fields\n")
}

/// check_abnormal_return() (check_btf_info without BTF): subprograms may
/// neither tail call nor use LD_ABS/LD_IND, which leave them abruptly.
fn check_abnormal_return(insns: &[Insn], starts: &[usize]) -> Result<(), String> {
    for (n, &start) in starts.iter().enumerate().skip(1) {
        let end = starts.get(n + 1).copied().unwrap_or(insns.len());
        let body = &insns[start..end];
        if body
            .iter()
            .any(|i| class(i.code) == BPF_LD && matches!(mode(i.code), BPF_ABS | BPF_IND))
        {
            return Err("LD_ABS is not allowed in subprogs without BTF\n".into());
        }
        if body.iter().any(|i| i.code == CALL && i.src == 0 && i.imm == 12) {
            return Err("tail_call is not allowed in subprogs without BTF\n".into());
        }
    }
    Ok(())
}

/// All structural checks, in the kernel's order. The error is the log line.
pub fn check(insns: &[Insn], privileged: bool) -> Result<(), String> {
    let starts = subprog_starts(insns)?;
    check_subprogs(insns, &starts)?;
    check_abnormal_return(insns, &starts)?;
    resolve_pseudo_ldimm64(insns)?;
    check_cfg(insns, &starts, privileged)?;
    crate::isa::decode(insns).map_err(|e| field_message(&e, insns))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Slots from their hex bytes, one word a slot.
    fn p(hex: &str) -> Vec<Insn> {
        let byte = |h: &str, i: usize| u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap();
        hex.split_whitespace()
            .map(|h| Insn::from_bytes(std::array::from_fn(|i| byte(h, i))))
            .collect()
    }

    #[test]
    fn kernel_messages_for_recorded_cases() {
        // Programs and messages from tests/fixtures/prog_load (kernel 6.18).
        let cases = [
            // A jump into an ld_imm64.
            (
                "0500010000000000 1800000001000000 0000000000000000 9500000000000000",
                "unreachable insn 1\n",
            ),
            // A self loop.
            ("0500ffff00000000 9500000000000000", "unreachable insn 1\n"),
            (
                "b700000000000000 9500000000000000 b700000000000000 9500000000000000",
                "unreachable insn 2\n",
            ),
            ("ff00000000000000 9500000000000000", "unknown opcode ff\n"),
            ("b700000000000000", "last insn is not an exit or jmp\n"),
            ("1800000001000000", "last insn is not an exit or jmp\n"),
            (
                "1870000001000000 0000000000000000 9500000000000000",
                "unrecognized bpf_ld_imm64 insn\n",
            ),
            // mov r0, 7 with src_reg 1.
            ("b710000007000000 9500000000000000", "BPF_MOV uses reserved fields\n"),
        ];
        for (hex, message) in cases {
            assert_eq!(check(&p(hex), true).unwrap_err(), message, "{hex}");
        }
    }
}
