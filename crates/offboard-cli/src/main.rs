//! `offboard`: the binary only parses arguments, sets up logging and dispatches. Each command
//! lives in `commands/<name>.rs`; every failure becomes an exit code in one place, `exit.rs`.

mod cli;
mod commands;
mod exit;
mod journal;
mod logging;
mod output;
mod policy_files;
mod progress;
#[cfg(feature = "sandbox")]
mod sandbox_state;
mod target;

use clap::Parser;
use std::process::ExitCode;

// A plan of 10,000 leavers is a few million small allocations (grants, ids, the action
// items), made and freed at once. glibc's malloc spent about a third of the planner's time on
// them; mimalloc plans the same in about 60% of the time (`cargo bench -p offboard-core`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        // `--help` and `--version` come back as "errors" that go to stdout: they are answers.
        Err(err) if !err.use_stderr() => {
            let _ = err.print();
            return ExitCode::from(exit::OffboardExitCode::SUCCESS);
        }
        Err(err) => return exit::report(Err(exit::CliError::Arguments(err))),
    };
    logging::init(&cli.global);
    progress::init(&cli.global);
    let result = commands::run(cli);
    exit::report(result)
}
