#![no_main]
use libfuzzer_sys::fuzz_target;

// Verified programs run alike on the interpreter, the hinted JIT and the
// JIT trusting the verifier, through BPF_PROG_LOAD and BPF_PROG_TEST_RUN.
fuzz_target!(|data: &[u8]| {
    let _ = userbpf::fuzzing::engines::engines_agree(data);
});
