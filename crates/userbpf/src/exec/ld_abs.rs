//! The packet of the legacy LD_ABS/LD_IND loads, and where a load reads
//! (bpf_skb_load_helper_{8,16,32} and bpf_skb_load_helper_convert_offset()
//! in net/core/filter.c, Linux 6.15+).
//!
//! The offset k is a 32-bit int (LD_IND adds the index register with a
//! 32-bit add). k >= 0 counts from `skb->data`; SKF_NET_OFF <= k < 0 from
//! the network header; SKF_LL_OFF <= k < SKF_NET_OFF from the MAC header;
//! anything lower fails. The load succeeds while `headlen - offset >=
//! size`, where the offset (relative to `skb->data`) may be negative: a
//! socket filter reads the pulled Ethernet header at SKF_LL_OFF. A failed
//! load ends the program with r0 = 0. The interpreter calls
//! [`LdAbsPacket::address`]; the JIT emits the same steps (its context
//! holds [`LdAbsPacket::net_delta`] and [`LdAbsPacket::mac_delta`]).

/// SKF_NET_OFF and SKF_LL_OFF (include/uapi/linux/filter.h).
pub const SKF_NET_OFF: i32 = -0x100000;
pub const SKF_LL_OFF: i32 = -0x200000;

/// What LD_ABS/LD_IND see of a packet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LdAbsPacket {
    /// Guest address of `skb->data`.
    pub data: u64,
    /// The linear length from `data` (skb_headlen()).
    pub len: u32,
    /// skb_network_offset(): the network header relative to `data`.
    pub network: i32,
    /// skb_mac_offset(): the MAC header relative to `data` (negative once
    /// the Ethernet header was pulled).
    pub mac: i32,
}

impl LdAbsPacket {
    /// A plain buffer: both headers at its start.
    pub fn linear(data: u64, len: u32) -> Self {
        LdAbsPacket {
            data,
            len,
            network: 0,
            mac: 0,
        }
    }

    /// What k = SKF_NET_OFF + x adds to x: the offset is k + net_delta.
    pub fn net_delta(&self) -> i64 {
        self.network as i64 - SKF_NET_OFF as i64
    }

    /// What k = SKF_LL_OFF + x adds to x: the offset is k + mac_delta.
    pub fn mac_delta(&self) -> i64 {
        self.mac as i64 - SKF_LL_OFF as i64
    }

    /// The guest address an LD_ABS/LD_IND of `size` bytes at `k` reads, or
    /// None when the load fails.
    pub fn address(&self, k: i32, size: u32) -> Option<u64> {
        let offset = if k >= 0 {
            k as i64
        } else if k >= SKF_NET_OFF {
            k as i64 + self.net_delta()
        } else if k >= SKF_LL_OFF {
            k as i64 + self.mac_delta()
        } else {
            return None;
        };
        (offset + size as i64 <= self.len as i64).then(|| self.data.wrapping_add(offset as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_follow_the_kernel_rules() {
        // A socket filter: data at the network header, MAC 14 bytes before.
        let p = LdAbsPacket {
            data: 1000,
            len: 40,
            network: 0,
            mac: -14,
        };
        assert_eq!(p.address(0, 1), Some(1000));
        assert_eq!(p.address(39, 1), Some(1039));
        assert_eq!(p.address(39, 2), None);
        assert_eq!(p.address(SKF_LL_OFF, 1), Some(986));
        assert_eq!(p.address(SKF_LL_OFF + 12, 2), Some(998));
        assert_eq!(p.address(SKF_NET_OFF + 2, 2), Some(1002));
        assert_eq!(p.address(SKF_NET_OFF - 1, 1), None);
        assert_eq!(p.address(SKF_LL_OFF - 1, 1), None);
        assert_eq!(p.address(-1, 1), None);
        // No packet: every load fails.
        let none = LdAbsPacket::default();
        for k in [0, 1, -1, SKF_NET_OFF, SKF_LL_OFF, i32::MIN, i32::MAX] {
            assert_eq!(none.address(k, 1), None, "{k}");
        }
    }
}
