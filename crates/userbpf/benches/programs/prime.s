# Branches and division: is 100003 prime? Trial division by every i < n.
mov %r1, 100003
mov %r0, 1
mov %r2, 2
loop:
jge %r2, %r1, done
mov %r3, %r1
mod %r3, %r2
jne %r3, 0, next
mov %r0, 0
ja done
next:
add %r2, 1
ja loop
done:
exit
