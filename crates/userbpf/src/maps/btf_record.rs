//! Special fields in map values: kernel/bpf/btf.c's btf_parse_fields and
//! syscall.c's map_check_btf. A map created with BTF says where its value
//! holds a `struct bpf_spin_lock`, `struct bpf_timer` or `struct bpf_wq`;
//! the map then copies values between user space and the map around those
//! bytes (copy_map_value), zeroes them in what lookups return
//! (check_and_init_map_value), takes the value's lock for BPF_F_LOCK
//! (copy_map_value_locked), and the verifier refuses loads and stores that
//! touch them.

use std::sync::atomic::AtomicU32;

use super::shared::{SharedMem, SpinLock};
use crate::btf::{Btf, BtfKind};
use crate::uapi::types::{map_flags as mf, map_type as mt};
use crate::uapi::Errno;

/// enum btf_field_type, for the fields modelled here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    SpinLock,
    Timer,
    Workqueue,
}

impl FieldKind {
    const ALL: [FieldKind; 3] = [FieldKind::SpinLock, FieldKind::Timer, FieldKind::Workqueue];

    /// btf_field_type_name(): the struct's name in BTF and in messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldKind::SpinLock => "bpf_spin_lock",
            FieldKind::Timer => "bpf_timer",
            FieldKind::Workqueue => "bpf_wq",
        }
    }

    /// btf_field_type_size() / btf_field_type_align() (uapi layouts).
    fn size_align(self) -> (u32, u32) {
        match self {
            FieldKind::SpinLock => (4, 4),
            FieldKind::Timer | FieldKind::Workqueue => (16, 8),
        }
    }

    /// The map types map_check_btf lets hold the field (else EOPNOTSUPP),
    /// among those that exist here.
    fn allowed_in(self, map_type: u32) -> bool {
        match self {
            FieldKind::SpinLock => matches!(
                map_type,
                mt::HASH
                    | mt::ARRAY
                    | mt::CGROUP_STORAGE
                    | mt::SK_STORAGE
                    | mt::INODE_STORAGE
                    | mt::TASK_STORAGE
                    | mt::CGRP_STORAGE
            ),
            FieldKind::Timer | FieldKind::Workqueue => matches!(map_type, mt::HASH | mt::LRU_HASH | mt::ARRAY),
        }
    }
}

/// One special field of a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    pub kind: FieldKind,
    pub off: u32,
    pub size: u32,
}

/// struct btf_record: the special fields of a map's value, at most one of
/// each kind (a second one is E2BIG), sorted by offset. Small and `Copy`,
/// so the verifier's map shapes carry it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BtfRecord {
    fields: [Option<Field>; 3],
}

impl BtfRecord {
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.fields.iter().flatten().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.fields[0].is_none()
    }

    /// rec->spin_lock_off.
    pub fn spin_lock_off(&self) -> Option<u32> {
        self.fields().find(|f| f.kind == FieldKind::SpinLock).map(|f| f.off)
    }

    /// The first field overlapping bytes [lo, hi) of a value.
    pub fn overlapping(&self, lo: i64, hi: i64) -> Option<Field> {
        self.fields()
            .find(|f| lo < (f.off + f.size) as i64 && (f.off as i64) < hi)
    }

    /// check_and_init_map_value(): the fields read as zeros.
    pub fn zero_fields(&self, value: &mut [u8]) {
        for f in self.fields() {
            let end = ((f.off + f.size) as usize).min(value.len());
            if let Some(bytes) = value.get_mut(f.off as usize..end) {
                bytes.fill(0);
            }
        }
    }

    /// copy_map_value(): `src` into the value at `off` in `mem`, every byte
    /// except the fields'.
    pub fn copy_in(&self, mem: &SharedMem, off: usize, src: &[u8]) {
        let mut at = 0usize;
        for f in self.fields() {
            let start = (f.off as usize).min(src.len());
            mem.write(off + at, &src[at..start]);
            at = ((f.off + f.size) as usize).min(src.len());
        }
        mem.write(off + at, &src[at..]);
    }

    /// copy_map_value() the other way: the value at `off` into `dst`,
    /// every byte except the fields' (left as they are in `dst`).
    pub fn copy_out(&self, mem: &SharedMem, off: usize, dst: &mut [u8]) {
        let mut at = 0usize;
        for f in self.fields() {
            let start = (f.off as usize).min(dst.len());
            mem.read(off + at, &mut dst[at..start]);
            at = ((f.off + f.size) as usize).min(dst.len());
        }
        let n = dst.len();
        mem.read(off + at, &mut dst[at..n]);
    }

    /// The lock word of the value at `off` (the value must have a lock).
    fn lock_word<'a>(&self, mem: &'a SharedMem, off: usize) -> Option<&'a AtomicU32> {
        self.spin_lock_off().map(|l| mem.word32(off + l as usize))
    }

    /// copy_map_value_locked(.., lock_src = false): an update under the
    /// value's bpf_spin_lock, which a program may hold.
    pub fn copy_in_locked(&self, mem: &SharedMem, off: usize, src: &[u8]) {
        let _g = self.lock_word(mem, off).map(SpinLock::lock);
        self.copy_in(mem, off, src);
    }

    /// copy_map_value_locked(.., lock_src = true): a lookup under the
    /// value's lock; the fields come out zeroed.
    pub fn copy_out_locked(&self, mem: &SharedMem, off: usize, dst: &mut [u8]) {
        {
            let _g = self.lock_word(mem, off).map(SpinLock::lock);
            self.copy_out(mem, off, dst);
        }
        self.zero_fields(dst);
    }
}

/// The BTF a map was created with (map->btf and its type ids).
#[derive(Clone, Debug)]
pub struct MapBtf {
    pub btf: std::sync::Arc<Btf>,
    pub key_type_id: u32,
    pub value_type_id: u32,
    pub record: BtfRecord,
}

/// What map_create() needs of the map to check its BTF.
pub struct MapBtfCheck {
    pub map_type: u32,
    pub key_size: u32,
    pub value_size: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    /// bpf_token_capable(CAP_BPF).
    pub bpf_capable: bool,
}

/// btf_type_id_size(): the type behind modifiers and its size; None for
/// void, forward declarations, functions and broken chains.
fn type_id_size(btf: &Btf, id: u32) -> Option<(u32, u32)> {
    if id == 0 {
        return None;
    }
    let resolved = btf.skip_mods_and_typedefs(id).ok()?;
    let size = btf.resolve_size(resolved).ok()?;
    Some((resolved, size))
}

/// map_check_btf(): the key and value types must match the map's sizes;
/// the value's special fields must be allowed in this map type; then the
/// map type's own map_check_btf.
pub fn map_check_btf(btf: &Btf, m: &MapBtfCheck, key_id: u32, value_id: u32) -> Result<BtfRecord, Errno> {
    // Some maps allow the key to be unspecified (void).
    let key_type = if key_id != 0 {
        let (t, size) = type_id_size(btf, key_id).ok_or(Errno::EINVAL)?;
        if size != m.key_size {
            return Err(Errno::EINVAL);
        }
        Some(t)
    } else {
        if !has_map_check_btf(m.map_type) {
            return Err(Errno::EINVAL);
        }
        None
    };
    let (value_type, value_size) = type_id_size(btf, value_id).ok_or(Errno::EINVAL)?;
    if value_size != m.value_size {
        return Err(Errno::EINVAL);
    }
    let record = parse_fields(btf, value_type, m.value_size)?;
    if !record.is_empty() {
        if !m.bpf_capable {
            return Err(Errno::EPERM);
        }
        if m.map_flags & (mf::RDONLY_PROG | mf::WRONLY_PROG) != 0 {
            return Err(Errno::EACCES);
        }
        if record.fields().any(|f| !f.kind.allowed_in(m.map_type)) {
            return Err(Errno::EOPNOTSUPP);
        }
    }
    type_check_btf(btf, m, key_type, value_type)?;
    Ok(record)
}

/// Whether the map type has a map_check_btf op (else a keyless BTF is
/// EINVAL).
fn has_map_check_btf(map_type: u32) -> bool {
    !matches!(
        map_type,
        mt::HASH
            | mt::PERCPU_HASH
            | mt::LRU_HASH
            | mt::LRU_PERCPU_HASH
            | mt::HASH_OF_MAPS
            | mt::QUEUE
            | mt::STACK
            | mt::REUSEPORT_SOCKARRAY
            | mt::USER_RINGBUF
            | mt::STRUCT_OPS
    )
}

/// The map types' map_check_btf ops.
fn type_check_btf(btf: &Btf, m: &MapBtfCheck, key_type: Option<u32>, value_type: u32) -> Result<(), Errno> {
    let kind = |id: u32| btf.get(id).map(|t| &t.kind).ok();
    match m.map_type {
        // array_map_check_btf(): keyless only for the one-element
        // .bss/.data/.rodata maps (DATASEC values); else a u32 key.
        mt::ARRAY | mt::PERCPU_ARRAY => match key_type {
            None => {
                let datasec = matches!(kind(value_type), Some(BtfKind::Datasec { .. }));
                if m.map_type != mt::ARRAY || m.max_entries != 1 || !datasec {
                    return Err(Errno::EINVAL);
                }
                Ok(())
            }
            Some(k) => match kind(k) {
                Some(BtfKind::Int {
                    size: 4,
                    bits: 32,
                    offset: 0,
                    ..
                }) => Ok(()),
                _ => Err(Errno::EINVAL),
            },
        },
        // trie_check_btf(): the key is a struct (prefixlen + data).
        mt::LPM_TRIE => match key_type.and_then(kind) {
            Some(BtfKind::Struct { .. }) => Ok(()),
            _ => Err(Errno::EINVAL),
        },
        // bloom_map_check_btf(): no key.
        mt::BLOOM_FILTER => match key_type {
            None => Ok(()),
            Some(_) => Err(Errno::EINVAL),
        },
        // bpf_local_storage_map_check_btf(): a 32-bit int key.
        mt::SK_STORAGE | mt::INODE_STORAGE | mt::TASK_STORAGE | mt::CGRP_STORAGE => match key_type.and_then(kind) {
            Some(BtfKind::Int {
                bits: 32, offset: 0, ..
            }) => Ok(()),
            _ => Err(Errno::EINVAL),
        },
        // cgroup_storage_check_btf(): a u64 cgroup id, or the 16-byte
        // struct { u64 cgroup_inode_id; u32 attach_type; }.
        mt::CGROUP_STORAGE | mt::PERCPU_CGROUP_STORAGE => cgroup_storage_key_ok(btf, m.key_size, key_type),
        // map_check_no_btf().
        mt::PROG_ARRAY
        | mt::PERF_EVENT_ARRAY
        | mt::CGROUP_ARRAY
        | mt::ARRAY_OF_MAPS
        | mt::RINGBUF
        | mt::STACK_TRACE
        | mt::DEVMAP
        | mt::DEVMAP_HASH
        | mt::CPUMAP
        | mt::XSKMAP
        | mt::SOCKMAP
        | mt::SOCKHASH => Err(Errno::ENOTSUPP),
        _ => Ok(()),
    }
}

/// cgroup_storage_check_btf(): with a 16-byte key (per attach type) a
/// struct of two members, a 64-bit int at 0 and a 32-bit int at 8;
/// otherwise a 64-bit int.
fn cgroup_storage_key_ok(btf: &Btf, key_size: u32, key_type: Option<u32>) -> Result<(), Errno> {
    let kind = |id: u32| btf.get(id).map(|t| &t.kind).ok();
    // btf_member_is_reg_int(): a plain int of `size` bytes at byte `off`.
    let reg_int = |m: &crate::btf::types::Member, off: u32, size: u32| {
        m.bitfield_size == 0
            && m.bit_offset == off * 8
            && btf
                .skip_mods_and_typedefs(m.type_id)
                .ok()
                .and_then(kind)
                .is_some_and(|k| matches!(k, BtfKind::Int { size: s, bits, offset: 0, .. } if *s == size && u32::from(*bits) == size * 8))
    };
    let ok = match key_type.and_then(kind) {
        Some(BtfKind::Struct { members, .. }) if key_size == super::cgroup_storage::CGROUP_STORAGE_KEY_SIZE => {
            members.len() == 2 && reg_int(&members[0], 0, 8) && reg_int(&members[1], 8, 4)
        }
        Some(BtfKind::Int {
            bits: 64, offset: 0, ..
        }) => key_size != super::cgroup_storage::CGROUP_STORAGE_KEY_SIZE,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// btf_parse_fields() over the value type (a struct, union or datasec;
/// anything else has no fields).
pub fn parse_fields(btf: &Btf, value_type: u32, value_size: u32) -> Result<BtfRecord, Errno> {
    let mut walk = Walk {
        found: Vec::new(),
        visited: 0,
    };
    let t = btf.get(value_type).map_err(|_| Errno::EINVAL)?;
    match &t.kind {
        BtfKind::Struct { .. } | BtfKind::Union { .. } => find_struct_fields(btf, value_type, 0, &mut walk, 0)?,
        BtfKind::Datasec { vars, .. } => {
            for v in vars {
                let var_type = match btf.get(v.type_id).map(|t| &t.kind) {
                    Ok(BtfKind::Var { type_id, .. }) => *type_id,
                    _ => continue,
                };
                find_one(btf, var_type, v.offset, &mut walk, 0)?;
            }
        }
        _ => {}
    }
    let mut found = walk.found;
    found.sort_by_key(|f| f.off);
    let mut next_off = 0u32;
    for f in &found {
        if f.off.saturating_add(f.size) > value_size {
            return Err(Errno::EFAULT);
        }
        if f.off < next_off {
            return Err(Errno::EEXIST);
        }
        next_off = f.off + f.size;
    }
    let mut rec = BtfRecord::default();
    for (slot, f) in rec.fields.iter_mut().zip(found) {
        *slot = Some(f);
    }
    Ok(rec)
}

/// Nesting of structs inside structs, as far as followed.
const MAX_NESTING: u32 = 8;
/// Members looked at in all, at most: nested structs repeat their members
/// once per use, and hostile BTF could otherwise make that exponential.
const MAX_MEMBERS_VISITED: u32 = 1 << 16;

/// The walk's state: fields found and members visited.
struct Walk {
    found: Vec<Field>,
    visited: u32,
}

/// btf_find_struct_field(): each member at a whole-byte offset.
fn find_struct_fields(btf: &Btf, id: u32, base: u32, walk: &mut Walk, depth: u32) -> Result<(), Errno> {
    let Ok(t) = btf.get(id) else { return Ok(()) };
    for m in t.members() {
        walk.visited += 1;
        if walk.visited > MAX_MEMBERS_VISITED {
            return Err(Errno::E2BIG);
        }
        if m.bit_offset % 8 != 0 {
            // Not valid C; the kernel refuses it only for special fields,
            // which are structs (never bitfields).
            if field_kind(btf, m.type_id).is_some() {
                return Err(Errno::EINVAL);
            }
            continue;
        }
        find_one(btf, m.type_id, base.saturating_add(m.bit_offset / 8), walk, depth)?;
    }
    Ok(())
}

/// The special field kind a type names, if any (btf_get_field_type's name
/// match; duplicates are counted by the caller).
fn field_kind(btf: &Btf, type_id: u32) -> Option<FieldKind> {
    let id = btf.skip_mods_and_typedefs(type_id).ok()?;
    let name = btf.type_name(id);
    FieldKind::ALL.into_iter().find(|k| k.name() == name)
}

/// btf_find_field_one(): a special struct of the right size and alignment
/// is a field; other structs are searched (nested structs).
fn find_one(btf: &Btf, type_id: u32, off: u32, walk: &mut Walk, depth: u32) -> Result<(), Errno> {
    let Ok(id) = btf.skip_mods_and_typedefs(type_id) else {
        return Ok(());
    };
    let Ok(t) = btf.get(id) else { return Ok(()) };
    if let Some(kind) = field_kind(btf, id) {
        if walk.found.iter().any(|f| f.kind == kind) {
            return Err(Errno::E2BIG);
        }
        let (size, align) = kind.size_align();
        // btf_find_struct(): ignored unless a struct of the uapi size.
        let is_struct_of_size = matches!(t.kind, BtfKind::Struct { size: s, .. } if s == size);
        if is_struct_of_size {
            // Recorded on 6.18: a misaligned lock is EFAULT, not ignored.
            if !off.is_multiple_of(align) {
                return Err(Errno::EFAULT);
            }
            walk.found.push(Field { kind, off, size });
        }
        return Ok(());
    }
    if matches!(t.kind, BtfKind::Struct { .. }) && depth < MAX_NESTING {
        find_struct_fields(btf, id, off, walk, depth + 1)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// BTF built by hand: [1] int, [2] struct bpf_spin_lock { int val; },
    /// [3] struct v { int a; struct bpf_spin_lock l; int x; } (12 bytes),
    /// [4] struct two { bpf_spin_lock l1; bpf_spin_lock l2; }.
    fn btf() -> Btf {
        let strs = b"\0int\0bpf_spin_lock\0val\0v\0a\0l\0x\0two\0l2\0";
        let off = |n: &str| {
            let needle = format!("\0{n}\0");
            (strs.windows(needle.len()).position(|w| w == needle.as_bytes()).unwrap() + 1) as u32
        };
        let mut t = Vec::new();
        let mut put = |v: &[u32]| v.iter().for_each(|x| t.extend_from_slice(&x.to_le_bytes()));
        put(&[off("int"), 1 << 24, 4, 32]);
        put(&[off("bpf_spin_lock"), (4 << 24) | 1, 4, off("val"), 1, 0]);
        put(&[
            off("v"),
            (4 << 24) | 3,
            12,
            off("a"),
            1,
            0,
            off("l"),
            2,
            32,
            off("x"),
            1,
            64,
        ]);
        put(&[off("two"), (4 << 24) | 2, 8, off("l"), 2, 0, off("l2"), 2, 32]);
        let mut blob = Vec::new();
        for v in [0xEB9Fu16.to_le_bytes().to_vec(), vec![1, 0]] {
            blob.extend(v);
        }
        for v in [24u32, 0, t.len() as u32, t.len() as u32, strs.len() as u32] {
            blob.extend(v.to_le_bytes());
        }
        blob.extend(&t);
        blob.extend(strs);
        Btf::parse(&blob).unwrap()
    }

    fn check(map_type: u32, value_size: u32) -> MapBtfCheck {
        MapBtfCheck {
            map_type,
            key_size: 4,
            value_size,
            max_entries: 1,
            map_flags: 0,
            bpf_capable: true,
        }
    }

    #[test]
    fn finds_the_lock_and_copies_around_it() {
        let b = btf();
        let rec = map_check_btf(&b, &check(mt::ARRAY, 12), 1, 3).unwrap();
        assert_eq!(rec.spin_lock_off(), Some(4));
        let mem = SharedMem::zeroed(16).unwrap();
        mem.write(4, &[9, 9, 9, 9]);
        rec.copy_in(&mem, 0, &[1u8; 12]);
        let mut all = [0u8; 12];
        mem.read(0, &mut all);
        assert_eq!(all, [1, 1, 1, 1, 9, 9, 9, 9, 1, 1, 1, 1]);
        mem.write(4, &[0; 4]);
        let mut out = [7u8; 12];
        rec.copy_out_locked(&mem, 0, &mut out);
        assert_eq!(out, [1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
        assert_eq!(rec.overlapping(6, 7).map(|f| f.kind), Some(FieldKind::SpinLock));
        assert_eq!(rec.overlapping(8, 12), None);
    }

    /// A struct nesting itself through many members many levels deep is a
    /// bounded walk (E2BIG past the budget), not an exponential one.
    #[test]
    fn nested_struct_walks_are_bounded() {
        // [1] int; [2] struct s { int m; }; [k+2] struct s { 64 x [k+1] }.
        let strs = b"\0int\0s\0m\0";
        let mut t: Vec<u32> = vec![1, 1 << 24, 4, 32];
        t.extend([3, (4 << 24) | 1, 4, 5, 1, 0]);
        // Every member at offset 0: 64^4 member visits if unbounded.
        for level in 0..4u32 {
            let inner = level + 2;
            t.extend([3, (4 << 24) | 64, 4]);
            for _ in 0..64 {
                t.extend([5, inner, 0]);
            }
        }
        let top = 4 + 2;
        let mut blob = vec![0x9f, 0xeb, 1, 0];
        let types: Vec<u8> = t.iter().flat_map(|w| w.to_le_bytes()).collect();
        for w in [24u32, 0, types.len() as u32, types.len() as u32, strs.len() as u32] {
            blob.extend(w.to_le_bytes());
        }
        blob.extend(types);
        blob.extend(strs);
        let b = Btf::parse(&blob).unwrap();
        let start = std::time::Instant::now();
        assert_eq!(parse_fields(&b, top, u32::MAX), Err(Errno::E2BIG));
        assert!(start.elapsed().as_secs() < 5);
    }

    #[test]
    fn kernel_rules() {
        let b = btf();
        // Two locks: E2BIG (btf_get_field_type's seen mask).
        assert_eq!(map_check_btf(&b, &check(mt::ARRAY, 8), 1, 4), Err(Errno::E2BIG));
        // Sizes must match the types.
        assert_eq!(map_check_btf(&b, &check(mt::ARRAY, 16), 1, 3), Err(Errno::EINVAL));
        // A lock in a map type that can't hold one.
        assert_eq!(
            map_check_btf(&b, &check(mt::LRU_HASH, 12), 1, 3),
            Err(Errno::EOPNOTSUPP)
        );
        // Fields need CAP_BPF, and no RDONLY/WRONLY_PROG.
        let mut c = check(mt::HASH, 12);
        c.bpf_capable = false;
        assert_eq!(map_check_btf(&b, &c, 1, 3), Err(Errno::EPERM));
        let mut c = check(mt::HASH, 12);
        c.map_flags = mf::RDONLY_PROG;
        assert_eq!(map_check_btf(&b, &c, 1, 3), Err(Errno::EACCES));
        // Keyless hash: no map_check_btf op.
        assert_eq!(map_check_btf(&b, &check(mt::HASH, 12), 0, 3), Err(Errno::EINVAL));
        // An int value has no fields.
        assert!(map_check_btf(&b, &check(mt::ARRAY, 4), 1, 1).unwrap().is_empty());
    }
}
