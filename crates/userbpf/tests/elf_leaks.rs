//! No fd, map or program outlives a failed object load: a program the
//! verifier refuses in the middle of an object (libbpf's all-or-nothing
//! load unloads the others), a map creation that fails part way, an
//! injected fault at every load step; and a successful load leaves nothing
//! once dropped.

mod common;

use common::fixtures::elf_dir;

use userbpf::obj::{LoadOptions, LoadedObject, ObjError, Object};
use userbpf::{Bpf, Config, Errno, LoadStep};

fn object(name: &str) -> Object {
    Object::parse(name, &std::fs::read(elf_dir().join(format!("{name}.o"))).unwrap()).unwrap()
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
    let (bpf, p) = common::process::root();
    let obj = object("partial_failure");
    let err = LoadedObject::load_all(&p, &obj, &LoadOptions::default())
        .err()
        .expect("refused");
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
    let (bpf, p) = common::process::root_with(Config {
        max_fds: 6,
        ..Config::default()
    });
    let err = LoadedObject::load_all(&p, &object("btf_maps"), &LoadOptions::default())
        .err()
        .expect("EMFILE");
    assert!(
        matches!(
            err,
            ObjError::MapCreate {
                errno: Errno::EMFILE,
                ..
            }
        ),
        "{err}"
    );
    assert_nothing_left(&bpf, &p, "btf_maps");
}

#[test]
fn a_fault_at_any_load_step_leaves_nothing() {
    for step in LoadStep::ALL {
        let (bpf, p) = common::process::root();
        bpf.inject_load_fault(Some((step, Errno::ENOMEM)));
        let r = LoadedObject::load_all(&p, &object("hash_of_maps"), &LoadOptions::default());
        assert!(r.is_err(), "{step:?}");
        drop(r);
        assert_nothing_left(&bpf, &p, &format!("{step:?}"));
    }
}

#[test]
fn a_loaded_object_leaves_nothing_once_dropped() {
    let (bpf, p) = common::process::root();
    for name in ["btf_maps", "global_data", "subprog_shared", "xdp_two_progs", "ringbuf"] {
        let loaded = LoadedObject::load_all(&p, &object(name), &LoadOptions::default()).unwrap();
        assert!(bpf.prog_count() > 0 && loaded.loads.iter().all(|l| l.outcome.result.is_ok()));
        drop(loaded);
        assert_nothing_left(&bpf, &p, name);
    }
}

#[test]
fn map_in_map_slots_and_global_data_are_set_up_as_libbpf_does() {
    let (_bpf, p) = common::process::root();
    // Maps only: the verifier refuses this program (elf_fixtures.rs).
    let loaded = LoadedObject::prepare(&p, &object("hash_of_maps"), &LoadOptions::default()).unwrap();
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
    assert_eq!(
        p.map_lookup(data, &0u32.to_le_bytes(), 8, 0).unwrap(),
        7u64.to_le_bytes()
    );
    let rodata = loaded.map_fd("global_d.rodata").unwrap();
    let ro = p.map_lookup(rodata, &0u32.to_le_bytes(), 20, 0).unwrap();
    let words: Vec<u32> = ro
        .chunks(4)
        .map(|c| u32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(words, [17, 0, 1, 2, 3]);
    assert_eq!(
        p.map_update(rodata, &0u32.to_le_bytes(), &[0; 20], 0),
        Err(Errno::EPERM)
    );
}

#[test]
fn legacy_maps_and_kconfig_as_their_sources_say() {
    // legacy_maps.c: legacy_counts ARRAY 4/8/16, legacy_hash HASH 8/4/64
    // NO_PREALLOC (libbpf >= 1.0 refuses this section; the kernel has no
    // record, so the values come from the source).
    let obj = object("legacy_maps");
    let defs: Vec<_> = obj
        .maps
        .iter()
        .map(|m| {
            (
                m.name.as_str(),
                m.map_type,
                m.key_size,
                m.value_size,
                m.max_entries,
                m.map_flags,
            )
        })
        .collect();
    assert_eq!(
        defs,
        [("legacy_counts", 2, 4, 8, 16, 0), ("legacy_hash", 1, 8, 4, 64, 1)]
    );
    let (bpf, p) = common::process::root();
    assert!(LoadedObject::load_all(&p, &obj, &LoadOptions::default()).is_ok());

    // kconfig.c: libbpf orders externs by alignment (down), size (up),
    // name: CONFIG_NO_SUCH_OPTION (int, weak, absent: 0) at 0,
    // LINUX_KERNEL_VERSION at 4, CONFIG_BPF_SYSCALL (bool) at 8: 9 bytes.
    let obj = object("kconfig");
    let mut kconfig = userbpf::obj::Kconfig::parse("# comment\nCONFIG_BPF_SYSCALL=y\n");
    kconfig.linux_kernel_version = userbpf::obj::Kconfig::version_code("6.18.3-arch1");
    let opts = LoadOptions {
        kconfig,
        ..Default::default()
    };
    let loaded = LoadedObject::load_all(&p, &obj, &opts).unwrap();
    let fd = loaded.map_fd("kconfig.kconfig").unwrap();
    let v = p.map_lookup(fd, &0u32.to_le_bytes(), 9, 0).unwrap();
    assert_eq!(v, [0, 0, 0, 0, 3, 18, 6, 0, 1]);
    assert_eq!(
        p.map_update(fd, &0u32.to_le_bytes(), &[0; 9], 0),
        Err(Errno::EPERM),
        "frozen"
    );
    drop(loaded);

    // Without the config option (strong extern): a clear error.
    let mut no_config = LoadOptions::default();
    no_config.kconfig.linux_kernel_version = Some(0x060000);
    let err = LoadedObject::load_all(&p, &obj, &no_config).err().unwrap();
    assert!(
        matches!(err, ObjError::Extern { ref name, .. } if name == "CONFIG_BPF_SYSCALL"),
        "{err}"
    );
    assert_nothing_left(&bpf, &p, "kconfig");
}
