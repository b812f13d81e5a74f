//! Helper implementations: what `call N` does at run time, by the
//! kernel's helper ids. Each works on guest memory and the run's
//! environment ([`RunEnv`]) only.
//!
//! A helper the verifier lets a program call but that is missing here
//! stops the run with `Fault::UnknownHelper`, never a guess.

mod callbacks;
mod format;
mod maps;
mod mem;
mod net;
mod task;
mod time;

pub use format::format_printk;
pub use net::XDP_TAILROOM;
pub(crate) use net::{csum_fold, csum_partial};

use std::sync::OnceLock;

use crate::exec::helper_table::{HelperExit, HelperTable};
use crate::runtime::{KernelEnv, RunEnv};
use crate::uapi::helper_ids::func::*;
use crate::uapi::Errno;

/// What a helper sees of a loaded program's run.
pub(crate) type HelperCall<'c, 'm> = crate::exec::HelperCall<'c, 'm, KernelEnv>;

/// An environment helper over a loaded program's run, which the JIT may
/// call directly or inline.
pub type EnvFn = crate::exec::EnvFn<KernelEnv>;

/// The helper return value of a negative errno.
pub(crate) fn neg(e: Errno) -> u64 {
    (-(e.0 as i64)) as u64
}

/// The table every loaded program runs with.
pub fn kernel_helpers() -> &'static HelperTable<KernelEnv> {
    static TABLE: OnceLock<HelperTable<KernelEnv>> = OnceLock::new();
    TABLE.get_or_init(build)
}

/// What a helper is: a function of the call (guest memory and the
/// environment), or an environment helper, whose answer depends on the
/// run's environment alone (no arguments, no memory, no failure): the JIT
/// calls those directly (exec/jit/direct.rs), the table through a wrapper.
#[derive(Clone, Copy)]
enum Body {
    Call(for<'c, 'm> fn(&mut HelperCall<'c, 'm>, &[u64; 5]) -> Result<u64, HelperExit>),
    Env(for<'a, 'm> extern "C" fn(&'a RunEnv<'m>) -> u64),
}

use Body::{Call, Env};

/// (id, body), by the uapi's helper ids.
const HELPERS: &[(i32, Body)] = &[
    (BPF_FUNC_MAP_LOOKUP_ELEM, Call(maps::lookup)),
    (BPF_FUNC_MAP_UPDATE_ELEM, Call(maps::update)),
    (BPF_FUNC_MAP_DELETE_ELEM, Call(maps::delete)),
    (BPF_FUNC_PROBE_READ, Call(mem::probe_read_compat)),
    (BPF_FUNC_KTIME_GET_NS, Env(time::ktime_get_ns)),
    (BPF_FUNC_TRACE_PRINTK, Call(format::trace_printk)),
    (BPF_FUNC_GET_PRANDOM_U32, Env(time::get_prandom_u32)),
    (BPF_FUNC_GET_SMP_PROCESSOR_ID, Env(task::get_smp_processor_id)),
    (BPF_FUNC_SKB_STORE_BYTES, Call(net::skb_store_bytes)),
    (BPF_FUNC_L3_CSUM_REPLACE, Call(net::l3_csum_replace)),
    (BPF_FUNC_L4_CSUM_REPLACE, Call(net::l4_csum_replace)),
    (BPF_FUNC_TAIL_CALL, Call(maps::tail_call)),
    (BPF_FUNC_GET_CURRENT_PID_TGID, Env(task::get_current_pid_tgid)),
    (BPF_FUNC_GET_CURRENT_UID_GID, Env(task::get_current_uid_gid)),
    (BPF_FUNC_GET_CURRENT_COMM, Call(task::get_current_comm)),
    (BPF_FUNC_SKB_VLAN_PUSH, Call(net::skb_vlan_push)),
    (BPF_FUNC_SKB_VLAN_POP, Call(net::skb_vlan_pop)),
    (BPF_FUNC_PERF_EVENT_OUTPUT, Call(maps::perf_event_output)),
    (BPF_FUNC_SKB_LOAD_BYTES, Call(net::skb_load_bytes)),
    (BPF_FUNC_CSUM_DIFF, Call(net::csum_diff)),
    (BPF_FUNC_GET_HASH_RECALC, Call(net::get_hash_recalc)),
    (BPF_FUNC_SKB_CHANGE_TAIL, Call(net::skb_change_tail)),
    (BPF_FUNC_SKB_PULL_DATA, Call(net::skb_pull_data)),
    (BPF_FUNC_GET_NUMA_NODE_ID, Env(task::get_numa_node_id)),
    (BPF_FUNC_XDP_ADJUST_HEAD, Call(net::xdp_adjust_head)),
    (BPF_FUNC_PROBE_READ_STR, Call(mem::probe_read_compat_str)),
    (BPF_FUNC_XDP_ADJUST_META, Call(net::xdp_adjust_meta)),
    (BPF_FUNC_XDP_ADJUST_TAIL, Call(net::xdp_adjust_tail)),
    (BPF_FUNC_MAP_PUSH_ELEM, Call(maps::push)),
    (BPF_FUNC_MAP_POP_ELEM, Call(maps::pop)),
    (BPF_FUNC_MAP_PEEK_ELEM, Call(maps::peek)),
    (BPF_FUNC_SPIN_LOCK, Call(maps::spin_lock)),
    (BPF_FUNC_SPIN_UNLOCK, Call(maps::spin_unlock)),
    (BPF_FUNC_STRTOL, Call(mem::strtol)),
    (BPF_FUNC_STRTOUL, Call(mem::strtoul)),
    (BPF_FUNC_PROBE_READ_USER, Call(mem::probe_read_user)),
    (BPF_FUNC_PROBE_READ_KERNEL, Call(mem::probe_read_kernel)),
    (BPF_FUNC_PROBE_READ_USER_STR, Call(mem::probe_read_user_str)),
    (BPF_FUNC_PROBE_READ_KERNEL_STR, Call(mem::probe_read_kernel_str)),
    (BPF_FUNC_JIFFIES64, Env(time::jiffies64)),
    (BPF_FUNC_KTIME_GET_BOOT_NS, Env(time::ktime_get_boot_ns)),
    (BPF_FUNC_RINGBUF_OUTPUT, Call(maps::ringbuf_output)),
    (BPF_FUNC_RINGBUF_RESERVE, Call(maps::ringbuf_reserve)),
    (BPF_FUNC_RINGBUF_SUBMIT, Call(maps::ringbuf_submit)),
    (BPF_FUNC_RINGBUF_DISCARD, Call(maps::ringbuf_discard)),
    (BPF_FUNC_RINGBUF_QUERY, Call(maps::ringbuf_query)),
    (BPF_FUNC_KTIME_GET_COARSE_NS, Env(time::ktime_get_coarse_ns)),
    (BPF_FUNC_FOR_EACH_MAP_ELEM, Call(callbacks::for_each_map_elem)),
    (BPF_FUNC_SNPRINTF, Call(format::snprintf)),
    (BPF_FUNC_LOOP, Call(callbacks::bpf_loop)),
    (BPF_FUNC_XDP_GET_BUFF_LEN, Call(net::xdp_get_buff_len)),
    (BPF_FUNC_MAP_LOOKUP_PERCPU_ELEM, Call(maps::lookup_percpu)),
    (BPF_FUNC_KTIME_GET_TAI_NS, Env(time::ktime_get_tai_ns)),
];

/// The environment helper with this id, if it is one.
pub fn env_helper(id: i32) -> Option<EnvFn> {
    HELPERS.iter().find_map(|&(i, body)| match body {
        Env(f) if i == id => Some(crate::exec::EnvFn::<KernelEnv>(f)),
        _ => None,
    })
}

fn build() -> HelperTable<KernelEnv> {
    let mut t = HelperTable::default();
    for &(id, body) in HELPERS {
        let name = crate::uapi::helper_ids::helper_name(id).unwrap_or("bpf_unknown");
        match body {
            Call(f) => t.register_call(id as u32, name, f),
            Env(f) => t.register_call(id as u32, name, move |c, _| Ok(f(c.env))),
        }
    }
    // BPF_FUNC_MAP_LOOKUP_ELEM above is maps::lookup: MapTable::map_lookup_elem.
    t.with_direct_map_lookup()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_helper_has_its_kernel_name() {
        for &(id, _) in super::HELPERS {
            assert!(crate::uapi::helper_ids::helper_name(id).is_some(), "helper {id}");
        }
    }
}
