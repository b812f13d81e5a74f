//! Locked-memory accounting per user against RLIMIT_MEMLOCK, as kernels
//! before 5.11 charged programs and maps (newer ones charge the memory
//! cgroup; the default limit here is unlimited to match them).
//!
//! A charge is a value: dropping it uncharges, so every exit path of the
//! load path releases what it took.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::uapi::{Errno, PAGE_SIZE};

/// Pages locked per uid.
#[derive(Default, Debug)]
pub struct MemlockAccounts {
    limit_pages: Option<u64>,
    used: Mutex<HashMap<u32, u64>>,
}

impl MemlockAccounts {
    /// `limit_bytes`: RLIMIT_MEMLOCK, or None for unlimited.
    pub fn new(limit_bytes: Option<u64>) -> Arc<Self> {
        Arc::new(MemlockAccounts {
            limit_pages: limit_bytes.map(|b| b / PAGE_SIZE),
            used: Mutex::new(HashMap::new()),
        })
    }

    /// Charge `pages` to `uid`: EPERM when over the limit (as
    /// bpf_charge_memlock did).
    pub fn charge(self: &Arc<Self>, uid: u32, pages: u64) -> Result<MemlockCharge, Errno> {
        let mut used = self.used.lock().expect("memlock lock");
        let cur = used.entry(uid).or_insert(0);
        if let Some(limit) = self.limit_pages {
            if *cur + pages > limit {
                return Err(Errno::EPERM);
            }
        }
        *cur += pages;
        Ok(MemlockCharge {
            accounts: Arc::clone(self),
            uid,
            pages,
        })
    }

    /// Whether `pages` more could be charged to `uid` now (EPERM if not),
    /// without charging: lets a map too big for the limit fail before
    /// its memory is allocated.
    pub fn check(&self, uid: u32, pages: u64) -> Result<(), Errno> {
        let used = self.used.lock().expect("memlock lock");
        let cur = used.get(&uid).copied().unwrap_or(0);
        match self.limit_pages {
            Some(limit) if cur.saturating_add(pages) > limit => Err(Errno::EPERM),
            _ => Ok(()),
        }
    }

    /// Pages currently charged to `uid`.
    #[cfg(test)]
    pub fn used_pages(&self, uid: u32) -> u64 {
        self.used.lock().expect("memlock lock").get(&uid).copied().unwrap_or(0)
    }

    /// Pages charged to anyone.
    pub fn total_pages(&self) -> u64 {
        self.used.lock().expect("memlock lock").values().sum()
    }
}

/// A charge; uncharged on drop.
#[derive(Debug)]
pub struct MemlockCharge {
    accounts: Arc<MemlockAccounts>,
    uid: u32,
    pages: u64,
}

impl Drop for MemlockCharge {
    fn drop(&mut self) {
        let mut used = self.accounts.used.lock().expect("memlock lock");
        if let Some(cur) = used.get_mut(&self.uid) {
            *cur -= self.pages;
            if *cur == 0 {
                used.remove(&self.uid);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_limit_is_eperm_and_drop_uncharges() {
        let acc = MemlockAccounts::new(Some(3 * PAGE_SIZE));
        let a = acc.charge(1000, 2).unwrap();
        assert_eq!(acc.charge(1000, 2).unwrap_err(), Errno::EPERM);
        let b = acc.charge(1001, 3).unwrap();
        assert_eq!(acc.used_pages(1000), 2);
        drop(a);
        drop(b);
        assert_eq!(acc.total_pages(), 0);
    }
}
