// The bench programs (benches/programs/*.s) as plain C, for the native
// column of `cargo bench --bench engines`: built with clang -O2, run as
// `native NAME RUNS`, prints "<ns per run> <result>".
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint64_t u64;

static uint8_t pkt[1500];
static volatile u64 param_len = 1500, param_rounds = 1000, param_n = 100003, param_calls = 1000;

static u64 sum_bytes(const uint8_t *p, u64 len) {
    u64 s = 0;
    for (u64 i = 0; i < len; i++)
        s += p[i];
    return s;
}

static u64 csum(const uint8_t *p, u64 len) {
    u64 s = 0;
    for (u64 i = 0; i < len; i += 2) {
        uint16_t w;
        memcpy(&w, p + i, 2);
        s += w;
    }
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return s ^ 0xffff;
}

static u64 fnv_mix(u64 rounds) {
    u64 h = 0xcbf29ce484222325ull;
    const u64 prime = 0x100000001b3ull;
    for (u64 i = 0; i < rounds; i++) {
        h ^= i & 0xff;
        h *= prime;
        h ^= h >> 13;
    }
    return h;
}

static u64 prime(u64 n) {
    for (u64 i = 2; i < n; i++)
        if (n % i == 0)
            return 0;
    return 1;
}

// A real call per iteration, as the BPF program makes.
__attribute__((noinline)) static u64 mix(u64 x) { return ((x << 3) ^ x) & 0xffff; }

static u64 calls(u64 n) {
    u64 acc = 0;
    for (u64 i = 0; i < n; i++)
        acc += mix(i);
    return acc;
}

static u64 run(const char *name) {
    if (!strcmp(name, "sum_bytes")) return sum_bytes(pkt, param_len);
    if (!strcmp(name, "csum")) return csum(pkt, param_len);
    if (!strcmp(name, "fnv_mix")) return fnv_mix(param_rounds);
    if (!strcmp(name, "prime")) return prime(param_n);
    if (!strcmp(name, "calls")) return calls(param_calls);
    fprintf(stderr, "unknown program %s\n", name);
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: native NAME RUNS\n");
        return 2;
    }
    for (u64 i = 0; i < sizeof pkt; i++)
        pkt[i] = (uint8_t)(i * 7 % 251);
    u64 runs = strtoull(argv[2], 0, 10), result = 0;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (u64 i = 0; i < runs; i++) {
        result = run(argv[1]);
        // Every run reads the packet and parameters afresh.
        __asm__ volatile("" ::: "memory");
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)runs;
    printf("%.1f %llu\n", ns, (unsigned long long)result);
    return 0;
}
