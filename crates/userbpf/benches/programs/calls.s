# bpf-to-bpf calls: 1000 calls of a small function that mixes its argument.
mov %r6, 0
mov %r7, 0
loop:
jge %r6, 1000, done
mov %r1, %r6
call local mix
add %r7, %r0
add %r6, 1
ja loop
done:
mov %r0, %r7
exit
mix:
mov %r0, %r1
lsh %r0, 3
xor %r0, %r1
and %r0, 0xffff
exit
