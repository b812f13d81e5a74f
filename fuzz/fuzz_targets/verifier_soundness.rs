#![no_main]
use libfuzzer_sys::fuzz_target;

// Programs the verifier accepts must run without a memory fault.
fuzz_target!(|data: &[u8]| {
    let _ = userbpf::fuzzing::verifier_soundness(data);
});
