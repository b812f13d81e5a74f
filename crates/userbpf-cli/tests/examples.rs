//! The bundled examples run as their READMEs say, with the kernel's
//! answers (recorded with kbpf.py run on Linux 6.18, quoted in each
//! example's README).

use std::process::Command;

fn userbpf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(args)
        .output()
        .expect("run userbpf")
}

fn run_json(prog: &str, ty: &str, data: &str, engine: &str) -> serde_json::Value {
    let out = userbpf(&[
        "prog", "run", prog, "--type", ty, "--data", data, "--engine", engine, "--json",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn tc_port_filter_passes_https_and_drops_ssh_on_both_engines() {
    let prog = "examples/tc_port_filter/filter.s";
    let https = "@examples/tc_port_filter/https.bin";
    let ssh = "@examples/tc_port_filter/ssh.bin";
    for engine in ["interp", "jit"] {
        let r = run_json(prog, "sched_cls", https, engine);
        assert_eq!(r["retval"], 0, "TC_ACT_OK ({engine})");
        let r = run_json(prog, "sched_cls", ssh, engine);
        assert_eq!(r["retval"], 2, "TC_ACT_SHOT ({engine})");
        // The kernel's data_out for ssh.bin: the frame, unchanged.
        assert_eq!(
            r["data_out"],
            "02000000000102000000000208004500002800004000400600000a0000010a0000023039001600000000000000000000000000000000"
        );
    }
}

#[test]
fn a_bad_data_argument_is_a_usage_error() {
    let out = userbpf(&[
        "prog",
        "run",
        "examples/tc_port_filter/filter.s",
        "--type",
        "sched_cls",
        "--data",
        "zz",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not hex"));
}

/// `prog run` of the tc port filter over a capture, with `extra` flags.
fn filter_capture(pcap: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "prog",
        "run",
        "examples/tc_port_filter/filter.s",
        "--type",
        "sched_cls",
        "--pcap",
        pcap,
    ];
    args.extend_from_slice(extra);
    userbpf(&args)
}

#[test]
fn the_main_job_filters_the_bundled_capture_as_the_kernel_does() {
    // The kernel's retvals for the six frames of examples/pcaps/mixed.pcap
    // (kbpf.py run, Linux 6.18): https, ssh, dns, http, arp, icmp.
    let out = filter_capture("examples/pcaps/mixed.pcap", &["--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let retvals: Vec<u64> = v["packets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["retval"].as_u64().unwrap())
        .collect();
    assert_eq!(retvals, [0, 2, 2, 0, 2, 2]);
    assert_eq!(v["summary"]["0"], 2);
    assert_eq!(v["summary"]["2"], 4);
    // The human form names the verdicts.
    let out = filter_capture("examples/pcaps/mixed.pcap", &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("retval 2 (TC_ACT_SHOT): 4 packet(s)"), "{text}");
}

#[test]
fn a_pcapng_file_is_refused_with_the_conversion_to_make() {
    let dir = std::env::temp_dir().join(format!("userbpf-pcapng-{}", std::process::id()));
    std::fs::write(&dir, b"\x0a\x0d\x0d\x0a\x1c\x00\x00\x00").unwrap();
    let out = filter_capture(dir.to_str().unwrap(), &[]);
    let _ = std::fs::remove_file(&dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("editcap -F pcap"));
}

#[test]
fn a_refused_program_is_drawn_with_its_failing_path_in_red() {
    // Loaded as a socket filter, the raw-frame filter reads r2, which a
    // socket filter never gets: the kernel stops at insn 1 (`R2 !read_ok`).
    let dot = std::env::temp_dir().join(format!("userbpf-cfg-{}.dot", std::process::id()));
    let out = userbpf(&[
        "prog",
        "load",
        "examples/ipv4_filter/filter.s",
        "--type",
        "socket_filter",
        "--dot",
        dot.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "refused");
    assert!(String::from_utf8_lossy(&out.stdout).contains("R2 !read_ok"));
    let text = std::fs::read_to_string(&dot).unwrap();
    let _ = std::fs::remove_file(&dot);
    assert!(text.starts_with("digraph"));
    let red: Vec<&str> = text.lines().filter(|l| l.contains("color=red")).collect();
    assert_eq!(red.len(), 1, "only the entry block was walked: {red:?}");
    assert!(red[0].contains("1: (a5) if r2 \\< 0x22 goto pc+19"));
}
