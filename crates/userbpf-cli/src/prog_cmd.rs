//! `userbpf prog ...`: load (with kbpf.py's options), show, dump xlated,
//! pin. Output is human text, or with --json the fields kbpf.py prints.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::{json, Map, Value};
use userbpf::isa::cfg_dot::{cfg_dot, path_from_log};
use userbpf::isa::disasm::disasm_program;
use userbpf::isa::{insns_to_bytes, source::read_program};
use userbpf::uapi::types::{parse_u32, prog_type_from_str, prog_type_name};
use userbpf::verifier::VerifierMode;
use userbpf::{Config, Process, ProgLoadRequest};

use crate::failure::Failure;
use crate::map_cmd::{MapSetupError, ProgMaps};
use crate::session::Session;

#[derive(Subcommand)]
pub enum ProgCmd {
    /// Load a program (BPF_PROG_LOAD) and report the verdict, log, tag and xlated code
    Load(LoadArgs),
    /// Load every program of an ELF object, all or nothing (as bpftool prog loadall)
    Loadall(crate::obj_cmd::LoadallArgs),
    /// Load a program and run it once or --repeat times (BPF_PROG_TEST_RUN) on a packet
    /// (--data) or a context (--ctx): retval, duration, data_out, ctx_out
    Run(crate::prog_run::RunArgs),
    /// List loaded programs (in a batch session), or show one by ID
    #[command(alias = "list")]
    Show {
        /// program ID
        id: Option<u32>,
        /// print JSON (as bpftool -j; -p/--pretty too)
        #[arg(short, long, alias = "pretty", short_alias = 'p')]
        json: bool,
    },
    /// Print a program's xlated instructions as the kernel prints them
    Dump {
        /// what to dump: `xlated` (the verified program, as the kernel prints it)
        /// or `jited` (the x86-64 image, each block under its BPF instruction)
        #[arg(value_parser = ["xlated", "jited"])]
        what: String,
        /// `id ID` or `pinned PATH`, then optionally `visual` (xlated only):
        /// the control-flow graph as Graphviz DOT
        #[arg(num_args = 2..=3, value_names = ["id|pinned", "ID|PATH", "visual"])]
        target: Vec<String>,
    },
    /// Pin a program by ID to a path under /sys/fs/bpf
    Pin {
        /// program ID
        id: u32,
        /// path under /sys/fs/bpf
        path: String,
    },
}

/// The options of `kbpf.py load`.
#[derive(Args, Clone)]
pub struct LoadArgs {
    /// program: .bin (raw instructions), .hex (hex text) or assembly
    pub prog: PathBuf,
    /// program type, by name (socket_filter, xdp, sched_cls, ...) or number
    /// [default: socket_filter; for an ELF object, its section's type]
    #[arg(long = "type")]
    pub prog_type: Option<String>,
    /// expected_attach_type (a number) [default: 0; for an ELF object, its
    /// section's]
    #[arg(long, value_parser = parse_num)]
    pub attach_type: Option<u32>,
    /// the license string [default: GPL; for an ELF object, its `license`
    /// section]
    #[arg(long)]
    pub license: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub log_level: u32,
    #[arg(long, default_value_t = 16 << 20)]
    pub log_size: u32,
    /// prog_flags (number)
    #[arg(long, default_value = "0", value_parser = parse_num)]
    pub flags: u32,
    #[arg(long, default_value = "0", value_parser = parse_num)]
    pub kern_version: u32,
    /// prog_name; its first 16 bytes are sent (16 without a NUL: refused)
    #[arg(long, default_value = "")]
    pub name: String,
    /// size passed to bpf(2); bytes past 144 are zero unless poked
    #[arg(long)]
    pub attr_size: Option<usize>,
    /// OFFSET:WIDTH:VALUE written into the attr (repeatable)
    #[arg(long, value_parser = parse_poke)]
    pub attr_poke: Vec<(usize, usize, u64)>,
    /// load as a process without CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN
    #[arg(long, visible_alias = "drop-caps")]
    pub unprivileged: bool,
    /// maps to create before the load (TYPE:KEY:VALUE:MAX[:FLAGS]); ld_imm64
    /// with src_reg 1 or 2 names one by its index in imm
    #[arg(long)]
    pub map: Vec<String>,
    /// store an element before the load (INDEX:KEYHEX:VALUEHEX)
    #[arg(long)]
    pub map_init: Vec<String>,
    /// print every map's contents after the load
    #[arg(long)]
    pub dump_maps: bool,
    /// pin the loaded program at this path (useful in batch mode)
    #[arg(long)]
    pub pin: Option<String>,
    /// print JSON: accepted, errno, log, the program's info (id, tag, xlated,
    /// verified_insns...), unsupported (what userbpf's verifier does not
    /// model yet, when that refused the load with EOPNOTSUPP), load_ns; -p/--pretty as in bpftool
    #[arg(short, long, alias = "pretty", short_alias = 'p')]
    pub json: bool,
    /// write the program's control-flow graph to this file: DOT, or SVG/PNG
    /// (by extension) when Graphviz's `dot` is installed; a refused
    /// program's failing path (from the verifier log) is drawn in red
    #[arg(long, value_name = "FILE")]
    pub dot: Option<PathBuf>,
    /// verifier depth: `structural` checks only, or `full` path exploration
    /// where modelled (socket_filter, tc, xdp; falls back otherwise)
    #[arg(long, value_parser = ["structural", "full"])]
    pub verifier: Option<String>,
    /// JIT the loads and stores the verifier proved in bounds without
    /// checks, as the kernel does (faster; a verifier bug would then be a
    /// wild access instead of a clean fault)
    #[arg(long)]
    pub trust_verifier: bool,
    /// ELF object: the program to load (default: the first)
    #[arg(long)]
    pub program: Option<String>,
    /// ELF object: target BTF for CO-RE (default /sys/kernel/btf/vmlinux)
    #[arg(long)]
    pub btf: Option<PathBuf>,
    /// the kernel BTF kfunc calls and __ksym externs resolve against, and
    /// the loading instance's own (default /sys/kernel/btf/vmlinux, read
    /// when the program or object has any)
    #[arg(long, value_name = "FILE")]
    pub kernel_btf: Option<PathBuf>,
    /// ELF object: also load this program of the object (libbpf's autoload;
    /// repeatable), e.g. the tail-call targets a prog array's `values` name
    #[arg(long, value_name = "NAME")]
    pub autoload: Vec<String>,
}

/// The program type name or number of `--type` (default socket_filter).
pub(crate) fn prog_type_arg(name: &str) -> Result<u32, Failure> {
    prog_type_from_str(name).ok_or_else(|| {
        Failure::usage(format!(
            "unknown program type {name:?} (try socket_filter, xdp, sched_cls, kprobe, ...)"
        ))
    })
}

/// The instance a load runs in: the session, or (for --verifier,
/// --trust-verifier or a kernel BTF) one configured for it.
pub(crate) fn load_session(
    session: &Session,
    a: &LoadArgs,
    kernel_btf: Option<std::sync::Arc<userbpf::btf::Btf>>,
) -> Option<Session> {
    if a.verifier.is_none() && !a.trust_verifier && kernel_btf.is_none() {
        return None;
    }
    let verifier = match a.verifier.as_deref() {
        Some("structural") => VerifierMode::Structural,
        Some(_) => VerifierMode::Full,
        None => session.bpf.config().verifier,
    };
    Some(Session::with_config(Config {
        verifier,
        jit_trust_verifier: a.trust_verifier || session.bpf.config().jit_trust_verifier,
        kernel_btf,
        ..session.bpf.config().clone()
    }))
}

fn parse_num(s: &str) -> Result<u32, String> {
    parse_u32(s).ok_or_else(|| format!("not a number: {s}"))
}

fn parse_poke(s: &str) -> Result<(usize, usize, u64), String> {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str| {
        let p = p.trim();
        match p.strip_prefix("0x") {
            Some(h) => u64::from_str_radix(h, 16),
            None => p.parse(),
        }
        .map_err(|_| format!("bad number {p:?} in --attr-poke {s}"))
    };
    match parts[..] {
        [off, width, value] => {
            let width = num(width)? as usize;
            if ![1, 2, 4, 8].contains(&width) {
                return Err(format!("--attr-poke width must be 1, 2, 4 or 8, not {width}"));
            }
            Ok((num(off)? as usize, width, num(value)?))
        }
        _ => Err(format!("--attr-poke wants OFFSET:WIDTH:VALUE, got {s}")),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// kbpf.py's JSON for a program: the prog_info fields it reports.
fn info_json(p: &Process, fd: u32) -> Result<Map<String, Value>, Failure> {
    let info = p
        .prog_info(fd)
        .map_err(|e| Failure::from(format!("BPF_OBJ_GET_INFO_BY_FD: {e}")))?;
    let mut m = Map::new();
    m.insert("prog_id".into(), json!(info.id));
    m.insert("tag".into(), json!(info.tag_hex()));
    m.insert("jited_len".into(), json!(info.jited_len));
    m.insert("xlated_len".into(), json!(info.xlated_len));
    m.insert("xlated".into(), json!(hex(&insns_to_bytes(&info.xlated))));
    m.insert("name".into(), json!(info.name));
    m.insert("gpl_compatible".into(), json!(info.gpl_compatible));
    m.insert("verified_insns".into(), json!(info.verified_insns));
    m.insert(
        "type".into(),
        json!(prog_type_name(info.prog_type).unwrap_or("unknown")),
    );
    Ok(m)
}

pub fn load(session: &Session, a: &LoadArgs) -> Result<(), Failure> {
    load_then(session, a, None)
}

/// Load as `prog load` does; with `run`, test-run the program while its fd
/// is open and report both (as `kbpf.py run`).
pub fn load_then(session: &Session, a: &LoadArgs, run: Option<&crate::prog_run::RunArgs>) -> Result<(), Failure> {
    if crate::obj_cmd::is_object(&a.prog) {
        return crate::obj_cmd::load_then(session, a, run);
    }
    let type_name = a.prog_type.as_deref().unwrap_or("socket_filter");
    let prog_type = prog_type_arg(type_name)?;
    let mut insns = read_program(&a.prog)?;
    let size = a
        .attr_size
        .unwrap_or(0)
        .max(userbpf::syscall::request::KBPF_PROG_LOAD_ATTR_SIZE);
    if let Some((off, w, _)) = a.attr_poke.iter().find(|(off, w, _)| off + w > size) {
        return Err(Failure::usage(format!(
            "--attr-poke {off}:{w}:... is outside the {size}-byte attr; raise --attr-size"
        )));
    }
    // A different verifier depth, or a kernel BTF for kfunc calls, needs
    // its own instance.
    let kernel_btf = if crate::kernel_btf::wants_kernel_btf(&insns) {
        crate::kernel_btf::read(a.kernel_btf.as_deref())?
    } else {
        None
    };
    let custom = load_session(session, a, kernel_btf);
    let session = custom.as_ref().unwrap_or(session);
    let unpriv = session.process(a.unprivileged);
    let p = unpriv.as_ref().unwrap_or(&session.root);
    // kbpf.py creates its maps as the loading process, before the load.
    let maps = match ProgMaps::create(p, &a.map, &a.map_init) {
        Ok(m) => m,
        Err(MapSetupError::Usage(f)) => return Err(f),
        Err(MapSetupError::Refused(error)) => {
            if a.json {
                println!(
                    "{}",
                    crate::output::json_text(json!({"accepted": false, "error": error}))
                );
            } else {
                println!("refused: {error}");
            }
            return Err(Failure::refused());
        }
    };
    maps.patch(&mut insns)?;
    let submitted = insns.clone();
    let req = ProgLoadRequest {
        prog_type,
        insns,
        license: a.license.as_deref().unwrap_or("GPL").as_bytes().to_vec(),
        log_level: a.log_level,
        log_size: a.log_size,
        kern_version: a.kern_version,
        prog_flags: a.flags,
        name: a.name.as_bytes().to_vec(),
        expected_attach_type: a.attach_type.unwrap_or(0),
        attr_size: a.attr_size,
        attr_pokes: a.attr_poke.clone(),
        ..Default::default()
    };
    let out = p.prog_load(&req);
    let mut m = Map::new();
    m.insert("accepted".into(), json!(out.result.is_ok()));
    match out.result {
        Ok(fd) => {
            m.insert("errno".into(), Value::Null);
            // Info is read as root, as kbpf.py's own process can.
            m.extend(info_json(p, fd)?);
            m.insert("unsupported".into(), Value::Null);
            if let Some(path) = &a.pin {
                p.obj_pin(fd, path)
                    .map_err(|e| Failure::from(format!("pin {path}: {e}")))?;
            }
            if let Some(r) = run {
                let ran = crate::prog_run::test_run(p, fd, r, &mut m);
                if ran.is_err() {
                    let _ = p.close(fd);
                }
                ran?;
            }
            // The fd belongs to this command; pinned programs live on.
            let _ = p.close(fd);
        }
        Err(e) => {
            m.insert("errno".into(), json!(e.name()));
            m.insert("errno_value".into(), json!(e.0));
            m.insert("unsupported".into(), json!(out.unsupported));
        }
    }
    if let Some(path) = &a.dot {
        let path_taken = if out.result.is_err() {
            path_from_log(&out.log)
        } else {
            Default::default()
        };
        write_dot(path, &cfg_dot(&submitted, &path_taken)?)?;
    }
    if a.log_level != 0 {
        m.insert("log".into(), json!(out.log));
    }
    m.insert("load_ns".into(), json!(out.load_ns));
    if a.dump_maps {
        m.insert("maps".into(), maps.dump()?);
    }
    let run_failed = m.get("run_ok") == Some(&json!(false))
        || m.get("packets")
            .and_then(Value::as_array)
            .is_some_and(|rows| rows.iter().all(|r| r["run_ok"] == json!(false)));
    if a.json {
        println!("{}", crate::output::json_text(Value::Object(m).clone()));
    } else {
        print_load_human(&m);
        if run.is_some() {
            crate::prog_run::print_run_human(&m, type_name);
        }
    }
    if out.result.is_ok() && !run_failed {
        Ok(())
    } else {
        Err(Failure::refused())
    }
}

/// Write DOT text, or render it with Graphviz for .svg/.png/.pdf paths.
pub(crate) fn write_dot(path: &std::path::Path, dot: &str) -> Result<(), Failure> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !matches!(ext, "svg" | "png" | "pdf") {
        return std::fs::write(path, dot).map_err(|e| Failure::from(format!("{}: {e}", path.display())));
    }
    use std::io::Write as _;
    let mut child = std::process::Command::new("dot")
        .arg(format!("-T{ext}"))
        .arg("-o")
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            Failure::from(format!(
                "rendering {} needs Graphviz's `dot` ({e}); install graphviz or write a .dot file",
                path.display()
            ))
        })?;
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(dot.as_bytes())
        .map_err(|e| Failure::from(format!("dot: {e}")))?;
    let status = child.wait().map_err(|e| Failure::from(format!("dot: {e}")))?;
    if !status.success() {
        return Err(Failure::from(format!(
            "dot failed ({status}) rendering {}",
            path.display()
        )));
    }
    Ok(())
}

pub(crate) fn print_load_human(m: &Map<String, Value>) {
    let log = m.get("log").and_then(Value::as_str).unwrap_or("");
    print!("{log}");
    if m["accepted"] == json!(true) {
        println!(
            "accepted: id {} tag {} name {:?} xlated {}B verified_insns {} gpl_compatible {} ({} ns)",
            m["prog_id"],
            m["tag"].as_str().unwrap_or(""),
            m["name"].as_str().unwrap_or(""),
            m["xlated_len"],
            m["verified_insns"],
            m["gpl_compatible"],
            m["load_ns"]
        );
    } else {
        println!("refused: {} ({})", m["errno"].as_str().unwrap_or("?"), m["errno_value"]);
        warn_unsupported(m);
        if let Some(h) = crate::hints::hint(log) {
            println!("hint: {h}");
        }
    }
}

/// Open a program by `id ID` or `pinned PATH`.
fn open_target(p: &Process, target: &[String]) -> Result<u32, Failure> {
    match target {
        [kind, id] if kind == "id" => {
            let id = parse_u32(id).ok_or_else(|| Failure::usage(format!("bad program ID {id:?}")))?;
            p.prog_get_fd_by_id(id)
                .map_err(|e| Failure::from(format!("program {id}: {e}")))
        }
        [kind, path] if kind == "pinned" => p.obj_get(path).map_err(|e| Failure::from(format!("{path}: {e}"))),
        _ => Err(Failure::usage("expected `id ID` or `pinned PATH`")),
    }
}

pub fn run(session: &Session, cmd: &ProgCmd) -> Result<(), Failure> {
    let p = &session.root;
    match cmd {
        ProgCmd::Load(a) => load(session, a),
        ProgCmd::Run(r) => load_then(session, &r.load, Some(r)),
        ProgCmd::Loadall(a) => crate::obj_cmd::loadall(session, a),
        ProgCmd::Show { id, json } => {
            let mut ids = Vec::new();
            match id {
                Some(id) => ids.push(*id),
                None => {
                    let mut cur = 0;
                    while let Ok(next) = p.prog_get_next_id(cur) {
                        ids.push(next);
                        cur = next;
                    }
                }
            }
            let mut all = Vec::new();
            for id in ids {
                let fd = p
                    .prog_get_fd_by_id(id)
                    .map_err(|e| Failure::from(format!("program {id}: {e}")))?;
                let info = info_json(p, fd);
                let _ = p.close(fd);
                all.push(info?);
            }
            if *json {
                println!("{}", crate::output::json_text(all.clone()));
            } else {
                for m in &all {
                    println!(
                        "{}: {}  name {}  tag {}  gpl {}\n\txlated {}B  jited {}B",
                        m["prog_id"],
                        m["type"].as_str().unwrap_or(""),
                        m["name"].as_str().unwrap_or(""),
                        m["tag"].as_str().unwrap_or(""),
                        m["gpl_compatible"],
                        m["xlated_len"],
                        m["jited_len"]
                    );
                }
            }
            Ok(())
        }
        ProgCmd::Dump { what, target } => {
            let visual = match target.get(2).map(String::as_str) {
                None => false,
                Some("visual") if what == "xlated" => true,
                Some(other) => {
                    return Err(Failure::usage(format!(
                        "unexpected {other:?}: only `dump xlated ... visual` takes a third word"
                    )))
                }
            };
            let fd = open_target(p, &target[..2])?;
            if what == "jited" {
                let prog = p.prog_by_fd(fd);
                let _ = p.close(fd);
                return match &prog?.runtime {
                    userbpf::prog::Runtime::Jit(j) => {
                        print!("{}", j.disassemble());
                        Ok(())
                    }
                    userbpf::prog::Runtime::Interpreter(_) => Err(Failure::from(
                        "the program is interpreted (bpf_jit_enable=0 or the JIT failed): no image",
                    )),
                };
            }
            let info = p.prog_info(fd);
            let _ = p.close(fd);
            let xlated = info?.xlated;
            if visual {
                print!("{}", cfg_dot(&xlated, &Default::default())?);
            } else {
                print!("{}", disasm_program(&xlated)?);
            }
            Ok(())
        }
        ProgCmd::Pin { id, path } => {
            let fd = open_target(p, &["id".into(), id.to_string()])?;
            let r = p.obj_pin(fd, path);
            let _ = p.close(fd);
            r.map_err(|e| crate::failure::pin_failure(path, e))
        }
    }
}

/// Say plainly (on stderr) that a refusal is userbpf's gap, not a
/// verdict on the program.
pub(crate) fn warn_unsupported(m: &Map<String, Value>) {
    if let Some(what) = m.get("unsupported").and_then(Value::as_str) {
        eprintln!(
            "note: refused because userbpf's verifier does not model {what} yet (EOPNOTSUPP); \
             this says nothing of the kernel's verdict"
        );
    }
}
