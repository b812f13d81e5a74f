# A tc classifier (sched_cls) with direct packet access: TC_ACT_OK (0) for
# IPv4 TCP to port 80 or 443, TC_ACT_SHOT (2) for anything else.
# r1 = struct __sk_buff *; data at +76, data_end at +80.
ldxw %r2, [%r1+76]
ldxw %r3, [%r1+80]
mov %r0, 2
mov %r4, %r2
add %r4, 54                 # Ethernet 14 + IPv4 20 + TCP 20
jgt %r4, %r3, out           # the verifier needs this bound check
ldxh %r5, [%r2+12]
jne %r5, 0x0008, out        # ethertype 0x0800, loaded little-endian
ldxb %r5, [%r2+23]
jne %r5, 6, out             # not TCP
ldxb %r5, [%r2+14]
jne %r5, 0x45, out          # IPv4 without options only
ldxh %r5, [%r2+36]          # TCP destination port
be16 %r5
jeq %r5, 80, pass
jeq %r5, 443, pass
ja out
pass:
mov %r0, 0
out:
exit
