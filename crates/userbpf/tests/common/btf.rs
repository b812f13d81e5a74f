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
