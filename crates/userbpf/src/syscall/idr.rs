//! Object IDs as the kernel's IDR hands them out: cyclic from 1 to INT_MAX,
//! never reusing an ID until the counter wraps. The table holds weak
//! references; an object's [`IdGuard`] frees its ID when the object dies.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};

use crate::uapi::Errno;

const ID_MAX: u32 = i32::MAX as u32;

pub struct Idr<T> {
    inner: Mutex<IdrInner<T>>,
}

struct IdrInner<T> {
    map: BTreeMap<u32, Weak<T>>,
    /// Where the next cyclic search starts.
    next: u32,
}

impl<T> Default for Idr<T> {
    fn default() -> Self {
        Idr {
            inner: Mutex::new(IdrInner {
                map: BTreeMap::new(),
                next: 1,
            }),
        }
    }
}

impl<T> Idr<T> {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Reserve the next free ID (idr_alloc_cyclic over [1, INT_MAX]); the
    /// entry resolves to nothing until [`Idr::publish`].
    pub fn alloc(self: &Arc<Self>) -> Result<IdGuard<T>, Errno> {
        let mut g = self.inner.lock().expect("idr lock");
        let start = g.next;
        let mut id = start;
        while g.map.contains_key(&id) {
            id = if id == ID_MAX { 1 } else { id + 1 };
            if id == start {
                return Err(Errno::ENOSPC);
            }
        }
        g.map.insert(id, Weak::new());
        g.next = if id == ID_MAX { 1 } else { id + 1 };
        Ok(IdGuard {
            idr: Arc::clone(self),
            id,
        })
    }

    /// Point a reserved ID at its object.
    pub fn publish(&self, id: u32, obj: &Arc<T>) {
        let mut g = self.inner.lock().expect("idr lock");
        if let Some(slot) = g.map.get_mut(&id) {
            *slot = Arc::downgrade(obj);
        }
    }

    /// The live object with this ID (bpf_prog_inc_not_zero semantics).
    pub fn get(&self, id: u32) -> Option<Arc<T>> {
        self.inner
            .lock()
            .expect("idr lock")
            .map
            .get(&id)
            .and_then(Weak::upgrade)
    }

    /// The smallest ID greater than `start` (idr_get_next).
    pub fn next_after(&self, start: u32) -> Option<u32> {
        let g = self.inner.lock().expect("idr lock");
        let from = start.checked_add(1)?;
        g.map.range(from..).next().map(|(&id, _)| id)
    }

    /// IDs in use.
    pub fn len(&self) -> usize {
        self.inner.lock().expect("idr lock").map.len()
    }

    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// An allocated ID; freed on drop.
pub struct IdGuard<T> {
    idr: Arc<Idr<T>>,
    id: u32,
}

impl<T> IdGuard<T> {
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl<T> Drop for IdGuard<T> {
    fn drop(&mut self) {
        self.idr.inner.lock().expect("idr lock").map.remove(&self.id);
    }
}

impl<T> std::fmt::Debug for IdGuard<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdGuard({})", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyclic_and_freed_on_drop() {
        let idr: Arc<Idr<u8>> = Idr::new();
        let a = idr.alloc().unwrap();
        let b = idr.alloc().unwrap();
        assert_eq!((a.id(), b.id()), (1, 2));
        drop(a);
        // Cyclic: 1 is free again but the next ID is 3.
        let c = idr.alloc().unwrap();
        assert_eq!(c.id(), 3);
        assert_eq!(idr.next_after(0), Some(2));
        assert_eq!(idr.next_after(3), None);
        let obj = Arc::new(7u8);
        idr.publish(c.id(), &obj);
        assert_eq!(idr.get(3).as_deref(), Some(&7));
        drop(obj);
        assert!(idr.get(3).is_none(), "a dead object is not found");
        drop((b, c));
        assert!(idr.is_empty());
    }
}
