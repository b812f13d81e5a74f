//! The map commands of bpf(2), step by step as kernel/bpf/syscall.c (6.18)
//! takes them, each with the kernel's errno: BPF_MAP_CREATE, the element
//! commands (LOOKUP, UPDATE, DELETE, GET_NEXT_KEY, LOOKUP_AND_DELETE),
//! FREEZE, the four batch commands, MAP_GET_NEXT_ID, MAP_GET_FD_BY_ID and
//! the map half of OBJ_GET_INFO_BY_FD; and the typed API over them
//! ([`Process::map_create`] and friends), which packs attrs as libbpf
//! does and goes through `sys_bpf` like any caller.

use std::sync::Arc;

use super::fdtable::FdObject;
use super::obj_info::UserInfo;
use super::{AttrOut, Process};
use crate::maps::btf_record::{map_check_btf, BtfRecord, MapBtf, MapBtfCheck};
use crate::maps::hash::Htab;
use crate::maps::{
    map_type_ops, round8, user_value_size, Caller, CreateCtx, FdResolver, FileMode, Map, MapAttr, MapParts, Privilege,
};
use crate::prog::Prog;
use crate::uapi::attr::{batch as B, by_id, info_by_fd, map_by_id, map_create as C, map_elem as E};
use crate::uapi::map_info as I;
use crate::uapi::types::{cmd, elem_flags as ef, map_flags as mf, map_type as mt};
use crate::uapi::PAGE_SIZE;
use crate::uapi::{Attr, Errno};
use crate::user_mem::{UserBuffers, UserMemory};

impl FdResolver for Process {
    fn prog_fd(&self, fd: u32) -> Result<Arc<Prog>, Errno> {
        self.prog_by_fd(fd)
    }

    fn map_fd(&self, fd: u32) -> Result<Arc<Map>, Errno> {
        self.map_by_fd(fd).map(|(m, _)| m)
    }

    fn fd_open(&self, fd: u32) -> bool {
        self.fds.lock().expect("fd lock").get(fd).is_some()
    }
}

impl Process {
    /// The map behind `fd` and the fd's access mode: EBADF if not open,
    /// EINVAL if not a map (__bpf_map_get).
    pub fn map_by_fd(&self, fd: u32) -> Result<(Arc<Map>, FileMode), Errno> {
        match self.fds.lock().expect("fd lock").get(fd) {
            None => Err(Errno::EBADF),
            Some(FdObject::Map(m, mode)) => Ok((Arc::clone(m), *mode)),
            Some(_) => Err(Errno::EINVAL),
        }
    }

    /// bpf_map_new_fd().
    pub(crate) fn new_map_fd(&self, map: Arc<Map>, mode: FileMode) -> Result<u32, Errno> {
        self.install_fd(FdObject::Map(map, mode))
    }
}

/// map_get_sys_perms(): a frozen map can't be written through any fd.
fn sys_perms(map: &Map, mode: FileMode) -> FileMode {
    FileMode {
        read: mode.read,
        write: mode.write && !map.frozen(),
    }
}

/// __bpf_copy_key(): `key_size` bytes, or for keyless maps no pointer at
/// all (a pointer is EINVAL).
fn copy_key(mem: &dyn UserMemory, ukey: u64, key_size: u32) -> Result<Vec<u8>, Errno> {
    if key_size == 0 {
        return if ukey != 0 { Err(Errno::EINVAL) } else { Ok(Vec::new()) };
    }
    let mut k = vec![0u8; key_size as usize];
    mem.read(ukey, &mut k)?;
    Ok(k)
}

/// BPF_F_LOCK needs a bpf_spin_lock in the value (EINVAL otherwise).
fn check_lock(m: &Map, flags: u64) -> Result<(), Errno> {
    if flags & ef::LOCK != 0 && m.record().spin_lock_off().is_none() {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

/// The kernel's isalnum() (lib/ctype.c), for map names.
fn name_from_attr(raw: &[u8]) -> Result<Vec<u8>, Errno> {
    super::prog_load::obj_name(raw)
}

pub(crate) fn map_create(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    let k = &p.kernel;
    attr.check_unused_zero(C::LAST_FIELD_END)?;
    // BPF_F_TOKEN_FD is remembered and cleared before the type checks.
    let raw_flags = attr.u32(C::MAP_FLAGS);
    let token_flag = raw_flags & mf::TOKEN_FD != 0;
    let map_flags = raw_flags & !mf::TOKEN_FD;
    let map_type = attr.u32(C::MAP_TYPE);
    if attr.u32(C::BTF_VMLINUX_VALUE_TYPE_ID) != 0 {
        if map_type != mt::STRUCT_OPS || attr.u32(C::BTF_KEY_TYPE_ID) != 0 || attr.u32(C::BTF_VALUE_TYPE_ID) != 0 {
            return Err(Errno::EINVAL);
        }
    } else if attr.u32(C::BTF_KEY_TYPE_ID) != 0 && attr.u32(C::BTF_VALUE_TYPE_ID) == 0 {
        return Err(Errno::EINVAL);
    }
    let map_extra = attr.u64(C::MAP_EXTRA);
    if map_type != mt::BLOOM_FILTER && map_type != mt::ARENA && map_extra != 0 {
        return Err(Errno::EINVAL);
    }
    let mode = FileMode::from_flags(map_flags)?;
    let a = MapAttr {
        map_type,
        key_size: attr.u32(C::KEY_SIZE),
        value_size: attr.u32(C::VALUE_SIZE),
        max_entries: attr.u32(C::MAX_ENTRIES),
        map_flags,
        inner_map_fd: attr.u32(C::INNER_MAP_FD),
        numa_node: attr.u32(C::NUMA_NODE),
        map_extra,
        btf_key_type_id: attr.u32(C::BTF_KEY_TYPE_ID),
        btf_value_type_id: attr.u32(C::BTF_VALUE_TYPE_ID),
        btf_vmlinux_value_type_id: attr.u32(C::BTF_VMLINUX_VALUE_TYPE_ID),
    };
    // One NUMA node (0).
    if a.numa_node().is_some_and(|n| n != 0) {
        return Err(Errno::EINVAL);
    }
    let ops = map_type_ops(map_type).ok_or(Errno::EINVAL)?;
    let ncpus = k.config.possible_cpus.max(1);
    let ctx = CreateCtx {
        ncpus,
        creds: &p.creds,
        fds: p,
        ifindexes: k.config.net_devices.iter().map(|d| d.ifindex).collect(),
    };
    (ops.alloc_check)(&a, &ctx)?;
    if token_flag {
        // No fd is a BPF token here (bpf_token_get_from_fd).
        let fd = attr.u32(C::MAP_TOKEN_FD);
        return Err(if p.fds.lock().expect("fd lock").get(fd).is_some() {
            Errno::EINVAL
        } else {
            Errno::EBADF
        });
    }
    let bpf_cap = p.creds.bpf_capable();
    if k.config.sysctls.unprivileged_bpf_disabled != 0 && !bpf_cap {
        return Err(Errno::EPERM);
    }
    match ops.privilege {
        Privilege::Unprivileged => {}
        Privilege::Bpf if bpf_cap => {}
        Privilege::NetAdmin if p.creds.net_admin() => {}
        _ => return Err(Errno::EPERM),
    }
    let ifindex = attr.u32(C::MAP_IFINDEX);
    if ifindex != 0 {
        // bpf_map_offload_map_alloc(): only the loopback device exists and
        // it can't offload.
        if !p.creds.caps.sys_admin {
            return Err(Errno::EPERM);
        }
        if map_type != mt::ARRAY && map_type != mt::HASH {
            return Err(Errno::EINVAL);
        }
        return Err(if ifindex == 1 { Errno::EOPNOTSUPP } else { Errno::EINVAL });
    }
    // The element area alone (prealloc'ed types) must fit the memlock
    // limit: refused before allocating rather than after.
    let floor = (a.max_entries as u64).saturating_mul((round8(a.key_size) + round8(a.value_size)) as u64);
    if !matches!(map_type, mt::RINGBUF | mt::USER_RINGBUF | mt::BLOOM_FILTER) && a.map_flags & mf::NO_PREALLOC == 0
        || map_type == mt::LPM_TRIE
    {
        k.memlock.check(p.creds.uid, floor / PAGE_SIZE)?;
    }
    let mut map_ops = (ops.alloc)(&a, &ctx)?;
    let mut a = a;
    a.map_flags |= map_ops.forced_flags();
    let map_flags = a.map_flags;
    let name = name_from_attr(attr.slice(C::MAP_NAME, 16))?;
    let (key_id, value_id) = (attr.u32(C::BTF_KEY_TYPE_ID), attr.u32(C::BTF_VALUE_TYPE_ID));
    let mut map_btf = None;
    if key_id != 0 || value_id != 0 || attr.u32(C::BTF_VMLINUX_VALUE_TYPE_ID) != 0 {
        // btf_get_by_fd(); no BTF here is the kernel's own (EACCES).
        let btf = p.btf_by_fd(attr.u32(C::BTF_FD))?;
        let mut record = BtfRecord::default();
        if value_id != 0 {
            let check = MapBtfCheck {
                map_type,
                key_size: a.key_size,
                value_size: a.value_size,
                max_entries: a.max_entries,
                map_flags,
                bpf_capable: p.creds.bpf_capable(),
            };
            record = map_check_btf(&btf, &check, key_id, value_id)?;
            map_ops.set_record(record);
        }
        map_btf = Some(MapBtf {
            btf,
            key_type_id: key_id,
            value_type_id: value_id,
            record,
        });
    }
    let excl_prog_hash = match (attr.u64(C::EXCL_PROG_HASH), attr.u32(C::EXCL_PROG_HASH_SIZE)) {
        (0, 0) => None,
        (0, _) => return Err(Errno::EINVAL),
        (_, n) if n != 32 => return Err(Errno::EINVAL),
        (ptr, _) => {
            let mut h = [0u8; 32];
            mem.read(ptr, &mut h)?;
            Some(h)
        }
    };
    // Charged in whole pages, as bpf_map_charge_init did.
    let pages = map_ops.mem_usage().div_ceil(PAGE_SIZE);
    let memlock = k.memlock.charge(p.creds.uid, pages)?;
    let id = k.maps.alloc()?;
    let map = Arc::new(Map::new(
        MapParts {
            attr: a,
            name,
            ncpus,
            ops: map_ops,
            excl_prog_hash,
            btf: map_btf,
            memlock: Some(memlock),
        },
        id,
    ));
    k.maps.publish(map.id(), &map);
    p.new_map_fd(map, mode)
}

/// The map an element command names, with the fd's permissions.
fn elem_map(p: &Process, attr: &Attr) -> Result<(Arc<Map>, FileMode), Errno> {
    let (m, mode) = p.map_by_fd(attr.u32(E::MAP_FD))?;
    let perms = sys_perms(&m, mode);
    Ok((m, perms))
}

/// An element command that writes: `f` runs on the map with
/// bpf_map_write_active_inc() held (taken before the permission check, as
/// the kernel does); EPERM without write permission.
fn with_writable_map(p: &Process, attr: &Attr, f: impl FnOnce(&Map) -> Result<u32, Errno>) -> Result<u32, Errno> {
    let (m, perms) = elem_map(p, attr)?;
    let _active = m.write_active();
    if !perms.write {
        return Err(Errno::EPERM);
    }
    f(&m)
}

/// A lookup's attr checked (CHECK_ATTR) and its flags: BPF_F_LOCK or none.
fn lock_only_flags(attr: &Attr) -> Result<u64, Errno> {
    attr.check_unused_zero(E::FLAGS_LAST_FIELD_END)?;
    let flags = attr.u64(E::FLAGS);
    if flags & !ef::LOCK != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(flags)
}

pub(crate) fn map_lookup_elem(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    let flags = lock_only_flags(attr)?;
    let (m, perms) = elem_map(p, attr)?;
    if !perms.read {
        return Err(Errno::EPERM);
    }
    check_lock(&m, flags)?;
    let key = copy_key(mem, attr.u64(E::KEY), m.key_size)?;
    let mut value = vec![0u8; m.user_value_size()];
    let uvalue = attr.u64(E::VALUE);
    if m.map_type == mt::BLOOM_FILTER {
        // The value is the input; nothing is copied back.
        mem.read(uvalue, &mut value)?;
        return m.ops.lookup(&key, &mut value).map(|()| 0);
    }
    if flags & ef::LOCK != 0 {
        m.ops.lookup_locked(&key, &mut value)?;
    } else {
        m.ops.lookup_sys(&key, &mut value, p)?;
    }
    mem.write(uvalue, &value)?;
    Ok(0)
}

pub(crate) fn map_update_elem(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    attr.check_unused_zero(E::FLAGS_LAST_FIELD_END)?;
    with_writable_map(p, attr, |m| {
        let flags = attr.u64(E::FLAGS);
        check_lock(m, flags)?;
        let key = copy_key(mem, attr.u64(E::KEY), m.key_size)?;
        let mut value = vec![0u8; m.user_value_size()];
        mem.read(attr.u64(E::VALUE), &mut value)?;
        m.ops.update(&key, &value, flags, Caller::Syscall(p)).map(|()| 0)
    })
}

pub(crate) fn map_delete_elem(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    attr.check_unused_zero(E::DELETE_LAST_FIELD_END)?;
    with_writable_map(p, attr, |m| {
        let key = copy_key(mem, attr.u64(E::KEY), m.key_size)?;
        m.ops.delete_sys(&key, p).map(|()| 0)
    })
}

pub(crate) fn map_get_next_key(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    attr.check_unused_zero(E::NEXT_KEY_LAST_FIELD_END)?;
    let (m, perms) = elem_map(p, attr)?;
    if !perms.read {
        return Err(Errno::EPERM);
    }
    let ukey = attr.u64(E::KEY);
    let key = if ukey != 0 {
        Some(copy_key(mem, ukey, m.key_size)?)
    } else {
        None
    };
    let mut next = vec![0u8; m.key_size as usize];
    m.ops.get_next_key(key.as_deref(), &mut next)?;
    mem.write(attr.u64(E::NEXT_KEY), &next)?;
    Ok(0)
}

pub(crate) fn map_lookup_and_delete_elem(p: &Process, attr: &Attr, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
    let flags = lock_only_flags(attr)?;
    let (m, perms) = elem_map(p, attr)?;
    let _active = m.write_active();
    if !perms.read || !perms.write {
        return Err(Errno::EPERM);
    }
    let queue = matches!(m.map_type, mt::QUEUE | mt::STACK);
    if flags != 0 && queue {
        return Err(Errno::EINVAL);
    }
    check_lock(&m, flags)?;
    let key = copy_key(mem, attr.u64(E::KEY), m.key_size)?;
    let mut value = vec![0u8; m.user_value_size()];
    if queue {
        m.ops.pop(&mut value)?;
    } else if matches!(
        m.map_type,
        mt::HASH | mt::PERCPU_HASH | mt::LRU_HASH | mt::LRU_PERCPU_HASH | mt::STACK_TRACE
    ) {
        m.ops.lookup_and_delete(&key, &mut value, flags)?;
    } else {
        return Err(Errno::ENOTSUPP);
    }
    mem.write(attr.u64(E::VALUE), &value)?;
    Ok(0)
}

pub(crate) fn map_freeze(p: &Process, attr: &Attr) -> Result<u32, Errno> {
    attr.check_unused_zero(E::FREEZE_LAST_FIELD_END)?;
    let (m, perms) = elem_map(p, attr)?;
    if !perms.write {
        return Err(Errno::EPERM);
    }
    m.freeze().map(|()| 0)
}

/// BPF_MAP_{LOOKUP,LOOKUP_AND_DELETE,UPDATE,DELETE}_BATCH (bpf_map_do_batch).
pub(crate) fn map_do_batch(
    p: &Process,
    attr: &Attr,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
    command: u32,
) -> Result<u32, Errno> {
    attr.check_unused_zero(B::LAST_FIELD_END)?;
    let has_read = matches!(command, cmd::MAP_LOOKUP_BATCH | cmd::MAP_LOOKUP_AND_DELETE_BATCH);
    let has_write = command != cmd::MAP_LOOKUP_BATCH;
    let (m, mode) = p.map_by_fd(attr.u32(B::MAP_FD))?;
    let _active = has_write.then(|| m.write_active());
    let perms = sys_perms(&m, mode);
    if (has_read && !perms.read) || (has_write && !perms.write) {
        return Err(Errno::EPERM);
    }
    let ops = m.ops.batch_ops();
    let r = match command {
        cmd::MAP_LOOKUP_BATCH if ops.htab => htab_batch(p, &m, attr, out, mem, false),
        cmd::MAP_LOOKUP_BATCH if ops.generic_lookup => generic_lookup_batch(&m, attr, out, mem),
        cmd::MAP_LOOKUP_AND_DELETE_BATCH if ops.htab => htab_batch(p, &m, attr, out, mem, true),
        cmd::MAP_UPDATE_BATCH if ops.generic_update => generic_update_batch(p, &m, attr, out, mem),
        cmd::MAP_DELETE_BATCH if ops.generic_delete => generic_delete_batch(&m, attr, out, mem),
        _ => Err(Errno::ENOTSUPP),
    };
    r.map(|()| 0)
}

/// `put_user(v, &uattr->batch.count)`: the attr is the caller's memory,
/// always writable here.
fn put_count(out: &mut AttrOut<'_>, v: u32) {
    out.put_u32(B::COUNT, v);
}

fn check_elem_flags(m: &Map, attr: &Attr) -> Result<u64, Errno> {
    let f = attr.u64(B::ELEM_FLAGS);
    if f & !ef::LOCK != 0 {
        return Err(Errno::EINVAL);
    }
    check_lock(m, f)?;
    Ok(f)
}

fn generic_lookup_batch(m: &Map, attr: &Attr, out: &mut AttrOut<'_>, mem: &mut dyn UserMemory) -> Result<(), Errno> {
    let elem_flags = check_elem_flags(m, attr)?;
    let vsize = m.user_value_size();
    let ks = m.key_size as usize;
    let Some(max_count) = batch_count(attr, out) else {
        return Ok(());
    };
    let ubatch = attr.u64(B::IN_BATCH);
    let mut prev: Option<Vec<u8>> = None;
    if ubatch != 0 {
        let mut k = vec![0u8; ks];
        mem.read(ubatch, &mut k)?;
        prev = Some(k);
    }
    let (keys, values) = (attr.u64(B::KEYS), attr.u64(B::VALUES));
    let mut cp = 0u32;
    let mut err = Ok(());
    let mut key = vec![0u8; ks];
    let mut value = vec![0u8; vsize];
    while cp < max_count {
        err = m.ops.get_next_key(prev.as_deref(), &mut key);
        if err.is_err() {
            break;
        }
        err = if elem_flags & ef::LOCK != 0 {
            m.ops.lookup_locked(&key, &mut value)
        } else {
            m.ops.lookup(&key, &mut value)
        };
        match err {
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
            Ok(()) => {
                mem.write(keys.wrapping_add(cp as u64 * ks as u64), &key)?;
                mem.write(values.wrapping_add(cp as u64 * vsize as u64), &value)?;
                cp += 1;
            }
        }
        prev = Some(key.clone());
    }
    put_count(out, cp);
    if cp != 0 {
        mem.write(attr.u64(B::OUT_BATCH), prev.as_deref().unwrap_or(&[]))?;
    }
    err
}

fn generic_update_batch(
    p: &Process,
    m: &Map,
    attr: &Attr,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
) -> Result<(), Errno> {
    let flags = check_elem_flags(m, attr)?;
    let (ks, vsize) = (m.key_size as usize, m.user_value_size());
    batch_apply(attr, out, mem, ks, Some(vsize), |key, value| {
        m.ops.update(key, value, flags, Caller::Syscall(p))
    })
}

fn generic_delete_batch(m: &Map, attr: &Attr, out: &mut AttrOut<'_>, mem: &mut dyn UserMemory) -> Result<(), Errno> {
    check_elem_flags(m, attr)?;
    batch_apply(attr, out, mem, m.key_size as usize, None, |key, _| m.ops.delete(key))
}

/// The caller's `count` (how many elements at most), its write-back
/// zeroed first as the kernel does; None when it is 0: nothing to do.
fn batch_count(attr: &Attr, out: &mut AttrOut<'_>) -> Option<u32> {
    let max_count = attr.u32(B::COUNT);
    if max_count == 0 {
        return None;
    }
    put_count(out, 0);
    Some(max_count)
}

/// The loop of generic_map_{update,delete}_batch(): the `cp`th key (and
/// value, given its size) read from the caller's arrays and handed to
/// `op`, until `count` are done or one fails (EFAULT: a read failed);
/// `count` is written back as the number done.
fn batch_apply(
    attr: &Attr,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
    key_size: usize,
    value_size: Option<usize>,
    mut op: impl FnMut(&[u8], &[u8]) -> Result<(), Errno>,
) -> Result<(), Errno> {
    let Some(max_count) = batch_count(attr, out) else {
        return Ok(());
    };
    let (keys, values) = (attr.u64(B::KEYS), attr.u64(B::VALUES));
    let mut key = vec![0u8; key_size];
    let mut value = vec![0u8; value_size.unwrap_or(0)];
    let mut cp = 0;
    let mut err = Ok(());
    while cp < max_count {
        let read = mem
            .read(keys.wrapping_add(cp as u64 * key_size as u64), &mut key)
            .is_ok()
            && value_size.is_none_or(|vs| mem.read(values.wrapping_add(cp as u64 * vs as u64), &mut value).is_ok());
        if !read {
            err = Err(Errno::EFAULT);
            break;
        }
        err = op(&key, &value);
        if err.is_err() {
            break;
        }
        cp += 1;
    }
    put_count(out, cp);
    err
}

/// __htab_map_lookup_and_delete_batch(): the cursor is a bucket index;
/// whole buckets are copied, ENOSPC if the first doesn't fit.
fn htab_batch(
    _p: &Process,
    m: &Map,
    attr: &Attr,
    out: &mut AttrOut<'_>,
    mem: &mut dyn UserMemory,
    delete: bool,
) -> Result<(), Errno> {
    let h = m.downcast::<Htab>().expect("htab batch on a hash table");
    let elem_flags = check_elem_flags(m, attr)?;
    if attr.u64(B::FLAGS) != 0 {
        return Err(Errno::EINVAL);
    }
    let Some(max_count) = batch_count(attr, out) else {
        return Ok(());
    };
    let mut batch = 0u32;
    let ubatch = attr.u64(B::IN_BATCH);
    if ubatch != 0 {
        let mut b = [0u8; 4];
        mem.read(ubatch, &mut b)?;
        batch = u32::from_le_bytes(b);
    }
    if batch >= h.n_buckets() {
        return Err(Errno::ENOENT);
    }
    let ks = m.key_size as u64;
    let vs = if m.map_type == mt::HASH_OF_MAPS {
        4
    } else {
        m.user_value_size() as u64
    };
    let (ukeys, uvalues) = (attr.u64(B::KEYS), attr.u64(B::VALUES));
    let mut total = 0u32;
    let ret;
    loop {
        let copy = match h.batch_bucket(batch, max_count - total, delete, elem_flags & ef::LOCK != 0) {
            Ok(c) => c,
            Err(_) => {
                ret = if total == 0 { Err(Errno::ENOSPC) } else { Ok(()) };
                break;
            }
        };
        if copy.count == 0 && batch + 1 < h.n_buckets() {
            batch += 1;
            continue;
        }
        if copy.count != 0
            && (mem.write(ukeys.wrapping_add(total as u64 * ks), &copy.keys).is_err()
                || mem
                    .write(uvalues.wrapping_add(total as u64 * vs), &copy.values)
                    .is_err())
        {
            return Err(Errno::EFAULT);
        }
        total += copy.count;
        batch += 1;
        if batch >= h.n_buckets() {
            ret = Err(Errno::ENOENT);
            break;
        }
    }
    mem.write(attr.u64(B::OUT_BATCH), &batch.to_le_bytes())?;
    put_count(out, total);
    ret
}

pub(crate) fn map_get_next_id(p: &Process, attr: &Attr, out: &mut AttrOut<'_>) -> Result<u32, Errno> {
    attr.check_unused_zero(by_id::NEXT_ID_LAST_FIELD_END)?;
    let start = attr.u32(by_id::START_ID);
    if start >= i32::MAX as u32 {
        return Err(Errno::EINVAL);
    }
    if !p.creds.caps.sys_admin {
        return Err(Errno::EPERM);
    }
    let next = p.kernel.maps.next_after(start).ok_or(Errno::ENOENT)?;
    out.put_u32(by_id::NEXT_ID, next);
    Ok(0)
}

pub(crate) fn map_get_fd_by_id(p: &Process, attr: &Attr) -> Result<u32, Errno> {
    attr.check_unused_zero(map_by_id::FD_BY_ID_LAST_FIELD_END)?;
    let open_flags = attr.u32(map_by_id::OPEN_FLAGS);
    if open_flags & !(mf::RDONLY | mf::WRONLY) != 0 {
        return Err(Errno::EINVAL);
    }
    if !p.creds.caps.sys_admin {
        return Err(Errno::EPERM);
    }
    let mode = FileMode::from_flags(open_flags)?;
    let map = p.kernel.maps.get(attr.u32(map_by_id::MAP_ID)).ok_or(Errno::ENOENT)?;
    p.new_map_fd(map, mode)
}

/// bpf_map_get_info_by_fd()'s fields, in the caller's info (read in by
/// BPF_OBJ_GET_INFO_BY_FD); its `hash` pointer gets the map's hash.
pub(crate) fn fill_map_info(
    map: &Map,
    info: &mut UserInfo<{ I::SIZE }>,
    mem: &mut dyn UserMemory,
) -> Result<(), Errno> {
    info.set(I::TYPE, &map.map_type.to_le_bytes());
    info.set(I::ID, &map.id().to_le_bytes());
    info.set(I::KEY_SIZE, &map.key_size.to_le_bytes());
    info.set(I::VALUE_SIZE, &map.value_size.to_le_bytes());
    info.set(I::MAX_ENTRIES, &map.max_entries.to_le_bytes());
    info.set(I::MAP_FLAGS, &map.map_flags.to_le_bytes());
    info.set(I::MAP_EXTRA, &map.map_extra.to_le_bytes());
    let mut name = [0u8; 16];
    name[..map.name.len()].copy_from_slice(&map.name);
    info.set(I::NAME, &name);
    info.set(I::BTF_VMLINUX_VALUE_TYPE_ID, &0u32.to_le_bytes());
    // BTF objects have no IDs here: btf_id stays 0.
    let (key_id, value_id) = map.btf.as_ref().map_or((0, 0), |b| (b.key_type_id, b.value_type_id));
    info.set(I::BTF_KEY_TYPE_ID, &key_id.to_le_bytes());
    info.set(I::BTF_VALUE_TYPE_ID, &value_id.to_le_bytes());
    let (uhash, hash_size) = (info.u64(I::HASH), info.u32(I::HASH_SIZE));
    if uhash != 0 {
        let hash = map.ops.get_hash().ok_or(Errno::EINVAL)?;
        if hash_size != 32 {
            return Err(Errno::EINVAL);
        }
        if !map.frozen() {
            return Err(Errno::EPERM);
        }
        mem.write(uhash, &hash)?;
    } else if hash_size != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

// ---- the typed API ----

/// A BPF_MAP_CREATE, packed as libbpf's bpf_map_create() packs it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapCreateRequest {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub inner_map_fd: u32,
    pub numa_node: u32,
    /// Its first 16 bytes are sent.
    pub name: Vec<u8>,
    pub map_extra: u64,
    /// A BPF_BTF_LOAD fd and the key and value types in it (0: none).
    pub btf_fd: u32,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
}

/// One element of [`Process::map_dump`]: the key, and the value or why
/// its lookup failed.
pub type DumpedElem = (Vec<u8>, Result<Vec<u8>, Errno>);

/// What BPF_OBJ_GET_INFO_BY_FD reports of a map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub map_type: u32,
    pub id: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub name: String,
    pub map_extra: u64,
    pub btf_key_type_id: u32,
    pub btf_value_type_id: u32,
}

/// The attr size libbpf passes for element commands.
const ELEM_ATTR_SIZE: u32 = 32;

impl Process {
    fn elem_cmd(&self, command: u32, fd: u32, key: Option<&[u8]>, value: Option<Vec<u8>>, flags: u64) -> ElemOut {
        let mut mem = UserBuffers::new();
        let kaddr = key.map_or(0, |k| mem.add(if k.is_empty() { vec![0] } else { k.to_vec() }));
        let kaddr = if key.is_some_and(<[u8]>::is_empty) { 0 } else { kaddr };
        let vlen = value.as_ref().map_or(0, Vec::len);
        let vaddr = value.map_or(0, |v| mem.add(if v.is_empty() { vec![0] } else { v }));
        let mut attr = [0u8; ELEM_ATTR_SIZE as usize];
        attr[E::MAP_FD..E::MAP_FD + 4].copy_from_slice(&fd.to_le_bytes());
        attr[E::KEY..E::KEY + 8].copy_from_slice(&kaddr.to_le_bytes());
        attr[E::VALUE..E::VALUE + 8].copy_from_slice(&vaddr.to_le_bytes());
        attr[E::FLAGS..E::FLAGS + 8].copy_from_slice(&flags.to_le_bytes());
        let result = self.sys_bpf(command, &mut attr, ELEM_ATTR_SIZE, &mut mem);
        let out = if vaddr != 0 {
            mem.get(vaddr).map(|v| v[..vlen].to_vec()).unwrap_or_default()
        } else {
            Vec::new()
        };
        ElemOut { result, out }
    }

    /// BPF_MAP_CREATE.
    pub fn map_create(&self, req: &MapCreateRequest) -> Result<u32, Errno> {
        let mut attr = [0u8; C::LIBBPF_SIZE];
        let put = |a: &mut [u8], off: usize, v: u32| a[off..off + 4].copy_from_slice(&v.to_le_bytes());
        put(&mut attr, C::MAP_TYPE, req.map_type);
        put(&mut attr, C::KEY_SIZE, req.key_size);
        put(&mut attr, C::VALUE_SIZE, req.value_size);
        put(&mut attr, C::MAX_ENTRIES, req.max_entries);
        put(&mut attr, C::MAP_FLAGS, req.map_flags);
        put(&mut attr, C::INNER_MAP_FD, req.inner_map_fd);
        put(&mut attr, C::NUMA_NODE, req.numa_node);
        let name = &req.name[..req.name.len().min(16)];
        attr[C::MAP_NAME..C::MAP_NAME + name.len()].copy_from_slice(name);
        attr[C::MAP_EXTRA..C::MAP_EXTRA + 8].copy_from_slice(&req.map_extra.to_le_bytes());
        put(&mut attr, C::BTF_FD, req.btf_fd);
        put(&mut attr, C::BTF_KEY_TYPE_ID, req.btf_key_type_id);
        put(&mut attr, C::BTF_VALUE_TYPE_ID, req.btf_value_type_id);
        self.sys_bpf(
            cmd::MAP_CREATE,
            &mut attr,
            C::LIBBPF_SIZE as u32,
            &mut UserBuffers::new(),
        )
    }

    /// BPF_MAP_LOOKUP_ELEM: the value (bpf_map_value_size bytes).
    pub fn map_lookup(&self, fd: u32, key: &[u8], value_len: usize, flags: u64) -> Result<Vec<u8>, Errno> {
        let r = self.elem_cmd(cmd::MAP_LOOKUP_ELEM, fd, Some(key), Some(vec![0u8; value_len]), flags);
        r.result.map(|_| r.out)
    }

    /// BPF_MAP_UPDATE_ELEM.
    pub fn map_update(&self, fd: u32, key: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        self.elem_cmd(cmd::MAP_UPDATE_ELEM, fd, Some(key), Some(value.to_vec()), flags)
            .result
            .map(drop)
    }

    /// BPF_MAP_DELETE_ELEM.
    pub fn map_delete(&self, fd: u32, key: &[u8]) -> Result<(), Errno> {
        let mut mem = UserBuffers::new();
        let kaddr = if key.is_empty() { 0 } else { mem.add(key.to_vec()) };
        let mut attr = [0u8; 16];
        attr[..4].copy_from_slice(&fd.to_le_bytes());
        attr[8..16].copy_from_slice(&kaddr.to_le_bytes());
        self.sys_bpf(cmd::MAP_DELETE_ELEM, &mut attr, 16, &mut mem).map(drop)
    }

    /// BPF_MAP_GET_NEXT_KEY (`key` None: the first key).
    pub fn map_next_key(&self, fd: u32, key: Option<&[u8]>, key_size: usize) -> Result<Vec<u8>, Errno> {
        let r = self.elem_cmd(cmd::MAP_GET_NEXT_KEY, fd, key, Some(vec![0u8; key_size]), 0);
        r.result.map(|_| r.out)
    }

    /// BPF_MAP_LOOKUP_AND_DELETE_ELEM (queue/stack pop with an empty key).
    pub fn map_lookup_and_delete(&self, fd: u32, key: &[u8], value_len: usize) -> Result<Vec<u8>, Errno> {
        let r = self.elem_cmd(
            cmd::MAP_LOOKUP_AND_DELETE_ELEM,
            fd,
            Some(key),
            Some(vec![0u8; value_len]),
            0,
        );
        r.result.map(|_| r.out)
    }

    /// BPF_MAP_FREEZE.
    pub fn map_freeze(&self, fd: u32) -> Result<(), Errno> {
        let mut attr = fd.to_le_bytes();
        self.sys_bpf(cmd::MAP_FREEZE, &mut attr, 4, &mut UserBuffers::new())
            .map(drop)
    }

    /// BPF_MAP_GET_NEXT_ID.
    pub fn map_get_next_id(&self, start: u32) -> Result<u32, Errno> {
        let mut attr = [0u8; 12];
        attr[..4].copy_from_slice(&start.to_le_bytes());
        self.sys_bpf(cmd::MAP_GET_NEXT_ID, &mut attr, 12, &mut UserBuffers::new())?;
        Ok(u32::from_le_bytes(attr[4..8].try_into().expect("4")))
    }

    /// BPF_MAP_GET_FD_BY_ID.
    pub fn map_get_fd_by_id(&self, id: u32) -> Result<u32, Errno> {
        let mut attr = [0u8; 12];
        attr[..4].copy_from_slice(&id.to_le_bytes());
        self.sys_bpf(cmd::MAP_GET_FD_BY_ID, &mut attr, 12, &mut UserBuffers::new())
    }

    /// BPF_OBJ_GET_INFO_BY_FD for a map.
    pub fn map_info(&self, fd: u32) -> Result<MapInfo, Errno> {
        let mut mem = UserBuffers::new();
        let addr = mem.add(vec![0u8; I::SIZE]);
        let mut attr = [0u8; info_by_fd::LAST_FIELD_END];
        attr[..4].copy_from_slice(&fd.to_le_bytes());
        attr[4..8].copy_from_slice(&(I::SIZE as u32).to_le_bytes());
        attr[8..16].copy_from_slice(&addr.to_le_bytes());
        self.sys_bpf(
            cmd::OBJ_GET_INFO_BY_FD,
            &mut attr,
            info_by_fd::LAST_FIELD_END as u32,
            &mut mem,
        )?;
        let raw = mem.get(addr).expect("mapped");
        let u32_at = |off: usize| u32::from_le_bytes(raw[off..off + 4].try_into().expect("4"));
        let name_raw = &raw[I::NAME..I::NAME + 16];
        let end = name_raw.iter().position(|&b| b == 0).unwrap_or(16);
        Ok(MapInfo {
            map_type: u32_at(I::TYPE),
            id: u32_at(I::ID),
            key_size: u32_at(I::KEY_SIZE),
            value_size: u32_at(I::VALUE_SIZE),
            max_entries: u32_at(I::MAX_ENTRIES),
            map_flags: u32_at(I::MAP_FLAGS),
            name: String::from_utf8_lossy(&name_raw[..end]).into_owned(),
            map_extra: u64::from_le_bytes(raw[I::MAP_EXTRA..I::MAP_EXTRA + 8].try_into().expect("8")),
            btf_key_type_id: u32_at(I::BTF_KEY_TYPE_ID),
            btf_value_type_id: u32_at(I::BTF_VALUE_TYPE_ID),
        })
    }

    /// Every (key, value) of a map by GET_NEXT_KEY and LOOKUP, as kbpf.py's
    /// map_dump walks it: a failed lookup is reported with its errno.
    pub fn map_dump(&self, fd: u32) -> Result<Vec<DumpedElem>, Errno> {
        let (m, _) = self.map_by_fd(fd)?;
        let (ks, vs) = (m.key_size as usize, user_value_size(m.map_type, m.value_size, m.ncpus));
        let mut out = Vec::new();
        if ks == 0 {
            return Ok(out);
        }
        let mut key: Option<Vec<u8>> = None;
        while let Ok(next) = self.map_next_key(fd, key.as_deref(), ks) {
            let v = self.map_lookup(fd, &next, vs, 0);
            out.push((next.clone(), v));
            key = Some(next);
            // A map that never ends (keys vanishing under us) is cut off.
            if out.len() > m.max_entries as usize + 1 {
                break;
            }
        }
        Ok(out)
    }
}

struct ElemOut {
    result: Result<u32, Errno>,
    out: Vec<u8>,
}
