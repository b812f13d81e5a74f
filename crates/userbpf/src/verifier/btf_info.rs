//! check_btf_info_early() / check_btf_func_early(): the program's BTF
//! func_info, read before the checks as the kernel reads it.

use super::{FuncRecord, LoadInput};
use crate::btf::{BtfKind, Linkage};
use crate::uapi::attr::prog_load as F;
use crate::uapi::Errno;
use crate::verifier::log::VerifierLog;

/// MIN_BPF_FUNCINFO_SIZE and MAX_FUNCINFO_REC_SIZE.
const MIN_FUNCINFO_SIZE: u32 = 8;
const MAX_FUNCINFO_REC_SIZE: u32 = 252;

/// func_info and line_info need the program's BTF (prog_btf_fd, EBADF if
/// closed, EINVAL if not BTF); each func_info record names a FUNC, the
/// first at instruction 0, offsets increasing. Returns the records, with
/// each function's linkage, for the verifier.
pub fn check_btf_info(input: &LoadInput<'_>, log: &mut VerifierLog) -> Result<Option<Vec<FuncRecord>>, Errno> {
    let attr = input.attr;
    let (nfuncs, nlines) = (attr.u32(F::FUNC_INFO_CNT), attr.u32(F::LINE_INFO_CNT));
    if nfuncs == 0 && nlines == 0 {
        return Ok(None);
    }
    let btf = input.fds.btf_fd(attr.u32(F::PROG_BTF_FD))?;
    if nfuncs == 0 {
        return Ok(None);
    }
    let rec_size = attr.u32(F::FUNC_INFO_REC_SIZE);
    if !(MIN_FUNCINFO_SIZE..=MAX_FUNCINFO_REC_SIZE).contains(&rec_size) || !rec_size.is_multiple_of(4) {
        log.write(&format!("invalid func info rec size {rec_size}\n"));
        return Err(Errno::EINVAL);
    }
    let total = (nfuncs as usize)
        .checked_mul(rec_size as usize)
        .filter(|&n| n <= 1 << 24)
        .ok_or(Errno::E2BIG)?;
    let mut raw = vec![0u8; total];
    input.mem.read(attr.u64(F::FUNC_INFO), &mut raw)?;
    let mut out = Vec::with_capacity(nfuncs as usize);
    for (i, rec) in raw.chunks(rec_size as usize).enumerate() {
        // Bytes past the known record must be zero (bpf_check_uarg_tail_zero).
        if rec[8..].iter().any(|&b| b != 0) {
            return Err(Errno::E2BIG);
        }
        let insn_off = u32::from_le_bytes(rec[0..4].try_into().expect("4 bytes"));
        let type_id = u32::from_le_bytes(rec[4..8].try_into().expect("4 bytes"));
        if i == 0 && insn_off != 0 {
            log.write(&format!("nonzero insn_off {insn_off} for the first func info record"));
            return Err(Errno::EINVAL);
        }
        if let Some(prev) = out.last().map(|r: &FuncRecord| r.insn_off) {
            if insn_off <= prev {
                log.write(&format!(
                    "same or smaller insn offset ({insn_off}) than previous func info record ({prev})"
                ));
                return Err(Errno::EINVAL);
            }
        }
        let linkage = match btf.get(type_id).map(|t| &t.kind) {
            Ok(BtfKind::Func { linkage, .. }) => *linkage,
            _ => {
                log.write(&format!("invalid type id {type_id} in func info"));
                return Err(Errno::EINVAL);
            }
        };
        out.push(FuncRecord {
            insn_off,
            is_static: linkage == Linkage::Static,
        });
    }
    Ok(Some(out))
}
