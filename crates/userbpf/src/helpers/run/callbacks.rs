//! Helpers that call back into the program (kernel/bpf/bpf_iter.c's
//! bpf_loop, the maps' map_for_each_callback).

use super::HelperCall;
use crate::exec::helper_table::HelperExit;
use crate::runtime::callback;
use crate::uapi::{Errno, BPF_MAX_LOOPS};

use super::neg;

type R = Result<u64, HelperExit>;

/// bpf_loop(nr_loops, callback, ctx, flags): callback(i, ctx) until it
/// returns non-zero; the number of calls made.
pub fn bpf_loop(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let (nr, func, ctx, flags) = (a[0] as u32 as u64, a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(neg(Errno::EINVAL));
    }
    if nr > BPF_MAX_LOOPS {
        return Ok(neg(Errno::E2BIG));
    }
    for i in 0..nr {
        if callback::call(c, func, [i, ctx, 0, 0, 0])? != 0 {
            return Ok(i + 1);
        }
    }
    Ok(nr)
}

/// bpf_for_each_map_elem(map, callback, ctx, flags): callback(map, &key,
/// &value, ctx) per element in the map's iteration order until it returns
/// non-zero; the number of calls made.
pub fn for_each_map_elem(c: &mut HelperCall<'_, '_>, a: &[u64; 5]) -> R {
    let (handle, func, ctx, flags) = (a[0], a[1], a[2], a[3]);
    if flags != 0 {
        return Ok(neg(Errno::EINVAL));
    }
    let table = c
        .env
        .maps
        .as_ref()
        .ok_or_else(|| HelperExit::Failed("the run has no maps".into()))?;
    let map = table
        .resolve(handle)
        .ok_or_else(|| HelperExit::Failed(format!("{handle:#x} is not a map")))?;
    let ks = map.key_size as usize;
    let scratch = callback::key_scratch(c);
    let mut key: Option<Vec<u8>> = None;
    let mut calls = 0u64;
    loop {
        let mut next = vec![0u8; ks];
        if map.ops().get_next_key(key.as_deref(), &mut next).is_err() {
            break;
        }
        let Some(off) = map.prog_lookup(&next, c.env.cpu) else {
            key = Some(next);
            continue;
        };
        c.mem.write_bytes(scratch, &next)?;
        calls += 1;
        let value = handle | off as u64;
        if callback::call(c, func, [handle, scratch, value, ctx, 0])? != 0 {
            break;
        }
        key = Some(next);
    }
    Ok(calls)
}
