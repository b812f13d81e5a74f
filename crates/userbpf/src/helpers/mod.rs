//! Kernel helper functions: prototypes (proto/, the catalogue) and implementations at run time
//! (run/); their ids and names are uapi ([`crate::uapi::helper_ids`]).

pub(crate) mod availability;
pub(crate) mod proto;
pub(crate) mod run;
