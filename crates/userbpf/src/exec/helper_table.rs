//! The table of helper functions a run can call, by id.
//!
//! Helpers see guest memory only through [`GuestMemory`], like the program.
//! A helper can end the program early (`HelperExit::Exit`), which is how the
//! bpf_conformance "unwind" helper and tail calls leave a run.

use std::sync::Arc;

use super::env::{ExecEnv, NoEnv};
use super::memory::{AccessFault, GuestMemory};

/// Why a helper did not return normally.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HelperExit {
    /// Stop the program now with this r0.
    #[error("program exit requested with r0 = {0:#x}")]
    Exit(u64),
    /// A guest memory access of the helper failed.
    #[error(transparent)]
    Fault(#[from] AccessFault),
    /// The helper failed for another reason.
    #[error("{0}")]
    Failed(String),
}

/// What a helper sees of the run that called it: the program's guest
/// memory and the run's environment (for loaded programs their maps, CPU,
/// packet, trace pipe...).
pub struct HelperCall<'c, 'm, E: ExecEnv> {
    pub mem: &'c mut GuestMemory<'m>,
    pub env: &'c E::Run<'m>,
}

/// A helper: arguments r1..r5 in, r0 out.
pub type HelperFn<E> =
    dyn for<'c, 'm> Fn(&mut HelperCall<'c, 'm, E>, &[u64; 5]) -> Result<u64, HelperExit> + Send + Sync;

/// One registered helper.
pub struct Helper<E: ExecEnv> {
    pub name: &'static str,
    pub func: Arc<HelperFn<E>>,
}

impl<E: ExecEnv> Clone for Helper<E> {
    fn clone(&self) -> Self {
        Helper {
            name: self.name,
            func: Arc::clone(&self.func),
        }
    }
}

/// Helpers by id, for runs in environment `E` (bare runs by default).
/// Cheap to clone (helpers are shared).
pub struct HelperTable<E: ExecEnv = NoEnv> {
    by_id: Vec<Option<Helper<E>>>,
    /// Helper 1 is the kernel's bpf_map_lookup_elem over the run's maps:
    /// the JIT may call the map code directly (the kernel's JIT calls
    /// htab lookups directly too, through map_gen_lookup).
    direct_map_lookup: bool,
}

impl<E: ExecEnv> Clone for HelperTable<E> {
    fn clone(&self) -> Self {
        HelperTable {
            by_id: self.by_id.clone(),
            direct_map_lookup: self.direct_map_lookup,
        }
    }
}

impl<E: ExecEnv> Default for HelperTable<E> {
    fn default() -> Self {
        HelperTable {
            by_id: Vec::new(),
            direct_map_lookup: false,
        }
    }
}

/// Ids above this are refused at registration, keeping the table small.
pub const MAX_HELPER_ID: u32 = 1 << 16;

impl HelperTable {
    /// An empty table for bare runs.
    pub fn new() -> Self {
        Self::default()
    }

    /// The helper table of the bpf_conformance plugin protocol: helper 5 is
    /// "unwind", which returns its argument and ends the program when that is
    /// 0 (as uBPF's plugin registers it).
    pub fn conformance() -> Self {
        let mut t = Self::new();
        t.register(5, "unwind", |_, args| {
            if args[0] == 0 {
                Err(HelperExit::Exit(0))
            } else {
                Ok(args[0])
            }
        });
        t
    }
}

impl<E: ExecEnv> HelperTable<E> {
    /// Declare helper 1 to be the kernel's bpf_map_lookup_elem over the
    /// run's maps ([`ExecEnv::map_lookup_elem`]), which the JIT may then
    /// call without the table.
    pub fn with_direct_map_lookup(mut self) -> Self {
        self.direct_map_lookup = true;
        self
    }

    pub fn direct_map_lookup(&self) -> bool {
        self.direct_map_lookup
    }

    /// Register (or replace) helper `id`, a function of guest memory only.
    pub fn register(
        &mut self,
        id: u32,
        name: &'static str,
        func: impl Fn(&mut GuestMemory<'_>, &[u64; 5]) -> Result<u64, HelperExit> + Send + Sync + 'static,
    ) {
        self.register_call(id, name, move |call: &mut HelperCall<'_, '_, E>, args| {
            func(call.mem, args)
        });
    }

    /// Register (or replace) helper `id`, which also sees the run's
    /// environment.
    pub fn register_call(
        &mut self,
        id: u32,
        name: &'static str,
        func: impl for<'c, 'm> Fn(&mut HelperCall<'c, 'm, E>, &[u64; 5]) -> Result<u64, HelperExit> + Send + Sync + 'static,
    ) {
        assert!(id < MAX_HELPER_ID, "helper id {id} too large");
        let i = id as usize;
        if self.by_id.len() <= i {
            self.by_id.resize(i + 1, None);
        }
        self.by_id[i] = Some(Helper {
            name,
            func: Arc::new(func),
        });
    }

    #[inline]
    pub fn get(&self, id: u64) -> Option<&Helper<E>> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.by_id.get(i))
            .and_then(Option::as_ref)
    }
}
