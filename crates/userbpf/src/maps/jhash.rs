//! Bob Jenkins' lookup3 hash as include/linux/jhash.h has it: `jhash` over
//! bytes and `jhash2` over 32-bit words. Hash maps bucket keys with it and
//! bloom filters set bits with it, so with a zero seed (BPF_F_ZERO_SEED)
//! bucket order, iteration order and false positives all match the kernel.

const JHASH_INITVAL: u32 = 0xdead_beef;

#[inline]
fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(4);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(6);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(8);
    *b = b.wrapping_add(*a);
    *a = a.wrapping_sub(*c);
    *a ^= c.rotate_left(16);
    *c = c.wrapping_add(*b);
    *b = b.wrapping_sub(*a);
    *b ^= a.rotate_left(19);
    *a = a.wrapping_add(*c);
    *c = c.wrapping_sub(*b);
    *c ^= b.rotate_left(4);
    *b = b.wrapping_add(*a);
}

#[inline]
fn final_mix(a: &mut u32, b: &mut u32, c: &mut u32) {
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(14));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(11));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(25));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(16));
    *a ^= *c;
    *a = a.wrapping_sub(c.rotate_left(4));
    *b ^= *a;
    *b = b.wrapping_sub(a.rotate_left(14));
    *c ^= *b;
    *c = c.wrapping_sub(b.rotate_left(24));
}

fn le32(k: &[u8]) -> u32 {
    u32::from_le_bytes(k[..4].try_into().expect("4 bytes"))
}

/// The rounds jhash and jhash2 share: while more than 12 bytes are left,
/// three little-endian words go into a, b and c, then a mix. Returns the
/// last 0 to 12 bytes.
fn mix_blocks<'k>(mut k: &'k [u8], a: &mut u32, b: &mut u32, c: &mut u32) -> &'k [u8] {
    while k.len() > 12 {
        *a = a.wrapping_add(le32(k));
        *b = b.wrapping_add(le32(&k[4..]));
        *c = c.wrapping_add(le32(&k[8..]));
        mix(a, b, c);
        k = &k[12..];
    }
    k
}

/// jhash(key, length, initval).
pub fn jhash(key: &[u8], initval: u32) -> u32 {
    let mut a = JHASH_INITVAL.wrapping_add(key.len() as u32).wrapping_add(initval);
    let (mut b, mut c) = (a, a);
    let k = mix_blocks(key, &mut a, &mut b, &mut c);
    if k.is_empty() {
        return c;
    }
    // The tail: byte i of the last block goes to a, b or c by position.
    for (i, &byte) in k.iter().enumerate() {
        let v = (byte as u32) << ((i % 4) * 8);
        match i / 4 {
            0 => a = a.wrapping_add(v),
            1 => b = b.wrapping_add(v),
            _ => c = c.wrapping_add(v),
        }
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// jhash2(words, length in words, initval); `key` holds whole words,
/// little-endian as the CPU reads them.
pub fn jhash2(key: &[u8], initval: u32) -> u32 {
    debug_assert!(key.len().is_multiple_of(4));
    let mut a = JHASH_INITVAL
        .wrapping_add((key.len() / 4 * 4) as u32)
        .wrapping_add(initval);
    let (mut b, mut c) = (a, a);
    let k = mix_blocks(key, &mut a, &mut b, &mut c);
    match k.len() / 4 {
        3 => {
            c = c.wrapping_add(le32(&k[8..]));
            b = b.wrapping_add(le32(&k[4..]));
            a = a.wrapping_add(le32(k));
        }
        2 => {
            b = b.wrapping_add(le32(&k[4..]));
            a = a.wrapping_add(le32(k));
        }
        1 => a = a.wrapping_add(le32(k)),
        _ => return c,
    }
    final_mix(&mut a, &mut b, &mut c);
    c
}

/// htab_map_hash(): jhash2 for keys of whole words, jhash otherwise.
#[inline]
pub fn htab_hash(key: &[u8], seed: u32) -> u32 {
    // jhash_1word(): jhash2 of one word, without its loop.
    if let [a0, a1, a2, a3] = *key {
        let mut a = JHASH_INITVAL.wrapping_add(4).wrapping_add(seed);
        let (mut b, mut c) = (a, a);
        a = a.wrapping_add(u32::from_le_bytes([a0, a1, a2, a3]));
        final_mix(&mut a, &mut b, &mut c);
        return c;
    }
    if key.len().is_multiple_of(4) {
        jhash2(key, seed)
    } else {
        jhash(key, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_and_byte_forms_agree_on_word_keys() {
        // jhash2 over n words and jhash over the same 4n bytes differ only
        // in how the length enters the initial state (bytes vs words << 2,
        // which are equal), so they agree.
        for n in 0..8usize {
            let key: Vec<u8> = (0..4 * n as u8).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(jhash(&key, 7), jhash2(&key, 7), "{n} words");
        }
    }

    #[test]
    fn lookup3_reference_values() {
        // Empty input returns the initial state unmixed.
        assert_eq!(jhash(&[], 0), 0xdeadbeef);
        assert_eq!(jhash2(&[], 1), 0xdeadbeef + 1);
        // Different seeds and single-bit key changes move the hash.
        let k = 1u32.to_le_bytes();
        assert_ne!(htab_hash(&k, 0), htab_hash(&k, 1));
        assert_ne!(htab_hash(&k, 0), htab_hash(&2u32.to_le_bytes(), 0));
    }

    #[test]
    fn one_word_keys_hash_as_jhash2() {
        // htab_hash's jhash_1word shortcut against the general jhash2.
        for (k, seed) in [
            (0u32, 0u32),
            (1, 0),
            (0xdead_beef, 7),
            (u32::MAX, u32::MAX),
            (12345, 0x9e37_79b9),
        ] {
            let key = k.to_le_bytes();
            assert_eq!(htab_hash(&key, seed), jhash2(&key, seed), "key {k:#x} seed {seed:#x}");
        }
    }
}
