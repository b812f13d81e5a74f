#!/bin/sh
# Rebuilds bench.bpf.o from bench.bpf.c + bench.h (committed: CI and bench
# machines need no clang for the BPF side; the native side is built by the
# bench itself when clang is installed).
set -eu
cd "$(dirname "$0")"
CLANG=${CLANG:-clang-19}
$CLANG -target bpf -O2 -g -mcpu=v4 -I/usr/include/x86_64-linux-gnu -c bench.bpf.c -o bench.bpf.o
echo "built bench.bpf.o"
