//! BTF and CO-RE on the ELF fixtures:
//! - `btf dump` text equals `bpftool btf dump file` (recorded in btf/*.txt)
//!   for every object;
//! - CO-RE against the small target (target/core_target.c), with the
//!   expected values derived by hand from that file's layout;
//! - func_info and line_info follow the code when subprograms are
//!   appended.

mod common;

use common::fixtures::elf_dir;

use std::path::Path;

use userbpf::btf::dump::dump_raw;
use userbpf::obj::core::{calc_relo, relo_kind as rk, POISON_HELPER};
use userbpf::obj::{read_target_btf, LoadOptions, LoadedObject, Object};

fn object(name: &str) -> Object {
    let data = std::fs::read(elf_dir().join(format!("{name}.o"))).unwrap();
    Object::parse(name, &data).unwrap()
}

#[test]
fn btf_dump_matches_bpftool_for_every_object() {
    let mut n = 0;
    for entry in std::fs::read_dir(elf_dir().join("btf")).unwrap() {
        let path = entry.unwrap().path();
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let obj_path = if stem == "core_target" {
            elf_dir().join("target/core_target.o")
        } else {
            elf_dir().join(format!("{stem}.o"))
        };
        let btf = read_target_btf(&std::fs::read(&obj_path).unwrap()).unwrap();
        let want = std::fs::read_to_string(&path).unwrap();
        let got = dump_raw(&btf);
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "{stem}: line {}", i + 1);
        }
        assert_eq!(got.lines().count(), want.lines().count(), "{stem}: line count");
        n += 1;
    }
    assert!(n >= 30, "{n} dumps compared");
}

fn target() -> userbpf::btf::Btf {
    read_target_btf(&std::fs::read(elf_dir().join("target/core_target.o")).unwrap()).unwrap()
}

/// (kind, local value, target value) of every CO-RE record of an object.
fn core_results(name: &str) -> Vec<(u32, u64, Option<u64>)> {
    let obj = object(name);
    let (btf, ext) = (obj.btf.as_ref().unwrap(), obj.btf_ext.as_ref().unwrap());
    let target = target();
    ext.core_relos
        .iter()
        .flat_map(|s| s.records.iter())
        .map(|r| {
            let res = calc_relo(btf, &target, r).unwrap();
            (r.kind, res.orig, res.new)
        })
        .collect()
}

#[test]
fn core_field_offsets_follow_the_target_layout() {
    // core_task.c's local task_struct: pid at 0, tgid at 4, real_parent at
    // 8. core_target.c: pid at 48, tgid at 52, real_parent at 56.
    let mut got = core_results("core_task");
    got.sort();
    got.dedup();
    assert_eq!(
        got,
        vec![
            (rk::FIELD_BYTE_OFFSET, 0, Some(48)),
            (rk::FIELD_BYTE_OFFSET, 4, Some(52)),
            (rk::FIELD_BYTE_OFFSET, 8, Some(56)),
        ]
    );
}

#[test]
fn core_exists_sizes_and_enum_values() {
    // core_kinds.c asks, in order: flags exists (yes), the made-up field
    // exists (no), sizeof flags (4), sizeof(struct mm_struct) (local 8,
    // target 40), enum value RINGBUF (local 99, target 27), HASH exists.
    let mut got = core_results("core_kinds");
    got.sort();
    assert_eq!(
        got,
        vec![
            (rk::FIELD_BYTE_SIZE, 4, Some(4)),
            (rk::FIELD_EXISTS, 1, Some(0)),
            (rk::FIELD_EXISTS, 1, Some(1)),
            (rk::TYPE_SIZE, 8, Some(40)),
            (rk::ENUMVAL_EXISTS, 1, Some(1)),
            (rk::ENUMVAL_VALUE, 99, Some(27)),
        ]
    );
}

#[test]
fn core_without_a_candidate_poisons_the_instruction() {
    // Against a BTF without task_struct (btf_kinds.o's), the offset
    // relocations have no candidate: libbpf turns the instruction into a
    // call to helper 0xbad2310, which the verifier refuses if reached.
    let obj = object("core_task");
    let opts = LoadOptions {
        target_btf: Some(read_target_btf(&std::fs::read(elf_dir().join("btf_kinds.o")).unwrap()).unwrap()),
        ..Default::default()
    };
    let (_bpf, p) = common::process::root();
    let loaded = LoadedObject::prepare(&p, &obj, &opts).unwrap();
    let linked = loaded.link("core_task_parent").unwrap();
    let poisoned = linked
        .insns
        .iter()
        .filter(|i| i.code == 0x85 && i.imm == POISON_HELPER)
        .count();
    assert_eq!(poisoned, 3, "the three offset relocations");
}

#[test]
fn core_needs_a_target() {
    let obj = object("core_task");
    let (bpf, p) = common::process::root();
    let err = LoadedObject::prepare(&p, &obj, &LoadOptions::default()).err().unwrap();
    assert!(err.to_string().contains("target BTF"), "{err}");
    assert_eq!(bpf.map_count(), 0, "the map made before the error is closed");
}

#[test]
fn func_and_line_info_follow_appended_subprograms() {
    // subprog_shared.c: socket_hash calls hash3, which calls mix: three
    // functions, so three func_info records, each at a function start.
    let obj = object("subprog_shared");
    let (_bpf, p) = common::process::root();
    let loaded = LoadedObject::prepare(&p, &obj, &LoadOptions::default()).unwrap();
    let linked = loaded.link("socket_hash").unwrap();
    assert_eq!(linked.func_info.len(), 3);
    assert_eq!(linked.func_info[0].insn_off, 0);
    let btf = obj.btf.as_ref().unwrap();
    let names: Vec<&str> = linked.func_info.iter().map(|f| btf.type_name(f.type_id)).collect();
    assert_eq!(names, ["socket_hash", "hash3", "mix"]);
    // Each appended function starts where a call lands: pc + imm + 1.
    let targets: Vec<u32> = linked
        .insns
        .iter()
        .enumerate()
        .filter(|(_, i)| i.code == 0x85 && i.src == 1)
        .map(|(pc, i)| (pc as i64 + i.imm as i64 + 1) as u32)
        .collect();
    for f in &linked.func_info[1..] {
        assert!(targets.contains(&f.insn_off), "{} is called", btf.type_name(f.type_id));
    }
    let n = linked.insns.len() as u32;
    assert!(linked.line_info.iter().all(|l| l.insn_off < n));
    assert!(
        linked
            .line_info
            .windows(2)
            .filter(|w| w[0].insn_off > w[1].insn_off)
            .count()
            <= 2,
        "sorted per function"
    );
}

/// CO-RE against the running kernel's BTF gives the tags the kernel
/// computed for the same objects (only when the recording kernel's BTF is
/// here; skipped otherwise).
#[test]
fn core_against_the_recording_kernel_gives_its_tags() {
    let vmlinux = Path::new("/sys/kernel/btf/vmlinux");
    let kernel: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(elf_dir().join("kernel.json")).unwrap()).unwrap();
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    if !vmlinux.exists() || release.trim() != kernel["kernel"].as_str().unwrap() {
        eprintln!("skipped: not on the recording kernel ({})", kernel["kernel"]);
        return;
    }
    let opts = LoadOptions {
        target_btf: Some(read_target_btf(&std::fs::read(vmlinux).unwrap()).unwrap()),
        ..Default::default()
    };
    for (file, prog) in [("core_task", "core_task_parent"), ("core_kinds", "core_kinds")] {
        let want = kernel["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["object"] == format!("{file}.o"))
            .unwrap()["programs"][prog]["tag"]
            .as_str()
            .unwrap()
            .to_string();
        let (_bpf, p) = common::process::root();
        let mut loaded = LoadedObject::prepare(&p, &object(file), &opts).unwrap();
        let fd = loaded.load_program(prog, 0).unwrap().outcome.result.unwrap();
        assert_eq!(p.prog_info(fd).unwrap().tag_hex(), want, "{prog}");
    }
}
