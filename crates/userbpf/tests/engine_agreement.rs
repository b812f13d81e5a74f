//! The interpreter, the JIT with the verifier's proofs as hints (the
//! default) and the JIT trusting them agree on generated programs the full
//! verifier accepts, loaded through BPF_PROG_LOAD and run by
//! BPF_PROG_TEST_RUN (`userbpf::fuzzing::engines::engines_agree` panics on
//! a difference: retval, data_out, map contents).
//!
//! A short campaign runs in CI; `USERBPF_ENGINE_PROGRAMS=100000 cargo test
//! --release -p userbpf --test engine_agreement -- --nocapture` a long one.

mod common;

use std::time::Instant;

use common::env_u64;

use userbpf::fuzzing::engines::{engines_agree, EnginesVerdict};
use userbpf::fuzzing::sound_seed_bytes;

#[test]
fn engines_agree_on_verified_programs() {
    let n = env_u64("USERBPF_ENGINE_PROGRAMS", 600);
    let seed = env_u64("USERBPF_ENGINE_SEED", 7);
    let start = Instant::now();
    let (mut agreed, mut unrolled) = (0u64, 0u64);
    for i in 0..n {
        if let EnginesVerdict::Agreed { unrolled: u } = engines_agree(&sound_seed_bytes(seed, i)) {
            agreed += 1;
            unrolled += u as u64;
        }
    }
    println!(
        "engine agreement: {agreed} of {n} generated programs loaded and ran alike on the three engines \
         ({unrolled} with a loop the JIT unrolls; {:.1} s)",
        start.elapsed().as_secs_f64()
    );
    // The generator makes loadable socket filters often enough that a
    // campaign of this size runs many; fewer means the harness broke.
    assert!(agreed * 10 >= n, "only {agreed} of {n} programs were compared");
}
