//! Clocks and random numbers (kernel/bpf/helpers.c).

use crate::runtime::RunEnv;

fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// bpf_ktime_get_ns(): CLOCK_MONOTONIC.
pub extern "C" fn ktime_get_ns(_: &RunEnv<'_>) -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

/// bpf_ktime_get_boot_ns(): CLOCK_BOOTTIME.
pub extern "C" fn ktime_get_boot_ns(_: &RunEnv<'_>) -> u64 {
    clock_ns(libc::CLOCK_BOOTTIME)
}

/// bpf_ktime_get_coarse_ns(): CLOCK_MONOTONIC_COARSE.
pub extern "C" fn ktime_get_coarse_ns(_: &RunEnv<'_>) -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC_COARSE)
}

/// bpf_ktime_get_tai_ns(): CLOCK_TAI.
pub extern "C" fn ktime_get_tai_ns(_: &RunEnv<'_>) -> u64 {
    clock_ns(libc::CLOCK_TAI)
}

/// The kernel's HZ on x86-64 distribution kernels.
const HZ: u64 = 250;
/// jiffies start at -300 s (INITIAL_JIFFIES) so they wrap early.
const INITIAL_JIFFIES: u64 = (-300i64 * HZ as i64) as u64 & 0xffff_ffff;

/// bpf_jiffies64(): jiffies since boot, from CLOCK_BOOTTIME.
pub extern "C" fn jiffies64(_: &RunEnv<'_>) -> u64 {
    INITIAL_JIFFIES.wrapping_add(clock_ns(libc::CLOCK_BOOTTIME) / (1_000_000_000 / HZ))
}

/// bpf_get_prandom_u32(): a per-run xorshift64* stream (the kernel's is
/// a per-CPU prandom state; only "looks random" is promised).
pub extern "C" fn get_prandom_u32(env: &RunEnv<'_>) -> u64 {
    let mut x = env.prandom.get().max(1);
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    env.prandom.set(x);
    (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32 as u64
}
