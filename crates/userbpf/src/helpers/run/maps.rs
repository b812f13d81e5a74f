//! Map helpers (kernel/bpf/helpers.c, ringbuf.c, arraymap.c's tail calls):
//! thin adapters from registers to the map bodies in
//! [`crate::maps::guest::MapTable`].

use std::sync::Arc;

use super::HelperCall;
use crate::exec::helper_table::HelperExit;
use crate::maps::fd_array::FdArray;
use crate::maps::guest::MapTable;
use crate::maps::ringbuf::RingBuf;
use crate::maps::Map;
use crate::runtime::env::MAX_TAIL_CALL_CNT;

type R = Result<u64, HelperExit>;

fn table<'c, 'm>(c: &HelperCall<'c, 'm>) -> Result<&'c MapTable<'m>, HelperExit> {
    c.env
        .maps
        .as_ref()
        .ok_or_else(|| HelperExit::Failed("the run has no maps".into()))
}

/// `f` of the map at guest `handle`, which must be a `T` (`kind` names
/// one).
fn with_map<T: 'static>(c: &HelperCall<'_, '_>, handle: u64, kind: &str, f: impl FnOnce(&Map, &T) -> R) -> R {
    let m = table(c)?
        .resolve(handle)
        .ok_or_else(|| HelperExit::Failed(format!("{handle:#x} is not a map")))?;
    let t = m
        .downcast::<T>()
        .ok_or_else(|| HelperExit::Failed(format!("not a {kind}")))?;
    f(&m, t)
}

pub fn lookup(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.map_lookup_elem(c.mem, a[0], a[1], c.env.cpu)
}

/// bpf_map_lookup_percpu_elem(map, key, cpu): another CPU's value; NULL
/// past the possible CPUs.
pub fn lookup_percpu(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let t = table(c)?;
    let m = t
        .resolve(a[0])
        .ok_or_else(|| HelperExit::Failed(format!("{:#x} is not a map", a[0])))?;
    let cpu = u32::try_from(a[2]).unwrap_or(u32::MAX);
    if cpu >= m.ncpus {
        return Ok(0);
    }
    t.map_lookup_elem(c.mem, a[0], a[1], cpu)
}

pub fn update(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.map_update_elem(c.mem, a[0], a[1], a[2], a[3], c.env.cpu)
}

pub fn delete(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.map_delete_elem(c.mem, a[0], a[1])
}

pub fn push(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.map_push_elem(c.mem, a[0], a[1], a[2])
}

pub fn pop(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.map_pop_elem(c.mem, a[0], a[1], false)
}

pub fn peek(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.map_pop_elem(c.mem, a[0], a[1], true)
}

pub fn ringbuf_output(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    if a[3] != 0 && a[3] & !3 != 0 {
        // BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP only.
        return Ok(super::neg(crate::uapi::Errno::EINVAL));
    }
    table(c)?.ringbuf_output(c.mem, a[0], a[1], a[2])
}

pub fn ringbuf_reserve(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.ringbuf_reserve(a[0], a[1], a[2])
}

pub fn ringbuf_submit(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.ringbuf_commit(a[0], false).map(|_| 0)
}

pub fn ringbuf_discard(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.ringbuf_commit(a[0], true).map(|_| 0)
}

pub fn ringbuf_query(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    with_map(c, a[0], "ring buffer", |_, rb: &RingBuf| Ok(rb.query(a[1])))
}

pub fn perf_event_output(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    table(c)?.perf_event_output(c.mem, a[1], a[2], a[3], a[4], c.env.cpu)
}

/// bpf_tail_call(ctx, prog_array, index): on success the current program
/// ends and the driver starts the target with the same context; on
/// failure (index out of range, empty slot, MAX_TAIL_CALL_CNT reached) the
/// program goes on.
pub fn tail_call(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let env = c.env;
    with_map(c, a[1], "prog array", |m, arr: &FdArray| {
        let index = a[2] as u32;
        if index >= m.max_entries {
            return Ok(0);
        }
        if env.tail_calls.get() >= MAX_TAIL_CALL_CNT {
            return Ok(0);
        }
        let Some(target) = arr.prog_at(index) else {
            return Ok(0);
        };
        env.tail_calls.set(env.tail_calls.get() + 1);
        *env.tail_call.borrow_mut() = Some(Arc::clone(&target));
        Err(HelperExit::Exit(0))
    })
}

/// bpf_spin_lock(lock): the verifier proved `lock` is the bpf_spin_lock
/// of a map value; the word is shared with BPF_F_LOCK copies from user
/// space and other programs (maps::shared::SpinLock's protocol: 0 free,
/// 1 held).
pub fn spin_lock(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    if c.env.spin_lock.get().is_some() {
        return Err(HelperExit::Failed("a second bpf_spin_lock while holding one".into()));
    }
    let mut spins = 0u32;
    while c.mem.atomic_cmpxchg(a[0], 4, 0, 1)? != 0 {
        crate::maps::shared::backoff(&mut spins);
    }
    c.env.spin_lock.set(Some(a[0]));
    Ok(0)
}

/// bpf_spin_unlock(lock).
pub fn spin_unlock(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    if c.env.spin_lock.get() != Some(a[0]) {
        return Err(HelperExit::Failed(
            "bpf_spin_unlock of a lock this run does not hold".into(),
        ));
    }
    c.mem.atomic_update(a[0], 4, |_| 0)?;
    c.env.spin_lock.set(None);
    Ok(0)
}
