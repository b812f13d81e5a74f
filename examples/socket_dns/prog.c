// A socket filter that keeps DNS queries (UDP to port 53) and drops the
// rest. Socket filters see the packet from the network header on and
// return how many bytes to keep (0: drop).
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int keep_dns(struct __sk_buff *skb)
{
	struct iphdr ip;
	struct udphdr udp;

	if (skb->protocol != bpf_htons(0x0800))
		return 0;
	if (bpf_skb_load_bytes(skb, 0, &ip, sizeof(ip)) < 0)
		return 0;
	if (ip.protocol != IPPROTO_UDP || ip.ihl != 5)
		return 0;
	if (bpf_skb_load_bytes(skb, sizeof(ip), &udp, sizeof(udp)) < 0)
		return 0;
	return udp.dest == bpf_htons(53) ? skb->len : 0;
}

char LICENSE[] SEC("license") = "GPL";
