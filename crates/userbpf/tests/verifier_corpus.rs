//! The verifier's differential yardstick: every program of the recorded
//! corpus (tests/fixtures/verifier/corpus.jsonl, the Linux verifier's
//! answers at log level 1, see its README) goes through userbpf's
//! BPF_PROG_LOAD, and the answers are compared: verdict and errno, and for
//! rejections the error line (the log's last line before "processed N insns").
//!
//! It runs once per verifier mode (`Config::verifier`: structural, then
//! full), prints a report per mode and writes them to
//! target/verifier_agreement.txt, with every disagreement in
//! target/verifier_disagreements_{structural,full}.txt. It does not fail on
//! low agreement unless asked to. Environment:
//!
//! - `USERBPF_VERIFIER_MODE=structural|full|both` (default both).
//! - `USERBPF_VERIFIER_MIN_AGREEMENT=98`: fail if verdict+errno agree on less
//!   than 98% of the corpus, for the last mode run (full, unless only
//!   structural). Skipped programs count as disagreements: the goal is
//!   stated over the whole corpus.
//! - `USERBPF_VERIFIER_MIN_LINE_AGREEMENT=90`: the same for the error line
//!   over the kernel's rejections.
//! - `USERBPF_VERIFIER_MAX_PROCESSED=N`: skip programs for which the kernel
//!   processed more than N instructions (default 20000 in debug builds, where
//!   the ~60 loop/limit programs near the 1M limit take minutes; no limit in
//!   release; 0: no limit).
//! - `USERBPF_VERIFIER_CORPUS_FILTER=SUBSTR[,SUBSTR...]`: only the programs
//!   whose name contains one of them; with 20 or fewer matches (or
//!   `USERBPF_VERIFIER_SHOW=1`), both logs are printed one after the other.
//!
//! Programs whose maps userbpf cannot create (BPF_MAP_CREATE fails) are
//! skipped and counted.
//!
//! ```text
//! cargo test -p userbpf --test verifier_corpus -- --nocapture
//! USERBPF_VERIFIER_MODE=full USERBPF_VERIFIER_CORPUS_FILTER=stack/var_off \
//!     cargo test -p userbpf --test verifier_corpus -- --nocapture
//! USERBPF_VERIFIER_MODE=full USERBPF_VERIFIER_MIN_AGREEMENT=98 USERBPF_VERIFIER_MIN_LINE_AGREEMENT=90 \
//!     cargo test --release -p userbpf --test verifier_corpus
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use userbpf::isa::Insn;
use userbpf::uapi::types::{cmd, prog_type_from_str};
use userbpf::user_mem::UserBuffers;
use userbpf::verifier::VerifierMode;
use userbpf::{Config, Errno, Process, ProgLoadRequest};

mod common;

use common::map_refs::KBPF;

/// The recorded programs and verdicts.
fn corpus() -> PathBuf {
    common::fixtures::fixtures("verifier/corpus.jsonl")
}
/// kbpf.py's default --log-size.
const KBPF_LOG_SIZE: u32 = 16 << 20;

// ---------------------------------------------------------------------------
// A small JSON reader (the corpus is plain JSONL written by Python's json).

#[derive(Clone, Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Obj(kv) => kv.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    fn str(&self) -> Option<&str> {
        match self {
            Json::Str(s) => Some(s),
            _ => None,
        }
    }
    fn opt_str(&self) -> Option<&str> {
        self.str()
    }
    fn num(&self) -> Option<f64> {
        match self {
            Json::Num(n) => Some(*n),
            _ => None,
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    fn parse(text: &'a str) -> Result<Json, String> {
        let mut p = Parser {
            s: text.as_bytes(),
            i: 0,
        };
        let v = p.value()?;
        p.ws();
        if p.i != p.s.len() {
            return Err(format!("trailing data at {}", p.i));
        }
        Ok(v)
    }
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("expected '{}' at {}", c as char, self.i))
        }
    }
    fn lit(&mut self, word: &str, v: Json) -> Result<Json, String> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(format!("bad literal at {}", self.i))
        }
    }
    fn value(&mut self) -> Result<Json, String> {
        self.ws();
        match self.s.get(self.i).copied() {
            Some(b'{') => {
                self.i += 1;
                let mut kv = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Json::Obj(kv));
                }
                loop {
                    self.ws();
                    let k = self.string()?;
                    self.eat(b':')?;
                    kv.push((k, self.value()?));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Json::Obj(kv));
                        }
                        _ => return Err(format!("expected ',' or '}}' at {}", self.i)),
                    }
                }
            }
            Some(b'[') => {
                self.i += 1;
                let mut v = Vec::new();
                self.ws();
                if self.s.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Json::Arr(v));
                }
                loop {
                    v.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Json::Arr(v));
                        }
                        _ => return Err(format!("expected ',' or ']' at {}", self.i)),
                    }
                }
            }
            Some(b'"') => Ok(Json::Str(self.string()?)),
            Some(b't') => self.lit("true", Json::Bool(true)),
            Some(b'f') => self.lit("false", Json::Bool(false)),
            Some(b'n') => self.lit("null", Json::Null),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.i;
                while self.i < self.s.len() && matches!(self.s[self.i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i]).unwrap();
                t.parse().map(Json::Num).map_err(|_| format!("bad number {t}"))
            }
            _ => Err(format!("unexpected input at {}", self.i)),
        }
    }
    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.s.get(self.i..self.i + 4).ok_or("short \\u escape")?;
        self.i += 4;
        u32::from_str_radix(std::str::from_utf8(h).map_err(|e| e.to_string())?, 16).map_err(|e| e.to_string())
    }
    fn string(&mut self) -> Result<String, String> {
        if self.s.get(self.i) != Some(&b'"') {
            return Err(format!("expected string at {}", self.i));
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            let start = self.i;
            while self.i < self.s.len() && self.s[self.i] != b'"' && self.s[self.i] != b'\\' {
                self.i += 1;
            }
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|e| e.to_string())?);
            match self.s.get(self.i) {
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let c = *self.s.get(self.i + 1).ok_or("short escape")?;
                    self.i += 2;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xD800..0xDC00).contains(&cp) && self.s[self.i..].starts_with(b"\\u") {
                                self.i += 2;
                                let lo = self.hex4()?;
                                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF);
                            }
                            out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        }
                        _ => return Err(format!("bad escape at {}", self.i)),
                    }
                }
                _ => return Err("unterminated string".into()),
            }
        }
    }
}

#[test]
fn json_reader() {
    let v = Parser::parse(r#"{"a": [1, -2.5e1, true, false, null], "b": "x\"\n\u00e9\ud83d\ude00", "c": {}}"#).unwrap();
    assert_eq!(
        v.get("a"),
        Some(&Json::Arr(vec![
            Json::Num(1.0),
            Json::Num(-25.0),
            Json::Bool(true),
            Json::Bool(false),
            Json::Null
        ]))
    );
    assert_eq!(v.get("b").and_then(Json::str), Some("x\"\né😀"));
    assert_eq!(v.get("c"), Some(&Json::Obj(vec![])));
    assert!(Parser::parse("{\"a\": 1} x").is_err());
}

// ---------------------------------------------------------------------------
// The corpus

struct Entry {
    name: String,
    family: String,
    insns: Vec<Insn>,
    prog_type: u32,
    type_name: String,
    maps: Vec<String>,
    attach_type: u32,
    log_size: u32,
    /// prog_flags (absent: 0).
    prog_flags: u32,
    accepted: bool,
    errno: Option<Errno>,
    error_line: Option<String>,
    log: String,
    args: Vec<String>,
    prog_hex: String,
    /// Lines in the kernel's full log (the corpus keeps the last 40).
    log_lines: usize,
    /// N of the kernel's "processed N insns" (0 without the line).
    kernel_processed: u64,
}

fn parse_entry(line: &str) -> Result<Entry, String> {
    let v = Parser::parse(line)?;
    let field = |k: &str| v.get(k).ok_or_else(|| format!("missing {k}"));
    let s = |k: &str| -> Result<String, String> {
        Ok(field(k)?.str().ok_or_else(|| format!("{k}: not a string"))?.to_string())
    };
    let prog_hex = s("prog")?;
    if prog_hex.len() % 16 != 0 {
        return Err(format!("prog: {} hex digits", prog_hex.len()));
    }
    let bytes: Vec<u8> = (0..prog_hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&prog_hex[i..i + 2], 16))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("prog: {e}"))?;
    let insns = bytes
        .chunks(8)
        .map(|c| Insn::from_bytes(c.try_into().unwrap()))
        .collect();
    let type_name = s("type")?;
    let prog_type = prog_type_from_str(&type_name).ok_or_else(|| format!("unknown type {type_name}"))?;
    let strs = |k: &str| -> Result<Vec<String>, String> {
        match field(k)? {
            Json::Arr(a) => a
                .iter()
                .map(|m| m.str().map(str::to_string).ok_or_else(|| format!("{k}: not strings")))
                .collect(),
            _ => Err(format!("{k}: not an array")),
        }
    };
    let errno_name = field("errno")?.opt_str().map(str::to_string);
    let errno = match &errno_name {
        Some(n) => Some(Errno::from_name(n).ok_or_else(|| format!("unknown errno {n}"))?),
        None => None,
    };
    Ok(Entry {
        name: s("name")?,
        family: s("family")?,
        insns,
        prog_type,
        type_name,
        maps: strs("maps")?,
        attach_type: field("attach_type")?.num().unwrap_or(0.0) as u32,
        prog_flags: v.get("prog_flags").and_then(Json::num).unwrap_or(0.0) as u32,
        log_size: v
            .get("log_size")
            .and_then(Json::num)
            .map(|n| n as u32)
            .unwrap_or(KBPF_LOG_SIZE),
        accepted: matches!(field("accepted")?, Json::Bool(true)),
        errno,
        error_line: field("error_line")?.opt_str().map(str::to_string),
        log: s("log")?,
        args: strs("args")?,
        prog_hex,
        log_lines: v.get("log_lines").and_then(Json::num).unwrap_or(0.0) as usize,
        kernel_processed: v
            .get("processed")
            .and_then(Json::str)
            .and_then(|l| l.strip_prefix("processed "))
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
    })
}

/// Kernel addresses (`0xffff` and 12 hex digits) as record.py writes them.
fn mask_kernel_addresses(log: &str) -> String {
    let b = log.as_bytes();
    let mut out = String::with_capacity(log.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"0xffff")
            && b.len() >= i + 18
            && b[i + 6..i + 18]
                .iter()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c))
        {
            out.push_str("0xffffXXXXXXXXXXXX");
            i += 18;
        } else {
            let c = log[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// The error line of a level-1 log, as record.py takes it: the last line
/// before the final "processed N insns (limit M)"; a message without a
/// newline shares its line with "processed", and is the part before it.
fn error_line(log: &str) -> Option<String> {
    let mut at = None;
    let mut search = 0;
    while let Some(i) = log[search..].find("processed ") {
        let p = search + i;
        let rest = &log[p + "processed ".len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(" insns (limit ") {
            at = Some(p);
        }
        search = p + 1;
    }
    match at {
        Some(p) => log[..p]
            .trim_end_matches('\n')
            .rsplit('\n')
            .next()
            .filter(|l| !l.is_empty())
            .map(str::to_string),
        None => log
            .trim_end_matches('\n')
            .rsplit('\n')
            .next()
            .filter(|l| !l.is_empty())
            .map(str::to_string),
    }
}

#[test]
fn error_line_rule() {
    let p = "processed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
    assert_eq!(
        error_line(&format!("0: (b7) r0 = 0\nR1 !read_ok\n{p}")).as_deref(),
        Some("R1 !read_ok")
    );
    assert_eq!(
        error_line(&format!("expected prog array map for tail call{p}")).as_deref(),
        Some("expected prog array map for tail call")
    );
    assert_eq!(error_line(p), None);
    assert_eq!(error_line(""), None);
    assert_eq!(error_line("last\n").as_deref(), Some("last"));
    assert_eq!(
        mask_kernel_addresses("r1 = 0xffff8881b69f6200 ; 0xffff"),
        "r1 = 0xffffXXXXXXXXXXXX ; 0xffff"
    );
}

// ---------------------------------------------------------------------------
// Maps, as kbpf.py makes them: BPF_MAP_CREATE with a 72-byte attr
// {map_type, key_size, value_size, max_entries, map_flags}, through the raw
// sys_bpf, so that map programs are compared as soon as userbpf can create
// maps (until then MAP_CREATE fails and those programs are skipped).

/// kbpf.py's MAP_TYPES are the uapi's names (enum bpf_map_type order).
use userbpf::uapi::types::MAP_TYPE_NAMES as MAP_TYPES;

fn parse_num(s: &str) -> Option<u32> {
    match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// BPF_MAP_CREATE for a kbpf `--map TYPE:KEY:VALUE:MAX[:FLAGS]` spec.
fn map_create(p: &Process, spec: &str) -> Result<u32, Errno> {
    let parts: Vec<&str> = spec.split(':').collect();
    assert!(matches!(parts.len(), 4 | 5), "bad map spec {spec}");
    let mtype = parse_num(parts[0])
        .or_else(|| MAP_TYPES.iter().position(|t| *t == parts[0]).map(|i| i as u32))
        .unwrap_or_else(|| panic!("unknown map type in {spec}"));
    let num = |i: usize| parse_num(parts[i]).unwrap_or_else(|| panic!("bad number in {spec}"));
    let mut flags = if parts.len() == 5 { num(4) } else { 0 };
    if MAP_TYPES.get(mtype as usize) == Some(&"lpm_trie") {
        flags |= 1; // BPF_F_NO_PREALLOC, as kbpf.py adds
    }
    let mut attr = [0u8; 72];
    for (i, v) in [mtype, num(1), num(2), num(3), flags].into_iter().enumerate() {
        attr[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
    }
    p.sys_bpf(cmd::MAP_CREATE, &mut attr, 72, &mut UserBuffers::new())
}

/// The maps of the corpus: one per (spec, position) shared by every program,
/// except a prog_array, which belongs to the first program type that uses
/// it, so each load gets its own (as record.py does).
#[derive(Default)]
struct Maps {
    shared: BTreeMap<(String, usize), u32>,
}

impl Maps {
    /// (fds in spec order, fds to close after the load).
    fn fds(&mut self, p: &Process, specs: &[String]) -> Result<(Vec<u32>, Vec<u32>), (String, Errno)> {
        let (mut fds, mut fresh) = (Vec::new(), Vec::new());
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for spec in specs {
            let private = spec.starts_with("prog_array:") || spec.starts_with("3:");
            let fd = if private {
                let fd = map_create(p, spec).map_err(|e| (spec.clone(), e))?;
                fresh.push(fd);
                fd
            } else {
                let n = seen.entry(spec).or_default();
                let key = (spec.clone(), *n);
                *n += 1;
                match self.shared.get(&key) {
                    Some(&fd) => fd,
                    None => {
                        let fd = map_create(p, spec).map_err(|e| (spec.clone(), e))?;
                        self.shared.insert(key, fd);
                        fd
                    }
                }
            };
            fds.push(fd);
        }
        Ok((fds, fresh))
    }
}

// ---------------------------------------------------------------------------
// The comparison

#[derive(Default, Clone)]
struct Tally {
    total: usize,
    skipped: usize,
    kernel_accepted: usize,
    verdict_errno: usize,
    kernel_rejected: usize,
    line: usize,
}

struct Outcome {
    accepted: bool,
    errno: Option<Errno>,
    error_line: Option<String>,
    log: String,
}

/// Numbers (and hex) replaced, so that messages group by kind.
fn normalize(s: &str) -> String {
    let mut out = String::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'0' && b.get(i + 1) == Some(&b'x') {
            i += 2;
            while i < b.len() && b[i].is_ascii_hexdigit() {
                i += 1;
            }
            out.push_str("0xN");
        } else if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push('N');
        } else {
            let c = s[i..].chars().next().unwrap();
            out.push(c);
            i += c.len_utf8();
        }
    }
    if out.chars().count() > 90 {
        out = out.chars().take(87).collect::<String>() + "...";
    }
    out
}

fn verdict(accepted: bool, errno: Option<Errno>) -> String {
    match (accepted, errno) {
        (true, _) => "accepts".into(),
        (false, Some(e)) => format!("rejects {}", e.name()),
        (false, None) => "rejects".into(),
    }
}

fn pct(a: usize, b: usize) -> String {
    if b == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * a as f64 / b as f64)
    }
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target")))
}

fn last_lines(log: &str, n: usize) -> String {
    let lines: Vec<&str> = log.trim_end_matches('\n').split('\n').collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn env_pct(name: &str) -> Option<f64> {
    std::env::var(name).ok().filter(|s| !s.is_empty()).map(|s| {
        s.trim_end_matches('%')
            .parse()
            .unwrap_or_else(|_| panic!("{name}={s}: not a number"))
    })
}

#[test]
fn verifier_agreement_with_linux() {
    let path = corpus();
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (regenerate with tests/fixtures/verifier/record.py)",
            path.display()
        )
    });
    let mut entries = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        entries.push(parse_entry(line).unwrap_or_else(|e| panic!("corpus.jsonl:{}: {e}", i + 1)));
    }
    let whole = entries.len();
    assert!(whole >= 5000, "the corpus has {whole} programs, fewer than 5000");
    let filters: Vec<String> = std::env::var("USERBPF_VERIFIER_CORPUS_FILTER")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if !filters.is_empty() {
        entries.retain(|e| filters.iter().any(|f| e.name.contains(f.as_str())));
        assert!(!entries.is_empty(), "no corpus entry matches {filters:?}");
    }
    let show =
        entries.len() <= 20 && !filters.is_empty() || std::env::var("USERBPF_VERIFIER_SHOW").is_ok_and(|v| v == "1");

    // Every load maps a 16 MiB log buffer (kbpf's default). glibc's dynamic
    // mmap threshold would soon serve those from the heap, where calloc
    // memsets all 16 MiB (90% of this test's time); a fixed threshold keeps
    // them fresh zero pages.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only tunes the allocator; called before the threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    let modes: Vec<VerifierMode> = match std::env::var("USERBPF_VERIFIER_MODE").as_deref() {
        Ok("structural") => vec![VerifierMode::Structural],
        Ok("full") => vec![VerifierMode::Full],
        Ok("both") | Ok("") | Err(_) => vec![VerifierMode::Structural, VerifierMode::Full],
        Ok(other) => panic!("USERBPF_VERIFIER_MODE={other}: want structural, full or both"),
    };
    let dir = target_dir();
    let _ = std::fs::create_dir_all(&dir);
    let mut report = String::new();
    let mut gate = None;
    // The modes are independent: one thread each.
    let runs: Vec<(VerifierMode, Run)> = std::thread::scope(|sc| {
        let handles: Vec<_> = modes
            .iter()
            .map(|&mode| {
                let (entries, filters) = (&entries, &filters);
                sc.spawn(move || (mode, compare(entries, whole, filters, mode, show)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a corpus run panicked"))
            .collect()
    });
    for (mode, run) in runs {
        if show {
            eprintln!("{}", run.shown);
        }
        eprintln!("{}", run.report);
        report.push_str(&run.report);
        report.push('\n');
        let name = format!("{mode:?}").to_lowercase();
        if filters.is_empty() {
            std::fs::write(
                dir.join(format!("verifier_disagreements_{name}.txt")),
                &run.disagreements,
            )
            .expect("write the disagreements");
        }
        assert!(run.compared > 0, "no program could be compared");
        // The gate is for the last mode run: full, unless only structural was asked for.
        gate = Some((name, run));
    }
    if filters.is_empty() {
        std::fs::write(dir.join("verifier_agreement.txt"), &report).expect("write the report");
    }
    let (name, run) = gate.expect("a mode ran");
    // Without a gate asked for, the full mode over the whole corpus is held
    // to the agreement measured when the verifier reached it (skipped heavy
    // programs count as disagreements: 99.1% and 98.4% in debug builds,
    // 99.9% and 99.3% in release).
    let defaults = name == "full" && filters.is_empty();
    let min_verdict = env_pct("USERBPF_VERIFIER_MIN_AGREEMENT").or(defaults.then_some(99.0));
    let min_line = env_pct("USERBPF_VERIFIER_MIN_LINE_AGREEMENT").or(defaults.then_some(98.0));
    if let Some(min) = min_verdict {
        let got = 100.0 * run.verdict_errno as f64 / run.total as f64;
        assert!(
            got >= min,
            "{name}: verdict+errno agreement {got:.2}% is below USERBPF_VERIFIER_MIN_AGREEMENT={min}"
        );
    }
    if let Some(min) = min_line {
        let got = 100.0 * run.line as f64 / run.kernel_rejected.max(1) as f64;
        assert!(
            got >= min,
            "{name}: error line agreement {got:.2}% is below USERBPF_VERIFIER_MIN_LINE_AGREEMENT={min}"
        );
    }
}

/// Programs the kernel needed more instructions for are skipped: by default
/// in debug builds those over 20,000 (about 60 loop and limit cases, which
/// take minutes unoptimized), none in release; USERBPF_VERIFIER_MAX_PROCESSED
/// sets it (0: no limit).
fn max_processed() -> u64 {
    match std::env::var("USERBPF_VERIFIER_MAX_PROCESSED") {
        Ok(v) if !v.is_empty() => v
            .parse()
            .unwrap_or_else(|_| panic!("USERBPF_VERIFIER_MAX_PROCESSED={v}")),
        _ if cfg!(debug_assertions) => 20_000,
        _ => 0,
    }
}

/// One pass over the corpus with one verifier mode.
struct Run {
    report: String,
    disagreements: String,
    shown: String,
    total: usize,
    compared: usize,
    verdict_errno: usize,
    kernel_rejected: usize,
    line: usize,
}

fn compare(entries: &[Entry], whole: usize, filters: &[String], mode: VerifierMode, show: bool) -> Run {
    let max_processed = max_processed();
    let (_bpf, process) = common::process::root_with(Config {
        verifier: mode,
        ..Config::default()
    });
    let mut fams: BTreeMap<String, Tally> = BTreeMap::new();
    let mut all = Tally::default();
    // kind -> (count, first example)
    let mut kinds: BTreeMap<String, (usize, String)> = BTreeMap::new();
    let mut disagreements = String::new();
    let mut slowest: Vec<(Duration, String)> = Vec::new();
    let mut shown = String::new();
    let mut maps = Maps::default();
    let mut skipped_names = std::collections::BTreeSet::new();
    let started = Instant::now();

    for e in entries {
        let fam = fams.entry(e.family.clone()).or_default();
        for t in [&mut *fam, &mut all] {
            t.total += 1;
            t.kernel_accepted += e.accepted as usize;
            t.kernel_rejected += !e.accepted as usize;
        }
        if max_processed != 0 && e.kernel_processed > max_processed {
            fam.skipped += 1;
            all.skipped += 1;
            skipped_names.insert(e.name.clone());
            let k = format!("skipped: heavy (the kernel processed more than {max_processed} insns)");
            kinds.entry(k).or_insert((0, e.name.clone())).0 += 1;
            continue;
        }
        let mut insns = e.insns.clone();
        let mut fresh = Vec::new();
        if !e.maps.is_empty() {
            match maps.fds(&process, &e.maps) {
                Ok((fds, f)) => {
                    common::map_refs::patch(&mut insns, &fds, KBPF);
                    fresh = f;
                }
                Err((spec, errno)) => {
                    // userbpf cannot create this map (yet): not compared.
                    fam.skipped += 1;
                    all.skipped += 1;
                    skipped_names.insert(e.name.clone());
                    let k = format!(
                        "skipped: MAP_CREATE {} fails with {}",
                        spec.split(':').next().unwrap_or(""),
                        errno.name()
                    );
                    kinds.entry(k).or_insert((0, e.name.clone())).0 += 1;
                    continue;
                }
            }
        }
        let req = ProgLoadRequest {
            prog_type: e.prog_type,
            insns,
            log_level: 1,
            log_size: e.log_size,
            expected_attach_type: e.attach_type,
            prog_flags: e.prog_flags,
            ..Default::default()
        };
        let t0 = Instant::now();
        let out = process.prog_load(&req);
        let dt = t0.elapsed();
        if dt > Duration::from_secs(1) {
            eprintln!("verifier_corpus: {mode:?}: {} took {:.1} s", e.name, dt.as_secs_f64());
        }
        slowest.push((dt, e.name.clone()));
        if slowest.len() > 64 {
            slowest.sort_by_key(|b| std::cmp::Reverse(b.0));
            slowest.truncate(8);
        }
        let ours = Outcome {
            accepted: out.result.is_ok(),
            errno: out.result.err(),
            error_line: if out.result.is_ok() {
                None
            } else {
                error_line(&mask_kernel_addresses(&out.log))
            },
            log: out.log,
        };
        if let Ok(fd) = out.result {
            process.close(fd).expect("close the loaded program");
        }
        for fd in fresh {
            process.close(fd).expect("close a prog_array");
        }
        let same_verdict = ours.accepted == e.accepted && (e.accepted || ours.errno == e.errno);
        let same_line = !e.accepted && ours.error_line == e.error_line;
        for t in [&mut *fam, &mut all] {
            t.verdict_errno += same_verdict as usize;
            t.line += same_line as usize;
        }
        let kernel_says = verdict(e.accepted, e.errno);
        let we_say = verdict(ours.accepted, ours.errno);
        let kline = e.error_line.as_deref().unwrap_or("");
        let oline = ours.error_line.as_deref().unwrap_or("");
        let kind = if !same_verdict {
            let why = |acc: bool, l: &str| {
                if acc {
                    String::new()
                } else {
                    format!(" `{}`", normalize(l))
                }
            };
            Some(format!(
                "verdict: kernel {kernel_says}{}; userbpf {we_say}{}",
                why(e.accepted, kline),
                why(ours.accepted, oline)
            ))
        } else if !e.accepted && !same_line {
            Some(format!(
                "error line: kernel `{}`; userbpf `{}`",
                normalize(kline),
                normalize(oline)
            ))
        } else {
            None
        };
        if let Some(k) = &kind {
            kinds.entry(k.clone()).or_insert((0, e.name.clone())).0 += 1;
            let _ = writeln!(
                disagreements,
                "{}\t{}\tkernel: {kernel_says} `{kline}`\tuserbpf: {we_say} `{oline}`",
                e.name, e.type_name
            );
        }
        if show {
            let _ = writeln!(
                shown,
                "==== {} ({}) {}",
                e.name,
                e.type_name,
                if kind.is_none() { "AGREE" } else { "DISAGREE" }
            );
            let _ = writeln!(
                shown,
                "kbpf.py load PROG.hex {}  # PROG = {}",
                e.args.join(" "),
                e.prog_hex
            );
            let _ = writeln!(
                shown,
                "-- kernel: {kernel_says}{}\n{}",
                if e.log_lines > 20 {
                    format!(" (last 20 of {} log lines)", e.log_lines)
                } else {
                    String::new()
                },
                last_lines(&e.log, 20)
            );
            let _ = writeln!(shown, "-- userbpf: {we_say}\n{}", last_lines(&ours.log, 20));
        }
    }
    let elapsed = started.elapsed();

    // The report
    let mut r = String::new();
    let compared = all.total - all.skipped;
    let _ = writeln!(r, "userbpf verifier ({mode:?} mode) vs Linux: {} programs{} (corpus: {whole}), {compared} compared, {} skipped (heavy, or maps userbpf cannot create), in {:.1} s",
        all.total, if filters.is_empty() { String::new() } else { format!(" matching {filters:?}") }, all.skipped, elapsed.as_secs_f64());
    let _ = writeln!(
        r,
        "kernel: {} accepted, {} rejected",
        all.kernel_accepted, all.kernel_rejected
    );
    let _ = writeln!(
        r,
        "verdict+errno agree: {} of {} compared ({}); over the whole corpus, skips counting as disagreements: {}",
        all.verdict_errno,
        compared,
        pct(all.verdict_errno, compared),
        pct(all.verdict_errno, all.total)
    );
    let rejected_compared: usize = {
        // Kernel rejections among the compared programs.
        entries
            .iter()
            .filter(|e| !skipped_names.contains(&e.name) && !e.accepted)
            .count()
    };
    let _ = writeln!(
        r,
        "error line agrees: {} of {} compared rejections ({}); over all {} rejections: {}",
        all.line,
        rejected_compared,
        pct(all.line, rejected_compared),
        all.kernel_rejected,
        pct(all.line, all.kernel_rejected)
    );
    let _ = writeln!(
        r,
        "\n{:<12} {:>6} {:>6} {:>6} {:>8} {:>14} {:>14}",
        "family", "progs", "kacc", "skip", "compared", "verdict+errno", "line/rejected"
    );
    for (f, t) in &fams {
        let rej = entries
            .iter()
            .filter(|e| &e.family == f && !skipped_names.contains(&e.name) && !e.accepted)
            .count();
        let _ = writeln!(
            r,
            "{:<12} {:>6} {:>6} {:>6} {:>8} {:>14} {:>14}",
            f,
            t.total,
            t.kernel_accepted,
            t.skipped,
            t.total - t.skipped,
            pct(t.verdict_errno, t.total - t.skipped),
            pct(t.line, rej)
        );
    }
    let mut ranked: Vec<(&String, &(usize, String))> = kinds.iter().collect();
    ranked.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(b.0)));
    let _ = writeln!(
        r,
        "\nmost common disagreements ({} kinds; numbers shown as N):",
        kinds.len()
    );
    for (k, (n, example)) in ranked.iter().take(30) {
        let _ = writeln!(r, "{n:>6}  {k}   e.g. {example}");
    }
    slowest.sort_by_key(|b| std::cmp::Reverse(b.0));
    let _ = writeln!(r, "\nslowest loads:");
    for (d, n) in slowest.iter().take(5) {
        let _ = writeln!(r, "  {:>8.1} ms  {n}", d.as_secs_f64() * 1e3);
    }
    let _ = writeln!(
        r,
        "\nall disagreements: target/verifier_disagreements_{}.txt (name, type, kernel, userbpf)",
        format!("{mode:?}").to_lowercase()
    );

    Run {
        report: r,
        disagreements,
        shown,
        total: all.total,
        compared,
        verdict_errno: all.verdict_errno,
        kernel_rejected: all.kernel_rejected,
        line: all.line,
    }
}
