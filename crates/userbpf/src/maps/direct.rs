//! Map helpers JIT code calls directly (exec/jit/direct.rs), with host
//! addresses for the key and value, as the kernel's JIT calls the map's own
//! functions: bpf_map_lookup_elem on hash tables (hash.rs has it, it needs
//! their internals), bpf_map_update_elem and bpf_map_delete_elem on arrays
//! and hash tables (here: the map's ordinary program-side operations).
//!
//! The key and value are copied to the stack first: they may sit in memory
//! other threads write (a map value), which the map code only reads as
//! plain bytes; and anything unusual (larger than the copies, a panic)
//! returns FALLBACK, for the helper path to do and report.

use std::ffi::c_void;
use std::sync::Arc;

use super::guest::errno_ret;
use super::Map;
use crate::exec::jit::direct::{DirectCall, DirectFn, FALLBACK};
use crate::uapi::types::map_type as mt;

/// Largest key and value the direct calls copy (bigger ones take the
/// helper path).
const MAX_KEY: usize = 64;
const MAX_VALUE: usize = 256;

/// `len` bytes at `src` into `buf`, as a slice; None when too long.
///
/// # Safety
/// `src` points at `len` readable bytes.
#[inline(always)]
unsafe fn copy_in<const N: usize>(
    src: *const u8,
    len: usize,
    buf: &mut std::mem::MaybeUninit<[u8; N]>,
) -> Option<&[u8]> {
    if len > N {
        return None;
    }
    let dst = buf.as_mut_ptr() as *mut u8;
    // SAFETY: the caller's contract for `src`; `dst` has N >= len bytes.
    unsafe {
        match len {
            4 => (dst as *mut u32).write_unaligned((src as *const u32).read_unaligned()),
            8 => (dst as *mut u64).write_unaligned((src as *const u64).read_unaligned()),
            _ => std::ptr::copy_nonoverlapping(src, dst, len),
        }
        Some(std::slice::from_raw_parts(dst, len))
    }
}

/// bpf_map_update_elem for JIT code.
///
/// # Safety
/// `map` points at a live `Map`; `key` and `value` at its key_size and
/// value_size readable bytes.
unsafe extern "C" fn update(map: *const c_void, key: *const u8, value: *const u8, flags: u64, cpu: u64) -> u64 {
    // SAFETY: the caller's contract.
    let m = unsafe { &*(map as *const Map) };
    let (mut kb, mut vb) = (
        std::mem::MaybeUninit::<[u8; MAX_KEY]>::uninit(),
        std::mem::MaybeUninit::<[u8; MAX_VALUE]>::uninit(),
    );
    // SAFETY: the caller's contract for both pointers.
    let (Some(k), Some(v)) = (unsafe { copy_in(key, m.key_size as usize, &mut kb) }, unsafe {
        copy_in(value, m.value_size as usize, &mut vb)
    }) else {
        return FALLBACK;
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        errno_ret(m.prog_update(k, v, flags, cpu as u32))
    }))
    .unwrap_or(FALLBACK)
}

/// bpf_map_delete_elem for JIT code.
///
/// # Safety
/// `map` points at a live `Map`; `key` at its key_size readable bytes.
unsafe extern "C" fn delete(map: *const c_void, key: *const u8) -> u64 {
    // SAFETY: the caller's contract.
    let m = unsafe { &*(map as *const Map) };
    let mut kb = std::mem::MaybeUninit::<[u8; MAX_KEY]>::uninit();
    // SAFETY: the caller's contract.
    let Some(k) = (unsafe { copy_in(key, m.key_size as usize, &mut kb) }) else {
        return FALLBACK;
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| errno_ret(m.prog_delete(k)))).unwrap_or(FALLBACK)
}

/// The direct form of a call of helper `helper` (1, 2, 3) at `pc` on
/// used map `map` (handle `handle`), if the map has one: lookups on hash
/// tables, updates and deletes on arrays and hash tables (per-CPU maps
/// and maps of maps keep the helper).
pub fn direct_call(pc: usize, helper: i32, handle: u64, map: &Arc<Map>) -> Option<DirectCall> {
    let plain = matches!(map.map_type, mt::ARRAY | mt::HASH | mt::LRU_HASH);
    let (func, obj) = match helper {
        1 => {
            let (f, obj) = map.ops().direct_lookup()?;
            (DirectFn::Lookup(f), obj)
        }
        2 if plain => (DirectFn::Update(update), Arc::as_ptr(map) as *const c_void),
        3 if plain => (DirectFn::Delete(delete), Arc::as_ptr(map) as *const c_void),
        _ => return None,
    };
    let owner: Arc<dyn std::any::Any + Send + Sync> = map.clone();
    // SAFETY: `obj` is the map or its own ops object, which `owner` (the
    // map) keeps alive and in place; `update` and `delete` take a Map with
    // its key and value sizes, MapOps::direct_lookup promises its function
    // takes the ops object so; none unwinds.
    Some(unsafe { DirectCall::new(pc, handle, map.key_size, map.value_size, func, obj, owner) })
}
