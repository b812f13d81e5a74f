# Internet checksum (RFC 1071): 16-bit words of the buffer r1 of length r2.
mov %r0, 0
mov %r3, 0
loop:
jge %r3, %r2, fold
mov %r4, %r1
add %r4, %r3
ldxh %r5, [%r4+0]
add %r0, %r5
add %r3, 2
ja loop
fold:
mov %r4, %r0
rsh %r4, 16
and %r0, 0xffff
add %r0, %r4
mov %r4, %r0
rsh %r4, 16
and %r0, 0xffff
add %r0, %r4
xor %r0, 0xffff
exit
