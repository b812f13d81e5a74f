//! Constant strings for helpers (check_reg_const_str) and bpf_snprintf's
//! format check at load time (check_bpf_snprintf_call): the string lives
//! in a frozen, program-read-only map value whose bytes the verifier reads.

use crate::exec::GuestMemory;
use crate::helpers::run::format_printk;
use crate::uapi::types::map_type as mt;
use crate::uapi::Errno;
use crate::verifier::reg::RegState;
use crate::verifier::state::VerifierState;

use super::do_check::{Env, Res};

/// MAX_BPRINTF_VARARGS.
const MAX_BPRINTF_VARARGS: u64 = 12;

impl Env<'_> {
    /// check_reg_const_str(): the string's bytes up to its NUL.
    pub(super) fn check_reg_const_str(&mut self, regno: u8, reg: &RegState) -> Res<Vec<u8>> {
        let map = reg.map;
        if !map.rdonly {
            return Err(self.reject(Errno::EACCES, format!("R{regno} does not point to a readonly map'\n")));
        }
        if !reg.var_off.is_const() {
            return Err(self.reject(Errno::EACCES, format!("R{regno} is not a constant address'\n")));
        }
        // map_direct_value_addr: arrays only.
        if map.map_type != mt::ARRAY {
            return Err(self.reject(
                Errno::EACCES,
                "no direct value access support for this map type\n".into(),
            ));
        }
        let size = map.value_size as i64 - reg.off as i64;
        self.check_map_access(regno, reg, reg.off as i64, size, false, false)?;
        let off = (reg.off as i64 + reg.var_off.value as i64) as usize;
        let Some(value) = self.map_rodata.get(map.index as usize).and_then(Option::as_ref) else {
            return Err(self.reject(Errno::EINVAL, "direct value access on string failed\n".into()));
        };
        let bytes = value.get(off..).unwrap_or_default();
        match bytes.iter().position(|&b| b == 0) {
            Some(n) => Ok(bytes[..n].to_vec()),
            None => Err(self.reject(Errno::EINVAL, "string is not zero-terminated\n".into())),
        }
    }

    /// check_bpf_snprintf_call(): data_len is whole u64s (else EINVAL
    /// without a message) and the format takes that many arguments.
    pub(super) fn check_bpf_snprintf_call(&mut self, st: &VerifierState, fmt: &[u8]) -> Res<()> {
        let data_len = st.cur().regs[5].var_off.value;
        if !data_len.is_multiple_of(8) {
            return Err(self.reject(Errno::EINVAL, String::new()));
        }
        let num_args = data_len / 8;
        let mut f = fmt.to_vec();
        f.push(0);
        let args = vec![0u64; num_args.min(MAX_BPRINTF_VARARGS + 1) as usize];
        if num_args > MAX_BPRINTF_VARARGS || format_printk(&GuestMemory::new(), &f, &args).is_err() {
            return Err(self.reject(Errno::EINVAL, "Invalid format string\n".into()));
        }
        Ok(())
    }
}
