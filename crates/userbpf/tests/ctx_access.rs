//! Context access for every program type, replayed against the host
//! kernel's recorded matrix (tests/fixtures/ctx_access/ctx_access.json,
//! record.py beside it): every offset in [-8, ctx_size + 8), sizes 1/2/4/8,
//! plain and sign-extending loads, register and immediate stores, each
//! followed by `r0 = RET; exit`, loaded through the Process API at log
//! level 2. Agreement means the same verdict, errno and error line; for
//! an accepted load, R0's state after the load as the kernel printed it,
//! or, for a pointer kind the verifier does not model yet, a stop naming
//! that kind (`<kind> pointers loaded from the context`) instead of an
//! accepted scalar. 100% agreement is required; every disagreement is
//! printed.

mod common;

use common::verifier_log::{error_line, not_modelled, r0_after_first_insn};
use userbpf::isa::{insns_from_bytes, Insn};
use userbpf::{Errno, Process, ProgLoadRequest};

const SIZE_BITS: [(i64, u8); 4] = [(1, 0x10), (2, 0x08), (4, 0x00), (8, 0x18)];

fn size_bits(size: i64) -> u8 {
    SIZE_BITS.iter().find(|(s, _)| *s == size).expect("size").1
}

fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> Insn {
    Insn::new(code, dst, src, off, imm)
}

/// The program record.py loads for one access form (`ldx4`, `st8`, ...).
fn program(form: &str, off: i64, ret: i32) -> (Vec<Insn>, bool) {
    let (kind, size) = form.split_at(form.len() - 1);
    let size: i64 = size.parse().expect("size digit");
    let sb = size_bits(size);
    let off = off as i16;
    let (mut p, read) = match kind {
        "ldx" => (vec![insn(0x01 | 0x60 | sb, 0, 1, off, 0)], true),
        "ldsx" => (vec![insn(0x01 | 0x80 | sb, 0, 1, off, 0)], true),
        "stx" => (
            vec![insn(0xb7, 2, 0, 0, 0), insn(0x03 | 0x60 | sb, 1, 2, off, 0)],
            false,
        ),
        "st" => (vec![insn(0x02 | 0x60 | sb, 1, 0, off, 0)], false),
        _ => panic!("form {form}"),
    };
    p.push(insn(0xb7, 0, 0, 0, ret));
    p.push(insn(0x95, 0, 0, 0, 0));
    (p, read)
}

/// One configuration of the fixture: the load's fields.
struct Config<'a> {
    name: &'a str,
    prog_type: u32,
    expected_attach_type: u32,
    prog_flags: u32,
}

fn load(p: &Process, c: &Config<'_>, insns: Vec<Insn>) -> (Result<u32, Errno>, String) {
    let out = p.prog_load(&ProgLoadRequest {
        prog_type: c.prog_type,
        expected_attach_type: c.expected_attach_type,
        prog_flags: c.prog_flags,
        insns,
        log_level: 2,
        log_size: 1 << 16,
        ..Default::default()
    });
    if let Ok(fd) = out.result {
        p.close(fd).expect("close");
    }
    (out.result, out.log)
}

/// The pointer kind of a kernel R0 text whose type the verifier's
/// registers do not model (None: scalars, packet, socket and flow-key
/// pointers).
fn unmodelled_kind(r0: &str) -> Option<&str> {
    let kind = r0.split('(').next().unwrap_or(r0);
    if kind.starts_with("trusted_ptr_") {
        return Some("trusted_ptr_");
    }
    (!matches!(
        kind,
        "scalar" | "pkt" | "pkt_end" | "pkt_meta" | "sock" | "sock_or_null" | "sock_common_or_null" | "flow_keys"
    ))
    .then_some(kind)
}

/// Compare one load with the kernel's recorded outcome; None when they
/// agree, else what userbpf did.
fn judge(expected: &str, read: bool, got: &(Result<u32, Errno>, String)) -> Option<String> {
    let (result, log) = got;
    let note = not_modelled(log);
    let mine = match result {
        Ok(_) if read => format!("ok:{}", r0_after_first_insn(log).unwrap_or_default()),
        Ok(_) => "ok".into(),
        Err(e) => match note {
            Some(n) => format!("{}: {n} is not modelled", e.name()),
            None => format!("{}:{}", e.name(), error_line(log)),
        },
    };
    if let Some(r0) = expected.strip_prefix("ok:") {
        if let Some(kind) = unmodelled_kind(r0) {
            // A pointer kind the registers do not model: refused with
            // EOPNOTSUPP naming it, never accepted as something else.
            let want = format!("{kind} pointers loaded from the context");
            return (*result != Err(Errno::EOPNOTSUPP) || note != Some(want.as_str())).then_some(mine);
        }
    }
    (mine != expected).then_some(mine)
}

/// The recorded outcome in full ("bad" stands for the usual message).
fn expand(outcome: &str, off: i64, size: i64) -> String {
    if outcome == "bad" {
        format!("EACCES:invalid bpf_context access off={off} size={size}")
    } else {
        outcome.to_string()
    }
}

#[test]
fn ctx_access_matches_linux() {
    let fixture = common::fixtures::json(&common::fixtures::fixtures("ctx_access/ctx_access.json"));
    let (_bpf, p) = common::process::root();
    let mut total = 0usize;
    let mut bad = Vec::new();
    let mut configs = 0;
    for c in fixture["configs"].as_array().expect("configs") {
        let num = |k: &str| c[k].as_u64().expect(k) as u32;
        let cfg = Config {
            name: c["name"].as_str().expect("name"),
            prog_type: num("prog_type"),
            expected_attach_type: num("expected_attach_type"),
            prog_flags: num("prog_flags"),
        };
        if c.get("unloadable").is_some() {
            continue;
        }
        configs += 1;
        let ret = c["ret"].as_i64().expect("ret") as i32;
        // The baselines: r0 = 0 and r0 = 1.
        for (r, want) in c["baseline"].as_object().expect("baseline") {
            let r: i32 = r.parse().expect("ret");
            let prog = vec![insn(0xb7, 0, 0, 0, r), insn(0x95, 0, 0, 0, 0)];
            total += 1;
            if let Some(mine) = judge(want.as_str().expect("outcome"), false, &load(&p, &cfg, prog)) {
                bad.push(format!("{} baseline r0={r}: kernel {want}, userbpf {mine}", cfg.name));
            }
        }
        let table: Vec<&str> = c["outcomes"]
            .as_array()
            .expect("outcomes")
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for (form, runs) in c["forms"].as_object().expect("forms") {
            let size: i64 = form[form.len() - 1..].parse().expect("size");
            for run in runs.as_array().expect("runs") {
                let (first, count, idx) = (
                    run[0].as_i64().unwrap(),
                    run[1].as_i64().unwrap(),
                    run[2].as_u64().unwrap(),
                );
                for off in first..first + count {
                    let want = expand(table[idx as usize], off, size);
                    let (prog, read) = program(form, off, ret);
                    total += 1;
                    if let Some(mine) = judge(&want, read, &load(&p, &cfg, prog)) {
                        bad.push(format!("{} {form} off={off}: kernel {want}, userbpf {mine}", cfg.name));
                    }
                }
            }
        }
        for e in c["extra"].as_array().expect("extra") {
            let prog = insns_from_bytes(&common::unhex(e["prog"].as_str().unwrap())).expect("whole insns");
            let want = e["outcome"].as_str().unwrap();
            total += 1;
            if let Some(mine) = judge(want, false, &load(&p, &cfg, prog)) {
                bad.push(format!(
                    "{} {}: kernel {want}, userbpf {mine}",
                    cfg.name,
                    e["name"].as_str().unwrap()
                ));
            }
        }
    }
    for b in bad.iter().take(400) {
        println!("{b}");
    }
    let agree = total - bad.len();
    println!(
        "ctx_access: {agree}/{total} loads agree with Linux ({} configurations, kernel {})",
        configs,
        fixture["kernel"].as_str().unwrap_or("?")
    );
    assert!(configs >= 50, "the fixture lost configurations: {configs}");
    assert!(
        bad.is_empty(),
        "{} of {total} context accesses disagree with Linux",
        bad.len()
    );
}

#[test]
fn unmodelled_pointer_kinds() {
    assert_eq!(unmodelled_kind("sock_common_or_null(id=1)"), None);
    assert_eq!(unmodelled_kind("tp_buffer()"), Some("tp_buffer"));
    assert_eq!(unmodelled_kind("trusted_ptr_sk_buff()"), Some("trusted_ptr_"));
    assert_eq!(unmodelled_kind("pkt(r=0)"), None);
    assert_eq!(unmodelled_kind("scalar()"), None);
}
