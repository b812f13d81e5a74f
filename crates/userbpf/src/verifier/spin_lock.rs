//! bpf_spin_lock in the verifier (process_spin_lock): the lock argument is
//! the `struct bpf_spin_lock` of a map value whose map has BTF; one lock is
//! held at a time, released by the same value's unlock; while it is held
//! no helper but the unlock may be called (do_check) and neither exit from
//! the main program nor LD_ABS may happen (check_resource_leak).

use super::do_check::{Env, Res};
use crate::uapi::Errno;
use crate::verifier::reg::RegState;
use crate::verifier::state::{ActiveLock, VerifierState};

// do_check.rs names bpf_spin_unlock through here.
pub(super) use crate::uapi::helper_ids::func::BPF_FUNC_SPIN_UNLOCK;

impl Env<'_> {
    /// process_spin_lock() for bpf_spin_lock (`lock`) or bpf_spin_unlock.
    pub(super) fn process_spin_lock(
        &mut self,
        st: &mut VerifierState,
        regno: u8,
        reg: &RegState,
        lock: bool,
    ) -> Res<()> {
        if !reg.var_off.is_const() {
            return Err(self.reject(
                Errno::EINVAL,
                format!("R{regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset\n"),
            ));
        }
        let map = reg.map;
        let name = map.name_str();
        if !map.has_btf {
            return Err(self.reject(
                Errno::EINVAL,
                format!("map '{name}' has to have BTF in order to use bpf_spin_lock\n"),
            ));
        }
        let Some(lock_off) = map.record.spin_lock_off() else {
            return Err(self.reject(Errno::EINVAL, format!("map '{name}' has no valid bpf_spin_lock\n")));
        };
        let off = reg.var_off.value as i64 + reg.off as i64;
        if off != lock_off as i64 {
            return Err(self.reject(
                Errno::EINVAL,
                format!("off {off} doesn't point to 'struct bpf_spin_lock' that is at {lock_off}\n"),
            ));
        }
        let held = ActiveLock {
            id: reg.id,
            map: map.index,
        };
        if lock {
            if st.lock.is_some() {
                return Err(self.reject(Errno::EINVAL, "Locking two bpf_spin_locks are not allowed\n".into()));
            }
            st.lock = Some(held);
        } else {
            match st.lock {
                None => {
                    return Err(self.reject(Errno::EINVAL, "bpf_spin_unlock without taking a lock\n".into()));
                }
                Some(l) if l != held => {
                    return Err(self.reject(Errno::EINVAL, "bpf_spin_unlock of different lock\n".into()));
                }
                Some(_) => st.lock = None,
            }
        }
        Ok(())
    }
}
