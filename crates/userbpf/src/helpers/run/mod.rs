//! Helper implementations: what `call N` does at run time, by the
//! kernel's helper ids. Each works on guest memory and the run's
//! environment ([`RunEnv`](crate::runtime::RunEnv)) only.
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

pub use format::{format_printk, FormatError};
pub use net::XDP_TAILROOM;
pub(crate) use net::{csum_fold, csum_partial};

use std::sync::OnceLock;

use crate::exec::helper_table::{HelperCall, HelperExit, HelperTable};
pub use crate::exec::jit::direct::EnvFn;
use crate::uapi::Errno;

/// The helper return value of a negative errno.
pub(crate) fn neg(e: Errno) -> u64 {
    (-(e.0 as i64)) as u64
}

/// The table every loaded program runs with.
pub fn kernel_helpers() -> &'static HelperTable {
    static TABLE: OnceLock<HelperTable> = OnceLock::new();
    TABLE.get_or_init(build)
}

type Body = for<'c, 'm> fn(&mut HelperCall<'c, 'm>, &[u64; 5]) -> Result<u64, HelperExit>;

/// (id, body): ids and names as include/uapi/linux/bpf.h has them.
const HELPERS: &[(u32, Body)] = &[
    (1, maps::lookup),
    (2, maps::update),
    (3, maps::delete),
    (4, mem::probe_read_compat),
    (6, format::trace_printk),
    (9, net::skb_store_bytes),
    (10, net::l3_csum_replace),
    (11, net::l4_csum_replace),
    (12, maps::tail_call),
    (16, task::get_current_comm),
    (18, net::skb_vlan_push),
    (19, net::skb_vlan_pop),
    (25, maps::perf_event_output),
    (26, net::skb_load_bytes),
    (28, net::csum_diff),
    (34, net::get_hash_recalc),
    (38, net::skb_change_tail),
    (39, net::skb_pull_data),
    (44, net::xdp_adjust_head),
    (45, mem::probe_read_compat_str),
    (54, net::xdp_adjust_meta),
    (65, net::xdp_adjust_tail),
    (87, maps::push),
    (88, maps::pop),
    (89, maps::peek),
    (93, maps::spin_lock),
    (94, maps::spin_unlock),
    (105, mem::strtol),
    (106, mem::strtoul),
    (112, mem::probe_read_user),
    (113, mem::probe_read_kernel),
    (114, mem::probe_read_user_str),
    (115, mem::probe_read_kernel_str),
    (130, maps::ringbuf_output),
    (131, maps::ringbuf_reserve),
    (132, maps::ringbuf_submit),
    (133, maps::ringbuf_discard),
    (134, maps::ringbuf_query),
    (164, callbacks::for_each_map_elem),
    (165, format::snprintf),
    (181, callbacks::bpf_loop),
    (188, net::xdp_get_buff_len),
    (195, maps::lookup_percpu),
];

/// Helpers whose answer depends on the run's environment alone (no
/// arguments, no memory, no failure): the JIT calls them directly
/// (exec/jit/direct.rs), the table through a wrapper.
const ENV_HELPERS: &[(u32, EnvFn)] = &[
    (5, time::ktime_get_ns),
    (7, time::get_prandom_u32),
    (8, task::get_smp_processor_id),
    (14, task::get_current_pid_tgid),
    (15, task::get_current_uid_gid),
    (42, task::get_numa_node_id),
    (118, time::jiffies64),
    (125, time::ktime_get_boot_ns),
    (160, time::ktime_get_coarse_ns),
    (208, time::ktime_get_tai_ns),
];

/// The environment helper with this id, if it is one.
pub fn env_helper(id: i32) -> Option<EnvFn> {
    ENV_HELPERS.iter().find(|&&(i, _)| i as i32 == id).map(|&(_, f)| f)
}

fn build() -> HelperTable {
    let mut t = HelperTable::new();
    for &(id, body) in ENV_HELPERS {
        t.register_call(
            id,
            crate::uapi::helper_ids::helper_name(id as i32).unwrap_or("bpf_unknown"),
            move |c, _| Ok(body(c.env)),
        );
    }
    for &(id, body) in HELPERS {
        t.register_call(
            id,
            crate::uapi::helper_ids::helper_name(id as i32).unwrap_or("bpf_unknown"),
            body,
        );
    }
    // Helper 1 above is maps::lookup: MapTable::map_lookup_elem.
    t.with_direct_map_lookup()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_helper_has_its_kernel_name() {
        for &(id, _) in super::HELPERS {
            assert!(crate::uapi::helper_ids::helper_name(id as i32).is_some(), "helper {id}");
        }
    }
}
