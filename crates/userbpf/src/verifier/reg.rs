//! Register state (struct bpf_reg_state): type, fixed offset, tnum and the
//! signed/unsigned 64- and 32-bit bounds, with the kernel's bound deduction
//! (reg_bounds_sync) and its log text (print_reg_state).

use std::fmt::Write;

use super::tnum::Tnum;

/// The register types tracked so far (enum bpf_reg_type).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegType {
    NotInit,
    Scalar,
    Ctx,
    /// PTR_TO_STACK of frame `frameno`.
    Stack,
    MapPtr,
    MapValue,
    MapValueOrNull,
    /// CONST_PTR_TO_MAP | PTR_MAYBE_NULL: a map-in-map lookup's result, the
    /// inner map's template or NULL.
    MapPtrOrNull,
    Packet,
    PacketMeta,
    PacketEnd,
    /// PTR_TO_MEM | MEM_RINGBUF: a reserved ring buffer record.
    RingbufMem,
    RingbufMemOrNull,
    /// PTR_TO_FUNC: a callback (ld_imm64 BPF_PSEUDO_FUNC); `subprog` names it.
    Func,
    /// PTR_TO_MAP_KEY: a key of `map`, read-only (a callback's argument).
    MapKey,
    /// PTR_TO_SOCKET: a full socket (struct bpf_sock), read-only.
    Socket,
    /// PTR_TO_SOCKET | PTR_MAYBE_NULL.
    SocketOrNull,
    /// PTR_TO_SOCK_COMMON: the fields every socket has (struct bpf_sock
    /// without type..priority), read-only.
    SockCommon,
    /// PTR_TO_SOCK_COMMON | PTR_MAYBE_NULL: `__sk_buff.sk`.
    SockCommonOrNull,
    /// PTR_TO_FLOW_KEYS: the flow dissector's struct bpf_flow_keys.
    FlowKeys,
}

impl RegType {
    /// reg_type_str().
    pub fn name(self) -> &'static str {
        match self {
            RegType::NotInit => "?",
            RegType::Scalar => "scalar",
            RegType::Ctx => "ctx",
            RegType::Stack => "fp",
            RegType::MapPtr => "map_ptr",
            RegType::MapValue => "map_value",
            RegType::MapValueOrNull => "map_value_or_null",
            RegType::MapPtrOrNull => "map_ptr_or_null",
            RegType::Packet => "pkt",
            RegType::PacketMeta => "pkt_meta",
            RegType::PacketEnd => "pkt_end",
            RegType::RingbufMem => "ringbuf_mem",
            RegType::RingbufMemOrNull => "ringbuf_mem_or_null",
            RegType::Func => "func",
            RegType::MapKey => "map_key",
            RegType::Socket => "sock",
            RegType::SocketOrNull => "sock_or_null",
            RegType::SockCommon => "sock_common",
            RegType::SockCommonOrNull => "sock_common_or_null",
            RegType::FlowKeys => "flow_keys",
        }
    }

    pub fn is_pointer(self) -> bool {
        !matches!(self, RegType::NotInit | RegType::Scalar)
    }

    /// type_may_be_null(): a pointer that must be null-checked first.
    pub fn is_or_null(self) -> bool {
        matches!(
            self,
            RegType::MapValueOrNull
                | RegType::RingbufMemOrNull
                | RegType::MapPtrOrNull
                | RegType::SocketOrNull
                | RegType::SockCommonOrNull
        )
    }

    pub fn is_pkt_pointer(self) -> bool {
        matches!(self, RegType::Packet | RegType::PacketMeta)
    }
}

/// The `index` of an inner map template (a map-in-map lookup's result):
/// no used map of the program, so its values' accesses prove no region.
pub const INNER_MAP_INDEX: u32 = u32::MAX;

/// The map a register refers to (reg->map_ptr): what the verifier checks
/// against, and its index in the program's used maps (its identity).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct MapShape {
    pub key_size: u32,
    pub value_size: u32,
    pub map_type: u32,
    pub max_entries: u32,
    pub map_flags: u32,
    pub index: u32,
    /// The map's name (up to 15 bytes, NUL-padded), for messages.
    pub name: [u8; 16],
    /// The map was created with BTF (map->btf).
    pub has_btf: bool,
    /// bpf_map_is_rdonly(): BPF_F_RDONLY_PROG and frozen.
    pub rdonly: bool,
    /// Its value's special fields (map->record).
    pub record: crate::maps::btf_record::BtfRecord,
}

impl MapShape {
    /// map->name as the log prints it.
    pub fn name_str(&self) -> String {
        let end = self.name.iter().position(|&b| b == 0).unwrap_or(16);
        String::from_utf8_lossy(&self.name[..end]).into_owned()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegState {
    pub ty: RegType,
    /// Fixed offset of a pointer (reg->off).
    pub off: i32,
    pub var_off: Tnum,
    pub smin: i64,
    pub smax: i64,
    pub umin: u64,
    pub umax: u64,
    pub s32_min: i32,
    pub s32_max: i32,
    pub u32_min: u32,
    pub u32_max: u32,
    /// Shared by copies (null checks, packet ranges, scalar links).
    pub id: u32,
    /// Packet pointers: bytes proven accessible past the pointer.
    pub range: i32,
    pub map: MapShape,
    pub frameno: u32,
    pub precise: bool,
    /// The acquired reference this pointer belongs to (ref_obj_id).
    pub ref_obj_id: u32,
    /// PTR_TO_MEM: the accessible size.
    pub mem_size: u32,
    /// PTR_TO_FUNC: the first instruction of the callback (subprogno).
    pub subprog: u32,
}

impl Default for RegState {
    fn default() -> Self {
        RegState::not_init()
    }
}

impl RegState {
    pub fn not_init() -> Self {
        let mut r = RegState::unknown();
        r.ty = RegType::NotInit;
        r
    }

    /// __mark_reg_unknown(): a scalar about which nothing is known.
    pub fn unknown() -> Self {
        RegState {
            ty: RegType::Scalar,
            off: 0,
            var_off: Tnum::UNKNOWN,
            smin: i64::MIN,
            smax: i64::MAX,
            umin: 0,
            umax: u64::MAX,
            s32_min: i32::MIN,
            s32_max: i32::MAX,
            u32_min: 0,
            u32_max: u32::MAX,
            id: 0,
            range: 0,
            map: MapShape::default(),
            frameno: 0,
            precise: false,
            ref_obj_id: 0,
            mem_size: 0,
            subprog: 0,
        }
    }

    /// __mark_reg_known(): a constant scalar.
    pub fn known(v: u64) -> Self {
        let mut r = RegState::unknown();
        r.set_known(v);
        r
    }

    pub fn set_known(&mut self, v: u64) {
        self.var_off = Tnum::constant(v);
        self.smin = v as i64;
        self.smax = v as i64;
        self.umin = v;
        self.umax = v;
        self.s32_min = v as i32;
        self.s32_max = v as i32;
        self.u32_min = v as u32;
        self.u32_max = v as u32;
    }

    /// A pointer of type `ty` with fixed offset 0 and no variable part.
    pub fn pointer(ty: RegType) -> Self {
        let mut r = RegState::known(0);
        r.ty = ty;
        r
    }

    pub fn is_const(&self) -> bool {
        self.var_off.is_const()
    }

    /// Unbounded 64 and 32-bit ranges (bounds left to be re-derived).
    pub fn unbound(&mut self) {
        self.smin = i64::MIN;
        self.smax = i64::MAX;
        self.umin = 0;
        self.umax = u64::MAX;
        self.unbound32();
    }

    pub fn unbound32(&mut self) {
        self.s32_min = i32::MIN;
        self.s32_max = i32::MAX;
        self.u32_min = 0;
        self.u32_max = u32::MAX;
    }

    fn update_bounds(&mut self) {
        let v32 = self.var_off.subreg();
        self.s32_min = self.s32_min.max((v32.value | (v32.mask & 0x8000_0000)) as u32 as i32);
        self.s32_max = self.s32_max.min((v32.value | (v32.mask & 0x7fff_ffff)) as u32 as i32);
        self.u32_min = self.u32_min.max(v32.value as u32);
        self.u32_max = self.u32_max.min((v32.value | v32.mask) as u32);
        let v = self.var_off;
        self.smin = self.smin.max((v.value | (v.mask & (1 << 63))) as i64);
        self.smax = self.smax.min((v.value | (v.mask & !(1 << 63))) as i64);
        self.umin = self.umin.max(v.value);
        self.umax = self.umax.min(v.value | v.mask);
    }

    fn deduce32(&mut self) {
        if self.umin >> 32 == self.umax >> 32 {
            self.u32_min = self.u32_min.max(self.umin as u32);
            self.u32_max = self.u32_max.min(self.umax as u32);
            if (self.umin as i32) <= (self.umax as i32) {
                self.s32_min = self.s32_min.max(self.umin as i32);
                self.s32_max = self.s32_max.min(self.umax as i32);
            }
        }
        if self.smin >> 32 == self.smax >> 32 {
            if (self.smin as u32) <= (self.smax as u32) {
                self.u32_min = self.u32_min.max(self.smin as u32);
                self.u32_max = self.u32_max.min(self.smax as u32);
            }
            if (self.smin as i32) <= (self.smax as i32) {
                self.s32_min = self.s32_min.max(self.smin as i32);
                self.s32_max = self.s32_max.min(self.smax as i32);
            }
        }
        if ((self.umin >> 32) as u32).wrapping_add(1) == (self.umax >> 32) as u32
            && (self.umin as i32) < 0
            && (self.umax as i32) >= 0
        {
            self.s32_min = self.s32_min.max(self.umin as i32);
            self.s32_max = self.s32_max.min(self.umax as i32);
        }
        if ((self.smin >> 32) as u32).wrapping_add(1) == (self.smax >> 32) as u32
            && (self.smin as i32) < 0
            && (self.smax as i32) >= 0
        {
            self.s32_min = self.s32_min.max(self.smin as i32);
            self.s32_max = self.s32_max.min(self.smax as i32);
        }
        if (self.u32_min as i32) <= (self.u32_max as i32) {
            self.s32_min = self.s32_min.max(self.u32_min as i32);
            self.s32_max = self.s32_max.min(self.u32_max as i32);
        }
        if (self.s32_min as u32) <= (self.s32_max as u32) {
            self.u32_min = self.u32_min.max(self.s32_min as u32);
            self.u32_max = self.u32_max.min(self.s32_max as u32);
        }
    }

    fn deduce64(&mut self) {
        if (self.umin as i64) <= (self.umax as i64) {
            self.smin = self.smin.max(self.umin as i64);
            self.smax = self.smax.min(self.umax as i64);
        }
        if (self.smin as u64) <= (self.smax as u64) {
            self.umin = self.umin.max(self.smin as u64);
            self.umax = self.umax.min(self.smax as u64);
        }
    }

    fn deduce_mixed(&mut self) {
        let hi = !0xffff_ffffu64;
        let new_umin = (self.umin & hi) | self.u32_min as u64;
        let new_umax = (self.umax & hi) | self.u32_max as u64;
        self.umin = self.umin.max(new_umin);
        self.umax = self.umax.min(new_umax);
        let new_smin = ((self.smin as u64 & hi) | self.u32_min as u64) as i64;
        let new_smax = ((self.smax as u64 & hi) | self.u32_max as u64) as i64;
        self.smin = self.smin.max(new_smin);
        self.smax = self.smax.min(new_smax);
        if self.s32_min >= 0 && self.smin >= i32::MIN as i64 && self.smax <= i32::MAX as i64 {
            self.smin = self.s32_min as i64;
            self.smax = self.s32_max as i64;
            self.umin = self.s32_min as u64;
            self.umax = self.s32_max as u64;
            self.var_off = self.var_off.intersect(Tnum::range(self.smin as u64, self.smax as u64));
        }
    }

    fn deduce(&mut self) {
        self.deduce32();
        self.deduce64();
        self.deduce_mixed();
    }

    fn bound_offset(&mut self) {
        let v64 = self.var_off.intersect(Tnum::range(self.umin, self.umax));
        let v32 = v64
            .subreg()
            .intersect(Tnum::range(self.u32_min as u64, self.u32_max as u64));
        self.var_off = v64.clear_subreg().or(v32);
    }

    /// reg_bounds_sync(): learn bounds from the tnum, the sign bit, and bits
    /// from the bounds, as the kernel does.
    pub fn sync_bounds(&mut self) {
        self.update_bounds();
        self.deduce();
        self.deduce();
        self.bound_offset();
        self.update_bounds();
    }

    /// coerce_reg_to_size_sx(): the 64-bit bounds after sign-extending the
    /// low `bits`, exact when the signed range keeps one sign.
    pub fn coerce_reg_to_size_sx(&mut self, bits: u8) {
        if self.var_off.is_const() {
            let v = sext(self.var_off.value, bits) as u64;
            self.set_known(v);
            return;
        }
        let n = bits as u32;
        let top = |x: i64| ((x as u64) >> n) << n;
        if top(self.smax) == top(self.smin) {
            let (a, b) = (sext(self.smax as u64, bits), sext(self.smin as u64, bits));
            let (lo, hi) = (a.min(b), a.max(b));
            if (hi >= 0) == (lo >= 0) {
                self.smin = lo;
                self.smax = hi;
                self.s32_min = lo as i32;
                self.s32_max = hi as i32;
                self.umin = lo as u64;
                self.umax = hi as u64;
                self.u32_min = lo as u32;
                self.u32_max = hi as u32;
                self.var_off = Tnum::range(lo as u64, hi as u64);
                return;
            }
        }
        // set_sext64_default_val().
        let lim = 1i64 << (bits - 1);
        self.smin = -lim;
        self.smax = lim - 1;
        self.s32_min = -lim as i32;
        self.s32_max = (lim - 1) as i32;
        self.umin = 0;
        self.umax = u64::MAX;
        self.u32_min = 0;
        self.u32_max = u32::MAX;
        self.var_off = Tnum::UNKNOWN;
    }

    /// coerce_subreg_to_size_sx(): the 32-bit bounds after sign-extending
    /// the low `bits` (8 or 16) into the subregister.
    pub fn coerce_subreg_to_size_sx(&mut self, bits: u8) {
        if self.var_off.is_const() {
            let v = sext(self.var_off.value, bits) as i32;
            self.var_off = Tnum::constant(v as u32 as u64);
            self.s32_min = v;
            self.s32_max = v;
            self.u32_min = v as u32;
            self.u32_max = v as u32;
            return;
        }
        let n = bits as u32;
        let top = |x: i32| ((x as u32) >> n) << n;
        if top(self.s32_max) == top(self.s32_min) {
            let (a, b) = (
                sext(self.s32_max as u32 as u64, bits) as i32,
                sext(self.s32_min as u32 as u64, bits) as i32,
            );
            let (lo, hi) = (a.min(b), a.max(b));
            if (lo >= 0) == (hi >= 0) {
                self.s32_min = lo;
                self.s32_max = hi;
                self.u32_min = lo as u32;
                self.u32_max = hi as u32;
                self.var_off = Tnum::range(lo as i64 as u64, hi as i64 as u64).subreg();
                return;
            }
        }
        // set_sext32_default_val().
        let lim = 1i32 << (bits - 1);
        self.s32_min = -lim;
        self.s32_max = lim - 1;
        self.u32_min = 0;
        self.u32_max = u32::MAX;
        self.var_off = Tnum::UNKNOWN.subreg();
    }

    /// zext_32_to_64(): the result of a 32-bit operation.
    pub fn zext_32_to_64(&mut self) {
        self.var_off = self.var_off.subreg();
        self.umin = self.u32_min as u64;
        self.umax = self.u32_max as u64;
        if self.s32_min >= 0 {
            self.smin = self.s32_min as i64;
            self.smax = self.s32_max as i64;
        } else {
            self.smin = 0;
            self.smax = u32::MAX as i64;
        }
    }

    /// print_reg_state(): the text after `R1=`. `cur_frame` is the frame
    /// being printed (stack pointers of other frames show theirs).
    #[cfg(test)]
    pub fn log_text(&self) -> String {
        self.log_text_in(self.frameno)
    }

    pub fn log_text_in(&self, cur_frame: u32) -> String {
        let mut s = String::new();
        let t = self.ty;
        if t == RegType::Scalar && self.precise {
            s.push('P');
        }
        if t == RegType::Scalar && self.var_off.is_const() {
            s.push_str(&snum(self.var_off.value as i64));
            return s;
        }
        s.push_str(t.name());
        if t == RegType::Stack {
            if cur_frame != self.frameno {
                let _ = write!(s, "[{}]", self.frameno);
            }
            if self.var_off.is_const() {
                s.push_str(&snum((self.var_off.value as i64).wrapping_add(self.off as i64)));
                return s;
            }
        }
        s.push('(');
        let mut parts: Vec<String> = Vec::new();
        if self.id != 0 {
            let flag = super::linked::ADD_CONST;
            let mut p = format!("id={}", self.id & !flag);
            if self.id & flag != 0 {
                p.push_str(&format!("{:+}", self.off));
            }
            parts.push(p);
        }
        if self.ref_obj_id != 0 {
            parts.push(format!("ref_obj_id={}", self.ref_obj_id));
        }
        if matches!(
            t,
            RegType::MapPtr | RegType::MapValue | RegType::MapValueOrNull | RegType::MapKey | RegType::MapPtrOrNull
        ) {
            parts.push(format!("ks={},vs={}", self.map.key_size, self.map.value_size));
        }
        if t != RegType::Scalar && self.off != 0 {
            parts.push(format!("off={}", snum(self.off as i64)));
        }
        if t.is_pkt_pointer() {
            parts.push(format!("r={}", unum(self.range as u64)));
        }
        if matches!(t, RegType::RingbufMem | RegType::RingbufMemOrNull) {
            parts.push(format!("sz={}", self.mem_size));
        }
        if self.var_off.is_const() {
            if self.var_off.value != 0 {
                parts.push(format!("imm={}", snum(self.var_off.value as i64)));
            }
        } else {
            parts.extend(scalar_ranges(self));
            if !self.var_off.is_unknown() {
                parts.push(format!("var_off={}", tnum_text(self.var_off)));
            }
        }
        s.push_str(&parts.join(","));
        s.push(')');
        s
    }
}

/// verbose_snum(): small values in decimal, others in hex.
pub fn snum(v: i64) -> String {
    if (i16::MIN as i64..=i16::MAX as i64).contains(&v) {
        v.to_string()
    } else {
        format!("{:#x}", v as u64)
    }
}

/// verbose_unum().
pub fn unum(v: u64) -> String {
    if v <= u16::MAX as u64 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

/// tnum_strn(): a constant as a number, else "(value; mask)".
pub fn tnum_text(t: Tnum) -> String {
    if t.is_const() {
        unum(t.value)
    } else {
        format!("{t:?}")
    }
}

/// print_scalar_ranges(): non-default bounds, equal values merged.
fn scalar_ranges(r: &RegState) -> Vec<String> {
    // 32-bit signed bounds are not sign-extended when printed in hex.
    let s32 = |v: i32| {
        if (i16::MIN as i32..=i16::MAX as i32).contains(&v) {
            v as i64 as u64
        } else {
            v as u32 as u64
        }
    };
    let items: [(&str, u64, bool); 8] = [
        ("smin", r.smin as u64, r.smin == i64::MIN),
        ("smax", r.smax as u64, r.smax == i64::MAX),
        ("umin", r.umin, r.umin == 0),
        ("umax", r.umax, r.umax == u64::MAX),
        ("smin32", s32(r.s32_min), r.s32_min == i32::MIN),
        ("smax32", s32(r.s32_max), r.s32_max == i32::MAX),
        ("umin32", r.u32_min as u64, r.u32_min == 0),
        ("umax32", r.u32_max as u64, r.u32_max == u32::MAX),
    ];
    let mut omit: [bool; 8] = items.map(|i| i.2);
    let mut out = Vec::new();
    for i in 0..8 {
        if omit[i] {
            continue;
        }
        let (name, val, _) = items[i];
        let neg1 = name.starts_with('s') && (val as i64) < 0;
        let mut text = format!("{name}=");
        let mut j = i + 2;
        while j < 8 {
            let (n2, v2, _) = items[j];
            let neg2 = n2.starts_with('s') && (v2 as i64) < 0;
            if !omit[j] && v2 == val && neg1 == neg2 {
                omit[j] = true;
                let _ = write!(text, "{n2}=");
            }
            j += 2;
        }
        text.push_str(&if name.starts_with('s') {
            snum(val as i64)
        } else {
            unum(val)
        });
        out.push(text);
    }
    out
}

/// Sign-extends the low `bits` of `v`.
fn sext(v: u64, bits: u8) -> i64 {
    match bits {
        8 => v as i8 as i64,
        16 => v as i16 as i64,
        _ => v as i32 as i64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_of_common_states() {
        // From kernel 6.18 logs: "R1=ctx()", "R10=fp0", "R0=0", "R2=fp-4".
        assert_eq!(RegState::pointer(RegType::Ctx).log_text(), "ctx()");
        assert_eq!(RegState::pointer(RegType::Stack).log_text(), "fp0");
        let mut fp = RegState::pointer(RegType::Stack);
        fp.off = -4;
        assert_eq!(fp.log_text(), "fp-4");
        assert_eq!(RegState::known(0).log_text(), "0");
        assert_eq!(RegState::known(u64::MAX).log_text(), "-1");
        let mut m = RegState::pointer(RegType::MapValueOrNull);
        m.id = 1;
        m.map = MapShape {
            key_size: 4,
            value_size: 8,
            ..MapShape::default()
        };
        assert_eq!(m.log_text(), "map_value_or_null(id=1,ks=4,vs=8)");
    }

    #[test]
    fn byte_load_bounds() {
        // A u8 load: var_off (0; 0xff) gives the kernel's
        // "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))".
        let mut r = RegState::unknown();
        r.var_off = Tnum::new(0, 0xff);
        r.sync_bounds();
        assert_eq!((r.umin, r.umax, r.smin, r.smax), (0, 255, 0, 255));
        assert_eq!(
            r.log_text(),
            "scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))"
        );
    }
}
