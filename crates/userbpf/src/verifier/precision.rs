//! Precision tracking (mark_chain_precision): when the verifier relies on
//! a scalar's exact value (a decided branch, pointer arithmetic, a size
//! argument, ...), the instructions that produced it are walked backwards
//! through the current state and its parent checkpoints (backtrack_insn,
//! over each state's jump history), and the scalars they came from are
//! marked precise in those checkpoints, so that pruning against them
//! compares those scalars by range. Logged at level 2 as the kernel does
//! (`mark_precise: frame%d: ...`).

use super::do_check::{Env, Res};
use super::linked::ADD_CONST;
use super::reg::{RegState, RegType};
use super::state::{SlotType, VerifierState};
use super::walk::{HistEntry, Linked};
use crate::isa::disasm::disasm;
use crate::isa::opcode::*;

/// LINKED_REGS_MAX: registers one history entry links.
const LINKED_REGS_MAX: usize = 6;

/// struct backtrack_state: registers and stack slots still to explain, per
/// frame.
#[derive(Default)]
struct Bt {
    frame: usize,
    regs: [u32; MAX_CALL_FRAMES],
    stack: [u64; MAX_CALL_FRAMES],
}

/// Why backtracking gave up.
enum BtErr {
    /// -ENOTSUPP: fall back to marking every scalar precise.
    NotSupp,
    /// A state the backtracker cannot explain (a verifier bug in the kernel).
    Bug,
}

impl Bt {
    fn empty(&self) -> bool {
        (0..=self.frame).all(|f| self.regs[f] == 0 && self.stack[f] == 0)
    }
    fn reg(&self, r: u8) -> bool {
        self.regs[self.frame] & (1 << r) != 0
    }
    fn set_reg(&mut self, r: u8) {
        self.regs[self.frame] |= 1 << r;
    }
    fn clear_reg(&mut self, r: u8) {
        self.regs[self.frame] &= !(1 << r);
    }
    fn is_linked_set(&self, l: &Linked) -> bool {
        match *l {
            Linked::Reg { frame, reg } => self.regs[frame] & (1 << reg) != 0,
            Linked::Slot { frame, spi } => self.stack[frame] & (1 << spi) != 0,
        }
    }
    /// bt_sync_linked_regs().
    fn sync_linked(&mut self, hist: Option<&HistEntry>) {
        let Some(h) = hist else { return };
        if !h.linked.iter().any(|l| self.is_linked_set(l)) {
            return;
        }
        for l in &h.linked {
            match *l {
                Linked::Reg { frame, reg } => self.regs[frame] |= 1 << reg,
                Linked::Slot { frame, spi } => self.stack[frame] |= 1 << spi,
            }
        }
    }
}

/// fmt_reg_mask().
fn reg_mask_text(m: u32) -> String {
    (0..32)
        .filter(|r| m & (1 << r) != 0)
        .map(|r| format!("r{r}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// fmt_stack_mask().
fn stack_mask_text(m: u64) -> String {
    (0..64)
        .filter(|i| m & (1 << i) != 0)
        .map(|i| format!("{}", -(i as i64 + 1) * 8))
        .collect::<Vec<_>>()
        .join(",")
}

/// get_prev_insn_idx(): the instruction before `i` on this path.
fn prev_insn(first: usize, hist: &[HistEntry], end: &mut usize, i: usize) -> Option<i64> {
    if i == first && (*end == 0 || (*end == 1 && hist[0].idx == i)) {
        return None;
    }
    if *end > 0 && hist[*end - 1].idx == i {
        *end -= 1;
        Some(hist[*end].prev_idx)
    } else {
        Some(i as i64 - 1)
    }
}

impl Env<'_> {
    fn level2(&self) -> bool {
        self.vlog.log.level & 2 != 0
    }

    /// mark_chain_precision(): `regno` of the current frame.
    pub(super) fn mark_chain_precision(&mut self, st: &VerifierState, regno: u8) -> Res<()> {
        if !self.prog.privileged || st.cur().regs[regno as usize].ty != RegType::Scalar {
            return Ok(());
        }
        let mut bt = Bt {
            frame: st.frames.len() - 1,
            ..Bt::default()
        };
        bt.set_reg(regno);
        self.backtrack(st.frames.len() - 1, bt)
    }

    /// collect_linked_regs() for a conditional jump's operands: when more
    /// than one scalar shares their ids, the jump's history entry lists
    /// them (what the branch learns reaches them all).
    pub(super) fn push_linked_regs(&mut self, st: &VerifierState, src: &RegState, dst: &RegState, live: &[u16]) {
        let mut linked: Vec<Linked> = Vec::new();
        for r in [src, dst] {
            let id = r.id & !ADD_CONST;
            if r.ty != RegType::Scalar || id == 0 {
                continue;
            }
            let same = |x: &RegState| x.ty == RegType::Scalar && x.id & !ADD_CONST == id;
            for (frame, f) in st.frames.iter().enumerate() {
                for (reg, x) in f.regs.iter().enumerate().take(10) {
                    let l = Linked::Reg { frame, reg: reg as u8 };
                    let is_live = live[frame] & (1 << reg) != 0;
                    if is_live && same(x) && !linked.contains(&l) && linked.len() < LINKED_REGS_MAX {
                        linked.push(l);
                    }
                }
                for (spi, s) in f.stack.iter().enumerate() {
                    let l = Linked::Slot { frame, spi };
                    if s.types[7] == SlotType::Spill
                        && same(&s.spilled)
                        && !linked.contains(&l)
                        && linked.len() < LINKED_REGS_MAX
                    {
                        linked.push(l);
                    }
                }
            }
        }
        if linked.len() > 1 {
            self.walk.push_history(None, linked);
        }
    }

    /// Per frame, the registers live at the instruction it is at (the
    /// current one for the last frame, the call for the others).
    pub(super) fn frame_live_regs(&self, st: &VerifierState, pc: usize) -> Vec<u16> {
        let n = st.frames.len();
        (0..n)
            .map(|i| {
                let ip = if i + 1 == n { pc } else { st.frames[i + 1].callsite };
                self.prog.live_regs[ip]
            })
            .collect()
    }

    /// propagate_precision(): the current state matched checkpoint `old`;
    /// what is precise there must be precise along the current path.
    pub(super) fn propagate_precision(&mut self, old: usize) -> Res<()> {
        let cur_frames = self.walk.checkpoints[old].state.frames.len();
        let mut bt = Bt {
            frame: cur_frames - 1,
            ..Bt::default()
        };
        let mut lines = String::new();
        for fr in (0..cur_frames).rev() {
            let f = &self.walk.checkpoints[old].state.frames[fr];
            let mut items = Vec::new();
            for (i, r) in f.regs.iter().enumerate().take(10) {
                if r.ty == RegType::Scalar && r.precise {
                    items.push(format!("r{i}"));
                    bt.regs[fr] |= 1 << i;
                }
            }
            for (i, s) in f.stack.iter().enumerate() {
                if s.types[7] == SlotType::Spill && s.spilled.ty == RegType::Scalar && s.spilled.precise {
                    items.push(format!("fp{}", -(i as i64 + 1) * 8));
                    bt.stack[fr] |= 1 << i;
                }
            }
            if !items.is_empty() {
                lines.push_str(&format!("frame {fr}: propagating {}\n", items.join(",")));
            }
        }
        if self.level2() {
            self.verbose(&lines);
        }
        if bt.empty() {
            return Ok(());
        }
        // The current state's frames match `old`'s.
        self.backtrack(cur_frames - 1, bt)
    }

    /// __mark_chain_precision() from the current state (in frame
    /// `curframe`, at the instruction being checked) up its parent
    /// checkpoints.
    fn backtrack(&mut self, curframe: usize, mut bt: Bt) -> Res<()> {
        let l2 = self.level2();
        let mut first_idx = self.walk.cur.first_insn_idx;
        let mut last_idx = self.walk.cur_pc as i64;
        let mut subseq_idx: i64 = -1;
        let mut skip_first = true;
        // None: the current state; Some(i): checkpoint i.
        let mut at: Option<usize> = None;
        loop {
            if l2 {
                self.verbose(&format!(
                    "mark_precise: frame{}: last_idx {last_idx} first_idx {first_idx} subseq_idx {subseq_idx} \n",
                    bt.frame
                ));
            }
            if last_idx < 0 {
                // The entry of the main program: nothing can be left.
                return self.force_all_precise(curframe);
            }
            let hist = match at {
                None => std::mem::take(&mut self.walk.cur.history),
                Some(i) => self.walk.checkpoints[i].lineage.history.clone(),
            };
            let mut end = hist.len();
            let mut i = last_idx as usize;
            let outcome = loop {
                if skip_first {
                    skip_first = false;
                } else {
                    // get_jmp_hist_entry(): the entry for i if it is the last one.
                    let h = (end > 0 && hist[end - 1].idx == i).then(|| &hist[end - 1]);
                    match self.backtrack_insn(i, subseq_idx, h, &mut bt) {
                        Ok(()) => {}
                        Err(e) => break Some(e),
                    }
                }
                if bt.empty() {
                    break None;
                }
                subseq_idx = i as i64;
                match prev_insn(first_idx, &hist, &mut end, i) {
                    None => break None,
                    Some(p) if p < 0 || p as usize >= self.prog.insns.len() => break Some(BtErr::Bug),
                    Some(p) => i = p as usize,
                }
            };
            if at.is_none() {
                self.walk.cur.history = hist;
            }
            match outcome {
                Some(BtErr::NotSupp) | Some(BtErr::Bug) => return self.force_all_precise(curframe),
                None if bt.empty() => return Ok(()),
                None => {}
            }
            let parent = match at {
                None => self.walk.cur.parent,
                Some(i) => self.walk.checkpoints[i].lineage.parent,
            };
            let Some(p) = parent else { break };
            at = Some(p);
            for fr in (0..=bt.frame).rev() {
                let cp = &mut self.walk.checkpoints[p];
                let Some(f) = cp.state.frames.get_mut(fr) else {
                    return self.force_all_precise(curframe);
                };
                for r in 0..32u8 {
                    if bt.regs[fr] & (1 << r) == 0 {
                        continue;
                    }
                    let reg = &mut f.regs[r as usize];
                    if reg.ty != RegType::Scalar || reg.precise {
                        bt.regs[fr] &= !(1 << r);
                    } else {
                        reg.precise = true;
                    }
                }
                for spi in 0..64usize {
                    if bt.stack[fr] & (1 << spi) == 0 {
                        continue;
                    }
                    let Some(s) = f.stack.get_mut(spi) else {
                        return self.force_all_precise(curframe);
                    };
                    if !(s.types[7] == SlotType::Spill && s.spilled.ty == RegType::Scalar) || s.spilled.precise {
                        bt.stack[fr] &= !(1 << spi);
                    } else {
                        s.spilled.precise = true;
                    }
                }
                if l2 {
                    let f = self.walk.checkpoints[p].state.frames[fr].clone();
                    let refs = self.walk.checkpoints[p].state.printed_refs();
                    let text = self.vlog.state_text(&f, &refs, true);
                    self.verbose(&format!(
                        "mark_precise: frame{fr}: parent state regs={} stack={}: {text}",
                        reg_mask_text(bt.regs[fr]),
                        stack_mask_text(bt.stack[fr])
                    ));
                }
            }
            if bt.empty() {
                return Ok(());
            }
            let cp = &self.walk.checkpoints[p];
            subseq_idx = first_idx as i64;
            last_idx = cp.lineage.last_insn_idx;
            first_idx = cp.lineage.first_insn_idx;
        }
        if !bt.empty() {
            return self.force_all_precise(curframe);
        }
        Ok(())
    }

    /// mark_all_scalars_precise(): every scalar of every parent checkpoint.
    fn force_all_precise(&mut self, curframe: usize) -> Res<()> {
        let l2 = self.level2();
        if l2 {
            self.verbose(&format!(
                "mark_precise: frame{curframe}: falling back to forcing all scalars precise\n"
            ));
        }
        let mut at = self.walk.cur.parent;
        let mut text = String::new();
        while let Some(p) = at {
            let cp = &mut self.walk.checkpoints[p];
            for (fi, f) in cp.state.frames.iter_mut().enumerate() {
                for (j, r) in f.regs.iter_mut().enumerate().take(10) {
                    if r.ty == RegType::Scalar && !r.precise {
                        r.precise = true;
                        text.push_str(&format!("force_precise: frame{fi}: forcing r{j} to be precise\n"));
                    }
                }
                for (j, s) in f.stack.iter_mut().enumerate() {
                    if s.types[7] == SlotType::Spill && s.spilled.ty == RegType::Scalar && !s.spilled.precise {
                        s.spilled.precise = true;
                        text.push_str(&format!(
                            "force_precise: frame{fi}: forcing fp{} to be precise\n",
                            -(j as i64 + 1) * 8
                        ));
                    }
                }
            }
            at = cp.lineage.parent;
        }
        if l2 {
            self.verbose(&text);
        }
        Ok(())
    }

    /// backtrack_insn(): what instruction `idx` means for the registers and
    /// slots still to explain (it runs before `subseq_idx` on the path).
    fn backtrack_insn(
        &mut self,
        idx: usize,
        subseq_idx: i64,
        hist: Option<&HistEntry>,
        bt: &mut Bt,
    ) -> Result<(), BtErr> {
        let insn = self.prog.insns[idx];
        if insn.code == 0 {
            return Ok(());
        }
        if self.level2() {
            let ins = self.prog.decoded[idx];
            let text = ins.map(|i| disasm(&i, idx)).unwrap_or_default();
            self.verbose(&format!(
                "mark_precise: frame{}: regs={} stack={} before {idx}: {text}\n",
                bt.frame,
                reg_mask_text(bt.regs[bt.frame]),
                stack_mask_text(bt.stack[bt.frame])
            ));
        }
        bt.sync_linked(hist);
        let (dreg, sreg) = (insn.dst & 0xf, insn.src & 0xf);
        let code = insn.code;
        let stack_flag = hist.and_then(|h| h.stack);
        match class(code) {
            BPF_ALU | BPF_ALU64 => {
                if !bt.reg(dreg) {
                    return Ok(());
                }
                match op(code) {
                    BPF_END | BPF_NEG => {}
                    BPF_MOV => {
                        bt.clear_reg(dreg);
                        if source(code) == BPF_X && sreg != 10 {
                            bt.set_reg(sreg);
                        }
                    }
                    _ => {
                        if source(code) == BPF_X && sreg != 10 {
                            bt.set_reg(sreg);
                        }
                    }
                }
            }
            BPF_LDX => {
                if !bt.reg(dreg) {
                    return Ok(());
                }
                bt.clear_reg(dreg);
                if let Some((fr, spi)) = stack_flag {
                    bt.stack[fr] |= 1 << spi;
                }
                return Ok(());
            }
            BPF_STX | BPF_ST => {
                let fetch = class(code) == BPF_STX && mode(code) == BPF_ATOMIC && insn.imm & BPF_FETCH != 0;
                if fetch {
                    let load = if insn.imm == BPF_CMPXCHG { 0 } else { sreg };
                    if bt.reg(load) {
                        bt.clear_reg(load);
                        if let Some((fr, spi)) = stack_flag {
                            bt.stack[fr] |= 1 << spi;
                        }
                        return Ok(());
                    }
                }
                if bt.reg(dreg) {
                    return Err(BtErr::NotSupp);
                }
                let Some((fr, spi)) = stack_flag else { return Ok(()) };
                if bt.stack[fr] & (1 << spi) == 0 {
                    return Ok(());
                }
                bt.stack[fr] &= !(1 << spi);
                if class(code) == BPF_STX {
                    bt.set_reg(sreg);
                }
            }
            BPF_JMP | BPF_JMP32 => match op(code) {
                BPF_CALL if insn.src == 1 => {
                    // Back from the callee's entry into the caller: its
                    // arguments are the caller's R1-R5.
                    if bt.regs[bt.frame] & !0x3e != 0 || bt.stack[bt.frame] != 0 || bt.frame == 0 {
                        return Err(BtErr::Bug);
                    }
                    for r in 1..=5 {
                        if bt.reg(r) {
                            bt.clear_reg(r);
                            bt.regs[bt.frame - 1] |= 1 << r;
                        }
                    }
                    bt.frame -= 1;
                    return Ok(());
                }
                BPF_CALL => {
                    bt.clear_reg(0);
                    if bt.regs[bt.frame] & 0x3e != 0 {
                        return Err(BtErr::Bug);
                    }
                }
                BPF_EXIT => {
                    let from_call = subseq_idx >= 1 && {
                        let c = self.prog.insns[subseq_idx as usize - 1];
                        c.code == (BPF_JMP | BPF_CALL) && c.src == 1
                    };
                    let r0 = from_call && bt.reg(0);
                    if from_call && bt.regs[bt.frame] & 0x3e != 0 {
                        return Err(BtErr::Bug);
                    }
                    bt.clear_reg(0);
                    if bt.frame + 1 >= MAX_CALL_FRAMES {
                        return Err(BtErr::Bug);
                    }
                    bt.frame += 1;
                    if r0 {
                        bt.set_reg(0);
                    }
                    return Ok(());
                }
                BPF_JA => {}
                _ if source(code) == BPF_X && (bt.reg(dreg) || bt.reg(sreg)) => {
                    bt.set_reg(sreg);
                    bt.set_reg(dreg);
                }
                _ => {}
            },
            BPF_LD => match mode(code) {
                BPF_IMM => {
                    bt.clear_reg(dreg);
                    return Ok(());
                }
                BPF_ABS | BPF_IND => {
                    if bt.reg(dreg) {
                        return Err(BtErr::NotSupp);
                    }
                    // The caller's frame: LD_ABS may end a subprogram.
                    if subseq_idx != idx as i64 + 1 {
                        if bt.frame + 1 >= MAX_CALL_FRAMES {
                            return Err(BtErr::Bug);
                        }
                        bt.frame += 1;
                    }
                    return Ok(());
                }
                _ => {}
            },
            _ => {}
        }
        bt.sync_linked(hist);
        Ok(())
    }
}
