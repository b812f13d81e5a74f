//! BPF_MAP_TYPE_BLOOM_FILTER (kernel/bpf/bloom_filter.c): `map_extra & 0xf`
//! jhash functions (5 by default) over a power-of-two bit array sized for
//! `max_entries`; push sets bits, peek tests them. With BPF_F_ZERO_SEED
//! the seed is 0 and false positives are the kernel's exactly.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};

use super::jhash::{jhash, jhash2};
use super::shared::SharedMem;
use super::{Caller, CreateCtx, MapAttr, MapOps, KMALLOC_MAX_SIZE};
use crate::uapi::types::{elem_flags as ef, map_flags as mf};
use crate::uapi::Errno;

const CREATE_FLAG_MASK: u32 = mf::NUMA_NODE | mf::ZERO_SEED | mf::ACCESS_MASK;

/// bloom_map_alloc_check().
pub fn alloc_check(a: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.value_size as u64 > KMALLOC_MAX_SIZE {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    if a.key_size != 0
        || a.value_size == 0
        || a.max_entries == 0
        || a.map_flags & !CREATE_FLAG_MASK != 0
        || !a.access_ok()
        || a.map_extra & !0xf != 0
    {
        return Err(Errno::EINVAL);
    }
    let nr_hash_funcs = match a.map_extra as u32 {
        0 => 5,
        n => n,
    };
    let (bitset_bytes, mask) = match a
        .max_entries
        .checked_mul(nr_hash_funcs)
        .and_then(|b| (b / 5).checked_mul(7))
        .filter(|&b| b as u64 <= 1 << 31)
    {
        None => ((u32::MAX as u64).div_ceil(8), u32::MAX),
        Some(bits) => {
            let bits = if bits <= 64 { 64 } else { bits.next_power_of_two() };
            ((bits as u64).div_ceil(8), bits - 1)
        }
    };
    let bitset_bytes = bitset_bytes.div_ceil(8) * 8;
    Ok(Box::new(Bloom {
        value_size: a.value_size as usize,
        nr_hash_funcs,
        mask,
        seed: if a.map_flags & mf::ZERO_SEED != 0 {
            0
        } else {
            rand_seed()
        },
        bits: SharedMem::zeroed(usize::try_from(bitset_bytes).map_err(|_| Errno::ENOMEM)?)?,
    }))
}

fn rand_seed() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish() as u32
}

pub struct Bloom {
    value_size: usize,
    nr_hash_funcs: u32,
    mask: u32,
    seed: u32,
    bits: SharedMem,
}

impl Bloom {
    fn hash(&self, value: &[u8], index: u32) -> u32 {
        let v = &value[..self.value_size];
        let seed = self.seed.wrapping_add(index);
        let h = if self.value_size.is_multiple_of(4) {
            jhash2(v, seed)
        } else {
            jhash(v, seed)
        };
        h & self.mask
    }

    fn word(&self, bit: u32) -> (&AtomicU64, u64) {
        (self.bits.word((bit as usize / 64) * 8), 1u64 << (bit % 64))
    }
}

impl MapOps for Bloom {
    fn mem_usage(&self) -> u64 {
        64 + self.bits.len() as u64
    }

    /// The value to test comes in `value` (copied from user space).
    fn lookup(&self, _key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        self.peek(value)
    }

    fn update(&self, _key: &[u8], value: &[u8], flags: u64, _caller: Caller<'_>) -> Result<(), Errno> {
        self.push(value, flags)
    }

    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    fn get_next_key(&self, _key: Option<&[u8]>, _next: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    fn push(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags != ef::ANY {
            return Err(Errno::EINVAL);
        }
        for i in 0..self.nr_hash_funcs {
            let (w, bit) = self.word(self.hash(value, i));
            w.fetch_or(bit, Ordering::Relaxed);
        }
        Ok(())
    }

    fn pop(&self, _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }

    fn peek(&self, value: &mut [u8]) -> Result<(), Errno> {
        for i in 0..self.nr_hash_funcs {
            let (w, bit) = self.word(self.hash(value, i));
            if w.load(Ordering::Relaxed) & bit == 0 {
                return Err(Errno::ENOENT);
            }
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
