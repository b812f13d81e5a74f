//! BPF maps: the [`Map`] object that BPF_MAP_CREATE makes and fds, IDs,
//! pins and programs hold, and one [`MapOps`] implementation per map type
//! behind a registry (`map_type_ops`), as the kernel's `bpf_map_ops`
//! table.
//!
//! Two sides reach a map:
//! - the syscall side (`syscall/map_cmds.rs`) copies keys and values in and
//!   out: [`MapOps::lookup`], [`MapOps::update`], [`MapOps::delete`],
//!   [`MapOps::get_next_key`], batches;
//! - the program side (helpers, the interpreter) works on the map's *guest
//!   image*, one block of memory per map that becomes a guest region, and
//!   gets value pointers as offsets into it: `Map::prog_lookup` and
//!   friends; `guest` maps a program's maps into its guest memory and
//!   turns map handles (what ld_imm64 loads) back into maps.
//!
//! Values live at fixed places for the map's lifetime (elements come from
//! a preallocated pool), so a pointer a program got stays valid while the
//! program holds the map, as RCU guarantees in the kernel.

pub(crate) mod arena;
pub(crate) mod array;
pub(crate) mod bloom;
pub(crate) mod btf_record;
pub(crate) mod cgroup_storage;
pub(crate) mod cpumap;
pub(crate) mod devmap;
pub(crate) mod direct;
pub(crate) mod fd_array;
pub(crate) mod guest;
pub(crate) mod hash;
pub(crate) mod jhash;
pub(crate) mod local_storage;
pub(crate) mod lpm_trie;
pub(crate) mod lru;
pub(crate) mod queue_stack;
mod registry;
pub(crate) mod reuseport;
pub(crate) mod ringbuf;
pub(crate) mod shared;
pub(crate) mod sockmap;
pub(crate) mod stack_trace;
pub(crate) mod struct_ops;
pub(crate) mod user_ringbuf;
pub(crate) mod xskmap;

pub use fd_array::{FdArray, PerfEventBuf};
pub use guest::{map_base, MapTable};
pub(crate) use registry::{map_type_ops, Privilege};
pub use ringbuf::RingBuf;

use std::any::Any;
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::creds::Creds;
use crate::memlock::MemlockCharge;
use crate::prog::Prog;
use crate::syscall::idr::IdGuard;
use crate::uapi::types::{map_flags as mf, map_type as mt};
use crate::uapi::Errno;

/// offsetof(struct bpf_array, value) on x86-64: array values start this far
/// into the map's guest image, so the map handle (offset 0) and the first
/// value differ, and the kernel's inlined array lookups (`r1 += 0x138`)
/// address the same bytes here.
pub const ARRAY_VALUE_OFF: usize = 0x138;

/// Percpu values are capped at PCPU_MIN_UNIT_SIZE.
pub(crate) const PCPU_MIN_UNIT_SIZE: u32 = 32 << 10;
/// KMALLOC_MAX_SIZE on x86-64 (order-10 pages).
pub(crate) const KMALLOC_MAX_SIZE: u64 = 1 << 22;

/// round_up(x, 8).
#[inline]
pub(crate) fn round8(x: u32) -> usize {
    (x as usize).div_ceil(8) * 8
}

/// A u32 key or value field (little-endian, as the host's).
#[inline]
pub(crate) fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().expect("4 bytes"))
}

/// The get_next_key of the index-keyed types (devmap, cpumap, xskmap,
/// sockmap, reuseport_sockarray): past the end or no key starts at 0.
pub(crate) fn index_next_key(key: Option<&[u8]>, max_entries: u32, next: &mut [u8]) -> Result<(), Errno> {
    let index = key.map_or(u32::MAX, le32);
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

thread_local! {
    static CPU: Cell<u32> = const { Cell::new(0) };
}

/// The "CPU" this thread runs on (raw_smp_processor_id): the per-CPU slot
/// programs see and the local LRU lists syscalls use. 0 unless set.
#[inline]
pub(crate) fn current_cpu() -> u32 {
    CPU.with(Cell::get)
}

/// Make this thread CPU `cpu` (for runners that spread programs over
/// threads); returns the previous value.
pub fn set_current_cpu(cpu: u32) -> u32 {
    CPU.with(|c| c.replace(cpu))
}

/// BPF_MAP_CREATE's attributes as the map types check them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct MapAttr {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    pub map_extra: u64,
    /// btf_key_type_id / btf_value_type_id / btf_vmlinux_value_type_id:
    /// some types' checks demand them (local storages, struct_ops).
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
    pub btf_vmlinux_value_type_id: u32,
}

impl MapAttr {
    /// bpf_map_attr_numa_node(): the node if BPF_F_NUMA_NODE, else none.
    pub(crate) fn numa_node(&self) -> Option<u32> {
        (self.map_flags & mf::NUMA_NODE != 0).then_some(self.numa_node)
    }

    /// bpf_map_flags_access_ok(): not both RDONLY_PROG and WRONLY_PROG.
    pub(crate) fn access_ok(&self) -> bool {
        self.map_flags & (mf::RDONLY_PROG | mf::WRONLY_PROG) != (mf::RDONLY_PROG | mf::WRONLY_PROG)
    }
}

/// What a map type's checks and allocation may consult.
pub(crate) struct CreateCtx<'a> {
    /// num_possible_cpus().
    pub ncpus: u32,
    pub creds: &'a Creds,
    /// The creating process's fds (inner_map_fd of map-in-map types).
    pub fds: &'a dyn FdResolver,
    /// The ifindexes of the netns' devices (devmap values name them).
    pub ifindexes: Vec<u32>,
}

/// How map code reaches objects behind the caller's fds (values of
/// prog_array and map-in-map updates, inner_map_fd).
pub trait FdResolver {
    /// bpf_prog_get(): EBADF if not open, EINVAL if not a program.
    fn prog_fd(&self, fd: u32) -> Result<Arc<Prog>, Errno>;
    /// bpf_map_get(): EBADF if not open, EINVAL if not a map.
    fn map_fd(&self, fd: u32) -> Result<Arc<Map>, Errno>;
    /// Whether `fd` is open. Every object behind an fd here (map, program,
    /// BTF) is an anonymous-inode file: no socket, pidfd or cgroup.
    fn fd_open(&self, fd: u32) -> bool;
}

/// Who is updating: user space copies every CPU's value of a per-CPU map;
/// a program writes its own CPU's.
#[derive(Clone, Copy)]
pub enum Caller<'a> {
    Syscall(&'a dyn FdResolver),
    Prog { cpu: u32 },
}

/// Memory a map exposes to programs, as one guest region.
#[derive(Clone, Copy, Debug)]
pub struct GuestImage {
    pub ptr: *mut u8,
    pub len: usize,
}

impl GuestImage {
    pub const EMPTY: GuestImage = GuestImage {
        ptr: std::ptr::NonNull::<u64>::dangling().as_ptr() as *mut u8,
        len: 0,
    };
}

/// Which batch commands a map type has (NULL ops are ENOTSUPP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchOps {
    /// generic_map_lookup_batch (keys as cursors).
    pub generic_lookup: bool,
    /// generic_map_update_batch.
    pub generic_update: bool,
    /// generic_map_delete_batch.
    pub generic_delete: bool,
    /// The hash tables' bucket-cursor lookup and lookup-and-delete.
    pub htab: bool,
}

/// How a map compares to an inner-map template (map_meta_equal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaEq {
    /// No map_meta_equal: can't be an inner map (ENOTSUPP).
    None,
    /// bpf_map_meta_equal: type, key/value size, flags.
    Basic,
    /// array_map_meta_equal: also max_entries, unless BPF_F_INNER_MAP.
    Array,
}

/// The operations of one map type (struct bpf_map_ops). Errors are the
/// kernel's errno for the same situation.
pub trait MapOps: Send + Sync + 'static {
    /// map_mem_usage(): bytes, for memlock accounting.
    fn mem_usage(&self) -> u64;

    /// bpf_map_copy_value(): the value as user space sees it
    /// (`value.len()` is bpf_map_value_size: all CPUs for per-CPU maps, a
    /// u32 id for fd maps). Bloom filters get the value to test in `value`.
    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno>;

    /// bpf_map_update_value() / map_update_elem().
    fn update(&self, key: &[u8], value: &[u8], flags: u64, caller: Caller<'_>) -> Result<(), Errno>;

    /// map_delete_elem().
    fn delete(&self, key: &[u8]) -> Result<(), Errno>;

    /// The syscall's lookup (bpf_map_copy_value, map_lookup_elem_sys_only):
    /// types whose keys are fds resolve them in the caller's table.
    fn lookup_sys(&self, key: &[u8], value: &mut [u8], _fds: &dyn FdResolver) -> Result<(), Errno> {
        self.lookup(key, value)
    }

    /// The syscall's delete (keys that are fds, as `lookup_sys`).
    fn delete_sys(&self, key: &[u8], _fds: &dyn FdResolver) -> Result<(), Errno> {
        self.delete(key)
    }

    /// Flags map_alloc adds to the map's (devmaps: BPF_F_RDONLY_PROG).
    fn forced_flags(&self) -> u32 {
        0
    }

    /// map_get_next_key(); `key` None: the first key.
    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno>;

    /// bpf_map_copy_value() with BPF_F_LOCK: the value copied under its
    /// bpf_spin_lock (only maps whose value has one get here).
    fn lookup_locked(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        self.lookup(key, value)
    }

    /// map_check_btf() found these special fields in the value: copies
    /// must go around them (called once, before the map is published).
    fn set_record(&mut self, _record: btf_record::BtfRecord) {}

    /// map_lookup_and_delete_elem() (hash types; queue/stack pop).
    fn lookup_and_delete(&self, _key: &[u8], _value: &mut [u8], _flags: u64) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    fn batch_ops(&self) -> BatchOps {
        BatchOps::default()
    }

    /// bpf_map_meta_equal() or the type's own: how an inner map template
    /// is compared (most types: the basic fields).
    fn meta_eq(&self) -> MetaEq {
        MetaEq::Basic
    }

    /// For map-in-map types: the inner map template.
    fn inner_meta(&self) -> Option<&MapMeta> {
        None
    }

    /// map_direct_value_addr(): None if the type has none, else the value
    /// area's offset in the guest image (or the kernel's errno).
    fn direct_value_addr(&self, _off: u32) -> Option<Result<usize, Errno>> {
        None
    }

    /// map_gen_lookup(): the instructions the verifier's fixups put in
    /// place of a bpf_map_lookup_elem call (r1 = map, r2 = key, result in
    /// r0), when the type has an inline form that works on its guest image.
    fn gen_lookup(&self) -> Option<Vec<crate::isa::Insn>> {
        None
    }

    /// A native lookup JIT code may call directly with the key's host
    /// address (the kernel's JIT calls __htab_map_lookup_elem so), and the
    /// object to pass it, which must be `self`: the function must accept
    /// it with any `key_size` readable key bytes, from any thread, without
    /// unwinding. See exec/jit/direct.rs.
    fn direct_lookup(&self) -> Option<(crate::exec::jit::direct::LookupFn, *const std::ffi::c_void)> {
        None
    }

    /// map_get_hash(): SHA-256 of the contents (arrays).
    fn get_hash(&self) -> Option<[u8; 32]> {
        None
    }

    /// The memory programs may point into.
    fn image(&self) -> GuestImage {
        GuestImage::EMPTY
    }

    /// map_lookup_elem() from a program: the value's offset in the image.
    fn prog_lookup(&self, _key: &[u8], _cpu: u32) -> Option<usize> {
        None
    }

    /// Map-in-map lookup from a program: the inner map.
    fn prog_lookup_map(&self, _key: &[u8]) -> Option<Arc<Map>> {
        None
    }

    /// map_push_elem / map_pop_elem / map_peek_elem (queue, stack, bloom).
    fn push(&self, _value: &[u8], _flags: u64) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }
    fn pop(&self, _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }
    fn peek(&self, _value: &mut [u8]) -> Result<(), Errno> {
        Err(Errno::ENOTSUPP)
    }

    /// The last user reference (fd or pin) went away (map_release_uref).
    fn release_uref(&self) {}

    /// Type-specific interfaces (ring buffer consumers, prog_array slots).
    fn as_any(&self) -> &dyn Any;
}

/// An inner-map template (bpf_map_meta_alloc): what every inner map of a
/// map-in-map must match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapMeta {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub eq: MetaEq,
}

impl MapMeta {
    /// map_meta_equal(meta, inner).
    pub fn matches(&self, m: &Map) -> bool {
        let basic = self.map_type == m.map_type
            && self.key_size == m.key_size
            && self.value_size == m.value_size
            && self.map_flags == m.map_flags;
        match self.eq {
            MetaEq::Array => basic && (self.map_flags & mf::INNER_MAP != 0 || self.max_entries == m.max_entries),
            _ => basic,
        }
    }
}

/// bpf_map_value_size(): bytes of a value as user space passes it.
pub fn user_value_size(map_type: u32, value_size: u32, ncpus: u32) -> usize {
    match map_type {
        mt::PERCPU_HASH | mt::LRU_PERCPU_HASH | mt::PERCPU_ARRAY | mt::PERCPU_CGROUP_STORAGE => {
            round8(value_size) * ncpus as usize
        }
        t if is_fd_map(t) => 4,
        _ => value_size as usize,
    }
}

/// IS_FD_MAP(): maps whose values are fds in and ids out.
pub(crate) fn is_fd_map(t: u32) -> bool {
    matches!(
        t,
        mt::PROG_ARRAY | mt::PERF_EVENT_ARRAY | mt::CGROUP_ARRAY | mt::ARRAY_OF_MAPS | mt::HASH_OF_MAPS
    )
}

/// What a map fd may do (its f_mode): read (lookup, get_next_key, ...)
/// and write (update, delete, freeze, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMode {
    pub read: bool,
    pub write: bool,
}

impl FileMode {
    pub const RDWR: FileMode = FileMode {
        read: true,
        write: true,
    };

    /// bpf_get_file_flag(): BPF_F_RDONLY / BPF_F_WRONLY (EINVAL if both).
    pub fn from_flags(flags: u32) -> Result<FileMode, Errno> {
        match (flags & mf::RDONLY != 0, flags & mf::WRONLY != 0) {
            (true, true) => Err(Errno::EINVAL),
            (true, false) => Ok(FileMode {
                read: true,
                write: false,
            }),
            (false, true) => Ok(FileMode {
                read: false,
                write: true,
            }),
            (false, false) => Ok(FileMode::RDWR),
        }
    }
}

/// The owner of a prog_array: the first program stored or loaded with it
/// fixes the program type (bpf_prog_map_compatible); see
/// `fd_array::FdArray::prog_compatible`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgOwner {
    pub prog_type: u32,
    pub jited: bool,
    pub xdp_has_frags: bool,
}

/// A map. Its resources (ID, memlock charge) are owned guards released when
/// the last reference (fd, pin, program, outer map) goes.
pub struct Map {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    /// The permanent flags (bpf_map_flags_retain_permanent: without
    /// BPF_F_RDONLY / BPF_F_WRONLY, which belong to the fd).
    pub map_flags: u32,
    pub map_extra: u64,
    /// Up to 15 bytes.
    pub name: Vec<u8>,
    /// num_possible_cpus() at creation.
    pub ncpus: u32,
    pub(crate) ops: Box<dyn MapOps>,
    frozen: AtomicBool,
    freeze_lock: Mutex<()>,
    write_active: AtomicU64,
    pub(crate) excl_prog_hash: Option<[u8; 32]>,
    /// The BTF the map was created with (map->btf), if any.
    pub btf: Option<btf_record::MapBtf>,
    pub(crate) id: IdGuard<Map>,
    pub(crate) _memlock: Option<MemlockCharge>,
}

impl std::fmt::Debug for Map {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Map")
            .field("id", &self.id())
            .field("type", &self.map_type)
            .field("key_size", &self.key_size)
            .field("value_size", &self.value_size)
            .field("max_entries", &self.max_entries)
            .field("name", &String::from_utf8_lossy(&self.name))
            .finish()
    }
}

/// The parts of a map decided before it gets an ID.
pub(crate) struct MapParts {
    pub attr: MapAttr,
    pub name: Vec<u8>,
    pub ncpus: u32,
    pub ops: Box<dyn MapOps>,
    pub excl_prog_hash: Option<[u8; 32]>,
    pub btf: Option<btf_record::MapBtf>,
    pub memlock: Option<MemlockCharge>,
}

impl Map {
    pub(crate) fn new(parts: MapParts, id: IdGuard<Map>) -> Map {
        let a = parts.attr;
        Map {
            map_type: a.map_type,
            key_size: a.key_size,
            value_size: a.value_size,
            max_entries: effective_max_entries(&a, parts.ncpus),
            map_flags: a.map_flags & !(mf::RDONLY | mf::WRONLY),
            map_extra: a.map_extra,
            name: parts.name,
            ncpus: parts.ncpus,
            ops: parts.ops,
            frozen: AtomicBool::new(false),
            freeze_lock: Mutex::new(()),
            write_active: AtomicU64::new(0),
            excl_prog_hash: parts.excl_prog_hash,
            btf: parts.btf,
            id,
            _memlock: parts.memlock,
        }
    }

    pub fn id(&self) -> u32 {
        self.id.id()
    }

    pub fn ops(&self) -> &dyn MapOps {
        &*self.ops
    }

    /// The type-specific object (e.g. `ringbuf::RingBuf`), if it is `T`.
    pub fn downcast<T: 'static>(&self) -> Option<&T> {
        self.ops.as_any().downcast_ref::<T>()
    }

    /// The value's special fields (empty without BTF).
    pub fn record(&self) -> btf_record::BtfRecord {
        self.btf.as_ref().map(|b| b.record).unwrap_or_default()
    }

    /// bpf_map_is_rdonly(): read-only to programs and frozen.
    pub(crate) fn is_rdonly(&self) -> bool {
        self.map_flags & mf::RDONLY_PROG != 0 && self.frozen()
    }

    pub fn frozen(&self) -> bool {
        self.frozen.load(Ordering::Acquire)
    }

    /// bpf_map_value_size() for this map.
    pub fn user_value_size(&self) -> usize {
        user_value_size(self.map_type, self.value_size, self.ncpus)
    }

    /// BPF_MAP_FREEZE: EBUSY if already frozen or a write is in flight.
    pub(crate) fn freeze(&self) -> Result<(), Errno> {
        let _g = self.freeze_lock.lock().expect("freeze lock");
        if self.write_active.load(Ordering::Acquire) != 0 || self.frozen() {
            return Err(Errno::EBUSY);
        }
        self.frozen.store(true, Ordering::Release);
        Ok(())
    }

    /// bpf_map_write_active_inc(): a syscall write in progress, which
    /// freezing must wait out. Dropping the guard ends it.
    pub(crate) fn write_active(&self) -> WriteActive<'_> {
        self.write_active.fetch_add(1, Ordering::AcqRel);
        WriteActive(self)
    }

    /// The inner-map template of a map-in-map.
    pub(crate) fn inner_meta(&self) -> Option<&MapMeta> {
        self.ops.inner_meta()
    }

    /// This map as an inner-map template (bpf_map_meta_alloc): EINVAL for
    /// a map-in-map, ENOTSUPP for types without map_meta_equal.
    pub(crate) fn as_meta(&self) -> Result<MapMeta, Errno> {
        if self.inner_meta().is_some() {
            return Err(Errno::EINVAL);
        }
        let eq = self.ops.meta_eq();
        if eq == MetaEq::None {
            return Err(Errno::ENOTSUPP);
        }
        Ok(MapMeta {
            map_type: self.map_type,
            key_size: self.key_size,
            value_size: self.value_size,
            max_entries: self.max_entries,
            map_flags: self.map_flags,
            eq,
        })
    }

    // ---- the program side: what helpers call ----

    /// bpf_map_lookup_elem() from a program, on `cpu`: the offset of the
    /// value in [`Map::image`], or None (the helper returns NULL). `key`
    /// must be `key_size` bytes.
    #[inline]
    pub(crate) fn prog_lookup(&self, key: &[u8], cpu: u32) -> Option<usize> {
        self.ops.prog_lookup(key, cpu)
    }

    /// bpf_map_update_elem() from a program running on `cpu`.
    pub(crate) fn prog_update(&self, key: &[u8], value: &[u8], flags: u64, cpu: u32) -> Result<(), Errno> {
        self.ops.update(key, value, flags, Caller::Prog { cpu })
    }

    /// bpf_map_delete_elem() from a program.
    pub(crate) fn prog_delete(&self, key: &[u8]) -> Result<(), Errno> {
        self.ops.delete(key)
    }

    /// bpf_map_push_elem / pop / peek from a program.
    pub(crate) fn prog_push(&self, value: &[u8], flags: u64) -> Result<(), Errno> {
        self.ops.push(value, flags)
    }
    pub(crate) fn prog_pop(&self, value: &mut [u8]) -> Result<(), Errno> {
        self.ops.pop(value)
    }
    pub(crate) fn prog_peek(&self, value: &mut [u8]) -> Result<(), Errno> {
        self.ops.peek(value)
    }

    /// The inner map at `key` of a map-in-map (program-side lookup).
    pub(crate) fn prog_lookup_map(&self, key: &[u8]) -> Option<Arc<Map>> {
        self.ops.prog_lookup_map(key)
    }

    /// The memory programs may address: values at offsets `prog_lookup`
    /// returns. Valid for as long as the map lives.
    pub fn image(&self) -> GuestImage {
        self.ops.image()
    }

    /// Programs may not write values of BPF_F_RDONLY_PROG maps.
    pub(crate) fn prog_writable(&self) -> bool {
        self.map_flags & mf::RDONLY_PROG == 0
    }
}

/// A syscall write in flight (see [`Map::write_active`]).
pub(crate) struct WriteActive<'a>(&'a Map);

impl Drop for WriteActive<'_> {
    fn drop(&mut self) {
        self.0.write_active.fetch_sub(1, Ordering::AcqRel);
    }
}

/// max_entries as the map reports it: per-CPU LRU lists round it to a
/// multiple of the CPU count (down if rounding up would overflow).
pub(crate) fn effective_max_entries(a: &MapAttr, ncpus: u32) -> u32 {
    let lru = matches!(a.map_type, mt::LRU_HASH | mt::LRU_PERCPU_HASH);
    if lru && a.map_flags & mf::NO_COMMON_LRU != 0 && ncpus > 0 {
        let up = (a.max_entries as u64).div_ceil(ncpus as u64) * ncpus as u64;
        if up <= u32::MAX as u64 {
            up as u32
        } else {
            a.max_entries / ncpus * ncpus
        }
    } else {
        a.max_entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_value_sizes() {
        assert_eq!(user_value_size(mt::HASH, 5, 4), 5);
        assert_eq!(user_value_size(mt::PERCPU_ARRAY, 5, 4), 32);
        assert_eq!(user_value_size(mt::LRU_PERCPU_HASH, 16, 3), 48);
        assert_eq!(user_value_size(mt::ARRAY_OF_MAPS, 4, 4), 4);
    }

    #[test]
    fn percpu_lru_rounds_max_entries() {
        let a = MapAttr {
            map_type: mt::LRU_HASH,
            max_entries: 5,
            map_flags: mf::NO_COMMON_LRU,
            ..Default::default()
        };
        assert_eq!(effective_max_entries(&a, 4), 8);
        let a = MapAttr {
            max_entries: u32::MAX,
            ..a
        };
        assert_eq!(effective_max_entries(&a, 4), u32::MAX / 4 * 4);
    }
}
