//! The program object's life: IDs, fds, info, pins, the error path of
//! every load step, the security hook, memlock, and many threads at once.
//! Expected values come from the kernel's rules (kernel/bpf/syscall.c) and
//! kbpf.py recordings noted inline.

mod common;

use std::sync::Arc;

use userbpf::isa::Insn;
use userbpf::security::SecurityPolicy;
use userbpf::uapi::types::prog_type;
use userbpf::{Bpf, Config, Creds, Errno, LoadStep, ProgLoadRequest};

fn r0_exit(v: i32) -> Vec<Insn> {
    vec![Insn::new(0xb7, 0, 0, 0, v), Insn::new(0x95, 0, 0, 0, 0)]
}

fn req(insns: Vec<Insn>) -> ProgLoadRequest {
    ProgLoadRequest {
        insns,
        ..Default::default()
    }
}

fn assert_empty(bpf: &Bpf, p: &userbpf::Process) {
    assert_eq!(bpf.prog_count(), 0, "programs (IDs) left");
    assert!(bpf.kallsyms().is_empty(), "kallsyms entries left");
    assert_eq!(p.open_fds(), 0, "fds left");
    assert_eq!(bpf.memlock_pages(), 0, "memlock left");
}

#[test]
fn load_info_close() {
    let (bpf, p) = common::process::root();
    let mut r = req(r0_exit(7));
    r.name = b"seven".to_vec();
    let fd = p.prog_load(&r).result.unwrap();
    assert_eq!(fd, 3, "the lowest free fd after stdio");
    let info = p.prog_info(fd).unwrap();
    // kbpf.py: tag 9efe8873120741b3, xlated = the program, name as given.
    assert_eq!(info.tag_hex(), "9efe8873120741b3");
    assert_eq!(info.xlated, r0_exit(7));
    assert_eq!(info.xlated_len, 16);
    assert_eq!(info.name, "seven");
    assert!(info.gpl_compatible);
    assert_eq!(info.prog_type, prog_type::SOCKET_FILTER);
    assert_eq!(info.id, 1);
    assert_eq!(info.verified_insns, 2);
    p.close(fd).unwrap();
    assert_eq!(p.close(fd), Err(Errno::EBADF));
    assert_empty(&bpf, &p);
}

#[test]
fn ids_are_cyclic_fds_lowest_free() {
    let (bpf, p) = common::process::root();
    let a = p.prog_load(&req(r0_exit(1))).result.unwrap();
    let b = p.prog_load(&req(r0_exit(2))).result.unwrap();
    assert_eq!((a, b), (3, 4));
    p.close(a).unwrap();
    let c = p.prog_load(&req(r0_exit(3))).result.unwrap();
    assert_eq!(c, 3, "fd 3 is free again");
    assert_eq!(p.prog_info(c).unwrap().id, 3, "IDs are not reused");
    assert_eq!(p.prog_get_next_id(0), Ok(2));
    assert_eq!(p.prog_get_next_id(2), Ok(3));
    assert_eq!(p.prog_get_next_id(3), Err(Errno::ENOENT));
    // GET_FD_BY_ID takes a reference: the program survives its first fd.
    let d = p.prog_get_fd_by_id(2).unwrap();
    p.close(b).unwrap();
    assert_eq!(p.prog_info(d).unwrap().id, 2);
    assert_eq!(p.prog_get_fd_by_id(1), Err(Errno::ENOENT));
    p.close(c).unwrap();
    p.close(d).unwrap();
    assert_empty(&bpf, &p);
}

#[test]
fn id_commands_need_cap_sys_admin() {
    let bpf = Bpf::default();
    let root = bpf.process(Creds::ROOT);
    let fd = root.prog_load(&req(r0_exit(0))).result.unwrap();
    let mut creds = Creds::ROOT;
    creds.caps.sys_admin = false;
    let bpf_only = bpf.process(creds);
    assert_eq!(bpf_only.prog_get_next_id(0), Err(Errno::EPERM));
    assert_eq!(bpf_only.prog_get_fd_by_id(1), Err(Errno::EPERM));
    root.close(fd).unwrap();
}

#[test]
fn pins_hold_a_reference() {
    let (bpf, p) = common::process::root();
    let fd = p.prog_load(&req(r0_exit(5))).result.unwrap();
    p.obj_pin(fd, "/sys/fs/bpf/five").unwrap();
    assert_eq!(p.obj_pin(fd, "/sys/fs/bpf/five"), Err(Errno::EEXIST));
    assert_eq!(p.obj_pin(fd, "/tmp/five"), Err(Errno::EPERM));
    assert_eq!(p.obj_pin(fd, "/sys/fs/bpf/no/such/dir"), Err(Errno::ENOENT));
    assert_eq!(p.obj_pin(99, "/sys/fs/bpf/x"), Err(Errno::EBADF));
    assert_eq!(
        p.obj_pin(0, "/sys/fs/bpf/x"),
        Err(Errno::EINVAL),
        "stdin is no BPF object"
    );
    p.close(fd).unwrap();
    assert_eq!(bpf.prog_count(), 1, "the pin keeps the program");
    let again = p.obj_get("/sys/fs/bpf/five").unwrap();
    assert_eq!(p.prog_info(again).unwrap().xlated, r0_exit(5));
    assert_eq!(p.obj_get("/sys/fs/bpf/six"), Err(Errno::ENOENT));
    p.close(again).unwrap();
    bpf.unpin("/sys/fs/bpf/five").unwrap();
    assert_empty(&bpf, &p);
}

#[test]
fn every_step_fails_cleanly() {
    let (bpf, p) = common::process::root_with(Config {
        memlock_limit: Some(1 << 20),
        ..Config::default()
    });
    for step in LoadStep::ALL {
        // A distinctive errno proves the failure came from the injection.
        bpf.inject_load_fault(Some((step, Errno::ENOMEM)));
        let mut r = req(r0_exit(1));
        r.log_level = 1;
        let out = p.prog_load(&r);
        assert_eq!(out.result, Err(Errno::ENOMEM), "{step:?}");
        assert_empty(&bpf, &p);
    }
    bpf.inject_load_fault(None);
    let fd = p.prog_load(&req(r0_exit(1))).result.unwrap();
    assert!(bpf.memlock_pages() > 0);
    p.close(fd).unwrap();
    assert_empty(&bpf, &p);
}

#[test]
fn memlock_limit_refuses_with_eperm_and_uncharges() {
    // One page of RLIMIT_MEMLOCK: a 1-page program fits, a second does not.
    let (bpf, p) = common::process::root_with(Config {
        memlock_limit: Some(4096),
        ..Config::default()
    });
    let fd = p.prog_load(&req(r0_exit(1))).result.unwrap();
    assert_eq!(p.prog_load(&req(r0_exit(2))).result, Err(Errno::EPERM));
    p.close(fd).unwrap();
    let fd = p.prog_load(&req(r0_exit(2))).result.unwrap();
    p.close(fd).unwrap();
    assert_empty(&bpf, &p);
}

struct Refuse {
    at_load: bool,
}

impl SecurityPolicy for Refuse {
    fn prog_load(&self, _: &Creds, t: u32, _: u32) -> Result<(), Errno> {
        if self.at_load && t == prog_type::XDP {
            Err(Errno::EACCES)
        } else {
            Ok(())
        }
    }
    fn prog_fd(&self, _: &Creds, _: u32) -> Result<(), Errno> {
        if self.at_load {
            Ok(())
        } else {
            Err(Errno::ENOSYS)
        }
    }
}

#[test]
fn security_policy_refuses_with_its_own_errno() {
    let (bpf, p) = common::process::root();
    bpf.set_policy(Arc::new(Refuse { at_load: true }));
    let mut xdp = req(r0_exit(2));
    xdp.prog_type = prog_type::XDP;
    assert_eq!(p.prog_load(&xdp).result, Err(Errno::EACCES));
    let fd = p.prog_load(&req(r0_exit(1))).result.unwrap();
    p.close(fd).unwrap();
    // Refusing the fd, after the ID was published, still leaves nothing.
    bpf.set_policy(Arc::new(Refuse { at_load: false }));
    assert_eq!(p.prog_load(&req(r0_exit(1))).result, Err(Errno::ENOSYS));
    assert_empty(&bpf, &p);
}

#[test]
fn eight_threads_load_and_close_ten_thousand_programs() {
    let bpf = Bpf::new(Config {
        memlock_limit: Some(64 << 20),
        ..Config::default()
    });
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let bpf = bpf.clone();
            std::thread::spawn(move || {
                let p = bpf.process(Creds::ROOT);
                let mut held = Vec::new();
                for i in 0..1250 {
                    let fd = p.prog_load(&req(r0_exit(t * 10_000 + i))).result.unwrap();
                    held.push(fd);
                    // Keep a few open at a time so fds and IDs interleave.
                    if held.len() > 4 {
                        p.close(held.remove(0)).unwrap();
                    }
                }
                for fd in held {
                    p.close(fd).unwrap();
                }
                assert_eq!(p.open_fds(), 0);
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(bpf.prog_count(), 0);
    assert_eq!(bpf.memlock_pages(), 0);
}

#[test]
fn structural_check_is_reported_in_the_log() {
    let (bpf, p) = common::process::root_with(Config {
        verifier: userbpf::verifier::VerifierMode::Structural,
        ..Config::default()
    });
    let mut r = req(vec![Insn::new(0xb7, 0, 0, 0, 0)]);
    r.log_level = 2;
    let out = p.prog_load(&r);
    assert_eq!(out.result, Err(Errno::EINVAL));
    assert!(
        out.log
            .contains("userbpf: verifier mode structural: structure and attach rules checked, paths not explored\n"),
        "{}",
        out.log
    );
    // The kernel's text for this program (kbpf.py, insn_fall_off_end).
    assert!(
        out.log.ends_with("last insn is not an exit or jmp\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"),
        "{}",
        out.log
    );
    assert_eq!(out.log_true_size as usize, out.log.len() + 1);
    assert_eq!(bpf.prog_count(), 0);
}

#[test]
fn full_verifier_logs_the_failing_path_as_the_kernel() {
    // kbpf.py, insn_r10_write on Linux 6.18: the log of `r10 = 0; exit`.
    let (_bpf, p) = common::process::root();
    let mut r = req(vec![Insn::new(0xb7, 10, 0, 0, 0), Insn::new(0x95, 0, 0, 0, 0)]);
    r.log_level = 1;
    let out = p.prog_load(&r);
    assert_eq!(out.result, Err(Errno::EACCES));
    assert_eq!(
        out.log,
        "0: R1=ctx() R10=fp0\n0: (b7) r10 = 0\nframe pointer is read only\nprocessed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
    );
}

#[test]
fn jit_images_get_kallsyms_entries_for_their_lifetime() {
    // bpf_jit_enable=1 (the default): the program is JIT-compiled and
    // /proc/kallsyms shows bpf_prog_<tag>_<name> over its image.
    let (bpf, p) = common::process::root();
    let mut r = req(r0_exit(7));
    r.name = b"seven".to_vec();
    let fd = p.prog_load(&r).result.unwrap();
    let info = p.prog_info(fd).unwrap();
    assert!(info.jited_len > 0, "JIT image expected");
    let syms = bpf.kallsyms();
    assert_eq!(syms.len(), 1);
    assert!(
        syms[0].ends_with(" t bpf_prog_9efe8873120741b3_seven\t[bpf]"),
        "{}",
        syms[0]
    );
    p.close(fd).unwrap();
    assert_empty(&bpf, &p);

    // bpf_jit_enable=0: the interpreter, no image, no symbol.
    let (bpf, p) = common::process::root_with(Config {
        sysctls: userbpf::Sysctls {
            bpf_jit_enable: 0,
            ..Default::default()
        },
        ..Config::default()
    });
    let fd = p.prog_load(&req(r0_exit(7))).result.unwrap();
    assert_eq!(p.prog_info(fd).unwrap().jited_len, 0);
    assert!(bpf.kallsyms().is_empty());
    p.close(fd).unwrap();

    // Without CAP_SYS_ADMIN the image exists but is not listed.
    let bpf = Bpf::default();
    let mut creds = Creds::ROOT;
    creds.caps.sys_admin = false;
    let p = bpf.process(creds);
    let fd = p.prog_load(&req(r0_exit(7))).result.unwrap();
    assert!(bpf.kallsyms().is_empty());
    p.close(fd).unwrap();
}
