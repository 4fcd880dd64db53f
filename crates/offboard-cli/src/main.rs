//! `offboard`: the binary only parses arguments, sets up logging and dispatches. Each command
//! lives in `commands/<name>.rs`; every failure becomes an exit code in one place, `exit.rs`.

mod cli;
mod commands;
mod exit;
mod journal;
mod logging;
mod output;
mod policy_files;
mod target;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(&cli.global);
    let result = commands::run(cli);
    exit::report(result)
}
