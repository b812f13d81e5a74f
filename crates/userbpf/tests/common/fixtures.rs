//! Where the tests' inputs live: tests/fixtures (recorded kernel answers,
//! ELF objects, golden texts), examples/ and the shared conformance suite.

use std::path::{Path, PathBuf};

/// The repository's root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `tests/fixtures/<sub>`.
pub fn fixtures(sub: &str) -> PathBuf {
    repo().join("tests/fixtures").join(sub)
}

/// The ELF objects' directory, `tests/fixtures/elf`.
pub fn elf_dir() -> PathBuf {
    fixtures("elf")
}

/// `examples/<path>`.
pub fn examples(path: &str) -> PathBuf {
    repo().join("examples").join(path)
}

/// The bpf_conformance suite's tests (beside the repository; tests skip
/// when it is absent).
pub fn conformance_dir() -> PathBuf {
    repo().join("../shared/conformance/tests")
}

/// A JSON fixture file, parsed.
pub fn json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The small kernel BTF the fixtures' kfuncs and `__ksym` externs resolve
/// against (`tests/fixtures/elf/kernel_btf/kfuncs.btf`, built by build.sh
/// from kfuncs.c): its ids are not the running kernel's.
pub fn bundled_kernel_btf() -> std::sync::Arc<userbpf::btf::Btf> {
    let raw = std::fs::read(elf_dir().join("kernel_btf/kfuncs.btf")).expect("kernel_btf/kfuncs.btf");
    std::sync::Arc::new(userbpf::btf::Btf::parse(&raw).expect("bundled kernel BTF parses"))
}
