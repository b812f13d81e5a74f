//! Callbacks: helpers that call back into the program (bpf_loop,
//! bpf_for_each_map_elem).
//!
//! At load, an ld_imm64 of a BPF_PSEUDO_FUNC (the address of a callback
//! subprogram) becomes the constant [`FUNC_HANDLE_BASE`] | the
//! subprogram's first instruction: a value no guest region can have, so a
//! handle can never be mistaken for memory. The helper runs the
//! subprogram in the interpreter (over the same guest memory, whatever
//! engine runs the program) on a stack of its own per nesting level.

use crate::exec::helper_table::{HelperCall, HelperExit};
use crate::exec::interp::STACK_SIZE;
use crate::exec::{Fault, Interpreter, RunOptions};
use crate::helpers::run::kernel_helpers;
use crate::isa::opcode::BPF_PSEUDO_FUNC;
use crate::isa::Insn;

/// High bits of a callback handle.
pub const FUNC_HANDLE_BASE: u64 = 0xffff_ff00_0000_0000;

/// Nesting of callbacks (each level needs a call frame in the kernel).
const MAX_CALLBACK_DEPTH: usize = 8;

/// Turn each BPF_PSEUDO_FUNC ld_imm64 into its callback handle.
pub fn resolve_pseudo_func(insns: &mut [Insn]) {
    let mut pc = 0;
    while pc + 1 < insns.len() {
        if insns[pc].is_ld_imm64() {
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

/// Call the callback `handle` with `args` (r1..r5); its r0.
pub fn call(c: &mut HelperCall<'_, '_>, handle: u64, args: [u64; 5]) -> Result<u64, HelperExit> {
    let program = c
        .env
        .program
        .ok_or_else(|| HelperExit::Failed("callbacks need the program".into()))?;
    let entry = (handle & 0xffff_ffff) as usize;
    if handle & !0xffff_ffff != FUNC_HANDLE_BASE || entry >= program.slots().len() {
        return Err(HelperExit::Failed(format!("{handle:#x} is not a callback")));
    }
    let level = c.env.callback_depth.get();
    if level >= MAX_CALLBACK_DEPTH {
        return Err(HelperExit::Failed("callbacks nested too deeply".into()));
    }
    let fp = c.mem.nested_stack_top(level, STACK_SIZE);
    c.env.callback_depth.set(level + 1);
    let r = Interpreter::new(program, kernel_helpers()).execute_from(
        c.mem,
        c.env,
        fp,
        &args,
        &RunOptions::default(),
        entry,
    );
    c.env.callback_depth.set(level);
    r.map_err(|e| match e.fault {
        Fault::Memory(f) => HelperExit::Fault(f),
        other => HelperExit::Failed(format!("callback at {}: {other}", e.pc)),
    })
}

/// A scratch slot for keys passed to callbacks: the bottom of the next
/// nesting level's stack, far below any frame the callback uses.
pub fn key_scratch(c: &mut HelperCall<'_, '_>) -> u64 {
    let level = c.env.callback_depth.get();
    c.mem.nested_stack_top(level, STACK_SIZE) - STACK_SIZE as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::opcode::LD_IMM64;

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
