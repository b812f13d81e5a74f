//! The catalogue against answers recorded from the host kernel
//! (tests/fixtures/helpers: record.py and its outputs), where Linux 6.18 may
//! differ from the 6.12 source the rows were read from.

use super::*;

/// tests/fixtures/helpers/mem_write.txt, recorded from Linux 6.18 by
/// tests/fixtures/helpers/record.py: a pointer into a read-only map value
/// passed as the given argument is refused ("write into map forbidden")
/// exactly when the argument is MEM_WRITE.
const MEM_WRITE_RECORDED: &str = "\
xdp_fib_lookup | bpf_fib_lookup | 2 | xdp | forbidden\n\
skb_fib_lookup | bpf_fib_lookup | 2 | sched_cls | forbidden\n\
snprintf_btf | bpf_snprintf_btf | 1 | kprobe | forbidden\n\
sysctl_get_name | bpf_sysctl_get_name | 2 | cgroup_sysctl | forbidden\n\
read_branch_records | bpf_read_branch_records | 2 | perf_event | forbidden\n\
snprintf | bpf_snprintf | 1 | socket_filter | forbidden\n\
get_current_comm | bpf_get_current_comm | 1 | kprobe | forbidden\n\
skb_load_bytes | bpf_skb_load_bytes | 3 | sched_cls | forbidden\n\
perf_event_read_value | bpf_perf_event_read_value | 3 | kprobe | forbidden\n\
probe_read_kernel | bpf_probe_read_kernel | 1 | kprobe | forbidden\n\
tcp_raw_gen_syncookie_ipv4 | bpf_tcp_raw_gen_syncookie_ipv4 | 2 | xdp | accepted\n\
csum_diff_from | bpf_csum_diff | 1 | sched_cls | accepted\n\
trace_printk | bpf_trace_printk | 1 | socket_filter | accepted\n\
skb_store_bytes | bpf_skb_store_bytes | 3 | sched_cls | accepted";

/// The variant each probe's program type gets (its get_func_proto).
fn probed_variant(name: &str) -> &'static Proto {
    match name {
        "xdp_fib_lookup" => &BPF_XDP_FIB_LOOKUP_PROTO,
        "skb_fib_lookup" => &BPF_SKB_FIB_LOOKUP_PROTO,
        "snprintf_btf" => &BPF_SNPRINTF_BTF_PROTO,
        "sysctl_get_name" => &BPF_SYSCTL_GET_NAME_PROTO,
        "read_branch_records" => &BPF_READ_BRANCH_RECORDS_PROTO,
        "snprintf" => &BPF_SNPRINTF_PROTO,
        "get_current_comm" => &BPF_GET_CURRENT_COMM_PROTO,
        "skb_load_bytes" => &BPF_SKB_LOAD_BYTES_PROTO,
        "perf_event_read_value" => &BPF_PERF_EVENT_READ_VALUE_PROTO,
        "probe_read_kernel" => &BPF_PROBE_READ_KERNEL_PROTO,
        "tcp_raw_gen_syncookie_ipv4" => &BPF_TCP_RAW_GEN_SYNCOOKIE_IPV4_PROTO,
        "csum_diff_from" => &BPF_CSUM_DIFF_PROTO,
        "trace_printk" => &BPF_TRACE_PRINTK_PROTO,
        "skb_store_bytes" => &BPF_SKB_STORE_BYTES_PROTO,
        other => panic!("probe {other} has no variant here"),
    }
}

#[test]
fn written_arguments_are_mem_write_as_the_host_kernel_says() {
    for line in MEM_WRITE_RECORDED.lines() {
        let f: Vec<&str> = line.split(" | ").collect();
        let p = probed_variant(f[0]);
        assert_eq!(p.helper_name(), f[1], "{line}");
        let arg = p.arg_type[f[2].parse::<usize>().unwrap() - 1];
        let forbidden = match f[4] {
            "forbidden" => true,
            "accepted" => false,
            other => panic!("{line}: {other}"),
        };
        assert_eq!(arg.has(MEM_WRITE), forbidden, "{line}: {arg}");
    }
}

/// tests/fixtures/helpers/changes_pkt_data.txt, recorded from Linux 6.18 by
/// tests/fixtures/helpers/record.py --pkt: whether a checked packet pointer
/// stays usable after the call.
const PKT_RECORDED: &str = "\
tail_call | bpf_tail_call | sched_cls | kept\n\
skb_pull_data | bpf_skb_pull_data | sched_cls | invalidated\n\
get_prandom_u32 | bpf_get_prandom_u32 | sched_cls | kept\n\
skb_load_bytes | bpf_skb_load_bytes | sched_cls | kept\n\
skb_store_bytes | bpf_skb_store_bytes | sched_cls | invalidated\n\
l3_csum_replace | bpf_l3_csum_replace | sched_cls | invalidated\n\
l4_csum_replace | bpf_l4_csum_replace | sched_cls | invalidated\n\
clone_redirect | bpf_clone_redirect | sched_cls | invalidated\n\
skb_vlan_push | bpf_skb_vlan_push | sched_cls | invalidated\n\
skb_vlan_pop | bpf_skb_vlan_pop | sched_cls | invalidated\n\
skb_change_proto | bpf_skb_change_proto | sched_cls | invalidated\n\
skb_change_tail | bpf_skb_change_tail | sched_cls | invalidated\n\
skb_change_head | bpf_skb_change_head | sched_cls | invalidated\n\
skb_adjust_room | bpf_skb_adjust_room | sched_cls | invalidated\n\
xdp_adjust_head | bpf_xdp_adjust_head | xdp | invalidated\n\
xdp_adjust_tail | bpf_xdp_adjust_tail | xdp | invalidated";

#[test]
fn packet_changing_helpers() {
    // net/core/filter.c bpf_helper_changes_pkt_data().
    assert!(changes_pkt_data(BPF_FUNC_SKB_STORE_BYTES));
    assert!(changes_pkt_data(BPF_FUNC_XDP_ADJUST_TAIL));
    assert!(!changes_pkt_data(BPF_FUNC_SKB_LOAD_BYTES));
    assert!(!changes_pkt_data(BPF_FUNC_MAP_LOOKUP_ELEM));
    // The host's answers (6.12's list has bpf_tail_call; 6.18 keeps the
    // pointers across it).
    for line in PKT_RECORDED.lines() {
        let f: Vec<&str> = line.split(" | ").collect();
        let id = crate::uapi::helper_ids::helper_id(f[1]).unwrap();
        let invalidated = match f[3] {
            "invalidated" => true,
            "kept" => false,
            other => panic!("{line}: {other}"),
        };
        assert_eq!(changes_pkt_data(id), invalidated, "{line}");
    }
}

/// tests/fixtures/helpers/gpl_only.txt, recorded from Linux 6.18 by
/// tests/fixtures/helpers/record.py --gpl: `helper | program type | gpl,
/// not_gpl or -` (the first program type tried that may call it; `-`: none
/// of them may).
const GPL_RECORDED: &str = "\
bpf_map_lookup_elem | socket_filter | not_gpl\n\
bpf_map_update_elem | socket_filter | not_gpl\n\
bpf_map_delete_elem | socket_filter | not_gpl\n\
bpf_probe_read | kprobe | gpl\n\
bpf_ktime_get_ns | socket_filter | not_gpl\n\
bpf_trace_printk | socket_filter | gpl\n\
bpf_get_prandom_u32 | socket_filter | not_gpl\n\
bpf_get_smp_processor_id | socket_filter | not_gpl\n\
bpf_skb_store_bytes | sched_cls | not_gpl\n\
bpf_l3_csum_replace | sched_cls | not_gpl\n\
bpf_l4_csum_replace | sched_cls | not_gpl\n\
bpf_tail_call | socket_filter | not_gpl\n\
bpf_clone_redirect | sched_cls | not_gpl\n\
bpf_get_current_pid_tgid | socket_filter | not_gpl\n\
bpf_get_current_uid_gid | socket_filter | not_gpl\n\
bpf_get_current_comm | socket_filter | not_gpl\n\
bpf_get_cgroup_classid | socket_filter | not_gpl\n\
bpf_skb_vlan_push | sched_cls | not_gpl\n\
bpf_skb_vlan_pop | sched_cls | not_gpl\n\
bpf_skb_get_tunnel_key | sched_cls | not_gpl\n\
bpf_skb_set_tunnel_key | sched_cls | not_gpl\n\
bpf_perf_event_read | socket_filter | gpl\n\
bpf_redirect | sched_cls | not_gpl\n\
bpf_get_route_realm | sched_cls | not_gpl\n\
bpf_perf_event_output | socket_filter | gpl\n\
bpf_skb_load_bytes | socket_filter | not_gpl\n\
bpf_get_stackid | kprobe | gpl\n\
bpf_csum_diff | sched_cls | not_gpl\n\
bpf_skb_get_tunnel_opt | sched_cls | not_gpl\n\
bpf_skb_set_tunnel_opt | sched_cls | not_gpl\n\
bpf_skb_change_proto | sched_cls | not_gpl\n\
bpf_skb_change_type | sched_cls | not_gpl\n\
bpf_skb_under_cgroup | sched_cls | not_gpl\n\
bpf_get_hash_recalc | sched_cls | not_gpl\n\
bpf_get_current_task | socket_filter | gpl\n\
bpf_probe_write_user | - | -\n\
bpf_current_task_under_cgroup | socket_filter | not_gpl\n\
bpf_skb_change_tail | sched_cls | not_gpl\n\
bpf_skb_pull_data | sched_cls | not_gpl\n\
bpf_csum_update | sched_cls | not_gpl\n\
bpf_set_hash_invalid | sched_cls | not_gpl\n\
bpf_get_numa_node_id | socket_filter | not_gpl\n\
bpf_skb_change_head | sched_cls | not_gpl\n\
bpf_xdp_adjust_head | xdp | not_gpl\n\
bpf_probe_read_str | kprobe | gpl\n\
bpf_get_socket_cookie | socket_filter | not_gpl\n\
bpf_get_socket_uid | socket_filter | not_gpl\n\
bpf_set_hash | sched_cls | not_gpl\n\
bpf_setsockopt | sock_ops | not_gpl\n\
bpf_skb_adjust_room | sched_cls | not_gpl\n\
bpf_redirect_map | xdp | not_gpl\n\
bpf_sk_redirect_map | sk_skb | not_gpl\n\
bpf_sock_map_update | sock_ops | not_gpl\n\
bpf_xdp_adjust_meta | - | -\n\
bpf_perf_event_read_value | socket_filter | gpl\n\
bpf_perf_prog_read_value | perf_event | gpl\n\
bpf_getsockopt | sock_ops | not_gpl\n\
bpf_override_return | - | -\n\
bpf_sock_ops_cb_flags_set | sock_ops | not_gpl\n\
bpf_msg_redirect_map | sk_msg | not_gpl\n\
bpf_msg_apply_bytes | sk_msg | not_gpl\n\
bpf_msg_cork_bytes | sk_msg | not_gpl\n\
bpf_msg_pull_data | sk_msg | not_gpl\n\
bpf_bind | cgroup_sock_addr | not_gpl\n\
bpf_xdp_adjust_tail | xdp | not_gpl\n\
bpf_skb_get_xfrm_state | sched_cls | not_gpl\n\
bpf_get_stack | kprobe | gpl\n\
bpf_skb_load_bytes_relative | socket_filter | not_gpl\n\
bpf_fib_lookup | sched_cls | gpl\n\
bpf_sock_hash_update | sock_ops | not_gpl\n\
bpf_msg_redirect_hash | sk_msg | not_gpl\n\
bpf_sk_redirect_hash | sk_skb | not_gpl\n\
bpf_lwt_push_encap | lwt_in | not_gpl\n\
bpf_lwt_seg6_store_bytes | - | -\n\
bpf_lwt_seg6_adjust_srh | - | -\n\
bpf_lwt_seg6_action | - | -\n\
bpf_rc_repeat | - | -\n\
bpf_rc_keydown | - | -\n\
bpf_skb_cgroup_id | sched_cls | not_gpl\n\
bpf_get_current_cgroup_id | socket_filter | not_gpl\n\
bpf_get_local_storage | cgroup_skb | not_gpl\n\
bpf_sk_select_reuseport | sk_reuseport | not_gpl\n\
bpf_skb_ancestor_cgroup_id | sched_cls | not_gpl\n\
bpf_sk_lookup_tcp | sched_cls | not_gpl\n\
bpf_sk_lookup_udp | sched_cls | not_gpl\n\
bpf_sk_release | sched_cls | not_gpl\n\
bpf_map_push_elem | socket_filter | not_gpl\n\
bpf_map_pop_elem | socket_filter | not_gpl\n\
bpf_map_peek_elem | socket_filter | not_gpl\n\
bpf_msg_push_data | sk_msg | not_gpl\n\
bpf_msg_pop_data | sk_msg | not_gpl\n\
bpf_rc_pointer_rel | - | -\n\
bpf_spin_lock | socket_filter | not_gpl\n\
bpf_spin_unlock | socket_filter | not_gpl\n\
bpf_sk_fullsock | sched_cls | not_gpl\n\
bpf_tcp_sock | sched_cls | not_gpl\n\
bpf_skb_ecn_set_ce | sched_cls | not_gpl\n\
bpf_get_listener_sock | sched_cls | not_gpl\n\
bpf_skc_lookup_tcp | sched_cls | not_gpl\n\
bpf_tcp_check_syncookie | sched_cls | gpl\n\
bpf_sysctl_get_name | cgroup_sysctl | not_gpl\n\
bpf_sysctl_get_current_value | cgroup_sysctl | not_gpl\n\
bpf_sysctl_get_new_value | cgroup_sysctl | not_gpl\n\
bpf_sysctl_set_new_value | cgroup_sysctl | not_gpl\n\
bpf_strtol | socket_filter | not_gpl\n\
bpf_strtoul | socket_filter | not_gpl\n\
bpf_sk_storage_get | sched_cls | not_gpl\n\
bpf_sk_storage_delete | sched_cls | not_gpl\n\
bpf_send_signal | socket_filter | not_gpl\n\
bpf_tcp_gen_syncookie | sched_cls | gpl\n\
bpf_skb_output | syscall | gpl\n\
bpf_probe_read_user | socket_filter | gpl\n\
bpf_probe_read_kernel | socket_filter | gpl\n\
bpf_probe_read_user_str | socket_filter | gpl\n\
bpf_probe_read_kernel_str | socket_filter | gpl\n\
bpf_tcp_send_ack | - | -\n\
bpf_send_signal_thread | socket_filter | not_gpl\n\
bpf_jiffies64 | socket_filter | not_gpl\n\
bpf_read_branch_records | perf_event | gpl\n\
bpf_get_ns_current_pid_tgid | socket_filter | not_gpl\n\
bpf_xdp_output | syscall | gpl\n\
bpf_get_netns_cookie | socket_filter | not_gpl\n\
bpf_get_current_ancestor_cgroup_id | socket_filter | not_gpl\n\
bpf_sk_assign | sched_cls | not_gpl\n\
bpf_ktime_get_boot_ns | socket_filter | not_gpl\n\
bpf_seq_printf | - | -\n\
bpf_seq_write | - | -\n\
bpf_sk_cgroup_id | cgroup_skb | not_gpl\n\
bpf_sk_ancestor_cgroup_id | cgroup_skb | not_gpl\n\
bpf_ringbuf_output | socket_filter | not_gpl\n\
bpf_ringbuf_reserve | socket_filter | not_gpl\n\
bpf_ringbuf_submit | socket_filter | not_gpl\n\
bpf_ringbuf_discard | socket_filter | not_gpl\n\
bpf_ringbuf_query | socket_filter | not_gpl\n\
bpf_csum_level | sched_cls | not_gpl\n\
bpf_skc_to_tcp6_sock | socket_filter | not_gpl\n\
bpf_skc_to_tcp_sock | socket_filter | not_gpl\n\
bpf_skc_to_tcp_timewait_sock | socket_filter | not_gpl\n\
bpf_skc_to_tcp_request_sock | socket_filter | not_gpl\n\
bpf_skc_to_udp6_sock | socket_filter | not_gpl\n\
bpf_get_task_stack | socket_filter | not_gpl\n\
bpf_load_hdr_opt | sock_ops | not_gpl\n\
bpf_store_hdr_opt | sock_ops | not_gpl\n\
bpf_reserve_hdr_opt | sock_ops | not_gpl\n\
bpf_inode_storage_get | - | -\n\
bpf_inode_storage_delete | - | -\n\
bpf_d_path | syscall | not_gpl\n\
bpf_copy_from_user | socket_filter | not_gpl\n\
bpf_snprintf_btf | socket_filter | not_gpl\n\
bpf_seq_printf_btf | - | -\n\
bpf_skb_cgroup_classid | sched_cls | not_gpl\n\
bpf_redirect_neigh | sched_cls | not_gpl\n\
bpf_per_cpu_ptr | socket_filter | not_gpl\n\
bpf_this_cpu_ptr | socket_filter | not_gpl\n\
bpf_redirect_peer | sched_cls | not_gpl\n\
bpf_task_storage_get | socket_filter | not_gpl\n\
bpf_task_storage_delete | socket_filter | not_gpl\n\
bpf_get_current_task_btf | socket_filter | gpl\n\
bpf_bprm_opts_set | - | -\n\
bpf_ktime_get_coarse_ns | socket_filter | not_gpl\n\
bpf_ima_inode_hash | - | -\n\
bpf_sock_from_file | syscall | not_gpl\n\
bpf_check_mtu | sched_cls | gpl\n\
bpf_for_each_map_elem | socket_filter | not_gpl\n\
bpf_snprintf | socket_filter | gpl\n\
bpf_sys_bpf | syscall | not_gpl\n\
bpf_btf_find_by_name_kind | syscall | not_gpl\n\
bpf_sys_close | syscall | not_gpl\n\
bpf_timer_init | socket_filter | gpl\n\
bpf_timer_set_callback | socket_filter | gpl\n\
bpf_timer_start | socket_filter | gpl\n\
bpf_timer_cancel | socket_filter | gpl\n\
bpf_get_func_ip | kprobe | gpl\n\
bpf_get_attach_cookie | kprobe | not_gpl\n\
bpf_task_pt_regs | socket_filter | gpl\n\
bpf_get_branch_snapshot | socket_filter | gpl\n\
bpf_trace_vprintk | socket_filter | gpl\n\
bpf_skc_to_unix_sock | socket_filter | not_gpl\n\
bpf_kallsyms_lookup_name | syscall | not_gpl\n\
bpf_find_vma | socket_filter | not_gpl\n\
bpf_loop | socket_filter | not_gpl\n\
bpf_strncmp | socket_filter | not_gpl\n\
bpf_get_func_arg | - | -\n\
bpf_get_func_ret | - | -\n\
bpf_get_func_arg_cnt | - | -\n\
bpf_get_retval | cgroup_sock | not_gpl\n\
bpf_set_retval | cgroup_sock | not_gpl\n\
bpf_xdp_get_buff_len | xdp | not_gpl\n\
bpf_xdp_load_bytes | xdp | not_gpl\n\
bpf_xdp_store_bytes | xdp | not_gpl\n\
bpf_copy_from_user_task | socket_filter | gpl\n\
bpf_skb_set_tstamp | sched_cls | not_gpl\n\
bpf_ima_file_hash | - | -\n\
bpf_kptr_xchg | socket_filter | not_gpl\n\
bpf_map_lookup_percpu_elem | socket_filter | not_gpl\n\
bpf_skc_to_mptcp_sock | socket_filter | not_gpl\n\
bpf_dynptr_from_mem | socket_filter | not_gpl\n\
bpf_ringbuf_reserve_dynptr | socket_filter | not_gpl\n\
bpf_ringbuf_submit_dynptr | socket_filter | not_gpl\n\
bpf_ringbuf_discard_dynptr | socket_filter | not_gpl\n\
bpf_dynptr_read | socket_filter | not_gpl\n\
bpf_dynptr_write | socket_filter | not_gpl\n\
bpf_dynptr_data | socket_filter | not_gpl\n\
bpf_tcp_raw_gen_syncookie_ipv4 | sched_cls | gpl\n\
bpf_tcp_raw_gen_syncookie_ipv6 | sched_cls | gpl\n\
bpf_tcp_raw_check_syncookie_ipv4 | sched_cls | gpl\n\
bpf_tcp_raw_check_syncookie_ipv6 | sched_cls | gpl\n\
bpf_ktime_get_tai_ns | socket_filter | not_gpl\n\
bpf_user_ringbuf_drain | socket_filter | not_gpl\n\
bpf_cgrp_storage_get | socket_filter | not_gpl\n\
bpf_cgrp_storage_delete | socket_filter | not_gpl";

#[test]
fn gpl_only_as_the_host_kernel_says() {
    let mut checked = 0;
    for line in GPL_RECORDED.lines() {
        let f: Vec<&str> = line.split(" | ").collect();
        let id = crate::uapi::helper_ids::helper_id(f[0]).unwrap_or_else(|| panic!("{line}"));
        let want = match f[2] {
            "gpl" => true,
            "not_gpl" => false,
            "-" => continue,
            other => panic!("{line}: {other}"),
        };
        // Where variants differ, the one that program type gets.
        let chosen: Option<&Proto> = match (f[0], f[1]) {
            ("bpf_get_stackid", "kprobe") => Some(&BPF_GET_STACKID_PROTO),
            ("bpf_get_func_ip", "kprobe") => Some(&BPF_GET_FUNC_IP_PROTO_KPROBE),
            _ => None,
        };
        match chosen {
            Some(p) => assert_eq!(p.gpl_only, want, "{line}: {}", p.name),
            None => {
                for p in variants(id) {
                    assert_eq!(p.gpl_only, want, "{line}: {}", p.name);
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked} helpers checked");
}
