//! The ELF loader: `.o` files as clang builds them for the kernel, loaded
//! as libbpf loads them.
//!
//! - `parse`: the ELF (programs by section and symbol, license, version,
//!   relocations classified) with the `object` crate
//! - `section_name`: program types by section name
//! - `maps`: BTF-defined, legacy and global data map definitions
//! - `externs`: `.kconfig` and `__ksym` externs, kconfig values
//! - [`ksyms`]: `__ksym` externs (kfuncs, kernel variables) resolved
//!   against a kernel BTF
//! - [`core`]: CO-RE relocations against a target BTF
//! - [`relocate`]: the relocation passes and subprogram linking
//! - `load`: creating maps and loading programs into a process

pub mod core;
pub(crate) mod error;
pub(crate) mod externs;
pub mod ksyms;
pub(crate) mod load;
pub(crate) mod maps;
pub(crate) mod parse;
pub mod relocate;
pub(crate) mod section_name;

pub use error::ObjError;
pub use externs::Kconfig;
pub use load::{LoadOptions, LoadedMap, LoadedObject, ProgOptions, ProgramLoad};
pub use parse::{Object, Program};

/// Reads a target BTF: raw BTF (as /sys/kernel/btf/vmlinux), or an ELF
/// object's `.BTF` section.
pub fn read_target_btf(data: &[u8]) -> Result<crate::btf::Btf, ObjError> {
    if data.starts_with(b"\x7fELF") {
        use object::{Object as _, ObjectSection};
        let file = object::read::elf::ElfFile64::<object::LittleEndian>::parse(data)?;
        let sec = file
            .section_by_name(".BTF")
            .ok_or_else(|| ObjError::section(".BTF", "the ELF file has no .BTF section"))?;
        Ok(crate::btf::Btf::parse(sec.data()?)?)
    } else {
        Ok(crate::btf::Btf::parse(data)?)
    }
}
