//! Hand-built BTF blobs.

/// The offset of `name` in a BTF string section (`\0name\0...`).
pub fn btf_str(strs: &[u8], name: &str) -> u32 {
    let needle = format!("\0{name}\0");
    (strs
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
        .expect("string in the section")
        + 1) as u32
}

/// A BTF blob (version 1, no flags) of the given type words and strings.
pub fn btf_blob(type_words: &[u32], strs: &[u8]) -> Vec<u8> {
    let types: Vec<u8> = type_words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut blob = vec![0x9f, 0xeb, 1, 0];
    for w in [24u32, 0, types.len() as u32, types.len() as u32, strs.len() as u32] {
        blob.extend(w.to_le_bytes());
    }
    blob.extend(types);
    blob.extend(strs);
    blob
}

/// The BTF of a map value with a lock: [1] int, [2] struct bpf_spin_lock
/// { int val; }, [3] struct v { struct bpf_spin_lock l; int <ints>...; }
/// (record.py's spin_lock_btf() with `ints` = ["x"]).
pub fn spin_lock_value(ints: &[&str]) -> Vec<u8> {
    let mut strs = b"\0int\0bpf_spin_lock\0val\0v\0l\0".to_vec();
    for name in ints {
        strs.extend(name.as_bytes());
        strs.push(0);
    }
    let off = |n: &str| btf_str(&strs, n);
    let n = ints.len() as u32;
    #[rustfmt::skip]
    let mut words = vec![
        off("int"), 1 << 24, 4, 32,
        off("bpf_spin_lock"), (4 << 24) | 1, 4, off("val"), 1, 0,
        off("v"), (4 << 24) | (1 + n), 4 + 4 * n, off("l"), 2, 0,
    ];
    for (k, name) in ints.iter().enumerate() {
        words.extend([off(name), 1, 32 * (k as u32 + 1)]);
    }
    btf_blob(&words, &strs)
}
