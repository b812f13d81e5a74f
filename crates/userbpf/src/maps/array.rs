//! BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY (kernel/bpf/arraymap.c):
//! `max_entries` preallocated, zeroed values of `round_up(value_size, 8)`
//! bytes, indexed by a u32 key; elements can't be deleted.
//!
//! The guest image is `[ARRAY_VALUE_OFF header | values]`; a per-CPU array
//! keeps each element's CPU copies side by side (`[elem][cpu]`), which is
//! also how user space sees a per-CPU value.

use std::any::Any;

use sha2::{Digest, Sha256};

use super::btf_record::BtfRecord;
use super::shared::SharedMem;
use super::{
    round8, BatchOps, Caller, CreateCtx, GuestImage, MapAttr, MapOps, MetaEq, ARRAY_VALUE_OFF, PCPU_MIN_UNIT_SIZE,
};
use crate::uapi::types::{elem_flags as ef, map_flags as mf, map_type as mt};
use crate::uapi::{Errno, PAGE_SIZE};

const CREATE_FLAG_MASK: u32 = mf::NUMA_NODE | mf::MMAPABLE | mf::ACCESS_MASK | mf::PRESERVE_ELEMS | mf::INNER_MAP;

/// array_map_alloc_check() (shared by the fd arrays).
pub fn alloc_check(a: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    let percpu = a.map_type == mt::PERCPU_ARRAY;
    if a.max_entries == 0
        || a.key_size != 4
        || a.value_size == 0
        || a.map_flags & !CREATE_FLAG_MASK != 0
        || !a.access_ok()
        || (percpu && a.numa_node().is_some())
    {
        return Err(Errno::EINVAL);
    }
    if a.map_type != mt::ARRAY && a.map_flags & (mf::MMAPABLE | mf::INNER_MAP) != 0 {
        return Err(Errno::EINVAL);
    }
    if a.map_type != mt::PERF_EVENT_ARRAY && a.map_flags & mf::PRESERVE_ELEMS != 0 {
        return Err(Errno::EINVAL);
    }
    if a.value_size > i32::MAX as u32 {
        return Err(Errno::E2BIG);
    }
    if percpu && round8(a.value_size) > PCPU_MIN_UNIT_SIZE as usize {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// The allocation size of array_map_alloc(): without Spectre v1 bypass
/// (callers lacking CAP_PERFMON) max_entries is rounded up to a power of
/// two, E2BIG if that overflows a u32.
pub(crate) fn alloc_entries(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<u64, Errno> {
    if ctx.creds.perfmon_capable() {
        return Ok(a.max_entries as u64);
    }
    let rounded = (a.max_entries as u64).next_power_of_two();
    if rounded > u32::MAX as u64 {
        return Err(Errno::E2BIG);
    }
    Ok(rounded)
}

pub fn alloc(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    Ok(Box::new(Array::new(a, ctx)?))
}

pub struct Array {
    percpu: bool,
    value_size: u32,
    elem_size: usize,
    max_entries: u32,
    ncpus: u32,
    /// ARRAY_VALUE_OFF header, then the values.
    mem: SharedMem,
    mmapable: bool,
    /// Callers with CAP_PERFMON skip the Spectre v1 index masking.
    bypass_spec_v1: bool,
    index_mask: u32,
    /// The value's special fields (bpf_spin_lock, timers), from BTF.
    record: BtfRecord,
}

impl Array {
    pub(crate) fn new(a: &MapAttr, ctx: &CreateCtx<'_>) -> Result<Array, Errno> {
        let percpu = a.map_type == mt::PERCPU_ARRAY;
        let entries = alloc_entries(a, ctx)?;
        let elem_size = round8(a.value_size);
        let copies = if percpu { ctx.ncpus as u64 } else { 1 };
        let bytes = entries
            .checked_mul(elem_size as u64)
            .and_then(|b| b.checked_mul(copies))
            .and_then(|b| b.checked_add(ARRAY_VALUE_OFF as u64))
            .ok_or(Errno::ENOMEM)?;
        let mem = SharedMem::zeroed(usize::try_from(bytes).map_err(|_| Errno::ENOMEM)?)?;
        Ok(Array {
            percpu,
            value_size: a.value_size,
            elem_size,
            max_entries: a.max_entries,
            ncpus: ctx.ncpus,
            mem,
            mmapable: a.map_flags & mf::MMAPABLE != 0,
            bypass_spec_v1: ctx.creds.perfmon_capable(),
            index_mask: ((a.max_entries as u64).next_power_of_two() - 1) as u32,
            record: BtfRecord::default(),
        })
    }

    fn index(&self, key: &[u8]) -> Option<usize> {
        let i = u32::from_le_bytes(key[..4].try_into().ok()?);
        (i < self.max_entries).then_some(i as usize)
    }

    /// Offset of element `i`'s copy for `cpu` (cpu 0 for plain arrays).
    #[inline]
    fn off(&self, i: usize, cpu: u32) -> usize {
        if self.percpu {
            ARRAY_VALUE_OFF + (i * self.ncpus as usize + cpu as usize) * self.elem_size
        } else {
            ARRAY_VALUE_OFF + i * self.elem_size
        }
    }
}

impl MapOps for Array {
    fn mem_usage(&self) -> u64 {
        let entries = self.max_entries as u64;
        let e = self.elem_size as u64;
        let header = ARRAY_VALUE_OFF as u64;
        if self.percpu {
            header + entries * 8 + entries * e * self.ncpus as u64
        } else if self.mmapable {
            let page = |x: u64| x.div_ceil(PAGE_SIZE) * PAGE_SIZE;
            page(header) + page(entries * e)
        } else {
            header + entries * e
        }
    }

    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        let i = self.index(key).ok_or(Errno::ENOENT)?;
        if self.percpu {
            // bpf_percpu_array_copy(): round_up(value_size, 8) per CPU.
            self.mem
                .read(self.off(i, 0), &mut value[..self.elem_size * self.ncpus as usize]);
        } else {
            let value = &mut value[..self.value_size as usize];
            self.mem.read(self.off(i, 0), value);
            self.record.zero_fields(value);
        }
        Ok(())
    }

    fn lookup_locked(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        let i = self.index(key).ok_or(Errno::ENOENT)?;
        self.record
            .copy_out_locked(&self.mem, self.off(i, 0), &mut value[..self.value_size as usize]);
        Ok(())
    }

    fn set_record(&mut self, record: BtfRecord) {
        self.record = record;
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno> {
        let from_user_percpu = self.percpu && matches!(caller, Caller::Syscall(_));
        // bpf_percpu_array_update() rejects BPF_F_LOCK as unknown;
        // array_map_update_elem() lets it through to the spin-lock check.
        let unknown = if from_user_percpu {
            flags > ef::EXIST
        } else {
            flags & !ef::LOCK > ef::EXIST
        };
        if unknown {
            return Err(Errno::EINVAL);
        }
        let i = self.index(key).ok_or(Errno::E2BIG)?;
        if flags & ef::NOEXIST != 0 {
            return Err(Errno::EEXIST);
        }
        if flags & ef::LOCK != 0 && self.record.spin_lock_off().is_none() {
            return Err(Errno::EINVAL);
        }
        match caller {
            Caller::Syscall(_) if self.percpu => {
                self.mem
                    .write(self.off(i, 0), &value[..self.elem_size * self.ncpus as usize]);
            }
            Caller::Prog { cpu } if self.percpu => {
                self.mem.write(self.off(i, cpu), &value[..self.value_size as usize]);
            }
            _ => {
                let (off, value) = (self.off(i, 0), &value[..self.value_size as usize]);
                if flags & ef::LOCK != 0 {
                    self.record.copy_in_locked(&self.mem, off, value);
                } else if self.record.is_empty() {
                    self.mem.write(off, value);
                } else {
                    self.record.copy_in(&self.mem, off, value);
                }
            }
        }
        Ok(())
    }

    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        array_next_key(self.max_entries, key, next)
    }

    fn batch_ops(&self) -> BatchOps {
        BatchOps {
            generic_lookup: true,
            generic_update: true,
            ..BatchOps::default()
        }
    }

    fn meta_eq(&self) -> MetaEq {
        MetaEq::Array
    }

    fn direct_value_addr(&self, off: u32) -> Option<Result<usize, Errno>> {
        if self.percpu {
            return None;
        }
        Some(if self.max_entries != 1 {
            Err(Errno::ENOTSUPP)
        } else if off >= self.value_size {
            Err(Errno::EINVAL)
        } else {
            Ok(ARRAY_VALUE_OFF)
        })
    }

    /// array_map_gen_lookup(): bounds check, scale, add to the value area
    /// (`r1 += ARRAY_VALUE_OFF`), as the kernel emits it; the same bytes
    /// work here because the map handle is the image's start.
    fn gen_lookup(&self) -> Option<Vec<crate::isa::Insn>> {
        use crate::isa::Insn;
        if self.percpu {
            return None;
        }
        let (ret, map_ptr, index) = (0u8, 1u8, 2u8);
        let mut v = vec![
            Insn::new(0x07, map_ptr, 0, 0, ARRAY_VALUE_OFF as i32), // r1 += offsetof(value)
            Insn::new(0x61, ret, index, 0, 0),                      // r0 = *(u32 *)(r2 + 0)
        ];
        if self.bypass_spec_v1 {
            v.push(Insn::new(0x35, ret, 0, 3, self.max_entries as i32)); // if r0 >= max goto +3
        } else {
            v.push(Insn::new(0x35, ret, 0, 4, self.max_entries as i32));
            v.push(Insn::new(0x54, ret, 0, 0, self.index_mask as i32)); // w0 &= index_mask
        }
        if self.elem_size.is_power_of_two() {
            v.push(Insn::new(0x67, ret, 0, 0, self.elem_size.trailing_zeros() as i32));
        // r0 <<= log2
        } else {
            v.push(Insn::new(0x27, ret, 0, 0, self.elem_size as i32)); // r0 *= elem_size
        }
        v.push(Insn::new(0x0f, ret, map_ptr, 0, 0)); // r0 += r1
        v.push(Insn::new(0x05, 0, 0, 1, 0)); // goto +1
        v.push(Insn::new(0xb7, ret, 0, 0, 0)); // r0 = 0
        Some(v)
    }

    fn get_hash(&self) -> Option<[u8; 32]> {
        if self.percpu {
            return None;
        }
        let mut values = vec![0u8; self.elem_size * self.max_entries as usize];
        self.mem.read(ARRAY_VALUE_OFF, &mut values);
        Some(Sha256::digest(&values).into())
    }

    fn image(&self) -> GuestImage {
        GuestImage {
            ptr: self.mem.as_ptr(),
            len: self.mem.len(),
        }
    }

    #[inline]
    fn prog_lookup(&self, key: &[u8], cpu: u32) -> Option<usize> {
        let i = self.index(key)?;
        Some(self.off(i, if self.percpu { cpu } else { 0 }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// array_map_get_next_key(): 0 for no key or one out of range, ENOENT
/// after the last index.
pub(crate) fn array_next_key(max_entries: u32, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
    let index = key.map_or(u32::MAX, |k| u32::from_le_bytes(k[..4].try_into().expect("4-byte key")));
    let n = if index >= max_entries {
        0
    } else if index == max_entries - 1 {
        return Err(Errno::ENOENT);
    } else {
        index + 1
    };
    next[..4].copy_from_slice(&n.to_le_bytes());
    Ok(())
}
