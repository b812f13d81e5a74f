//! The bpf(2) system call: one [`Bpf`] instance is one user-space "kernel"
//! (ID tables, pins, kallsyms, memlock accounts, sysctls); each caller is a
//! [`Process`] with its credentials and fd table. `Process::sys_bpf` takes
//! a command, the attr bytes and their size exactly as the syscall does.

pub(crate) mod btf_load;
pub(crate) mod fdtable;
pub(crate) mod idr;
pub(crate) mod ids;
pub(crate) mod kallsyms;
pub mod map_cmds;
pub(crate) mod obj_info;
pub(crate) mod pin;
pub(crate) mod prog_load;
pub mod request;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use crate::creds::{Creds, Sysctls};
use crate::maps::Map;
use crate::memlock::MemlockAccounts;
use crate::prog::Prog;
use crate::security::{AllowAll, SecurityPolicy};
use crate::uapi::types::cmd;
use crate::uapi::{Attr, Errno};
use crate::user_mem::UserMemory;
use fdtable::{FdObject, FdTable, DEFAULT_MAX_FDS};
use idr::Idr;
use kallsyms::Kallsyms;
pub use prog_load::LoadStep;

use crate::runtime::Engine;

/// Settings of one instance.
#[derive(Clone, Debug)]
pub struct Config {
    pub sysctls: Sysctls,
    /// RLIMIT_MEMLOCK in bytes; None: unlimited (memcg accounting, 5.11+).
    pub memlock_limit: Option<u64>,
    /// RLIMIT_NOFILE of each process.
    pub max_fds: usize,
    /// How much of the verifier runs.
    pub verifier: crate::verifier::VerifierMode,
    /// num_possible_cpus(): how many per-CPU copies per-CPU maps keep.
    pub possible_cpus: u32,
    /// Compile the loads and stores the full verifier proved in bounds
    /// without bounds checks, as the kernel's JIT does (faster packet
    /// loops). Off by default: a verifier bug would then be a wild host
    /// access instead of a clean fault.
    pub jit_trust_verifier: bool,
    /// The network devices (default: `lo` alone); see [`crate::netdev`].
    pub net_devices: Vec<crate::netdev::NetDevice>,
    /// The instance's kernel BTF (what /sys/kernel/btf/vmlinux is to the
    /// kernel): the BTF ids of kfunc calls and `__ksym` externs index it.
    /// None: a kernel without CONFIG_DEBUG_INFO_BTF, which refuses kfunc
    /// calls.
    pub kernel_btf: Option<Arc<crate::btf::Btf>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            sysctls: Sysctls::default(),
            memlock_limit: None,
            max_fds: DEFAULT_MAX_FDS,
            verifier: crate::verifier::VerifierMode::default(),
            possible_cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
            jit_trust_verifier: false,
            net_devices: vec![crate::netdev::NetDevice::loopback()],
            kernel_btf: None,
        }
    }
}

/// The shared state of an instance.
pub struct Kernel {
    pub(crate) config: Config,
    pub(crate) progs: Arc<Idr<Prog>>,
    pub(crate) maps: Arc<Idr<Map>>,
    pub(crate) memlock: Arc<MemlockAccounts>,
    pub(crate) kallsyms: Arc<Kallsyms>,
    pub(crate) pins: pin::Bpffs,
    /// Where bpf_trace_printk() writes.
    pub(crate) trace: crate::runtime::TracePipe,
    policy: RwLock<Arc<dyn SecurityPolicy>>,
    hooks: LoadHooks,
    boot: Instant,
}

/// One user-space BPF subsystem. Cheap to clone; Send + Sync.
#[derive(Clone)]
pub struct Bpf {
    kernel: Arc<Kernel>,
}

impl Default for Bpf {
    fn default() -> Self {
        Self::new(Config::default())
    }
}

impl Bpf {
    pub fn new(config: Config) -> Self {
        let memlock = MemlockAccounts::new(config.memlock_limit);
        Bpf {
            kernel: Arc::new(Kernel {
                config,
                progs: Idr::new(),
                maps: Idr::new(),
                memlock,
                kallsyms: Kallsyms::new(),
                pins: pin::Bpffs::default(),
                trace: Default::default(),
                policy: RwLock::new(Arc::new(AllowAll)),
                hooks: LoadHooks::default(),
                boot: Instant::now(),
            }),
        }
    }

    /// A new process with these credentials and an empty fd table.
    pub fn process(&self, creds: Creds) -> Process {
        Process {
            kernel: Arc::clone(&self.kernel),
            creds,
            fds: Mutex::new(FdTable::new(self.kernel.config.max_fds)),
            comm: Mutex::new(None),
        }
    }

    /// Replace the security policy (the LSM hooks).
    pub fn set_policy(&self, policy: Arc<dyn SecurityPolicy>) {
        *self.kernel.policy.write().expect("policy lock") = policy;
    }

    /// Make BPF_PROG_LOAD fail at `step` with `errno` (None: stop failing).
    /// For tests of the error path.
    pub fn inject_load_fault(&self, fault: Option<(LoadStep, Errno)>) {
        *self.kernel.hooks.fault.lock().expect("hooks lock") = fault;
        self.kernel.hooks.rearm();
    }

    /// Start (or stop) timing BPF_PROG_LOAD step by step; see
    /// [`Bpf::take_load_profile`].
    pub fn profile_loads(&self, on: bool) {
        *self.kernel.hooks.profile.lock().expect("hooks lock") = on.then(StepProfile::default);
        self.kernel.hooks.rearm();
    }

    /// Time spent in each load step since profiling started: (step, total,
    /// times entered), in step order. Profiling goes on.
    pub fn take_load_profile(&self) -> Vec<(LoadStep, std::time::Duration, u64)> {
        let mut g = self.kernel.hooks.profile.lock().expect("hooks lock");
        let Some(p) = g.as_mut() else { return Vec::new() };
        let out = LoadStep::ALL
            .iter()
            .filter_map(|s| p.totals.get(s).map(|&(d, n)| (*s, d, n)))
            .collect();
        p.totals.clear();
        out
    }

    /// Maps alive (IDs in use).
    pub fn map_count(&self) -> usize {
        self.kernel.maps.len()
    }

    /// Programs alive (IDs in use).
    pub fn prog_count(&self) -> usize {
        self.kernel.progs.len()
    }

    /// Pages of memlock charged to anyone.
    pub fn memlock_pages(&self) -> u64 {
        self.kernel.memlock.total_pages()
    }

    /// Read (and consume) what bpf_trace_printk() wrote, as reading
    /// /sys/kernel/tracing/trace_pipe does.
    pub fn trace_pipe(&self) -> Vec<String> {
        self.kernel.trace.drain()
    }

    /// The BPF lines of /proc/kallsyms.
    pub fn kallsyms(&self) -> Vec<String> {
        self.kernel.kallsyms.dump()
    }

    /// unlink(2) of a pinned object.
    pub fn unpin(&self, path: &str) -> Result<(), Errno> {
        self.kernel.pins.unlink(path)
    }

    pub fn config(&self) -> &Config {
        &self.kernel.config
    }
}

impl Kernel {
    pub(crate) fn policy(&self) -> Arc<dyn SecurityPolicy> {
        Arc::clone(&self.policy.read().expect("policy lock"))
    }

    /// Nanoseconds since this instance booted (ktime_get_boottime_ns).
    pub(crate) fn boottime_ns(&self) -> u64 {
        self.boot.elapsed().as_nanos() as u64
    }

    /// Entering a load step: time it if profiling, fail it if a fault is
    /// injected there.
    pub(crate) fn inject(&self, step: LoadStep) -> Result<(), Errno> {
        self.hooks.enter(Some(step))
    }

    /// The load finished (either way): close the last step's timing.
    pub(crate) fn load_done(&self) {
        let _ = self.hooks.enter(None);
    }
}

/// Test and measurement hooks of the load path; one relaxed atomic load per
/// step when unused.
#[derive(Default)]
struct LoadHooks {
    armed: AtomicBool,
    fault: Mutex<Option<(LoadStep, Errno)>>,
    profile: Mutex<Option<StepProfile>>,
}

#[derive(Default)]
struct StepProfile {
    totals: std::collections::HashMap<LoadStep, (std::time::Duration, u64)>,
    current: Option<(LoadStep, Instant)>,
}

impl LoadHooks {
    fn rearm(&self) {
        let on = self.fault.lock().expect("hooks lock").is_some() || self.profile.lock().expect("hooks lock").is_some();
        self.armed.store(on, Ordering::SeqCst);
    }

    fn enter(&self, step: Option<LoadStep>) -> Result<(), Errno> {
        if !self.armed.load(Ordering::Relaxed) {
            return Ok(());
        }
        if let Some(p) = self.profile.lock().expect("hooks lock").as_mut() {
            let now = Instant::now();
            if let Some((prev, since)) = p.current.take() {
                let e = p.totals.entry(prev).or_default();
                e.0 += now - since;
                e.1 += 1;
            }
            p.current = step.map(|s| (s, now));
        }
        match (*self.fault.lock().expect("hooks lock"), step) {
            (Some((s, e)), Some(step)) if s == step => Err(e),
            _ => Ok(()),
        }
    }
}

/// A caller: credentials and an fd table.
pub struct Process {
    pub(crate) kernel: Arc<Kernel>,
    pub creds: Creds,
    pub(crate) fds: Mutex<FdTable>,
    /// The calling task's comm as set with [`Process::set_comm`] (None:
    /// the real calling thread's).
    comm: Mutex<Option<[u8; 16]>>,
}

impl Process {
    /// The instance's kernel BTF ([`Config::kernel_btf`]).
    pub fn kernel_btf(&self) -> Option<&Arc<crate::btf::Btf>> {
        self.kernel.config.kernel_btf.as_ref()
    }

    /// Name the calling task, as prctl(PR_SET_NAME) does: at most 15
    /// bytes, NUL padded. bpf_get_current_comm() then returns it.
    pub fn set_comm(&self, name: &[u8]) {
        let mut comm = [0u8; 16];
        let name = name.split(|&b| b == 0).next().unwrap_or_default();
        let n = name.len().min(15);
        comm[..n].copy_from_slice(&name[..n]);
        *self.comm.lock().expect("comm lock") = Some(comm);
    }

    /// The task programs run for ("current"): the real caller's ids, with
    /// the comm set by [`Process::set_comm`] if any.
    pub(crate) fn current_task(&self) -> crate::runtime::Task {
        let comm = *self.comm.lock().expect("comm lock");
        crate::runtime::Task::host(comm)
    }

    /// bpf(cmd, attr, size). `attr` is the caller's attr memory (at least
    /// `size` bytes, else EFAULT); output fields are written back into it.
    /// Pointers inside the attr are resolved in `mem`. Returns the
    /// syscall's non-negative result (an fd, or 0).
    pub fn sys_bpf(&self, cmd: u32, attr: &mut [u8], size: u32, mem: &mut dyn UserMemory) -> Result<u32, Errno> {
        self.sys_bpf_on(cmd, attr, size, mem, Engine::Loaded)
    }

    /// [`sys_bpf`](Self::sys_bpf) with BPF_PROG_TEST_RUN on a chosen
    /// engine (the kernel always runs the runtime chosen at load).
    pub(crate) fn sys_bpf_on(
        &self,
        cmd: u32,
        attr: &mut [u8],
        size: u32,
        mem: &mut dyn UserMemory,
        engine: Engine,
    ) -> Result<u32, Errno> {
        let a = Attr::copy_in(attr, size as usize)?;
        self.kernel.policy().bpf(&self.creds, cmd)?;
        let mut out = AttrOut {
            user: attr,
            size: a.size,
        };
        match cmd {
            cmd::PROG_LOAD => {
                let r = prog_load::prog_load(self, &a, &mut out, mem);
                self.kernel.load_done();
                r
            }
            cmd::PROG_TEST_RUN => crate::test_run::prog_test_run(self, &a, &mut out, mem, engine),
            cmd::OBJ_GET_INFO_BY_FD => obj_info::get_info_by_fd(self, &a, &mut out, mem),
            cmd::PROG_GET_NEXT_ID => ids::prog_get_next_id(self, &a, &mut out),
            cmd::PROG_GET_FD_BY_ID => ids::prog_get_fd_by_id(self, &a),
            cmd::MAP_CREATE => map_cmds::map_create(self, &a, mem),
            cmd::MAP_LOOKUP_ELEM => map_cmds::map_lookup_elem(self, &a, mem),
            cmd::MAP_UPDATE_ELEM => map_cmds::map_update_elem(self, &a, mem),
            cmd::MAP_DELETE_ELEM => map_cmds::map_delete_elem(self, &a, mem),
            cmd::MAP_GET_NEXT_KEY => map_cmds::map_get_next_key(self, &a, mem),
            cmd::MAP_LOOKUP_AND_DELETE_ELEM => map_cmds::map_lookup_and_delete_elem(self, &a, mem),
            cmd::MAP_FREEZE => map_cmds::map_freeze(self, &a),
            cmd::MAP_LOOKUP_BATCH
            | cmd::MAP_LOOKUP_AND_DELETE_BATCH
            | cmd::MAP_UPDATE_BATCH
            | cmd::MAP_DELETE_BATCH => map_cmds::map_do_batch(self, &a, &mut out, mem, cmd),
            cmd::MAP_GET_NEXT_ID => map_cmds::map_get_next_id(self, &a, &mut out),
            cmd::MAP_GET_FD_BY_ID => map_cmds::map_get_fd_by_id(self, &a),
            cmd::OBJ_PIN => pin::obj_pin(self, &a, mem),
            cmd::BTF_LOAD => btf_load::btf_load(self, &a, mem),
            cmd::OBJ_GET => pin::obj_get(self, &a, mem),
            _ => Err(Errno::EINVAL),
        }
    }

    /// close(2).
    pub fn close(&self, fd: u32) -> Result<(), Errno> {
        let obj = self.fds.lock().expect("fd lock").close(fd)?;
        drop(obj); // the reference goes outside the fd lock
        Ok(())
    }

    /// Open BPF fds of this process.
    pub fn open_fds(&self) -> usize {
        self.fds.lock().expect("fd lock").bpf_fds()
    }

    pub(crate) fn install_fd(&self, obj: FdObject) -> Result<u32, Errno> {
        self.fds.lock().expect("fd lock").install(obj)
    }

    /// The program behind `fd`: EBADF if not open, EINVAL if not a program.
    pub fn prog_by_fd(&self, fd: u32) -> Result<Arc<Prog>, Errno> {
        match self.fds.lock().expect("fd lock").get(fd) {
            None => Err(Errno::EBADF),
            Some(FdObject::Prog(p)) => Ok(Arc::clone(p)),
            Some(_) => Err(Errno::EINVAL),
        }
    }

    /// A new fd for `prog` (bpf_prog_new_fd): the security hook, then the
    /// lowest free fd.
    pub(crate) fn new_prog_fd(&self, prog: Arc<Prog>) -> Result<u32, Errno> {
        self.kernel.policy().prog_fd(&self.creds, prog.id())?;
        self.install_fd(FdObject::Prog(prog))
    }
}

/// The caller's attr, for output fields written back (copy_to_user into
/// uattr). Writes beyond the size the caller passed are not made.
pub(crate) struct AttrOut<'a> {
    user: &'a mut [u8],
    size: usize,
}

impl AttrOut<'_> {
    /// Write a u32 at `off` if the caller's attr covers it.
    pub(crate) fn put_u32(&mut self, off: usize, v: u32) {
        if off + 4 <= self.size {
            self.user[off..off + 4].copy_from_slice(&v.to_le_bytes());
        }
    }
}
