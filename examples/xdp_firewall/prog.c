// Drop IPv4 packets whose source address falls in a blocked prefix (an LPM
// trie the control plane fills), pass everything else.
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct prefix {
	__u32 prefixlen;
	__u32 addr; /* network order */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct prefix);
	__type(value, __u32); /* a rule number, for the counters */
} blocked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} verdicts SEC(".maps"); /* [0] passed, [1] dropped */

static __always_inline int count(__u32 which, int action)
{
	__u64 *n = bpf_map_lookup_elem(&verdicts, &which);
	if (n)
		__sync_fetch_and_add(n, 1);
	return action;
}

SEC("xdp")
int firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return count(0, XDP_PASS);
	struct prefix key = { .prefixlen = 32, .addr = ip->saddr };
	if (bpf_map_lookup_elem(&blocked, &key))
		return count(1, XDP_DROP);
	return count(0, XDP_PASS);
}

char LICENSE[] SEC("license") = "GPL";
