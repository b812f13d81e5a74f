//! Kernel helper functions: prototypes and implementations at run time
//! (run/); their ids and names are uapi ([`crate::uapi::helper_ids`]).

pub(crate) mod availability;
pub(crate) mod protos;
pub(crate) mod run;
