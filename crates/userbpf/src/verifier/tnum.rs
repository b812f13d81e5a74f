//! Tristate numbers (kernel/bpf/tnum.c): each bit is known 0, known 1, or
//! unknown (`mask` bit set). `value` has no bits where `mask` does.

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Tnum {
    pub value: u64,
    pub mask: u64,
}

impl fmt::Debug for Tnum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // tnum_strn(): "(%#llx; %#llx)"; the kernel's printf prefixes 0x
        // even to zero.
        write!(f, "({:#x}; {:#x})", self.value, self.mask)
    }
}

impl Tnum {
    pub const UNKNOWN: Tnum = Tnum {
        value: 0,
        mask: u64::MAX,
    };

    pub const fn new(value: u64, mask: u64) -> Tnum {
        Tnum { value, mask }
    }

    pub const fn constant(value: u64) -> Tnum {
        Tnum { value, mask: 0 }
    }

    /// The smallest tnum containing every value in `[min, max]`.
    pub fn range(min: u64, max: u64) -> Tnum {
        let chi = min ^ max;
        let bits = 64 - chi.leading_zeros();
        if bits > 63 {
            return Tnum::UNKNOWN;
        }
        let delta = (1u64 << bits) - 1;
        Tnum::new(min & !delta, delta)
    }

    pub fn is_const(self) -> bool {
        self.mask == 0
    }

    pub fn is_unknown(self) -> bool {
        self.mask == u64::MAX
    }

    pub fn lshift(self, shift: u32) -> Tnum {
        Tnum::new(self.value.wrapping_shl(shift), self.mask.wrapping_shl(shift))
    }

    pub fn rshift(self, shift: u32) -> Tnum {
        Tnum::new(self.value.wrapping_shr(shift), self.mask.wrapping_shr(shift))
    }

    /// Arithmetic shift in 32- or 64-bit width.
    pub fn arshift(self, shift: u32, bits: u32) -> Tnum {
        if bits == 32 {
            Tnum::new(
                ((self.value as i32) >> shift) as u32 as u64,
                ((self.mask as i32) >> shift) as u32 as u64,
            )
        } else {
            Tnum::new(
                ((self.value as i64) >> shift) as u64,
                ((self.mask as i64) >> shift) as u64,
            )
        }
    }

    // tnum_add() by the kernel's name; not the operator trait.
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, b: Tnum) -> Tnum {
        let sm = self.mask.wrapping_add(b.mask);
        let sv = self.value.wrapping_add(b.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | b.mask;
        Tnum::new(sv & !mu, mu)
    }

    // tnum_sub() by the kernel's name; not the operator trait.
    #[allow(clippy::should_implement_trait)]
    pub fn sub(self, b: Tnum) -> Tnum {
        let dv = self.value.wrapping_sub(b.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(b.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | b.mask;
        Tnum::new(dv & !mu, mu)
    }

    // tnum_neg() by the kernel's name; not the operator trait.
    #[allow(clippy::should_implement_trait)]
    #[cfg(test)]
    pub fn neg(self) -> Tnum {
        Tnum::constant(0).sub(self)
    }

    pub fn and(self, b: Tnum) -> Tnum {
        let alpha = self.value | self.mask;
        let beta = b.value | b.mask;
        let v = self.value & b.value;
        Tnum::new(v, alpha & beta & !v)
    }

    pub fn or(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask | b.mask;
        Tnum::new(v, mu & !v)
    }

    pub fn xor(self, b: Tnum) -> Tnum {
        let v = self.value ^ b.value;
        let mu = self.mask | b.mask;
        Tnum::new(v & !mu, mu)
    }

    // tnum_mul() by the kernel's name; not the operator trait.
    #[allow(clippy::should_implement_trait)]
    pub fn mul(self, b: Tnum) -> Tnum {
        let (mut a, mut b) = (self, b);
        let acc_v = a.value.wrapping_mul(b.value);
        let mut acc_m = Tnum::constant(0);
        while a.value != 0 || a.mask != 0 {
            if a.value & 1 != 0 {
                acc_m = acc_m.add(Tnum::new(0, b.mask));
            } else if a.mask & 1 != 0 {
                acc_m = acc_m.add(Tnum::new(0, b.value | b.mask));
            }
            a = a.rshift(1);
            b = b.lshift(1);
        }
        Tnum::constant(acc_v).add(acc_m)
    }

    /// Bits known in either (they must agree where both know them).
    pub fn intersect(self, b: Tnum) -> Tnum {
        let v = self.value | b.value;
        let mu = self.mask & b.mask;
        Tnum::new(v & !mu, mu)
    }

    /// Truncate to `size` bytes.
    pub fn cast(self, size: u32) -> Tnum {
        if size >= 8 {
            return self;
        }
        let m = (1u64 << (size * 8)) - 1;
        Tnum::new(self.value & m, self.mask & m)
    }

    pub fn is_aligned(self, size: u64) -> bool {
        size == 0 || (self.value | self.mask) & (size - 1) == 0
    }

    /// Whether every value of `b` is a value of `self`.
    #[cfg(test)]
    pub fn contains(self, b: Tnum) -> bool {
        if b.mask & !self.mask != 0 {
            return false;
        }
        self.value == b.value & !self.mask
    }

    pub fn subreg(self) -> Tnum {
        self.cast(4)
    }

    pub fn clear_subreg(self) -> Tnum {
        self.rshift(32).lshift(32)
    }

    pub fn with_subreg(self, subreg: Tnum) -> Tnum {
        self.clear_subreg().or(subreg.subreg())
    }

    pub fn const_subreg(self, v: u32) -> Tnum {
        self.with_subreg(Tnum::constant(v as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tnum and a concrete value it contains.
    fn member() -> impl Strategy<Value = (Tnum, u64)> {
        (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(v, m, pick)| {
            let t = Tnum::new(v & !m, m);
            (t, t.value | (pick & t.mask))
        })
    }

    fn holds(t: Tnum, x: u64) -> bool {
        x & !t.mask == t.value
    }

    proptest! {
        // Soundness: the abstract result contains the concrete result.
        #[test]
        fn ops_are_sound((a, x) in member(), (b, y) in member(), s in 0u32..64) {
            prop_assert!(holds(a.add(b), x.wrapping_add(y)));
            prop_assert!(holds(a.sub(b), x.wrapping_sub(y)));
            prop_assert!(holds(a.mul(b), x.wrapping_mul(y)));
            prop_assert!(holds(a.and(b), x & y));
            prop_assert!(holds(a.or(b), x | y));
            prop_assert!(holds(a.xor(b), x ^ y));
            prop_assert!(holds(a.neg(), x.wrapping_neg()));
            prop_assert!(holds(a.lshift(s), x << s));
            prop_assert!(holds(a.rshift(s), x >> s));
            prop_assert!(holds(a.arshift(s, 64), ((x as i64) >> s) as u64));
            prop_assert!(holds(a.arshift(s % 32, 32), ((x as i32) >> (s % 32)) as u32 as u64));
            prop_assert!(holds(a.cast(4), x as u32 as u64));
        }

        #[test]
        fn range_contains_its_bounds(lo in any::<u64>(), hi in any::<u64>()) {
            let (lo, hi) = (lo.min(hi), lo.max(hi));
            let r = Tnum::range(lo, hi);
            prop_assert!(holds(r, lo) && holds(r, hi));
        }
    }

    #[test]
    fn known_values() {
        // Hand-derived: [0, 255] is the low byte unknown.
        assert_eq!(Tnum::range(0, 255), Tnum::new(0, 0xff));
        assert_eq!(Tnum::range(4, 7), Tnum::new(4, 3));
        assert_eq!(Tnum::constant(6).add(Tnum::constant(7)), Tnum::constant(13));
        assert_eq!(format!("{:?}", Tnum::new(0, 0xff)), "(0x0; 0xff)");
        assert!(Tnum::new(0, 0xff).contains(Tnum::constant(0x10)));
        assert!(!Tnum::constant(1).contains(Tnum::new(0, 1)));
    }
}
