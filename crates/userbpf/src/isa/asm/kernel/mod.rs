//! Assembler for the kernel syntax (what `isa::disasm` prints).
//!
//! Each line holds one instruction as the kernel's disassembler prints it,
//! optionally preceded by the verifier log's `N: ` slot number, the live
//! registers column of the "Live regs before insn" listing, and the `(xx) `
//! opcode. Text after `;` or `//` is ignored, so verifier log lines with
//! their register state annotations assemble as they are; so are blank lines
//! and lines starting with `#`.
//!
//! The opcode, when present, must match the instruction; it also settles
//! the one ambiguity of the syntax: `(b7) r1 = 0x5` is a mov, `(18) r1 = 5`
//! an ld_imm64. Without it, a hexadecimal value (how the kernel prints an
//! ld_imm64) or one that doesn't fit 32 bits makes an ld_imm64, a decimal
//! one a mov.
//!
//! Besides the kernel's own texts this reads the [`Lossless`] names of
//! ld_imm64 pseudo sources and kfunc modules, and `callx rN`.
//!
//! [`Lossless`]: crate::isa::disasm::Lossless

use crate::isa::decode::{decode_at, AluOp, AtomicOp, CallKind, Endian, Instruction, JmpOp, Operand, Reg, Size, Width};
use crate::isa::disasm::{alu_op_text, jmp_op_text};
use crate::isa::opcode::{
    BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
    BPF_PSEUDO_MAP_VALUE, LD_IMM64,
};
use crate::uapi::helper_ids::helper_id;

mod cursor;

use cursor::Cursor;

/// A line that doesn't assemble: its 1-based number and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct AsmError {
    pub line: usize,
    pub kind: AsmErrorKind,
}

/// What is wrong with a line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AsmErrorKind {
    #[error("expected {expected} at `{found}`")]
    Expected { expected: &'static str, found: String },
    #[error("no register `{0}` (r0..r10, or w0..w10 for 32-bit operations)")]
    Register(String),
    #[error("`{0}` is not a number")]
    Number(String),
    #[error("{what} {value} out of range")]
    Range { what: &'static str, value: i128 },
    #[error("32-bit (w) and 64-bit (r) registers mixed, or a w register where only r exists")]
    Width,
    #[error("{0} must name the same register on both sides")]
    SameRegister(&'static str),
    #[error("unknown call target `{0}`")]
    CallTarget(String),
    #[error("`{name}#{id}`: {name} is helper #{helper}")]
    HelperId { name: String, id: i32, helper: i32 },
    #[error("opcode ({given:02x}) does not match the instruction, which encodes as ({actual:02x})")]
    OpcodeMismatch { given: u8, actual: u8 },
    #[error("not a valid instruction: {0}")]
    Invalid(String),
    #[error("unexpected `{0}` after the instruction")]
    Trailing(String),
    #[error("no instruction")]
    Empty,
}

/// Assemble kernel-syntax text, one instruction per line.
pub fn assemble(text: &str) -> Result<Vec<Instruction>, AsmError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(ins) = assemble_line(line).map_err(|kind| AsmError { line: i + 1, kind })? {
            out.push(ins);
        }
    }
    Ok(out)
}

/// Assemble text holding exactly one instruction (for example one
/// `disasm` output).
pub fn assemble_insn(text: &str) -> Result<Instruction, AsmError> {
    let mut found = None;
    for (i, line) in text.lines().enumerate() {
        let error = |kind| AsmError { line: i + 1, kind };
        if let Some(ins) = assemble_line(line).map_err(error)? {
            if found.is_some() {
                return Err(error(AsmErrorKind::Trailing(line.trim().to_string())));
            }
            found = Some(ins);
        }
    }
    found.ok_or(AsmError {
        line: 1,
        kind: AsmErrorKind::Empty,
    })
}

/// One line: `None` for a blank or comment line.
fn assemble_line(line: &str) -> Result<Option<Instruction>, AsmErrorKind> {
    let code = strip_comment(line).trim();
    if code.is_empty() || code.starts_with('#') {
        return Ok(None);
    }
    let mut c = Cursor::new(code);
    c.slot_number();
    let opcode = c.opcode_prefix();
    let ins = parse_body(&mut c, opcode)?;
    c.end()?;
    if let Some(given) = opcode {
        check_opcode(&ins, given)?;
    }
    check_valid(&ins)?;
    Ok(Some(ins))
}

fn strip_comment(line: &str) -> &str {
    let end = [line.find(';'), line.find("//")]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(line.len());
    &line[..end]
}

/// The opcode written before the text must be the one the text encodes to.
/// (It has already steered the mov/ld_imm64 choice.)
fn check_opcode(ins: &Instruction, given: u8) -> Result<(), AsmErrorKind> {
    let actual = ins.encode()[0].code;
    if actual == given {
        Ok(())
    } else {
        Err(AsmErrorKind::OpcodeMismatch { given, actual })
    }
}

/// Only encodings the decoder accepts come out of the assembler.
fn check_valid(ins: &Instruction) -> Result<(), AsmErrorKind> {
    let slots = ins.encode();
    match decode_at(&slots, 0) {
        Ok((back, _)) if back == *ins => Ok(()),
        Ok((back, _)) => Err(AsmErrorKind::Invalid(format!("encodes as {back:?}"))),
        Err(e) => Err(AsmErrorKind::Invalid(e.to_string())),
    }
}

/// A register as written: its letter (`r` or `w`) and number.
#[derive(Clone, Copy, PartialEq, Eq)]
struct RegText {
    wide: bool,
    num: Reg,
}

impl RegText {
    fn width(self) -> Width {
        if self.wide {
            Width::W64
        } else {
            Width::W32
        }
    }
}

fn parse_body(c: &mut Cursor, opcode: Option<u8>) -> Result<Instruction, AsmErrorKind> {
    if c.eat_word("exit") {
        return Ok(Instruction::Exit);
    }
    if c.eat_word("gotol") {
        c.pc_rel()?;
        return Ok(Instruction::Ja32 {
            imm: c.off32("jump offset")?,
        });
    }
    if c.eat_word("goto") {
        c.pc_rel()?;
        return Ok(Instruction::Ja {
            off: c.off16("jump offset")?,
        });
    }
    if c.eat_word("may_goto") {
        c.pc_rel()?;
        return Ok(Instruction::MayGoto {
            off: c.off16("jump offset")?,
        });
    }
    if c.eat_word("callx") {
        return Ok(Instruction::CallX { reg: c.reg64()? });
    }
    if c.eat_word("call") {
        return call(c).map(Instruction::Call);
    }
    if c.eat_word("if") {
        return jcond(c);
    }
    if c.eat_word("lock") {
        return lock(c);
    }
    if c.eat_word("store_release") {
        c.expect("(")?;
        let (size, signed, dst, off) = c.mem()?;
        c.expect(",")?;
        let src = c.reg64()?;
        c.expect(")")?;
        return unsigned(signed).map(|()| Instruction::Atomic {
            size,
            op: AtomicOp::StoreRelease,
            dst,
            src,
            off,
        });
    }
    if c.eat("*") {
        return store(c);
    }
    let dst = c.reg()?;
    if c.eat("=") {
        assign(c, dst, opcode)
    } else {
        alu(c, dst)
    }
}

fn unsigned(signed: bool) -> Result<(), AsmErrorKind> {
    if signed {
        Err(AsmErrorKind::Invalid("only loads have sign-extending types".into()))
    } else {
        Ok(())
    }
}

/// The operator among `ops` that comes next, read as the disassembler
/// writes it (`text`), longest first: `s>>=` isn't read as something
/// shorter, nor `s>=` as `s>`.
fn operator<T: Copy>(c: &mut Cursor, ops: impl IntoIterator<Item = T>, text: fn(T) -> &'static str) -> Option<T> {
    let mut ops: Vec<T> = ops.into_iter().collect();
    ops.sort_by_key(|&op| std::cmp::Reverse(text(op).len()));
    ops.into_iter().find(|&op| c.eat(text(op)))
}

/// `rD op= rS` / `rD op= IMM` for every operator but `=`.
fn alu(c: &mut Cursor, dst: RegText) -> Result<Instruction, AsmErrorKind> {
    let alu_ops = AluOp::ALL.iter().copied().filter(|&op| op != AluOp::Mov);
    let Some(op) = operator(c, alu_ops, alu_op_text) else {
        return Err(c.expected("an ALU operator (+=, -=, =, ...)"));
    };
    let src = operand(c, dst, "immediate")?;
    Ok(Instruction::Alu {
        width: dst.width(),
        op,
        dst: dst.num,
        src,
    })
}

/// A source register of the same width as `dst`, or a 32-bit immediate.
fn operand(c: &mut Cursor, dst: RegText, what: &'static str) -> Result<Operand, AsmErrorKind> {
    if matches!(c.peek(), Some(b'r' | b'w')) {
        let src = c.reg()?;
        if src.wide != dst.wide {
            return Err(AsmErrorKind::Width);
        }
        Ok(Operand::Reg(src.num))
    } else {
        Ok(Operand::Imm(c.imm32(what)?))
    }
}

/// Everything of the form `rD = ...`.
fn assign(c: &mut Cursor, dst: RegText, opcode: Option<u8>) -> Result<Instruction, AsmErrorKind> {
    let need_wide = || {
        if dst.wide {
            Ok(dst.num)
        } else {
            Err(AsmErrorKind::Width)
        }
    };
    c.ws();
    if c.rest().starts_with("-r") || c.rest().starts_with("-w") {
        c.pos += 1;
        let src = c.reg()?;
        if src != dst {
            return Err(AsmErrorKind::SameRegister("neg"));
        }
        return Ok(Instruction::Neg {
            width: dst.width(),
            dst: dst.num,
        });
    }
    for (name, kind) in [("le", Endian::ToLe), ("be", Endian::ToBe), ("bswap", Endian::Swap)] {
        if let Some(bits) = endian_word(c, name) {
            let d = need_wide()?;
            if c.reg64()? != d {
                return Err(AsmErrorKind::SameRegister("a byte swap"));
            }
            return Ok(Instruction::End { kind, bits, dst: d });
        }
    }
    if c.eat_word("addr_space_cast") {
        let d = need_wide()?;
        c.expect("(")?;
        let src = c.reg64()?;
        c.expect(",")?;
        let dst_as = c.int_in("address space", 0, u16::MAX.into())? as u16;
        c.expect(",")?;
        let src_as = c.int_in("address space", 0, u16::MAX.into())? as u16;
        c.expect(")")?;
        return Ok(Instruction::AddrSpaceCast {
            dst: d,
            src,
            dst_as,
            src_as,
        });
    }
    if c.eat_word("load_acquire") {
        let d = need_wide()?;
        c.expect("(")?;
        let (size, signed, src, off) = c.mem()?;
        c.expect(")")?;
        unsigned(signed)?;
        return Ok(Instruction::Atomic {
            size,
            op: AtomicOp::LoadAcquire,
            dst: d,
            src,
            off,
        });
    }
    if let Some(wide64) = atomic_word(c) {
        return atomic_call(c, need_wide()?, wide64);
    }
    if c.eat("*") {
        let d = need_wide()?;
        return load(c, d);
    }
    if c.eat("(s") {
        let bits = c.int_in("sign extension", 0, 64)? as u8;
        c.expect(")")?;
        let src = c.reg()?;
        if src.wide != dst.wide {
            return Err(AsmErrorKind::Width);
        }
        return Ok(Instruction::MovSx {
            width: dst.width(),
            bits,
            dst: dst.num,
            src: src.num,
        });
    }
    if let Some((src, imm, next_imm)) = pseudo_ld_imm64(c)? {
        return Ok(Instruction::LdImm64 {
            dst: need_wide()?,
            src,
            imm,
            next_imm,
        });
    }
    if matches!(c.peek(), Some(b'r' | b'w')) {
        return Ok(Instruction::Alu {
            width: dst.width(),
            op: AluOp::Mov,
            dst: dst.num,
            src: operand(c, dst, "immediate")?,
        });
    }
    mov_or_ld_imm64(c, dst, opcode)
}

/// `rD = VALUE`: a mov of a 32-bit immediate or an ld_imm64 (see the module
/// comment for how the two are told apart).
fn mov_or_ld_imm64(c: &mut Cursor, dst: RegText, opcode: Option<u8>) -> Result<Instruction, AsmErrorKind> {
    c.ws();
    let hex = c.rest().trim_start_matches(['-', '+']).starts_with("0x");
    let value = c.int()?;
    let fits32 = (i32::MIN as i128..=u32::MAX as i128).contains(&value);
    // Without an opcode, a 64-bit mov takes only what it sign-extends
    // faithfully: `r1 = 4294967295` needs an ld_imm64.
    let fits_i32 = (i32::MIN as i128..=i32::MAX as i128).contains(&value);
    let wants_ld = match opcode {
        Some(code) => code == LD_IMM64,
        None => dst.wide && (hex || !fits_i32),
    };
    if !wants_ld {
        if !fits32 {
            return Err(AsmErrorKind::Range {
                what: "immediate",
                value,
            });
        }
        return Ok(Instruction::Alu {
            width: dst.width(),
            op: AluOp::Mov,
            dst: dst.num,
            src: Operand::Imm(value as u32 as i32),
        });
    }
    if !dst.wide {
        return Err(AsmErrorKind::Width);
    }
    if !(i64::MIN as i128..=u64::MAX as i128).contains(&value) {
        return Err(AsmErrorKind::Range {
            what: "64-bit immediate",
            value,
        });
    }
    let bits = value as u64;
    Ok(Instruction::LdImm64 {
        dst: dst.num,
        src: 0,
        imm: bits as u32 as i32,
        next_imm: (bits >> 32) as u32 as i32,
    })
}

/// The [`Lossless`](crate::isa::disasm::Lossless) names of ld_imm64 pseudo
/// sources: `(src, imm, next_imm)`.
fn pseudo_ld_imm64(c: &mut Cursor) -> Result<Option<(u8, i32, i32)>, AsmErrorKind> {
    let (src, imm) = if c.eat("map[fd:") {
        (BPF_PSEUDO_MAP_FD, c.imm32("map fd")?)
    } else if c.eat("map[idx:") {
        (BPF_PSEUDO_MAP_IDX, c.imm32("map index")?)
    } else if c.eat("btf_id[") {
        (BPF_PSEUDO_BTF_ID, c.imm32("BTF id")?)
    } else if c.eat("subprog[") {
        (BPF_PSEUDO_FUNC, c.off32("subprogram offset")?)
    } else {
        return Ok(None);
    };
    c.expect("]")?;
    let value_form = matches!(src, BPF_PSEUDO_MAP_FD | BPF_PSEUDO_MAP_IDX) && c.eat("[0]");
    if value_form {
        c.expect("+")?;
        let off = c.imm32("map value offset")?;
        let src = if src == BPF_PSEUDO_MAP_FD {
            BPF_PSEUDO_MAP_VALUE
        } else {
            BPF_PSEUDO_MAP_IDX_VALUE
        };
        return Ok(Some((src, imm, off)));
    }
    let next = if c.eat("[next:") {
        let n = c.imm32("second immediate")?;
        c.expect("]")?;
        n
    } else {
        0
    };
    Ok(Some((src, imm, next)))
}

/// `le16`, `be32`, `bswap64`...: the bit count after the word `name`.
fn endian_word(c: &mut Cursor, name: &str) -> Option<u8> {
    c.ws();
    let rest = c.rest().strip_prefix(name)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let bits = rest[..digits].parse::<u8>().ok()?;
    let whole = !rest[digits..]
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !whole {
        return None;
    }
    c.pos += name.len() + digits;
    Some(bits)
}

/// `atomic_` or `atomic64_`: whether it was the 64-bit spelling.
fn atomic_word(c: &mut Cursor) -> Option<bool> {
    if c.eat("atomic64_") {
        Some(true)
    } else if c.eat("atomic_") {
        Some(false)
    } else {
        None
    }
}

/// After `rD = atomic[64]_`: `fetch_add((u64 *)(r1 +0), r2)`, `xchg(...)`
/// or `cmpxchg((u64 *)(r1 +0), r0, r2)`.
fn atomic_call(c: &mut Cursor, result: Reg, wide64: bool) -> Result<Instruction, AsmErrorKind> {
    const FETCH: [(&str, AtomicOp); 4] = [
        ("fetch_add", AtomicOp::Add { fetch: true }),
        ("fetch_and", AtomicOp::And { fetch: true }),
        ("fetch_or", AtomicOp::Or { fetch: true }),
        ("fetch_xor", AtomicOp::Xor { fetch: true }),
    ];
    let op = if c.eat_word("cmpxchg") {
        AtomicOp::CmpXchg
    } else if c.eat_word("xchg") {
        AtomicOp::Xchg
    } else if let Some(&(_, op)) = FETCH.iter().find(|(w, _)| c.eat_word(w)) {
        op
    } else {
        return Err(c.expected("fetch_add, fetch_and, fetch_or, fetch_xor, xchg or cmpxchg"));
    };
    c.expect("(")?;
    let (size, signed, dst, off) = c.mem()?;
    unsigned(signed)?;
    if wide64 != (size == Size::DW) {
        return Err(AsmErrorKind::Invalid(
            "atomic64_ goes with (u64 *), atomic_ with (u32 *)".into(),
        ));
    }
    c.expect(",")?;
    if op == AtomicOp::CmpXchg {
        // The comparand is always r0, as is the result.
        if c.reg64()? != 0 || result != 0 {
            return Err(AsmErrorKind::Invalid("cmpxchg compares and returns r0".into()));
        }
        c.expect(",")?;
    }
    let src = c.reg64()?;
    c.expect(")")?;
    if op != AtomicOp::CmpXchg && src != result {
        return Err(AsmErrorKind::SameRegister("an atomic fetch"));
    }
    Ok(Instruction::Atomic {
        size,
        op,
        dst,
        src,
        off,
    })
}

/// After `rD = *`: `(u32 *)(r1 +4)` or a legacy packet load `(u8 *)skb[...]`.
fn load(c: &mut Cursor, dst: Reg) -> Result<Instruction, AsmErrorKind> {
    c.ws();
    let save = c.pos;
    let (size, signed) = c.size_type()?;
    if c.eat("skb[") {
        unsigned(signed)?;
        if dst != 0 {
            return Err(AsmErrorKind::Invalid("packet loads write r0".into()));
        }
        let ins = if matches!(c.peek(), Some(b'r')) {
            let src = c.reg64()?;
            c.expect("+")?;
            Instruction::LdInd {
                size,
                src,
                imm: c.imm32("packet offset")?,
            }
        } else {
            Instruction::LdAbs {
                size,
                imm: c.imm32("packet offset")?,
            }
        };
        c.expect("]")?;
        return Ok(ins);
    }
    c.pos = save;
    let (size, signed, src, off) = c.mem()?;
    Ok(Instruction::Load {
        size,
        signed,
        dst,
        src,
        off,
    })
}

/// After `*`: `(u32 *)(r1 -4) = r2` or `= IMM`.
fn store(c: &mut Cursor) -> Result<Instruction, AsmErrorKind> {
    let (size, signed, dst, off) = c.mem()?;
    unsigned(signed)?;
    c.expect("=")?;
    if matches!(c.peek(), Some(b'r' | b'w')) {
        return Ok(Instruction::StoreReg {
            size,
            dst,
            src: c.reg64()?,
            off,
        });
    }
    Ok(Instruction::StoreImm {
        size,
        dst,
        off,
        imm: c.imm32("immediate")?,
    })
}

/// After `lock`: `*(u32 *)(r1 +0) += r2` (also `&=`, `|=`, `^=`).
fn lock(c: &mut Cursor) -> Result<Instruction, AsmErrorKind> {
    c.expect("*")?;
    let (size, signed, dst, off) = c.mem()?;
    unsigned(signed)?;
    let op = if c.eat("+=") {
        AtomicOp::Add { fetch: false }
    } else if c.eat("&=") {
        AtomicOp::And { fetch: false }
    } else if c.eat("|=") {
        AtomicOp::Or { fetch: false }
    } else if c.eat("^=") {
        AtomicOp::Xor { fetch: false }
    } else {
        return Err(c.expected("+=, &=, |= or ^="));
    };
    Ok(Instruction::Atomic {
        size,
        op,
        dst,
        src: c.reg64()?,
        off,
    })
}

/// After `if`: `r1 == 0x0 goto pc+1` or `w1 s< w2 goto pc-3`.
fn jcond(c: &mut Cursor) -> Result<Instruction, AsmErrorKind> {
    let dst = c.reg()?;
    let Some(op) = operator(c, JmpOp::ALL, jmp_op_text) else {
        return Err(c.expected("a comparison (==, !=, >, s<, &, ...)"));
    };
    let src = operand(c, dst, "comparand")?;
    if !c.eat_word("goto") {
        return Err(c.expected("goto"));
    }
    c.pc_rel()?;
    Ok(Instruction::Jcond {
        width: dst.width(),
        op,
        dst: dst.num,
        src,
        off: c.off16("jump offset")?,
    })
}

/// After `call`: `pc+N`, `NAME#ID` or a bare helper name.
fn call(c: &mut Cursor) -> Result<CallKind, AsmErrorKind> {
    c.ws();
    let rest = c.rest();
    if rest.starts_with("pc+") || rest.starts_with("pc-") {
        c.pc_rel()?;
        return Ok(CallKind::Local(c.off32("call offset")?));
    }
    let name_len = rest
        .find(|ch: char| ch == '#' || ch.is_whitespace())
        .unwrap_or(rest.len());
    let name = &rest[..name_len];
    if name.is_empty() {
        return Err(c.expected("a call target"));
    }
    c.pos += name_len;
    if !c.rest().starts_with('#') {
        // A helper by name alone.
        return helper_id(name)
            .map(CallKind::Helper)
            .ok_or_else(|| AsmErrorKind::CallTarget(name.to_string()));
    }
    c.pos += 1;
    let id = c.off32("call id")?;
    if name == "unknown" {
        return Ok(CallKind::Helper(id));
    }
    if let Some(off) = kfunc_module(name)? {
        return Ok(CallKind::Kfunc { btf_id: id, off });
    }
    match helper_id(name) {
        Some(helper) if helper == id => Ok(CallKind::Helper(id)),
        Some(helper) => Err(AsmErrorKind::HelperId {
            name: name.to_string(),
            id,
            helper,
        }),
        // Any other name is a kfunc, as the verifier names them from BTF.
        None => Ok(CallKind::Kfunc { btf_id: id, off: 0 }),
    }
}

/// `kernel-function` (off 0) or `kernel-function[off:N]`.
fn kfunc_module(name: &str) -> Result<Option<i16>, AsmErrorKind> {
    let Some(rest) = name.strip_prefix("kernel-function") else {
        return Ok(None);
    };
    if rest.is_empty() {
        return Ok(Some(0));
    }
    let mut c = Cursor::new(rest);
    c.expect("[off:")?;
    let off = c.off16("kfunc module offset")?;
    c.expect("]")?;
    c.end()?;
    Ok(Some(off))
}

#[cfg(test)]
mod tests;
