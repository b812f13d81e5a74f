#![no_main]
use libfuzzer_sys::fuzz_target;

// The JIT against the interpreter: same r0 or error, memory and stack.
fuzz_target!(|data: &[u8]| userbpf::fuzzing::jit_vs_interp(data));
