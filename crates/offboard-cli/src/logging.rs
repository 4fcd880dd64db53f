//! Logs go to stderr through `tracing`, so stdout carries only plans and results. They are
//! written through [`crate::progress::Stderr`], which lifts a progress bar off the terminal
//! while a line is written.

use crate::cli::{GlobalArgs, LogFormat};
use tracing_subscriber::EnvFilter;

pub fn init(global: &GlobalArgs) {
    let default = match (global.quiet, global.verbose) {
        (true, _) => "error",
        // Progress lines (long runs only) and the call summary of a run that met throttling
        // are for everyone watching a run, CI included; see `progress.rs`.
        (false, 0) => "warn,offboard::progress=info",
        (false, 1) => "info,offboard=info",
        (false, 2) => "debug,hyper=info,h2=info,rustls=info,aws_smithy_runtime=info,aws_config=info",
        (false, _) => "trace",
    };
    // RUST_LOG, when set, wins: it is how one debugs a single module.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(crate::progress::Stderr);
    let _ = match global.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init(),
    };
}
