//! Everything that goes to stdout (plans and results), and reading/writing plan files.
//! Logs never come here: they go to stderr through tracing.

use crate::cli::{ColorChoice, OutputFormat};
use crate::exit::CliError;
use anyhow::Context;
use offboard_core::Plan;
use offboard_core::drift::RemovalHistory;
use offboard_core::render::{self, Format, RenderOptions};
use std::io::{IsTerminal, Write};
use std::path::Path;

/// Print one line to stdout. stdout and stderr are often the same terminal, so a progress bar
/// drawn on stderr is lifted while the line is written.
pub fn line(text: &str) -> std::io::Result<()> {
    crate::progress::suspend(|| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{text}")?;
        out.flush()
    })
}

pub fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    }
}

pub fn format(format: OutputFormat) -> Format {
    match format {
        OutputFormat::Text => Format::Text,
        OutputFormat::Markdown => Format::Markdown,
        OutputFormat::Json => Format::Json,
    }
}

/// Write the plan in `format` to `out`; with a removal history, grants it shows were removed
/// before are marked "regained since <date>". stdout and the GitHub job summary both go through
/// here, so the marks can never be on one and missing from the other. Written as it is rendered
/// (`render::write`): a large plan's text is never held whole.
fn write_plan_as(
    plan: &Plan,
    format: Format,
    options: &RenderOptions,
    history: Option<&RemovalHistory>,
    out: impl Write,
) -> std::io::Result<()> {
    let none = RemovalHistory::default();
    let mut out = std::io::BufWriter::new(out);
    render::write(plan, format, options, history.unwrap_or(&none), &mut out)?;
    out.flush()
}

/// Print the plan on stdout (see [`write_plan_as`]), coloured only as text and only where
/// `color` allows it.
pub fn print_plan(
    plan: &Plan,
    fmt: OutputFormat,
    color: ColorChoice,
    history: Option<&RemovalHistory>,
) -> std::io::Result<()> {
    let mut options = RenderOptions::default();
    options.text.color = use_color(color) && fmt == OutputFormat::Text;
    write_plan_as(plan, format(fmt), &options, history, std::io::stdout().lock())
}

pub fn read_plan(path: &Path) -> Result<Plan, CliError> {
    read_plan_and_digest(path).map(|(plan, _)| plan)
}

/// The plan and the digest of the file's bytes (`sha256:…`), which is what a reviewer compares.
pub fn read_plan_and_digest(path: &Path) -> Result<(Plan, String), CliError> {
    let text = std::fs::read_to_string(path)
        .with_context(|| {
            format!("cannot read the plan file {}: pass a file written by `offboard plan --out`", path.display())
        })
        .map_err(CliError::PlanFile)?;
    let plan = Plan::from_json(&text)
        .with_context(|| format!("{} is not a usable plan", path.display()))
        .map_err(CliError::PlanFile)?;
    Ok((plan, offboard_core::digest::sha256_bytes(text.as_bytes())))
}

/// Write the plan file atomically (temp file + rename), so a crash never leaves half a plan
/// that `apply` could mistake for a whole one.
pub fn write_plan(path: &Path, plan: &Plan) -> Result<(), CliError> {
    let tmp = path.with_extension("json.tmp");
    // Streamed: the JSON of a large plan is far bigger than the plan itself.
    std::fs::File::create(&tmp)
        .and_then(|file| {
            let mut out = std::io::BufWriter::new(file);
            plan.write_json(&mut out)?;
            out.flush()
        })
        .with_context(|| format!("cannot write {}", tmp.display()))
        .and_then(|()| {
            std::fs::rename(&tmp, path).with_context(|| format!("cannot move {} to {}", tmp.display(), path.display()))
        })
        .map_err(CliError::PlanFile)
}

/// With `GITHUB_STEP_SUMMARY` set (GitHub Actions), append the Markdown plan to the job summary,
/// with the same "regained since" marks as stdout when a removal history is given.
pub fn append_step_summary(plan: &Plan, history: Option<&RemovalHistory>) -> Result<(), CliError> {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY") else { return Ok(()) };
    let what = format!("GITHUB_STEP_SUMMARY file {}", Path::new(&path).display());
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(CliError::io(format!("cannot open {what}")))?;
    write_plan_as(plan, Format::Markdown, &RenderOptions::default(), history, &mut file)
        .and_then(|()| file.write_all(b"\n"))
        .map_err(CliError::io(format!("cannot write the plan to {what}")))
}
