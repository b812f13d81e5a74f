//! The BPF part of /proc/kallsyms: `bpf_prog_<tag>_<name>` over each JIT
//! image's address range. As in the kernel, only JIT-compiled programs get
//! an entry (bpf_prog_kallsyms_candidate), and only when the loader has
//! CAP_SYS_ADMIN.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Kallsyms {
    syms: Mutex<BTreeMap<u64, (u64, String)>>,
}

impl Kallsyms {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Add a symbol for `[start, start + len)`; removed when the guard drops.
    pub fn add(self: &Arc<Self>, start: u64, len: u64, name: String) -> KsymGuard {
        self.syms.lock().expect("kallsyms lock").insert(start, (len, name));
        KsymGuard {
            table: Arc::clone(self),
            start,
        }
    }

    /// The symbol covering `addr`.
    #[cfg(test)]
    pub fn lookup(&self, addr: u64) -> Option<String> {
        let syms = self.syms.lock().expect("kallsyms lock");
        let (start, (len, name)) = syms.range(..=addr).next_back()?;
        (addr < start + len).then(|| name.clone())
    }

    /// Lines as /proc/kallsyms prints them: `addr t name\t[bpf]`.
    pub fn dump(&self) -> Vec<String> {
        let syms = self.syms.lock().expect("kallsyms lock");
        syms.iter()
            .map(|(a, (_, n))| format!("{a:016x} t {n}\t[bpf]"))
            .collect()
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.syms.lock().expect("kallsyms lock").len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The kernel's symbol name for a program image.
pub fn prog_symbol_name(tag: &[u8; 8], name: &str) -> String {
    let tag: String = tag.iter().map(|b| format!("{b:02x}")).collect();
    if name.is_empty() {
        format!("bpf_prog_{tag}")
    } else {
        format!("bpf_prog_{tag}_{name}")
    }
}

pub struct KsymGuard {
    table: Arc<Kallsyms>,
    start: u64,
}

impl Drop for KsymGuard {
    fn drop(&mut self) {
        self.table.syms.lock().expect("kallsyms lock").remove(&self.start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_and_removal() {
        let k = Kallsyms::new();
        let g = k.add(0x1000, 0x40, prog_symbol_name(&[0xab; 8], "xdp_main"));
        assert_eq!(k.lookup(0x103f).as_deref(), Some("bpf_prog_abababababababab_xdp_main"));
        assert_eq!(k.lookup(0x1040), None);
        drop(g);
        assert!(k.is_empty());
    }
}
