# sum_bytes as an XDP program the kernel's verifier accepts: the packet is
# data..data_end of the context, and each load is bounds-checked.
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r0, 0
mov %r6, 0
loop:
jge %r6, 1500, done
mov %r4, %r2
add %r4, %r6
mov %r5, %r4
add %r5, 1
jgt %r5, %r3, done
ldxb %r5, [%r4+0]
add %r0, %r5
add %r6, 1
ja loop
done:
exit
