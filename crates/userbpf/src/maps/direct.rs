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
use crate::uapi::helper_ids::func::*;
use crate::uapi::types::map_type as mt;

/// Largest key and value the direct calls copy (bigger ones take the
/// helper path).
const MAX_KEY: usize = 64;
const MAX_VALUE: usize = 256;

/// `len` bytes at `src` into `buf`, as a slice; None when too long.
/// Word-sized keys (the common ones) without a call to memcpy.
///
/// # Safety
/// `src` points at `len` readable bytes.
#[inline(always)]
pub(crate) unsafe fn copy_in<const N: usize>(
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

/// The direct form of a call of helper `helper` (bpf_map_lookup_elem,
/// _update_elem, _delete_elem) at `pc` on
/// used map `map` (handle `handle`), if the map has one: lookups on hash
/// tables, updates and deletes on arrays and hash tables (per-CPU maps
/// and maps of maps keep the helper).
pub fn direct_call(pc: usize, helper: i32, handle: u64, map: &Arc<Map>) -> Option<DirectCall> {
    let plain = matches!(map.map_type, mt::ARRAY | mt::HASH | mt::LRU_HASH);
    let (func, obj) = match helper {
        BPF_FUNC_MAP_LOOKUP_ELEM => {
            let (f, obj) = map.ops().direct_lookup()?;
            (DirectFn::Lookup(f), obj)
        }
        BPF_FUNC_MAP_UPDATE_ELEM if plain => (DirectFn::Update(update), Arc::as_ptr(map) as *const c_void),
        BPF_FUNC_MAP_DELETE_ELEM if plain => (DirectFn::Delete(delete), Arc::as_ptr(map) as *const c_void),
        _ => return None,
    };
    let owner: Arc<dyn std::any::Any + Send + Sync> = map.clone();
    // SAFETY: `obj` is the map or its own ops object, which `owner` (the
    // map) keeps alive and in place; `update` and `delete` take a Map with
    // its key and value sizes, MapOps::direct_lookup promises its function
    // takes the ops object so; none unwinds.
    Some(unsafe { DirectCall::new(pc, handle, map.key_size, map.value_size, func, obj, owner) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maps::guest::map_base;
    use crate::uapi::Errno;
    use crate::{Bpf, Config, Creds, MapCreateRequest};

    fn map(p: &crate::Process, map_type: u32) -> Arc<Map> {
        let fd = p
            .map_create(&MapCreateRequest {
                map_type,
                key_size: 4,
                value_size: 8,
                max_entries: 4,
                ..Default::default()
            })
            .unwrap();
        p.map_by_fd(fd).unwrap().0
    }

    /// The functions the JIT calls, called as it does (raw pointers),
    /// answer as the helpers do: r0 = 0 or the negative errno, a lookup
    /// the value's guest address (handle | offset) or 0.
    #[test]
    fn direct_functions_answer_as_the_helpers() {
        let bpf = Bpf::new(Config::default());
        let p = bpf.process(Creds::ROOT);
        let neg = |e: Errno| (-(e.0 as i64)) as u64;
        for map_type in [mt::ARRAY, mt::HASH, mt::LRU_HASH] {
            let m = map(&p, map_type);
            let handle = map_base(0);
            let call = |helper| direct_call(7, helper, handle, &m).expect("a direct form");
            let key = 2u32.to_le_bytes();
            let value = 0x1122u64.to_le_bytes();
            let DirectFn::Update(update) = call(BPF_FUNC_MAP_UPDATE_ELEM).func else {
                panic!("update")
            };
            // SAFETY: the map is alive (m), key and value have its sizes.
            let r = unsafe {
                update(
                    call(BPF_FUNC_MAP_UPDATE_ELEM).obj as *const c_void,
                    key.as_ptr(),
                    value.as_ptr(),
                    0,
                    0,
                )
            };
            assert_eq!(r, 0, "{map_type}");
            let mut out = vec![0u8; 8];
            m.ops().lookup(&key, &mut out).unwrap();
            assert_eq!(out, value, "{map_type}");
            // BPF_NOEXIST on a present key: -EEXIST.
            // SAFETY: as above.
            let r = unsafe {
                update(
                    call(BPF_FUNC_MAP_UPDATE_ELEM).obj as *const c_void,
                    key.as_ptr(),
                    value.as_ptr(),
                    1,
                    0,
                )
            };
            assert_eq!(r, neg(Errno::EEXIST), "{map_type}");
            if map_type != mt::ARRAY {
                let DirectFn::Lookup(lookup) = call(BPF_FUNC_MAP_LOOKUP_ELEM).func else {
                    panic!("lookup")
                };
                // SAFETY: the map's ops object (m alive), a 4-byte key.
                let r0 = unsafe {
                    lookup(
                        call(BPF_FUNC_MAP_LOOKUP_ELEM).obj as *const c_void,
                        key.as_ptr(),
                        handle,
                    )
                };
                assert_eq!(r0 & !0xffff_ffff, handle, "a pointer into the map's region");
                let missing = 3u32.to_le_bytes();
                // SAFETY: as above.
                assert_eq!(
                    unsafe {
                        lookup(
                            call(BPF_FUNC_MAP_LOOKUP_ELEM).obj as *const c_void,
                            missing.as_ptr(),
                            handle,
                        )
                    },
                    0
                );
            } else {
                assert!(
                    direct_call(7, BPF_FUNC_MAP_LOOKUP_ELEM, handle, &m).is_none(),
                    "arrays inline their lookups"
                );
            }
            let DirectFn::Delete(delete) = call(BPF_FUNC_MAP_DELETE_ELEM).func else {
                panic!("delete")
            };
            // SAFETY: the map is alive, a 4-byte key.
            let r = unsafe { delete(call(BPF_FUNC_MAP_DELETE_ELEM).obj as *const c_void, key.as_ptr()) };
            let want = if map_type == mt::ARRAY { neg(Errno::EINVAL) } else { 0 };
            assert_eq!(r, want, "{map_type}");
        }
        // Per-CPU maps keep the helper path.
        let percpu = map(&p, mt::PERCPU_ARRAY);
        assert!(direct_call(0, BPF_FUNC_MAP_UPDATE_ELEM, map_base(0), &percpu).is_none());
    }
}
