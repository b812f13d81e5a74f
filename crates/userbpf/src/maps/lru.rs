//! The LRU lists behind LRU hash maps (kernel/bpf/bpf_lru_list.c as of
//! 6.18), node for node, so that which element an insert evicts is the
//! kernel's choice wherever the kernel's own choice is deterministic (one
//! thread on a known CPU).
//!
//! Common LRU: one global list set (active, inactive, free) plus, per CPU,
//! a local free list and a pending list; a CPU takes `target_free` nodes at
//! a time from the global lists, and steals from other CPUs when those are
//! empty. Per-CPU LRU (BPF_F_NO_COMMON_LRU): one list set per CPU.
//!
//! Nodes are the hash map's element indices; list heads are extra node
//! indices past them. One mutex guards all lists (the kernel's global and
//! per-CPU spinlocks, collapsed); reference bits are atomics set without
//! it, as lookups from programs set them.

use std::sync::atomic::{AtomicU8, Ordering::Relaxed};
use std::sync::Mutex;

const LOCAL_FREE_TARGET: u32 = 128;
const LOCAL_NR_SCANS: u32 = LOCAL_FREE_TARGET;
const PERCPU_FREE_TARGET: u32 = 4;
const PERCPU_NR_SCANS: u32 = PERCPU_FREE_TARGET;

/// A shrink's source and destination: the list set it frees nodes of, the
/// free list they go to and the type they have there (the common LRU's
/// per-CPU local free list, or a per-CPU set's free list).
#[derive(Clone, Copy, Debug)]
struct Reclaim {
    set: usize,
    list: u32,
    ty: T,
}

/// enum bpf_lru_list_type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
enum T {
    Active = 0,
    Inactive = 1,
    Free = 2,
    LocalFree = 3,
    LocalPending = 4,
}

/// One list set: heads of active, inactive and free, and the counts the
/// rotation consults.
#[derive(Clone, Copy)]
struct ListSet {
    heads: [u32; 3],
    counts: [u32; 2],
    next_inactive_rotation: u32,
}

#[derive(Clone, Copy)]
struct Local {
    free: u32,
    pending: u32,
    next_steal: u32,
}

struct State {
    prev: Vec<u32>,
    next: Vec<u32>,
    ty: Vec<T>,
    cpu: Vec<u32>,
    /// Common LRU: one set; per-CPU LRU: one per CPU.
    sets: Vec<ListSet>,
    locals: Vec<Local>,
}

/// The LRU of one map.
pub struct Lru {
    percpu: bool,
    ncpus: u32,
    nr_scans: u32,
    target_free: u32,
    refs: Box<[AtomicU8]>,
    state: Mutex<State>,
}

impl State {
    fn list_init(&mut self, h: u32) {
        self.prev[h as usize] = h;
        self.next[h as usize] = h;
    }

    fn is_empty(&self, h: u32) -> bool {
        self.next[h as usize] == h
    }

    fn del(&mut self, n: u32) {
        let (p, x) = (self.prev[n as usize], self.next[n as usize]);
        self.next[p as usize] = x;
        self.prev[x as usize] = p;
    }

    /// list_add(): right after the head.
    fn add(&mut self, n: u32, h: u32) {
        let first = self.next[h as usize];
        self.next[n as usize] = first;
        self.prev[n as usize] = h;
        self.prev[first as usize] = n;
        self.next[h as usize] = n;
    }

    fn move_to(&mut self, n: u32, h: u32) {
        self.del(n);
        self.add(n, h);
    }

    /// Nodes of list `h` from the tail backwards (a snapshot, which is what
    /// the kernel's `_safe_reverse` walk sees for the nodes it visits).
    fn reverse(&self, h: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut c = self.prev[h as usize];
        while c != h {
            out.push(c);
            c = self.prev[c as usize];
        }
        out
    }
}

impl Lru {
    /// bpf_lru_init() + bpf_lru_populate() over nodes `0..nr_elems`.
    pub fn new(percpu: bool, ncpus: u32, nr_elems: u32) -> Lru {
        let ncpus = ncpus.max(1);
        let nsets = if percpu { ncpus } else { 1 };
        let heads = nsets * 3 + if percpu { 0 } else { ncpus * 2 };
        let total = (nr_elems + heads) as usize;
        let mut s = State {
            prev: vec![0; total],
            next: vec![0; total],
            ty: vec![T::Free; total],
            cpu: vec![0; total],
            sets: Vec::new(),
            locals: Vec::new(),
        };
        let mut h = nr_elems;
        for _ in 0..nsets {
            let set = ListSet {
                heads: [h, h + 1, h + 2],
                counts: [0, 0],
                next_inactive_rotation: h + 1,
            };
            for x in set.heads {
                s.list_init(x);
            }
            s.sets.push(set);
            h += 3;
        }
        if !percpu {
            for cpu in 0..ncpus {
                let l = Local {
                    free: h,
                    pending: h + 1,
                    next_steal: cpu,
                };
                s.list_init(h);
                s.list_init(h + 1);
                s.locals.push(l);
                h += 2;
            }
        }
        let target_free;
        if percpu {
            // bpf_percpu_lru_populate(): equal runs of nodes per CPU.
            let per = (nr_elems / ncpus).max(1);
            let mut i = 0;
            'cpus: for cpu in 0..ncpus {
                loop {
                    if i == nr_elems {
                        break 'cpus;
                    }
                    s.cpu[i as usize] = cpu;
                    s.ty[i as usize] = T::Free;
                    let head = s.sets[cpu as usize].heads[T::Free as usize];
                    s.add(i, head);
                    i += 1;
                    if i == nr_elems {
                        break 'cpus;
                    }
                    if i % per == 0 {
                        break;
                    }
                }
            }
            target_free = PERCPU_FREE_TARGET;
        } else {
            let head = s.sets[0].heads[T::Free as usize];
            for i in 0..nr_elems {
                s.ty[i as usize] = T::Free;
                s.add(i, head);
            }
            target_free = ((nr_elems / ncpus) / 2).clamp(1, LOCAL_FREE_TARGET);
        }
        Lru {
            percpu,
            ncpus,
            nr_scans: if percpu { PERCPU_NR_SCANS } else { LOCAL_NR_SCANS },
            target_free,
            refs: (0..nr_elems).map(|_| AtomicU8::new(0)).collect(),
            state: Mutex::new(s),
        }
    }

    /// bpf_lru_node_set_ref(): a use (program lookup, update of a key).
    #[inline]
    pub fn set_ref(&self, n: u32) {
        let r = &self.refs[n as usize];
        if r.load(Relaxed) == 0 {
            r.store(1, Relaxed);
        }
    }

    fn is_ref(&self, n: u32) -> bool {
        self.refs[n as usize].load(Relaxed) != 0
    }

    fn clear_ref(&self, n: u32) {
        self.refs[n as usize].store(0, Relaxed);
    }

    /// bpf_lru_pop_free(): a node for a new element on `cpu`, evicting
    /// through `del_from_htab` (which unlinks the node's element from the
    /// table and says whether it was there).
    pub fn pop_free(&self, cpu: u32, del_from_htab: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        let cpu = cpu % self.ncpus;
        let mut s = self.state.lock().expect("lru lock");
        if self.percpu {
            self.percpu_pop_free(&mut s, cpu, del_from_htab)
        } else {
            self.common_pop_free(&mut s, cpu, del_from_htab)
        }
    }

    /// bpf_lru_push_free(): the node's element left the table.
    pub fn push_free(&self, n: u32) {
        let mut s = self.state.lock().expect("lru lock");
        if self.percpu {
            let set = s.cpu[n as usize] as usize;
            self.node_move(&mut s, set, n, T::Free);
            return;
        }
        match s.ty[n as usize] {
            T::Free | T::LocalFree => {} // WARN_ON_ONCE in the kernel
            T::LocalPending => {
                let loc = s.locals[s.cpu[n as usize] as usize];
                s.ty[n as usize] = T::LocalFree;
                self.clear_ref(n);
                s.move_to(n, loc.free);
            }
            _ => self.node_move(&mut s, 0, n, T::Free),
        }
    }

    // ---- list primitives of one set ----

    fn count_inc(s: &mut State, set: usize, t: T) {
        if (t as u8) < 2 {
            s.sets[set].counts[t as usize] += 1;
        }
    }

    fn count_dec(s: &mut State, set: usize, t: T) {
        if (t as u8) < 2 {
            s.sets[set].counts[t as usize] -= 1;
        }
    }

    /// __bpf_lru_node_move_to_free().
    fn move_to_free(&self, s: &mut State, n: u32, to: Reclaim) {
        let set = to.set;
        if s.sets[set].next_inactive_rotation == n {
            s.sets[set].next_inactive_rotation = s.prev[n as usize];
        }
        Self::count_dec(s, set, s.ty[n as usize]);
        s.ty[n as usize] = to.ty;
        s.move_to(n, to.list);
    }

    /// __bpf_lru_node_move_in(): from a local list into the set.
    fn move_in(&self, s: &mut State, set: usize, n: u32, tgt: T) {
        Self::count_inc(s, set, tgt);
        s.ty[n as usize] = tgt;
        self.clear_ref(n);
        let h = s.sets[set].heads[tgt as usize];
        s.move_to(n, h);
    }

    /// __bpf_lru_node_move(): within or between the set's lists.
    fn node_move(&self, s: &mut State, set: usize, n: u32, tgt: T) {
        let from = s.ty[n as usize];
        if from != tgt {
            Self::count_dec(s, set, from);
            Self::count_inc(s, set, tgt);
            s.ty[n as usize] = tgt;
        }
        self.clear_ref(n);
        if s.sets[set].next_inactive_rotation == n {
            s.sets[set].next_inactive_rotation = s.prev[n as usize];
        }
        let h = s.sets[set].heads[tgt as usize];
        s.move_to(n, h);
    }

    fn rotate_active(&self, s: &mut State, set: usize) {
        let active = s.sets[set].heads[T::Active as usize];
        let first = s.next[active as usize];
        let mut i = 0;
        for n in s.reverse(active) {
            let t = if self.is_ref(n) { T::Active } else { T::Inactive };
            self.node_move(s, set, n, t);
            i += 1;
            if i == self.nr_scans || n == first {
                break;
            }
        }
    }

    fn rotate_inactive(&self, s: &mut State, set: usize) {
        let inactive = s.sets[set].heads[T::Inactive as usize];
        if s.is_empty(inactive) {
            return;
        }
        let nir = s.sets[set].next_inactive_rotation;
        let mut last = s.next[nir as usize];
        if last == inactive {
            last = s.next[last as usize];
        }
        let mut cur = nir;
        let mut next = inactive;
        let mut i = 0;
        while i < self.nr_scans {
            if cur == inactive {
                cur = s.prev[cur as usize];
                continue;
            }
            next = s.prev[cur as usize];
            if self.is_ref(cur) {
                self.node_move(s, set, cur, T::Active);
            }
            if cur == last {
                break;
            }
            cur = next;
            i += 1;
        }
        s.sets[set].next_inactive_rotation = next;
    }

    fn rotate(&self, s: &mut State, set: usize) {
        let c = s.sets[set].counts;
        if c[T::Inactive as usize] < c[T::Active as usize] {
            self.rotate_active(s, set);
        }
        self.rotate_inactive(s, set);
    }

    fn shrink_inactive(&self, s: &mut State, tgt_nshrink: u32, to: Reclaim, del: &mut dyn FnMut(u32) -> bool) -> u32 {
        let set = to.set;
        let inactive = s.sets[set].heads[T::Inactive as usize];
        let mut nshrinked = 0;
        let mut i = 0;
        for n in s.reverse(inactive) {
            if self.is_ref(n) {
                self.node_move(s, set, n, T::Active);
            } else if del(n) {
                self.move_to_free(s, n, to);
                nshrinked += 1;
                if nshrinked == tgt_nshrink {
                    break;
                }
            }
            i += 1;
            if i == self.nr_scans {
                break;
            }
        }
        nshrinked
    }

    fn shrink(&self, s: &mut State, tgt_nshrink: u32, to: Reclaim, del: &mut dyn FnMut(u32) -> bool) -> u32 {
        let set = to.set;
        let n = self.shrink_inactive(s, tgt_nshrink, to, del);
        if n != 0 {
            return n;
        }
        // Force: ignore the reference bits.
        let inactive = s.sets[set].heads[T::Inactive as usize];
        let list = if !s.is_empty(inactive) {
            inactive
        } else {
            s.sets[set].heads[T::Active as usize]
        };
        for n in s.reverse(list) {
            if del(n) {
                self.move_to_free(s, n, to);
                return 1;
            }
        }
        0
    }

    // ---- common LRU ----

    fn local_flush(&self, s: &mut State, cpu: u32) {
        let pending = s.locals[cpu as usize].pending;
        for n in s.reverse(pending) {
            let t = if self.is_ref(n) { T::Active } else { T::Inactive };
            self.move_in(s, 0, n, t);
        }
    }

    fn pop_free_to_local(&self, s: &mut State, cpu: u32, del: &mut dyn FnMut(u32) -> bool) {
        self.local_flush(s, cpu);
        self.rotate(s, 0);
        let local_free = s.locals[cpu as usize].free;
        let free = s.sets[0].heads[T::Free as usize];
        let to = Reclaim {
            set: 0,
            list: local_free,
            ty: T::LocalFree,
        };
        let mut nfree = 0;
        let mut c = s.next[free as usize];
        while c != free {
            let nx = s.next[c as usize];
            self.move_to_free(s, c, to);
            nfree += 1;
            if nfree == self.target_free {
                break;
            }
            c = nx;
        }
        if nfree < self.target_free {
            self.shrink(s, self.target_free - nfree, to, del);
        }
    }

    fn local_pop_free(s: &mut State, cpu: u32) -> Option<u32> {
        let h = s.locals[cpu as usize].free;
        if s.is_empty(h) {
            return None;
        }
        let n = s.next[h as usize];
        s.del(n);
        Some(n)
    }

    fn local_add_pending(&self, s: &mut State, cpu: u32, n: u32) {
        s.cpu[n as usize] = cpu;
        s.ty[n as usize] = T::LocalPending;
        self.clear_ref(n);
        let h = s.locals[cpu as usize].pending;
        s.add(n, h);
    }

    fn local_pop_pending(&self, s: &mut State, cpu: u32, del: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        let h = s.locals[cpu as usize].pending;
        for force in [false, true] {
            for n in s.reverse(h) {
                if (!self.is_ref(n) || force) && del(n) {
                    s.del(n);
                    return Some(n);
                }
            }
        }
        None
    }

    fn common_pop_free(&self, s: &mut State, cpu: u32, del: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        let mut node = Self::local_pop_free(s, cpu);
        if node.is_none() {
            self.pop_free_to_local(s, cpu, del);
            node = Self::local_pop_free(s, cpu);
        }
        if let Some(n) = node {
            self.local_add_pending(s, cpu, n);
            return Some(n);
        }
        // Steal from the CPUs' local lists, round robin from next_steal.
        let first = s.locals[cpu as usize].next_steal;
        let mut steal = first;
        loop {
            node = Self::local_pop_free(s, steal);
            if node.is_none() {
                node = self.local_pop_pending(s, steal, del);
            }
            steal = (steal + 1) % self.ncpus;
            if node.is_some() || steal == first {
                break;
            }
        }
        s.locals[cpu as usize].next_steal = steal;
        let n = node?;
        self.local_add_pending(s, cpu, n);
        Some(n)
    }

    // ---- per-CPU LRU ----

    fn percpu_pop_free(&self, s: &mut State, cpu: u32, del: &mut dyn FnMut(u32) -> bool) -> Option<u32> {
        let set = cpu as usize;
        self.rotate(s, set);
        let free = s.sets[set].heads[T::Free as usize];
        if s.is_empty(free) {
            let to = Reclaim {
                set,
                list: free,
                ty: T::Free,
            };
            self.shrink(s, PERCPU_FREE_TARGET, to, del);
        }
        if s.is_empty(free) {
            return None;
        }
        let n = s.next[free as usize];
        self.clear_ref(n);
        self.node_move(s, set, n, T::Inactive);
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// A table of "present" nodes standing in for the hash map.
    fn run(lru: &Lru, present: &mut HashSet<u32>, cpu: u32) -> Option<u32> {
        let n = lru.pop_free(cpu, &mut |n| present.remove(&n))?;
        present.insert(n);
        Some(n)
    }

    #[test]
    fn common_lru_fills_then_evicts_the_oldest() {
        // 4 nodes, 2 CPUs: target_free = max((4 / 2) / 2, 1) = 1.
        let lru = Lru::new(false, 2, 4);
        let mut present = HashSet::new();
        let got: Vec<u32> = (0..4).map(|_| run(&lru, &mut present, 0).unwrap()).collect();
        // Populated with list_add, so the free list runs 3, 2, 1, 0.
        assert_eq!(got, [3, 2, 1, 0]);
        // Full: the next pop evicts the least recently inserted.
        assert_eq!(run(&lru, &mut present, 0), Some(3));
        assert_eq!(present.len(), 4);
    }

    #[test]
    fn referenced_nodes_survive_a_shrink() {
        let lru = Lru::new(false, 1, 4);
        let mut present = HashSet::new();
        for _ in 0..4 {
            run(&lru, &mut present, 0).unwrap();
        }
        lru.set_ref(3);
        // One CPU: target_free = 2, so nodes went 2, 3 then 0, 1. The
        // rotation moves the referenced 3 to the active list; the shrink
        // then frees the two oldest unreferenced ones (2, then 0) and
        // hands out the last freed.
        assert_eq!(run(&lru, &mut present, 0), Some(0));
        assert_eq!(present, HashSet::from([0, 1, 3]));
    }

    #[test]
    fn percpu_lru_keeps_cpus_apart() {
        let lru = Lru::new(true, 2, 4);
        let mut present = HashSet::new();
        let a: Vec<u32> = (0..2).map(|_| run(&lru, &mut present, 0).unwrap()).collect();
        let b: Vec<u32> = (0..2).map(|_| run(&lru, &mut present, 1).unwrap()).collect();
        assert_eq!(a, [1, 0]);
        assert_eq!(b, [3, 2]);
        // CPU 0's list is full: it evicts its own oldest, never CPU 1's.
        let c = run(&lru, &mut present, 0).unwrap();
        assert!(c < 2, "{c}");
        lru.push_free(c);
        present.remove(&c);
        assert_eq!(run(&lru, &mut present, 0), Some(c));
    }
}
