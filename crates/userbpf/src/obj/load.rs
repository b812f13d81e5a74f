//! Creating an object's maps and loading its programs into a [`Process`],
//! as libbpf's bpf_object__load does: maps first (global data written and
//! read-only sections frozen, map-in-map slots filled), then relocation,
//! then one BPF_PROG_LOAD per program. Every fd taken is owned by the
//! [`LoadedObject`], so a failure part way closes everything already made.

use super::error::ObjError;
use super::externs::{kconfig_value, Kconfig};
use super::maps::{DataKind, MapDef, MapOrigin};
use super::parse::Object;
use super::relocate::{apply_core, apply_map_relocs, has_core_relos, link_program, LinkedProgram};
use crate::btf::Btf;
use crate::isa::Insn;
use crate::uapi::types::{elem_flags, BPF_OBJ_NAME_LEN};
use crate::{MapCreateRequest, Process, ProgLoadOutcome, ProgLoadRequest};

/// What the load needs besides the object.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// The BTF CO-RE relocations are resolved against (the kernel's).
    pub target_btf: Option<Btf>,
    /// Values for `.kconfig` externs.
    pub kconfig: Kconfig,
    /// BPF_PROG_LOAD log level (0: no log).
    pub log_level: u32,
    /// Pin directory for maps with `pinning = LIBBPF_PIN_BY_NAME`.
    pub pin_root: Option<String>,
}

/// One created map.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadedMap {
    pub name: String,
    pub fd: u32,
}

/// One program's load: its code and what BPF_PROG_LOAD said.
#[derive(Clone, Debug)]
pub struct ProgramLoad {
    pub name: String,
    pub section: String,
    pub prog_type: u32,
    pub expected_attach_type: u32,
    pub linked: LinkedProgram,
    pub outcome: ProgLoadOutcome,
}

/// An object with its maps created and relocated code, and the programs
/// loaded so far. Dropping it closes every fd it holds.
pub struct LoadedObject<'p> {
    process: &'p Process,
    object: Object,
    pub maps: Vec<LoadedMap>,
    /// Relocated code sections (passes 1 and 2 done).
    code: Vec<Vec<Insn>>,
    /// Programs loaded, successfully or not, in load order.
    pub loads: Vec<ProgramLoad>,
    /// The object's BTF, loaded (BPF_BTF_LOAD) for func_info and line_info.
    pub btf_fd: Option<u32>,
}

impl Drop for LoadedObject<'_> {
    fn drop(&mut self) {
        for l in &self.loads {
            if let Ok(fd) = l.outcome.result {
                let _ = self.process.close(fd);
            }
        }
        for m in &self.maps {
            let _ = self.process.close(m.fd);
        }
        if let Some(fd) = self.btf_fd {
            let _ = self.process.close(fd);
        }
    }
}

fn obj_name(name: &str) -> Vec<u8> {
    name.as_bytes()[..name.len().min(BPF_OBJ_NAME_LEN - 1)].to_vec()
}

/// The map types libbpf creates without BTF (bpf_object__create_map).
fn libbpf_drops_btf(map_type: u32) -> bool {
    use crate::uapi::types::map_type as mt;
    matches!(
        map_type,
        mt::PERF_EVENT_ARRAY
            | mt::CGROUP_ARRAY
            | mt::STACK_TRACE
            | mt::ARRAY_OF_MAPS
            | mt::HASH_OF_MAPS
            | mt::QUEUE
            | mt::STACK
    )
}

fn create_request(def: &MapDef, inner_map_fd: u32, btf_fd: Option<u32>) -> MapCreateRequest {
    let (btf_fd, key, value) = match btf_fd {
        Some(fd) if !libbpf_drops_btf(def.map_type) => (fd, def.btf_key_type_id, def.btf_value_type_id),
        _ => (0, 0, 0),
    };
    MapCreateRequest {
        btf_fd,
        btf_key_type_id: key,
        btf_value_type_id: value,
        map_type: def.map_type,
        key_size: def.key_size,
        value_size: def.value_size,
        max_entries: def.max_entries,
        map_flags: def.map_flags,
        inner_map_fd,
        numa_node: def.numa_node,
        name: obj_name(&def.name),
        map_extra: def.map_extra,
    }
}

impl<'p> LoadedObject<'p> {
    /// Creates the maps and relocates the code; loads no program yet.
    pub fn prepare(process: &'p Process, object: &Object, opts: &LoadOptions) -> Result<Self, ObjError> {
        let mut me = LoadedObject {
            process,
            object: object.clone(),
            maps: Vec::new(),
            code: object.code.iter().map(|c| c.insns.clone()).collect(),
            loads: Vec::new(),
            btf_fd: None,
        };
        // As libbpf: the BTF goes to the kernel first; a kernel that refuses
        // it gets the programs without func_info and line_info.
        me.btf_fd = object.btf_raw.as_deref().and_then(|raw| process.btf_load(raw).ok());
        me.create_maps(opts)?;
        if has_core_relos(object) {
            let target = opts.target_btf.as_ref().ok_or_else(|| ObjError::Program {
                program: object.name.clone(),
                reason: "CO-RE relocations need a target BTF (--btf FILE)".into(),
            })?;
            apply_core(object, &mut me.code, target)?;
        }
        let fds: Vec<u32> = me.maps.iter().map(|m| m.fd).collect();
        apply_map_relocs(object, &mut me.code, &fds)?;
        Ok(me)
    }

    fn create_maps(&mut self, opts: &LoadOptions) -> Result<(), ObjError> {
        let p = self.process;
        for def in &self.object.maps {
            let pin_path = match (def.pinning, &opts.pin_root) {
                (1, Some(root)) => Some(format!("{}/{}", root.trim_end_matches('/'), def.name)),
                _ => None,
            };
            if let Some(path) = &pin_path {
                if let Ok(fd) = p.obj_get(path) {
                    self.maps.push(LoadedMap {
                        name: def.name.clone(),
                        fd,
                    });
                    continue;
                }
            }
            let inner_fd = match &def.inner {
                Some(inner) => {
                    Some(
                        p.map_create(&create_request(inner, 0, None))
                            .map_err(|errno| ObjError::MapCreate {
                                map: inner.name.clone(),
                                errno,
                            })?,
                    )
                }
                None => None,
            };
            let mut req = create_request(def, inner_fd.unwrap_or(0), self.btf_fd);
            let mut created = p.map_create(&req);
            if created.is_err() && (req.btf_key_type_id != 0 || req.btf_value_type_id != 0) {
                // As libbpf: "Retrying without BTF."
                (req.btf_fd, req.btf_key_type_id, req.btf_value_type_id) = (0, 0, 0);
                created = p.map_create(&req);
            }
            if let Some(fd) = inner_fd {
                let _ = p.close(fd);
            }
            let fd = created.map_err(|errno| ObjError::MapCreate {
                map: def.name.clone(),
                errno,
            })?;
            self.maps.push(LoadedMap {
                name: def.name.clone(),
                fd,
            });
            let setup = |op: &'static str| {
                move |errno| ObjError::MapSetup {
                    map: def.name.clone(),
                    op,
                    errno,
                }
            };
            if let MapOrigin::Data { kind, init } = &def.origin {
                let value = match kind {
                    DataKind::Bss => None,
                    DataKind::Kconfig => Some(kconfig_value(&self.object.externs, def.value_size, &opts.kconfig)?),
                    DataKind::Data | DataKind::Rodata => Some(init.clone()),
                };
                if let Some(value) = value {
                    p.map_update(fd, &0u32.to_le_bytes(), &value, elem_flags::ANY)
                        .map_err(setup("writing the initial value"))?;
                }
                if kind.read_only() {
                    p.map_freeze(fd).map_err(setup("BPF_MAP_FREEZE"))?;
                }
            }
            if let Some(path) = &pin_path {
                p.obj_pin(fd, path).map_err(setup("pinning"))?;
            }
        }
        // Map-in-map slots given by `values`.
        for def in &self.object.maps {
            let Some(outer) = self.maps.iter().find(|m| m.name == def.name).map(|m| m.fd) else {
                continue;
            };
            for &(slot, inner) in &def.init_slots {
                let inner_fd = self
                    .maps
                    .get(inner)
                    .map(|m| m.fd)
                    .ok_or_else(|| ObjError::map(&def.name, "inner map missing"))?;
                p.map_update(outer, &slot.to_le_bytes(), &inner_fd.to_le_bytes(), elem_flags::ANY)
                    .map_err(|errno| ObjError::MapSetup {
                        map: def.name.clone(),
                        op: "setting an inner map",
                        errno,
                    })?;
            }
        }
        Ok(())
    }

    pub fn object(&self) -> &Object {
        &self.object
    }

    /// The program's final instructions (subprograms appended).
    pub fn link(&self, name: &str) -> Result<LinkedProgram, ObjError> {
        let prog = self
            .object
            .program(name)
            .ok_or_else(|| ObjError::NoSuchProgram { name: name.to_string() })?;
        link_program(&self.object, &self.code, prog)
    }

    /// BPF_PROG_LOAD of one program. An unknown section name or a link
    /// error is an `Err`; the kernel's verdict (fd or errno) is in the
    /// returned load's outcome.
    pub fn load_program(&mut self, name: &str, log_level: u32) -> Result<&ProgramLoad, ObjError> {
        let prog = self
            .object
            .program(name)
            .ok_or_else(|| ObjError::NoSuchProgram { name: name.to_string() })?
            .clone();
        let def = prog.def.ok_or_else(|| ObjError::UnknownSection {
            program: prog.name().to_string(),
            section: prog.section.clone(),
        })?;
        let linked = link_program(&self.object, &self.code, &prog)?;
        let req = ProgLoadRequest {
            prog_type: def.prog_type,
            insns: linked.insns.clone(),
            license: self.object.license.clone(),
            log_level,
            kern_version: self.object.kern_version,
            prog_flags: def.prog_flags,
            name: obj_name(prog.name()),
            expected_attach_type: def.expected_attach_type,
            ..Default::default()
        };
        let mut req = req;
        if let Some(fd) = self.btf_fd {
            req.prog_btf_fd = fd;
            req.func_info = linked.func_info.iter().map(|f| (f.insn_off, f.type_id)).collect();
            req.line_info = linked
                .line_info
                .iter()
                .map(|l| [l.insn_off, l.file_name_off, l.line_off, l.line_col])
                .collect();
        }
        let outcome = self.process.prog_load(&req);
        self.loads.push(ProgramLoad {
            name: prog.name().to_string(),
            section: prog.section.clone(),
            prog_type: def.prog_type,
            expected_attach_type: def.expected_attach_type,
            linked,
            outcome,
        });
        Ok(self.loads.last().expect("just pushed"))
    }

    /// bpf_object__load(): every program in order; the first failure
    /// unloads everything (the maps and programs made so far are closed).
    pub fn load_all(process: &'p Process, object: &Object, opts: &LoadOptions) -> Result<Self, ObjError> {
        let mut me = Self::prepare(process, object, opts)?;
        let names: Vec<String> = object.programs.iter().map(|p| p.name().to_string()).collect();
        for name in names {
            let load = me.load_program(&name, opts.log_level)?;
            if let Err(errno) = load.outcome.result {
                return Err(ObjError::ProgLoad {
                    program: name,
                    errno,
                    log: load.outcome.log.clone(),
                });
            }
        }
        Ok(me)
    }

    /// The fd of a loaded program.
    pub fn prog_fd(&self, name: &str) -> Option<u32> {
        self.loads
            .iter()
            .find(|l| l.name == name)
            .and_then(|l| l.outcome.result.ok())
    }

    pub fn map_fd(&self, name: &str) -> Option<u32> {
        self.maps.iter().find(|m| m.name == name).map(|m| m.fd)
    }
}
