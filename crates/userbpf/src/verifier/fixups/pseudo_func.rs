//! The callback half of fixup_call_args(): an ld_imm64 of a
//! BPF_PSEUDO_FUNC (the address of a callback subprogram) becomes the
//! callback handle the run-time re-entry takes (see
//! [`crate::runtime::callback`]).

use crate::isa::opcode::{BPF_PSEUDO_FUNC, LD_IMM64};
use crate::isa::Insn;
use crate::runtime::callback::FUNC_HANDLE_BASE;

/// Turn each BPF_PSEUDO_FUNC ld_imm64 into its callback handle.
pub fn resolve_pseudo_func(insns: &mut [Insn]) {
    let mut pc = 0;
    while pc + 1 < insns.len() {
        if insns[pc].code == LD_IMM64 {
            if insns[pc].src == BPF_PSEUDO_FUNC {
                let target = crate::isa::cfg::target(pc, insns[pc].imm as i64) as u64 & 0xffff_ffff;
                let handle = FUNC_HANDLE_BASE | target;
                insns[pc].src = 0;
                insns[pc].imm = handle as u32 as i32;
                insns[pc + 1].imm = (handle >> 32) as u32 as i32;
            }
            pc += 2;
        } else {
            pc += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_func_becomes_a_handle_to_its_target() {
        let mut p = vec![
            Insn::new(LD_IMM64, 2, BPF_PSEUDO_FUNC, 0, 3),
            Insn::new(0, 0, 0, 0, 0),
            Insn::new(0x95, 0, 0, 0, 0),
        ];
        resolve_pseudo_func(&mut p);
        let v = p[0].imm as u32 as u64 | (p[1].imm as u32 as u64) << 32;
        assert_eq!(v, FUNC_HANDLE_BASE | 4, "pc 0 + 1 + imm 3");
        assert_eq!(p[0].src, 0);
    }
}
