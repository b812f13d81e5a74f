//! Malformed objects: truncated at every length, wrong machine, type or
//! class, bad section indices, relocations to nowhere, huge sizes, broken
//! BTF, and random byte flips. Each gives a clean error (or, for flips
//! that leave a valid object, a load that leaves nothing behind), never a
//! panic. The proptest runs `userbpf::fuzzing::load_object`, the entry
//! point of the `elf_load` fuzz target.

mod common;

use common::fixtures::elf_dir;

use proptest::prelude::*;
use userbpf::btf::{Btf, BtfError};
use userbpf::fuzzing::load_object;
use userbpf::obj::{ObjError, Object};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(elf_dir().join(format!("{name}.o"))).unwrap()
}

fn parse(data: &[u8]) -> Result<Object, ObjError> {
    Object::parse("t", data)
}

fn u16_at(d: &[u8], off: usize) -> usize {
    u16::from_le_bytes([d[off], d[off + 1]]) as usize
}

fn u64_at(d: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(d[off..off + 8].try_into().unwrap())
}

/// ELF64 section header offset of the section named `name`.
fn section_header(d: &[u8], name: &str) -> usize {
    let shoff = u64_at(d, 0x28) as usize;
    let (entsize, shnum, shstrndx) = (u16_at(d, 0x3a), u16_at(d, 0x3c), u16_at(d, 0x3e));
    let strtab = u64_at(d, shoff + shstrndx * entsize + 24) as usize;
    (0..shnum)
        .map(|i| shoff + i * entsize)
        .find(|&h| {
            let n = strtab + u32::from_le_bytes(d[h..h + 4].try_into().unwrap()) as usize;
            d[n..].starts_with(name.as_bytes()) && d[n + name.len()] == 0
        })
        .unwrap_or_else(|| panic!("no section {name}"))
}

fn with(mut d: Vec<u8>, off: usize, bytes: &[u8]) -> Vec<u8> {
    d[off..off + bytes.len()].copy_from_slice(bytes);
    d
}

#[test]
fn every_truncation_is_an_error() {
    for name in ["xdp_pass", "global_data", "hash_of_maps", "subprog_shared"] {
        let data = fixture(name);
        assert!(parse(&data).is_ok());
        for len in 0..data.len() {
            assert!(parse(&data[..len]).is_err(), "{name} truncated to {len} parsed");
            load_object(&data[..len]);
        }
    }
}

#[test]
fn wrong_machine_type_class_and_endianness() {
    let d = fixture("xdp_pass");
    assert!(matches!(
        parse(&with(d.clone(), 18, &62u16.to_le_bytes())),
        Err(ObjError::NotBpf { machine: 62 })
    ));
    assert!(matches!(
        parse(&with(d.clone(), 16, &2u16.to_le_bytes())),
        Err(ObjError::NotRelocatable { e_type: 2 })
    ));
    assert!(
        matches!(parse(&with(d.clone(), 4, &[1])), Err(ObjError::Elf { .. })),
        "32-bit class"
    );
    assert!(
        matches!(parse(&with(d.clone(), 5, &[2])), Err(ObjError::Elf { .. })),
        "big endian"
    );
    assert!(
        matches!(parse(&with(d.clone(), 0, b"\x7fELG")), Err(ObjError::Elf { .. })),
        "magic"
    );
    assert!(parse(b"").is_err());
}

#[test]
fn bad_section_indices_are_errors() {
    let d = fixture("global_data");
    // e_shstrndx past the table.
    assert!(parse(&with(d.clone(), 0x3e, &999u16.to_le_bytes())).is_err());
    // e_shnum larger than the file holds.
    assert!(parse(&with(d.clone(), 0x3c, &0x7fffu16.to_le_bytes())).is_err());
    // The relocation section's symbol table (sh_link) and target (sh_info).
    let rel = section_header(&d, ".relxdp");
    assert!(
        parse(&with(d.clone(), rel + 40, &500u32.to_le_bytes())).is_err(),
        "sh_link"
    );
    assert!(
        parse(&with(d.clone(), rel + 44, &500u32.to_le_bytes())).is_err(),
        "sh_info"
    );
}

#[test]
fn relocations_to_nowhere_are_errors() {
    let d = fixture("global_data");
    let rel = section_header(&d, ".relxdp");
    let first = u64_at(&d, rel + 24) as usize;
    // r_offset past the section's instructions.
    let e = parse(&with(d.clone(), first, &0x10000u64.to_le_bytes())).unwrap_err();
    assert!(matches!(e, ObjError::Relocation { .. }), "{e}");
    // r_offset not on an instruction boundary.
    let e = parse(&with(d.clone(), first, &3u64.to_le_bytes())).unwrap_err();
    assert!(matches!(e, ObjError::Relocation { .. }), "{e}");
    // r_info's symbol index past the symbol table.
    let info = u64_at(&d, first + 8);
    let bad = (info & 0xffff_ffff) | (0xffff << 32);
    assert!(parse(&with(d.clone(), first + 8, &bad.to_le_bytes())).is_err());
    // A relocation on an instruction that is not ld_imm64 (the exit).
    let xdp = section_header(&d, "xdp");
    let size = u64_at(&d, xdp + 32);
    let e = parse(&with(d.clone(), first, &(size - 8).to_le_bytes())).unwrap_err();
    assert!(matches!(e, ObjError::Relocation { .. }), "{e}");
}

#[test]
fn huge_sizes_are_errors() {
    let d = fixture("hash_of_maps");
    for name in ["xdp", ".BTF", ".maps", ".symtab"] {
        let h = section_header(&d, name);
        assert!(
            parse(&with(d.clone(), h + 32, &u64::MAX.to_le_bytes())).is_err(),
            "{name} sh_size"
        );
        assert!(
            parse(&with(d.clone(), h + 24, &(u64::MAX - 4).to_le_bytes())).is_err(),
            "{name} sh_offset"
        );
    }
}

fn btf_bytes(name: &str) -> Vec<u8> {
    let d = fixture(name);
    let h = section_header(&d, ".BTF");
    let (off, size) = (u64_at(&d, h + 24) as usize, u64_at(&d, h + 32) as usize);
    d[off..off + size].to_vec()
}

#[test]
fn broken_btf_is_an_error() {
    let b = btf_bytes("btf_kinds");
    assert!(Btf::parse(&b).is_ok());
    for len in 0..b.len() {
        assert!(Btf::parse(&b[..len]).is_err(), "truncated to {len}");
    }
    assert!(matches!(
        Btf::parse(&with(b.clone(), 0, &[0xeb, 0x9f])),
        Err(BtfError::BigEndian)
    ));
    assert!(matches!(
        Btf::parse(&with(b.clone(), 0, &[1, 2])),
        Err(BtfError::BadMagic { .. })
    ));
    assert!(matches!(
        Btf::parse(&with(b.clone(), 2, &[2])),
        Err(BtfError::BadVersion { version: 2 })
    ));
    // Type section length larger than the data.
    assert!(matches!(
        Btf::parse(&with(b.clone(), 12, &u32::MAX.to_le_bytes())),
        Err(BtfError::BadHeader { .. })
    ));
    // The first type (hdr 24 bytes, type section at 0): make it a typedef
    // of itself (a cycle), then a pointer to a type past the end.
    let typedef_self = [0u32.to_le_bytes(), (8u32 << 24).to_le_bytes(), 1u32.to_le_bytes()].concat();
    assert!(matches!(
        Btf::parse(&with(b.clone(), 24, &typedef_self)),
        Err(BtfError::BadType { id: 1, .. })
    ));
    let ptr_far = [0u32.to_le_bytes(), (2u32 << 24).to_le_bytes(), 100_000u32.to_le_bytes()].concat();
    assert!(matches!(
        Btf::parse(&with(b.clone(), 24, &ptr_far)),
        Err(BtfError::BadType { id: 1, .. })
    ));
    // A typedef (type 1) of a later type whose own reference is out of
    // range: found by the elf_load fuzz target (the chain check followed
    // type 2's reference before type 2 was checked).
    let mut chain = b[..24].to_vec();
    let types = [
        [0u32, 8 << 24, 2],  // [1] TYPEDEF -> 2
        [0u32, 8 << 24, 64], // [2] TYPEDEF -> 64 (no such type)
    ];
    let type_bytes: Vec<u8> = types.iter().flatten().flat_map(|w| w.to_le_bytes()).collect();
    chain[8..12].copy_from_slice(&0u32.to_le_bytes()); // type_off
    chain[12..16].copy_from_slice(&(type_bytes.len() as u32).to_le_bytes()); // type_len
    chain[16..20].copy_from_slice(&(type_bytes.len() as u32).to_le_bytes()); // str_off
    chain[20..24].copy_from_slice(&1u32.to_le_bytes()); // str_len
    chain.extend_from_slice(&type_bytes);
    chain.push(0);
    assert!(matches!(Btf::parse(&chain), Err(BtfError::BadType { id: 2, .. })));
    // An unknown kind.
    let unknown = [0u32.to_le_bytes(), (31u32 << 24).to_le_bytes(), 0u32.to_le_bytes()].concat();
    assert!(matches!(
        Btf::parse(&with(b.clone(), 24, &unknown)),
        Err(BtfError::BadType { id: 1, .. })
    ));
}

#[test]
fn corrupt_btf_in_an_object_is_an_error() {
    let d = fixture("btf_maps");
    let h = section_header(&d, ".BTF");
    let off = u64_at(&d, h + 24) as usize;
    let e = parse(&with(d.clone(), off, &[0, 0])).unwrap_err();
    assert!(matches!(e, ObjError::Btf(BtfError::BadMagic { .. })), "{e}");
}

/// Inputs the fuzz target once crashed on (fuzz/regressions/).
#[test]
fn fuzz_regressions_stay_fixed() {
    let dir = common::fixtures::repo().join("fuzz/regressions");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_str().unwrap().starts_with("elf_load") {
            load_object(&std::fs::read(&path).unwrap());
            n += 1;
        }
    }
    assert!(n >= 1);
}

/// A map too big for the memlock limit is refused before its memory is
/// allocated (fuzz/regressions/elf_load_*_oom.bin): 64 TiB can't be
/// allocated at all, so EPERM (not ENOMEM) shows the order.
#[test]
fn maps_over_the_memlock_limit_fail_before_allocating() {
    use userbpf::uapi::types::map_type;
    let (_bpf, p) = common::process::root_with(userbpf::Config {
        memlock_limit: Some(4 << 20),
        ..userbpf::Config::default()
    });
    for map_type in [map_type::ARRAY, map_type::HASH, map_type::LPM_TRIE] {
        let req = userbpf::MapCreateRequest {
            map_type,
            key_size: if map_type == map_type::LPM_TRIE { 8 } else { 4 },
            value_size: 1 << 20,
            max_entries: 1 << 26,
            map_flags: if map_type == map_type::LPM_TRIE { 1 } else { 0 },
            ..Default::default()
        };
        assert_eq!(p.map_create(&req), Err(userbpf::Errno::EPERM), "type {map_type}");
    }
}

#[test]
fn every_fixture_survives_the_fuzz_entry_point() {
    for entry in std::fs::read_dir(elf_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "o") {
            load_object(&std::fs::read(&path).unwrap());
        }
    }
}

fn all_fixtures() -> Vec<Vec<u8>> {
    let mut v: Vec<_> = std::fs::read_dir(elf_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "o"))
        .collect();
    v.sort();
    v.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_byte_flips_never_panic(
        which in 0usize..64,
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let fixtures = all_fixtures();
        let mut data = fixtures[which % fixtures.len()].clone();
        for (i, b) in flips {
            let at = i.index(data.len());
            data[at] ^= b | 1;
        }
        load_object(&data);
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        load_object(&data);
    }
}
