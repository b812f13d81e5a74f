//! BPF_PROG_TEST_RUN of the loaded ELF fixtures on the bundled packets,
//! compared with the kernel's `bpftool prog run` (kernel.json): per
//! program and packet, retval and data_out. The kernel ran the programs
//! of one object in name order, each on every packet in order, on one
//! loaded object (global data carries over); so does this test.

mod common;

use common::fixtures::elf_dir;
use common::hex;

use std::collections::BTreeMap;

use serde_json::Value;
use userbpf::obj::{Kconfig, LoadOptions, LoadedObject, Object};
use userbpf::TestRunRequest;

/// Runs whose userbpf result differs from the kernel's, and why. The test
/// fails if this list is wrong in either direction.
/// (case, why) for runs that differ from the kernel; none left.
const KNOWN_RUN_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn test_runs_match_the_kernel() {
    let kernel: Value = serde_json::from_str(&std::fs::read_to_string(elf_dir().join("kernel.json")).unwrap()).unwrap();
    let release = kernel["kernel"].as_str().unwrap();
    let mut kconfig = Kconfig::parse("CONFIG_BPF_SYSCALL=y\n");
    kconfig.linux_kernel_version = Kconfig::version_code(release);
    let opts = LoadOptions {
        kconfig,
        ..Default::default()
    };
    let (mut runs, mut agree) = (0, 0);
    let mut differences = BTreeMap::new();
    for rec in kernel["objects"].as_array().unwrap() {
        let file = rec["object"].as_str().unwrap();
        let programs = rec["programs"].as_object().unwrap();
        if !programs.values().any(|p| p.get("runs").is_some()) || !rec["loaded"].as_bool().unwrap() {
            continue;
        }
        let data = std::fs::read(elf_dir().join(file)).unwrap();
        let obj = Object::parse(file.trim_end_matches(".o"), &data).unwrap();
        let (_bpf, p) = common::process::root_with(userbpf::Config {
            kernel_btf: Some(common::fixtures::bundled_kernel_btf()),
            ..Default::default()
        });
        let loaded = match LoadedObject::load_all(&p, &obj, &opts) {
            Ok(l) => l,
            Err(e) => {
                // Every run of the object differs: it did not load here.
                for (name, prog) in programs {
                    for run in prog.get("runs").and_then(Value::as_array).into_iter().flatten() {
                        runs += 1;
                        let packet = run["packet"].as_str().unwrap();
                        differences.insert(format!("{file}:{name}:{packet}"), format!("not loaded: {e}"));
                    }
                }
                continue;
            }
        };
        // serde_json's map is ordered by name, as the kernel's pins were.
        for (name, prog) in programs {
            let Some(prog_runs) = prog.get("runs").and_then(Value::as_array) else {
                continue;
            };
            let fd = loaded
                .prog_fd(name)
                .unwrap_or_else(|| panic!("{file}: {name} not loaded"));
            for run in prog_runs {
                let packet = run["packet"].as_str().unwrap();
                let data_in = std::fs::read(elf_dir().join("packets").join(format!("{packet}.bin"))).unwrap();
                runs += 1;
                let key = format!("{file}:{name}:{packet}");
                let ours = p.prog_test_run(&TestRunRequest {
                    prog_fd: fd,
                    data_in,
                    repeat: 1,
                    ..Default::default()
                });
                let want = (
                    run["retval"].as_u64().unwrap() as u32,
                    run["data_out"].as_str().unwrap().to_string(),
                );
                match ours {
                    Ok(out) if (out.retval, hex(&out.data_out)) == want => agree += 1,
                    Ok(out) => {
                        differences.insert(
                            key,
                            format!("kernel {want:?}, userbpf ({}, {})", out.retval, hex(&out.data_out)),
                        );
                    }
                    Err(e) => {
                        differences.insert(key, format!("kernel {want:?}, userbpf {e}"));
                    }
                }
            }
        }
    }
    eprintln!("ELF test runs: {agree}/{runs} agree with the kernel");
    for (k, v) in &differences {
        eprintln!("  differs: {k}: {v}");
    }
    let known: Vec<&str> = KNOWN_RUN_DIFFERENCES.iter().map(|(k, _)| *k).collect();
    assert_eq!(
        differences.keys().map(String::as_str).collect::<Vec<_>>(),
        known,
        "differences from the kernel"
    );
}
