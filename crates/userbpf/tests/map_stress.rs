//! Concurrency of hash maps: 8 threads run 1,000,000 mixed operations on
//! one hash map, through bpf(2) (update, delete, lookup) and through the
//! program path (lookups into guest memory, atomic adds on values as
//! BPF_ATOMIC instructions do). Each thread owns a key range and keeps a
//! model of it; at the end the map must hold exactly the models' keys and
//! versions (no lost update), every value read must be self-consistent (no
//! torn update), and the shared counters must hold every increment.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Instant;

use userbpf::exec::GuestMemory;
use userbpf::exec::RegionKind;
use userbpf::maps::MapTable;
use userbpf::maps::{set_current_cpu, Map};
use userbpf::uapi::types::{elem_flags, map_type};
use userbpf::{Bpf, Config, Errno, MapCreateRequest, Process};

const THREADS: u64 = 8;
const OPS_PER_THREAD: u64 = 125_000;
const KEYS_PER_THREAD: u64 = 256;
const COUNTERS: u64 = 16;
const COUNTER_BASE: u64 = 1 << 40;

/// A value whose four words agree: a torn write shows as a mismatch.
fn value(key: u64, version: u64) -> [u8; 32] {
    let mut v = [0u8; 32];
    for (i, w) in [key, version, key ^ version, !version].iter().enumerate() {
        v[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    v
}

fn check(key: u64, v: &[u8]) -> u64 {
    let w = |i: usize| u64::from_le_bytes(v[i * 8..i * 8 + 8].try_into().unwrap());
    assert_eq!(w(0), key, "value of key {key} holds another key");
    assert_eq!(w(2), key ^ w(1), "torn value for key {key}");
    assert_eq!(w(3), !w(1), "torn value for key {key}");
    w(1)
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn setup(map_type: u32, max_entries: u32) -> (Bpf, Process, u32, Arc<Map>) {
    let (bpf, p) = common::process::root_with(Config {
        possible_cpus: 4,
        ..Config::default()
    });
    let fd = p
        .map_create(&MapCreateRequest {
            map_type,
            key_size: 8,
            value_size: 32,
            max_entries,
            ..Default::default()
        })
        .unwrap();
    let map = p.map_by_fd(fd).unwrap().0;
    (bpf, p, fd, map)
}

/// What one thread did.
#[derive(Default)]
struct Tally {
    model: HashMap<u64, u64>,
    increments: u64,
    ops: u64,
}

fn worker(t: u64, p: &Process, fd: u32, map: &Arc<Map>) -> Tally {
    set_current_cpu((t % 4) as u32);
    let used = vec![Arc::clone(map)];
    let mut scratch = [0u8; 64];
    let mut gm = GuestMemory::new();
    let table = MapTable::install(&used, &mut gm).unwrap();
    let key_addr = gm.add(&mut scratch, RegionKind::Stack);
    let handle = userbpf::maps::map_base(0);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((t + 1) * 0x1234_5678));
    let mut tally = Tally::default();
    let own = |r: u64| t * KEYS_PER_THREAD + r % KEYS_PER_THREAD;
    let mut version = 0u64;
    for _ in 0..OPS_PER_THREAD {
        let r = rng.next();
        let op = r % 100;
        tally.ops += 1;
        if op < 30 {
            // bpf(BPF_MAP_UPDATE_ELEM, BPF_ANY) of an own key.
            let k = own(r >> 8);
            version += 1;
            p.map_update(fd, &k.to_le_bytes(), &value(k, version), elem_flags::ANY)
                .unwrap();
            tally.model.insert(k, version);
        } else if op < 40 {
            // BPF_NOEXIST: EEXIST exactly when the model has the key.
            let k = own(r >> 8);
            version += 1;
            let got = p.map_update(fd, &k.to_le_bytes(), &value(k, version), elem_flags::NOEXIST);
            if let std::collections::hash_map::Entry::Vacant(e) = tally.model.entry(k) {
                got.unwrap();
                e.insert(version);
            } else {
                assert_eq!(got, Err(Errno::EEXIST));
            }
        } else if op < 55 {
            // bpf(BPF_MAP_DELETE_ELEM): ENOENT exactly when absent.
            let k = own(r >> 8);
            let got = p.map_delete(fd, &k.to_le_bytes());
            match tally.model.remove(&k) {
                Some(_) => got.unwrap(),
                None => assert_eq!(got, Err(Errno::ENOENT)),
            }
        } else if op < 75 {
            // bpf(BPF_MAP_LOOKUP_ELEM) of any thread's key: whole values only.
            let other = (r >> 8) % THREADS;
            let k = other * KEYS_PER_THREAD + (r >> 16) % KEYS_PER_THREAD;
            match p.map_lookup(fd, &k.to_le_bytes(), 32, 0) {
                Ok(v) => {
                    let ver = check(k, &v);
                    if other == t {
                        assert_eq!(Some(&ver), tally.model.get(&k), "own key {k}");
                    }
                }
                Err(e) => {
                    assert_eq!(e, Errno::ENOENT);
                    if other == t {
                        assert!(!tally.model.contains_key(&k), "own key {k} lost");
                    }
                }
            }
        } else if op < 85 {
            // A program's bpf_map_lookup_elem of an own key, read through
            // the value pointer in guest memory.
            let k = own(r >> 8);
            gm.write_bytes(key_addr, &k.to_le_bytes()).unwrap();
            let addr = table
                .map_lookup_elem(&mut gm, handle, key_addr, (t % 4) as u32)
                .unwrap();
            match tally.model.get(&k) {
                Some(&ver) => {
                    assert_ne!(addr, 0, "own key {k} missing for a program");
                    let mut v = [0u8; 32];
                    gm.read_bytes(addr, &mut v).unwrap();
                    assert_eq!(check(k, &v), ver);
                }
                None => assert_eq!(addr, 0, "deleted key {k} found by a program"),
            }
        } else {
            // A program's `lock *(u64 *)(r0 + 8) += 1` on a shared counter.
            let k = COUNTER_BASE + r % COUNTERS;
            gm.write_bytes(key_addr, &k.to_le_bytes()).unwrap();
            let addr = table.map_lookup_elem(&mut gm, handle, key_addr, 0).unwrap();
            assert_ne!(addr, 0);
            gm.atomic_update(addr + 8, 8, |v| v.wrapping_add(1)).unwrap();
            tally.increments += 1;
        }
    }
    tally
}

#[test]
fn hash_map_survives_a_million_concurrent_operations() {
    let max = (THREADS * KEYS_PER_THREAD + COUNTERS) as u32;
    let (bpf, p, fd, map) = setup(map_type::HASH, max);
    for c in 0..COUNTERS {
        let k = COUNTER_BASE + c;
        let mut v = [0u8; 32];
        v[..8].copy_from_slice(&k.to_le_bytes());
        p.map_update(fd, &k.to_le_bytes(), &v, 0).unwrap();
    }
    let start = Instant::now();
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..THREADS)
            .map(|t| {
                let (p, map) = (&p, &map);
                s.spawn(move || worker(t, p, fd, map))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let elapsed = start.elapsed();
    let ops: u64 = tallies.iter().map(|t| t.ops).sum();
    assert_eq!(ops, 1_000_000);
    eprintln!(
        "{ops} operations on 8 threads in {:.2?}: {:.0} ops/s",
        elapsed,
        ops as f64 / elapsed.as_secs_f64()
    );

    // No lost update: the map is exactly the union of the models.
    let mut expected: HashMap<u64, u64> = HashMap::new();
    for t in &tallies {
        expected.extend(t.model.iter().map(|(&k, &v)| (k, v)));
    }
    for (k, ver) in &expected {
        let v = p.map_lookup(fd, &k.to_le_bytes(), 32, 0).unwrap();
        assert_eq!(check(*k, &v), *ver, "key {k}");
    }
    // The counters hold every increment.
    let increments: u64 = tallies.iter().map(|t| t.increments).sum();
    let counted: u64 = (0..COUNTERS)
        .map(|c| {
            let v = p.map_lookup(fd, &(COUNTER_BASE + c).to_le_bytes(), 32, 0).unwrap();
            u64::from_le_bytes(v[8..16].try_into().unwrap())
        })
        .sum();
    assert_eq!(counted, increments, "lost atomic increments");
    // Iteration sees every key exactly once and nothing else.
    let dump = p.map_dump(fd).unwrap();
    let keys: HashSet<u64> = dump
        .iter()
        .map(|(k, _)| u64::from_le_bytes(k[..8].try_into().unwrap()))
        .collect();
    assert_eq!(keys.len(), dump.len(), "a key iterated twice");
    assert_eq!(keys.len(), expected.len() + COUNTERS as usize);
    assert!(expected.keys().all(|k| keys.contains(k)));
    drop(map);
    p.close(fd).unwrap();
    assert_eq!((bpf.map_count(), bpf.memlock_pages()), (0, 0));
}

#[test]
fn lru_maps_stay_consistent_under_concurrent_updates_and_deletes() {
    // More keys than room: every insert may evict. Whatever is evicted,
    // the table and the LRU lists must agree: no key twice, never more
    // than max_entries, every value whole.
    let (bpf, p, fd, _map) = setup(map_type::LRU_HASH, 512);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let p = &p;
            s.spawn(move || {
                set_current_cpu(t as u32);
                let mut rng = Rng(t + 77);
                for i in 0..40_000u64 {
                    let k = rng.next() % 2048;
                    match i % 4 {
                        0 | 1 => p.map_update(fd, &k.to_le_bytes(), &value(k, i), 0).unwrap(),
                        2 => {
                            let _ = p.map_delete(fd, &k.to_le_bytes());
                        }
                        _ => {
                            if let Ok(v) = p.map_lookup(fd, &k.to_le_bytes(), 32, 0) {
                                check(k, &v);
                            }
                        }
                    }
                }
            });
        }
    });
    let dump = p.map_dump(fd).unwrap();
    let keys: HashSet<Vec<u8>> = dump.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys.len(), dump.len(), "a key iterated twice");
    assert!(dump.len() <= 512);
    for (k, v) in &dump {
        check(u64::from_le_bytes(k[..8].try_into().unwrap()), v.as_ref().unwrap());
    }
    // No node was lost: inserts still find one (the LRU may recycle before
    // the map is full, as the kernel's does, so the count is at most 512).
    for k in 10_000..11_000u64 {
        p.map_update(fd, &k.to_le_bytes(), &value(k, 1), 0).unwrap();
    }
    let n = p.map_dump(fd).unwrap().len();
    assert!(n > 256 && n <= 512, "{n} elements");
    drop(_map);
    p.close(fd).unwrap();
    assert_eq!(bpf.map_count(), 0);
}
