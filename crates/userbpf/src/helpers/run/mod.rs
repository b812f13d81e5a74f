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

/// (id, body): ids and names as include/uapi/linux/bpf.h has them.
const HELPERS: &[(u32, Body)] = &[
    (1, Call(maps::lookup)),
    (2, Call(maps::update)),
    (3, Call(maps::delete)),
    (4, Call(mem::probe_read_compat)),
    (5, Env(time::ktime_get_ns)),
    (6, Call(format::trace_printk)),
    (7, Env(time::get_prandom_u32)),
    (8, Env(task::get_smp_processor_id)),
    (9, Call(net::skb_store_bytes)),
    (10, Call(net::l3_csum_replace)),
    (11, Call(net::l4_csum_replace)),
    (12, Call(maps::tail_call)),
    (14, Env(task::get_current_pid_tgid)),
    (15, Env(task::get_current_uid_gid)),
    (16, Call(task::get_current_comm)),
    (18, Call(net::skb_vlan_push)),
    (19, Call(net::skb_vlan_pop)),
    (25, Call(maps::perf_event_output)),
    (26, Call(net::skb_load_bytes)),
    (28, Call(net::csum_diff)),
    (34, Call(net::get_hash_recalc)),
    (38, Call(net::skb_change_tail)),
    (39, Call(net::skb_pull_data)),
    (42, Env(task::get_numa_node_id)),
    (44, Call(net::xdp_adjust_head)),
    (45, Call(mem::probe_read_compat_str)),
    (54, Call(net::xdp_adjust_meta)),
    (65, Call(net::xdp_adjust_tail)),
    (87, Call(maps::push)),
    (88, Call(maps::pop)),
    (89, Call(maps::peek)),
    (93, Call(maps::spin_lock)),
    (94, Call(maps::spin_unlock)),
    (105, Call(mem::strtol)),
    (106, Call(mem::strtoul)),
    (112, Call(mem::probe_read_user)),
    (113, Call(mem::probe_read_kernel)),
    (114, Call(mem::probe_read_user_str)),
    (115, Call(mem::probe_read_kernel_str)),
    (118, Env(time::jiffies64)),
    (125, Env(time::ktime_get_boot_ns)),
    (130, Call(maps::ringbuf_output)),
    (131, Call(maps::ringbuf_reserve)),
    (132, Call(maps::ringbuf_submit)),
    (133, Call(maps::ringbuf_discard)),
    (134, Call(maps::ringbuf_query)),
    (160, Env(time::ktime_get_coarse_ns)),
    (164, Call(callbacks::for_each_map_elem)),
    (165, Call(format::snprintf)),
    (181, Call(callbacks::bpf_loop)),
    (188, Call(net::xdp_get_buff_len)),
    (195, Call(maps::lookup_percpu)),
    (208, Env(time::ktime_get_tai_ns)),
];

/// The environment helper with this id, if it is one.
pub fn env_helper(id: i32) -> Option<EnvFn> {
    HELPERS.iter().find_map(|&(i, body)| match body {
        Env(f) if i as i32 == id => Some(crate::exec::EnvFn::<KernelEnv>(f)),
        _ => None,
    })
}

fn build() -> HelperTable<KernelEnv> {
    let mut t = HelperTable::default();
    for &(id, body) in HELPERS {
        let name = crate::uapi::helper_ids::helper_name(id as i32).unwrap_or("bpf_unknown");
        match body {
            Call(f) => t.register_call(id, name, f),
            Env(f) => t.register_call(id, name, move |c, _| Ok(f(c.env))),
        }
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
