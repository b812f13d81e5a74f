//! Prototypes of drivers/media/rc/bpf-lirc.c (infrared decoders).

use super::*;

pub static RC_REPEAT_PROTO: Proto = Proto {
    name: "rc_repeat_proto",
    func_id: BPF_FUNC_RC_REPEAT,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX],
    ..Proto::EMPTY
};

pub static RC_KEYDOWN_PROTO: Proto = Proto {
    name: "rc_keydown_proto",
    func_id: BPF_FUNC_RC_KEYDOWN,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};

pub static RC_POINTER_REL_PROTO: Proto = Proto {
    name: "rc_pointer_rel_proto",
    func_id: BPF_FUNC_RC_POINTER_REL,
    gpl_only: true,
    ret_type: RET_INTEGER,
    arg_type: args![ARG_PTR_TO_CTX, ARG_ANYTHING, ARG_ANYTHING],
    ..Proto::EMPTY
};
