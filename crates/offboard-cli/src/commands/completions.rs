//! `offboard completions SHELL` and `offboard man`: generated from the clap definition in
//! `cli.rs`, so they can never list a flag the binary does not have.

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::exit::{CliError, Outcome};
use clap::CommandFactory;
use std::io::Write;

pub fn completions(args: CompletionsArgs) -> Result<Outcome, CliError> {
    write_stdout(&completion_script(args.shell))?;
    Ok(Outcome::Success)
}

pub fn man(args: ManArgs) -> Result<Outcome, CliError> {
    match args.out_dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(CliError::io(format!("cannot create {}", dir.display())))?;
            clap_mangen::generate_to(Cli::command(), &dir)
                .map_err(CliError::io(format!("cannot write the man pages into {}", dir.display())))?;
            tracing::info!(dir = %dir.display(), "man pages written");
        }
        None => write_stdout(&man_page().map_err(CliError::io("cannot render the man page"))?)?,
    }
    Ok(Outcome::Success)
}

/// A generated script or page, whole, on stdout.
fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|()| out.flush()).map_err(CliError::io("cannot write to stdout"))
}

fn completion_script(shell: clap_complete::Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "offboard", &mut buf);
    buf
}

fn man_page() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap_complete::Shell;

    const SUBCOMMANDS: [&str; 8] = ["validate", "plan", "apply", "show", "sandbox", "report", "completions", "man"];

    #[test]
    fn every_shell_completes_every_subcommand() {
        for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
            let script = String::from_utf8(completion_script(shell)).unwrap();
            assert!(script.contains("offboard"), "{shell}: names the binary");
            for sub in SUBCOMMANDS {
                assert!(script.contains(sub), "{shell} completion lacks `{sub}`:\n{script}");
            }
            assert!(script.contains("detailed-exitcode"), "{shell}: completes plan's flags too");
        }
    }

    #[test]
    fn the_man_page_lists_the_subcommands() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.starts_with(".ie") || page.contains(".TH offboard"), "roff with a title:\n{page}");
        for sub in SUBCOMMANDS {
            // roff escapes the hyphen: offboard\-plan(1).
            assert!(page.contains(&format!("offboard\\-{sub}")), "man page lacks offboard-{sub}:\n{page}");
        }
    }

    #[test]
    fn man_pages_per_subcommand_are_written_to_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        man(ManArgs { out_dir: Some(dir.path().join("man1")) }).unwrap();
        for page in ["offboard.1", "offboard-plan.1", "offboard-report.1"] {
            let text = std::fs::read_to_string(dir.path().join("man1").join(page)).unwrap();
            assert!(!text.is_empty(), "{page}");
        }
    }
}
