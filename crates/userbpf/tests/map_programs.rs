//! Maps as programs see them: ld_imm64 map sources resolved at load
//! (MAP_FD, MAP_VALUE, MAP_IDX, MAP_IDX_VALUE with fd_array), the program
//! holding its maps, prog info (map ids, xlated dumps with ids), the map
//! regions of guest memory and the helper bodies over them. Expected values
//! are derived from kernel/bpf/verifier.c and syscall.c by hand.

mod common;

use common::engines::{interpret_with_maps, run_bare, On};

use std::sync::Arc;

use userbpf::exec::{GuestMemory, HelperTable, Program, RegionKind, RunOptions};
use userbpf::isa::Insn;
use userbpf::maps::ARRAY_VALUE_OFF;
use userbpf::maps::{map_base, MapTable};
use userbpf::uapi::attr::prog_load as F;
use userbpf::uapi::types::{cmd, map_type, prog_type};
use userbpf::user_mem::UserBuffers;
use userbpf::{Errno, MapCreateRequest, Process, ProgLoadRequest};

fn ld_imm64(dst: u8, src: u8, imm: i32, next: i32) -> [Insn; 2] {
    [Insn::new(0x18, dst, src, 0, imm), Insn::new(0, 0, 0, 0, next)]
}

const EXIT: Insn = Insn {
    code: 0x95,
    dst: 0,
    src: 0,
    off: 0,
    imm: 0,
};

fn mov(dst: u8, imm: i32) -> Insn {
    Insn::new(0xb7, dst, 0, 0, imm)
}

fn map(p: &Process, t: u32, k: u32, v: u32, n: u32) -> u32 {
    p.map_create(&MapCreateRequest {
        map_type: t,
        key_size: k,
        value_size: v,
        max_entries: n,
        ..Default::default()
    })
    .unwrap()
}

fn load(p: &Process, t: u32, insns: Vec<Insn>) -> Result<u32, Errno> {
    p.prog_load(&ProgLoadRequest {
        prog_type: t,
        insns,
        ..Default::default()
    })
    .result
}

/// BPF_PROG_LOAD with an fd_array (and fd_array_cnt); the log too.
fn load_fd_array(p: &Process, insns: &[Insn], fds: Option<&[u32]>, cnt: u32) -> (Result<u32, Errno>, String) {
    let mut mem = UserBuffers::new();
    let code = userbpf::isa::insns_to_bytes(insns);
    let insns_at = mem.add(code);
    let lic = mem.add_cstr(b"GPL");
    let log = mem.add(vec![0u8; 4096]);
    let arr = fds.map_or(0, |f| {
        mem.add(f.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
    });
    let mut attr = vec![0u8; 152];
    let put32 = |a: &mut [u8], off: usize, v: u32| a[off..off + 4].copy_from_slice(&v.to_le_bytes());
    let put64 = |a: &mut [u8], off: usize, v: u64| a[off..off + 8].copy_from_slice(&v.to_le_bytes());
    put32(&mut attr, F::PROG_TYPE, prog_type::SOCKET_FILTER);
    put32(&mut attr, F::INSN_CNT, insns.len() as u32);
    put64(&mut attr, F::INSNS, insns_at);
    put64(&mut attr, F::LICENSE, lic);
    put32(&mut attr, F::LOG_LEVEL, 1);
    put32(&mut attr, F::LOG_SIZE, 4096);
    put64(&mut attr, F::LOG_BUF, log);
    put64(&mut attr, F::FD_ARRAY, arr);
    put32(&mut attr, F::FD_ARRAY_CNT, cnt);
    let r = p.sys_bpf(cmd::PROG_LOAD, &mut attr, 152, &mut mem);
    let text = mem.get(log).unwrap();
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    (r, String::from_utf8_lossy(&text[..end]).into_owned())
}

#[test]
fn a_direct_value_program_counts_in_the_map() {
    let (_bpf, p) = common::process::root();
    let fd = map(&p, map_type::ARRAY, 4, 8, 1);
    // r1 = &value[0] + 0; lock *(u64 *)(r1 + 0) += 5; r0 = *(u64 *)(r1 + 0)
    let mut insns = ld_imm64(1, 2, fd as i32, 0).to_vec();
    insns.extend([
        mov(2, 5),
        Insn::new(0xdb, 1, 2, 0, 0),
        Insn::new(0x79, 0, 1, 0, 0),
        EXIT,
    ]);
    let pfd = load(&p, prog_type::SOCKET_FILTER, insns).unwrap();
    let prog = p.prog_by_fd(pfd).unwrap();
    // The constant is the value's guest address: region 0, past the header.
    assert_eq!(prog.used_maps.len(), 1);
    let imm = prog.xlated[0].imm as u32 as u64 | (prog.xlated[1].imm as u32 as u64) << 32;
    assert_eq!(imm, map_base(0) + ARRAY_VALUE_OFF as u64);
    assert_eq!(prog.xlated[0].src, 0, "converted to a plain constant");

    let helpers = HelperTable::new();
    let mut last = 0;
    for _ in 0..3 {
        last = interpret_with_maps(&prog.xlated, &prog.used_maps, &helpers).unwrap();
    }
    assert_eq!(last, 15);
    assert_eq!(
        p.map_lookup(fd, &0u32.to_le_bytes(), 8, 0).unwrap(),
        15u64.to_le_bytes()
    );
}

#[test]
fn prog_info_names_the_maps_and_dumps_their_ids() {
    let (_bpf, p) = common::process::root();
    let h = map(&p, map_type::HASH, 4, 8, 4);
    let a = map(&p, map_type::ARRAY, 4, 8, 1);
    let mut insns = ld_imm64(1, 1, h as i32, 0).to_vec();
    insns.extend(ld_imm64(2, 2, a as i32, 4));
    insns.extend(ld_imm64(3, 1, h as i32, 0)); // the same map again
    insns.extend([mov(0, 0), EXIT]);
    let pfd = load(&p, prog_type::SOCKET_FILTER, insns).unwrap();
    let (hid, aid) = (p.map_info(h).unwrap().id, p.map_info(a).unwrap().id);
    let info = p.prog_info(pfd).unwrap();
    // bpf_insn_prepare_dump(): src_reg back to MAP_FD / MAP_VALUE, the map
    // id in imm, the value offset in the second slot.
    let x = &info.xlated;
    assert_eq!((x[0].src, x[0].imm as u32, x[1].imm), (1, hid, 0));
    assert_eq!((x[2].src, x[2].imm as u32, x[3].imm), (2, aid, 4));
    assert_eq!((x[4].src, x[4].imm as u32), (1, hid));
    // used_maps in first-use order, each once.
    let prog = p.prog_by_fd(pfd).unwrap();
    let ids: Vec<u32> = prog.used_maps.iter().map(|m| m.id()).collect();
    assert_eq!(ids, [hid, aid]);
}

#[test]
fn a_program_holds_its_maps() {
    let (bpf, p) = common::process::root();
    let fd = map(&p, map_type::HASH, 4, 8, 4);
    p.map_update(fd, &1u32.to_le_bytes(), &7u64.to_le_bytes(), 0).unwrap();
    let id = p.map_info(fd).unwrap().id;
    let mut insns = ld_imm64(1, 1, fd as i32, 0).to_vec();
    insns.extend([mov(0, 0), EXIT]);
    let pfd = load(&p, prog_type::SOCKET_FILTER, insns).unwrap();
    p.close(fd).unwrap();
    assert_eq!(bpf.map_count(), 1, "the program keeps the map");
    let again = p.map_get_fd_by_id(id).unwrap();
    assert_eq!(
        p.map_lookup(again, &1u32.to_le_bytes(), 8, 0).unwrap(),
        7u64.to_le_bytes()
    );
    p.close(again).unwrap();
    p.close(pfd).unwrap();
    assert_eq!((bpf.map_count(), bpf.prog_count(), bpf.memlock_pages()), (0, 0, 0));
    assert_eq!(p.map_get_fd_by_id(id), Err(Errno::ENOENT));
}

#[test]
fn fd_array_names_maps_by_index() {
    let (_bpf, p) = common::process::root();
    let a = map(&p, map_type::ARRAY, 4, 8, 1);
    let b = map(&p, map_type::HASH, 4, 8, 1);
    // MAP_IDX 1 and MAP_IDX_VALUE 0 (+4) through fd_array [a, b].
    let mut insns = ld_imm64(1, 5, 1, 0).to_vec();
    insns.extend(ld_imm64(2, 6, 0, 4));
    insns.extend([mov(0, 0), EXIT]);
    let (r, _) = load_fd_array(&p, &insns, Some(&[a, b]), 0);
    let prog = p.prog_by_fd(r.unwrap()).unwrap();
    let ids: Vec<u32> = prog.used_maps.iter().map(|m| m.id()).collect();
    assert_eq!(ids, [p.map_info(b).unwrap().id, p.map_info(a).unwrap().id]);

    // With fd_array_cnt every map is taken up front, in array order, even
    // one no instruction names.
    let c = map(&p, map_type::QUEUE, 0, 4, 1);
    let plain = vec![mov(0, 0), EXIT];
    let (r, _) = load_fd_array(&p, &plain, Some(&[c, a, c]), 3);
    let prog = p.prog_by_fd(r.unwrap()).unwrap();
    let ids: Vec<u32> = prog.used_maps.iter().map(|m| m.id()).collect();
    assert_eq!(ids, [p.map_info(c).unwrap().id, p.map_info(a).unwrap().id]);

    // Bad entries: the kernel's errno and log line.
    let (r, log) = load_fd_array(&p, &plain, Some(&[a, 99]), 2);
    assert_eq!(r, Err(Errno::EBADF));
    assert!(
        log.starts_with("fd 99 is not pointing to valid bpf_map or btf\n"),
        "{log}"
    );
    let (r, log) = load_fd_array(&p, &plain, Some(&[0]), 1);
    assert_eq!(r, Err(Errno::EINVAL));
    assert!(
        log.starts_with("fd 0 is not pointing to valid bpf_map or btf\n"),
        "{log}"
    );
    // MAP_IDX past the end of the array reads unmapped memory.
    let (r, _) = load_fd_array(
        &p,
        &ld_imm64(1, 5, 5, 0)
            .into_iter()
            .chain([mov(0, 0), EXIT])
            .collect::<Vec<_>>(),
        Some(&[a]),
        0,
    );
    assert_eq!(r, Err(Errno::EFAULT));
    // MAP_FD naming something else.
    let (r, log) = load_fd_array(
        &p,
        &ld_imm64(1, 1, 77, 0)
            .into_iter()
            .chain([mov(0, 0), EXIT])
            .collect::<Vec<_>>(),
        None,
        0,
    );
    assert_eq!(r, Err(Errno::EBADF));
    assert!(log.starts_with("fd 77 is not pointing to valid bpf_map\n"), "{log}");
}

#[test]
fn at_most_64_maps_per_program() {
    let (bpf, p) = common::process::root();
    let fds: Vec<u32> = (0..65).map(|_| map(&p, map_type::ARRAY, 4, 4, 1)).collect();
    let mut insns = Vec::new();
    for &fd in &fds {
        insns.extend(ld_imm64(1, 1, fd as i32, 0));
    }
    insns.extend([mov(0, 0), EXIT]);
    let (r, log) = load_fd_array(&p, &insns, None, 0);
    assert_eq!(r, Err(Errno::E2BIG));
    assert!(log.starts_with("The total number of maps per program has reached the limit of 64\n"));
    assert_eq!(bpf.prog_count(), 0);
    for fd in fds {
        p.close(fd).unwrap();
    }
    assert_eq!(
        (bpf.map_count(), bpf.memlock_pages()),
        (0, 0),
        "no map reference leaked"
    );
}

#[test]
fn prog_arrays_keep_the_first_program_type() {
    let (_bpf, p) = common::process::root();
    let pa = map(&p, map_type::PROG_ARRAY, 4, 4, 2);
    let user = |t| {
        let mut insns = ld_imm64(1, 1, pa as i32, 0).to_vec();
        insns.extend([mov(0, 0), EXIT]);
        load(&p, t, insns)
    };
    // bpf_check_tail_call(): the first loader fixes the owner...
    user(prog_type::SOCKET_FILTER).unwrap();
    user(prog_type::SOCKET_FILTER).unwrap();
    // ...and a program of another type can neither use nor join the array.
    assert_eq!(user(prog_type::XDP), Err(Errno::EINVAL));
    let xdp = load(&p, prog_type::XDP, vec![mov(0, 2), EXIT]).unwrap();
    assert_eq!(
        p.map_update(pa, &0u32.to_le_bytes(), &xdp.to_le_bytes(), 0),
        Err(Errno::EINVAL)
    );
    let sf = load(&p, prog_type::SOCKET_FILTER, vec![mov(0, 1), EXIT]).unwrap();
    p.map_update(pa, &0u32.to_le_bytes(), &sf.to_le_bytes(), 0).unwrap();
    // The slot holds the program: closing its fd doesn't free it.
    let sf_id = p.prog_info(sf).unwrap().id;
    p.close(sf).unwrap();
    let (m, _) = p.map_by_fd(pa).unwrap();
    let arr = m.downcast::<userbpf::maps::FdArray>().unwrap();
    assert_eq!(arr.prog_at(0).map(|p| p.id()), Some(sf_id));
    assert_eq!(
        p.map_lookup(pa, &0u32.to_le_bytes(), 4, 0).unwrap(),
        sf_id.to_le_bytes()
    );
}

#[test]
fn exclusive_maps_admit_only_their_program() {
    let (_bpf, p) = common::process::root();
    let body = |fd: i32| {
        let mut i = ld_imm64(1, 1, fd, 0).to_vec();
        i.extend([mov(0, 0), EXIT]);
        i
    };
    // The digest zeroes map fds, so it is known before the map exists.
    let digest = userbpf::prog::calc_digest(&body(0));
    let mut mem = UserBuffers::new();
    let hash_at = mem.add(digest.to_vec());
    let mut attr = vec![0u8; 92];
    for (off, v) in [(0, map_type::ARRAY), (4, 4), (8, 8), (12, 1), (88, 32)] {
        attr[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    attr[80..88].copy_from_slice(&hash_at.to_le_bytes());
    let fd = p.sys_bpf(cmd::MAP_CREATE, &mut attr, 92, &mut mem).unwrap();
    load(&p, prog_type::SOCKET_FILTER, body(fd as i32)).unwrap();
    let mut other = body(fd as i32);
    other[2] = mov(0, 1);
    let out = p.prog_load(&ProgLoadRequest {
        insns: other,
        log_level: 1,
        ..Default::default()
    });
    assert_eq!(out.result, Err(Errno::EACCES));
    assert!(
        out.log
            .starts_with("program's hash doesn't match map's excl_prog_hash\n"),
        "{}",
        out.log
    );
}

#[test]
fn helper_bodies_work_on_guest_memory() {
    let (_bpf, p) = common::process::root_with(userbpf::Config {
        possible_cpus: 2,
        ..Default::default()
    });
    let h = map(&p, map_type::HASH, 4, 8, 4);
    let pc = map(&p, map_type::PERCPU_ARRAY, 4, 4, 1);
    let tmpl = map(&p, map_type::ARRAY, 4, 8, 1);
    let aom = p
        .map_create(&MapCreateRequest {
            map_type: map_type::ARRAY_OF_MAPS,
            key_size: 4,
            value_size: 4,
            max_entries: 1,
            inner_map_fd: tmpl,
            ..Default::default()
        })
        .unwrap();
    let inner = map(&p, map_type::ARRAY, 4, 8, 1);
    p.map_update(aom, &0u32.to_le_bytes(), &inner.to_le_bytes(), 0).unwrap();
    let used: Vec<Arc<userbpf::maps::Map>> = [h, pc, aom].iter().map(|&fd| p.map_by_fd(fd).unwrap().0).collect();
    let mut scratch = [0u8; 16];
    let mut gm = GuestMemory::new();
    let t = MapTable::install(&used, &mut gm).unwrap();
    let buf = gm.add(&mut scratch, RegionKind::Stack);
    let (hh, pch, aomh) = (map_base(0), map_base(1), map_base(2));
    assert_eq!(t.resolve(hh).map(|m| m.id()), Some(used[0].id()));
    assert!(t.resolve(hh + 8).is_none() && t.resolve(map_base(9)).is_none());

    // Update through the helper body, look up, write through the pointer.
    gm.write_bytes(buf, &3u32.to_le_bytes()).unwrap();
    gm.write_bytes(buf + 8, &42u64.to_le_bytes()).unwrap();
    assert_eq!(t.map_update_elem(&mut gm, hh, buf, buf + 8, 0, 0).unwrap(), 0);
    assert_eq!(
        t.map_update_elem(&mut gm, hh, buf, buf + 8, 1, 0).unwrap(),
        (-17i64) as u64,
        "BPF_NOEXIST on a present key: -EEXIST"
    );
    let v = t.map_lookup_elem(&mut gm, hh, buf, 0).unwrap();
    assert_eq!(v >> 32, hh >> 32, "the value lies in the map's region");
    assert_eq!(gm.load(v, 8).unwrap(), 42);
    gm.store(v, 8, 43).unwrap();
    assert_eq!(p.map_lookup(h, &3u32.to_le_bytes(), 8, 0).unwrap(), 43u64.to_le_bytes());
    assert_eq!(t.map_delete_elem(&mut gm, hh, buf).unwrap(), 0);
    assert_eq!(t.map_lookup_elem(&mut gm, hh, buf, 0).unwrap(), 0);

    // Per-CPU: each CPU its own slot of the user-visible layout.
    gm.write_bytes(buf, &0u32.to_le_bytes()).unwrap();
    let c0 = t.map_lookup_elem(&mut gm, pch, buf, 0).unwrap();
    let c1 = t.map_lookup_elem(&mut gm, pch, buf, 1).unwrap();
    assert_eq!(c1 - c0, 8);
    gm.store(c1, 4, 0x77).unwrap();
    let all = p.map_lookup(pc, &0u32.to_le_bytes(), 16, 0).unwrap();
    assert_eq!(all, [0, 0, 0, 0, 0, 0, 0, 0, 0x77, 0, 0, 0, 0, 0, 0, 0]);

    // Map-in-map: the inner map's handle, usable like any other.
    let ih = t.map_lookup_elem(&mut gm, aomh, buf, 0).unwrap();
    assert_ne!(ih, 0);
    assert_eq!(t.resolve(ih).map(|m| m.id()), Some(p.map_info(inner).unwrap().id));
    let iv = t.map_lookup_elem(&mut gm, ih, buf, 0).unwrap();
    gm.store(iv, 8, 9).unwrap();
    assert_eq!(
        p.map_lookup(inner, &0u32.to_le_bytes(), 8, 0).unwrap(),
        9u64.to_le_bytes()
    );
    assert_eq!(
        t.map_lookup_elem(&mut gm, aomh, buf, 0).unwrap(),
        ih,
        "one region per inner map"
    );
    // A non-map handle is a helper failure, never a host access.
    assert!(t.map_lookup_elem(&mut gm, 0x1234, buf, 0).is_err());
}

#[test]
fn inlined_array_lookups_are_the_kernels_and_run_on_map_regions() {
    // The inlined lookup is post-verifier code (map pointer arithmetic the
    // full verifier refuses, as the kernel's would): load it structurally.
    let (_bpf, p) = common::process::root_with(userbpf::Config {
        verifier: userbpf::verifier::VerifierMode::Structural,
        ..Default::default()
    });
    let fd = map(&p, map_type::ARRAY, 4, 8, 4);
    let (m, _) = p.map_by_fd(fd).unwrap();
    let inline = m.ops().gen_lookup().unwrap();
    // The kernel's xlated code for an array:4:8:4 lookup (recorded in
    // tests/fixtures/prog_load/cases.json, case map_array_second_of_two,
    // instructions 5..12), from a CAP_PERFMON loader.
    let kernel = "07010000380100006120000000000000350003000400000067000000030000000f100000000000000500010000000000b700000000000000";
    assert_eq!(
        userbpf::isa::insns_to_bytes(&inline)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
        kernel
    );
    // Run it as a program: r1 = map handle, r2 = &key on the stack.
    p.map_update(fd, &2u32.to_le_bytes(), &0x55u64.to_le_bytes(), 0)
        .unwrap();
    let mut insns = vec![Insn::new(0x62, 10, 0, -4, 2)]; // *(u32 *)(r10 - 4) = 2
    insns.push(Insn::new(0xbf, 2, 10, 0, 0));
    insns.push(Insn::new(0x07, 2, 0, 0, -4));
    insns.extend(ld_imm64(1, 1, fd as i32, 0));
    insns.push(Insn::new(0x85, 0, 0, 0, 1)); // call bpf_map_lookup_elem
    insns.push(Insn::new(0x15, 0, 0, 1, 0)); // if r0 == 0 goto +1
    insns.push(Insn::new(0x79, 0, 0, 0, 0)); // r0 = *(u64 *)(r0 + 0)
    insns.push(EXIT);
    let pfd = load(&p, prog_type::SOCKET_FILTER, insns).unwrap();
    let prog = p.prog_by_fd(pfd).unwrap();
    // do_misc_fixups() put the inline form where the call was (the JIT is
    // on by default), and the jump over it still lands after it.
    assert_eq!(&prog.xlated[5..5 + inline.len()], &inline[..]);
    assert_eq!(prog.xlated[5 + inline.len()].off, 1);
    let r0 = interpret_with_maps(&prog.xlated, &prog.used_maps, &HelperTable::new()).unwrap();
    assert_eq!(r0, 0x55);
}

/// Hash lookups whose map the load path knows call the map's lookup
/// directly from JIT code (as the kernel's JIT calls
/// __htab_map_lookup_elem); the answers are the helper's: found values
/// through the stack key and through a key held in an array value, NULL for
/// a missing key, and the helper path when a run's maps are not the ones
/// compiled for.
#[test]
fn jit_hash_lookups_call_the_map_directly() {
    use userbpf::prog::Runtime;
    use userbpf::runtime::Engine;
    use userbpf::TestRunRequest;
    for trust in [false, true] {
        let (_bpf, p) = common::process::root_with(userbpf::Config {
            jit_trust_verifier: trust,
            ..Default::default()
        });
        let hash = map(&p, map_type::HASH, 4, 8, 8);
        let arr = map(&p, map_type::ARRAY, 4, 4, 1);
        p.map_update(hash, &7u32.to_le_bytes(), &100u64.to_le_bytes(), 0)
            .unwrap();
        p.map_update(hash, &9u32.to_le_bytes(), &20u64.to_le_bytes(), 0)
            .unwrap();
        // The array's one value holds key 9.
        p.map_update(arr, &0u32.to_le_bytes(), &9u32.to_le_bytes(), 0).unwrap();
        let call = Insn::new(0x85, 0, 0, 0, 1);
        let mut insns = vec![Insn::new(0x62, 10, 0, -4, 7)]; // *(u32 *)(r10 - 4) = 7
        insns.push(Insn::new(0xbf, 2, 10, 0, 0)); // r2 = r10 - 4
        insns.push(Insn::new(0x07, 2, 0, 0, -4));
        insns.extend(ld_imm64(1, 1, hash as i32, 0));
        insns.push(call);
        insns.push(mov(6, 0)); // r6 = found ? *r0 : 1000
        insns.push(Insn::new(0x55, 0, 0, 2, 0)); // if r0 != 0 goto +2
        insns.push(mov(6, 1000));
        insns.push(Insn::new(0x05, 0, 0, 1, 0));
        insns.push(Insn::new(0x79, 6, 0, 0, 0));
        // Key 5: missing, adds 1 when NULL.
        insns.push(Insn::new(0x62, 10, 0, -4, 5));
        insns.push(Insn::new(0xbf, 2, 10, 0, 0));
        insns.push(Insn::new(0x07, 2, 0, 0, -4));
        insns.extend(ld_imm64(1, 1, hash as i32, 0));
        insns.push(call);
        insns.push(Insn::new(0x55, 0, 0, 1, 0)); // if r0 != 0 goto +1
        insns.push(Insn::new(0x07, 6, 0, 0, 1)); // r6 += 1
                                                 // The key in the array's value (BPF_PSEUDO_MAP_VALUE): key 9.
        insns.extend(ld_imm64(2, 2, arr as i32, 0));
        insns.extend(ld_imm64(1, 1, hash as i32, 0));
        insns.push(call);
        insns.push(Insn::new(0x15, 0, 0, 2, 0)); // if r0 == 0 goto +2
        insns.push(Insn::new(0x79, 1, 0, 0, 0)); // r6 += *r0
        insns.push(Insn::new(0x0f, 6, 1, 0, 0));
        insns.push(Insn::new(0xbf, 0, 6, 0, 0));
        insns.push(EXIT);
        let pfd = load(&p, prog_type::SOCKET_FILTER, insns).unwrap();
        let prog = p.prog_by_fd(pfd).unwrap();
        let Runtime::Jit(jit) = &prog.runtime else {
            panic!("the JIT is on by default")
        };
        assert_eq!(
            jit.direct_call_sites().iter().filter(|&&(_, h)| h == 1).count(),
            3,
            "every lookup's map is known"
        );
        // `prog dump jited` names what the direct calls reach.
        let listing = jit.disassemble();
        assert_eq!(
            listing.matches("; bpf_map_lookup_elem, called directly").count(),
            3,
            "{listing}"
        );
        // 100 (key 7) + 1 (key 5 missing) + 20 (key 9) = 121, on both
        // engines.
        for engine in [Engine::Loaded, Engine::Interpreter] {
            let r = p
                .prog_test_run(&TestRunRequest {
                    prog_fd: pfd,
                    data_in: vec![0; 64],
                    repeat: 3,
                    engine,
                    ..Default::default()
                })
                .unwrap();
            assert_eq!(r.retval, 121, "{engine:?}, trust {trust}");
        }
        // The image run without the maps (the kernel's helpers, but no map
        // table): the direct calls are off, and the helper path reports
        // what the interpreter does. A trusting image refuses such memory.
        if !trust {
            let helpers = userbpf::runtime::kernel_helpers();
            let program = Program::new(prog.xlated.clone()).unwrap();
            let want = run_bare(On::Interpreter(&program), helpers, &RunOptions::default());
            let got = run_bare(On::Jit(jit), helpers, &RunOptions::default());
            assert!(want.is_err(), "no maps installed: {want:?}");
            assert_eq!(got, want);
        }
    }
}

/// Updates and deletes on arrays and hash tables call the map's own
/// operation from JIT code; the results are the helper's: r0 (0 or the
/// negative errno) and what user space reads back, the same on both
/// engines. Values derived from the kernel's rules by hand: BPF_NOEXIST on
/// a present key is -EEXIST, deleting from an array is -EINVAL, a missing
/// hash key -ENOENT (the same program through kbpf.py on Linux 6.18 left
/// the same record and map contents).
#[test]
fn jit_map_updates_and_deletes_call_the_map_directly() {
    use userbpf::prog::Runtime;
    use userbpf::runtime::Engine;
    use userbpf::TestRunRequest;
    let update = |map: u32, key: i32, value: i32, flags: i32| {
        let mut v = vec![
            Insn::new(0x62, 10, 0, -4, key),    // *(u32 *)(r10 - 4) = key
            Insn::new(0x7a, 10, 0, -16, value), // *(u64 *)(r10 - 16) = value
            Insn::new(0xbf, 2, 10, 0, 0),
            Insn::new(0x07, 2, 0, 0, -4),
            Insn::new(0xbf, 3, 10, 0, 0),
            Insn::new(0x07, 3, 0, 0, -16),
            mov(4, flags),
        ];
        v.extend(ld_imm64(1, 1, map as i32, 0));
        v.push(Insn::new(0x85, 0, 0, 0, 2));
        v
    };
    let delete = |map: u32, key: i32| {
        let mut v = vec![
            Insn::new(0x62, 10, 0, -4, key),
            Insn::new(0xbf, 2, 10, 0, 0),
            Insn::new(0x07, 2, 0, 0, -4),
        ];
        v.extend(ld_imm64(1, 1, map as i32, 0));
        v.push(Insn::new(0x85, 0, 0, 0, 3));
        v
    };
    // r6 = r6 * 256 + (r0 & 0xff): every call's r0 low byte, in order.
    let record = [
        Insn::new(0x67, 6, 0, 0, 8),
        Insn::new(0x57, 0, 0, 0, 0xff),
        Insn::new(0x0f, 6, 0, 0, 0),
    ];
    for engine in [Engine::Loaded, Engine::Interpreter] {
        let (_bpf, p) = common::process::root();
        let arr = map(&p, map_type::ARRAY, 4, 8, 4);
        let hash = map(&p, map_type::HASH, 4, 8, 4);
        let mut insns = vec![mov(6, 0)];
        for call in [
            update(arr, 1, 11, 0),  // 0
            update(arr, 9, 99, 0),  // index past max_entries: -E2BIG
            update(hash, 5, 55, 0), // 0
            update(hash, 5, 56, 1), // BPF_NOEXIST: -EEXIST
            delete(hash, 7),        // -ENOENT
            delete(arr, 1),         // -EINVAL
            update(hash, 6, 66, 0), // 0
            delete(hash, 6),        // 0
        ] {
            insns.extend(call);
            insns.extend(record);
        }
        // The 64-bit record into a one-element array's value
        // (BPF_PSEUDO_MAP_VALUE needs max_entries 1).
        let record_map = map(&p, map_type::ARRAY, 4, 8, 1);
        insns.extend(ld_imm64(1, 2, record_map as i32, 0));
        insns.push(Insn::new(0x7b, 1, 6, 0, 0)); // *(u64 *)(r1 + 0) = r6
        insns.push(mov(0, 0));
        insns.push(EXIT);
        let out = p.prog_load(&ProgLoadRequest {
            prog_type: prog_type::SOCKET_FILTER,
            insns,
            log_level: 1,
            ..Default::default()
        });
        let pfd = out.result.unwrap_or_else(|e| panic!("{e:?}: {}", out.log));
        if engine == Engine::Loaded {
            let prog = p.prog_by_fd(pfd).unwrap();
            let Runtime::Jit(jit) = &prog.runtime else {
                panic!("the JIT is on by default")
            };
            let sites = jit.direct_call_sites();
            assert_eq!(sites.iter().filter(|&&(_, h)| h == 2).count(), 5, "{sites:?}");
            assert_eq!(sites.iter().filter(|&&(_, h)| h == 3).count(), 3, "{sites:?}");
        }
        p.prog_test_run(&TestRunRequest {
            prog_fd: pfd,
            data_in: vec![0; 64],
            engine,
            ..Default::default()
        })
        .unwrap();
        // Low bytes of 0, -E2BIG (7), 0, -EEXIST (17), -ENOENT (2),
        // -EINVAL (22), 0, 0, first call in the top byte.
        let low = |e: u64| e.wrapping_neg() & 0xff;
        let want = [0, low(7), 0, low(17), low(2), low(22), 0, 0]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | b);
        let got = p.map_lookup(record_map, &0u32.to_le_bytes(), 8, 0).unwrap();
        assert_eq!(got, want.to_le_bytes(), "{engine:?}");
        assert_eq!(
            p.map_lookup(arr, &1u32.to_le_bytes(), 8, 0).unwrap(),
            11u64.to_le_bytes()
        );
        assert_eq!(
            p.map_lookup(hash, &5u32.to_le_bytes(), 8, 0).unwrap(),
            55u64.to_le_bytes()
        );
        assert_eq!(p.map_lookup(hash, &6u32.to_le_bytes(), 8, 0), Err(Errno::ENOENT));
    }
}
