//! Every ELF fixture (tests/fixtures/elf/*.o, built by build.sh) parsed
//! and loaded by userbpf, compared with what the kernel did with it
//! (kernel.json, recorded by record.py with bpftool): per program the
//! verdict (loaded, or libbpf's errno) and the tag (the kernel's SHA-1 of
//! the relocated code, map fds zeroed: equal tags mean equal relocation
//! and subprogram linking); per map the type, key and value sizes,
//! max_entries and flags bpftool showed.

mod common;

use common::fixtures::elf_dir;

use std::collections::BTreeMap;

use serde_json::Value;
use userbpf::obj::{Kconfig, LoadOptions, LoadedObject, Object};
use userbpf::uapi::types::{map_type_from_str, prog_type_from_str};
use userbpf::{Bpf, Config, Creds};

fn kernel_json() -> Value {
    let text = std::fs::read_to_string(elf_dir().join("kernel.json")).expect("kernel.json");
    serde_json::from_str(&text).expect("kernel.json parses")
}

/// Options as the recording kernel would give them: its version, the one
/// config option the kconfig fixture reads (=y on any kernel with BPF),
/// and the small CO-RE target (not the kernel's BTF: tags of CO-RE
/// programs are not compared). The instance's kernel BTF, which kfuncs
/// resolve against, is the small kernel_btf/kfuncs.btf: its ids are not
/// the kernel's, so tags of programs with kfunc calls are not compared
/// either.
fn options(kernel: &Value) -> LoadOptions {
    let release = kernel["kernel"].as_str().expect("kernel release");
    let mut kconfig = Kconfig::parse("CONFIG_BPF_SYSCALL=y\n");
    kconfig.linux_kernel_version = Kconfig::version_code(release);
    let target = std::fs::read(elf_dir().join("target/core_target.o")).expect("core target");
    LoadOptions {
        target_btf: Some(userbpf::obj::read_target_btf(&target).expect("target BTF")),
        kconfig,
        ..Default::default()
    }
}

fn object(file: &str) -> Object {
    let data = std::fs::read(elf_dir().join(file)).expect("fixture");
    Object::parse(file.trim_end_matches(".o"), &data).unwrap_or_else(|e| panic!("{file}: {e}"))
}

/// Programs whose userbpf verdict differs from the kernel's, and why.
/// The test fails if this list is wrong in either direction.
const KNOWN_VERDICT_DIFFERENCES: &[(&str, &str)] = &[(
    "kfunc_calls.o:iter_sum",
    "kfuncs are not modelled: the verifier refuses a reachable kfunc call with EOPNOTSUPP",
)];

#[test]
fn every_fixture_matches_the_kernel() {
    let kernel = kernel_json();
    let opts = options(&kernel);
    let objects = kernel["objects"].as_array().expect("objects");
    assert!(objects.len() >= 25, "at least 25 fixtures");
    let (mut agree, mut total, mut tags_equal, mut tags_compared) = (0, 0, 0, 0);
    let mut differences: BTreeMap<String, String> = BTreeMap::new();
    for rec in objects {
        let file = rec["object"].as_str().expect("name");
        let obj = object(file);
        // Maps as bpftool showed them.
        for (name, m) in rec["maps"].as_object().expect("maps") {
            let def = obj
                .maps
                .iter()
                .find(|d| &d.name == name)
                .unwrap_or_else(|| panic!("{file}: no map {name}"));
            let ty = map_type_from_str(m["type"].as_str().unwrap()).unwrap();
            assert_eq!(def.map_type, ty, "{file}: {name} type");
            assert_eq!(
                def.key_size as u64,
                m["key_size"].as_u64().unwrap(),
                "{file}: {name} key size"
            );
            assert_eq!(
                def.value_size as u64,
                m["value_size"].as_u64().unwrap(),
                "{file}: {name} value size"
            );
            assert_eq!(
                def.max_entries as u64,
                m["max_entries"].as_u64().unwrap(),
                "{file}: {name} max_entries"
            );
            assert_eq!(
                def.map_flags as u64,
                m["flags"].as_u64().unwrap(),
                "{file}: {name} flags"
            );
        }
        // As recorded: the host's LSM refuses trampoline-attached programs
        // (fentry) with EPERM before verification (security::ReferenceHostPolicy).
        let bpf = Bpf::new(Config {
            kernel_btf: Some(common::fixtures::bundled_kernel_btf()),
            ..Config::default()
        });
        bpf.set_policy(std::sync::Arc::new(userbpf::security::ReferenceHostPolicy));
        let p = bpf.process(Creds::ROOT);
        {
            let mut loaded = LoadedObject::prepare(&p, &obj, &opts).unwrap_or_else(|e| panic!("{file}: {e}"));
            let core = obj.btf_ext.as_ref().is_some_and(|e| !e.core_relos.is_empty())
                || obj.externs.iter().any(|e| e.is_ksym());
            for prog in &obj.programs {
                let name = prog.name().to_string();
                let load = loaded
                    .load_program(&name, 1)
                    .unwrap_or_else(|e| panic!("{file}: {name}: {e}"));
                let Some(k) = rec["programs"].get(&name) else { continue };
                total += 1;
                let kernel_verdict = if k["loaded"].as_bool().unwrap() {
                    Ok(())
                } else {
                    Err(k["errno"].as_i64().unwrap())
                };
                let ours = load.outcome.result.map(drop).map_err(|e| e.0 as i64);
                if kernel_verdict == ours {
                    agree += 1;
                } else {
                    differences.insert(
                        format!("{file}:{name}"),
                        format!(
                            "kernel {kernel_verdict:?}, userbpf {ours:?}: {}",
                            load.outcome.log.lines().rev().nth(1).unwrap_or("")
                        ),
                    );
                }
                if let (Ok(fd), Some(tag)) = (load.outcome.result, k["tag"].as_str()) {
                    assert_eq!(
                        Some(load.prog_type),
                        prog_type_from_str(k["type"].as_str().unwrap()),
                        "{file}: {name} type"
                    );
                    if !core {
                        tags_compared += 1;
                        let info = p.prog_info(fd).unwrap();
                        if info.tag_hex() == tag {
                            tags_equal += 1;
                        } else {
                            differences.insert(
                                format!("{file}:{name}:tag"),
                                format!("kernel {tag}, userbpf {}", info.tag_hex()),
                            );
                        }
                    }
                }
            }
        }
        assert_eq!(bpf.prog_count(), 0, "{file}: programs left after close");
        assert_eq!(bpf.map_count(), 0, "{file}: maps left after close");
    }
    eprintln!("ELF fixtures: {agree}/{total} verdicts agree, {tags_equal}/{tags_compared} tags equal");
    for (k, v) in &differences {
        eprintln!("  differs: {k}: {v}");
    }
    let known: BTreeMap<String, String> = KNOWN_VERDICT_DIFFERENCES
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(
        differences.keys().collect::<Vec<_>>(),
        known.keys().collect::<Vec<_>>(),
        "differences from the kernel"
    );
}
