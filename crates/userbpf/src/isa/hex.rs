//! Hex text for instruction bytes and memory (`b7000000...`): program
//! files (`.hex`), the conformance plugin protocol, the CLI's keys and
//! values.

/// Why hex text does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("character {ch:?} at byte {at} is not a hex digit")]
    BadDigit { at: usize, ch: char },
    #[error("odd number of hex digits ({digits}): the last byte is incomplete")]
    OddDigits { digits: usize },
}

/// Decode hex text (`b7000000...`) into bytes; whitespace anywhere is
/// ignored, as the runner may wrap or space the digits.
pub fn parse_hex_bytes(s: &str) -> Result<Vec<u8>, HexError> {
    let mut bytes = Vec::with_capacity(s.len() / 2);
    let mut high: Option<u8> = None;
    let mut digits = 0;
    for (at, ch) in s.char_indices() {
        if ch.is_whitespace() {
            continue;
        }
        let nibble = ch.to_digit(16).ok_or(HexError::BadDigit { at, ch })? as u8;
        digits += 1;
        match high.take() {
            Some(h) => bytes.push(h << 4 | nibble),
            None => high = Some(nibble),
        }
    }
    if high.is_some() {
        return Err(HexError::OddDigits { digits });
    }
    Ok(bytes)
}

/// Encode bytes as lowercase hex, the inverse of [`parse_hex_bytes`].
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_bytes_ignore_whitespace_and_reject_bad_input() {
        assert_eq!(
            parse_hex_bytes("b7 00\n0000 01000000\t"),
            Ok(vec![0xb7, 0, 0, 0, 1, 0, 0, 0])
        );
        assert_eq!(parse_hex_bytes("AbCd"), Ok(vec![0xab, 0xcd]));
        assert_eq!(parse_hex_bytes(""), Ok(vec![]));
        assert_eq!(parse_hex_bytes("abc"), Err(HexError::OddDigits { digits: 3 }));
        assert_eq!(parse_hex_bytes("0x12"), Err(HexError::BadDigit { at: 1, ch: 'x' }));
        assert_eq!(to_hex(&[0xb7, 0x00, 0x0a]), "b7000a");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
            let _ = parse_hex_bytes(&text);
        }

        #[test]
        fn hex_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            proptest::prop_assert_eq!(parse_hex_bytes(&to_hex(&bytes)), Ok(bytes));
        }
    }
}
