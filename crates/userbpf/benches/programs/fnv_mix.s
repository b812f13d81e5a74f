# Arithmetic: 1000 rounds of an FNV-1a style multiply/xor/shift mix.
lddw %r0, 0xcbf29ce484222325
lddw %r6, 0x100000001b3
mov %r3, 0
loop:
jge %r3, 1000, done
mov %r4, %r3
and %r4, 0xff
xor %r0, %r4
mul %r0, %r6
mov %r5, %r0
rsh %r5, 13
xor %r0, %r5
add %r3, 1
ja loop
done:
exit
