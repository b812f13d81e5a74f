//! `userbpf map ...`: create, show, lookup, update, delete, dump (as bpftool
//! map), and the `--map`, `--map-init`, `--dump-maps` options that `prog
//! load` shares with kbpf.py. Maps live as long as the session: pin them or
//! use `batch file` to keep them from one command to the next.

use clap::Subcommand;
use serde_json::{json, Map as JsonMap, Value};
use userbpf::isa::hex::parse_hex_bytes;
use userbpf::isa::map_refs::{patch_map_refs, MapRefPatch};
use userbpf::isa::Insn;
use userbpf::maps::user_value_size;
use userbpf::uapi::types::{map_flags, map_type, map_type_from_str, map_type_name, parse_u32};
use userbpf::{MapCreateRequest, Process};

use crate::failure::Failure;
use crate::session::Session;

#[derive(Subcommand)]
pub enum MapCmd {
    /// Create a map from TYPE:KEY_SIZE:VALUE_SIZE:MAX_ENTRIES[:FLAGS] (the
    /// same spec as `prog load --map`; lpm_trie gets BPF_F_NO_PREALLOC) and
    /// print its ID
    Create {
        /// TYPE:KEY:VALUE:MAX[:FLAGS]; TYPE by name (hash, array, ...) or number
        spec: String,
        /// map name (up to 15 characters: letters, digits, '_' and '.')
        #[arg(long)]
        name: Option<String>,
        /// inner map template of a map-in-map, by map ID
        #[arg(long)]
        inner: Option<u32>,
        /// map_extra (bloom filter hash count)
        #[arg(long)]
        extra: Option<String>,
        /// pin the map at this path under /sys/fs/bpf
        #[arg(long)]
        pin: Option<String>,
        /// print JSON (as bpftool -j; -p/--pretty too)
        #[arg(short, long, alias = "pretty", short_alias = 'p')]
        json: bool,
    },
    /// List maps, or show one (`id ID` or `pinned PATH`)
    #[command(alias = "list")]
    Show {
        /// `id ID` or `pinned PATH` (all maps if absent)
        #[arg(num_args = 0..=2, value_names = ["id|pinned", "ID|PATH"])]
        target: Vec<String>,
        /// print JSON (as bpftool -j; -p/--pretty too)
        #[arg(short, long, alias = "pretty", short_alias = 'p')]
        json: bool,
    },
    /// Look a key up (hex)
    Lookup {
        /// `id` or `pinned`
        kind: String,
        /// map ID or pinned path
        target: String,
        /// key as hex
        key: String,
        /// print JSON (as bpftool -j; -p/--pretty too)
        #[arg(short, long, alias = "pretty", short_alias = 'p')]
        json: bool,
    },
    /// Store a value under a key (both hex)
    Update {
        /// `id` or `pinned`
        kind: String,
        /// map ID or pinned path
        target: String,
        /// key as hex (e.g. 01000000 for the u32 key 1)
        key: String,
        /// value as hex, value_size bytes (all CPUs' values for per-CPU maps)
        value: String,
        /// any, noexist, exist, or a number
        #[arg(long, default_value = "any")]
        flags: String,
    },
    /// Delete a key (hex)
    Delete {
        /// `id` or `pinned`
        kind: String,
        /// map ID or pinned path
        target: String,
        /// key as hex
        key: String,
    },
    /// Pin a map (`id ID` or `pinned PATH`) at a path under /sys/fs/bpf
    /// (BPF_OBJ_PIN), as `bpftool map pin MAP FILE`
    Pin {
        /// `id` or `pinned`
        kind: String,
        /// map ID or pinned path
        target: String,
        /// the new path under /sys/fs/bpf
        path: String,
    },
    /// Print every key and value (GET_NEXT_KEY + LOOKUP)
    Dump {
        /// `id` or `pinned`
        kind: String,
        /// map ID or pinned path
        target: String,
        /// print JSON (as bpftool -j; -p/--pretty too)
        #[arg(short, long, alias = "pretty", short_alias = 'p')]
        json: bool,
    },
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn bytes_arg(what: &str, s: &str) -> Result<Vec<u8>, Failure> {
    if s.is_empty() || s == "-" {
        return Ok(Vec::new());
    }
    parse_hex_bytes(s).map_err(|e| Failure::usage(format!("bad {what} {s:?}: {e}")))
}

/// A `--map` spec: TYPE:KEY:VALUE:MAX[:FLAGS].
pub fn parse_spec(spec: &str) -> Result<MapCreateRequest, Failure> {
    let parts: Vec<&str> = spec.split(':').collect();
    if !(4..=5).contains(&parts.len()) {
        return Err(Failure::usage(format!("--map {spec}: want TYPE:KEY:VALUE:MAX[:FLAGS]")));
    }
    let num = |s: &str| parse_u32(s).ok_or_else(|| Failure::usage(format!("--map {spec}: bad number {s:?}")));
    let t = map_type_from_str(parts[0]).ok_or_else(|| Failure::usage(format!("unknown map type {:?}", parts[0])))?;
    let mut flags = if parts.len() == 5 { num(parts[4])? } else { 0 };
    if t == map_type::LPM_TRIE {
        flags |= map_flags::NO_PREALLOC; // required by the kernel
    }
    Ok(MapCreateRequest {
        map_type: t,
        key_size: num(parts[1])?,
        value_size: num(parts[2])?,
        max_entries: num(parts[3])?,
        map_flags: flags,
        ..MapCreateRequest::default()
    })
}

/// Open a map by `id ID` or `pinned PATH`.
fn open(p: &Process, kind: &str, target: &str) -> Result<u32, Failure> {
    match kind {
        "id" => {
            let id = parse_u32(target).ok_or_else(|| Failure::usage(format!("bad map ID {target:?}")))?;
            p.map_get_fd_by_id(id)
                .map_err(|e| Failure::from(format!("map {id}: {e}")))
        }
        "pinned" => p.obj_get(target).map_err(|e| Failure::from(format!("{target}: {e}"))),
        _ => Err(Failure::usage("expected `id ID` or `pinned PATH`")),
    }
}

fn info_json(p: &Process, fd: u32) -> Result<JsonMap<String, Value>, Failure> {
    let i = p
        .map_info(fd)
        .map_err(|e| Failure::from(format!("BPF_OBJ_GET_INFO_BY_FD: {e}")))?;
    let mut m = JsonMap::new();
    m.insert("id".into(), json!(i.id));
    m.insert("type".into(), json!(map_type_name(i.map_type).unwrap_or("unknown")));
    m.insert("name".into(), json!(i.name));
    m.insert("flags".into(), json!(i.map_flags));
    m.insert("key_size".into(), json!(i.key_size));
    m.insert("value_size".into(), json!(i.value_size));
    m.insert("max_entries".into(), json!(i.max_entries));
    if i.map_extra != 0 {
        m.insert("map_extra".into(), json!(i.map_extra));
    }
    Ok(m)
}

fn print_info(m: &JsonMap<String, Value>) {
    println!(
        "{}: {}  name {}  flags {:#x}\n\tkey {}B  value {}B  max_entries {}",
        m["id"],
        m["type"].as_str().unwrap_or(""),
        m["name"].as_str().unwrap_or(""),
        m["flags"].as_u64().unwrap_or(0),
        m["key_size"],
        m["value_size"],
        m["max_entries"]
    );
}

/// kbpf.py's map_dump(): every key with its value, or the lookup's errno.
/// Per-CPU values are all CPUs' (user_value_size).
pub fn dump_json(p: &Process, fd: u32) -> Result<Vec<Value>, Failure> {
    let entries = p.map_dump(fd).map_err(|e| Failure::from(format!("dump: {e}")))?;
    Ok(entries
        .into_iter()
        .map(|(k, v)| match v {
            Ok(v) => json!({"key": hex(&k), "value": hex(&v)}),
            // Python names errnos it knows; others (ENOTSUPP, 524) stay
            // numbers in kbpf.py's JSON.
            Err(e) => match e.name().parse::<i32>() {
                Ok(n) => json!({"key": hex(&k), "error": n}),
                Err(_) => json!({"key": hex(&k), "error": e.name()}),
            },
        })
        .collect())
}

fn update_flags(s: &str) -> Result<u64, Failure> {
    Ok(match s {
        "any" => 0,
        "noexist" => 1,
        "exist" => 2,
        n => parse_u32(n).ok_or_else(|| Failure::usage(format!("bad flags {n:?}")))? as u64,
    })
}

pub fn run(session: &Session, cmd: &MapCmd) -> Result<(), Failure> {
    let p = &session.root;
    match cmd {
        MapCmd::Create {
            spec,
            name,
            inner,
            extra,
            pin,
            json,
        } => {
            let mut req = parse_spec(spec)?;
            req.name = name.clone().unwrap_or_default().into_bytes();
            if let Some(e) = extra {
                req.map_extra = parse_u32(e).ok_or_else(|| Failure::usage(format!("bad --extra {e:?}")))? as u64;
            }
            let inner_fd = match inner {
                Some(id) => Some(
                    p.map_get_fd_by_id(*id)
                        .map_err(|e| Failure::from(format!("inner map {id}: {e}")))?,
                ),
                None => None,
            };
            req.inner_map_fd = inner_fd.unwrap_or(0);
            let r = p.map_create(&req);
            if let Some(fd) = inner_fd {
                let _ = p.close(fd);
            }
            let fd = r.map_err(|e| Failure::from(format!("map create: {e}")))?;
            let info = info_json(p, fd);
            if let Some(path) = pin {
                p.obj_pin(fd, path)
                    .map_err(|e| Failure::from(format!("pin {path}: {e}")))?;
            }
            let info = info?;
            if *json {
                println!("{}", crate::output::json_text(info.clone()));
            } else {
                println!("id {}", info["id"]);
            }
            // The fd stays open: the map lives as long as the session (a
            // batch file's later lines can use it).
            Ok(())
        }
        MapCmd::Show { target, json } => {
            let fds = match &target[..] {
                [] => {
                    let mut fds = Vec::new();
                    let mut cur = 0;
                    while let Ok(next) = p.map_get_next_id(cur) {
                        if let Ok(fd) = p.map_get_fd_by_id(next) {
                            fds.push(fd);
                        }
                        cur = next;
                    }
                    fds
                }
                [kind, t] => vec![open(p, kind, t)?],
                _ => return Err(Failure::usage("expected `id ID` or `pinned PATH`")),
            };
            let mut all = Vec::new();
            for fd in fds {
                let i = info_json(p, fd);
                let _ = p.close(fd);
                all.push(i?);
            }
            if *json {
                println!("{}", crate::output::json_text(all.clone()));
            } else {
                all.iter().for_each(print_info);
            }
            Ok(())
        }
        MapCmd::Lookup {
            kind,
            target,
            key,
            json,
        } => {
            let fd = open(p, kind, target)?;
            let key = bytes_arg("key", key)?;
            let r = p.map_by_fd(fd).map_err(Failure::from).and_then(|(m, _)| {
                let vs = user_value_size(m.map_type, m.value_size, m.ncpus);
                p.map_lookup(fd, &key, vs, 0)
                    .map_err(|e| Failure::from(format!("lookup: {e}")))
            });
            let _ = p.close(fd);
            let value = r?;
            if *json {
                println!(
                    "{}",
                    crate::output::json_text(json!({"key": hex(&key), "value": hex(&value)}))
                );
            } else {
                println!("key: {}  value: {}", hex(&key), hex(&value));
            }
            Ok(())
        }
        MapCmd::Update {
            kind,
            target,
            key,
            value,
            flags,
        } => {
            let fd = open(p, kind, target)?;
            let r = (|| {
                let (k, v) = (bytes_arg("key", key)?, bytes_arg("value", value)?);
                p.map_update(fd, &k, &v, update_flags(flags)?)
                    .map_err(|e| Failure::from(format!("update: {e}")))
            })();
            let _ = p.close(fd);
            r
        }
        MapCmd::Delete { kind, target, key } => {
            let fd = open(p, kind, target)?;
            let r = bytes_arg("key", key)
                .and_then(|k| p.map_delete(fd, &k).map_err(|e| Failure::from(format!("delete: {e}"))));
            let _ = p.close(fd);
            r
        }
        MapCmd::Pin { kind, target, path } => {
            let fd = open(p, kind, target)?;
            let r = p.obj_pin(fd, path);
            let _ = p.close(fd);
            r.map_err(|e| crate::failure::pin_failure(path, e))
        }
        MapCmd::Dump { kind, target, json } => {
            let fd = open(p, kind, target)?;
            let r = dump_json(p, fd);
            let _ = p.close(fd);
            let entries = r?;
            if *json {
                println!("{}", crate::output::json_text(entries.clone()));
            } else {
                for e in &entries {
                    match e.get("value") {
                        Some(v) => println!(
                            "key: {}  value: {}",
                            e["key"].as_str().unwrap_or(""),
                            v.as_str().unwrap_or("")
                        ),
                        None => println!(
                            "key: {}  error: {}",
                            e["key"].as_str().unwrap_or(""),
                            e["error"].as_str().unwrap_or("")
                        ),
                    }
                }
                println!(
                    "Found {} element{}",
                    entries.len(),
                    if entries.len() == 1 { "" } else { "s" }
                );
            }
            Ok(())
        }
    }
}

/// The maps of a `prog load` with kbpf.py's options: created in order,
/// initialised from `--map-init INDEX:KEYHEX:VALUEHEX`, closed on drop.
pub struct ProgMaps<'p> {
    p: &'p Process,
    pub fds: Vec<u32>,
}

impl Drop for ProgMaps<'_> {
    fn drop(&mut self) {
        for &fd in &self.fds {
            let _ = self.p.close(fd);
        }
    }
}

/// What creating `--map` maps can come to: a usage error, or the kernel
/// refusing one (kbpf.py prints `{"accepted": false, "error": ...}`).
pub enum MapSetupError {
    Usage(Failure),
    Refused(String),
}

impl<'p> ProgMaps<'p> {
    pub fn create(p: &'p Process, specs: &[String], inits: &[String]) -> Result<ProgMaps<'p>, MapSetupError> {
        let mut maps = ProgMaps { p, fds: Vec::new() };
        for spec in specs {
            let req = parse_spec(spec).map_err(MapSetupError::Usage)?;
            let fd = p
                .map_create(&req)
                .map_err(|e| MapSetupError::Refused(format!("map create: bpf cmd 0: {}", e.name())))?;
            maps.fds.push(fd);
        }
        for init in inits {
            let parts: Vec<&str> = init.split(':').collect();
            let [idx, k, v] = parts[..] else {
                return Err(MapSetupError::Usage(Failure::usage(format!(
                    "--map-init {init}: want INDEX:KEYHEX:VALUEHEX"
                ))));
            };
            let fd = parse_u32(idx)
                .and_then(|i| maps.fds.get(i as usize).copied())
                .ok_or_else(|| MapSetupError::Usage(Failure::usage(format!("--map-init {init}: no map {idx}"))))?;
            let (k, v) = (
                bytes_arg("key", k).map_err(MapSetupError::Usage)?,
                bytes_arg("value", v).map_err(MapSetupError::Usage)?,
            );
            p.map_update(fd, &k, &v, 0)
                .map_err(|e| MapSetupError::Refused(format!("map init: bpf cmd 2: {}", e.name())))?;
        }
        Ok(maps)
    }

    /// kbpf.py's patch_map_refs(): in ld_imm64 with src_reg 1 or 2, imm is
    /// an index into the --map list; it becomes that map's fd.
    pub fn patch(&self, insns: &mut [Insn]) -> Result<(), Failure> {
        patch_map_refs(insns, &self.fds, MapRefPatch::KBPF).map_err(|e| {
            Failure::usage(format!(
                "insn {}: map index {} but {} --map given",
                e.insn, e.index, e.maps
            ))
        })
    }

    /// `--dump-maps`: every map's entries.
    pub fn dump(&self) -> Result<Value, Failure> {
        let mut all = Vec::new();
        for &fd in &self.fds {
            all.push(Value::Array(dump_json(self.p, fd)?));
        }
        Ok(Value::Array(all))
    }
}
