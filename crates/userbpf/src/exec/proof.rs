//! What the verifier proved about a memory access, as the JIT uses it:
//! which region every visit of the instruction stays inside. A proven
//! access is translated without checks (as the kernel's JIT trusts its
//! verifier); knowing the region also spares the lookup of the region
//! from the address (the base is a fixed slot of the run context).

/// One instruction's proof.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AccessProof {
    /// Nothing proven: the access is checked.
    #[default]
    None,
    /// Inside whichever region the address falls in, with the access's
    /// permission and alignment.
    InRegion,
    /// Inside the context region.
    Context,
    /// Inside the packet region.
    Packet,
    /// Inside the stack region (any frame's).
    Stack,
    /// Inside the value area of used map `i` (guest region `i`, as
    /// maps::guest lays the used maps out first).
    Map(u32),
}

impl AccessProof {
    /// The proof after another verified visit proved `other`: the same
    /// region stays, different regions weaken to [`AccessProof::InRegion`],
    /// anything unproven makes it unproven.
    pub fn join(self, other: AccessProof) -> AccessProof {
        match (self, other) {
            (AccessProof::None, _) | (_, AccessProof::None) => AccessProof::None,
            (a, b) if a == b => a,
            _ => AccessProof::InRegion,
        }
    }

    /// The proofs of a program where only `proven[pc]` is known.
    pub fn from_flags(proven: &[bool]) -> Vec<AccessProof> {
        proven
            .iter()
            .map(|&p| if p { AccessProof::InRegion } else { AccessProof::None })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::AccessProof::*;

    #[test]
    fn joins_weaken() {
        assert_eq!(Packet.join(Packet), Packet);
        assert_eq!(Packet.join(Map(0)), InRegion);
        assert_eq!(Map(1).join(Map(2)), InRegion);
        assert_eq!(Context.join(None), None);
        assert_eq!(None.join(Context), None);
    }
}
