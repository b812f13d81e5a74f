#!/bin/sh
# Compiles the C examples (*/prog.c -> */prog.o, committed: CI has no clang).
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
for c in */prog.c; do
	$CLANG -target bpf -O2 -g -mcpu=v4 -I/usr/include/x86_64-linux-gnu -c "$c" -o "${c%.c}.o"
done
echo "built $(ls */prog.c | wc -l) examples"
