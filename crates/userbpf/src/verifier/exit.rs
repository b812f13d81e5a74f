//! BPF_EXIT: the resource and lock checks, the return to a caller's frame
//! (see [`super::calls`]) and, from the main program, the return value
//! (check_return_code: no pointer leaks, the program type's range).

use super::ctx;
use super::do_check::{Env, Next, Res};
use super::reg::{RegState, RegType};
use super::state::VerifierState;
use crate::uapi::Errno;

impl Env<'_> {
    /// BPF_EXIT: where the path goes on (a caller) or that it ends.
    pub(super) fn check_exit(&mut self, st: &mut VerifierState) -> Res<Next> {
        // check_resource_leak() comes before the return value; the
        // lock only in the main program (subprograms may return
        // holding it).
        let main = st.frames.len() == 1;
        self.check_resource_leak(st, "BPF_EXIT instruction in main prog", main)?;
        if st.frames.len() > 1 {
            return self.prepare_func_exit(st).map(Next::Goto);
        }
        let r0 = self.read_reg(st, 0)?;
        if r0.ty != RegType::Scalar && !self.prog.privileged {
            return Err(self.reject(Errno::EACCES, "R0 leaks addr as return value\n".into()));
        }
        if let Some((lo, hi)) = ctx::return_range(self.prog.prog_type, self.prog.expected_attach_type) {
            if r0.ty != RegType::Scalar {
                return Err(self.reject(
                    Errno::EINVAL,
                    format!(
                        "At program exit the register R0 is not a known value ({})\n",
                        r0.ty.name()
                    ),
                ));
            }
            // The return value's range is relied on.
            self.mark_chain_precision(st, 0)?;
            if !(lo <= r0.smin && r0.smax <= hi) {
                return Err(self.reject(Errno::EINVAL, invalid_scalar("At program exit", &r0, (lo, hi))));
            }
        }
        Ok(Next::Exit)
    }
}

/// verbose_invalid_scalar(): R0's value outside the range `ctx` wants
/// ("At program exit", "At callback return").
pub(super) fn invalid_scalar(ctx: &str, r0: &RegState, (lo, hi): (i64, i64)) -> String {
    let mut m = format!("{ctx} the register R0 has");
    if r0.smin > i64::MIN {
        m.push_str(&format!(" smin={}", r0.smin));
    }
    if r0.smax < i64::MAX {
        m.push_str(&format!(" smax={}", r0.smax));
    }
    if r0.smin == i64::MIN && r0.smax == i64::MAX {
        m.push_str(" unknown scalar value");
    }
    m.push_str(&format!(" should have been in [{lo}, {hi}]\n"));
    m
}
