//! The loader's libbpf conventions beyond maps and data: `SEC("?...")`
//! programs (autoload off), prog arrays filled from `values` after the
//! programs load, and `__ksym` externs (kfunc calls, kernel variables)
//! resolved against a kernel BTF: the instructions it writes, checked by
//! hand against libbpf's rules (bpf_object__relocate_data), and the
//! kernel's checks of kfunc calls before the verifier's walk, with the
//! messages the kernel printed (kbpf.py, Linux 6.18).

mod common;

use common::fixtures::{bundled_kernel_btf, elf_dir};

use userbpf::isa::Insn;
use userbpf::obj::{LoadOptions, LoadedObject, ObjError, Object};
use userbpf::uapi::types::prog_type;
use userbpf::uapi::Errno;
use userbpf::Config;

fn object(file: &str) -> Object {
    let data = std::fs::read(elf_dir().join(file)).expect("fixture");
    Object::parse(file.trim_end_matches(".o"), &data).unwrap_or_else(|e| panic!("{file}: {e}"))
}

fn with_kernel_btf() -> (userbpf::Bpf, userbpf::Process) {
    common::process::root_with(Config {
        kernel_btf: Some(bundled_kernel_btf()),
        ..Config::default()
    })
}

#[test]
fn question_mark_programs_are_not_autoloaded() {
    let obj = object("autoload_prefix.o");
    let autoload: Vec<(&str, bool)> = obj.programs.iter().map(|p| (p.name(), p.autoload)).collect();
    assert_eq!(autoload, [("xdp_optional", false), ("xdp_always", true)]);
    // libbpf forgets the '?': the section name is "xdp".
    assert_eq!(obj.programs[0].section, "xdp");
    let (_bpf, p) = common::process::root();
    let loaded = LoadedObject::load_all(&p, &obj, &LoadOptions::default()).unwrap();
    assert!(loaded.prog_fd("xdp_always").is_some());
    assert!(loaded.prog_fd("xdp_optional").is_none());
    let loaded = LoadedObject::load_selected(&p, &obj, &LoadOptions::default(), &["xdp_optional"]).unwrap();
    assert!(loaded.prog_fd("xdp_optional").is_some());
}

#[test]
fn prog_array_values_need_their_programs_loaded() {
    let obj = object("prog_array_init.o");
    let jmp = obj.maps.iter().find(|m| m.name == "jmp_table").unwrap();
    assert_eq!(jmp.prog_slots, [(0, "tail_a".to_string()), (2, "tail_b".to_string())]);
    let (_bpf, p) = common::process::root();
    // libbpf: bpf_program__fd() of an unloaded program is -ENOENT; the
    // update of the prog array with fd -2 fails with EBADF.
    let err = LoadedObject::load_selected(&p, &obj, &LoadOptions::default(), &["tail_entry"])
        .err()
        .expect("slot 0 names tail_a, not loaded");
    match err {
        ObjError::ProgArraySlot {
            map,
            slot,
            program,
            fd,
            errno,
        } => {
            assert_eq!(
                (map.as_str(), slot, program.as_str(), fd, errno),
                ("jmp_table", 0, "tail_a", -2, Errno::EBADF)
            );
        }
        other => panic!("{other}"),
    }
    let loaded = LoadedObject::load_all(&p, &obj, &LoadOptions::default()).unwrap();
    let map = loaded.map_fd("jmp_table").unwrap();
    // Slots 0 and 2 hold programs (a lookup gives their ids); slot 1 stays
    // empty: ENOENT.
    for slot in [0u32, 2] {
        assert!(p.map_lookup(map, &slot.to_le_bytes(), 4, 0).is_ok(), "slot {slot}");
    }
    assert_eq!(p.map_lookup(map, &1u32.to_le_bytes(), 4, 0), Err(Errno::ENOENT));
}

/// The instructions of `name` after relocation.
fn linked(loaded: &LoadedObject<'_>, name: &str) -> Vec<Insn> {
    loaded.link(name).unwrap().insns
}

#[test]
fn kfunc_calls_get_the_kernel_btf_id() {
    let obj = object("kfunc_calls.o");
    let (_bpf, p) = with_kernel_btf();
    let loaded = LoadedObject::prepare(&p, &obj, &LoadOptions::default()).unwrap();
    // iter_sum's calls (instructions 6, 8, 15, 20 in the object) are
    // bpf_iter_num_new [8], _next [11], _next, _destroy [13] of
    // kfuncs.btf: src_reg 2, off 0 (vmlinux).
    let insns = linked(&loaded, "iter_sum");
    let calls: Vec<(usize, u8, i16, i32)> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| i.code == 0x85)
        .map(|(pc, i)| (pc, i.src, i.off, i.imm))
        .collect();
    assert_eq!(calls, [(6, 2, 0, 8), (8, 2, 0, 11), (15, 2, 0, 11), (20, 2, 0, 13)]);
    // weak_kfunc: the weak extern is not in the BTF; its ld_imm64 loads 0
    // and its call becomes the poison helper 2002000000 + its index among
    // the externs (sorted by name: destroy, new, next, no_such: 3).
    let insns = linked(&loaded, "weak_kfunc");
    assert_eq!(
        (insns[1].code, insns[1].src, insns[1].imm, insns[2].imm),
        (0x18, 0, 0, 0)
    );
    assert_eq!((insns[4].code, insns[4].src, insns[4].imm), (0x85, 0, 2_002_000_003));
}

#[test]
fn typed_ksym_variables_get_btf_id_ld_imm64() {
    let obj = object("ksym_var.o");
    let (_bpf, p) = with_kernel_btf();
    let loaded = LoadedObject::prepare(&p, &obj, &LoadOptions::default()).unwrap();
    // bpf_prog_active is VAR [17] of kfuncs.btf: BPF_PSEUDO_BTF_ID (3), the
    // id, and 0 (vmlinux) in the second slot.
    let insns = linked(&loaded, "ksym_var");
    assert_eq!(
        (insns[0].code, insns[0].src, insns[0].imm, insns[1].imm),
        (0x18, 3, 17, 0)
    );
}

#[test]
fn ksyms_without_a_kernel_btf_are_an_error() {
    let obj = object("kfunc_calls.o");
    let (_bpf, p) = common::process::root();
    let err = LoadedObject::prepare(&p, &obj, &LoadOptions::default())
        .err()
        .expect("no kernel BTF");
    assert!(err.to_string().contains("Config::kernel_btf"), "{err}");
    // LoadOptions::kernel_btf serves as well.
    let opts = LoadOptions {
        kernel_btf: Some(bundled_kernel_btf()),
        ..Default::default()
    };
    assert!(LoadedObject::prepare(&p, &obj, &opts).is_ok());
}

/// `r0 = 0; call kfunc(off, imm); exit`, as kbpf.py loaded them.
fn kfunc_prog(off: i16, imm: i32) -> Vec<Insn> {
    vec![
        Insn::new(0xb7, 0, 0, 0, 0),
        Insn::new(0x85, 0, 2, off, imm),
        Insn::new(0x95, 0, 0, 0, 0),
    ]
}

fn load(p: &userbpf::Process, insns: Vec<Insn>, license: &str) -> (Result<u32, Errno>, String) {
    let mut req = common::process::gpl_request(prog_type::XDP, insns);
    req.license = license.as_bytes().to_vec();
    req.log_level = 1;
    let out = p.prog_load(&req);
    (out.result, out.log)
}

const STATS0: &str =
    "processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";

#[test]
fn kfunc_calls_before_the_walk() {
    let (_bpf, p) = with_kernel_btf();
    // Messages and errnos as the kernel printed them (kbpf.py, 6.18; the
    // kernel's ids differ, the checks do not depend on them).
    let (r, log) = load(&p, kfunc_prog(0, 1), "GPL");
    assert_eq!(
        (r, log.as_str()),
        (
            Err(Errno::EINVAL),
            &*format!("kernel btf_id 1 is not a function\n{STATS0}")
        )
    );
    let (r, log) = load(&p, kfunc_prog(-1, 8), "GPL");
    assert_eq!(
        (r, log.as_str()),
        (
            Err(Errno::EINVAL),
            &*format!("negative offset disallowed for kernel module function call\nfailed to find BTF for kernel function\n{STATS0}")
        )
    );
    let (r, log) = load(&p, kfunc_prog(1, 8), "GPL");
    assert_eq!(
        (r, log.as_str()),
        (
            Err(Errno::EPROTO),
            &*format!("kfunc offset > 0 without fd_array is invalid\nfailed to find BTF for kernel function\n{STATS0}")
        )
    );
    let (r, log) = load(&p, kfunc_prog(0, 8), "Proprietary");
    assert_eq!(
        (r, log.as_str()),
        (
            Err(Errno::EINVAL),
            &*format!("cannot call kernel function from non-GPL compatible program\n{STATS0}")
        )
    );
    // A real kfunc: the walk does not model kfuncs, and no engine can call
    // one: refused as not supported (EOPNOTSUPP), naming it.
    let (r, log) = load(&p, kfunc_prog(0, 8), "GPL");
    assert_eq!(r, Err(Errno::EOPNOTSUPP));
    assert!(
        log.contains("userbpf: kfunc bpf_iter_num_new is not modelled\n"),
        "{log}"
    );
    // An instance without a kernel BTF is a kernel without
    // CONFIG_DEBUG_INFO_BTF (add_kfunc_call's first check, ENOTSUPP).
    let (_bpf, p) = common::process::root();
    let (r, log) = load(&p, kfunc_prog(0, 8), "GPL");
    assert_eq!(
        (r, log.as_str()),
        (
            Err(Errno::ENOTSUPP),
            &*format!("calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF\n{STATS0}")
        )
    );
}

#[test]
fn sleepable_kprobes_load_with_attach_type_zero() {
    // libbpf loads SEC("uprobe.s") as a sleepable kprobe with expected
    // attach type 0; the kernel takes it (kbpf.py --type kprobe --flags 16
    // on `r0 = 2; exit`: accepted), only attaching decides uprobe or not.
    let (_bpf, p) = common::process::root();
    let mut req = common::process::gpl_request(
        prog_type::KPROBE,
        vec![Insn::new(0xb7, 0, 0, 0, 2), Insn::new(0x95, 0, 0, 0, 0)],
    );
    req.prog_flags = userbpf::uapi::types::prog_flags::SLEEPABLE;
    assert!(p.prog_load(&req).result.is_ok());
}
