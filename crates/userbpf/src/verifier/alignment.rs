//! check_ptr_alignment(): whether a load or store is aligned, where the
//! kernel asks. The stack is always strict; packets, map values, the
//! context and other memory only under BPF_F_STRICT_ALIGNMENT (x86-64 has
//! efficient unaligned access, so only the flag makes it strict) or for
//! atomics (strict_alignment_once).

use super::do_check::{Env, Res};
use super::reg::{tnum_text, RegState, RegType};
use super::tnum::Tnum;
use crate::uapi::Errno;

/// NET_IP_ALIGN as the strict packet check assumes it, whatever the
/// architecture (check_pkt_ptr_alignment).
const IP_ALIGN: i64 = 2;

impl Env<'_> {
    /// check_ptr_alignment(): `off` is the instruction's offset (the
    /// register's fixed offset is added here, as in the kernel).
    pub(super) fn check_ptr_alignment(&mut self, reg: &RegState, off: i64, size: i64, strict_once: bool) -> Res<()> {
        let strict = self.strict_alignment || strict_once;
        let desc = match reg.ty {
            RegType::Packet | RegType::PacketMeta => {
                if !strict || size == 1 {
                    return Ok(());
                }
                let at = reg
                    .var_off
                    .add(Tnum::constant((IP_ALIGN + reg.off as i64 + off) as u64));
                if at.is_aligned(size as u64) {
                    return Ok(());
                }
                return Err(self.reject(
                    Errno::EACCES,
                    format!(
                        "misaligned packet access off {IP_ALIGN}+{}+{}+{off} size {size}\n",
                        tnum_text(reg.var_off),
                        reg.off
                    ),
                ));
            }
            RegType::Stack => return self.check_stack_alignment(reg, off, size),
            RegType::MapValue => "value ",
            RegType::Ctx => "context ",
            _ => "",
        };
        // check_generic_ptr_alignment().
        if !strict || size == 1 {
            return Ok(());
        }
        let at = reg.var_off.add(Tnum::constant((reg.off as i64 + off) as u64));
        if at.is_aligned(size as u64) {
            return Ok(());
        }
        Err(self.reject(
            Errno::EACCES,
            format!(
                "misaligned {desc}access off {}+{}+{off} size {size}\n",
                tnum_text(reg.var_off),
                reg.off
            ),
        ))
    }
}
