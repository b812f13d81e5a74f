// The bench programs (bench.h) compiled for the host, for the native
// column of `cargo bench --bench engines`: clang -O2, run as
// `native NAME RUNS`, prints "<ns per run> <result>".
//
// bpf_map_lookup_elem is what the kernel runs for the two map types, in
// C: an array lookup inlined (the kernel's JIT inlines array_map_gen_lookup)
// and a hash lookup as an out-of-line call of the kernel's htab algorithm
// (__htab_map_lookup_elem: jhash2 of the key, bucket, chain walk comparing
// hash then key).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#define __noinline __attribute__((noinline))
#define barrier_var(var) __asm__ volatile("" : "+r"(var))

// ---- maps ----

struct native_array {
	u32 max_entries;
	u64 values[16];
};

// include/linux/jhash.h
#define rol32(x, k) (((x) << (k)) | ((x) >> (32 - (k))))
#define __jhash_mix(a, b, c)                  \
	{                                     \
		a -= c; a ^= rol32(c, 4); c += b; \
		b -= a; b ^= rol32(a, 6); a += c; \
		c -= b; c ^= rol32(b, 8); b += a; \
		a -= c; a ^= rol32(c, 16); c += b; \
		b -= a; b ^= rol32(a, 19); a += c; \
		c -= b; c ^= rol32(b, 4); b += a; \
	}
#define __jhash_final(a, b, c)     \
	{                          \
		c ^= b; c -= rol32(b, 14); \
		a ^= c; a -= rol32(c, 11); \
		b ^= a; b -= rol32(a, 25); \
		c ^= b; c -= rol32(b, 16); \
		a ^= c; a -= rol32(c, 4);  \
		b ^= a; b -= rol32(a, 14); \
		c ^= b; c -= rol32(b, 24); \
	}
#define JHASH_INITVAL 0xdeadbeef

static inline u32 jhash2(const u32 *k, u32 length, u32 initval)
{
	u32 a, b, c;
	a = b = c = JHASH_INITVAL + (length << 2) + initval;
	while (length > 3) {
		a += k[0]; b += k[1]; c += k[2];
		__jhash_mix(a, b, c);
		length -= 3;
		k += 3;
	}
	switch (length) {
	case 3: c += k[2]; /* fallthrough */
	case 2: b += k[1]; /* fallthrough */
	case 1: a += k[0];
		__jhash_final(a, b, c);
	case 0: break;
	}
	return c;
}

struct htab_elem {
	struct htab_elem *next;
	u32 hash;
	u32 key;
	u64 value;
};

struct native_htab {
	u32 n_buckets, key_size, hashrnd;
	struct htab_elem *buckets[16];
	struct htab_elem elems[16];
};

static struct native_array arr = {.max_entries = 16};
static struct native_htab htab = {.n_buckets = 16, .key_size = 4, .hashrnd = 0x9e3779b9};

static __always_inline void *array_lookup(struct native_array *a, const void *key)
{
	u32 index = *(const u32 *)key;
	if (index >= a->max_entries)
		return NULL;
	return &a->values[index];
}

static __noinline void *htab_lookup(struct native_htab *h, const void *key)
{
	u32 hash = jhash2(key, h->key_size / 4, h->hashrnd);
	for (struct htab_elem *l = h->buckets[hash & (h->n_buckets - 1)]; l; l = l->next)
		if (l->hash == hash && !memcmp(&l->key, key, h->key_size))
			return &l->value;
	return NULL;
}

#define bpf_map_lookup_elem(map, key) \
	_Generic((map), struct native_array *: array_lookup, struct native_htab *: htab_lookup)(map, key)

static void maps_init(void)
{
	for (u32 k = 0; k < 16; k++) {
		arr.values[k] = k * 3 + 1;
		struct htab_elem *l = &htab.elems[k];
		l->key = k;
		l->value = k * 3 + 1;
		l->hash = jhash2(&l->key, 1, htab.hashrnd);
		l->next = htab.buckets[l->hash & 15];
		htab.buckets[l->hash & 15] = l;
	}
}

// bpf_get_prandom_u32: the kernel's prandom_u32_state() (lib/random32.c,
// Tausworthe 113) on one state, out of line as the kernel's helper is.
static struct { u32 s1, s2, s3, s4; } rnd = {0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321};

static __noinline u32 bpf_get_prandom_u32(void)
{
#define TAUSWORTHE(s, a, b, c, d) ((s & c) << d) ^ (((s << a) ^ s) >> b)
	rnd.s1 = TAUSWORTHE(rnd.s1, 6U, 13U, 4294967294U, 18U);
	rnd.s2 = TAUSWORTHE(rnd.s2, 2U, 27U, 4294967288U, 2U);
	rnd.s3 = TAUSWORTHE(rnd.s3, 13U, 21U, 4294967280U, 7U);
	rnd.s4 = TAUSWORTHE(rnd.s4, 3U, 12U, 4294967168U, 13U);
	return rnd.s1 ^ rnd.s2 ^ rnd.s3 ^ rnd.s4;
}

#include "bench.h"

// ---- harness ----

static u8 pkt[PKT_LEN];
static volatile u64 pkt_len = PKT_LEN;

static u32 run(const char *name)
{
	u8 *data = pkt, *data_end = pkt + pkt_len;
	if (!strcmp(name, "sum_bytes")) return do_sum_bytes(data, data_end);
	if (!strcmp(name, "csum")) return do_csum(data, data_end);
	if (!strcmp(name, "fnv_mix")) return do_fnv_mix(data, data_end);
	if (!strcmp(name, "prime")) return do_prime();
	if (!strcmp(name, "calls")) return do_calls();
	if (!strcmp(name, "array_lookups")) return do_array_lookups();
	if (!strcmp(name, "hash_lookups")) return do_hash_lookups();
	if (!strcmp(name, "helper_calls")) return do_helper_calls();
	fprintf(stderr, "unknown program %s\n", name);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: native NAME RUNS\n");
		return 2;
	}
	// The bench's packet: byte i is i * 7 % 251.
	for (u64 i = 0; i < sizeof pkt; i++)
		pkt[i] = (u8)(i * 7 % 251);
	maps_init();
	u64 runs = strtoull(argv[2], 0, 10);
	u32 result = 0;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (u64 i = 0; i < runs; i++) {
		result = run(argv[1]);
		// Every run reads the packet and the maps afresh.
		__asm__ volatile("" ::: "memory");
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (double)runs;
	printf("%.1f %u\n", ns, result);
	return 0;
}
