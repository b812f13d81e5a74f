// The bench programs' algorithms, one C source for both builds: bench.bpf.c
// compiles them for BPF (clang -target bpf, the programs userbpf and the
// kernel load) and native.c for the host (clang -O2, the native column).
// Each side defines u8/u32/u64, __noinline, barrier_var(), the maps `arr`
// and `htab` and bpf_map_lookup_elem() before including this file.
//
// Packet loops bounds-check every access against data_end, as the BPF
// verifier requires; the native build runs the same checks.

#define PKT_LEN 1500
#define LOOKUPS 256

// Loops over packet-sized memory: the sum of the bytes.
static __always_inline u32 do_sum_bytes(u8 *data, u8 *data_end)
{
	u64 s = 0;
	for (int i = 0; i < PKT_LEN; i++) {
		if (data + i + 1 > data_end)
			break;
		s += data[i];
	}
	return s;
}

// The Internet checksum (RFC 1071) of the packet's 16-bit words.
static __always_inline u32 do_csum(u8 *data, u8 *data_end)
{
	u64 s = 0;
	for (int i = 0; i < PKT_LEN / 2; i++) {
		u16 *p = (u16 *)(data + 2 * i);
		if ((u8 *)(p + 1) > data_end)
			break;
		s += *p;
	}
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (u32)(s ^ 0xffff);
}

// Arithmetic: 1000 rounds of an FNV-1a style multiply/xor/shift mix,
// seeded from the packet's first byte.
static __always_inline u32 do_fnv_mix(u8 *data, u8 *data_end)
{
	u64 h = 0xcbf29ce484222325ull;
	if (data + 1 > data_end)
		return 0;
	h ^= data[0];
	for (u64 i = 0; i < 1000; i++) {
		h ^= i & 0xff;
		h *= 0x100000001b3ull;
		h ^= h >> 13;
	}
	return (u32)(h ^ (h >> 32));
}

// Branches and division: is 100003 prime? Trial division by every i < n.
static __always_inline u32 do_prime(void)
{
	u64 n = 100003;
	// Opaque to the compiler (no instruction): the loop runs.
	barrier_var(n);
	for (u64 i = 2; i < n; i++)
		if (n % i == 0)
			return 0;
	return 1;
}

// Calls: 1000 calls of a small function (a bpf-to-bpf call in BPF).
static __noinline u64 mix(u64 x)
{
	return ((x << 3) ^ x) & 0xffff;
}

static __always_inline u32 do_calls(void)
{
	u64 acc = 0;
	for (u64 i = 0; i < 1000; i++)
		acc += mix(i);
	return (u32)acc;
}

// Map lookups: 256 lookups of keys i & 15 in 16-entry maps whose values
// are key * 3 + 1 (the bench fills them), summing what they find: 6016.
// (A macro: the native build's lookup depends on the map's type.)
#define SUM_LOOKUPS(map)                                        \
	({                                                      \
		u64 s = 0;                                      \
		for (u32 i = 0; i < LOOKUPS; i++) {             \
			u32 k = i & 15;                         \
			u64 *v = bpf_map_lookup_elem(&(map), &k); \
			if (v)                                  \
				s += *v;                        \
		}                                               \
		(u32)s;                                         \
	})

static __always_inline u32 do_array_lookups(void)
{
	return SUM_LOOKUPS(arr);
}

static __always_inline u32 do_hash_lookups(void)
{
	return SUM_LOOKUPS(htab);
}

// Helper calls: 100 calls of bpf_get_prandom_u32, summed (random: the
// bench doesn't compare this one's result). Natively the helper is an
// out-of-line call of a generator with state in memory, as the kernel's
// per-CPU prandom state is.
static __always_inline u32 do_helper_calls(void)
{
	u32 s = 0;
	for (int i = 0; i < 100; i++)
		s += bpf_get_prandom_u32();
	return s;
}
