//! The disassembler: instructions printed exactly as the Linux kernel prints
//! them (kernel/bpf/disasm.c `print_bpf_insn`), in verifier logs and
//! `bpftool prog dump xlated`.
//!
//! The kernel leaves two operands to callbacks: the value of an ld_imm64
//! (`cb_imm`) and the name of a call target it has no table entry for
//! (`cb_call`). [`Symbolizer`] plays that role here. Without one
//! ([`KernelDefault`]) the output is what the kernel prints when it has no
//! callback (the verifier log as root): ld_imm64 as `0x<full 64-bit value>`
//! and kfunc calls as `kernel-function`.
//!
//! That default loses information in exactly two places, because the
//! kernel's format has no room for it:
//! - an ld_imm64's pseudo source (`src_reg`: map fd, map value, BTF id,
//!   subprogram, fd_array index): only the 64-bit value is printed;
//! - a kfunc's `off` (the fd_array index of its module's BTF).
//!
//! [`Lossless`] prints those with bpftool-like names (`map[fd:3]`,
//! `map[fd:3][0]+16`, `subprog[+5]`, ...) that `asm::kernel` reads back.
//!
//! One deliberate difference: `print_bpf_insn` has no branch for `callx`
//! (opcode 0x8d); it would print `call bpf_unspec#0` and drop the register.
//! The kernel never shows that text (the verifier refuses opcode 0x8d before
//! logging anything), so we print LLVM's `callx rN`, which round-trips.

use std::fmt::Write;

use super::decode::{decode, AluOp, AtomicOp, CallKind, DecodeError, Endian, Instruction, JmpOp, Operand, Size, Width};
use super::insn::Insn;
use super::opcode::{
    BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
    BPF_PSEUDO_MAP_VALUE,
};
use crate::uapi::helper_ids::helper_name;

/// Supplies the text the kernel gets from its disassembler callbacks.
/// Returning `None` falls back to the kernel's own default text.
pub trait Symbolizer {
    /// The right-hand side of `rD = ...` for an ld_imm64 at `pc`
    /// (the kernel's `cb_imm`). `src` is the pseudo source.
    fn ld_imm64(&self, pc: usize, src: u8, imm: i32, next_imm: i32) -> Option<String> {
        let _ = (pc, src, imm, next_imm);
        None
    }

    /// The name of a call target the helper table does not cover: a kfunc,
    /// a bpf-to-bpf callee or an unknown helper id (the kernel's `cb_call`).
    fn call_name(&self, pc: usize, call: CallKind) -> Option<String> {
        let _ = (pc, call);
        None
    }
}

/// No callbacks: the kernel's default texts, as in a root verifier log
/// (where map pointers are not hidden).
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelDefault;

impl Symbolizer for KernelDefault {}

/// Names every ld_imm64 pseudo source and kfunc module so that the text
/// reassembles to the same instruction. The forms (`I` the first imm, `N`
/// the second; `[next:N]` is appended only when a form has no other place
/// for a non-zero `N`):
///
/// | src | form |
/// |-----|------|
/// | 1 map fd        | `map[fd:I]` |
/// | 2 map value     | `map[fd:I][0]+N` |
/// | 3 BTF id        | `btf_id[I]` |
/// | 4 subprogram    | `subprog[+I]` |
/// | 5 map index     | `map[idx:I]` |
/// | 6 map idx value | `map[idx:I][0]+N` |
///
/// A kfunc whose `off` is non-zero is named `kernel-function[off:OFF]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lossless;

impl Symbolizer for Lossless {
    fn ld_imm64(&self, _pc: usize, src: u8, imm: i32, next_imm: i32) -> Option<String> {
        let next = |text: String| {
            if next_imm == 0 {
                text
            } else {
                format!("{text}[next:{next_imm}]")
            }
        };
        Some(match src {
            BPF_PSEUDO_MAP_FD => next(format!("map[fd:{imm}]")),
            BPF_PSEUDO_MAP_VALUE => format!("map[fd:{imm}][0]+{}", next_imm as u32),
            BPF_PSEUDO_BTF_ID => next(format!("btf_id[{imm}]")),
            BPF_PSEUDO_FUNC => next(format!("subprog[{imm:+}]")),
            BPF_PSEUDO_MAP_IDX => next(format!("map[idx:{imm}]")),
            BPF_PSEUDO_MAP_IDX_VALUE => format!("map[idx:{imm}][0]+{}", next_imm as u32),
            _ => return None,
        })
    }

    fn call_name(&self, _pc: usize, call: CallKind) -> Option<String> {
        match call {
            CallKind::Kfunc { off, .. } if off != 0 => Some(format!("kernel-function[off:{off}]")),
            _ => None,
        }
    }
}

/// The kernel's text for `ins` (at slot `pc`), including the `(xx) ` opcode
/// prefix: what follows `N: ` in a verifier log line.
pub fn disasm(ins: &Instruction, pc: usize) -> String {
    disasm_with(ins, pc, &KernelDefault)
}

/// Like [`disasm`], with `sym` supplying ld_imm64 and call target texts.
pub fn disasm_with(ins: &Instruction, pc: usize, sym: &dyn Symbolizer) -> String {
    let code = ins.encode()[0].code;
    format!("({code:02x}) {}", body(ins, pc, sym))
}

/// A whole program, one `N: (xx) ...` line per instruction like the
/// verifier log (N is the slot index; ld_imm64 takes two).
pub fn disasm_program(slots: &[Insn]) -> Result<String, DecodeError> {
    disasm_program_with(slots, &KernelDefault)
}

/// Like [`disasm_program`], with a symbolizer.
pub fn disasm_program_with(slots: &[Insn], sym: &dyn Symbolizer) -> Result<String, DecodeError> {
    let mut out = String::new();
    for (pc, ins) in decode(slots)? {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{pc}: {}", disasm_with(&ins, pc, sym));
    }
    Ok(out)
}

/// `r` for 64-bit operands, `w` for 32-bit ones.
fn reg_prefix(width: Width) -> char {
    match width {
        Width::W32 => 'w',
        Width::W64 => 'r',
    }
}

/// The kernel's `bpf_ldst_string`.
fn size_name(size: Size) -> &'static str {
    match size {
        Size::B => "u8",
        Size::H => "u16",
        Size::W => "u32",
        Size::DW => "u64",
    }
}

/// The kernel's `bpf_ldsx_string` (there is no 64-bit sign extension).
fn signed_size_name(size: Size) -> &'static str {
    match size {
        Size::B => "s8",
        Size::H => "s16",
        Size::W | Size::DW => "s32",
    }
}

/// The kernel's `bpf_alu_string` / `bpf_alu_sign_string`.
pub(crate) fn alu_op_text(op: AluOp) -> &'static str {
    match op {
        AluOp::Add => "+=",
        AluOp::Sub => "-=",
        AluOp::Mul => "*=",
        AluOp::Div => "/=",
        AluOp::SDiv => "s/=",
        AluOp::Or => "|=",
        AluOp::And => "&=",
        AluOp::Lsh => "<<=",
        AluOp::Rsh => ">>=",
        AluOp::Mod => "%=",
        AluOp::SMod => "s%=",
        AluOp::Xor => "^=",
        AluOp::Mov => "=",
        AluOp::Arsh => "s>>=",
    }
}

/// The kernel's `bpf_jmp_string`.
pub(crate) fn jmp_op_text(op: JmpOp) -> &'static str {
    match op {
        JmpOp::Jeq => "==",
        JmpOp::Jgt => ">",
        JmpOp::Jge => ">=",
        JmpOp::Jset => "&",
        JmpOp::Jne => "!=",
        JmpOp::Jsgt => "s>",
        JmpOp::Jsge => "s>=",
        JmpOp::Jlt => "<",
        JmpOp::Jle => "<=",
        JmpOp::Jslt => "s<",
        JmpOp::Jsle => "s<=",
    }
}

/// `(u64 *)(r1 -8)`, the memory a load, store or atomic accesses: the
/// kernel prints the offset with `%+d`.
fn mem(size_text: &str, ins: &Instruction) -> String {
    let (base, off) = ins.mem_operand().unwrap_or_default();
    format!("({size_text} *)(r{base} {off:+})")
}

/// Everything after the `(xx) ` prefix.
fn body(ins: &Instruction, pc: usize, sym: &dyn Symbolizer) -> String {
    match *ins {
        Instruction::Alu { width, op, dst, src } => {
            let r = reg_prefix(width);
            let op = alu_op_text(op);
            match src {
                Operand::Reg(s) => format!("{r}{dst} {op} {r}{s}"),
                Operand::Imm(imm) => format!("{r}{dst} {op} {imm}"),
            }
        }
        Instruction::MovSx { width, bits, dst, src } => {
            let r = reg_prefix(width);
            format!("{r}{dst} = (s{bits}){r}{src}")
        }
        Instruction::AddrSpaceCast {
            dst,
            src,
            dst_as,
            src_as,
        } => format!("r{dst} = addr_space_cast(r{src}, {dst_as}, {src_as})"),
        Instruction::Neg { width, dst } => {
            let r = reg_prefix(width);
            format!("{r}{dst} = -{r}{dst}")
        }
        // The kernel prints `r` even for the 32-bit class here.
        Instruction::End { kind, bits, dst } => {
            let name = match kind {
                Endian::ToLe => "le",
                Endian::ToBe => "be",
                Endian::Swap => "bswap",
            };
            format!("r{dst} = {name}{bits} r{dst}")
        }
        Instruction::LdImm64 { dst, src, imm, .. } => {
            let full = ins.imm64().unwrap_or_default();
            let value = sym.ld_imm64(pc, src, imm, (full >> 32) as i32);
            format!("r{dst} = {}", value.unwrap_or_else(|| format!("{full:#x}")))
        }
        Instruction::LdAbs { size, imm } => format!("r0 = *({} *)skb[{imm}]", size_name(size)),
        Instruction::LdInd { size, src, imm } => {
            format!("r0 = *({} *)skb[r{src} + {imm}]", size_name(size))
        }
        Instruction::Load { size, signed, dst, .. } => {
            let name = if signed {
                signed_size_name(size)
            } else {
                size_name(size)
            };
            format!("r{dst} = *{}", mem(name, ins))
        }
        Instruction::StoreImm { size, imm, .. } => format!("*{} = {imm}", mem(size_name(size), ins)),
        Instruction::StoreReg { size, src, .. } => format!("*{} = r{src}", mem(size_name(size), ins)),
        Instruction::Atomic { .. } => atomic(ins),
        Instruction::Ja { off } => format!("goto pc{off:+}"),
        Instruction::Ja32 { imm } => format!("gotol pc{imm:+}"),
        Instruction::Jcond {
            width, op, dst, src, ..
        } => {
            let r = reg_prefix(width);
            let op = jmp_op_text(op);
            let off = ins.jump_rel().unwrap_or_default();
            match src {
                Operand::Reg(s) => format!("if {r}{dst} {op} {r}{s} goto pc{off:+}"),
                // `0x%x` of an int: negative immediates show as u32.
                Operand::Imm(imm) => format!("if {r}{dst} {op} {:#x} goto pc{off:+}", imm as u32),
            }
        }
        Instruction::MayGoto { off } => format!("may_goto pc{off:+}"),
        Instruction::Call(kind) => call(kind, pc, sym),
        Instruction::CallX { reg } => format!("callx r{reg}"),
        Instruction::Exit => "exit".to_string(),
    }
}

fn atomic(ins: &Instruction) -> String {
    let Instruction::Atomic { size, op, dst, src, .. } = *ins else {
        unreachable!("not an atomic: {ins:?}")
    };
    let addr = mem(size_name(size), ins);
    // `atomic64_...` for double words, `atomic_...` otherwise.
    let bits = if size == Size::DW { "64" } else { "" };
    let (name, fetch) = match op {
        AtomicOp::Add { fetch } => ("add", fetch),
        AtomicOp::Or { fetch } => ("or", fetch),
        AtomicOp::And { fetch } => ("and", fetch),
        AtomicOp::Xor { fetch } => ("xor", fetch),
        AtomicOp::Xchg => return format!("r{src} = atomic{bits}_xchg({addr}, r{src})"),
        AtomicOp::CmpXchg => return format!("r0 = atomic{bits}_cmpxchg({addr}, r0, r{src})"),
        AtomicOp::LoadAcquire => return format!("r{dst} = load_acquire({addr})"),
        AtomicOp::StoreRelease => return format!("store_release({addr}, r{src})"),
    };
    if fetch {
        format!("r{src} = atomic{bits}_fetch_{name}({addr}, r{src})")
    } else {
        let op = match op {
            AtomicOp::Add { .. } => "+=",
            AtomicOp::Or { .. } => "|=",
            AtomicOp::And { .. } => "&=",
            _ => "^=",
        };
        format!("lock *{addr} {op} r{src}")
    }
}

/// `call pc+N` for bpf-to-bpf calls, `call NAME#IMM` otherwise. Helper ids
/// in the kernel's table always print their table name; everything else
/// asks the symbolizer first, like the kernel's `__func_get_name`.
fn call(kind: CallKind, pc: usize, sym: &dyn Symbolizer) -> String {
    if let CallKind::Helper(id) = kind {
        if let Some(name) = helper_name(id) {
            return format!("call {name}#{id}");
        }
    }
    let named = sym.call_name(pc, kind);
    match kind {
        CallKind::Local(rel) => match named {
            Some(name) => format!("call pc{name}"),
            None => format!("call pc{rel:+}"),
        },
        CallKind::Helper(id) => format!("call {}#{id}", named.as_deref().unwrap_or("unknown")),
        CallKind::Kfunc { btf_id, .. } => {
            format!("call {}#{btf_id}", named.as_deref().unwrap_or("kernel-function"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(slots: &[Insn]) -> String {
        let (ins, _) = super::super::decode::decode_at(slots, 0).unwrap();
        disasm(&ins, 0)
    }

    // Expected texts derived by hand from the format strings of
    // kernel/bpf/disasm.c.
    #[test]
    fn formats_of_disasm_c() {
        assert_eq!(text(&[Insn::new(0xb7, 0, 0, 0, 7)]), "(b7) r0 = 7");
        assert_eq!(text(&[Insn::new(0xbc, 1, 2, 0, 0)]), "(bc) w1 = w2");
        assert_eq!(text(&[Insn::new(0x07, 1, 0, 0, -8)]), "(07) r1 += -8");
        assert_eq!(text(&[Insn::new(0x7a, 10, 0, -8, 1)]), "(7a) *(u64 *)(r10 -8) = 1");
        assert_eq!(text(&[Insn::new(0x79, 0, 1, 0, 0)]), "(79) r0 = *(u64 *)(r1 +0)");
        assert_eq!(text(&[Insn::new(0x91, 0, 1, 0, 0)]), "(91) r0 = *(s8 *)(r1 +0)");
        assert_eq!(
            text(&[Insn::new(0x15, 1, 0, 1, -1)]),
            "(15) if r1 == 0xffffffff goto pc+1"
        );
        assert_eq!(text(&[Insn::new(0x1e, 1, 2, -3, 0)]), "(1e) if w1 == w2 goto pc-3");
        assert_eq!(text(&[Insn::new(0xd4, 3, 0, 0, 16)]), "(d4) r3 = le16 r3");
        assert_eq!(text(&[Insn::new(0xbf, 1, 2, 16, 0)]), "(bf) r1 = (s16)r2");
        assert_eq!(text(&[Insn::new(0x3f, 1, 2, 1, 0)]), "(3f) r1 s/= r2");
        assert_eq!(
            text(&[Insn::new(0xdb, 1, 0, 0, 0x01)]),
            "(db) r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)"
        );
        assert_eq!(
            text(&[Insn::new(0xc3, 1, 2, 4, 0xf1)]),
            "(c3) r0 = atomic_cmpxchg((u32 *)(r1 +4), r0, r2)"
        );
        assert_eq!(
            text(&[Insn::new(0xc3, 1, 2, 0, 0x50)]),
            "(c3) lock *(u32 *)(r1 +0) &= r2"
        );
        assert_eq!(text(&[Insn::new(0x50, 0, 3, 0, -2)]), "(50) r0 = *(u8 *)skb[r3 + -2]");
        assert_eq!(
            text(&[Insn::new(0x18, 1, 0, 0, 0x55667788), Insn::new(0, 0, 0, 0, 0x11223344)]),
            "(18) r1 = 0x1122334455667788"
        );
        assert_eq!(text(&[Insn::new(0x85, 0, 1, 0, 2)]), "(85) call pc+2");
        assert_eq!(text(&[Insn::new(0x85, 0, 0, 0, 1)]), "(85) call bpf_map_lookup_elem#1");
        assert_eq!(text(&[Insn::new(0x85, 0, 0, 0, 5000)]), "(85) call unknown#5000");
        assert_eq!(text(&[Insn::new(0x85, 0, 2, 0, 77)]), "(85) call kernel-function#77");
        assert_eq!(text(&[Insn::new(0x06, 0, 0, 0, -1)]), "(06) gotol pc-1");
        assert_eq!(text(&[Insn::new(0xe5, 0, 0, 4, 0)]), "(e5) may_goto pc+4");
        assert_eq!(text(&[Insn::new(0x8d, 2, 0, 0, 0)]), "(8d) callx r2");
    }

    #[test]
    fn lossless_names_pseudo_sources() {
        let ld = |src, imm, next_imm| Instruction::LdImm64 {
            dst: 1,
            src,
            imm,
            next_imm,
        };
        let l = |ins: Instruction| disasm_with(&ins, 0, &Lossless);
        assert_eq!(l(ld(0, 5, 0)), "(18) r1 = 0x5");
        assert_eq!(l(ld(1, 5, 0)), "(18) r1 = map[fd:5]");
        assert_eq!(l(ld(1, 5, 2)), "(18) r1 = map[fd:5][next:2]");
        assert_eq!(l(ld(2, 5, -1)), "(18) r1 = map[fd:5][0]+4294967295");
        assert_eq!(l(ld(4, -3, 0)), "(18) r1 = subprog[-3]");
        assert_eq!(
            l(Instruction::Call(CallKind::Kfunc { btf_id: 9, off: 2 })),
            "(85) call kernel-function[off:2]#9"
        );
        // The default keeps the kernel's text.
        assert_eq!(disasm(&ld(2, 5, 1), 0), "(18) r1 = 0x100000005");
    }

    #[test]
    fn program_lines_number_slots() {
        let slots = [
            Insn::new(0x18, 0, 0, 0, 1),
            Insn::new(0, 0, 0, 0, 0),
            Insn::new(0x95, 0, 0, 0, 0),
        ];
        assert_eq!(disasm_program(&slots).unwrap(), "0: (18) r0 = 0x1\n2: (95) exit\n");
    }
}
