//! Helper calls an image makes straight into native code, skipping the
//! trampoline. The kernel's JIT does this for bpf_map_lookup_elem when the
//! verifier knows the map at the call: a hash table's `map_gen_lookup`
//! becomes a direct call of `__htab_map_lookup_elem` with the map's
//! address as a constant. Here a [`DirectLookup`] names the call site, the
//! map (as its guest handle) and a native lookup function taking the key's
//! host address; the image translates r2 (checked), calls it, and falls
//! back to the ordinary helper path whenever it can't take the short one.

use std::any::Any;
use std::ffi::c_void;
use std::sync::Arc;

/// A native lookup: `(object, host address of key_size key bytes, the
/// map's guest handle)` to r0 (0, or the handle plus the value's offset in
/// the map's region), or [`FALLBACK`].
pub type LookupFn = unsafe extern "C" fn(obj: *const c_void, key: *const u8, handle: u64) -> u64;

/// What a [`LookupFn`] returns when the image must take the ordinary
/// helper path instead (which then reports whatever went wrong, as the
/// interpreter would). Never a pointer: no region sits at its high half.
pub const FALLBACK: u64 = u64::MAX;

/// One bpf_map_lookup_elem call site compiled as a direct call.
#[derive(Clone)]
pub struct DirectLookup {
    pub(crate) pc: usize,
    /// The map's handle (maps::guest::map_base of its used-map index):
    /// r1 at the call, and the base of the pointer it returns.
    pub(crate) handle: u64,
    pub(crate) key_size: u32,
    pub(crate) func: LookupFn,
    pub(crate) obj: usize,
    /// Keeps `obj` alive as long as the image that calls it.
    pub(crate) owner: Arc<dyn Any + Send + Sync>,
}

impl std::fmt::Debug for DirectLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectLookup")
            .field("pc", &self.pc)
            .field("handle", &format_args!("{:#x}", self.handle))
            .field("key_size", &self.key_size)
            .finish()
    }
}

impl DirectLookup {
    /// # Safety
    /// `func(obj, key, handle)` must be sound to call from any thread for
    /// as long as `owner` lives, whenever `key` points at `key_size`
    /// readable bytes, and must not unwind.
    pub unsafe fn new(
        pc: usize,
        handle: u64,
        key_size: u32,
        func: LookupFn,
        obj: *const c_void,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        DirectLookup {
            pc,
            handle,
            key_size,
            func,
            obj: obj as usize,
            owner,
        }
    }

    /// The call site (pc of the `call 1` in the program).
    pub fn pc(&self) -> usize {
        self.pc
    }

    /// The object whose lookup is called (the map's, for a run to check
    /// it has the same map at `handle`).
    pub fn owner(&self) -> &Arc<dyn Any + Send + Sync> {
        &self.owner
    }

    pub fn handle(&self) -> u64 {
        self.handle
    }
}
