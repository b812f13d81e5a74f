//! Classic pcap files (the libpcap format): the packets `prog run --pcap`
//! runs the program on. pcapng is refused with a hint.

use std::fmt;

/// One captured packet.
pub struct Packet {
    pub data: Vec<u8>,
    /// The length on the wire (more than `data` when the capture was cut).
    pub orig_len: u32,
}

#[derive(Debug)]
pub enum PcapError {
    TooShort,
    PcapNg,
    BadMagic(u32),
    Truncated { packet: usize },
    LinkType(u32),
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PcapError::TooShort => write!(f, "shorter than a pcap header (24 bytes)"),
            PcapError::PcapNg => write!(
                f,
                "a pcapng file; convert it with `editcap -F pcap IN OUT` or `tshark -F pcap -r IN -w OUT`"
            ),
            PcapError::BadMagic(m) => write!(f, "not a pcap file (magic {m:#010x})"),
            PcapError::Truncated { packet } => write!(f, "packet {packet} runs past the end of the file"),
            PcapError::LinkType(t) => write!(
                f,
                "link type {t}: only Ethernet captures (LINKTYPE_ETHERNET, 1) give the frames BPF_PROG_TEST_RUN expects"
            ),
        }
    }
}

/// Parse a whole pcap file.
pub fn parse(bytes: &[u8]) -> Result<Vec<Packet>, PcapError> {
    if bytes.len() >= 4 && bytes[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
        return Err(PcapError::PcapNg);
    }
    if bytes.len() < 24 {
        return Err(PcapError::TooShort);
    }
    let magic = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
    let big = match magic {
        0xa1b2_c3d4 | 0xa1b2_3c4d => false,
        0xd4c3_b2a1 | 0x4d3c_b2a1 => true,
        m => return Err(PcapError::BadMagic(m)),
    };
    let u32_at = |b: &[u8], off: usize| {
        let w: [u8; 4] = b[off..off + 4].try_into().expect("4 bytes");
        if big {
            u32::from_be_bytes(w)
        } else {
            u32::from_le_bytes(w)
        }
    };
    let linktype = u32_at(bytes, 20) & 0x0fff_ffff;
    if linktype != 1 {
        return Err(PcapError::LinkType(linktype));
    }
    let mut out = Vec::new();
    let mut off = 24;
    while off < bytes.len() {
        let packet = out.len();
        if bytes.len() - off < 16 {
            return Err(PcapError::Truncated { packet });
        }
        let incl = u32_at(bytes, off + 8) as usize;
        let orig_len = u32_at(bytes, off + 12);
        off += 16;
        let data = bytes
            .get(off..off.checked_add(incl).ok_or(PcapError::Truncated { packet })?)
            .ok_or(PcapError::Truncated { packet })?;
        out.push(Packet {
            data: data.to_vec(),
            orig_len,
        });
        off += incl;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(records: &[&[u8]]) -> Vec<u8> {
        let mut f = Vec::new();
        for w in [0xa1b2c3d4u32, 0x0004_0002, 0, 0, 65535, 1] {
            f.extend(w.to_le_bytes());
        }
        for r in records {
            for w in [0u32, 0, r.len() as u32, r.len() as u32] {
                f.extend(w.to_le_bytes());
            }
            f.extend_from_slice(r);
        }
        f
    }

    #[test]
    fn packets_come_out_in_order() {
        let p = parse(&file(&[b"abc", b"", b"defgh"])).unwrap();
        let lens: Vec<usize> = p.iter().map(|x| x.data.len()).collect();
        assert_eq!(lens, [3, 0, 5]);
        assert_eq!(p[2].data, b"defgh");
    }

    #[test]
    fn bad_files_say_why() {
        assert!(matches!(parse(b"\x0a\x0d\x0d\x0a...."), Err(PcapError::PcapNg)));
        assert!(matches!(parse(&[0u8; 10]), Err(PcapError::TooShort)));
        assert!(matches!(parse(&[0u8; 24]), Err(PcapError::BadMagic(0))));
        let mut f = file(&[b"abcdef"]);
        f.truncate(f.len() - 1);
        assert!(matches!(parse(&f), Err(PcapError::Truncated { packet: 0 })));
        let mut f = file(&[]);
        f[20] = 113; // Linux cooked capture
        assert!(matches!(parse(&f), Err(PcapError::LinkType(113))));
    }
}
