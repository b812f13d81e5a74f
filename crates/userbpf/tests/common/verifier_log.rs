//! Reading verifier logs as the recorders read the kernel's.

/// The verifier's last word: the last non-empty line before the
/// statistics ("processed N insns ...", "verification time", "stack
/// depth"), as tests/fixtures/ctx_access/record.py takes it.
pub fn error_line(log: &str) -> String {
    let mut lines: Vec<&str> = log.lines().filter(|l| !l.trim().is_empty()).collect();
    while lines.last().is_some_and(|l| {
        l.starts_with("processed ") || l.starts_with("verification time") || l.starts_with("stack depth")
    }) {
        lines.pop();
    }
    lines.last().map(|l| l.to_string()).unwrap_or_default()
}

/// R0's state as a level-2 log prints it after instruction 0 (the text
/// after `R0=` or `R0_w=`, up to the next register).
pub fn r0_after_first_insn(log: &str) -> Option<String> {
    let line = log.lines().find(|l| l.starts_with("0: ") && l.contains("; "))?;
    let state = line.split_once("; ")?.1;
    let rest = &state[state.find("R0")?..];
    let r0 = rest.find(" R1").map_or(rest, |end| &rest[..end]);
    Some(r0.split_once('=')?.1.to_string())
}

/// What userbpf's full verifier did not model when it refused a load with
/// EOPNOTSUPP: the WHAT of its `userbpf: WHAT is not modelled` line.
pub fn not_modelled(log: &str) -> Option<&str> {
    log.lines()
        .find_map(|l| l.strip_prefix("userbpf: ")?.strip_suffix(" is not modelled"))
}
