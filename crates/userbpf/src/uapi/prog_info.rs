//! `struct bpf_prog_info` (232 bytes on kernel 6.18), as
//! BPF_OBJ_GET_INFO_BY_FD fills it.

pub const SIZE: usize = 232;

pub const TYPE: usize = 0;
pub const ID: usize = 4;
pub const TAG: usize = 8;
pub const JITED_PROG_LEN: usize = 16;
pub const XLATED_PROG_LEN: usize = 20;
pub const JITED_PROG_INSNS: usize = 24;
pub const XLATED_PROG_INSNS: usize = 32;
pub const LOAD_TIME: usize = 40;
pub const CREATED_BY_UID: usize = 48;
pub const NR_MAP_IDS: usize = 52;
pub const MAP_IDS: usize = 56;
pub const NAME: usize = 64;
pub const IFINDEX: usize = 80;
/// Bit 0: gpl_compatible.
pub const FLAGS: usize = 84;
pub const RUN_TIME_NS: usize = 192;
pub const RUN_CNT: usize = 200;
pub const VERIFIED_INSNS: usize = 216;
pub const ATTACH_BTF_OBJ_ID: usize = 220;
pub const ATTACH_BTF_ID: usize = 224;

#[cfg(test)]
mod tests {
    #[test]
    fn offsets_match_kbpf() {
        // kbpf.py reads id at 4, jited_len at 16, xlated_len at 20, the
        // xlated pointer at 32, name at 64, gpl at 84, verified_insns at 216
        // from a 232-byte info.
        use super::*;
        assert_eq!(
            (ID, JITED_PROG_LEN, XLATED_PROG_LEN, XLATED_PROG_INSNS),
            (4, 16, 20, 32)
        );
        assert_eq!((NAME, FLAGS, VERIFIED_INSNS, SIZE), (64, 84, 216, 232));
    }
}
