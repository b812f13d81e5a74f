use super::*;
use crate::uapi::helper_ids::HELPER_NAMES;
use crate::uapi::types::map_type as mt;

/// Every prototype of helper `id`, in the kernel's source order.
fn variants(id: i32) -> impl Iterator<Item = &'static Proto> {
    ALL.iter().copied().filter(move |p| p.func_id == id)
}

#[test]
fn every_helper_id_has_a_prototype() {
    for id in 1..HELPER_COUNT as i32 {
        let p = default_proto(id).unwrap_or_else(|| panic!("no prototype for helper {id}"));
        assert_eq!(p.func_id, id);
    }
    assert_eq!(default_proto(BPF_FUNC_UNSPEC), None);
    assert_eq!(default_proto(HELPER_COUNT as i32), None);
    assert_eq!(default_proto(-1), None);
}

/// Kernel variables whose name does not contain their helper's (without
/// `bpf_`): the variant names of the kernel, checked one by one.
const NAMED_OTHERWISE: &[(&str, i32)] = &[
    ("bpf_flow_dissector_load_bytes_proto", BPF_FUNC_SKB_LOAD_BYTES),
    ("sk_reuseport_load_bytes_proto", BPF_FUNC_SKB_LOAD_BYTES),
    (
        "sk_reuseport_load_bytes_relative_proto",
        BPF_FUNC_SKB_LOAD_BYTES_RELATIVE,
    ),
    ("sk_skb_pull_data_proto", BPF_FUNC_SKB_PULL_DATA),
    ("sk_skb_adjust_room_proto", BPF_FUNC_SKB_ADJUST_ROOM),
    ("sk_skb_change_tail_proto", BPF_FUNC_SKB_CHANGE_TAIL),
    ("sk_skb_change_head_proto", BPF_FUNC_SKB_CHANGE_HEAD),
    ("bpf_xdp_redirect_proto", BPF_FUNC_REDIRECT),
    ("bpf_xdp_redirect_map_proto", BPF_FUNC_REDIRECT_MAP),
    ("bpf_skb_event_output_proto", BPF_FUNC_PERF_EVENT_OUTPUT),
    ("bpf_xdp_event_output_proto", BPF_FUNC_PERF_EVENT_OUTPUT),
    ("bpf_event_output_data_proto", BPF_FUNC_PERF_EVENT_OUTPUT),
    ("bpf_get_socket_ptr_cookie_proto", BPF_FUNC_GET_SOCKET_COOKIE),
    ("bpf_sk_setsockopt_proto", BPF_FUNC_SETSOCKOPT),
    ("bpf_sk_getsockopt_proto", BPF_FUNC_GETSOCKOPT),
    ("bpf_unlocked_sk_setsockopt_proto", BPF_FUNC_SETSOCKOPT),
    ("bpf_unlocked_sk_getsockopt_proto", BPF_FUNC_GETSOCKOPT),
    ("bpf_sock_addr_setsockopt_proto", BPF_FUNC_SETSOCKOPT),
    ("bpf_sock_addr_getsockopt_proto", BPF_FUNC_GETSOCKOPT),
    ("bpf_sock_ops_setsockopt_proto", BPF_FUNC_SETSOCKOPT),
    ("bpf_sock_ops_getsockopt_proto", BPF_FUNC_GETSOCKOPT),
    ("bpf_xdp_fib_lookup_proto", BPF_FUNC_FIB_LOOKUP),
    ("bpf_skb_fib_lookup_proto", BPF_FUNC_FIB_LOOKUP),
    ("bpf_skb_check_mtu_proto", BPF_FUNC_CHECK_MTU),
    ("bpf_xdp_check_mtu_proto", BPF_FUNC_CHECK_MTU),
    ("bpf_lwt_in_push_encap_proto", BPF_FUNC_LWT_PUSH_ENCAP),
    ("bpf_lwt_xmit_push_encap_proto", BPF_FUNC_LWT_PUSH_ENCAP),
    ("bpf_sk_lookup_assign_proto", BPF_FUNC_SK_ASSIGN),
    ("bpf_probe_read_compat_proto", BPF_FUNC_PROBE_READ),
    ("bpf_probe_read_compat_str_proto", BPF_FUNC_PROBE_READ_STR),
    ("bpf_get_raw_smp_processor_id_proto", BPF_FUNC_GET_SMP_PROCESSOR_ID),
    ("rc_repeat_proto", BPF_FUNC_RC_REPEAT),
    ("rc_keydown_proto", BPF_FUNC_RC_KEYDOWN),
    ("rc_pointer_rel_proto", BPF_FUNC_RC_POINTER_REL),
];

#[test]
fn every_prototype_names_its_helper() {
    for (i, p) in ALL.iter().enumerate() {
        assert!((1..HELPER_COUNT as i32).contains(&p.func_id), "{}", p.name);
        assert_eq!(p.helper_name(), HELPER_NAMES[p.func_id as usize]);
        assert!(p.name.ends_with("_proto") || p.name.contains("_proto_"), "{}", p.name);
        let short = &p.helper_name()["bpf_".len()..];
        let listed = NAMED_OTHERWISE.iter().find(|(n, _)| *n == p.name);
        match listed {
            Some(&(_, id)) => assert_eq!(p.func_id, id, "{}", p.name),
            None => assert!(p.name.contains(short), "{} is not named after {short}", p.name),
        }
        assert!(ALL[i + 1..].iter().all(|q| q.name != p.name), "{} twice", p.name);
    }
    // Every exception is a row of the catalogue.
    for (n, _) in NAMED_OTHERWISE {
        assert!(ALL.iter().any(|p| p.name == *n), "{n}");
    }
}

#[test]
fn size_arguments_follow_a_memory_argument() {
    // check_arg_pair_ok(): ARG_CONST_SIZE(_OR_ZERO) needs an ARG_PTR_TO_MEM
    // without MEM_FIXED_SIZE right before it, and such a memory argument
    // needs its size right after.
    for p in ALL {
        for (i, a) in p.arg_type.iter().enumerate() {
            let is_size = matches!(a.base, ArgBase::ConstSize | ArgBase::ConstSizeOrZero);
            let sized_mem = |t: &ArgType| t.base == ArgBase::PtrToMem && !t.has(MEM_FIXED_SIZE);
            if is_size {
                assert!(i > 0 && sized_mem(&p.arg_type[i - 1]), "{} arg{}", p.name, i + 1);
            }
            if sized_mem(a) {
                let next = p.arg_type.get(i + 1).map(|t| t.base);
                assert!(
                    matches!(next, Some(ArgBase::ConstSize | ArgBase::ConstSizeOrZero)),
                    "{} arg{}",
                    p.name,
                    i + 1
                );
            }
            if a.has(MEM_FIXED_SIZE) {
                assert!(p.arg_size[i] > 0, "{} arg{}", p.name, i + 1);
            }
        }
    }
}

#[test]
fn rows_read_from_the_kernel_source() {
    // kernel/bpf/helpers.c: bpf_map_lookup_elem_proto.
    let p = &BPF_MAP_LOOKUP_ELEM_PROTO;
    assert_eq!(p.func_id, BPF_FUNC_MAP_LOOKUP_ELEM);
    assert!(p.pkt_access && !p.gpl_only);
    assert_eq!(p.ret_type, RET_PTR_TO_MAP_VALUE_OR_NULL);
    assert_eq!(p.arg_type[..3], [ARG_CONST_MAP_PTR, ARG_PTR_TO_MAP_KEY, ARG_DONTCARE]);
    // kernel/bpf/helpers.c: bpf_strtol_proto, the result a fixed-size s64.
    let p = &BPF_STRTOL_PROTO;
    assert_eq!(
        p.arg_type,
        [
            ARG_PTR_TO_MEM.with(MEM_RDONLY),
            ARG_CONST_SIZE,
            ARG_ANYTHING,
            ARG_PTR_TO_FIXED_SIZE_MEM
                .with(MEM_UNINIT)
                .with(MEM_WRITE)
                .with(MEM_ALIGNED),
            ARG_DONTCARE
        ]
    );
    assert_eq!(p.arg_size[3], 8);
    // net/core/filter.c: bpf_skb_load_bytes_proto and the flow dissector's.
    for p in [&BPF_SKB_LOAD_BYTES_PROTO, &BPF_FLOW_DISSECTOR_LOAD_BYTES_PROTO] {
        assert_eq!(p.func_id, BPF_FUNC_SKB_LOAD_BYTES);
        assert!(!p.gpl_only);
        assert_eq!(
            p.arg_type[..4],
            [ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_PTR_TO_UNINIT_MEM, ARG_CONST_SIZE]
        );
    }
    // net/core/filter.c: bpf_get_socket_cookie_sock_addr_proto.
    assert_eq!(
        BPF_GET_SOCKET_COOKIE_SOCK_ADDR_PROTO.func_id,
        BPF_FUNC_GET_SOCKET_COOKIE
    );
    assert_eq!(BPF_GET_SOCKET_COOKIE_SOCK_ADDR_PROTO.arg_type[0], ARG_PTR_TO_CTX);
    // kernel/trace/bpf_trace.c: bpf_perf_event_output_proto_tp is GPL-only.
    let p = &BPF_PERF_EVENT_OUTPUT_PROTO_TP;
    assert!(p.gpl_only);
    assert_eq!(
        p.arg_type,
        [
            ARG_PTR_TO_CTX,
            ARG_CONST_MAP_PTR,
            ARG_ANYTHING,
            ARG_PTR_TO_MEM.with(MEM_RDONLY),
            ARG_CONST_SIZE_OR_ZERO
        ]
    );
    // kernel/bpf/helpers.c: bpf_get_current_task_btf_proto returns a
    // trusted task_struct.
    let p = &BPF_GET_CURRENT_TASK_BTF_PROTO;
    assert!(p.gpl_only);
    assert_eq!(p.ret_type, RET_PTR_TO_BTF_ID_TRUSTED);
    assert_eq!(p.ret_btf_id, Some(BtfId::Struct("task_struct")));
    // net/core/filter.c: bpf_sk_lookup_tcp_proto acquires a socket.
    let p = &BPF_SK_LOOKUP_TCP_PROTO;
    assert!(p.pkt_access);
    assert_eq!(p.ret_type, RET_PTR_TO_SOCKET_OR_NULL);
    assert_eq!(p.ret_type.unsupported(), "helper return type RET_PTR_TO_SOCKET_OR_NULL");
    // kernel/bpf/helpers.c: bpf_kptr_xchg_proto, the BPF_PTR_POISON row.
    let p = &BPF_KPTR_XCHG_PROTO;
    assert_eq!(p.arg_type[0], ARG_KPTR_XCHG_DEST);
    assert_eq!(p.arg_type[1], ARG_PTR_TO_BTF_ID_OR_NULL.with(OBJ_RELEASE));
    assert_eq!(p.arg_btf_id[1], Some(BtfId::Poison));
    assert_eq!(p.ret_btf_id, Some(BtfId::Poison));
    // kernel/trace/bpf_trace.c: bpf_d_path_proto has an `allowed` check.
    assert_eq!(BPF_D_PATH_PROTO.allowed, Some("bpf_d_path_allowed"));
    assert_eq!(BPF_D_PATH_PROTO.arg_btf_id[0], Some(BtfId::Struct("path")));
    // kernel/bpf/helpers.c: bpf_copy_from_user_proto may sleep.
    assert!(BPF_COPY_FROM_USER_PROTO.might_sleep);
}

#[test]
fn the_main_variant_is_the_one_named_after_the_helper() {
    assert_eq!(default_proto(BPF_FUNC_SKB_LOAD_BYTES), Some(&BPF_SKB_LOAD_BYTES_PROTO));
    assert_eq!(
        default_proto(BPF_FUNC_GET_SOCKET_COOKIE),
        Some(&BPF_GET_SOCKET_COOKIE_PROTO)
    );
    assert_eq!(
        default_proto(BPF_FUNC_PERF_EVENT_OUTPUT),
        Some(&BPF_PERF_EVENT_OUTPUT_PROTO)
    );
    // No variant named after bpf_probe_read: the one there is.
    assert_eq!(default_proto(BPF_FUNC_PROBE_READ), Some(&BPF_PROBE_READ_COMPAT_PROTO));
    assert!(variants(BPF_FUNC_PERF_EVENT_OUTPUT).count() >= 6);
}

#[test]
fn map_compatibility_both_ways() {
    // kernel/bpf/verifier.c check_map_func_compatibility().
    use MapCompat::*;
    assert_eq!(map_func_compatible(mt::PROG_ARRAY, BPF_FUNC_TAIL_CALL), Compatible);
    assert_eq!(map_func_compatible(mt::HASH, BPF_FUNC_TAIL_CALL), Incompatible);
    assert_eq!(
        map_func_compatible(mt::PROG_ARRAY, BPF_FUNC_MAP_LOOKUP_ELEM),
        Incompatible
    );
    assert_eq!(
        map_func_compatible(mt::HASH_OF_MAPS, BPF_FUNC_MAP_LOOKUP_ELEM),
        Compatible
    );
    assert_eq!(
        map_func_compatible(mt::HASH_OF_MAPS, BPF_FUNC_MAP_UPDATE_ELEM),
        Incompatible
    );
    assert_eq!(
        map_func_compatible(mt::BLOOM_FILTER, BPF_FUNC_MAP_POP_ELEM),
        Incompatible
    );
    assert_eq!(
        map_func_compatible(mt::BLOOM_FILTER, BPF_FUNC_MAP_PEEK_ELEM),
        Compatible
    );
    assert_eq!(
        map_func_compatible(mt::SOCKMAP, BPF_FUNC_MAP_UPDATE_ELEM),
        SockmapUpdate
    );
    assert_eq!(
        map_func_compatible(mt::SOCKMAP, BPF_FUNC_SK_SELECT_REUSEPORT),
        Compatible
    );
    assert_eq!(
        map_func_compatible(mt::ARRAY, BPF_FUNC_MAP_LOOKUP_PERCPU_ELEM),
        Incompatible
    );
    assert_eq!(helper_map_types(BPF_FUNC_MAP_LOOKUP_ELEM), None);
    assert_eq!(helper_map_types(BPF_FUNC_GET_STACKID), Some(&[mt::STACK_TRACE][..]));
}

#[test]
fn packet_changing_helpers() {
    // net/core/filter.c bpf_helper_changes_pkt_data().
    assert!(changes_pkt_data(BPF_FUNC_SKB_STORE_BYTES));
    assert!(changes_pkt_data(BPF_FUNC_XDP_ADJUST_TAIL));
    // Recorded from Linux 6.18 (kbpf.py load --type sched_cls --map
    // prog_array:4:4:1): r7 = skb->data, checked against data_end, then
    // bpf_tail_call, then r0 = *(u8 *)(r7 + 0): accepted.
    assert!(!changes_pkt_data(BPF_FUNC_TAIL_CALL));
    assert!(!changes_pkt_data(BPF_FUNC_SKB_LOAD_BYTES));
    assert!(!changes_pkt_data(BPF_FUNC_MAP_LOOKUP_ELEM));
}
