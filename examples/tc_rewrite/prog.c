// A tc program that rewrites headers on the way out: it swaps the Ethernet
// addresses and decrements the IPv4 TTL, fixing the header checksum with
// bpf_l3_csum_replace, then lets the packet go on (TC_ACT_OK).
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>
#include <stddef.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define IP_TTL_OFF (ETH_HLEN + offsetof(struct iphdr, ttl))

SEC("tc")
int rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	unsigned char mac[ETH_ALEN];

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip->ttl <= 1)
		return TC_ACT_SHOT;
	__builtin_memcpy(mac, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, mac, ETH_ALEN);

	/* TTL and protocol share a 16-bit word of the checksum. */
	__u16 old = *(__u16 *)&ip->ttl;
	ip->ttl--;
	__u16 new = *(__u16 *)&ip->ttl;
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, new, sizeof(__u16));
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
