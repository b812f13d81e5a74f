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
    #[arg(long)]
    pub data: Option<String>,
    /// ctx_in: hex bytes, or @FILE (e.g. a struct __sk_buff or xdp_md)
    #[arg(long)]
    pub ctx: Option<String>,
    /// data_size_out (default: the data's length + 256, as kbpf.py)
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
    if hex.len() % 2 != 0 {
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
    let data = r.data.as_deref().map(blob).transpose()?.unwrap_or_default();
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

/// A hex dump, 16 bytes a line, with offsets.
fn hexdump(b: &[u8]) -> String {
    let mut s = String::new();
    for (i, chunk) in b.chunks(16).enumerate() {
        let bytes: Vec<String> = chunk.iter().map(|x| format!("{x:02x}")).collect();
        s.push_str(&format!("  {:04x}  {}\n", i * 16, bytes.join(" ")));
    }
    s
}

pub fn print_run_human(m: &Map<String, Value>) {
    if m.get("run_ok") == Some(&json!(false)) {
        println!("run failed: {}", m["run_errno"].as_str().unwrap_or("?"));
        return;
    }
    if m.get("run_ok").is_none() {
        return;
    }
    let r = m["retval"].as_u64().unwrap_or(0);
    println!("retval {r} ({r:#x}), {} ns per run", m["duration_ns"]);
    for key in ["data_out", "ctx_out"] {
        if let Some(h) = m.get(key).and_then(Value::as_str) {
            let bytes = blob(h).unwrap_or_default();
            println!("{key} ({} bytes):\n{}", bytes.len(), hexdump(&bytes).trim_end());
        }
    }
}
