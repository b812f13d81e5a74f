//! `userbpf prog run`: kbpf.py run's options (the load options plus
//! --data, --ctx, --data-out-size, --repeat) and --engine; prints the
//! fields kbpf.py run prints (run_ok, run_errno, retval, duration_ns,
//! data_out, ctx_out).

use std::path::Path;

use clap::Args;
use serde_json::{json, Map, Value};
use userbpf::runtime::Engine;
use userbpf::{Process, TestRunRequest};

use crate::failure::Failure;
use crate::prog_cmd::LoadArgs;

#[derive(Args, Clone)]
pub struct RunArgs {
    #[command(flatten)]
    pub load: LoadArgs,
    /// data_in: hex bytes, or @FILE for a file's raw bytes
    #[arg(long, conflicts_with = "pcap")]
    pub data: Option<String>,
    /// run once per packet of a pcap capture (Ethernet), with a summary of
    /// the verdicts
    #[arg(long)]
    pub pcap: Option<std::path::PathBuf>,
    /// ctx_in: hex bytes, or @FILE (e.g. a struct __sk_buff or xdp_md)
    #[arg(long)]
    pub ctx: Option<String>,
    /// data_size_out: room for the output frame (default: the data's length + 256)
    #[arg(long)]
    pub data_out_size: Option<u32>,
    /// runs; duration_ns is the mean per run
    #[arg(long, default_value_t = 1)]
    pub repeat: u32,
    /// engine: `loaded` (what the load chose: the JIT when enabled),
    /// `jit` or `interp`
    #[arg(long, default_value = "loaded", value_parser = ["loaded", "jit", "interp"])]
    pub engine: String,
}

/// Bytes from `HEX` or `@FILE`.
pub fn blob(arg: &str) -> Result<Vec<u8>, Failure> {
    if let Some(path) = arg.strip_prefix('@') {
        return std::fs::read(Path::new(path)).map_err(|e| Failure::usage(format!("{path}: {e}")));
    }
    let hex: String = arg.chars().filter(|c| !c.is_whitespace()).collect();
    if !hex.len().is_multiple_of(2) {
        return Err(Failure::usage(format!("odd number of hex digits in {arg:?}")));
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16)
                .map_err(|_| Failure::usage(format!("not hex: {:?} (use @FILE for a file)", &hex[i..i + 2])))
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Test-run the loaded program `fd`; the result goes into `m`.
pub fn test_run(p: &Process, fd: u32, r: &RunArgs, m: &mut Map<String, Value>) -> Result<(), Failure> {
    if let Some(path) = &r.pcap {
        return test_run_pcap(p, fd, r, path, m);
    }
    let data = r.data.as_deref().map(blob).transpose()?.unwrap_or_default();
    test_run_one(p, fd, r, data, m)
}

/// One BPF_PROG_TEST_RUN on `data`.
fn test_run_one(p: &Process, fd: u32, r: &RunArgs, data: Vec<u8>, m: &mut Map<String, Value>) -> Result<(), Failure> {
    let ctx = r.ctx.as_deref().map(blob).transpose()?.unwrap_or_default();
    let req = TestRunRequest {
        prog_fd: fd,
        data_size_out: match r.data_out_size {
            // kbpf.py sends a buffer of at least one byte.
            Some(0) => 0,
            Some(n) => n,
            None => 0,
        },
        data_in: data.clone(),
        ctx_in: ctx.clone(),
        repeat: r.repeat,
        engine: match r.engine.as_str() {
            "jit" => Engine::Jit,
            "interp" => Engine::Interpreter,
            _ => Engine::Loaded,
        },
        ..Default::default()
    };
    match p.prog_test_run(&req) {
        Ok(out) => {
            m.insert("run_ok".into(), json!(true));
            m.insert("retval".into(), json!(out.retval));
            m.insert("duration_ns".into(), json!(out.duration_ns));
            if !data.is_empty() {
                m.insert("data_out".into(), json!(hex(&out.data_out)));
            }
            if !ctx.is_empty() {
                m.insert("ctx_out".into(), json!(hex(&out.ctx_out)));
            }
        }
        Err(e) => {
            m.insert("run_ok".into(), json!(false));
            m.insert("run_errno".into(), json!(e.name()));
        }
    }
    Ok(())
}

/// `--pcap`: a run per packet, and how many packets got each verdict.
fn test_run_pcap(
    p: &Process,
    fd: u32,
    r: &RunArgs,
    path: &std::path::Path,
    m: &mut Map<String, Value>,
) -> Result<(), Failure> {
    let bytes = std::fs::read(path).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let packets = crate::pcap::parse(&bytes).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
    let progress = Progress::new(packets.len() as u64 * r.repeat.max(1) as u64);
    let mut rows = Vec::new();
    let mut summary: std::collections::BTreeMap<String, u64> = Default::default();
    for (i, pkt) in packets.iter().enumerate() {
        let mut one = Map::new();
        test_run_one(p, fd, r, pkt.data.clone(), &mut one)?;
        let key = match one.get("retval") {
            Some(v) if one["run_ok"] == json!(true) => v.to_string(),
            _ => format!("error {}", one.get("run_errno").and_then(Value::as_str).unwrap_or("?")),
        };
        *summary.entry(key).or_default() += 1;
        one.insert("packet".into(), json!(i));
        one.insert("len".into(), json!(pkt.data.len()));
        if pkt.orig_len as usize != pkt.data.len() {
            one.insert("orig_len".into(), json!(pkt.orig_len));
        }
        rows.push(Value::Object(one));
        progress.tick(i as u64 + 1, r.repeat.max(1) as u64);
    }
    progress.done();
    m.insert("packets".into(), Value::Array(rows));
    m.insert("summary".into(), json!(summary));
    Ok(())
}

/// A progress bar on stderr, for long runs at a terminal only.
struct Progress {
    total: u64,
    on: bool,
}

impl Progress {
    fn new(total: u64) -> Progress {
        use std::io::IsTerminal;
        Progress {
            total,
            on: std::io::stderr().is_terminal() && total >= 100_000,
        }
    }

    fn tick(&self, packets: u64, per_packet: u64) {
        if self.on {
            let done = (packets * per_packet).min(self.total);
            let width = 40 * done / self.total.max(1);
            eprint!(
                "\r[{}{}] {done}/{} runs",
                "=".repeat(width as usize),
                " ".repeat(40 - width as usize),
                self.total
            );
        }
    }

    fn done(&self) {
        if self.on {
            eprintln!();
        }
    }
}

/// What a return value means for a program type, where it has names.
pub fn verdict_name(prog_type: &str, retval: u64) -> Option<&'static str> {
    let names: &[&str] = match prog_type {
        "xdp" | "6" => &["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT"],
        "sched_cls" | "sched_act" | "3" | "4" => &[
            "TC_ACT_OK",
            "TC_ACT_RECLASSIFY",
            "TC_ACT_SHOT",
            "TC_ACT_PIPE",
            "TC_ACT_STOLEN",
            "TC_ACT_QUEUED",
            "TC_ACT_REPEAT",
            "TC_ACT_REDIRECT",
        ],
        "socket_filter" | "1" => return Some(if retval == 0 { "drop" } else { "keep" }),
        "cgroup_skb" | "8" => &["drop", "allow"],
        _ => return None,
    };
    names.get(retval as usize).copied()
}

/// A hex dump, 16 bytes a line, with offsets.
fn hexdump(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in b.chunks(16).enumerate() {
        let bytes: Vec<String> = chunk.iter().map(|x| format!("{x:02x}")).collect();
        s.push_str(&format!("  {:04x}  {}\n", i * 16, bytes.join(" ")));
    }
    s
}

pub fn print_run_human(m: &Map<String, Value>, prog_type: &str) {
    if let Some(rows) = m.get("packets").and_then(Value::as_array) {
        println!(
            "{:>6} {:>6} {:>12} {:>10}  verdict",
            "packet", "len", "retval", "ns/run"
        );
        for row in rows {
            let verdict = if row["run_ok"] == json!(true) {
                let r = row["retval"].as_u64().unwrap_or(0);
                verdict_name(prog_type, r).unwrap_or("").to_string()
            } else {
                format!("run failed: {}", row["run_errno"].as_str().unwrap_or("?"))
            };
            let cell = |k: &str| row.get(k).map_or("-".to_string(), Value::to_string);
            println!(
                "{:>6} {:>6} {:>12} {:>10}  {verdict}",
                cell("packet"),
                cell("len"),
                cell("retval"),
                cell("duration_ns")
            );
        }
        println!("summary:");
        if let Some(s) = m.get("summary").and_then(Value::as_object) {
            for (k, n) in s {
                let name = k
                    .parse::<u64>()
                    .ok()
                    .and_then(|r| verdict_name(prog_type, r))
                    .map(|v| format!(" ({v})"))
                    .unwrap_or_default();
                println!("  retval {k}{name}: {n} packet(s)");
            }
        }
        return;
    }
    if m.get("run_ok") == Some(&json!(false)) {
        println!("run failed: {}", m["run_errno"].as_str().unwrap_or("?"));
        return;
    }
    if m.get("run_ok").is_none() {
        return;
    }
    let r = m["retval"].as_u64().unwrap_or(0);
    let name = verdict_name(prog_type, r).map(|v| format!(" {v}")).unwrap_or_default();
    println!("retval {r} ({r:#x}){name}, {} ns per run", m["duration_ns"]);
    for key in ["data_out", "ctx_out"] {
        if let Some(h) = m.get(key).and_then(Value::as_str) {
            let bytes = blob(h).unwrap_or_default();
            println!("{key} ({} bytes):\n{}", bytes.len(), hexdump(&bytes).trim_end());
        }
    }
}
