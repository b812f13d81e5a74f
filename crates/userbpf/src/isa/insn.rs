//! The raw instruction: `struct bpf_insn` of the uapi, 8 bytes little endian.
//!
//! ```text
//! code:8 | dst_reg:4 src_reg:4 | off:16 | imm:32
//! ```

use super::opcode::{class, BPF_JMP, BPF_JMP32, LD_IMM64};

/// One 8-byte instruction slot. An ld_imm64 takes two slots; the second has
/// code 0 and carries the upper 32 bits of the immediate in `imm`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Insn {
    pub code: u8,
    pub dst: u8,
    pub src: u8,
    pub off: i16,
    pub imm: i32,
}

/// Bytes per instruction slot.
pub const INSN_SIZE: usize = 8;

impl Insn {
    pub const fn new(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Self {
        Insn {
            code,
            dst,
            src,
            off,
            imm,
        }
    }

    /// Decode one slot from its 8 little-endian bytes. Registers keep all 4
    /// bits, so a bad register is visible to the validator.
    pub const fn from_bytes(b: [u8; 8]) -> Self {
        Insn {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }

    pub const fn to_bytes(self) -> [u8; 8] {
        let off = self.off.to_le_bytes();
        let imm = self.imm.to_le_bytes();
        [
            self.code,
            (self.dst & 0x0f) | (self.src << 4),
            off[0],
            off[1],
            imm[0],
            imm[1],
            imm[2],
            imm[3],
        ]
    }

    /// The opcode class (`BPF_LD` .. `BPF_ALU64`).
    pub const fn class(self) -> u8 {
        class(self.code)
    }

    /// The first slot of an ld_imm64 (`BPF_LD | BPF_IMM | BPF_DW`).
    pub const fn is_ld_imm64(self) -> bool {
        self.code == LD_IMM64
    }

    /// Class JMP or JMP32: jumps, calls and exits.
    pub const fn is_jmp(self) -> bool {
        matches!(self.class(), BPF_JMP | BPF_JMP32)
    }
}

/// Split a byte buffer into instruction slots. The length must be a multiple
/// of 8 (the kernel takes a count of instructions, so a partial one can't be
/// expressed).
pub fn insns_from_bytes(bytes: &[u8]) -> Result<Vec<Insn>, TrailingBytes> {
    if !bytes.len().is_multiple_of(INSN_SIZE) {
        return Err(TrailingBytes { len: bytes.len() });
    }
    Ok(bytes
        .chunks_exact(INSN_SIZE)
        .map(|c| Insn::from_bytes(c.try_into().expect("chunk of 8")))
        .collect())
}

/// Serialize instruction slots to bytes.
pub fn insns_to_bytes(insns: &[Insn]) -> Vec<u8> {
    insns.iter().flat_map(|i| i.to_bytes()).collect()
}

/// A program image whose length is not a whole number of instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("program of {len} bytes is not a whole number of 8-byte instructions")]
pub struct TrailingBytes {
    pub len: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_uapi() {
        // (b7) r0 = 7 with dst=0: bytes from the kernel's xlated dump.
        let i = Insn::new(0xb7, 0, 0, 0, 7);
        assert_eq!(i.to_bytes(), [0xb7, 0, 0, 0, 7, 0, 0, 0]);
        // *(u64 *)(r10 -8) = r1: dst in the low nibble, src in the high one.
        let i = Insn::new(0x7b, 10, 1, -8, 0);
        assert_eq!(i.to_bytes(), [0x7b, 0x1a, 0xf8, 0xff, 0, 0, 0, 0]);
        assert_eq!(Insn::from_bytes(i.to_bytes()), i);
    }

    #[test]
    fn partial_instruction_is_refused() {
        assert_eq!(insns_from_bytes(&[0; 12]), Err(TrailingBytes { len: 12 }));
        assert_eq!(insns_from_bytes(&[0; 16]).unwrap().len(), 2);
    }
}
