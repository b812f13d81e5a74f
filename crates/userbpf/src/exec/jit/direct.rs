//! Helper calls an image makes straight into native code, skipping the
//! trampoline. The kernel's JIT does this for map helpers when the
//! verifier knows the map at the call: a hash table's `map_gen_lookup`
//! becomes a direct call of `__htab_map_lookup_elem` with the map's
//! address as a constant, and bpf_map_update_elem / delete_elem calls reach
//! the map's own function. Here a [`DirectCall`] names the call site, the
//! map (as its guest handle) and a native function taking the key's (and
//! value's) host address; the image translates the pointers (checked, or in
//! the frame by its own bookkeeping), calls it, and falls back to the
//! ordinary helper path whenever it can't take the short one.

use crate::uapi::helper_ids::func::*;
use std::any::{Any, TypeId};
use std::ffi::c_void;
use std::sync::Arc;

use crate::exec::env::{EnvFn, EnvOffsets, ExecEnv, JitEnv};

/// bpf_map_lookup_elem: `(object, host address of key_size key bytes, the
/// map's guest handle)` to r0 (0, or the handle plus the value's offset in
/// the map's region), or [`FALLBACK`].
pub type LookupFn = unsafe extern "C" fn(obj: *const c_void, key: *const u8, handle: u64) -> u64;

/// bpf_map_update_elem: `(object, key, value_size value bytes, flags, the
/// run's CPU)` to r0 (0 or a negative errno), or [`FALLBACK`].
pub type UpdateFn =
    unsafe extern "C" fn(obj: *const c_void, key: *const u8, value: *const u8, flags: u64, cpu: u64) -> u64;

/// bpf_map_delete_elem: `(object, key)` to r0, or [`FALLBACK`].
pub type DeleteFn = unsafe extern "C" fn(obj: *const c_void, key: *const u8) -> u64;

/// What a direct function returns when the image must take the ordinary
/// helper path instead (which then reports whatever went wrong, as the
/// interpreter would). Neither a pointer (no region sits at its high half)
/// nor an errno.
pub const FALLBACK: u64 = u64::MAX;

/// The helper a direct call replaces, with its native function.
#[derive(Clone, Copy, Debug)]
pub enum DirectFn {
    Lookup(LookupFn),
    Update(UpdateFn),
    Delete(DeleteFn),
    /// Helper `id`, an environment helper.
    Env(i32, EnvCall),
}

/// An environment helper's function ([`EnvFn`]) with what the image needs
/// to know of the environment it takes.
#[derive(Clone, Copy, Debug)]
pub struct EnvCall {
    addr: u64,
    /// Where inlined forms of the helper find the environment's fields.
    pub(crate) offsets: EnvOffsets,
    /// The environment kind: runs in any other never take the call.
    env: TypeId,
}

impl DirectFn {
    /// The helper id the call site calls.
    pub fn helper_id(self) -> i32 {
        match self {
            DirectFn::Lookup(_) => BPF_FUNC_MAP_LOOKUP_ELEM,
            DirectFn::Update(_) => BPF_FUNC_MAP_UPDATE_ELEM,
            DirectFn::Delete(_) => BPF_FUNC_MAP_DELETE_ELEM,
            DirectFn::Env(id, _) => id,
        }
    }

    pub(crate) fn addr(self) -> u64 {
        match self {
            DirectFn::Lookup(f) => f as usize as u64,
            DirectFn::Update(f) => f as usize as u64,
            DirectFn::Delete(f) => f as usize as u64,
            DirectFn::Env(_, f) => f.addr,
        }
    }
}

/// One map-helper call site compiled as a direct call.
#[derive(Clone)]
pub struct DirectCall {
    pub(crate) pc: usize,
    /// The map's handle (maps::guest::map_base of its used-map index): r1
    /// at the call, and the base of the pointer a lookup returns.
    pub(crate) handle: u64,
    pub(crate) key_size: u32,
    pub(crate) value_size: u32,
    pub(crate) func: DirectFn,
    pub(crate) obj: usize,
    /// Keeps `obj` alive as long as the image that calls it (None for
    /// environment helpers, which take no object).
    pub(crate) owner: Option<Arc<dyn Any + Send + Sync>>,
}

impl std::fmt::Debug for DirectCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectCall")
            .field("pc", &self.pc)
            .field("helper", &self.func.helper_id())
            .field("handle", &format_args!("{:#x}", self.handle))
            .finish()
    }
}

impl DirectCall {
    /// # Safety
    /// `func` called with `obj`, a key pointer to `key_size` readable bytes
    /// (and for updates a value pointer to `value_size` readable bytes)
    /// must be sound from any thread for as long as `owner` lives, and
    /// must not unwind.
    pub unsafe fn new(
        pc: usize,
        handle: u64,
        key_size: u32,
        value_size: u32,
        func: DirectFn,
        obj: *const c_void,
        owner: Arc<dyn Any + Send + Sync>,
    ) -> Self {
        DirectCall {
            pc,
            handle,
            key_size,
            value_size,
            func,
            obj: obj as usize,
            owner: Some(owner),
        }
    }

    /// A call of environment helper `id` at `pc` (safe: the function only
    /// reads the run's environment, which the image passes, and only in
    /// runs whose environment is an `E`).
    pub fn env<E: JitEnv>(pc: usize, id: i32, func: EnvFn<E>) -> Self {
        let call = EnvCall {
            addr: func.0 as usize as u64,
            offsets: E::OFFSETS,
            env: TypeId::of::<E>(),
        };
        DirectCall {
            pc,
            handle: 0,
            key_size: 0,
            value_size: 0,
            func: DirectFn::Env(id, call),
            obj: 0,
            owner: None,
        }
    }

    /// The call site (pc of the `call` in the program).
    pub fn pc(&self) -> usize {
        self.pc
    }

    pub fn helper_id(&self) -> i32 {
        self.func.helper_id()
    }

    /// Whether a run in environment `E` may take the call: a map call
    /// when the run has the map compiled for at its handle, an
    /// environment helper when `E` is the environment it takes.
    pub(crate) fn allowed_in<E: ExecEnv>(&self, env: &E::Run<'_>) -> bool {
        match (&self.func, &self.owner) {
            (DirectFn::Env(_, call), _) => call.env == TypeId::of::<E>(),
            (_, Some(owner)) => {
                E::map_object(env, self.handle).is_some_and(|m| std::ptr::addr_eq(m, Arc::as_ptr(owner)))
            }
            (_, None) => false,
        }
    }

    /// Where an environment helper's inlined form finds the fields it
    /// reads (None for map calls).
    pub(crate) fn env_offsets(&self) -> Option<EnvOffsets> {
        match self.func {
            DirectFn::Env(_, call) => Some(call.offsets),
            _ => None,
        }
    }
}
