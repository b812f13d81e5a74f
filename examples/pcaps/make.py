#!/usr/bin/env python3
"""Writes mixed.pcap: a few Ethernet frames for the examples (classic pcap,
microsecond timestamps, LINKTYPE_ETHERNET). Deterministic; rerun to rebuild."""
import struct

def ipv4(proto, payload, src=(10, 0, 0, 1), dst=(10, 0, 0, 2)):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4B4B", 0x45, 0, total, 0, 0x4000, 64, proto, 0, *src, *dst)
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xffff) + (s >> 16)
    s = (s & 0xffff) + (s >> 16)
    return hdr[:10] + struct.pack("!H", ~s & 0xffff) + hdr[12:] + payload

def tcp(sport, dport):
    return struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x02, 0xffff, 0, 0)

def udp(sport, dport, data=b"abcd"):
    return struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data

def eth(ethertype, payload, dst=b"\x02\x00\x00\x00\x00\x01", src=b"\x02\x00\x00\x00\x00\x02"):
    return dst + src + struct.pack("!H", ethertype) + payload

arp = eth(0x0806, bytes.fromhex("0001080006040001") + b"\x02\0\0\0\0\x02" + bytes([10, 0, 0, 1])
          + b"\0" * 6 + bytes([10, 0, 0, 2]), dst=b"\xff" * 6)
frames = [
    eth(0x0800, ipv4(6, tcp(40000, 443))),      # https: passes
    eth(0x0800, ipv4(6, tcp(40001, 22))),       # ssh: dropped
    eth(0x0800, ipv4(17, udp(5353, 53))),       # dns over udp: dropped
    eth(0x0800, ipv4(6, tcp(40002, 80))),       # http: passes
    arp,                                        # arp: dropped
    eth(0x0800, ipv4(1, bytes.fromhex("0800f7ff00000000"))),  # icmp echo: dropped
]
def write(name, frames):
    with open(name, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(fr), len(fr)))
            f.write(fr)
    print(f"{name}: {len(frames)} frames")


write("mixed.pcap", frames)
# For the firewall: sources inside and outside the blocked prefixes.
write("firewall.pcap", [
    eth(0x0800, ipv4(6, tcp(40000, 443), src=(10, 0, 0, 7))),         # 10.0.0.0/24: dropped
    eth(0x0800, ipv4(6, tcp(40000, 443), src=(192, 168, 1, 7))),      # passes
    eth(0x0800, ipv4(17, udp(5353, 53), src=(203, 0, 113, 9))),       # 203.0.113.9/32: dropped
    eth(0x0800, ipv4(17, udp(5353, 53), src=(203, 0, 113, 10))),      # passes
    eth(0x0800, ipv4(1, bytes.fromhex("0800f7ff00000000"), src=(10, 0, 0, 200))),  # dropped
    arp,                                                               # not IPv4: passes
])
