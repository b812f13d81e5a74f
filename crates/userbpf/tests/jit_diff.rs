//! The JIT against the interpreter on generated programs: same r0 or same
//! error (pc and fault), same memory, same stack. CI runs a short campaign;
//! `USERBPF_DIFF_PROGRAMS=1000000 cargo test --release --test jit_diff`
//! runs a long one.

use proptest::prelude::*;
use userbpf::fuzzing;

#[test]
fn generated_programs_agree() {
    let count = std::env::var("USERBPF_DIFF_PROGRAMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let seed = std::env::var("USERBPF_DIFF_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let stats = fuzzing::diff_campaign(seed, count);
    eprintln!("{stats:?}");
    // The generator must mostly produce runnable, varied programs.
    assert!(stats.agreed * 2 > stats.generated, "{stats:?}");
    assert!(stats.returned * 10 > stats.agreed, "{stats:?}");
    // Loops the JIT unrolls are among them.
    assert!(stats.unrolled * 50 > stats.agreed, "{stats:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Arbitrary bytes through the fuzz target's entry point.
    #[test]
    fn fuzz_entry_point_agrees(mem_len in any::<u8>(), mem in prop::collection::vec(any::<u8>(), 0..64),
                               prog in prop::collection::vec(any::<u8>(), 0..160)) {
        let mut data = vec![mem_len.min(mem.len() as u8)];
        data.extend_from_slice(&mem);
        data.extend_from_slice(&prog);
        fuzzing::jit_vs_interp(&data);
    }
}
