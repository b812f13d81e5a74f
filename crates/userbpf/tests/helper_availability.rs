//! Helper availability through the whole load path: the kernel's recorded
//! answers (tests/fixtures/helpers/availability.json, Linux 6.18) replayed
//! as BPF_PROG_LOADs of the recorder's own program, `r1 = 0; ... r5 = 0;
//! call ID; r0 = R0; exit`. Where the kernel refused the helper the log
//! must end in its exact line, "program of this type cannot use helper
//! bpf_x#N"; where it found a prototype, userbpf must not refuse the
//! helper. (The unit test in helpers/availability checks get_func_proto
//! itself on every cell, the tiers without CAP_PERFMON included.)

mod common;

use userbpf::isa::Insn;
use userbpf::uapi::helper_ids::HELPER_NAMES;
use userbpf::{Bpf, Caps, Config, Creds, ProgLoadRequest};

const BPF_F_SLEEPABLE: u32 = 1 << 4;

/// The recorder's program.
fn program(id: Option<i32>, r0: i32) -> Vec<Insn> {
    let mut insns: Vec<Insn> = (1..=5).map(|r| Insn::new(0xb7, r, 0, 0, 0)).collect();
    if let Some(id) = id {
        insns.push(Insn::new(0x85, 0, 0, 0, id));
    }
    insns.push(Insn::new(0xb7, 0, 0, 0, r0));
    insns.push(Insn::new(0x95, 0, 0, 0, 0));
    insns
}

/// "1-3,5" -> [1, 2, 3, 5].
fn parse_ranges(s: &str) -> Vec<i32> {
    let mut out = Vec::new();
    for part in s.split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<i32>().unwrap()..=b.parse::<i32>().unwrap()),
            None => out.push(part.parse().unwrap()),
        }
    }
    out
}

/// The tiers whose capabilities the verifier's walk tells apart: it
/// knows bpf_capable() alone, so the recorded CAP_BPF-without-CAP_PERFMON
/// tier is left to the unit test.
fn creds(tier: &str) -> Option<Creds> {
    let caps = match tier {
        "root" => Caps::ALL,
        "bpf_perfmon" => Caps {
            sys_admin: false,
            bpf: true,
            perfmon: true,
            net_admin: true,
        },
        _ => return None,
    };
    Some(Creds { uid: 0, caps })
}

#[test]
fn recorded_availability_through_prog_load() {
    let doc = common::fixtures::json(
        &common::fixtures::fixtures("helpers/availability.json"),
    );
    let (lo, hi) = (
        doc["helper_ids"][0].as_i64().unwrap() as i32,
        doc["helper_ids"][1].as_i64().unwrap() as i32,
    );
    let bpf = Bpf::new(Config::default());
    let mut wrong = Vec::new();
    let (mut loads, mut cells_run, mut cells_skipped) = (0, 0, Vec::new());
    for cell in doc["cells"].as_array().unwrap() {
        let tier = cell["tier"].as_str().unwrap();
        let Some(creds) = creds(tier) else { continue };
        let name = format!(
            "{}/{}/{}/{tier}",
            cell["prog_type_name"].as_str().unwrap(),
            cell["attach_type_name"].as_str().unwrap_or("-"),
            if cell["sleepable"].as_bool().unwrap() {
                "sleepable"
            } else {
                "-"
            }
        );
        let p = bpf.process(creds);
        let req = |insns: Vec<Insn>| ProgLoadRequest {
            prog_type: cell["prog_type"].as_u64().unwrap() as u32,
            expected_attach_type: cell["expected_attach_type"].as_u64().unwrap() as u32,
            prog_flags: if cell["sleepable"].as_bool().unwrap() {
                BPF_F_SLEEPABLE
            } else {
                0
            },
            insns,
            license: b"GPL".to_vec(),
            log_level: 1,
            ..Default::default()
        };
        let r0 = cell["r0"].as_i64().unwrap() as i32;
        // Configurations userbpf cannot load at all (attach targets by BTF
        // id, types it does not offer) are the load path's business.
        if !cell["target"].is_null() || p.prog_load(&req(program(None, r0))).result.is_err() {
            cells_skipped.push(name);
            continue;
        }
        cells_run += 1;
        let available = parse_ranges(cell["available"].as_str().unwrap());
        for id in lo..=hi {
            loads += 1;
            let out = p.prog_load(&req(program(Some(id), r0)));
            let refusal = format!(
                "program of this type cannot use helper {}#{id}\n",
                HELPER_NAMES[id as usize]
            );
            let refused = out.log.contains(&refusal);
            let kernel_available = available.contains(&id);
            if refused == kernel_available || (refused && out.result.is_ok()) {
                wrong.push(format!(
                    "{name}: {}#{id}: kernel {}, userbpf {:?}, log tail {:?}",
                    HELPER_NAMES[id as usize],
                    if kernel_available { "available" } else { "refused" },
                    out.result,
                    out.log.lines().rev().take(2).collect::<Vec<_>>()
                ));
            }
        }
    }
    eprintln!(
        "helper availability through prog_load: {loads} loads over {cells_run} configurations; \
         {} configurations userbpf cannot load: {cells_skipped:?}",
        cells_skipped.len()
    );
    assert!(
        cells_run >= 40,
        "most recorded configurations load in userbpf ({cells_run})"
    );
    assert!(
        wrong.is_empty(),
        "{} of {loads} loads disagree:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
