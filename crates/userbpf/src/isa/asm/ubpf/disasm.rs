//! Printing typed instructions in the uBPF syntax.

use super::mnemonics::{alu_name, jmp_name, size_name, ENDIAN, LDDW_PSEUDO};
use crate::isa::decode::{decode, AtomicOp, CallKind, DecodeError, Instruction, Operand, Size, Width};
use crate::isa::insn::Insn;

/// Small and negative values read best in decimal, the rest as the 32-bit
/// pattern in hex (what the reference disassembler prints).
fn format_imm(imm: i32) -> String {
    if (-10..=10).contains(&imm) || (imm < 0 && imm != i32::MIN) {
        imm.to_string()
    } else {
        format!("{:#x}", imm as u32)
    }
}

fn format_imm64(value: u64) -> String {
    if value <= 10 {
        value.to_string()
    } else {
        format!("{value:#x}")
    }
}

/// `[%r1+8]`: the memory a load, store or atomic accesses.
fn format_memory(ins: &Instruction) -> String {
    let (reg, off) = ins.mem_operand().unwrap_or_default();
    match off {
        0 => format!("[%r{reg}]"),
        o if o > 0 => format!("[%r{reg}+{o}]"),
        o => format!("[%r{reg}{o}]"),
    }
}

fn format_target(distance: i64) -> String {
    if distance >= 0 {
        format!("+{distance}")
    } else {
        distance.to_string()
    }
}

fn format_operand(src: Operand) -> String {
    match src {
        Operand::Reg(r) => format!("%r{r}"),
        Operand::Imm(i) => format_imm(i),
    }
}

fn width_suffix(width: Width) -> &'static str {
    match width {
        Width::W32 => "32",
        Width::W64 => "",
    }
}

/// One instruction in this syntax; jumps print their distance (`+N`/`-N`).
pub fn disassemble(ins: &Instruction) -> String {
    match *ins {
        Instruction::Alu { width, op, dst, src } => format!(
            "{}{} %r{dst}, {}",
            alu_name(op),
            width_suffix(width),
            format_operand(src)
        ),
        Instruction::MovSx { width, bits, dst, src } => {
            let to = match width {
                Width::W32 => 32,
                Width::W64 => 64,
            };
            format!("movsx{bits}{to} %r{dst}, %r{src}")
        }
        Instruction::AddrSpaceCast {
            dst,
            src,
            dst_as,
            src_as,
        } => format!("addr_space_cast %r{dst}, %r{src}, {dst_as}, {src_as}"),
        Instruction::Neg { width, dst } => format!("neg{} %r{dst}", width_suffix(width)),
        Instruction::End { kind, bits, dst } => {
            // The first spelling of each kind (`swap`, not `bswap`).
            let prefix = ENDIAN.iter().find(|&&(_, k)| k == kind).map_or("", |&(p, _)| p);
            format!("{prefix}{bits} %r{dst}")
        }
        Instruction::LdImm64 { dst, src, .. } => {
            let value = ins.imm64().unwrap_or_default();
            match LDDW_PSEUDO.iter().find(|&&(_, s)| s == src) {
                Some((name, _)) => format!("lddw %r{dst}, {name} {}", format_imm64(value)),
                None => format!("lddw %r{dst}, {}", format_imm64(value)),
            }
        }
        Instruction::LdAbs { size, imm } => {
            format!("ldabs{} {}", size_name(size), format_imm(imm))
        }
        Instruction::LdInd { size, src, imm } => {
            format!("ldind{} %r{src}, {}", size_name(size), format_imm(imm))
        }
        Instruction::Load { size, signed, dst, .. } => format!(
            "ldx{}{} %r{dst}, {}",
            if signed { "s" } else { "" },
            size_name(size),
            format_memory(ins)
        ),
        Instruction::StoreImm { size, imm, .. } => {
            format!("st{} {}, {}", size_name(size), format_memory(ins), format_imm(imm))
        }
        Instruction::StoreReg { size, src, .. } => format!("stx{} {}, %r{src}", size_name(size), format_memory(ins)),
        Instruction::Atomic { .. } => disassemble_atomic(ins),
        Instruction::Ja { off } => format!("ja {}", format_target(off.into())),
        Instruction::Ja32 { imm } => format!("ja32 {}", format_target(imm.into())),
        Instruction::Jcond {
            width, op, dst, src, ..
        } => format!(
            "{}{} %r{dst}, {}, {}",
            jmp_name(op),
            width_suffix(width),
            format_operand(src),
            format_target(ins.jump_rel().unwrap_or_default())
        ),
        Instruction::MayGoto { off } => format!("may_goto {}", format_target(off.into())),
        Instruction::Call(CallKind::Helper(id)) => format!("call {}", format_imm(id)),
        Instruction::Call(CallKind::Local(rel)) => {
            format!("call local {}", format_target(rel.into()))
        }
        Instruction::Call(CallKind::Kfunc { btf_id, off: 0 }) => {
            format!("call runtime {}", format_imm(btf_id))
        }
        Instruction::Call(CallKind::Kfunc { btf_id, off }) => {
            format!("call runtime {}, {off}", format_imm(btf_id))
        }
        Instruction::CallX { reg } => format!("call %r{reg}"),
        Instruction::Exit => "exit".to_string(),
    }
}

fn disassemble_atomic(ins: &Instruction) -> String {
    let Instruction::Atomic { size, op, dst, src, .. } = *ins else {
        unreachable!("not an atomic: {ins:?}")
    };
    let mem = format_memory(ins);
    let bits = match size {
        Size::B => "8",
        Size::H => "16",
        Size::W => "32",
        Size::DW => "",
    };
    let (name, fetch) = match op {
        AtomicOp::Add { fetch } => ("add", fetch),
        AtomicOp::Or { fetch } => ("or", fetch),
        AtomicOp::And { fetch } => ("and", fetch),
        AtomicOp::Xor { fetch } => ("xor", fetch),
        AtomicOp::Xchg => ("xchg", false),
        AtomicOp::CmpXchg => ("cmpxchg", false),
        // For load-acquire `dst` is the loaded register, `src` the base.
        AtomicOp::LoadAcquire => return format!("lock load_acquire{bits} %r{dst}, {mem}"),
        AtomicOp::StoreRelease => return format!("lock store_release{bits} {mem}, %r{src}"),
    };
    let fetch = if fetch { "fetch " } else { "" };
    format!("lock {fetch}{name}{bits} {mem}, %r{src}")
}

/// Raw slots, decoded then printed one instruction per line.
pub fn disassemble_slots(slots: &[Insn]) -> Result<String, DecodeError> {
    let program: Vec<Instruction> = decode(slots)?.into_iter().map(|(_, ins)| ins).collect();
    Ok(disassemble_program(&program))
}

/// A whole program, one instruction per line.
pub fn disassemble_program(program: &[Instruction]) -> String {
    let mut out = String::new();
    for ins in program {
        out.push_str(&disassemble(ins));
        out.push('\n');
    }
    out
}
