//! The verifier state in the log (print_verifier_state and
//! print_insn_state): which registers and stack slots changed since the
//! last print (the scratch marks), and where `; state` annotations go.

use super::log::VerifierLog;
use super::reg::RegType;
use super::state::{FuncState, SlotType};

/// The log and what the state printer remembers between instructions.
pub(super) struct StateLog<'a> {
    pub(super) log: &'a mut VerifierLog,
    pub(super) scratched_regs: u16,
    pub(super) scratched_stack: u64,
    pub(super) prev_log_pos: usize,
    pub(super) prev_insn_print_pos: usize,
}

/// vlog_alignment(): where `; state` annotations start.
fn vlog_alignment(pos: usize) -> usize {
    (pos + 4).max(40).div_ceil(8) * 8 - pos - 1
}

impl<'a> StateLog<'a> {
    pub(super) fn new(log: &'a mut VerifierLog) -> Self {
        StateLog {
            log,
            scratched_regs: 0,
            scratched_stack: 0,
            prev_log_pos: 0,
            prev_insn_print_pos: 0,
        }
    }

    pub(super) fn verbose(&mut self, s: &str) {
        self.log.write(s);
    }

    pub(super) fn scratch_reg(&mut self, r: u8) {
        self.scratched_regs |= 1 << r;
    }

    pub(super) fn scratch_slot(&mut self, spi: usize) {
        if spi < 64 {
            self.scratched_stack |= 1 << spi;
        }
    }

    /// print_verifier_state().
    pub(super) fn state_text(&mut self, f: &FuncState, refs: &[(u32, usize)], all: bool) -> String {
        let mut s = String::new();
        if f.frameno != 0 {
            s.push_str(&format!(" frame{}:", f.frameno));
        }
        for (i, r) in f.regs.iter().enumerate() {
            if r.ty == RegType::NotInit || (!all && self.scratched_regs & (1 << i) == 0) {
                continue;
            }
            s.push_str(&format!(" R{i}={}", r.log_text_in(f.frameno)));
        }
        for (i, slot) in f.stack.iter().enumerate() {
            if slot.types.iter().all(|&t| t == SlotType::Invalid)
                || (!all && (i >= 64 || self.scratched_stack & (1 << i) == 0))
            {
                continue;
            }
            let off = -((i as i64) + 1) * 8;
            let chars: String = slot.types.iter().map(|t| t.log_char()).collect();
            if slot.types[7] == SlotType::Spill {
                // The bytes above a sub-register spill, then the register.
                let upto = slot.types.iter().position(|&t| t == SlotType::Spill).unwrap_or(8);
                s.push_str(&format!(
                    " fp{off}={}{}",
                    &chars[..upto],
                    slot.spilled.log_text_in(f.frameno)
                ));
            } else {
                s.push_str(&format!(" fp{off}={chars}"));
            }
        }
        if let Some((first, _)) = refs.first() {
            s.push_str(&format!(" refs={first}"));
            for (id, _) in &refs[1..] {
                s.push_str(&format!(",{id}"));
            }
        }
        // A callback's frame (in_callback_fn).
        if f.callback.is_some() {
            s.push_str(" cb");
        }
        s.push('\n');
        if !all {
            self.scratched_regs = 0;
            self.scratched_stack = 0;
        }
        s
    }

    /// print_insn_state(): the state after the previous instruction, on its
    /// line when nothing was printed since.
    pub(super) fn print_insn_state(&mut self, f: &FuncState, refs: &[(u32, usize)], pc: usize) {
        let end = self.log.text().len();
        if self.prev_log_pos != 0 && self.prev_log_pos == end {
            self.log.truncate(end - 1);
            let pad = vlog_alignment(self.prev_insn_print_pos);
            self.verbose(&format!("{};", " ".repeat(pad)));
        } else {
            self.verbose(&format!("{pc}:"));
        }
        let text = self.state_text(f, refs, false);
        self.verbose(&text);
    }
}
