//! Kernel helper functions: prototypes (proto/, the catalogue) and implementations at run time
//! (run/); their ids and names are uapi ([`crate::uapi::helper_ids`]).

pub(crate) mod availability;
// Since check_helper_call takes the prototype get_func_proto returns,
// the catalogue's by-id default (default_proto), its row index (ALL) and
// Proto::helper_name serve only its own tests, and its lirc rows no
// get_func_proto of this host (no CONFIG_BPF_LIRC_MODE2): to be settled in
// proto/ by its owner (cfg(test) or removal); until then, allowed here.
#[allow(dead_code)]
pub(crate) mod proto;
pub(crate) mod run;
