//! What to do about a refused load: the verifier's last message (the line
//! before `processed N insns`) matched against the common causes, in the
//! words a newcomer needs. The kernel's log is printed unchanged above the
//! hint; the hint is ours.

/// (a fragment of the verifier's message, the advice).
const HINTS: &[(&str, &str)] = &[
    ("!read_ok", "a register is read before anything was written to it; on exit that is r0: set the return value (e.g. `r0 = 0`) before `exit`"),
    ("invalid mem access 'map_value_or_null'", "bpf_map_lookup_elem() may return NULL: test the pointer (`if r0 == 0 goto ...`) before using it"),
    ("invalid mem access 'scalar'", "the register holds a number, not a pointer: load through a pointer (ctx, stack, map value, packet) only"),
    ("invalid access to packet", "check every packet access against data_end first: `if (data + off + size > data_end) goto out;`"),
    ("is outside of the packet", "check every packet access against data_end first: `if (data + off + size > data_end) goto out;`"),
    ("invalid bpf_context access", "this context field, offset or size can't be read or written by this program type: see the uapi struct (__sk_buff, xdp_md, ...)"),
    ("unreachable insn", "an instruction no path reaches: remove it, or fix the jump offsets"),
    ("back-edge from insn", "loops need a bounded exit the verifier can see (and CAP_BPF): use a counted loop or bpf_loop()"),
    ("infinite loop detected", "the loop can run forever as far as the verifier sees: bound its counter with a constant"),
    ("cannot use helper", "this program type can't call that helper: check the helper's man page (bpf-helpers(7)) for the types allowed"),
    ("GPL-restricted function", "the helper is GPL-only: set a GPL-compatible license (--license GPL, or `char LICENSE[] SEC(\"license\") = \"GPL\";`)"),
    ("jump out of range", "a jump lands outside the program: check the offsets (relative to the next instruction)"),
    ("last insn is not an exit or jmp", "the program can run off its end: finish every path with `exit`"),
    ("invalid write to stack", "stack accesses must stay within r10-512 .. r10-1"),
    ("invalid stack off", "stack accesses must stay within r10-512 .. r10-1"),
    ("invalid read from stack", "stack bytes are read before being written: initialise them (e.g. `*(u64 *)(r10 -8) = 0`)"),
    ("min value is negative", "an index or size can be negative: bound it first (`if r2 s< 0 goto ...` or `r2 &= 0xff`)"),
    ("unbounded memory access", "the offset has no upper bound: compare it with a constant before the access"),
    ("outside of the allowed memory range", "the access can go past the end of the map value: bound the offset by value_size"),
    ("has to have BTF in order to use bpf_spin_lock", "maps holding a bpf_spin_lock need BTF: declare the map in C with __type(value, struct ...) so the loader passes its value type"),
    ("function calls are not allowed while holding a lock", "call bpf_spin_unlock() before any other helper or kfunc"),
    ("cannot be used inside bpf_spin_lock-ed region", "release the lock (bpf_spin_unlock) on every path before exit or LD_ABS"),
    ("BPF program is too large", "the verifier explored over 1,000,000 instructions: cut branches or loop bounds, or split the program with tail calls"),
    ("would lead to reference leak", "a ring buffer record (or other reference) is not released on this path: submit or discard it before exit"),
    ("R0 leaks addr", "unprivileged programs may not return a pointer: return a number"),
    ("leaks addr into", "unprivileged programs may not pass pointers where numbers are expected"),
    ("unknown opcode", "not an eBPF instruction: check the encoding (userbpf disasm shows how it decodes)"),
];

/// The advice for a refused load's log, if its error is a common one.
pub fn hint(log: &str) -> Option<&'static str> {
    let lines: Vec<&str> = log.lines().filter(|l| !l.is_empty()).collect();
    let error = match lines.as_slice() {
        [.., e, last] if last.starts_with("processed ") => *e,
        [.., e] => *e,
        [] => return None,
    };
    HINTS.iter().find(|(frag, _)| error.contains(frag)).map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    use super::hint;

    #[test]
    fn finds_the_error_line() {
        let log = "0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
        assert!(hint(log).unwrap().contains("set the return value"));
        assert_eq!(hint("processed 2 insns\n"), None);
        assert_eq!(hint(""), None);
    }
}
