//! Replays the kernel's recorded answers (tests/fixtures/helpers/
//! availability.json, recorded by record_availability.py on Linux 6.18):
//! every (configuration, tier, helper id) cell must agree.

use super::{get_func_proto, Caps, ProgFacts, Target};
use crate::uapi::helper_ids::HELPER_NAMES;
use serde_json::Value;

const FIXTURE: &str = include_str!("../../../../../tests/fixtures/helpers/availability.json");

const ROOT: Caps = Caps {
    bpf: true,
    perfmon: true,
    sys_admin: true,
};

/// A tier's capabilities, as the recorder's capset left them.
fn caps(tier: &str) -> Caps {
    match tier {
        "root" => ROOT,
        "bpf_perfmon" => Caps {
            bpf: true,
            perfmon: true,
            sys_admin: false,
        },
        "bpf" => Caps {
            bpf: true,
            perfmon: false,
            sys_admin: false,
        },
        other => panic!("unknown tier {other}"),
    }
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

fn target(cell: &Value) -> Option<Target<'_>> {
    let t = cell["target"].as_str()?;
    Some(match t.split_once(':') {
        Some((ops, member)) => Target::StructOpsMember { ops, member },
        None => Target::Func(t),
    })
}

#[test]
fn parse_ranges_reads_the_fixture_format() {
    assert_eq!(parse_ranges("1-3,5,7-8"), vec![1, 2, 3, 5, 7, 8]);
    assert_eq!(parse_ranges(""), Vec::<i32>::new());
}

#[test]
fn every_recorded_cell_agrees_with_the_kernel() {
    let doc: Value = serde_json::from_str(FIXTURE).expect("fixture parses");
    let (lo, hi) = (
        doc["helper_ids"][0].as_i64().unwrap() as i32,
        doc["helper_ids"][1].as_i64().unwrap() as i32,
    );
    let cells = doc["cells"].as_array().expect("cells");
    assert!(cells.len() > 100, "the fixture has its cells");
    let mut wrong = Vec::new();
    let mut checked = 0;
    for cell in cells {
        let prog = ProgFacts {
            prog_type: cell["prog_type"].as_u64().unwrap() as u32,
            expected_attach_type: cell["expected_attach_type"].as_u64().unwrap() as u32,
            sleepable: cell["sleepable"].as_bool().unwrap(),
            caps: caps(cell["tier"].as_str().unwrap()),
            target: target(cell),
        };
        let available = parse_ranges(cell["available"].as_str().unwrap());
        for id in lo..=hi {
            checked += 1;
            let kernel = available.contains(&id);
            let proto = get_func_proto(id, &prog);
            // A prototype answers the helper it was asked for (a wrong
            // variable name in a get_func_proto would show here).
            if let Some(p) = proto {
                assert_eq!(p.func_id, id, "{} returned for helper {id}", p.name);
            }
            let ours = proto.is_some();
            if kernel != ours {
                wrong.push(format!(
                    "{}/{}/{}/{}/{}: {}#{id}: kernel {}, ours {}",
                    cell["prog_type_name"].as_str().unwrap(),
                    cell["attach_type_name"].as_str().unwrap_or("-"),
                    if prog.sleepable { "sleepable" } else { "-" },
                    cell["target"].as_str().unwrap_or("-"),
                    cell["tier"].as_str().unwrap(),
                    HELPER_NAMES[id as usize],
                    if kernel { "available" } else { "refused" },
                    if ours { "available" } else { "refused" },
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {checked} cells disagree with the kernel:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn variants_follow_the_program_type() {
    use crate::uapi::helper_ids::func::*;
    use crate::uapi::types::prog_type as pt;
    let facts = |prog_type| ProgFacts {
        prog_type,
        expected_attach_type: 0,
        sleepable: false,
        caps: ROOT,
        target: None,
    };
    let name = |id, prog_type| get_func_proto(id, &facts(prog_type)).map(|p| p.name);
    // The kernel's functions hand each type its own variable.
    assert_eq!(
        name(BPF_FUNC_SKB_LOAD_BYTES, pt::SCHED_CLS),
        Some("bpf_skb_load_bytes_proto")
    );
    assert_eq!(
        name(BPF_FUNC_SKB_LOAD_BYTES, pt::FLOW_DISSECTOR),
        Some("bpf_flow_dissector_load_bytes_proto")
    );
    assert_eq!(
        name(BPF_FUNC_SKB_LOAD_BYTES, pt::SK_REUSEPORT),
        Some("sk_reuseport_load_bytes_proto")
    );
    assert_eq!(
        name(BPF_FUNC_PERF_EVENT_OUTPUT, pt::XDP),
        Some("bpf_xdp_event_output_proto")
    );
    assert_eq!(
        name(BPF_FUNC_PERF_EVENT_OUTPUT, pt::TRACEPOINT),
        Some("bpf_perf_event_output_proto_tp")
    );
    assert_eq!(
        name(BPF_FUNC_GET_SMP_PROCESSOR_ID, pt::NETFILTER),
        Some("bpf_get_raw_smp_processor_id_proto")
    );
    assert_eq!(
        name(BPF_FUNC_GET_SMP_PROCESSOR_ID, pt::SCHED_CLS),
        Some("bpf_get_smp_processor_id_proto")
    );
}

#[test]
fn ids_outside_the_helper_list_have_no_proto() {
    let prog = ProgFacts {
        prog_type: crate::uapi::types::prog_type::SOCKET_FILTER,
        expected_attach_type: 0,
        sleepable: false,
        caps: ROOT,
        target: None,
    };
    assert_eq!(get_func_proto(-1, &prog), None);
    assert_eq!(get_func_proto(HELPER_NAMES.len() as i32, &prog), None);
    assert_eq!(get_func_proto(0, &prog), None);
}
