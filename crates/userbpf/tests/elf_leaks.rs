//! No fd, map or program outlives a failed object load: a program the
//! verifier refuses in the middle of an object (libbpf's all-or-nothing
//! load unloads the others), a map creation that fails part way, an
//! injected fault at every load step; and a successful load leaves nothing
//! once dropped.

use std::path::{Path, PathBuf};

use userbpf::obj::{LoadOptions, LoadedObject, ObjError, Object};
use userbpf::{Bpf, Config, Creds, Errno, LoadStep};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/elf")
}

fn object(name: &str) -> Object {
    Object::parse(name, &std::fs::read(fixtures().join(format!("{name}.o"))).unwrap()).unwrap()
}

fn assert_nothing_left(bpf: &Bpf, p: &userbpf::Process, what: &str) {
    assert_eq!(bpf.map_count(), 0, "{what}: maps left");
    assert_eq!(bpf.prog_count(), 0, "{what}: programs left");
    assert_eq!(p.open_fds(), 0, "{what}: fds left");
}

#[test]
fn a_refused_program_in_the_middle_unloads_everything() {
    // partial_failure.c: xdp_good_first loads, xdp_bad_second is refused
    // (EACCES, as the kernel refused it: kernel.json), xdp_good_third is
    // never tried.
    let bpf = Bpf::default();
    let p = bpf.process(Creds::ROOT);
    let obj = object("partial_failure");
    let err = LoadedObject::load_all(&p, &obj, &LoadOptions::default()).err().expect("refused");
    match err {
        ObjError::ProgLoad { program, errno, .. } => {
            assert_eq!(program, "xdp_bad_second");
            assert_eq!(errno, Errno::EACCES);
        }
        other => panic!("{other}"),
    }
    assert_nothing_left(&bpf, &p, "partial_failure");
}

#[test]
fn a_map_creation_failing_part_way_closes_the_maps_made() {
    // btf_maps.o makes five maps (four in .maps, then .rodata.cst16); with
    // room for three fds (RLIMIT_NOFILE 6 minus stdio), the fourth fails.
    let bpf = Bpf::new(Config {
        max_fds: 6,
        ..Config::default()
    });
    let p = bpf.process(Creds::ROOT);
    let err = LoadedObject::load_all(&p, &object("btf_maps"), &LoadOptions::default()).err().expect("EMFILE");
    assert!(matches!(err, ObjError::MapCreate { errno: Errno::EMFILE, .. }), "{err}");
    assert_nothing_left(&bpf, &p, "btf_maps");
}

#[test]
fn a_fault_at_any_load_step_leaves_nothing() {
    for step in LoadStep::ALL {
        let bpf = Bpf::default();
        let p = bpf.process(Creds::ROOT);
        bpf.inject_load_fault(Some((step, Errno::ENOMEM)));
        let r = LoadedObject::load_all(&p, &object("hash_of_maps"), &LoadOptions::default());
        assert!(r.is_err(), "{step:?}");
        drop(r);
        assert_nothing_left(&bpf, &p, &format!("{step:?}"));
    }
}

#[test]
fn a_loaded_object_leaves_nothing_once_dropped() {
    let bpf = Bpf::default();
    let p = bpf.process(Creds::ROOT);
    for name in ["hash_of_maps", "global_data", "subprog_shared", "xdp_two_progs", "ringbuf"] {
        let loaded = LoadedObject::load_all(&p, &object(name), &LoadOptions::default()).unwrap();
        assert!(bpf.prog_count() > 0 && loaded.loads.iter().all(|l| l.outcome.result.is_ok()));
        drop(loaded);
        assert_nothing_left(&bpf, &p, name);
    }
}

#[test]
fn map_in_map_slots_and_global_data_are_set_up_as_libbpf_does() {
    let bpf = Bpf::default();
    let p = bpf.process(Creds::ROOT);
    let loaded = LoadedObject::load_all(&p, &object("hash_of_maps"), &LoadOptions::default()).unwrap();
    // hash_of_maps.c: outer_hash = { [3] = &inner_a }, outer_array = { &inner_a, &inner_b }.
    let id_of = |name: &str| p.map_info(loaded.map_fd(name).unwrap()).unwrap().id;
    let slot = |outer: &str, k: u32| p.map_lookup(loaded.map_fd(outer).unwrap(), &k.to_le_bytes(), 4, 0);
    assert_eq!(slot("outer_hash", 3).unwrap(), id_of("inner_a").to_le_bytes());
    assert_eq!(slot("outer_array", 0).unwrap(), id_of("inner_a").to_le_bytes());
    assert_eq!(slot("outer_array", 1).unwrap(), id_of("inner_b").to_le_bytes());
    drop(loaded);

    let loaded = LoadedObject::load_all(&p, &object("global_data"), &LoadOptions::default()).unwrap();
    // global_data.c: .data holds packets = 7; .rodata drop_proto = 17 then
    // verdict_table {0, 1, 2, 3}; .rodata is frozen (no more writes).
    let data = loaded.map_fd("global_d.data").unwrap();
    assert_eq!(p.map_lookup(data, &0u32.to_le_bytes(), 8, 0).unwrap(), 7u64.to_le_bytes());
    let rodata = loaded.map_fd("global_d.rodata").unwrap();
    let ro = p.map_lookup(rodata, &0u32.to_le_bytes(), 20, 0).unwrap();
    let words: Vec<u32> = ro.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect();
    assert_eq!(words, [17, 0, 1, 2, 3]);
    assert_eq!(p.map_update(rodata, &0u32.to_le_bytes(), &[0; 20], 0), Err(Errno::EPERM));
}
