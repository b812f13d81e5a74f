//! Maps as the recorded fixtures describe them.

use userbpf::uapi::types::{map_type_from_str, parse_u32};
use userbpf::MapCreateRequest;

/// kbpf.py's `--map TYPE:KEY:VALUE:MAX[:FLAGS]` as a create request
/// (panics on a spec that doesn't parse).
pub fn map_spec(spec: &str) -> MapCreateRequest {
    let f: Vec<&str> = spec.split(':').collect();
    let num = |s: &str| parse_u32(s).unwrap_or_else(|| panic!("number {s:?} in {spec}"));
    MapCreateRequest {
        map_type: map_type_from_str(f[0]).expect("map type"),
        key_size: num(f[1]),
        value_size: num(f[2]),
        max_entries: num(f[3]),
        map_flags: f.get(4).map_or(0, |x| num(x)),
        ..Default::default()
    }
}
