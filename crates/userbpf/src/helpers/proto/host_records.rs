//! The catalogue against answers recorded from the host kernel
//! (tests/fixtures/helpers: record.py and its outputs), where Linux 6.18 may
//! differ from the 6.12 source the rows were read from.

use super::*;

/// tests/fixtures/helpers/mem_write.txt, recorded from Linux 6.18 by
/// tests/fixtures/helpers/record.py: a pointer into a read-only map value
/// passed as the given argument is refused ("write into map forbidden")
/// exactly when the argument is MEM_WRITE.
const MEM_WRITE_RECORDED: &str = include_str!("../../../../../tests/fixtures/helpers/mem_write.txt");

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
const PKT_RECORDED: &str = include_str!("../../../../../tests/fixtures/helpers/changes_pkt_data.txt");

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
const GPL_RECORDED: &str = include_str!("../../../../../tests/fixtures/helpers/gpl_only.txt");

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

/// tests/fixtures/helpers/zero_args.txt, recorded from Linux 6.18 by
/// tests/fixtures/helpers/record.py --zero-args: each helper called with
/// r1-r5 = 0 in the first program type that may call it; the kernel refuses
/// the first argument a NULL scalar does not satisfy (`R<n> type=scalar
/// expected=<compatible register types>`), or earlier for might_sleep and
/// allowed(), or accepts.
const ZERO_ARGS_RECORDED: &str = include_str!("../../../../../tests/fixtures/helpers/zero_args.txt");

/// compatible_reg_types() of an argument base, as the kernel prints it.
fn compatible_types(base: ArgBase) -> &'static str {
    match base {
        ArgBase::PtrToCtx => "ctx",
        ArgBase::ConstMapPtr => "map_ptr",
        ArgBase::PtrToMem | ArgBase::PtrToMapKey | ArgBase::PtrToMapValue => {
            "fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
        }
        ArgBase::PtrToBtfIdSockCommon => "sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_",
        ArgBase::PtrToSockCommon => "sock_common, sock, tcp_sock, xdp_sock",
        ArgBase::PtrToBtfId => "ptr_, trusted_ptr_, rcu_ptr_",
        ArgBase::PtrToConstStr | ArgBase::PtrToTimer => "map_value",
        ArgBase::PtrToSpinLock | ArgBase::KptrXchgDest => "map_value, ptr_",
        ArgBase::PtrToRingbufMem => "ringbuf_mem",
        ArgBase::PtrToPercpuBtfId => "percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_",
        ArgBase::PtrToDynptr => "fp, dynptr_ptr",
        ArgBase::PtrToFunc => "func",
        other => panic!("no recorded compatible types for {other:?}"),
    }
}

/// What the kernel says of `p` called with r1-r5 = 0 (from a `sleepable`
/// program or not): its might_sleep or allowed() refusal, the first
/// argument a NULL scalar does not satisfy, or acceptance.
fn zero_args_answer(p: &Proto, sleepable: bool) -> String {
    if p.might_sleep && !sleepable {
        return "helper call might sleep in a non-sleepable prog".into();
    }
    if p.allowed.is_some() {
        return "helper call is not allowed in probe".into();
    }
    for (i, a) in p.arg_type.iter().enumerate() {
        match a.base {
            ArgBase::DontCare => break,
            // Scalars, and sizes whose memory was NULL (OR_NULL) before.
            ArgBase::Anything
            | ArgBase::Scalar
            | ArgBase::ConstSize
            | ArgBase::ConstSizeOrZero
            | ArgBase::ConstAllocSizeOrZero => {}
            _ if a.has(PTR_MAYBE_NULL) => {}
            base => return format!("R{} type=scalar expected={}", i + 1, compatible_types(base)),
        }
    }
    "accepted".into()
}

#[test]
fn argument_types_as_the_host_kernel_checks_them() {
    let mut checked = 0;
    for line in ZERO_ARGS_RECORDED.lines() {
        let f: Vec<&str> = line.split(" | ").collect();
        if f[1] == "-" {
            continue;
        }
        let id = crate::uapi::helper_ids::helper_id(f[0]).unwrap_or_else(|| panic!("{line}"));
        // The variant that program type gets is availability's business:
        // one of the helper's variants must answer so.
        // record.py loads syscall programs sleepable.
        let sleepable = f[1] == "syscall";
        let answers: Vec<String> = variants(id).map(|p| zero_args_answer(p, sleepable)).collect();
        assert!(
            answers.iter().any(|a| a == f[2]),
            "{line}: the catalogue says {answers:?}"
        );
        checked += 1;
    }
    assert!(checked > 150, "{checked} helpers checked");
}
