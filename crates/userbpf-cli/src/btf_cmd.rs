//! `userbpf btf dump [file] FILE`: the types of raw BTF or of an ELF
//! object's `.BTF`, as `bpftool btf dump file FILE` prints them.

use std::path::PathBuf;

use clap::Subcommand;
use userbpf::btf::dump::dump_raw;
use userbpf::obj::read_target_btf;

use crate::failure::Failure;

#[derive(Subcommand)]
pub enum BtfCmd {
    /// Print every type (bpftool's raw format)
    Dump {
        /// `FILE`, or `file FILE` as bpftool spells it
        #[arg(num_args = 1..=2, value_names = ["file", "FILE"])]
        args: Vec<PathBuf>,
    },
}

pub fn run(cmd: &BtfCmd) -> Result<(), Failure> {
    let BtfCmd::Dump { args } = cmd;
    let path = match &args[..] {
        [f] => f,
        [kw, f] if kw.as_os_str() == "file" => f,
        _ => return Err(Failure::usage("expected `btf dump FILE` or `btf dump file FILE`")),
    };
    let data = std::fs::read(path).map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let btf = read_target_btf(&data).map_err(|e| Failure::from(format!("{}: {e}", path.display())))?;
    print!("{}", dump_raw(&btf));
    Ok(())
}
