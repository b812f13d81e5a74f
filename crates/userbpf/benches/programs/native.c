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

// Map lookups: a 16-entry array, and a 16-entry chained hash table (the
// kernel's htab shape: buckets of nodes, hash of the key, key compare).
static u64 table_values[16];
struct node { uint32_t key; u64 value; struct node *next; };
static struct node nodes[16];
static struct node *buckets[16];
static volatile u64 param_lookups = 256;

static uint32_t hash32(uint32_t k) {
    k ^= k >> 16; k *= 0x7feb352d; k ^= k >> 15; k *= 0x846ca68b; k ^= k >> 16;
    return k;
}

static void tables_init(void) {
    for (uint32_t k = 0; k < 16; k++) {
        table_values[k] = k * 3 + 1;
        nodes[k] = (struct node){k, k * 3 + 1, buckets[hash32(k) & 15]};
        buckets[hash32(k) & 15] = &nodes[k];
    }
}

__attribute__((noinline)) static u64 *hash_lookup(uint32_t key) {
    for (struct node *n = buckets[hash32(key) & 15]; n; n = n->next)
        if (n->key == key)
            return &n->value;
    return 0;
}

static u64 array_lookups(void) {
    u64 s = 0;
    for (u64 i = 0; i < param_lookups; i++) {
        uint32_t k = i & 15;
        if (k < 16)
            s += table_values[k];
    }
    return s;
}

static u64 hash_lookups(void) {
    u64 s = 0;
    for (u64 i = 0; i < param_lookups; i++) {
        u64 *v = hash_lookup(i & 15);
        if (v)
            s += *v;
    }
    return s;
}

static u64 run(const char *name) {
    if (!strcmp(name, "array_lookups")) return array_lookups();
    if (!strcmp(name, "hash_lookups")) return hash_lookups();
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
    tables_init();
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
