//! BPF_MAP_TYPE_LPM_TRIE (kernel/bpf/lpm_trie.c): longest-prefix-match
//! keys `{u32 prefixlen; u8 data[key_size - 4]}` in a binary trie with
//! intermediate nodes, updated, deleted and walked (post order: more
//! specific prefixes first) exactly as the kernel's trie does, so
//! get_next_key order and the full-map rules (ENOSPC) agree.
//!
//! Values live in a slot pool so a value pointer handed to a program stays
//! valid; the trie shape is behind a lock.

use std::any::Any;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use super::shared::SharedMem;
use super::{round8, BatchOps, Caller, CreateCtx, GuestImage, MapAttr, MapOps, KMALLOC_MAX_SIZE};
use crate::uapi::types::{elem_flags as ef, map_flags as mf};
use crate::uapi::Errno;

const LPM_DATA_SIZE_MAX: u32 = 256;
const LPM_DATA_SIZE_MIN: u32 = 1;
/// sizeof(struct lpm_trie_node) on 6.18 (probed: values up to 4194024).
const LPM_NODE_SIZE: u64 = 24;
const LPM_VAL_SIZE_MAX: u64 = KMALLOC_MAX_SIZE - LPM_DATA_SIZE_MAX as u64 - LPM_NODE_SIZE;
const LPM_KEY_SIZE_MIN: u32 = 4 + LPM_DATA_SIZE_MIN;
const LPM_KEY_SIZE_MAX: u32 = 4 + LPM_DATA_SIZE_MAX;
const CREATE_FLAG_MASK: u32 = mf::NO_PREALLOC | mf::NUMA_NODE | mf::ACCESS_MASK;

/// trie_alloc(): every check is EINVAL; BPF_F_NO_PREALLOC is required.
pub fn alloc(a: &MapAttr, _: &CreateCtx<'_>) -> Result<Box<dyn MapOps>, Errno> {
    if a.max_entries == 0
        || a.map_flags & mf::NO_PREALLOC == 0
        || a.map_flags & !CREATE_FLAG_MASK != 0
        || !a.access_ok()
        || a.key_size < LPM_KEY_SIZE_MIN
        || a.key_size > LPM_KEY_SIZE_MAX
        || a.value_size < 1
        || a.value_size as u64 > LPM_VAL_SIZE_MAX
    {
        return Err(Errno::EINVAL);
    }
    let slot = round8(a.value_size);
    let values = SharedMem::zeroed((a.max_entries as usize).checked_mul(slot).ok_or(Errno::ENOMEM)?)?;
    Ok(Box::new(LpmTrie {
        data_size: (a.key_size - 4) as usize,
        max_prefixlen: (a.key_size - 4) * 8,
        value_size: a.value_size as usize,
        slot,
        max_entries: a.max_entries,
        values,
        fresh: AtomicU32::new(0),
        inner: Mutex::new(Trie {
            root: None,
            n_entries: 0,
            free_slots: Vec::new(),
        }),
    }))
}

struct Node {
    prefixlen: u32,
    /// LPM_TREE_NODE_FLAG_IM: an intermediate node, no value.
    im: bool,
    data: Vec<u8>,
    /// Value slot (meaningless for intermediate nodes).
    slot: u32,
    child: [Option<Box<Node>>; 2],
}

struct Trie {
    root: Option<Box<Node>>,
    n_entries: u32,
    free_slots: Vec<u32>,
}

pub struct LpmTrie {
    data_size: usize,
    max_prefixlen: u32,
    value_size: usize,
    slot: usize,
    max_entries: u32,
    values: SharedMem,
    fresh: AtomicU32,
    inner: Mutex<Trie>,
}

fn extract_bit(data: &[u8], index: u32) -> usize {
    ((data[(index / 8) as usize] >> (7 - (index % 8))) & 1) as usize
}

/// longest_prefix_match(): leading bits `node` and `key` share, at most
/// both prefix lengths.
fn prefix_match(node: &Node, key_prefixlen: u32, key_data: &[u8]) -> u32 {
    let limit = node.prefixlen.min(key_prefixlen);
    let mut bits = 0;
    for (a, b) in node.data.iter().zip(key_data) {
        let diff = a ^ b;
        if diff != 0 {
            bits += diff.leading_zeros();
            break;
        }
        bits += 8;
        if bits >= limit {
            break;
        }
    }
    bits.min(limit)
}

impl LpmTrie {
    fn split<'k>(&self, key: &'k [u8]) -> (u32, &'k [u8]) {
        let prefixlen = u32::from_le_bytes(key[..4].try_into().expect("4 bytes"));
        (prefixlen, &key[4..4 + self.data_size])
    }

    fn alloc_slot(&self, free_slots: &mut Vec<u32>) -> u32 {
        if let Some(s) = free_slots.pop() {
            return s;
        }
        // n_entries < max_entries whenever a slot is needed.
        self.fresh.fetch_add(1, Ordering::Relaxed)
    }

    fn write_value(&self, slot: u32, value: &[u8]) {
        self.values.write(slot as usize * self.slot, &value[..self.value_size]);
    }

    /// trie_lookup_elem(): the longest stored prefix of `key`.
    fn lookup_slot(&self, key: &[u8]) -> Option<u32> {
        let (plen, data) = self.split(key);
        if plen > self.max_prefixlen {
            return None;
        }
        let t = self.inner.lock().expect("trie lock");
        let mut found = None;
        let mut node = t.root.as_deref();
        while let Some(n) = node {
            let m = prefix_match(n, plen, data);
            if m == self.max_prefixlen {
                found = Some(n.slot);
                break;
            }
            if m < n.prefixlen {
                break;
            }
            if !n.im {
                found = Some(n.slot);
            }
            node = n.child[extract_bit(data, n.prefixlen)].as_deref();
        }
        found
    }

    /// trie_check_add_elem().
    fn check_add(&self, n_entries: &mut u32, flags: u64) -> Result<(), Errno> {
        if flags == ef::EXIST {
            return Err(Errno::ENOENT);
        }
        if *n_entries == self.max_entries {
            return Err(Errno::ENOSPC);
        }
        *n_entries += 1;
        Ok(())
    }

    /// trie_update_elem() under the lock.
    fn update_locked(&self, t: &mut Trie, plen: u32, data: &[u8], value: &[u8], flags: u64) -> Result<(), Errno> {
        let Trie {
            root,
            n_entries,
            free_slots,
        } = t;
        // Walk to the slot the new node belongs in.
        let mut slot: &mut Option<Box<Node>> = root;
        let mut matchlen = 0;
        loop {
            let step = match slot.as_deref() {
                Some(n) => {
                    matchlen = prefix_match(n, plen, data);
                    (n.prefixlen == matchlen && n.prefixlen != plen).then(|| extract_bit(data, n.prefixlen))
                }
                None => None,
            };
            match step {
                Some(bit) => {
                    let s = slot;
                    slot = &mut s.as_mut().expect("walked node").child[bit];
                }
                None => break,
            }
        }
        let new_node = |free_slots: &mut Vec<u32>| {
            let s = self.alloc_slot(free_slots);
            self.write_value(s, value);
            Box::new(Node {
                prefixlen: plen,
                im: false,
                data: data.to_vec(),
                slot: s,
                child: [None, None],
            })
        };
        let Some(node) = slot.as_deref_mut() else {
            self.check_add(n_entries, flags)?;
            *slot = Some(new_node(free_slots));
            return Ok(());
        };
        if node.prefixlen == matchlen {
            // Same prefix: the new node takes the old one's place (an
            // intermediate node becomes a real one), with the new key's
            // bytes.
            if !node.im {
                if flags == ef::NOEXIST {
                    return Err(Errno::EEXIST);
                }
                self.write_value(node.slot, value);
            } else {
                self.check_add(n_entries, flags)?;
                node.slot = self.alloc_slot(free_slots);
                self.write_value(node.slot, value);
                node.im = false;
            }
            node.data = data.to_vec();
            return Ok(());
        }
        self.check_add(n_entries, flags)?;
        let old = slot.take().expect("occupied slot");
        if matchlen == plen {
            // The new prefix covers the old node: insert it above.
            let mut n = new_node(free_slots);
            let bit = extract_bit(&old.data, matchlen);
            n.child[bit] = Some(old);
            *slot = Some(n);
            return Ok(());
        }
        // Diverging: an intermediate node over both.
        let n = new_node(free_slots);
        let mut im = Box::new(Node {
            prefixlen: matchlen,
            im: true,
            data: old.data.clone(),
            slot: 0,
            child: [None, None],
        });
        im.child = if extract_bit(data, matchlen) == 1 {
            [Some(old), Some(n)]
        } else {
            [Some(n), Some(old)]
        };
        *slot = Some(im);
        Ok(())
    }

    /// trie_delete_elem() under the lock.
    fn delete_locked(&self, t: &mut Trie, plen: u32, data: &[u8]) -> Result<(), Errno> {
        if plen > self.max_prefixlen {
            return Err(Errno::EINVAL);
        }
        // The path (child indices) from the root to the exact node.
        let mut path: Vec<usize> = Vec::new();
        let mut node = t.root.as_deref();
        let mut matchlen = 0;
        while let Some(n) = node {
            matchlen = prefix_match(n, plen, data);
            if n.prefixlen != matchlen || n.prefixlen == plen {
                break;
            }
            let bit = extract_bit(data, n.prefixlen);
            path.push(bit);
            node = n.child[bit].as_deref();
        }
        match node {
            Some(n) if n.prefixlen == plen && n.prefixlen == matchlen && !n.im => {}
            _ => return Err(Errno::ENOENT),
        }
        t.n_entries -= 1;
        let Some((&bit, up)) = path.split_last() else {
            // The root itself.
            let n = t.root.as_mut().expect("found root");
            t.free_slots.push(n.slot);
            if n.child[0].is_some() && n.child[1].is_some() {
                n.im = true;
            } else {
                let mut n = t.root.take().expect("found root");
                t.root = n.child[0].take().or_else(|| n.child[1].take());
            }
            return Ok(());
        };
        let mut parent_slot: &mut Option<Box<Node>> = &mut t.root;
        for &b in up {
            let s = parent_slot;
            parent_slot = &mut s.as_mut().expect("path node").child[b];
        }
        let parent = parent_slot.as_mut().expect("parent");
        let n = parent.child[bit].as_mut().expect("found node");
        t.free_slots.push(n.slot);
        let leaf = n.child[0].is_none() && n.child[1].is_none();
        if n.child[0].is_some() && n.child[1].is_some() {
            // Two children: it stays, as an intermediate node.
            n.im = true;
        } else if parent.im && leaf {
            // A leaf under an intermediate node: both go, the sibling
            // moves up.
            let sibling = parent.child[1 - bit].take();
            *parent_slot = sibling;
        } else {
            let mut n = parent.child[bit].take().expect("found node");
            parent.child[bit] = n.child[0].take().or_else(|| n.child[1].take());
        }
        Ok(())
    }

    fn next_key_locked(&self, t: &Trie, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        let Some(root) = t.root.as_deref() else {
            return Err(Errno::ENOENT);
        };
        let leftmost = |mut node: &Node, next: &mut [u8]| {
            let mut found: Option<&Node> = None;
            loop {
                let step = if node.im {
                    node.child[0].as_deref()
                } else {
                    found = Some(node);
                    node.child[0].as_deref().or(node.child[1].as_deref())
                };
                match step {
                    Some(n) => node = n,
                    None => break,
                }
            }
            let n = found.expect("intermediate nodes have two children");
            next[..4].copy_from_slice(&n.prefixlen.to_le_bytes());
            next[4..4 + self.data_size].copy_from_slice(&n.data);
        };
        let Some(key) = key else {
            leftmost(root, next);
            return Ok(());
        };
        let (plen, data) = self.split(key);
        if plen > self.max_prefixlen {
            leftmost(root, next);
            return Ok(());
        }
        let mut stack: Vec<&Node> = Vec::new();
        let mut node = Some(root);
        let mut matchlen = 0;
        while let Some(n) = node {
            stack.push(n);
            matchlen = prefix_match(n, plen, data);
            if n.prefixlen != matchlen || n.prefixlen == plen {
                break;
            }
            node = n.child[extract_bit(data, n.prefixlen)].as_deref();
        }
        match node {
            Some(n) if n.prefixlen == matchlen && !n.im => {}
            _ => {
                leftmost(root, next);
                return Ok(());
            }
        }
        // The exact node: the next one in post order.
        let mut cur = *stack.last().expect("non-empty");
        let mut sp = stack.len() - 1;
        while sp > 0 {
            let parent = stack[sp - 1];
            if parent.child[0].as_deref().is_some_and(|c| std::ptr::eq(c, cur)) {
                if let Some(right) = parent.child[1].as_deref() {
                    leftmost(right, next);
                    return Ok(());
                }
            }
            if !parent.im {
                next[..4].copy_from_slice(&parent.prefixlen.to_le_bytes());
                next[4..4 + self.data_size].copy_from_slice(&parent.data);
                return Ok(());
            }
            cur = parent;
            sp -= 1;
        }
        Err(Errno::ENOENT)
    }
}

impl MapOps for LpmTrie {
    fn mem_usage(&self) -> u64 {
        let t = self.inner.lock().expect("trie lock");
        256 + t.n_entries as u64 * (LPM_NODE_SIZE + self.data_size as u64 + self.value_size as u64)
    }

    fn lookup(&self, key: &[u8], value: &mut [u8]) -> Result<(), Errno> {
        let slot = self.lookup_slot(key).ok_or(Errno::ENOENT)?;
        self.values
            .read(slot as usize * self.slot, &mut value[..self.value_size]);
        Ok(())
    }

    fn update(&self, key: &[u8], value: &[u8], flags: u64, _caller: Caller<'_>) -> Result<(), Errno> {
        if flags > ef::EXIST {
            return Err(Errno::EINVAL);
        }
        let (plen, data) = self.split(key);
        if plen > self.max_prefixlen {
            return Err(Errno::EINVAL);
        }
        let mut t = self.inner.lock().expect("trie lock");
        self.update_locked(&mut t, plen, data, value, flags)
    }

    fn delete(&self, key: &[u8]) -> Result<(), Errno> {
        let (plen, data) = self.split(key);
        let mut t = self.inner.lock().expect("trie lock");
        self.delete_locked(&mut t, plen, data)
    }

    fn get_next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> Result<(), Errno> {
        let t = self.inner.lock().expect("trie lock");
        self.next_key_locked(&t, key, next)
    }

    fn batch_ops(&self) -> BatchOps {
        BatchOps {
            generic_lookup: true,
            generic_update: true,
            generic_delete: true,
            ..BatchOps::default()
        }
    }

    fn image(&self) -> GuestImage {
        GuestImage {
            ptr: self.values.as_ptr(),
            len: self.values.len(),
        }
    }

    fn prog_lookup(&self, key: &[u8], _cpu: u32) -> Option<usize> {
        self.lookup_slot(key).map(|s| s as usize * self.slot)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
