//! The CLI's map options and commands.
//!
//! `prog load --map/--map-init/--dump-maps` is replayed against what
//! kbpf.py itself printed for the same arguments on Linux 6.18
//! (tests/fixtures/maps/kbpf_cli.json, recorded by record.py); `map ...`
//! commands are checked in a batch session, where maps persist from line to
//! line.

use std::process::Command;

use serde_json::Value;

fn userbpf(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_userbpf"))
        .args(args)
        .output()
        .expect("run userbpf")
}

/// Map ids in xlated ld_imm64 (src_reg 1 or 2) masked: ours differ.
fn mask_ids(hex: &str) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i + 16 <= hex.len() {
        let slot = &hex[i..i + 16];
        if &slot[0..2] == "18" && matches!(&slot[2..3], "1" | "2") {
            out.push_str(&slot[..8]);
            out.push_str("00000000");
        } else {
            out.push_str(slot);
        }
        i += 16;
    }
    out
}

/// Map dumps compared as sets of entries per map (hash maps iterate in a
/// random order unless zero-seeded).
fn sorted_maps(v: &Value) -> Vec<Vec<String>> {
    v.as_array()
        .map(|maps| {
            maps.iter()
                .map(|m| {
                    let mut e: Vec<String> = m.as_array().unwrap().iter().map(|x| x.to_string()).collect();
                    e.sort();
                    e
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn prog_load_map_options_print_what_kbpf_prints() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/maps/kbpf_cli.json");
    let fx: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let dir = std::env::temp_dir().join(format!("userbpf-map-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    let cases = fx["cases"].as_array().unwrap();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let file = dir.join(format!("{name}.hex"));
        std::fs::write(&file, case["prog"].as_str().unwrap()).unwrap();
        let mut args = vec!["prog".to_string(), "load".into(), file.to_string_lossy().into_owned()];
        args.extend(
            case["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string()),
        );
        args.push("--json".into());
        let out = userbpf(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let ours: Value = match serde_json::from_slice(&out.stdout) {
            Ok(v) => v,
            Err(_) => {
                failures.push(format!("{name}: no JSON ({})", String::from_utf8_lossy(&out.stderr)));
                continue;
            }
        };
        let kernel = &case["result"];
        let mut diff = |what: &str, k: String, o: String| {
            if k != o {
                failures.push(format!("{name}: {what}: kbpf {k} vs ours {o}"));
            }
        };
        diff(
            "exit",
            case["exit"].to_string(),
            out.status.code().unwrap_or(-1).to_string(),
        );
        for f in ["accepted", "errno", "error", "tag", "xlated_len"] {
            diff(f, kernel[f].to_string(), ours[f].to_string());
        }
        diff(
            "xlated",
            mask_ids(kernel["xlated"].as_str().unwrap_or("")),
            mask_ids(ours["xlated"].as_str().unwrap_or("")),
        );
        diff(
            "maps",
            format!("{:?}", sorted_maps(&kernel["maps"])),
            format!("{:?}", sorted_maps(&ours["maps"])),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(cases.len() >= 10);
}

#[test]
fn map_commands_in_a_batch_session() {
    let dir = std::env::temp_dir().join(format!("userbpf-map-batch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let batch = dir.join("maps.batch");
    std::fs::write(
        &batch,
        "map create hash:4:8:4:64 --name counts\n\
         map update id 1 01000000 0a00000000000000\n\
         map update id 1 02000000 0b00000000000000 --flags noexist\n\
         map lookup id 1 02000000 --json\n\
         map create array:4:4:2 --pin /sys/fs/bpf/arr\n\
         map update pinned /sys/fs/bpf/arr 01000000 2a000000\n\
         map dump pinned /sys/fs/bpf/arr --json\n\
         map show id 1 --json\n\
         map delete id 1 01000000\n\
         map dump id 1 --json\n",
    )
    .unwrap();
    let out = userbpf(&["batch", "file", batch.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Split the concatenated outputs: "id N" lines and JSON documents.
    let mut docs = Vec::new();
    let mut de = serde_json::Deserializer::from_str(stdout.trim_start_matches("id 1\n").replace("id 2\n", "").as_str())
        .into_iter::<Value>()
        .map(|v| v.unwrap())
        .collect::<Vec<_>>();
    docs.append(&mut de);
    assert!(stdout.starts_with("id 1\n"), "{stdout}");
    assert_eq!(
        docs[0],
        serde_json::json!({"key": "02000000", "value": "0b00000000000000"})
    );
    assert_eq!(
        docs[1],
        serde_json::json!([{"key": "00000000", "value": "00000000"}, {"key": "01000000", "value": "2a000000"}])
    );
    assert_eq!(docs[2][0]["name"], "counts");
    assert_eq!(docs[2][0]["type"], "hash");
    assert_eq!(docs[2][0]["flags"], 64);
    assert_eq!(
        docs[3],
        serde_json::json!([{"key": "02000000", "value": "0b00000000000000"}])
    );

    // Errors are the kernel's, and stop the batch.
    std::fs::write(
        &batch,
        "map create hash:4:8:1\nmap update id 1 01000000 0100000000000000\nmap update id 1 02000000 0200000000000000\n",
    )
    .unwrap();
    let out = userbpf(&["batch", "file", batch.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("line 3: update: E2BIG"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // map pin: a second path to the same map; EPERM off the BPF
    // filesystem (BPF_OBJ_PIN's errno) with a hint.
    std::fs::write(
        &batch,
        "map create array:4:8:2\nmap pin id 1 /sys/fs/bpf/a\nmap update pinned /sys/fs/bpf/a 01000000 0700000000000000\n\
         map lookup id 1 01000000 --json\nmap pin id 1 /tmp/not-bpffs\n",
    )
    .unwrap();
    let out = userbpf(&["batch", "file", batch.to_str().unwrap()]);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(r#"{"key":"01000000","value":"0700000000000000"}"#)
            || String::from_utf8_lossy(&out.stdout).contains("0700000000000000"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 5: pin /tmp/not-bpffs: EPERM") && err.contains("/sys/fs/bpf"),
        "{err}"
    );
    let out = userbpf(&["map", "create", "lpm_trie:4:8:1"]);
    assert_eq!(out.status.code(), Some(1), "key_size 4 is EINVAL for an LPM trie");
    let _ = std::fs::remove_dir_all(&dir);
}
