# Accept (r0 = 1) an Ethernet frame carrying IPv4 TCP to port 80 or 443;
# drop (r0 = 0) anything else. r1 = frame, r2 = its length.
# Offsets: ethertype at 12, IPv4 header at 14 (IHL in its low nibble),
# protocol at 14+9, TCP destination port at 14 + IHL*4 + 2.
mov %r0, 0
jlt %r2, 34, out            # too short for Ethernet + minimal IPv4
ldxh %r3, [%r1+12]
be16 %r3
jne %r3, 0x0800, out        # not IPv4
ldxb %r3, [%r1+23]
jne %r3, 6, out             # not TCP
ldxb %r4, [%r1+14]
and %r4, 0x0f
lsh %r4, 2                  # IPv4 header length in bytes
mov %r5, %r4
add %r5, 18                 # 14 + IHL*4 + 4 bytes of ports
jgt %r5, %r2, out           # ports beyond the frame
mov %r6, %r1
add %r6, %r4
ldxh %r3, [%r6+16]          # 14 + 2: destination port
be16 %r3
jeq %r3, 80, accept
jeq %r3, 443, accept
ja out
accept:
mov %r0, 1
out:
exit
