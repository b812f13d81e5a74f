# csum as an XDP program the kernel's verifier accepts (bounds-checked
# loads from data..data_end).
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 0
mov %r6, 0
loop:
jge %r6, 1500, fold
mov %r4, %r2
add %r4, %r6
mov %r5, %r4
add %r5, 2
jgt %r5, %r3, fold
ldxh %r5, [%r4+0]
add %r0, %r5
add %r6, 2
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
