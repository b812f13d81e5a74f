//! The network devices an instance pretends to have (the netns' device
//! list): what BPF_PROG_TEST_RUN looks up for a ctx `ifindex` or
//! `ingress_ifindex` (dev_get_by_index()), the address eth_type_trans()
//! compares a frame's destination with, and the rx queues an XDP run may
//! name. The default is the loopback device alone.

/// One device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetDevice {
    pub name: String,
    pub ifindex: u32,
    /// dev->dev_addr.
    pub address: [u8; 6],
    /// dev->broadcast (all zero for lo).
    pub broadcast: [u8; 6],
    pub mtu: u32,
    /// real_num_rx_queues (every queue's xdp_rxq_info is registered).
    pub rx_queues: u32,
}

/// The loopback device's ifindex in every network namespace.
pub(crate) const LOOPBACK_IFINDEX: u32 = 1;

impl NetDevice {
    /// `lo`: ifindex 1, all-zero address and broadcast, MTU 65536, one rx
    /// queue.
    pub fn loopback() -> NetDevice {
        NetDevice {
            name: "lo".into(),
            ifindex: LOOPBACK_IFINDEX,
            address: [0; 6],
            broadcast: [0; 6],
            mtu: 65536,
            rx_queues: 1,
        }
    }

    /// An Ethernet device (broadcast ff:ff:ff:ff:ff:ff, one rx queue).
    pub fn ethernet(name: &str, ifindex: u32, address: [u8; 6], mtu: u32) -> NetDevice {
        NetDevice {
            name: name.into(),
            ifindex,
            address,
            broadcast: [0xff; 6],
            mtu,
            rx_queues: 1,
        }
    }
}

/// dev_get_by_index(): the device with this ifindex.
pub(crate) fn by_index(devices: &[NetDevice], ifindex: u32) -> Option<&NetDevice> {
    devices.iter().find(|d| d.ifindex == ifindex)
}

/// The netns' loopback device (the table's ifindex 1, else the default
/// `lo`): test runs without a device use it.
pub fn loopback(devices: &[NetDevice]) -> NetDevice {
    by_index(devices, LOOPBACK_IFINDEX)
        .cloned()
        .unwrap_or_else(NetDevice::loopback)
}

/// Parse "aa:bb:cc:dd:ee:ff".
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split(':');
    for b in &mut mac {
        let p = parts.next()?;
        if p.len() != 2 {
            return None;
        }
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups_and_macs() {
        let devs = vec![
            NetDevice::loopback(),
            NetDevice::ethernet("eth0", 4, [2, 0xfc, 0, 0, 0, 1], 1400),
        ];
        assert_eq!(by_index(&devs, 4).map(|d| d.name.as_str()), Some("eth0"));
        assert!(by_index(&devs, 2).is_none());
        assert_eq!(loopback(&devs[1..]).ifindex, 1);
        assert_eq!(parse_mac("02:fc:00:00:00:01"), Some([2, 0xfc, 0, 0, 0, 1]));
        for bad in [
            "02:fc:00:00:00",
            "02:fc:00:00:00:01:02",
            "2:fc:00:00:00:01",
            "zz:fc:00:00:00:01",
        ] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
    }
}
