//! The typed API over `sys_bpf`: each call packs an attr exactly as a C
//! caller (or kbpf.py) would, maps its buffers into a [`UserBuffers`] space,
//! and goes through the same raw entry point, so both APIs share one path.

use std::time::Instant;

use super::Process;
use crate::isa::{insns_from_bytes, insns_to_bytes, Insn};
use crate::uapi::attr::{by_id, info_by_fd, obj, prog_load as F};
use crate::uapi::prog_info as I;
use crate::uapi::types::cmd;
use crate::uapi::Errno;
use crate::user_mem::UserBuffers;

/// kbpf.py's attr size for BPF_PROG_LOAD (up to log_true_size).
pub const KBPF_PROG_LOAD_ATTR_SIZE: usize = 144;

/// A BPF_PROG_LOAD, with kbpf.py's options.
#[derive(Clone, Debug)]
pub struct ProgLoadRequest {
    pub prog_type: u32,
    pub insns: Vec<Insn>,
    pub license: Vec<u8>,
    pub log_level: u32,
    pub log_size: u32,
    pub kern_version: u32,
    pub prog_flags: u32,
    /// Sent as its first 16 bytes (16 without a NUL: the kernel refuses).
    pub name: Vec<u8>,
    pub expected_attach_type: u32,
    /// Size passed to bpf(2); at least 144 as kbpf.py sends.
    pub attr_size: Option<usize>,
    /// (offset, width, value) written into the attr last.
    pub attr_pokes: Vec<(usize, usize, u64)>,
    /// prog_btf_fd: the BTF object func_info and line_info refer to.
    pub prog_btf_fd: u32,
    /// func_info records (insn_off, type_id), sent with rec size 8.
    pub func_info: Vec<(u32, u32)>,
    /// line_info records (insn_off, file_name_off, line_off, line_col),
    /// sent with rec size 16.
    pub line_info: Vec<[u32; 4]>,
}

impl Default for ProgLoadRequest {
    fn default() -> Self {
        ProgLoadRequest {
            prog_type: crate::uapi::types::prog_type::SOCKET_FILTER,
            insns: Vec::new(),
            license: b"GPL".to_vec(),
            log_level: 0,
            log_size: 1 << 20,
            kern_version: 0,
            prog_flags: 0,
            name: Vec::new(),
            expected_attach_type: 0,
            attr_size: None,
            attr_pokes: Vec::new(),
            prog_btf_fd: 0,
            func_info: Vec::new(),
            line_info: Vec::new(),
        }
    }
}

/// What a load returned.
#[derive(Clone, Debug)]
pub struct ProgLoadOutcome {
    /// The new fd, or the errno.
    pub result: Result<u32, Errno>,
    /// The verifier log up to its NUL (empty without a log).
    pub log: String,
    /// log_true_size as written back into the attr.
    pub log_true_size: u32,
    /// Time spent in sys_bpf.
    pub load_ns: u64,
    /// When refused with EOPNOTSUPP because the full verifier met a
    /// construct it does not model yet: that construct.
    pub unsupported: Option<&'static str>,
}

/// The fields of `struct bpf_prog_info` kbpf.py reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgInfo {
    pub prog_type: u32,
    pub id: u32,
    pub tag: [u8; 8],
    pub jited_len: u32,
    pub xlated_len: u32,
    pub xlated: Vec<Insn>,
    pub load_time: u64,
    pub created_by_uid: u32,
    pub name: String,
    pub gpl_compatible: bool,
    pub verified_insns: u32,
}

impl ProgInfo {
    pub fn tag_hex(&self) -> String {
        self.tag.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn poke(attr: &mut [u8], off: usize, width: usize, v: u64) -> Result<(), Errno> {
    let bytes = v.to_le_bytes();
    let dst = attr.get_mut(off..off + width).ok_or(Errno::EFAULT)?;
    dst.copy_from_slice(&bytes[..width]);
    Ok(())
}

impl Process {
    /// BPF_PROG_LOAD through the raw entry point.
    pub fn prog_load(&self, req: &ProgLoadRequest) -> ProgLoadOutcome {
        let mut mem = UserBuffers::new();
        let insn_bytes = insns_to_bytes(&req.insns);
        let insns_addr = mem.add(if insn_bytes.is_empty() { vec![0] } else { insn_bytes });
        let license_addr = mem.add_cstr(&req.license);
        let log_size = if req.log_level != 0 { req.log_size } else { 0 };
        let log_addr = if log_size != 0 {
            mem.add(vec![0u8; log_size as usize])
        } else {
            0
        };
        // Packed as kbpf.py packs it (at least 144 bytes), then passed with
        // the requested size: a shorter attr is truncated, as a C caller with
        // an older header would pass it.
        let size = req.attr_size.unwrap_or(KBPF_PROG_LOAD_ATTR_SIZE);
        let mut attr = vec![0u8; size.max(KBPF_PROG_LOAD_ATTR_SIZE)];
        let put32 = |a: &mut [u8], off: usize, v: u32| a[off..off + 4].copy_from_slice(&v.to_le_bytes());
        put32(&mut attr, F::PROG_TYPE, req.prog_type);
        put32(&mut attr, F::INSN_CNT, req.insns.len() as u32);
        attr[F::INSNS..F::INSNS + 8].copy_from_slice(&insns_addr.to_le_bytes());
        attr[F::LICENSE..F::LICENSE + 8].copy_from_slice(&license_addr.to_le_bytes());
        put32(&mut attr, F::LOG_LEVEL, req.log_level);
        put32(&mut attr, F::LOG_SIZE, log_size);
        attr[F::LOG_BUF..F::LOG_BUF + 8].copy_from_slice(&log_addr.to_le_bytes());
        put32(&mut attr, F::KERN_VERSION, req.kern_version);
        put32(&mut attr, F::PROG_FLAGS, req.prog_flags);
        let name = &req.name[..req.name.len().min(16)];
        attr[F::PROG_NAME..F::PROG_NAME + name.len()].copy_from_slice(name);
        put32(&mut attr, F::EXPECTED_ATTACH_TYPE, req.expected_attach_type);
        if !req.func_info.is_empty() || !req.line_info.is_empty() {
            put32(&mut attr, F::PROG_BTF_FD, req.prog_btf_fd);
        }
        if !req.func_info.is_empty() {
            let bytes: Vec<u8> = req
                .func_info
                .iter()
                .flat_map(|&(off, id)| off.to_le_bytes().into_iter().chain(id.to_le_bytes()))
                .collect();
            let addr = mem.add(bytes);
            put32(&mut attr, F::FUNC_INFO_REC_SIZE, 8);
            attr[F::FUNC_INFO..F::FUNC_INFO + 8].copy_from_slice(&addr.to_le_bytes());
            put32(&mut attr, F::FUNC_INFO_CNT, req.func_info.len() as u32);
        }
        if !req.line_info.is_empty() {
            let bytes: Vec<u8> = req
                .line_info
                .iter()
                .flat_map(|r| r.iter().flat_map(|w| w.to_le_bytes()))
                .collect();
            let addr = mem.add(bytes);
            put32(&mut attr, F::LINE_INFO_REC_SIZE, 16);
            attr[F::LINE_INFO..F::LINE_INFO + 8].copy_from_slice(&addr.to_le_bytes());
            put32(&mut attr, F::LINE_INFO_CNT, req.line_info.len() as u32);
        }
        for &(off, width, v) in &req.attr_pokes {
            if let Err(e) = poke(&mut attr, off, width, v) {
                return ProgLoadOutcome {
                    result: Err(e),
                    log: String::new(),
                    log_true_size: 0,
                    load_ns: 0,
                    unsupported: None,
                };
            }
        }
        let start = Instant::now();
        let result = self.sys_bpf(cmd::PROG_LOAD, &mut attr, size as u32, &mut mem);
        let load_ns = start.elapsed().as_nanos() as u64;
        let log = if log_addr != 0 {
            let buf = mem.get(log_addr).unwrap_or(&[]);
            let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
            String::from_utf8_lossy(&buf[..end]).into_owned()
        } else {
            String::new()
        };
        let log_true_size = u32::from_le_bytes(
            attr[F::LOG_TRUE_SIZE..F::LOG_TRUE_SIZE + 4]
                .try_into()
                .expect("4 bytes"),
        );
        let unsupported = match result {
            Err(e) if e == crate::verifier::NOT_MODELLED => crate::verifier::last_not_modelled(),
            _ => None,
        };
        ProgLoadOutcome {
            result,
            log,
            log_true_size,
            load_ns,
            unsupported,
        }
    }

    /// BPF_OBJ_GET_INFO_BY_FD for a program, with room for its xlated code.
    pub fn prog_info(&self, fd: u32) -> Result<ProgInfo, Errno> {
        const XLATED_CAP: usize = 1 << 23;
        let mut mem = UserBuffers::new();
        // First ask for the size, then fetch the instructions.
        let mut info = vec![0u8; I::SIZE];
        let call = |info: &mut Vec<u8>, mem: &mut UserBuffers| -> Result<Vec<u8>, Errno> {
            let addr = mem.add(std::mem::take(info));
            let mut attr = [0u8; info_by_fd::LAST_FIELD_END];
            attr[info_by_fd::BPF_FD..4].copy_from_slice(&fd.to_le_bytes());
            attr[info_by_fd::INFO_LEN..8].copy_from_slice(&(I::SIZE as u32).to_le_bytes());
            attr[info_by_fd::INFO..16].copy_from_slice(&addr.to_le_bytes());
            self.sys_bpf(
                cmd::OBJ_GET_INFO_BY_FD,
                &mut attr,
                info_by_fd::LAST_FIELD_END as u32,
                mem,
            )?;
            Ok(mem.get(addr).expect("mapped").to_vec())
        };
        let first = call(&mut info, &mut mem)?;
        let u32_at = |b: &[u8], off: usize| u32::from_le_bytes(b[off..off + 4].try_into().expect("4"));
        let xlated_len = (u32_at(&first, I::XLATED_PROG_LEN) as usize).min(XLATED_CAP);
        let xl_addr = mem.add(vec![0u8; xlated_len]);
        let mut info = vec![0u8; I::SIZE];
        info[I::XLATED_PROG_LEN..I::XLATED_PROG_LEN + 4].copy_from_slice(&(xlated_len as u32).to_le_bytes());
        info[I::XLATED_PROG_INSNS..I::XLATED_PROG_INSNS + 8].copy_from_slice(&xl_addr.to_le_bytes());
        let raw = call(&mut info, &mut mem)?;
        let xlated = insns_from_bytes(mem.get(xl_addr).expect("mapped")).map_err(|_| Errno::EFAULT)?;
        let name_raw = &raw[I::NAME..I::NAME + 16];
        let name_end = name_raw.iter().position(|&b| b == 0).unwrap_or(16);
        Ok(ProgInfo {
            prog_type: u32_at(&raw, I::TYPE),
            id: u32_at(&raw, I::ID),
            tag: raw[I::TAG..I::TAG + 8].try_into().expect("8"),
            jited_len: u32_at(&raw, I::JITED_PROG_LEN),
            xlated_len: u32_at(&raw, I::XLATED_PROG_LEN),
            xlated,
            load_time: u64::from_le_bytes(raw[I::LOAD_TIME..I::LOAD_TIME + 8].try_into().expect("8")),
            created_by_uid: u32_at(&raw, I::CREATED_BY_UID),
            name: String::from_utf8_lossy(&name_raw[..name_end]).into_owned(),
            gpl_compatible: u32_at(&raw, I::FLAGS) & 1 != 0,
            verified_insns: u32_at(&raw, I::VERIFIED_INSNS),
        })
    }

    /// BPF_PROG_GET_NEXT_ID.
    pub fn prog_get_next_id(&self, start: u32) -> Result<u32, Errno> {
        let mut attr = [0u8; 12];
        attr[by_id::START_ID..4].copy_from_slice(&start.to_le_bytes());
        self.sys_bpf(cmd::PROG_GET_NEXT_ID, &mut attr, 12, &mut UserBuffers::new())?;
        Ok(u32::from_le_bytes(attr[by_id::NEXT_ID..8].try_into().expect("4")))
    }

    /// BPF_PROG_GET_FD_BY_ID.
    pub fn prog_get_fd_by_id(&self, id: u32) -> Result<u32, Errno> {
        let mut attr = [0u8; 12];
        attr[by_id::START_ID..4].copy_from_slice(&id.to_le_bytes());
        self.sys_bpf(cmd::PROG_GET_FD_BY_ID, &mut attr, 12, &mut UserBuffers::new())
    }

    fn obj_cmd(&self, command: u32, path: &str, fd: u32) -> Result<u32, Errno> {
        let mut mem = UserBuffers::new();
        let p = mem.add_cstr(path.as_bytes());
        let mut attr = [0u8; obj::LAST_FIELD_END];
        attr[obj::PATHNAME..8].copy_from_slice(&p.to_le_bytes());
        attr[obj::BPF_FD..12].copy_from_slice(&fd.to_le_bytes());
        self.sys_bpf(command, &mut attr, obj::LAST_FIELD_END as u32, &mut mem)
    }

    /// BPF_OBJ_PIN.
    pub fn obj_pin(&self, fd: u32, path: &str) -> Result<(), Errno> {
        self.obj_cmd(cmd::OBJ_PIN, path, fd).map(drop)
    }

    /// BPF_OBJ_GET.
    pub fn obj_get(&self, path: &str) -> Result<u32, Errno> {
        self.obj_cmd(cmd::OBJ_GET, path, 0)
    }
}

/// A BPF_PROG_TEST_RUN, packed as kbpf.py packs it.
#[derive(Clone, Debug, Default)]
pub struct TestRunRequest {
    pub prog_fd: u32,
    /// data_in (empty: none).
    pub data_in: Vec<u8>,
    /// data_size_out; 0 means kbpf.py's default, data_in's length + 256.
    pub data_size_out: u32,
    /// ctx_in (empty: none).
    pub ctx_in: Vec<u8>,
    /// ctx_size_out; 0 means 4096 when ctx_in is given (kbpf.py's buffer).
    pub ctx_size_out: u32,
    pub repeat: u32,
    pub flags: u32,
    pub cpu: u32,
    /// The engine to run on (the kernel always uses the one chosen at load).
    pub engine: crate::runtime::Engine,
}

/// What a test run returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestRunOutcome {
    pub retval: u32,
    pub duration_ns: u32,
    pub data_out: Vec<u8>,
    pub ctx_out: Vec<u8>,
}

/// kbpf.py's attr size for BPF_PROG_TEST_RUN.
pub const KBPF_TEST_RUN_ATTR_SIZE: usize = 80;

impl Process {
    /// BPF_PROG_TEST_RUN through the raw entry point.
    pub fn prog_test_run(&self, req: &TestRunRequest) -> Result<TestRunOutcome, Errno> {
        use crate::uapi::attr::test_run as T;
        let mut mem = UserBuffers::new();
        let mut attr = vec![0u8; KBPF_TEST_RUN_ATTR_SIZE];
        let put32 = |a: &mut [u8], off: usize, v: u32| a[off..off + 4].copy_from_slice(&v.to_le_bytes());
        let put64 = |a: &mut [u8], off: usize, v: u64| a[off..off + 8].copy_from_slice(&v.to_le_bytes());
        put32(&mut attr, T::PROG_FD, req.prog_fd);
        let mut data_out = 0;
        if !req.data_in.is_empty() {
            let out_size = if req.data_size_out == 0 {
                req.data_in.len() as u32 + 256
            } else {
                req.data_size_out
            };
            put32(&mut attr, T::DATA_SIZE_IN, req.data_in.len() as u32);
            put32(&mut attr, T::DATA_SIZE_OUT, out_size);
            put64(&mut attr, T::DATA_IN, mem.add(req.data_in.clone()));
            data_out = mem.add(vec![0u8; out_size.max(1) as usize]);
            put64(&mut attr, T::DATA_OUT, data_out);
        }
        put32(&mut attr, T::REPEAT, req.repeat);
        let mut ctx_out = 0;
        if !req.ctx_in.is_empty() {
            let out_size = if req.ctx_size_out == 0 { 4096 } else { req.ctx_size_out };
            put32(&mut attr, T::CTX_SIZE_IN, req.ctx_in.len() as u32);
            put32(&mut attr, T::CTX_SIZE_OUT, out_size);
            put64(&mut attr, T::CTX_IN, mem.add(req.ctx_in.clone()));
            ctx_out = mem.add(vec![0u8; out_size as usize]);
            put64(&mut attr, T::CTX_OUT, ctx_out);
        }
        put32(&mut attr, T::FLAGS, req.flags);
        put32(&mut attr, T::CPU, req.cpu);
        self.sys_bpf_on(
            cmd::PROG_TEST_RUN,
            &mut attr,
            KBPF_TEST_RUN_ATTR_SIZE as u32,
            &mut mem,
            req.engine,
        )?;
        let get32 = |off: usize| u32::from_le_bytes(attr[off..off + 4].try_into().expect("4 bytes"));
        let take = |addr: u64, len: u32| -> Vec<u8> {
            mem.get(addr)
                .map(|b| b[..(len as usize).min(b.len())].to_vec())
                .unwrap_or_default()
        };
        Ok(TestRunOutcome {
            retval: get32(T::RETVAL),
            duration_ns: get32(T::DURATION),
            data_out: if data_out != 0 {
                take(data_out, get32(T::DATA_SIZE_OUT))
            } else {
                Vec::new()
            },
            ctx_out: if ctx_out != 0 {
                take(ctx_out, get32(T::CTX_SIZE_OUT))
            } else {
                Vec::new()
            },
        })
    }
}
