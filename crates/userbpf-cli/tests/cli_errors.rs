//! Broken programs and wrong arguments, as a new user makes them: each
//! gets a message that says what is wrong and where, and a non-zero exit
//! code (1 for a refused load).

use std::process::Command;

fn userbpf(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .args(args)
        .output()
        .expect("run userbpf");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn program(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("userbpf-cli-errors-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn verifier_refusals_come_with_the_log_and_a_hint() {
    // r0 never written: the kernel says `R0 !read_ok`.
    let p = program("no_r0.s", "r1 = 5\nexit\n");
    let (code, out, _) = userbpf(&["verify", &p, "--type", "xdp"]);
    assert_eq!(code, 1);
    assert!(out.contains("R0 !read_ok") && out.contains("refused: EACCES"), "{out}");
    assert!(out.contains("hint: ") && out.contains("r0 = 0"), "{out}");
    // A packet read without the data_end check.
    let p = program("pkt.s", "r2 = *(u32 *)(r1 + 0)\nr0 = *(u8 *)(r2 + 0)\nexit\n");
    let (code, out, _) = userbpf(&["prog", "run", &p, "--type", "xdp", "--data", "00112233"]);
    assert_eq!(code, 1);
    assert!(out.contains("R2 offset is outside of the packet"), "{out}");
    assert!(
        out.contains("hint: check every packet access against data_end"),
        "{out}"
    );
}

#[test]
fn bad_input_names_the_problem() {
    let p = program("typo.s", "r0 = 0\nfoo r1\nexit\n");
    let (code, _, err) = userbpf(&["verify", &p, "--type", "xdp"]);
    assert_ne!(code, 0);
    assert!(err.contains("line 2") && err.contains("foo"), "{err}");
    let (code, _, err) = userbpf(&["verify", "/nonexistent/prog.s", "--type", "xdp"]);
    assert_ne!(code, 0);
    assert!(err.contains("cannot read /nonexistent/prog.s"), "{err}");
    let p = program("ok.s", "r0 = 0\nexit\n");
    let (code, _, err) = userbpf(&["verify", &p, "--type", "xdpp"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("unknown program type \"xdpp\"") && err.contains("xdp"),
        "{err}"
    );
}

#[test]
fn a_construct_not_modelled_is_refused_and_named() {
    // may_goto is not modelled yet: the full verifier stops there and the
    // load is refused with EOPNOTSUPP (the kernel accepts this program:
    // never an accept that did not come from the full verifier).
    let p = program("may_goto.s", "may_goto pc+0\nr0 = 2\nexit\n");
    let (code, out, err) = userbpf(&["prog", "load", &p, "--type", "xdp", "--json"]);
    assert_ne!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["accepted"], false);
    // 95, EOPNOTSUPP, named by its alias as kbpf.py (Python) names it.
    assert_eq!(v["errno_value"], 95, "{out}");
    assert_eq!(v["errno"], "ENOTSUP", "{out}");
    assert_eq!(v["unsupported"], "may_goto", "{out}");
    assert!(
        v["log"]
            .as_str()
            .unwrap_or("")
            .contains("userbpf: may_goto is not modelled\n"),
        "{out}"
    );
    let (_, out, err) = userbpf(&["prog", "load", &p, "--type", "xdp"]);
    assert!(out.contains("refused: ENOTSUP (95)"), "{out}");
    assert!(err.contains("does not model may_goto yet"), "{err}");
    // A program the full verifier explored: no such field, no note.
    let p = program("xdp_pass.s", "r0 = 2\nexit\n");
    let (code, out, err) = userbpf(&["prog", "load", &p, "--type", "xdp", "--json"]);
    assert_eq!(code, 0, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["unsupported"], serde_json::Value::Null, "{out}");
    let (_, _, err) = userbpf(&["prog", "load", &p, "--type", "xdp"]);
    assert!(!err.contains("note"), "{err}");
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    // A capture of 20,000 copies of one frame: far more output than a pipe
    // buffers, so the run is still printing when the reader goes away
    // (`userbpf prog run ... --pcap big.pcap | head -1`).
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let capture = std::fs::read(root.join("examples/pcaps/mixed.pcap")).unwrap();
    let caplen = u32::from_le_bytes(capture[24 + 8..24 + 12].try_into().unwrap()) as usize;
    let mut big = capture[..24].to_vec();
    for _ in 0..20_000 {
        big.extend_from_slice(&capture[24..24 + 16 + caplen]);
    }
    let pcap = program("big.pcap", "");
    std::fs::write(&pcap, &big).unwrap();
    let filter = root.join("examples/tc_port_filter/filter.s");
    let mut child = Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .args([
            "prog",
            "run",
            filter.to_str().unwrap(),
            "--type",
            "sched_cls",
            "--pcap",
            &pcap,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run userbpf");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(!first.is_empty());
    // The reader (and with it the pipe) is gone: the run must end without
    // a panic, by SIGPIPE as `cat` would.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.signal(), Some(libc::SIGPIPE), "{:?} {err}", out.status);
}

#[test]
fn every_help_stands_on_its_own() {
    // No subcommand's help sends the reader to a file outside the
    // repository (the kernel oracle's script lives beside it, not in it).
    let commands: &[&[&str]] = &[
        &[],
        &["asm"],
        &["disasm"],
        &["run"],
        &["verify"],
        &["completions"],
        &["prog"],
        &["prog", "load"],
        &["prog", "loadall"],
        &["prog", "run"],
        &["prog", "show"],
        &["prog", "dump"],
        &["prog", "pin"],
        &["map"],
        &["map", "create"],
        &["map", "show"],
        &["map", "lookup"],
        &["map", "update"],
        &["map", "delete"],
        &["map", "pin"],
        &["map", "dump"],
        &["btf"],
        &["batch"],
        &["conformance-plugin"],
    ];
    for words in commands {
        let mut args = words.to_vec();
        args.push("--help");
        let (code, out, err) = userbpf(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
        for outside in ["kbpf", ".py", "../shared"] {
            assert!(!out.contains(outside), "{args:?} names {outside}: {out}");
        }
    }
}
