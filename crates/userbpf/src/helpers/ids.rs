//! Helper function ids and names (the uapi __BPF_FUNC_MAPPER).
