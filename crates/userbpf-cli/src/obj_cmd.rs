//! ELF objects on the command line: `prog load OBJ.o [--program NAME]`
//! (the object's maps, then one program, with the raw loads' options) and
//! `prog loadall OBJ.o` (every autoloaded program, all or nothing, as
//! `bpftool prog loadall`).

use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::{json, Map, Value};
use std::sync::Arc;

use userbpf::btf::Btf;
use userbpf::isa::cfg_dot::{cfg_dot, path_from_log};
use userbpf::obj::{read_target_btf, Kconfig, LoadOptions, LoadedObject, Object, ProgOptions, ProgramLoad};
use userbpf::uapi::types::{map_type_name, prog_type_name};
use userbpf::Process;

use crate::failure::Failure;
use crate::prog_cmd::LoadArgs;
use crate::session::Session;

use crate::kernel_btf::VMLINUX_BTF;

/// Whether a file is an ELF object (by its magic).
pub fn is_object(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && magic == *b"\x7fELF"
}

#[derive(Args, Clone)]
pub struct LoadallArgs {
    /// the ELF object (clang -target bpf)
    pub obj: PathBuf,
    /// pin every program under this directory, by name (as bpftool)
    pub pin_dir: Option<String>,
    /// target BTF for CO-RE (default /sys/kernel/btf/vmlinux when present)
    #[arg(long)]
    pub btf: Option<PathBuf>,
    /// kernel config for .kconfig externs (default /boot/config-$(uname -r)
    /// or /proc/config.gz)
    #[arg(long)]
    pub kconfig: Option<PathBuf>,
    /// the kernel BTF __ksym externs (kfuncs) resolve against (default
    /// /sys/kernel/btf/vmlinux)
    #[arg(long, value_name = "FILE")]
    pub kernel_btf: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub log_level: u32,
    /// JSON output; -p/--pretty as in bpftool
    #[arg(short, long, alias = "pretty", short_alias = 'p')]
    pub json: bool,
}

fn read_object(path: &Path) -> Result<Object, Failure> {
    let data = std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("obj");
    Object::parse(stem, &data).map_err(|e| Failure::from(format!("{}: {e}", path.display())))
}

/// The host's kernel config and version (libbpf's sources).
fn host_kconfig(file: Option<&Path>) -> Result<Kconfig, Failure> {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let release = release.trim();
    let text = match file {
        Some(f) => {
            std::fs::read_to_string(f).map_err(|e| Failure::usage(format!("cannot read {}: {e}", f.display())))?
        }
        None => std::fs::read_to_string(format!("/boot/config-{release}"))
            .ok()
            .or_else(|| {
                let out = std::process::Command::new("gzip")
                    .args(["-dc", "/proc/config.gz"])
                    .output()
                    .ok()?;
                out.status
                    .success()
                    .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
            })
            .unwrap_or_default(),
    };
    let mut k = Kconfig::parse(&text);
    k.linux_kernel_version = Kconfig::version_code(release);
    Ok(k)
}

fn options(btf: Option<&Path>, kconfig: Option<&Path>, obj: &Object, log_level: u32) -> Result<LoadOptions, Failure> {
    let needs_btf = userbpf::obj::relocate::has_core_relos(obj);
    let target_btf = match btf {
        Some(f) => Some(f.to_path_buf()),
        None if needs_btf && Path::new(VMLINUX_BTF).exists() => Some(PathBuf::from(VMLINUX_BTF)),
        None => None,
    };
    let target_btf = match target_btf {
        Some(f) => {
            let data = std::fs::read(&f).map_err(|e| Failure::usage(format!("cannot read {}: {e}", f.display())))?;
            Some(read_target_btf(&data).map_err(|e| Failure::from(format!("{}: {e}", f.display())))?)
        }
        None => None,
    };
    let kconfig = if obj.externs.iter().all(|e| e.is_ksym()) {
        Kconfig::default()
    } else {
        host_kconfig(kconfig)?
    };
    Ok(LoadOptions {
        target_btf,
        kconfig,
        log_level,
        pin_root: None,
        // The instance's own kernel BTF (see `instance`).
        kernel_btf: None,
    })
}

/// The kernel BTF an object's `__ksym` externs need, if it has any.
fn object_kernel_btf(obj: &Object, path: Option<&Path>) -> Result<Option<Arc<Btf>>, Failure> {
    if obj.externs.iter().any(|e| e.is_ksym()) {
        crate::kernel_btf::read(path)
    } else {
        Ok(None)
    }
}

fn maps_json(p: &Process, loaded: &LoadedObject<'_>) -> Value {
    let maps: Vec<Value> = loaded
        .maps
        .iter()
        .map(|m| match p.map_info(m.fd) {
            Ok(i) => json!({
                "name": m.name,
                "id": i.id,
                "type": map_type_name(i.map_type).unwrap_or("unknown"),
                "key_size": i.key_size,
                "value_size": i.value_size,
                "max_entries": i.max_entries,
                "flags": i.map_flags,
            }),
            Err(e) => json!({"name": m.name, "error": e.to_string()}),
        })
        .collect();
    Value::Array(maps)
}

fn program_json(p: &Process, l: &ProgramLoad, log_level: u32) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("name".into(), json!(l.name));
    m.insert("section".into(), json!(l.section));
    m.insert("type".into(), json!(prog_type_name(l.prog_type).unwrap_or("unknown")));
    m.insert("expected_attach_type".into(), json!(l.expected_attach_type));
    m.insert("insns".into(), json!(l.linked.insns.len()));
    m.insert("func_info".into(), json!(l.linked.func_info.len()));
    m.insert("line_info".into(), json!(l.linked.line_info.len()));
    m.insert("accepted".into(), json!(l.outcome.result.is_ok()));
    match l.outcome.result {
        Ok(fd) => {
            m.insert("errno".into(), Value::Null);
            if let Ok(info) = p.prog_info(fd) {
                m.insert("prog_id".into(), json!(info.id));
                m.insert("tag".into(), json!(info.tag_hex()));
                m.insert("xlated_len".into(), json!(info.xlated_len));
            }
            m.insert("unsupported".into(), Value::Null);
            if log_level != 0 {
                m.insert("log".into(), json!(l.outcome.log));
            }
        }
        Err(e) => {
            m.insert("errno".into(), json!(e.name()));
            m.insert("errno_value".into(), json!(e.0));
            m.insert("unsupported".into(), json!(l.outcome.unsupported));
            m.insert("log".into(), json!(l.outcome.log));
        }
    }
    m.insert("load_ns".into(), json!(l.outcome.load_ns));
    m
}

fn print_human(programs: &[Map<String, Value>], maps: &Value, log_level: u32) {
    for m in maps.as_array().into_iter().flatten() {
        println!(
            "map {}: {} key {} value {} max_entries {} flags {:#x}",
            m["name"].as_str().unwrap_or(""),
            m["type"].as_str().unwrap_or("?"),
            m["key_size"],
            m["value_size"],
            m["max_entries"],
            m["flags"].as_u64().unwrap_or(0)
        );
    }
    for p in programs {
        if p["accepted"] == json!(true) {
            // The accepted program's log at level 2 (the walk's states).
            if log_level >= 2 {
                print!("{}", p["log"].as_str().unwrap_or(""));
            }
            println!(
                "prog {} ({} in {}): accepted, id {} tag {} ({} insns)",
                p["name"].as_str().unwrap_or(""),
                p["type"].as_str().unwrap_or(""),
                p["section"].as_str().unwrap_or(""),
                p["prog_id"],
                p["tag"].as_str().unwrap_or(""),
                p["insns"]
            );
        } else {
            print!("{}", p["log"].as_str().unwrap_or(""));
            println!(
                "prog {} ({} in {}): refused: {} ({})",
                p["name"].as_str().unwrap_or(""),
                p["type"].as_str().unwrap_or(""),
                p["section"].as_str().unwrap_or(""),
                p["errno"].as_str().unwrap_or("?"),
                p["errno_value"]
            );
            crate::prog_cmd::warn_unsupported(p);
            if let Some(h) = crate::hints::hint(p["log"].as_str().unwrap_or("")) {
                println!("hint: {h}");
            }
        }
    }
}

/// `--map-init NAME:KEYHEX:VALUEHEX` (or INDEX:...) on an object's maps.
fn init_maps(p: &Process, loaded: &LoadedObject<'_>, inits: &[String]) -> Result<(), Failure> {
    for init in inits {
        let parts: Vec<&str> = init.splitn(3, ':').collect();
        let [which, key, value] = parts[..] else {
            return Err(Failure::usage(format!(
                "--map-init {init:?}: expected NAME:KEYHEX:VALUEHEX"
            )));
        };
        let fd = loaded
            .map_fd(which)
            .or_else(|| {
                which
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| loaded.maps.get(i))
                    .map(|m| m.fd)
            })
            .ok_or_else(|| {
                let names: Vec<&str> = loaded.maps.iter().map(|m| m.name.as_str()).collect();
                Failure::usage(format!(
                    "--map-init {init:?}: no map {which:?} (the object has {names:?})"
                ))
            })?;
        let (k, v) = (crate::prog_run::blob(key)?, crate::prog_run::blob(value)?);
        p.map_update(fd, &k, &v, 0)
            .map_err(|e| Failure::from(format!("--map-init {init:?}: {e}")))?;
    }
    Ok(())
}

/// What `prog load` lets a caller change on the object's program.
fn prog_options(a: &LoadArgs) -> Result<ProgOptions, Failure> {
    Ok(ProgOptions {
        log_level: a.log_level,
        log_size: Some(a.log_size),
        prog_type: a.prog_type.as_deref().map(crate::prog_cmd::prog_type_arg).transpose()?,
        expected_attach_type: a.attach_type,
        prog_flags: a.flags,
        license: a.license.as_ref().map(|l| l.as_bytes().to_vec()),
    })
}

/// `prog load OBJ.o [--program NAME] [--autoload NAME...]`: the maps, then
/// the program (and the --autoload ones, in the object's order, as
/// libbpf's bpf_object__load with those autoloaded), then the prog
/// arrays' `values`; for `prog run` (`run`), the program is test-run
/// (BPF_PROG_TEST_RUN) after `--map-init` filled its maps. Everything runs
/// as the loading process (--unprivileged: without capabilities), in an
/// instance with --verifier, --trust-verifier and the kernel BTF.
pub fn load_then(session: &Session, a: &LoadArgs, run: Option<&crate::prog_run::RunArgs>) -> Result<(), Failure> {
    let obj = read_object(&a.prog)?;
    let name = match &a.program {
        Some(n) => n.clone(),
        None => obj
            .programs
            .first()
            .map(|p| p.name().to_string())
            .ok_or_else(|| Failure::from(format!("{}: no programs", a.prog.display())))?,
    };
    for n in std::iter::once(&name).chain(&a.autoload) {
        if obj.program(n).is_none() {
            let names: Vec<&str> = obj.programs.iter().map(|p| p.name()).collect();
            return Err(Failure::from(format!(
                "{}: no program named {n} (the object has {names:?})",
                a.prog.display()
            )));
        }
    }
    let opts = options(a.btf.as_deref(), None, &obj, a.log_level)?;
    let popts = prog_options(a)?;
    let custom = crate::prog_cmd::load_session(session, a, object_kernel_btf(&obj, a.kernel_btf.as_deref())?);
    let session = custom.as_ref().unwrap_or(session);
    let unpriv = session.process(a.unprivileged);
    let p = unpriv.as_ref().unwrap_or(&session.root);
    let mut loaded = LoadedObject::prepare(p, &obj, &opts)?;
    // libbpf loads the autoloaded programs in the object's order and stops
    // at the first refusal.
    let order: Vec<String> = obj
        .programs
        .iter()
        .map(|p| p.name().to_string())
        .filter(|n| *n == name || a.autoload.contains(n))
        .collect();
    let mut prog = None;
    for n in &order {
        let load = loaded.load_program_with(n, &popts)?;
        let refused = load.outcome.result.is_err();
        if *n == name {
            prog = Some(program_json(p, load, a.log_level));
        } else if refused {
            let e = load.outcome.result.expect_err("refused");
            return Err(Failure::from(format!(
                "{}: --autoload {n}: BPF_PROG_LOAD failed: {e}\n{}",
                a.prog.display(),
                load.outcome.log.trim_end()
            )));
        }
        if refused {
            break;
        }
    }
    let mut prog = prog.expect("the named program is in the order");
    let accepted = prog["accepted"] == json!(true);
    if accepted {
        loaded.init_prog_arrays().map_err(|e| {
            let hint = match &e {
                userbpf::obj::ObjError::ProgArraySlot { program, fd, .. } if *fd < 0 => {
                    format!(" (load it too: --autoload {program})")
                }
                _ => String::new(),
            };
            Failure::from(format!("{}: {e}{hint}", a.prog.display()))
        })?;
    }
    if let Some(path) = &a.dot {
        let l = loaded.loads.iter().find(|l| l.name == name).expect("loaded");
        let taken = match &l.outcome.result {
            Err(_) => path_from_log(&l.outcome.log),
            Ok(_) => Default::default(),
        };
        crate::prog_cmd::write_dot(path, &cfg_dot(&l.linked.insns, &taken)?)?;
    }
    init_maps(p, &loaded, &a.map_init)?;
    if let (true, Some(r)) = (accepted, run) {
        let fd = loaded.prog_fd(&name).expect("accepted");
        crate::prog_run::test_run(p, fd, r, &mut prog)?;
    }
    if a.dump_maps {
        let mut dumps = Map::new();
        for m in &loaded.maps {
            dumps.insert(m.name.clone(), Value::Array(crate::map_cmd::dump_json(p, m.fd)?));
        }
        prog.insert("map_contents".into(), Value::Object(dumps));
    }
    let run_failed = prog.get("run_ok") == Some(&json!(false));
    if let (true, Some(path)) = (accepted, &a.pin) {
        let fd = loaded.prog_fd(&name).expect("accepted");
        p.obj_pin(fd, path)
            .map_err(|e| Failure::from(format!("pin {path}: {e}")))?;
    }
    let maps = maps_json(p, &loaded);
    if a.json {
        let mut m = prog;
        m.insert("object".into(), json!(a.prog.display().to_string()));
        m.insert("maps".into(), maps);
        println!("{}", crate::output::json_text(Value::Object(m).clone()));
    } else {
        print_human(&[prog.clone()], &maps, a.log_level);
        if run.is_some() {
            crate::prog_run::print_run_human(&prog, prog["type"].as_str().unwrap_or(""));
        }
        if let Some(dumps) = prog.get("map_contents").and_then(Value::as_object) {
            for (name, rows) in dumps {
                println!("map {name}:");
                for row in rows.as_array().into_iter().flatten() {
                    println!("  {row}");
                }
            }
        }
    }
    if accepted && !run_failed {
        Ok(())
    } else {
        Err(Failure::refused())
    }
}

/// `prog loadall OBJ.o [PIN_DIR]`: every program, all or nothing.
pub fn loadall(session: &Session, a: &LoadallArgs) -> Result<(), Failure> {
    let obj = read_object(&a.obj)?;
    let opts = options(a.btf.as_deref(), a.kconfig.as_deref(), &obj, a.log_level)?;
    let custom = object_kernel_btf(&obj, a.kernel_btf.as_deref())?.map(|btf| {
        Session::with_config(userbpf::Config {
            kernel_btf: Some(btf),
            ..session.bpf.config().clone()
        })
    });
    let session = custom.as_ref().unwrap_or(session);
    let p = &session.root;
    let mut loaded = LoadedObject::prepare(p, &obj, &opts)?;
    let mut programs = Vec::new();
    let mut ok = true;
    for prog in &obj.programs {
        if !prog.autoload {
            continue;
        }
        let l = program_json(p, loaded.load_program(prog.name(), a.log_level)?, a.log_level);
        ok = l["accepted"] == json!(true);
        programs.push(l);
        if !ok {
            break;
        }
    }
    if ok {
        loaded
            .init_prog_arrays()
            .map_err(|e| Failure::from(format!("{}: {e}", a.obj.display())))?;
    }
    if let (true, Some(dir)) = (ok, &a.pin_dir) {
        for l in &loaded.loads {
            let fd = l.outcome.result.expect("all accepted");
            let path = format!("{}/{}", dir.trim_end_matches('/'), l.name);
            p.obj_pin(fd, &path)
                .map_err(|e| Failure::from(format!("pin {path}: {e}")))?;
        }
    }
    let maps = maps_json(p, &loaded);
    if a.json {
        println!(
            "{}",
            crate::output::json_text(json!({
                "object": a.obj.display().to_string(),
                "loaded": ok,
                "programs": programs,
                "maps": maps,
            }))
        );
    } else {
        print_human(&programs, &maps, a.log_level);
    }
    // Not all loaded: libbpf unloads everything; dropping `loaded` does.
    if ok {
        Ok(())
    } else {
        Err(Failure::refused())
    }
}
