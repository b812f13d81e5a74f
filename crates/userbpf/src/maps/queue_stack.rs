//! BPF_MAP_TYPE_QUEUE and BPF_MAP_TYPE_STACK (kernel/bpf/queue_stack_maps.c):
//! keyless maps of `max_entries` values in a ring of `max_entries + 1`
//! slots. Push with BPF_EXIST overwrites the oldest value when full.

use std::any::Any;
use std::sync::Mutex;

use super::shared::SharedMem;
use super::{Caller, CreateCtx, MapAttr, MapOps, KMALLOC_MAX_SIZE};
use crate::uapi::types::{elem_flags as ef, map_flags as mf, map_type as mt};
use crate::uapi::Errno;

const CREATE_FLAG_MASK: u32 = mf::NUMA_NODE | mf::ACCESS_MASK;

/// queue_stack_map_alloc_check().
pub fn alloc_check(a: &MapAttr, _: &CreateCtx<'_>) -> Result<(), Errno> {
    if a.max_entries == 0
        || a.key_size != 0
        || a.value_size == 0
        || a.map_flags & !CREATE_FLAG_MASK != 0
        || !a.access_ok()
    {
        return Err(Errno::EINVAL);
    }
    if a.value_size as u64 > KMALLOC_MAX_SIZE {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    let size = a.max_entries as u64 + 1;
    let bytes = size.checked_mul(a.value_size as u64).ok_or(Errno::ENOMEM)?;
    Ok(Box::new(QueueStack {
        stack: a.map_type == mt::STACK,
        value_size: a.value_size as usize,
        size: size as u32,
        elements: SharedMem::zeroed(usize::try_from(bytes).map_err(|_| Errno::ENOMEM)?)?,
        pos: Mutex::new((0, 0)),
    }))
}

pub struct QueueStack {
    stack: bool,
    value_size: usize,
    size: u32,
    elements: SharedMem,
    /// (head, tail).
    pos: Mutex<(u32, u32)>,
}

impl QueueStack {
    fn get(&self, value: &mut [u8], delete: bool) -> Result<(), Errno> {
        let mut p = self.pos.lock().expect("queue lock");
        let (head, tail) = *p;
        if head == tail {
            value[..self.value_size].fill(0);
            return Err(Errno::ENOENT);
        }
        let index = if self.stack {
            if head == 0 {
                self.size - 1
            } else {
                head - 1
            }
        } else {
            tail
        };
        self.elements
            .read(index as usize * self.value_size, &mut value[..self.value_size]);
        if delete {
            if self.stack {
                p.0 = index;
            } else {
                p.1 = if tail + 1 >= self.size { 0 } else { tail + 1 };
            }
        }
        Ok(())
    }
}

impl MapOps for QueueStack {
    fn mem_usage(&self) -> u64 {
        64 + self.size as u64 * self.value_size as u64
    }

    fn lookup(&self, _key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        self.peek(value)
    }

    fn update(&self, _key: &[u8], value: &[u8], flags: u64, _caller: Caller<'_>) -> Result<(), Errno> {
        self.push(value, flags)
    }

    fn delete(&self, _key: &[u8]) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    fn get_next_key(&self, _key: Option<&[u8]>, _next: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }

    fn lookup_and_delete(&self, _key: &[u8], value: &mut [u8], _flags: u64) -> Result<(), Errno> {
        self.pop(value)
    }

    fn push(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        if flags & ef::NOEXIST != 0 || flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        let mut p = self.pos.lock().expect("queue lock");
        let (head, tail) = *p;
        let next = |x: u32| if x + 1 >= self.size { 0 } else { x + 1 };
        if next(head) == tail {
            if flags & ef::EXIST == 0 {
                return Err(Errno::E2BIG);
            }
            p.1 = next(tail);
        }
        self.elements
            .write(head as usize * self.value_size, &value[..self.value_size]);
        p.0 = next(head);
        Ok(())
    }

    fn pop(&self, value: &mut [u8]) -> Result<(), Errno> {
        self.get(value, true)
    }

    fn peek(&self, value: &mut [u8]) -> Result<(), Errno> {
        self.get(value, false)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
