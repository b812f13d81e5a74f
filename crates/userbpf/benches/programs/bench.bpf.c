// The bench programs as XDP programs (see bench.h): built by build.sh into
// bench.bpf.o, which the engines bench loads into userbpf and the kernel.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} arr SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} htab SEC(".maps");

#include "bench.h"

#define DATA(ctx) ((u8 *)(long)(ctx)->data)
#define DATA_END(ctx) ((u8 *)(long)(ctx)->data_end)

SEC("xdp") int sum_bytes(struct xdp_md *ctx) { return do_sum_bytes(DATA(ctx), DATA_END(ctx)); }
SEC("xdp") int csum(struct xdp_md *ctx) { return do_csum(DATA(ctx), DATA_END(ctx)); }
SEC("xdp") int fnv_mix(struct xdp_md *ctx) { return do_fnv_mix(DATA(ctx), DATA_END(ctx)); }
SEC("xdp") int prime(struct xdp_md *ctx) { return do_prime(); }
SEC("xdp") int calls(struct xdp_md *ctx) { return do_calls(); }
SEC("xdp") int array_lookups(struct xdp_md *ctx) { return do_array_lookups(); }
SEC("xdp") int hash_lookups(struct xdp_md *ctx) { return do_hash_lookups(); }
SEC("xdp") int helper_calls(struct xdp_md *ctx) { return do_helper_calls(); }

char LICENSE[] SEC("license") = "GPL";
