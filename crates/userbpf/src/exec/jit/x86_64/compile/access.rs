//! Memory accesses: where a guest address goes in host memory. The frame
//! (r10 + k, and registers the compiler knows hold r10 + k) needs no check;
//! an access the verifier proved is translated with its region's delta
//! (trusted) or checked against that region alone (hinted); anything else
//! takes the generic check through the region table. The region deltas the
//! loops use most stay in registers for the run.

use super::unroll::{CountedLoop, KnownAddress, StridedAccess};
use super::{host, loop_weights, writes, Access, Compiler, SiteKind, CTX};
use crate::exec::jit::ctx::{self, disp};
use crate::exec::jit::x86_64::emit::{mem, mem_idx, Alu, Asm, Cc, Label, Mem, Shift, R, W};
use crate::exec::AccessProof;
use crate::isa::opcode::MAX_BPF_STACK;
use crate::isa::{AluOp, Instruction, Operand, Size, Width};

/// The region deltas to keep in registers for the whole run, as the
/// kernel's JIT keeps pointers in registers: the context slots the most
/// (loop-weighted) named accesses use. rax serves when nothing in the
/// program needs it (division, atomics, LD_ABS/LD_IND and calls do); rdx
/// too when every load and store names its region (the generic checked
/// form uses rdx; the hinted check then works in rcx).
pub(super) fn pinned_bases(program: &[(usize, Instruction)], proven: &[AccessProof]) -> Vec<(usize, R)> {
    let needs_rax = program.iter().any(|(_, ins)| {
        matches!(
            ins,
            Instruction::Alu {
                op: AluOp::Div | AluOp::SDiv | AluOp::Mod | AluOp::SMod,
                ..
            } | Instruction::Atomic { .. }
                | Instruction::LdAbs { .. }
                | Instruction::LdInd { .. }
                | Instruction::Call(_)
                | Instruction::CallX { .. }
        )
    });
    if needs_rax {
        return Vec::new();
    }
    let mut regs = vec![R::Rax];
    let all_named = program.iter().all(|(pc, ins)| {
        let memory = matches!(
            ins,
            Instruction::Load { .. } | Instruction::StoreImm { .. } | Instruction::StoreReg { .. }
        );
        !memory || delta_slot(proven.get(*pc).copied().unwrap_or_default()).is_some()
    });
    if all_named {
        regs.push(R::Rdx);
    }
    // Accesses inside a loop weigh more than the ones run once.
    let weights = loop_weights(program, program.last().map_or(0, |&(pc, ins)| pc + ins.slots()));
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for (pc, ins) in program {
        let pc = *pc;
        let weight = weights[pc];
        // Accesses at r10 + a constant use the frame's delta (`access`'s
        // fast path), as do the ones the verifier places on the stack.
        let frame = matches!(
            *ins,
            Instruction::Load { src: 10, .. }
                | Instruction::StoreImm { dst: 10, .. }
                | Instruction::StoreReg { dst: 10, .. }
        );
        let slot = if frame {
            Some(ctx::STACK_DELTA)
        } else {
            delta_slot(proven.get(pc).copied().unwrap_or_default())
        };
        let Some(slot) = slot else {
            continue;
        };
        match counts.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, n)) => *n += weight,
            None => counts.push((slot, weight)),
        }
    }
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    counts.into_iter().zip(regs).map(|((slot, _), r)| (slot, r)).collect()
}

/// The context slot holding the delta (host - guest) of the region a proof
/// names. Stack accesses use the frame window's delta (STACK_DELTA, which
/// r10's accesses use too; STACK_REGION describes the same window); the
/// others the region's table entry.
fn delta_slot(p: AccessProof) -> Option<usize> {
    if p == AccessProof::Stack {
        return Some(ctx::STACK_DELTA);
    }
    region_entry(p).map(|e| e + ctx::ENTRY_DELTA)
}

/// The context slot of the (copy of the) table entry of the region a
/// proof names, if it names one.
fn region_entry(p: AccessProof) -> Option<usize> {
    match p {
        AccessProof::Context => Some(ctx::CTX_REGION),
        AccessProof::Packet => Some(ctx::PACKET_REGION),
        AccessProof::Stack => Some(ctx::STACK_REGION),
        AccessProof::Map(i) => Some(ctx::TABLE + (i as usize + 1) * ctx::ENTRY_SLOTS),
        AccessProof::None | AccessProof::InRegion => None,
    }
}

/// The checked translation of the guest address `addr` for an access of
/// `bytes`: region index from the high half against the table size, offset
/// plus size against the region's readable or writable length, then the
/// host pointer. Jumps to `fault` (whose stub recomputes the address);
/// returns the host operand (rcx holds host + size). Clobbers rcx and rdx.
pub(super) fn translate_checked(a: &mut Asm, fault: Label, bytes: usize, access: Access, addr: Mem) -> Mem {
    a.lea(R::Rdx, addr);
    a.shift_imm(W::Q64, Shift::Shr, R::Rdx, 32);
    a.alu_reg_mem(Alu::Cmp, R::Rdx, mem(CTX, disp(ctx::NENT)));
    a.jcc(Cc::Ae, fault);
    a.shift_imm(W::D32, Shift::Shl, R::Rdx, ctx::ENTRY_SHIFT);
    a.lea32(R::Rcx, addr);
    a.alu_imm(W::Q64, Alu::Add, R::Rcx, bytes as i32);
    let limit = if access == Access::Read {
        ctx::ENTRY_RLEN
    } else {
        ctx::ENTRY_WLEN
    };
    a.alu_reg_mem(Alu::Cmp, R::Rcx, mem_idx(CTX, R::Rdx, disp(ctx::TABLE + limit)));
    a.jcc(Cc::A, fault);
    a.alu_reg_mem(
        Alu::Add,
        R::Rcx,
        mem_idx(CTX, R::Rdx, disp(ctx::TABLE + ctx::ENTRY_PTR)),
    );
    mem(R::Rcx, -(bytes as i32))
}

impl Compiler {
    /// What `ins` leaves in `frame_offset`.
    pub(super) fn track_frame_offset(&mut self, ins: &Instruction) {
        let f = &mut self.line.frame_offset;
        match *ins {
            Instruction::Alu {
                width: Width::W64,
                op: AluOp::Mov,
                dst,
                src: Operand::Reg(s),
            } => f[dst as usize] = if s == 10 { Some(0) } else { f[s as usize] },
            Instruction::Alu {
                width: Width::W64,
                op: op @ (AluOp::Add | AluOp::Sub),
                dst,
                src: Operand::Imm(k),
            } => {
                let k = if op == AluOp::Add { Some(k) } else { k.checked_neg() };
                f[dst as usize] = f[dst as usize].zip(k).and_then(|(b, k)| b.checked_add(k));
            }
            // Calls, and LD_ABS/LD_IND (r0 and, in the kernel, r1-r5).
            Instruction::Call(_)
            | Instruction::CallX { .. }
            | Instruction::LdAbs { .. }
            | Instruction::LdInd { .. } => *f = [None; 11],
            _ => {
                if let Some(d) = writes(ins) {
                    f[d as usize] = None;
                }
            }
        }
    }

    /// The offset from r10 of an access at `base + off` of `bytes` when it
    /// lies in the current frame by the compiler's own bookkeeping (r10
    /// itself, or a register holding r10 + a constant).
    pub(super) fn frame_access(&self, base: u8, off32: i32, bytes: usize) -> Option<i32> {
        if !self.facts.stack_fast {
            return None;
        }
        let at = if base == 10 {
            off32
        } else {
            self.line.frame_offset[base as usize]?.checked_add(off32)?
        };
        (at >= -(MAX_BPF_STACK as i32) && at + bytes as i32 <= 0).then_some(at)
    }

    /// [`Self::access`] for the load, store or atomic `ins` at `pc`: its
    /// memory operand and size.
    pub(super) fn insn_access(&mut self, pc: usize, ins: &Instruction, access: Access) -> Mem {
        let (Some((base, off)), Some(fields)) = (ins.mem_operand(), ins.mem_fields()) else {
            unreachable!("not a load, store or atomic: {ins:?}")
        };
        self.access(pc, base, off, fields.size.bytes(), access)
    }

    /// Translate `base + off` for an access of `bytes`; returns the host
    /// operand. Clobbers rax (atomics), rcx and rdx.
    pub(super) fn access(&mut self, pc: usize, base: u8, off: i16, bytes: usize, access: Access) -> Mem {
        let off32 = off as i32;
        // In the frame (r10's 512 bytes, or a register at r10 + k): the
        // frame's delta, no check; atomics also need the address aligned,
        // which r10's alignment and the offset decide.
        // Through r10 itself, whatever register the program named: the
        // named one may hold no value (fusion.rs `frame_only`).
        let in_frame = self.frame_access(base, off32, bytes);
        if let Some(at) = in_frame.filter(|at| access != Access::Atomic || at % bytes as i32 == 0) {
            if let Some(r) = self.pinned_reg(ctx::STACK_DELTA) {
                return mem_idx(host(10), r, at);
            }
            self.a.load(8, R::Rcx, mem(CTX, disp(ctx::STACK_DELTA)));
            return mem_idx(host(10), R::Rcx, at);
        }
        let proof = self.facts.proven.get(pc).copied().unwrap_or_default();
        if !self.opts.trust_proofs && !self.copy.round_checked.contains(&pc) && !self.range_checked(pc, base, off32) {
            return self.access_hinted(pc, base, off32, bytes, access, proof);
        }
        // Proven in bounds: host = guest + the delta of the region, with
        // no checks; a known region's delta is a fixed context slot.
        let delta_slot = match proof {
            AccessProof::None => None,
            AccessProof::InRegion => {
                let a = &mut self.a;
                a.lea(R::Rdx, mem(host(base), off32));
                a.shift_imm(W::Q64, Shift::Shr, R::Rdx, 32);
                a.shift_imm(W::D32, Shift::Shl, R::Rdx, ctx::ENTRY_SHIFT);
                a.load(8, R::Rcx, mem_idx(CTX, R::Rdx, disp(ctx::TABLE + ctx::ENTRY_DELTA)));
                return mem_idx(host(base), R::Rcx, off32);
            }
            named => delta_slot(named),
        };
        if let Some(slot) = delta_slot {
            if let Some(r) = self.pinned_reg(slot) {
                return mem_idx(host(base), r, off32);
            }
            self.a.load(8, R::Rcx, mem(CTX, disp(slot)));
            return mem_idx(host(base), R::Rcx, off32);
        }
        self.access_checked(pc, base, off32, bytes, access)
    }

    /// A checked access whose region the verifier named: `guest - the
    /// region's base` must be below the entry's limit for the size (one
    /// unsigned compare, which holds only inside that region whatever the
    /// verifier said), then host = guest + the region's delta (from rax
    /// when pinned).
    fn access_hinted(
        &mut self,
        pc: usize,
        base: u8,
        off32: i32,
        bytes: usize,
        access: Access,
        proof: AccessProof,
    ) -> Mem {
        let entry = if access == Access::Atomic {
            None
        } else {
            region_entry(proof)
        };
        let Some(entry) = entry else {
            return self.access_checked(pc, base, off32, bytes, access);
        };
        let (fault, addr) = self.memory_site(pc, base, off32, bytes, access);
        let delta = delta_slot(proof).unwrap_or(entry + ctx::ENTRY_DELTA);
        let pinned = self.pinned_reg(delta);
        let t = self.check_scratch();
        let a = &mut self.a;
        if off32 == 0 {
            // A plain copy the CPU renames away.
            a.mov(W::Q64, t, host(base));
        } else {
            a.lea(t, addr);
        }
        a.alu_reg_mem(Alu::Sub, t, mem(CTX, disp(entry + ctx::ENTRY_GUEST)));
        let limit = ctx::limit_slot(access == Access::Write, bytes);
        a.alu_reg_mem(Alu::Cmp, t, mem(CTX, disp(entry + limit)));
        a.jcc(Cc::Ae, fault);
        if let Some(r) = pinned {
            return mem_idx(host(base), r, off32);
        }
        a.load(8, R::Rcx, mem(CTX, disp(delta)));
        mem_idx(host(base), R::Rcx, off32)
    }

    /// Before a round of an unrolled loop (hinted images): one check that
    /// the region the verifier names holds the strided access `sa` in
    /// every copy of the round (its first and last addresses: the region
    /// is contiguous, and nothing the round runs changes `s` or the
    /// region table), else `fail`, the loop as written, whose accesses
    /// check (and fault) one by one. The copies then translate it with the
    /// region's delta. False, emitting nothing, when it names no region.
    pub(super) fn round_check(&mut self, lp: &CountedLoop, sa: &StridedAccess, fail: Label) -> bool {
        let proof = self.facts.proven.get(sa.pc).copied().unwrap_or_default();
        let Some(entry) = region_entry(proof) else {
            return false;
        };
        let t = self.check_scratch();
        let first = lp.advance(0, sa.def) + sa.disp;
        let span = (lp.factor as usize - 1) * lp.step as usize;
        // The bytes the round touches, from the first copy's address: as
        // one access of the next size with a limit slot (up to 16) when
        // that covers them (a round near the region's end may then fail
        // where exact checks pass: the loop as written takes it), else the
        // first and the last copy's accesses.
        let whole = (span + sa.bytes).next_power_of_two();
        let (bytes, last) = if whole <= 16 {
            (whole, None)
        } else {
            (sa.bytes, Some(span as i32))
        };
        let limit = mem(CTX, disp(entry + ctx::limit_slot(sa.write, bytes)));
        let a = &mut self.a;
        a.lea(t, mem_idx(host(sa.s), host(lp.iv), first));
        a.alu_reg_mem(Alu::Sub, t, mem(CTX, disp(entry + ctx::ENTRY_GUEST)));
        a.alu_reg_mem(Alu::Cmp, t, limit);
        a.jcc(Cc::Ae, fail);
        if let Some(span) = last {
            // Below the region's length here: adding the span can't wrap.
            a.alu_imm(W::Q64, Alu::Add, t, span);
            a.alu_reg_mem(Alu::Cmp, t, limit);
            a.jcc(Cc::Ae, fail);
        }
        true
    }

    /// Before an unrolled loop's rounds (hinted images): one check that
    /// the region the verifier names for an access holds every address
    /// the compiler's own bookkeeping allows it in the copies (`known`:
    /// the inlined lookup's `values + (key & 15) * 8`), else `fail`, the
    /// loop as written. False, emitting nothing, when it names none.
    pub(super) fn range_round_check(&mut self, known: &KnownAddress, fail: Label) -> bool {
        let &KnownAddress {
            pc,
            first,
            last,
            bytes,
            write,
        } = known;
        let proof = self.facts.proven.get(pc).copied().unwrap_or_default();
        let Some(entry) = region_entry(proof) else {
            return false;
        };
        let t = self.check_scratch();
        let limit = mem(CTX, disp(entry + ctx::limit_slot(write, bytes)));
        let a = &mut self.a;
        a.mov_imm(t, first);
        a.alu_reg_mem(Alu::Sub, t, mem(CTX, disp(entry + ctx::ENTRY_GUEST)));
        a.alu_reg_mem(Alu::Cmp, t, limit);
        a.jcc(Cc::Ae, fail);
        if last != first {
            // Below the region's length here: adding the span can't wrap.
            a.alu_imm(W::Q64, Alu::Add, t, (last - first) as i32);
            a.alu_reg_mem(Alu::Cmp, t, limit);
            a.jcc(Cc::Ae, fail);
        }
        true
    }

    /// Whether the round's start checked the access at `pc` (`base +
    /// off`) over a range its address lies in.
    fn range_checked(&self, pc: usize, base: u8, off: i32) -> bool {
        let Some(&(_, first, last)) = self.copy.range_checked.iter().find(|r| r.0 == pc) else {
            return false;
        };
        let Some((lo, hi)) = self.line.ranges.get(base as usize).copied().flatten() else {
            return false;
        };
        let at = |v: u64| v.checked_add_signed(off as i64);
        base != 10 && at(lo).is_some_and(|a| a >= first) && at(hi).is_some_and(|a| a <= last)
    }

    /// The hinted check's scratch: rdx, or rcx when rdx holds a base.
    fn check_scratch(&self) -> R {
        if self.facts.pinned.iter().any(|&(_, r)| r == R::Rdx) {
            R::Rcx
        } else {
            R::Rdx
        }
    }

    /// The register holding the delta in context slot `slot`, if pinned.
    fn pinned_reg(&self, slot: usize) -> Option<R> {
        self.facts.pinned.iter().find(|(s, _)| *s == slot).map(|&(_, r)| r)
    }

    /// A memory fault site whose stub recomputes the guest address from
    /// `base + off` (the fast path never materialises it).
    fn memory_site(&mut self, pc: usize, base: u8, off32: i32, bytes: usize, access: Access) -> (Label, Mem) {
        let fault = self.site(
            pc,
            SiteKind::Memory {
                size: bytes as u8,
                access,
            },
        );
        let addr = mem(host(base), off32);
        self.out.sites.last_mut().expect("just pushed").2 = Some(addr);
        (fault, addr)
    }

    /// The generic checked access: the region from the address's upper
    /// half, then its bounds and permission.
    fn access_checked(&mut self, pc: usize, base: u8, off32: i32, bytes: usize, access: Access) -> Mem {
        let (fault, addr) = self.memory_site(pc, base, off32, bytes, access);
        let a = &mut self.a;
        if access == Access::Atomic {
            a.lea32(R::Rax, addr);
            a.test8_imm(R::Rax, bytes as u8 - 1);
            a.jcc(Cc::Ne, fault);
        }
        let m = translate_checked(a, fault, bytes, access, addr);
        if access == Access::Atomic {
            // rcx = host + size: the same residue as the host address.
            a.test8_imm(R::Rcx, bytes as u8 - 1);
            a.jcc(Cc::Ne, fault);
        }
        m
    }
}

impl Compiler {
    /// LD_ABS / LD_IND: r0 = ntoh(packet[at]) with the 32-bit k = imm (+
    /// src) converted as exec/ld_abs.rs says; a failed load ends the
    /// program with r0 = 0.
    pub(super) fn ld_packet(&mut self, pc: usize, size: Size, src: Option<u8>, imm: i32) {
        let bytes = size.bytes();
        let fault = self.site(
            pc,
            SiteKind::Memory {
                size: bytes as u8,
                access: Access::Read,
            },
        );
        let exit_zero = self.out.exit_zero;
        match self.blinded(imm) {
            Some(r) => self.a.mov(W::D32, R::Rax, r),
            None => self.a.mov_imm32(R::Rax, imm as u32),
        }
        let a = &mut self.a;
        if let Some(s) = src {
            a.alu(W::D32, Alu::Add, R::Rax, host(s));
        }
        a.movsx(W::Q64, 32, R::Rax, R::Rax);
        // rax = the offset from skb->data (negative k: out of line).
        let neg = *self.out.ld_abs_neg.get_or_insert_with(|| a.label());
        let offset = a.label();
        a.test(W::Q64, R::Rax, R::Rax);
        a.jcc(Cc::Ge, offset);
        a.call(neg);
        a.bind(offset);
        // headlen - offset >= size, signed (the offset may be negative).
        a.lea(R::Rcx, mem(R::Rax, bytes as i32));
        a.alu_reg_mem(Alu::Cmp, R::Rcx, mem(CTX, disp(ctx::PKT_LEN)));
        a.jcc(Cc::G, exit_zero);
        a.alu_reg_mem(Alu::Add, R::Rax, mem(CTX, disp(ctx::PKT_BASE)));
        // The guest address is in rax: translate it like any read.
        let m = translate_checked(a, fault, bytes, Access::Read, mem(R::Rax, 0));
        let r0 = host(0);
        match bytes {
            1 => a.load(1, r0, m),
            2 => {
                a.load(2, r0, m);
                a.ror16_8(r0);
                a.movzx16(r0, r0);
            }
            _ => {
                a.load(4, r0, m);
                a.bswap(W::D32, r0);
            }
        }
    }
}
