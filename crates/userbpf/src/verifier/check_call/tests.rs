use crate::isa::Insn;
use crate::uapi::types::prog_type as pt;
use crate::uapi::Errno;
use crate::verifier::log::VerifierLog;
use crate::verifier::{check_insns, CheckInput, VerifierMode};

/// Programs, verdicts and error lines recorded from Linux
/// (tests/fixtures/verifier/corpus.jsonl, families `helpers` and
/// `helper_args`), one a line:
/// name | program type | program (hex) | errno (- : accepted) | the
/// kernel's error line.
const CORPUS: &str = "\
socket_filter_call_redirect | SOCKET_FILTER | b701000000000000b7020000000000008500000017000000b7000000000000009500000000000000 | EINVAL | program of this type cannot use helper bpf_redirect#23\n\
socket_filter_call_get_socket_cookie | SOCKET_FILTER | b701000000000000b702000000000000850000002e000000b7000000000000009500000000000000 | EACCES | R1 type=scalar expected=ctx\n\
socket_filter_call_unspec | SOCKET_FILTER | b701000000000000b7020000000000008500000000000000b7000000000000009500000000000000 | EINVAL | program of this type cannot use helper bpf_unspec#0\n\
socket_filter_call_get_socket_uid | SOCKET_FILTER | b701000000000000b702000000000000850000005e000000b7000000000000009500000000000000 | EACCES | R1 type=scalar expected=map_value, ptr_\n\
xdp_call_redirect | XDP | b701000000000000b7020000000000008500000017000000b7000000020000009500000000000000 | -\n\
printk_fmt_on_stack | SOCKET_FILTER | 620afcff68690000bfa100000000000007010000fcffffffb7020000040000008500000006000000b7000000000000009500000000000000 | -\n\
printk_size_zero | SOCKET_FILTER | 620afcff68690000bfa100000000000007010000fcffffffb7020000000000008500000006000000b7000000000000009500000000000000 | EACCES | R2 invalid zero-sized read: u64=[0,0]\n\
printk_fmt_ctx | SOCKET_FILTER | b7020000040000008500000006000000b7000000000000009500000000000000 | EACCES | R1 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_\n\
probe_read_kernel_size513_dst-512 | KPROBE | bfa10000000000000701000000feffffb702000001020000b703000000000000850000007100000079a0f8ff000000009500000000000000 | EINVAL | invalid write to stack R1 off=-512 size=513\n\
socket_filter_skb_load_bytes_len16 | SOCKET_FILTER | b702000000000000bfa300000000000007030000f8ffffffb704000010000000850000001a000000b7000000000000009500000000000000 | EINVAL | invalid write to stack R3 off=-8 size=16\n\
socket_filter_skb_load_bytes_lenm1 | SOCKET_FILTER | b702000000000000bfa300000000000007030000f8ffffffb7040000ffffffff850000001a000000b7000000000000009500000000000000 | EACCES | R4 min value is negative, either use unsigned or 'var &= const'\n\
csum_diff_0_4 | SCHED_CLS | 7a0af8ff00000000bfa100000000000007010000f8ffffffb702000000000000bfa300000000000007030000f8ffffffb704000004000000b705000000000000850000001c000000b7000000000000009500000000000000 | -\n\
bpf_loop_cb_scalar | SOCKET_FILTER | b70100000a000000b702000000000000b703000000000000b70400000000000085000000b5000000b7000000000000009500000000000000 | EACCES | R2 type=scalar expected=func\n\
strtol_res_fpm8 | SOCKET_FILTER | bf16000000000000620af0ff31320000bfa100000000000007010000f0ffffffb702000004000000b703000000000000bfa400000000000007040000f8ffffff8500000069000000b7000000000000009500000000000000 | -\n\
strtol_res_fpm8_read_back | SOCKET_FILTER | bf16000000000000620af0ff31320000bfa100000000000007010000f0ffffffb702000004000000b703000000000000bfa400000000000007040000f8ffffff850000006900000079a0f8ff000000009500000000000000 | -\n\
strtol_res_fpm12 | SOCKET_FILTER | bf16000000000000620af0ff31320000bfa100000000000007010000f0ffffffb702000004000000b703000000000000bfa400000000000007040000f4ffffff8500000069000000b7000000000000009500000000000000 | EACCES | misaligned stack access off 0+-12+0 size 8\n\
strtol_res_fpm4 | SOCKET_FILTER | bf16000000000000620af0ff31320000bfa100000000000007010000f0ffffffb702000004000000b703000000000000bfa400000000000007040000fcffffff8500000069000000b7000000000000009500000000000000 | EINVAL | invalid write to stack R4 off=-4 size=8\n\
strtol_res_ctx | SOCKET_FILTER | bf16000000000000620af0ff31320000bfa100000000000007010000f0ffffffb702000004000000b703000000000000bf640000000000008500000069000000b7000000000000009500000000000000 | EACCES | R4 type=ctx expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_";

/// One CORPUS line: (name, program type, program, errno, error line).
fn entry(line: &str) -> (&str, u32, Vec<Insn>, Option<Errno>, &str) {
    let f: Vec<&str> = line.split(" | ").collect();
    let ty = match f[1] {
        "SOCKET_FILTER" => pt::SOCKET_FILTER,
        "XDP" => pt::XDP,
        "KPROBE" => pt::KPROBE,
        "SCHED_CLS" => pt::SCHED_CLS,
        other => panic!("program type {other}"),
    };
    let errno = match f[3] {
        "-" => None,
        "EINVAL" => Some(Errno::EINVAL),
        "EACCES" => Some(Errno::EACCES),
        other => panic!("errno {other}"),
    };
    (f[0], ty, decode(f[2]), errno, f.get(4).copied().unwrap_or(""))
}

fn decode(hex: &str) -> Vec<Insn> {
    (0..hex.len() / 16)
        .map(|i| {
            let mut b = [0u8; 8];
            for (j, x) in b.iter_mut().enumerate() {
                *x = u8::from_str_radix(&hex[i * 16 + j * 2..i * 16 + j * 2 + 2], 16).unwrap();
            }
            Insn::from_bytes(b)
        })
        .collect()
}

/// The full check's answer (an accept always comes from the full
/// verifier: what it does not model is EOPNOTSUPP) and its log.
fn check(insns: &[Insn], prog_type: u32, gpl_compatible: bool) -> (Result<(), Errno>, String) {
    let mut log = VerifierLog::new(1, 1, 1 << 20).unwrap();
    let input = CheckInput {
        mode: VerifierMode::Full,
        insns,
        prog_type,
        expected_attach_type: 0,
        sleepable: false,
        gpl_compatible,
        privileged: true,
        maps: &[],
        func_info: None,
        map_rodata: &[],
        strict_alignment: false,
        kernel_btf: None,
        jit_requested: true,
        fd_array: false,
    };
    let r = check_insns(&input, &mut log).map(|_| ());
    (r, String::from_utf8_lossy(log.text()).into_owned())
}

#[test]
fn helper_calls_agree_with_the_kernel() {
    for (name, ty, insns, errno, line) in CORPUS.lines().map(entry) {
        let (r, log) = check(&insns, ty, true);
        match errno {
            None => assert_eq!(r, Ok(()), "{name}: {log}"),
            Some(e) => {
                assert_eq!(r, Err(e), "{name}: {log}");
                assert!(log.lines().any(|l| l == line), "{name}: expected `{line}` in\n{log}");
            }
        }
    }
}

#[test]
fn a_fixed_size_result_is_checked_not_skipped() {
    // bpf_strtol's result (ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT |
    // MEM_WRITE | MEM_ALIGNED, 8 bytes): the accepted programs are
    // verified to the end, the written slot readable after the call.
    for name in ["strtol_res_fpm8", "strtol_res_fpm8_read_back"] {
        let (_, ty, insns, _, _) = CORPUS.lines().map(entry).find(|e| e.0 == name).unwrap();
        let (r, log) = check(&insns, ty, true);
        assert_eq!(r, Ok(()), "{name}: {log}");
    }
}

#[test]
fn gpl_only_helpers_need_a_gpl_license() {
    // printk_fmt_on_stack, loaded without a GPL-compatible license.
    let (_, _, insns, _, _) = CORPUS.lines().map(entry).nth(5).unwrap();
    let (r, log) = check(&insns, pt::SOCKET_FILTER, false);
    assert_eq!(r, Err(Errno::EINVAL));
    assert!(log.contains("cannot call GPL-restricted function from non-GPL compatible program\n"));
}

#[test]
fn the_call_clobbers_r1_to_r5_and_sets_r0() {
    // regs/r1_clobbered_by_helper, with the kernel's whole log.
    let insns = decode("b7010000010000008500000007000000bf100000000000009500000000000000");
    let (r, log) = check(&insns, pt::SOCKET_FILTER, true);
    assert_eq!(r, Err(Errno::EACCES));
    assert_eq!(
        log,
        "0: R1=ctx() R10=fp0\n0: (b7) r1 = 1                        ; R1=1\n1: (85) call bpf_get_prandom_u32#7    ; R0=scalar()\n2: (bf) r0 = r1\nR1 !read_ok\nprocessed 3 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n"
    );
}
