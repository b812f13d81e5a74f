//! Which program types may call which helper: each program type's
//! `get_func_proto` (bpf_base_func_proto, sk_filter_func_proto,
//! tc_cls_act_func_proto, xdp_func_proto, ... in net/core/filter.c and
//! kernel/trace/bpf_trace.c), for the pairs modelled so far.

use crate::uapi::types::prog_type as pt;

/// bpf_base_func_proto(): what every program type gets; the second and
/// third tiers need CAP_BPF and CAP_PERFMON (`privileged`).
fn base(id: i32, privileged: bool) -> bool {
    match id {
        1 | 2 | 3 | 87 | 88 | 89 | 195 | 7 | 8 | 42 | 12 | 5 | 125 | 208 | 130..=134 | 182 | 105 | 106 | 14 | 120 => {
            true
        }
        93 | 94 | 118 | 153 | 154 | 169..=172 | 194 | 164 | 181 | 209 | 197..=203 | 210 | 211 | 80 | 123 => privileged,
        6 | 35 | 158 | 112 | 113 | 114 | 115 | 149 | 165 | 175 | 177 => privileged,
        _ => false,
    }
}

/// Helpers whose availability per program type is modelled below.
const KNOWN: &[i32] = &[
    0, 1, 2, 3, 130, 131, 132, 133, 134, 5, 6, 7, 8, 9, 12, 14, 23, 26, 34, 35, 44, 46, 47, 65, 80, 93, 94, 112, 113,
    114, 115, 118, 125, 181, 211,
];

/// Whether programs of `prog_type` may call helper `id` (the program
/// type's get_func_proto returns a proto). None: not modelled.
pub fn available(prog_type: u32, id: i32, privileged: bool) -> Option<bool> {
    if id == 0 {
        return Some(false);
    }
    // Per-type additions to the base set, for the helpers in KNOWN (and a
    // few more that are certain).
    let extra: &[i32] = match prog_type {
        pt::SOCKET_FILTER => &[25, 26, 46, 47],
        pt::SCHED_CLS | pt::SCHED_ACT => &[9, 10, 11, 13, 23, 25, 26, 28, 34, 46, 47],
        pt::XDP => &[23, 25, 28, 44, 54, 65],
        pt::CGROUP_SKB => &[25, 26, 46, 47],
        pt::LWT_IN | pt::LWT_OUT => &[25, 26, 34],
        pt::SK_SKB => &[9, 26, 46, 47],
        pt::SOCK_OPS => &[46],
        pt::CGROUP_SOCK => &[46],
        pt::FLOW_DISSECTOR => &[26],
        pt::KPROBE | pt::TRACEPOINT | pt::PERF_EVENT | pt::RAW_TRACEPOINT => {
            &[4, 6, 14, 15, 16, 25, 35, 45, 80, 112, 113, 114, 115]
        }
        // Other types: only what every type gets (bpf_base_func_proto) is
        // known; their own additions are not modelled.
        _ => {
            return base(id, privileged).then_some(true);
        }
    };
    if extra.contains(&id) {
        return Some(true);
    }
    if base(id, privileged) {
        return Some(true);
    }
    if KNOWN.contains(&id) {
        // Tracing programs get trace_printk, probe_read_* and the current
        // task helpers whatever the capabilities; the rest of KNOWN that is
        // neither base nor extra is unavailable.
        return Some(false);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_from_the_corpus() {
        // Kernel-recorded: "program of this type cannot use helper ...".
        assert_eq!(available(pt::SOCKET_FILTER, 23, true), Some(false));
        assert_eq!(available(pt::XDP, 46, true), Some(false));
        assert_eq!(available(pt::XDP, 26, true), Some(false));
        assert_eq!(available(pt::KPROBE, 34, true), Some(false));
        assert_eq!(available(pt::SOCKET_FILTER, 9, true), Some(false));
        // Kernel-recorded acceptances and argument errors.
        assert_eq!(available(pt::XDP, 23, true), Some(true));
        assert_eq!(available(pt::LWT_IN, 34, true), Some(true));
        assert_eq!(available(pt::SOCKET_FILTER, 113, true), Some(true));
        assert_eq!(available(pt::CGROUP_SKB, 211, true), Some(true));
    }
}
