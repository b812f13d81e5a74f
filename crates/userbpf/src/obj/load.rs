//! Creating an object's maps and loading its programs into a [`Process`],
//! as libbpf's bpf_object__load does: maps first (global data written and
//! read-only sections frozen, map-in-map slots filled), then relocation,
//! then one BPF_PROG_LOAD per program. Every fd taken is owned by the
//! [`LoadedObject`], so a failure part way closes everything already made.

use super::error::ObjError;
use super::externs::{kconfig_value, Kconfig};
use super::ksyms::resolve_ksyms;
use super::maps::{DataKind, MapDef, MapOrigin};
use super::parse::Object;
use super::relocate::{apply_core, apply_ksym_relocs, apply_map_relocs, has_core_relos, link_program, LinkedProgram};
use std::sync::Arc;

use crate::btf::Btf;
use crate::isa::Insn;
use crate::uapi::types::{elem_flags, BPF_OBJ_NAME_LEN};
use crate::uapi::Errno;
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
    /// The kernel BTF `__ksym` externs (kfuncs, kernel variables) resolve
    /// against; None: the process's instance's ([`crate::Config::kernel_btf`]),
    /// as libbpf resolves them against the running kernel's.
    pub kernel_btf: Option<Arc<Btf>>,
}

/// What a caller may set on one program before its load (libbpf's
/// bpf_program__set_* calls); `None` keeps what the object says.
#[derive(Clone, Debug, Default)]
pub struct ProgOptions {
    pub log_level: u32,
    /// The log buffer's size (default: the request's own).
    pub log_size: Option<u32>,
    /// bpf_program__set_type(): the section's flags then no longer apply.
    pub prog_type: Option<u32>,
    pub expected_attach_type: Option<u32>,
    /// prog_flags added to those the section name implies.
    pub prog_flags: u32,
    /// In place of the object's `license` section.
    pub license: Option<Vec<u8>>,
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
        let kernel_btf = opts.kernel_btf.as_ref().or(process.kernel_btf());
        let ksyms = resolve_ksyms(object, kernel_btf.map(|b| &**b))?;
        apply_ksym_relocs(object, &mut me.code, &ksyms)?;
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

    /// BPF_PROG_LOAD of one program (whatever its autoload). An unknown
    /// section name or a link error is an `Err`; the kernel's verdict (fd
    /// or errno) is in the returned load's outcome.
    pub fn load_program(&mut self, name: &str, log_level: u32) -> Result<&ProgramLoad, ObjError> {
        self.load_program_with(
            name,
            &ProgOptions {
                log_level,
                ..Default::default()
            },
        )
    }

    /// [`Self::load_program`] with what libbpf lets a caller change before
    /// the load (bpf_program__set_type, __set_flags, __set_log_level, ...).
    pub fn load_program_with(&mut self, name: &str, o: &ProgOptions) -> Result<&ProgramLoad, ObjError> {
        let prog = self
            .object
            .program(name)
            .ok_or_else(|| ObjError::NoSuchProgram { name: name.to_string() })?
            .clone();
        // bpf_program__set_type() forgets the section's definition: its
        // flags no longer apply, its expected attach type stays.
        let (prog_type, section_flags, section_attach) = match (o.prog_type, prog.def) {
            (Some(t), def) => (t, 0, def.map_or(0, |d| d.expected_attach_type)),
            (None, Some(d)) => (d.prog_type, d.prog_flags, d.expected_attach_type),
            (None, None) => {
                return Err(ObjError::UnknownSection {
                    program: prog.name().to_string(),
                    section: prog.section.clone(),
                })
            }
        };
        let expected_attach_type = o.expected_attach_type.unwrap_or(section_attach);
        let linked = link_program(&self.object, &self.code, &prog)?;
        let mut req = ProgLoadRequest {
            prog_type,
            insns: linked.insns.clone(),
            license: o.license.clone().unwrap_or_else(|| self.object.license.clone()),
            log_level: o.log_level,
            kern_version: self.object.kern_version,
            prog_flags: section_flags | o.prog_flags,
            name: obj_name(prog.name()),
            expected_attach_type,
            ..Default::default()
        };
        if let Some(size) = o.log_size {
            req.log_size = size;
        }
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
            prog_type,
            expected_attach_type,
            linked,
            outcome,
        });
        Ok(self.loads.last().expect("just pushed"))
    }

    /// bpf_object_init_prog_arrays(): after the programs load, every prog
    /// array's `values` slot gets its program's fd. As libbpf, a program
    /// that was not loaded gives -ENOENT as its "fd", which the map update
    /// refuses (EBADF), and the object's load fails.
    pub fn init_prog_arrays(&mut self) -> Result<(), ObjError> {
        for (i, def) in self.object.maps.iter().enumerate() {
            if def.prog_slots.is_empty() {
                continue;
            }
            let Some(map_fd) = self.maps.get(i).map(|m| m.fd) else {
                continue;
            };
            for (slot, prog) in &def.prog_slots {
                let fd = self.prog_fd(prog).map_or(-Errno::ENOENT.0, |fd| fd as i32);
                self.process
                    .map_update(map_fd, &slot.to_le_bytes(), &fd.to_le_bytes(), elem_flags::ANY)
                    .map_err(|errno| ObjError::ProgArraySlot {
                        map: def.name.clone(),
                        slot: *slot,
                        program: prog.clone(),
                        fd,
                        errno,
                    })?;
            }
        }
        Ok(())
    }

    /// bpf_object__load(): every autoloaded program (not `SEC("?...")`)
    /// in order, then the prog arrays' slots; the first failure unloads
    /// everything (the maps and programs made so far are closed).
    pub fn load_all(process: &'p Process, object: &Object, opts: &LoadOptions) -> Result<Self, ObjError> {
        let names: Vec<&str> = object
            .programs
            .iter()
            .filter(|p| p.autoload)
            .map(|p| p.name())
            .collect();
        Self::load_selected(process, object, opts, &names)
    }

    /// bpf_object__load() with autoload on for `names` alone (as
    /// bpf_program__set_autoload): those programs in the object's order,
    /// then the prog arrays' slots.
    pub fn load_selected(
        process: &'p Process,
        object: &Object,
        opts: &LoadOptions,
        names: &[&str],
    ) -> Result<Self, ObjError> {
        if let Some(missing) = names.iter().find(|n| object.program(n).is_none()) {
            return Err(ObjError::NoSuchProgram {
                name: missing.to_string(),
            });
        }
        let mut me = Self::prepare(process, object, opts)?;
        let selected: Vec<String> = object
            .programs
            .iter()
            .map(|p| p.name().to_string())
            .filter(|n| names.contains(&n.as_str()))
            .collect();
        for name in selected {
            let load = me.load_program(&name, opts.log_level)?;
            if let Err(errno) = load.outcome.result {
                return Err(ObjError::ProgLoad {
                    program: name,
                    errno,
                    log: load.outcome.log.clone(),
                });
            }
        }
        me.init_prog_arrays()?;
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
