//! The fuzz targets' entry points as property tests, so CI runs a short
//! fuzzing campaign on every change: random bytes through the decoder, the
//! assemblers and the interpreter must never panic.

use proptest::prelude::*;
use userbpf::fuzzing;

/// Bytes biased towards valid instructions: real opcodes, small registers.
fn insn_bytes() -> impl Strategy<Value = Vec<u8>> {
    let slot = (
        any::<u8>(),
        0u8..=11,
        0u8..=11,
        prop_oneof![Just(0i16), -4i16..4, any::<i16>()],
        prop_oneof![Just(0i32), -4i32..65, any::<i32>()],
    )
        .prop_map(|(code, dst, src, off, imm)| {
            let mut b = vec![code, dst | (src << 4)];
            b.extend_from_slice(&off.to_le_bytes());
            b.extend_from_slice(&imm.to_le_bytes());
            b
        });
    prop::collection::vec(slot, 0..24).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 20_000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn decoder_never_panics_and_round_trips(data in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::decode_bytes(&data);
    }

    #[test]
    fn decoder_on_plausible_instructions(data in insn_bytes()) {
        fuzzing::decode_bytes(&data);
    }

    #[test]
    fn interpreter_never_panics(mem_len in any::<u8>(), mem in prop::collection::vec(any::<u8>(), 0..64), prog in insn_bytes()) {
        let mut data = vec![mem_len.min(mem.len() as u8)];
        data.extend_from_slice(&mem);
        data.extend_from_slice(&prog);
        fuzzing::run_bytes(&data);
    }

    #[test]
    fn assemblers_never_panic(text in "[a-z0-9%\\[\\]+\\-, :#\n()*=<>.rwxs]{0,120}") {
        fuzzing::assemble_text(text.as_bytes());
    }

    #[test]
    fn assemblers_on_random_bytes(data in prop::collection::vec(any::<u8>(), 0..200)) {
        fuzzing::assemble_text(&data);
    }
}
