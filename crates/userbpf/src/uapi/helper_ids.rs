//! Helper function ids and names: the uapi `__BPF_FUNC_MAPPER` of
//! include/uapi/linux/bpf.h, as data.
//!
//! The names keep their `bpf_` prefix because that is how the kernel's
//! disassembler prints them (`call bpf_map_lookup_elem#1`). The list is
//! frozen upstream at id 211 (new kernel functionality comes as kfuncs).

/// Number of helper ids the kernel knows (`__BPF_FUNC_MAX_ID`).
pub const HELPER_COUNT: usize = HELPER_NAMES.len();

/// Helper names indexed by id, as the kernel's `func_id_str` has them.
pub const HELPER_NAMES: [&str; 212] = [
    "bpf_unspec",                         // 0
    "bpf_map_lookup_elem",                // 1
    "bpf_map_update_elem",                // 2
    "bpf_map_delete_elem",                // 3
    "bpf_probe_read",                     // 4
    "bpf_ktime_get_ns",                   // 5
    "bpf_trace_printk",                   // 6
    "bpf_get_prandom_u32",                // 7
    "bpf_get_smp_processor_id",           // 8
    "bpf_skb_store_bytes",                // 9
    "bpf_l3_csum_replace",                // 10
    "bpf_l4_csum_replace",                // 11
    "bpf_tail_call",                      // 12
    "bpf_clone_redirect",                 // 13
    "bpf_get_current_pid_tgid",           // 14
    "bpf_get_current_uid_gid",            // 15
    "bpf_get_current_comm",               // 16
    "bpf_get_cgroup_classid",             // 17
    "bpf_skb_vlan_push",                  // 18
    "bpf_skb_vlan_pop",                   // 19
    "bpf_skb_get_tunnel_key",             // 20
    "bpf_skb_set_tunnel_key",             // 21
    "bpf_perf_event_read",                // 22
    "bpf_redirect",                       // 23
    "bpf_get_route_realm",                // 24
    "bpf_perf_event_output",              // 25
    "bpf_skb_load_bytes",                 // 26
    "bpf_get_stackid",                    // 27
    "bpf_csum_diff",                      // 28
    "bpf_skb_get_tunnel_opt",             // 29
    "bpf_skb_set_tunnel_opt",             // 30
    "bpf_skb_change_proto",               // 31
    "bpf_skb_change_type",                // 32
    "bpf_skb_under_cgroup",               // 33
    "bpf_get_hash_recalc",                // 34
    "bpf_get_current_task",               // 35
    "bpf_probe_write_user",               // 36
    "bpf_current_task_under_cgroup",      // 37
    "bpf_skb_change_tail",                // 38
    "bpf_skb_pull_data",                  // 39
    "bpf_csum_update",                    // 40
    "bpf_set_hash_invalid",               // 41
    "bpf_get_numa_node_id",               // 42
    "bpf_skb_change_head",                // 43
    "bpf_xdp_adjust_head",                // 44
    "bpf_probe_read_str",                 // 45
    "bpf_get_socket_cookie",              // 46
    "bpf_get_socket_uid",                 // 47
    "bpf_set_hash",                       // 48
    "bpf_setsockopt",                     // 49
    "bpf_skb_adjust_room",                // 50
    "bpf_redirect_map",                   // 51
    "bpf_sk_redirect_map",                // 52
    "bpf_sock_map_update",                // 53
    "bpf_xdp_adjust_meta",                // 54
    "bpf_perf_event_read_value",          // 55
    "bpf_perf_prog_read_value",           // 56
    "bpf_getsockopt",                     // 57
    "bpf_override_return",                // 58
    "bpf_sock_ops_cb_flags_set",          // 59
    "bpf_msg_redirect_map",               // 60
    "bpf_msg_apply_bytes",                // 61
    "bpf_msg_cork_bytes",                 // 62
    "bpf_msg_pull_data",                  // 63
    "bpf_bind",                           // 64
    "bpf_xdp_adjust_tail",                // 65
    "bpf_skb_get_xfrm_state",             // 66
    "bpf_get_stack",                      // 67
    "bpf_skb_load_bytes_relative",        // 68
    "bpf_fib_lookup",                     // 69
    "bpf_sock_hash_update",               // 70
    "bpf_msg_redirect_hash",              // 71
    "bpf_sk_redirect_hash",               // 72
    "bpf_lwt_push_encap",                 // 73
    "bpf_lwt_seg6_store_bytes",           // 74
    "bpf_lwt_seg6_adjust_srh",            // 75
    "bpf_lwt_seg6_action",                // 76
    "bpf_rc_repeat",                      // 77
    "bpf_rc_keydown",                     // 78
    "bpf_skb_cgroup_id",                  // 79
    "bpf_get_current_cgroup_id",          // 80
    "bpf_get_local_storage",              // 81
    "bpf_sk_select_reuseport",            // 82
    "bpf_skb_ancestor_cgroup_id",         // 83
    "bpf_sk_lookup_tcp",                  // 84
    "bpf_sk_lookup_udp",                  // 85
    "bpf_sk_release",                     // 86
    "bpf_map_push_elem",                  // 87
    "bpf_map_pop_elem",                   // 88
    "bpf_map_peek_elem",                  // 89
    "bpf_msg_push_data",                  // 90
    "bpf_msg_pop_data",                   // 91
    "bpf_rc_pointer_rel",                 // 92
    "bpf_spin_lock",                      // 93
    "bpf_spin_unlock",                    // 94
    "bpf_sk_fullsock",                    // 95
    "bpf_tcp_sock",                       // 96
    "bpf_skb_ecn_set_ce",                 // 97
    "bpf_get_listener_sock",              // 98
    "bpf_skc_lookup_tcp",                 // 99
    "bpf_tcp_check_syncookie",            // 100
    "bpf_sysctl_get_name",                // 101
    "bpf_sysctl_get_current_value",       // 102
    "bpf_sysctl_get_new_value",           // 103
    "bpf_sysctl_set_new_value",           // 104
    "bpf_strtol",                         // 105
    "bpf_strtoul",                        // 106
    "bpf_sk_storage_get",                 // 107
    "bpf_sk_storage_delete",              // 108
    "bpf_send_signal",                    // 109
    "bpf_tcp_gen_syncookie",              // 110
    "bpf_skb_output",                     // 111
    "bpf_probe_read_user",                // 112
    "bpf_probe_read_kernel",              // 113
    "bpf_probe_read_user_str",            // 114
    "bpf_probe_read_kernel_str",          // 115
    "bpf_tcp_send_ack",                   // 116
    "bpf_send_signal_thread",             // 117
    "bpf_jiffies64",                      // 118
    "bpf_read_branch_records",            // 119
    "bpf_get_ns_current_pid_tgid",        // 120
    "bpf_xdp_output",                     // 121
    "bpf_get_netns_cookie",               // 122
    "bpf_get_current_ancestor_cgroup_id", // 123
    "bpf_sk_assign",                      // 124
    "bpf_ktime_get_boot_ns",              // 125
    "bpf_seq_printf",                     // 126
    "bpf_seq_write",                      // 127
    "bpf_sk_cgroup_id",                   // 128
    "bpf_sk_ancestor_cgroup_id",          // 129
    "bpf_ringbuf_output",                 // 130
    "bpf_ringbuf_reserve",                // 131
    "bpf_ringbuf_submit",                 // 132
    "bpf_ringbuf_discard",                // 133
    "bpf_ringbuf_query",                  // 134
    "bpf_csum_level",                     // 135
    "bpf_skc_to_tcp6_sock",               // 136
    "bpf_skc_to_tcp_sock",                // 137
    "bpf_skc_to_tcp_timewait_sock",       // 138
    "bpf_skc_to_tcp_request_sock",        // 139
    "bpf_skc_to_udp6_sock",               // 140
    "bpf_get_task_stack",                 // 141
    "bpf_load_hdr_opt",                   // 142
    "bpf_store_hdr_opt",                  // 143
    "bpf_reserve_hdr_opt",                // 144
    "bpf_inode_storage_get",              // 145
    "bpf_inode_storage_delete",           // 146
    "bpf_d_path",                         // 147
    "bpf_copy_from_user",                 // 148
    "bpf_snprintf_btf",                   // 149
    "bpf_seq_printf_btf",                 // 150
    "bpf_skb_cgroup_classid",             // 151
    "bpf_redirect_neigh",                 // 152
    "bpf_per_cpu_ptr",                    // 153
    "bpf_this_cpu_ptr",                   // 154
    "bpf_redirect_peer",                  // 155
    "bpf_task_storage_get",               // 156
    "bpf_task_storage_delete",            // 157
    "bpf_get_current_task_btf",           // 158
    "bpf_bprm_opts_set",                  // 159
    "bpf_ktime_get_coarse_ns",            // 160
    "bpf_ima_inode_hash",                 // 161
    "bpf_sock_from_file",                 // 162
    "bpf_check_mtu",                      // 163
    "bpf_for_each_map_elem",              // 164
    "bpf_snprintf",                       // 165
    "bpf_sys_bpf",                        // 166
    "bpf_btf_find_by_name_kind",          // 167
    "bpf_sys_close",                      // 168
    "bpf_timer_init",                     // 169
    "bpf_timer_set_callback",             // 170
    "bpf_timer_start",                    // 171
    "bpf_timer_cancel",                   // 172
    "bpf_get_func_ip",                    // 173
    "bpf_get_attach_cookie",              // 174
    "bpf_task_pt_regs",                   // 175
    "bpf_get_branch_snapshot",            // 176
    "bpf_trace_vprintk",                  // 177
    "bpf_skc_to_unix_sock",               // 178
    "bpf_kallsyms_lookup_name",           // 179
    "bpf_find_vma",                       // 180
    "bpf_loop",                           // 181
    "bpf_strncmp",                        // 182
    "bpf_get_func_arg",                   // 183
    "bpf_get_func_ret",                   // 184
    "bpf_get_func_arg_cnt",               // 185
    "bpf_get_retval",                     // 186
    "bpf_set_retval",                     // 187
    "bpf_xdp_get_buff_len",               // 188
    "bpf_xdp_load_bytes",                 // 189
    "bpf_xdp_store_bytes",                // 190
    "bpf_copy_from_user_task",            // 191
    "bpf_skb_set_tstamp",                 // 192
    "bpf_ima_file_hash",                  // 193
    "bpf_kptr_xchg",                      // 194
    "bpf_map_lookup_percpu_elem",         // 195
    "bpf_skc_to_mptcp_sock",              // 196
    "bpf_dynptr_from_mem",                // 197
    "bpf_ringbuf_reserve_dynptr",         // 198
    "bpf_ringbuf_submit_dynptr",          // 199
    "bpf_ringbuf_discard_dynptr",         // 200
    "bpf_dynptr_read",                    // 201
    "bpf_dynptr_write",                   // 202
    "bpf_dynptr_data",                    // 203
    "bpf_tcp_raw_gen_syncookie_ipv4",     // 204
    "bpf_tcp_raw_gen_syncookie_ipv6",     // 205
    "bpf_tcp_raw_check_syncookie_ipv4",   // 206
    "bpf_tcp_raw_check_syncookie_ipv6",   // 207
    "bpf_ktime_get_tai_ns",               // 208
    "bpf_user_ringbuf_drain",             // 209
    "bpf_cgrp_storage_get",               // 210
    "bpf_cgrp_storage_delete",            // 211
];

/// The helper ids as named constants (`BPF_FUNC_map_lookup_elem` in the
/// uapi), so no code names a helper by a bare number.
#[allow(missing_docs)]
pub mod func {
    pub const BPF_FUNC_UNSPEC: i32 = 0;
    pub const BPF_FUNC_MAP_LOOKUP_ELEM: i32 = 1;
    pub const BPF_FUNC_MAP_UPDATE_ELEM: i32 = 2;
    pub const BPF_FUNC_MAP_DELETE_ELEM: i32 = 3;
    pub const BPF_FUNC_PROBE_READ: i32 = 4;
    pub const BPF_FUNC_KTIME_GET_NS: i32 = 5;
    pub const BPF_FUNC_TRACE_PRINTK: i32 = 6;
    pub const BPF_FUNC_GET_PRANDOM_U32: i32 = 7;
    pub const BPF_FUNC_GET_SMP_PROCESSOR_ID: i32 = 8;
    pub const BPF_FUNC_SKB_STORE_BYTES: i32 = 9;
    pub const BPF_FUNC_L3_CSUM_REPLACE: i32 = 10;
    pub const BPF_FUNC_L4_CSUM_REPLACE: i32 = 11;
    pub const BPF_FUNC_TAIL_CALL: i32 = 12;
    pub const BPF_FUNC_CLONE_REDIRECT: i32 = 13;
    pub const BPF_FUNC_GET_CURRENT_PID_TGID: i32 = 14;
    pub const BPF_FUNC_GET_CURRENT_UID_GID: i32 = 15;
    pub const BPF_FUNC_GET_CURRENT_COMM: i32 = 16;
    pub const BPF_FUNC_GET_CGROUP_CLASSID: i32 = 17;
    pub const BPF_FUNC_SKB_VLAN_PUSH: i32 = 18;
    pub const BPF_FUNC_SKB_VLAN_POP: i32 = 19;
    pub const BPF_FUNC_SKB_GET_TUNNEL_KEY: i32 = 20;
    pub const BPF_FUNC_SKB_SET_TUNNEL_KEY: i32 = 21;
    pub const BPF_FUNC_PERF_EVENT_READ: i32 = 22;
    pub const BPF_FUNC_REDIRECT: i32 = 23;
    pub const BPF_FUNC_GET_ROUTE_REALM: i32 = 24;
    pub const BPF_FUNC_PERF_EVENT_OUTPUT: i32 = 25;
    pub const BPF_FUNC_SKB_LOAD_BYTES: i32 = 26;
    pub const BPF_FUNC_GET_STACKID: i32 = 27;
    pub const BPF_FUNC_CSUM_DIFF: i32 = 28;
    pub const BPF_FUNC_SKB_GET_TUNNEL_OPT: i32 = 29;
    pub const BPF_FUNC_SKB_SET_TUNNEL_OPT: i32 = 30;
    pub const BPF_FUNC_SKB_CHANGE_PROTO: i32 = 31;
    pub const BPF_FUNC_SKB_CHANGE_TYPE: i32 = 32;
    pub const BPF_FUNC_SKB_UNDER_CGROUP: i32 = 33;
    pub const BPF_FUNC_GET_HASH_RECALC: i32 = 34;
    pub const BPF_FUNC_GET_CURRENT_TASK: i32 = 35;
    pub const BPF_FUNC_PROBE_WRITE_USER: i32 = 36;
    pub const BPF_FUNC_CURRENT_TASK_UNDER_CGROUP: i32 = 37;
    pub const BPF_FUNC_SKB_CHANGE_TAIL: i32 = 38;
    pub const BPF_FUNC_SKB_PULL_DATA: i32 = 39;
    pub const BPF_FUNC_CSUM_UPDATE: i32 = 40;
    pub const BPF_FUNC_SET_HASH_INVALID: i32 = 41;
    pub const BPF_FUNC_GET_NUMA_NODE_ID: i32 = 42;
    pub const BPF_FUNC_SKB_CHANGE_HEAD: i32 = 43;
    pub const BPF_FUNC_XDP_ADJUST_HEAD: i32 = 44;
    pub const BPF_FUNC_PROBE_READ_STR: i32 = 45;
    pub const BPF_FUNC_GET_SOCKET_COOKIE: i32 = 46;
    pub const BPF_FUNC_GET_SOCKET_UID: i32 = 47;
    pub const BPF_FUNC_SET_HASH: i32 = 48;
    pub const BPF_FUNC_SETSOCKOPT: i32 = 49;
    pub const BPF_FUNC_SKB_ADJUST_ROOM: i32 = 50;
    pub const BPF_FUNC_REDIRECT_MAP: i32 = 51;
    pub const BPF_FUNC_SK_REDIRECT_MAP: i32 = 52;
    pub const BPF_FUNC_SOCK_MAP_UPDATE: i32 = 53;
    pub const BPF_FUNC_XDP_ADJUST_META: i32 = 54;
    pub const BPF_FUNC_PERF_EVENT_READ_VALUE: i32 = 55;
    pub const BPF_FUNC_PERF_PROG_READ_VALUE: i32 = 56;
    pub const BPF_FUNC_GETSOCKOPT: i32 = 57;
    pub const BPF_FUNC_OVERRIDE_RETURN: i32 = 58;
    pub const BPF_FUNC_SOCK_OPS_CB_FLAGS_SET: i32 = 59;
    pub const BPF_FUNC_MSG_REDIRECT_MAP: i32 = 60;
    pub const BPF_FUNC_MSG_APPLY_BYTES: i32 = 61;
    pub const BPF_FUNC_MSG_CORK_BYTES: i32 = 62;
    pub const BPF_FUNC_MSG_PULL_DATA: i32 = 63;
    pub const BPF_FUNC_BIND: i32 = 64;
    pub const BPF_FUNC_XDP_ADJUST_TAIL: i32 = 65;
    pub const BPF_FUNC_SKB_GET_XFRM_STATE: i32 = 66;
    pub const BPF_FUNC_GET_STACK: i32 = 67;
    pub const BPF_FUNC_SKB_LOAD_BYTES_RELATIVE: i32 = 68;
    pub const BPF_FUNC_FIB_LOOKUP: i32 = 69;
    pub const BPF_FUNC_SOCK_HASH_UPDATE: i32 = 70;
    pub const BPF_FUNC_MSG_REDIRECT_HASH: i32 = 71;
    pub const BPF_FUNC_SK_REDIRECT_HASH: i32 = 72;
    pub const BPF_FUNC_LWT_PUSH_ENCAP: i32 = 73;
    pub const BPF_FUNC_LWT_SEG6_STORE_BYTES: i32 = 74;
    pub const BPF_FUNC_LWT_SEG6_ADJUST_SRH: i32 = 75;
    pub const BPF_FUNC_LWT_SEG6_ACTION: i32 = 76;
    pub const BPF_FUNC_RC_REPEAT: i32 = 77;
    pub const BPF_FUNC_RC_KEYDOWN: i32 = 78;
    pub const BPF_FUNC_SKB_CGROUP_ID: i32 = 79;
    pub const BPF_FUNC_GET_CURRENT_CGROUP_ID: i32 = 80;
    pub const BPF_FUNC_GET_LOCAL_STORAGE: i32 = 81;
    pub const BPF_FUNC_SK_SELECT_REUSEPORT: i32 = 82;
    pub const BPF_FUNC_SKB_ANCESTOR_CGROUP_ID: i32 = 83;
    pub const BPF_FUNC_SK_LOOKUP_TCP: i32 = 84;
    pub const BPF_FUNC_SK_LOOKUP_UDP: i32 = 85;
    pub const BPF_FUNC_SK_RELEASE: i32 = 86;
    pub const BPF_FUNC_MAP_PUSH_ELEM: i32 = 87;
    pub const BPF_FUNC_MAP_POP_ELEM: i32 = 88;
    pub const BPF_FUNC_MAP_PEEK_ELEM: i32 = 89;
    pub const BPF_FUNC_MSG_PUSH_DATA: i32 = 90;
    pub const BPF_FUNC_MSG_POP_DATA: i32 = 91;
    pub const BPF_FUNC_RC_POINTER_REL: i32 = 92;
    pub const BPF_FUNC_SPIN_LOCK: i32 = 93;
    pub const BPF_FUNC_SPIN_UNLOCK: i32 = 94;
    pub const BPF_FUNC_SK_FULLSOCK: i32 = 95;
    pub const BPF_FUNC_TCP_SOCK: i32 = 96;
    pub const BPF_FUNC_SKB_ECN_SET_CE: i32 = 97;
    pub const BPF_FUNC_GET_LISTENER_SOCK: i32 = 98;
    pub const BPF_FUNC_SKC_LOOKUP_TCP: i32 = 99;
    pub const BPF_FUNC_TCP_CHECK_SYNCOOKIE: i32 = 100;
    pub const BPF_FUNC_SYSCTL_GET_NAME: i32 = 101;
    pub const BPF_FUNC_SYSCTL_GET_CURRENT_VALUE: i32 = 102;
    pub const BPF_FUNC_SYSCTL_GET_NEW_VALUE: i32 = 103;
    pub const BPF_FUNC_SYSCTL_SET_NEW_VALUE: i32 = 104;
    pub const BPF_FUNC_STRTOL: i32 = 105;
    pub const BPF_FUNC_STRTOUL: i32 = 106;
    pub const BPF_FUNC_SK_STORAGE_GET: i32 = 107;
    pub const BPF_FUNC_SK_STORAGE_DELETE: i32 = 108;
    pub const BPF_FUNC_SEND_SIGNAL: i32 = 109;
    pub const BPF_FUNC_TCP_GEN_SYNCOOKIE: i32 = 110;
    pub const BPF_FUNC_SKB_OUTPUT: i32 = 111;
    pub const BPF_FUNC_PROBE_READ_USER: i32 = 112;
    pub const BPF_FUNC_PROBE_READ_KERNEL: i32 = 113;
    pub const BPF_FUNC_PROBE_READ_USER_STR: i32 = 114;
    pub const BPF_FUNC_PROBE_READ_KERNEL_STR: i32 = 115;
    pub const BPF_FUNC_TCP_SEND_ACK: i32 = 116;
    pub const BPF_FUNC_SEND_SIGNAL_THREAD: i32 = 117;
    pub const BPF_FUNC_JIFFIES64: i32 = 118;
    pub const BPF_FUNC_READ_BRANCH_RECORDS: i32 = 119;
    pub const BPF_FUNC_GET_NS_CURRENT_PID_TGID: i32 = 120;
    pub const BPF_FUNC_XDP_OUTPUT: i32 = 121;
    pub const BPF_FUNC_GET_NETNS_COOKIE: i32 = 122;
    pub const BPF_FUNC_GET_CURRENT_ANCESTOR_CGROUP_ID: i32 = 123;
    pub const BPF_FUNC_SK_ASSIGN: i32 = 124;
    pub const BPF_FUNC_KTIME_GET_BOOT_NS: i32 = 125;
    pub const BPF_FUNC_SEQ_PRINTF: i32 = 126;
    pub const BPF_FUNC_SEQ_WRITE: i32 = 127;
    pub const BPF_FUNC_SK_CGROUP_ID: i32 = 128;
    pub const BPF_FUNC_SK_ANCESTOR_CGROUP_ID: i32 = 129;
    pub const BPF_FUNC_RINGBUF_OUTPUT: i32 = 130;
    pub const BPF_FUNC_RINGBUF_RESERVE: i32 = 131;
    pub const BPF_FUNC_RINGBUF_SUBMIT: i32 = 132;
    pub const BPF_FUNC_RINGBUF_DISCARD: i32 = 133;
    pub const BPF_FUNC_RINGBUF_QUERY: i32 = 134;
    pub const BPF_FUNC_CSUM_LEVEL: i32 = 135;
    pub const BPF_FUNC_SKC_TO_TCP6_SOCK: i32 = 136;
    pub const BPF_FUNC_SKC_TO_TCP_SOCK: i32 = 137;
    pub const BPF_FUNC_SKC_TO_TCP_TIMEWAIT_SOCK: i32 = 138;
    pub const BPF_FUNC_SKC_TO_TCP_REQUEST_SOCK: i32 = 139;
    pub const BPF_FUNC_SKC_TO_UDP6_SOCK: i32 = 140;
    pub const BPF_FUNC_GET_TASK_STACK: i32 = 141;
    pub const BPF_FUNC_LOAD_HDR_OPT: i32 = 142;
    pub const BPF_FUNC_STORE_HDR_OPT: i32 = 143;
    pub const BPF_FUNC_RESERVE_HDR_OPT: i32 = 144;
    pub const BPF_FUNC_INODE_STORAGE_GET: i32 = 145;
    pub const BPF_FUNC_INODE_STORAGE_DELETE: i32 = 146;
    pub const BPF_FUNC_D_PATH: i32 = 147;
    pub const BPF_FUNC_COPY_FROM_USER: i32 = 148;
    pub const BPF_FUNC_SNPRINTF_BTF: i32 = 149;
    pub const BPF_FUNC_SEQ_PRINTF_BTF: i32 = 150;
    pub const BPF_FUNC_SKB_CGROUP_CLASSID: i32 = 151;
    pub const BPF_FUNC_REDIRECT_NEIGH: i32 = 152;
    pub const BPF_FUNC_PER_CPU_PTR: i32 = 153;
    pub const BPF_FUNC_THIS_CPU_PTR: i32 = 154;
    pub const BPF_FUNC_REDIRECT_PEER: i32 = 155;
    pub const BPF_FUNC_TASK_STORAGE_GET: i32 = 156;
    pub const BPF_FUNC_TASK_STORAGE_DELETE: i32 = 157;
    pub const BPF_FUNC_GET_CURRENT_TASK_BTF: i32 = 158;
    pub const BPF_FUNC_BPRM_OPTS_SET: i32 = 159;
    pub const BPF_FUNC_KTIME_GET_COARSE_NS: i32 = 160;
    pub const BPF_FUNC_IMA_INODE_HASH: i32 = 161;
    pub const BPF_FUNC_SOCK_FROM_FILE: i32 = 162;
    pub const BPF_FUNC_CHECK_MTU: i32 = 163;
    pub const BPF_FUNC_FOR_EACH_MAP_ELEM: i32 = 164;
    pub const BPF_FUNC_SNPRINTF: i32 = 165;
    pub const BPF_FUNC_SYS_BPF: i32 = 166;
    pub const BPF_FUNC_BTF_FIND_BY_NAME_KIND: i32 = 167;
    pub const BPF_FUNC_SYS_CLOSE: i32 = 168;
    pub const BPF_FUNC_TIMER_INIT: i32 = 169;
    pub const BPF_FUNC_TIMER_SET_CALLBACK: i32 = 170;
    pub const BPF_FUNC_TIMER_START: i32 = 171;
    pub const BPF_FUNC_TIMER_CANCEL: i32 = 172;
    pub const BPF_FUNC_GET_FUNC_IP: i32 = 173;
    pub const BPF_FUNC_GET_ATTACH_COOKIE: i32 = 174;
    pub const BPF_FUNC_TASK_PT_REGS: i32 = 175;
    pub const BPF_FUNC_GET_BRANCH_SNAPSHOT: i32 = 176;
    pub const BPF_FUNC_TRACE_VPRINTK: i32 = 177;
    pub const BPF_FUNC_SKC_TO_UNIX_SOCK: i32 = 178;
    pub const BPF_FUNC_KALLSYMS_LOOKUP_NAME: i32 = 179;
    pub const BPF_FUNC_FIND_VMA: i32 = 180;
    pub const BPF_FUNC_LOOP: i32 = 181;
    pub const BPF_FUNC_STRNCMP: i32 = 182;
    pub const BPF_FUNC_GET_FUNC_ARG: i32 = 183;
    pub const BPF_FUNC_GET_FUNC_RET: i32 = 184;
    pub const BPF_FUNC_GET_FUNC_ARG_CNT: i32 = 185;
    pub const BPF_FUNC_GET_RETVAL: i32 = 186;
    pub const BPF_FUNC_SET_RETVAL: i32 = 187;
    pub const BPF_FUNC_XDP_GET_BUFF_LEN: i32 = 188;
    pub const BPF_FUNC_XDP_LOAD_BYTES: i32 = 189;
    pub const BPF_FUNC_XDP_STORE_BYTES: i32 = 190;
    pub const BPF_FUNC_COPY_FROM_USER_TASK: i32 = 191;
    pub const BPF_FUNC_SKB_SET_TSTAMP: i32 = 192;
    pub const BPF_FUNC_IMA_FILE_HASH: i32 = 193;
    pub const BPF_FUNC_KPTR_XCHG: i32 = 194;
    pub const BPF_FUNC_MAP_LOOKUP_PERCPU_ELEM: i32 = 195;
    pub const BPF_FUNC_SKC_TO_MPTCP_SOCK: i32 = 196;
    pub const BPF_FUNC_DYNPTR_FROM_MEM: i32 = 197;
    pub const BPF_FUNC_RINGBUF_RESERVE_DYNPTR: i32 = 198;
    pub const BPF_FUNC_RINGBUF_SUBMIT_DYNPTR: i32 = 199;
    pub const BPF_FUNC_RINGBUF_DISCARD_DYNPTR: i32 = 200;
    pub const BPF_FUNC_DYNPTR_READ: i32 = 201;
    pub const BPF_FUNC_DYNPTR_WRITE: i32 = 202;
    pub const BPF_FUNC_DYNPTR_DATA: i32 = 203;
    pub const BPF_FUNC_TCP_RAW_GEN_SYNCOOKIE_IPV4: i32 = 204;
    pub const BPF_FUNC_TCP_RAW_GEN_SYNCOOKIE_IPV6: i32 = 205;
    pub const BPF_FUNC_TCP_RAW_CHECK_SYNCOOKIE_IPV4: i32 = 206;
    pub const BPF_FUNC_TCP_RAW_CHECK_SYNCOOKIE_IPV6: i32 = 207;
    pub const BPF_FUNC_KTIME_GET_TAI_NS: i32 = 208;
    pub const BPF_FUNC_USER_RINGBUF_DRAIN: i32 = 209;
    pub const BPF_FUNC_CGRP_STORAGE_GET: i32 = 210;
    pub const BPF_FUNC_CGRP_STORAGE_DELETE: i32 = 211;
}

/// The name of helper `id` (with its `bpf_` prefix), or `None` for an id
/// the kernel doesn't know.
pub fn helper_name(id: i32) -> Option<&'static str> {
    usize::try_from(id).ok().and_then(|i| HELPER_NAMES.get(i).copied())
}

/// The id of the helper called `name`. Accepts the name with or without
/// its `bpf_` prefix.
pub fn helper_id(name: &str) -> Option<i32> {
    let full = name.strip_prefix("bpf_").unwrap_or(name);
    HELPER_NAMES
        .iter()
        .position(|n| n.strip_prefix("bpf_") == Some(full))
        .map(|i| i as i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ids() {
        // Ids fixed by the uapi and relied on by every BPF program.
        assert_eq!(helper_name(0), Some("bpf_unspec"));
        assert_eq!(helper_name(1), Some("bpf_map_lookup_elem"));
        assert_eq!(helper_name(12), Some("bpf_tail_call"));
        assert_eq!(helper_name(130), Some("bpf_ringbuf_output"));
        assert_eq!(helper_name(211), Some("bpf_cgrp_storage_delete"));
        assert_eq!(helper_name(212), None);
        assert_eq!(helper_name(-1), None);
        assert_eq!(HELPER_COUNT, 212);
    }

    #[test]
    fn name_to_id_inverts_id_to_name() {
        for (id, name) in HELPER_NAMES.iter().enumerate() {
            assert_eq!(helper_id(name), Some(id as i32));
        }
        assert_eq!(helper_id("map_update_elem"), Some(2));
        assert_eq!(helper_id("bpf_no_such_helper"), None);
        assert_eq!(helper_id("bpf_"), None);
    }

    #[test]
    fn named_constants_match_the_names() {
        use func::*;
        assert_eq!(helper_name(BPF_FUNC_MAP_LOOKUP_ELEM), Some("bpf_map_lookup_elem"));
        assert_eq!(helper_name(BPF_FUNC_TAIL_CALL), Some("bpf_tail_call"));
        assert_eq!(
            helper_name(BPF_FUNC_CGRP_STORAGE_DELETE),
            Some("bpf_cgrp_storage_delete")
        );
    }
}
