//! The CI examples (`examples/github-actions/*.yml`, `examples/gitlab-ci.yml`) stay runnable:
//! each file parses as YAML, and every `offboard …` command in their shell steps uses only
//! subcommands and flags the real binary has.
//!
//! The truth is the built binary's own help (`offboard --help`, `offboard <sub> --help`), so a
//! flag renamed in clap breaks this test instead of a customer's pipeline. The binary comes from
//! `offboard_tests::cli::offboard_bin` (built once per test process).

use offboard_tests::cli::{Run, bare_offboard, workspace_root};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Which mapping keys hold shell in each CI dialect. GitHub's `script:` (actions/github-script)
/// is JavaScript, so only `run:` counts there.
#[derive(Clone, Copy, Debug)]
enum Dialect {
    GitHub,
    GitLab,
}

impl Dialect {
    fn shell_keys(self) -> &'static [&'static str] {
        match self {
            Dialect::GitHub => &["run"],
            Dialect::GitLab => &["script", "before_script", "after_script"],
        }
    }
}

fn workflow_files() -> Vec<(PathBuf, Dialect)> {
    let root = workspace_root();
    let mut files: Vec<(PathBuf, Dialect)> = std::fs::read_dir(root.join("examples/github-actions"))
        .expect("examples/github-actions exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .map(|p| (p, Dialect::GitHub))
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!files.is_empty(), "examples/github-actions holds at least one workflow");
    files.push((root.join("examples/gitlab-ci.yml"), Dialect::GitLab));
    files
}

fn parse(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{} is not valid YAML: {e}", path.display()))
}

/// Every shell script (one string per `run:`/`script:` entry) in a parsed CI file.
fn shell_scripts(value: &serde_json::Value, dialect: Dialect, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                if dialect.shell_keys().contains(&key.as_str()) {
                    match v {
                        serde_json::Value::String(s) => out.push(s.clone()),
                        serde_json::Value::Array(items) => {
                            out.extend(items.iter().filter_map(|i| i.as_str().map(str::to_owned)));
                        }
                        other => panic!("`{key}:` is neither a string nor a list of strings: {other}"),
                    }
                } else {
                    shell_scripts(v, dialect, out);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| shell_scripts(i, dialect, out)),
        _ => {}
    }
}

/// A shell word or an operator.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Word(String),
    /// `|`, `||`, `&&`, `;`, `(`, `)`, `$(`, a newline, a redirection (`>`, `>>`, `2>`, `<`, `<<<`).
    Op(String),
}

/// Enough of POSIX shell tokenizing for CI scripts: quotes, backslash-newline continuations,
/// comments, operators and redirections. `$VAR` and `${{ … }}` stay inside their word.
fn tokenize(script: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    let flush = |word: &mut String, in_word: &mut bool, tokens: &mut Vec<Token>| {
        if *in_word {
            tokens.push(Token::Word(std::mem::take(word)));
            *in_word = false;
        }
    };
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if chars.get(i + 1) == Some(&'\n') => i += 2,
            '\\' => {
                if let Some(n) = chars.get(i + 1) {
                    word.push(*n);
                }
                in_word = true;
                i += 2;
            }
            '\'' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '"' => {
                in_word = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ' ' | '\t' => {
                flush(&mut word, &mut in_word, &mut tokens);
                i += 1;
            }
            '\n' | ';' | '(' | ')' => {
                flush(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Op(c.to_string()));
                i += 1;
            }
            '$' if chars.get(i + 1) == Some(&'(') => {
                flush(&mut word, &mut in_word, &mut tokens);
                tokens.push(Token::Op("$(".into()));
                i += 2;
            }
            '$' if chars.get(i + 1) == Some(&'{') => {
                // `${VAR}` or GitHub's `${{ expr }}`: one piece of the current word.
                let close = if chars.get(i + 2) == Some(&'{') { "}}" } else { "}" };
                let rest: String = chars[i..].iter().collect();
                let end = rest.find(close).map_or(rest.len(), |e| e + close.len());
                word.push_str(&rest[..end]);
                in_word = true;
                i += rest[..end].chars().count();
            }
            '|' | '&' | '>' | '<' => {
                // A digit right before `>` is a file descriptor, part of the redirection.
                if in_word && (c == '>' || c == '<') && word.chars().all(|d| d.is_ascii_digit()) {
                    word.clear();
                    in_word = false;
                }
                flush(&mut word, &mut in_word, &mut tokens);
                let mut op = c.to_string();
                while let Some(n) = chars.get(i + op.chars().count()).filter(|n| matches!(n, '|' | '&' | '>' | '<')) {
                    op.push(*n);
                }
                i += op.chars().count();
                tokens.push(Token::Op(op));
            }
            _ => {
                word.push(c);
                in_word = true;
                i += 1;
            }
        }
    }
    flush(&mut word, &mut in_word, &mut tokens);
    tokens
}

/// The arguments of every `offboard` command in a script: words after `offboard` in command
/// position, up to the end of that simple command (operators and redirections end it; the word
/// after a redirection is its target, not an argument).
fn offboard_invocations(script: &str) -> Vec<Vec<String>> {
    let tokens = tokenize(script);
    let mut found = Vec::new();
    let mut command_position = true;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Op(_) => command_position = true,
            Token::Word(w) if command_position && is_assignment(w) => {}
            Token::Word(w)
                if command_position && matches!(w.as_str(), "if" | "then" | "do" | "else" | "!" | "time") => {}
            Token::Word(w) if command_position && w == "offboard" => {
                let mut args = Vec::new();
                let mut j = i + 1;
                while let Some(Token::Word(arg)) = tokens.get(j) {
                    args.push(arg.clone());
                    j += 1;
                }
                found.push(args);
                command_position = false;
                i = j;
                continue;
            }
            Token::Word(_) => command_position = false,
        }
        i += 1;
    }
    found
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !name.starts_with('-')
    })
}

/// Subcommands and the long/short flags each accepts, from the binary's help.
#[derive(Debug)]
struct CliSurface {
    /// Subcommand → flags it accepts (global ones included; clap lists them in every help).
    subcommands: BTreeMap<String, BTreeSet<String>>,
    /// Flags that take a value (`--out FILE`), so the next word is not a positional.
    takes_value: BTreeSet<String>,
}

fn cli_surface() -> &'static CliSurface {
    static SURFACE: OnceLock<CliSurface> = OnceLock::new();
    SURFACE.get_or_init(|| {
        let root = workspace_root();
        let top = Run::of(bare_offboard(&root).arg("--help")).expect_code(0).stdout;
        let mut subcommands = BTreeMap::new();
        let mut takes_value = BTreeSet::new();
        for sub in help_subcommands(&top) {
            let help = Run::of(bare_offboard(&root).args([&sub, "--help"])).expect_code(0).stdout;
            let (flags, valued) = help_flags(&help);
            takes_value.extend(valued);
            subcommands.insert(sub, flags);
        }
        assert!(subcommands.contains_key("plan"), "offboard --help lists plan:\n{top}");
        CliSurface { subcommands, takes_value }
    })
}

/// The names under `Commands:` in clap's help.
fn help_subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        // A name starts right after the indent; deeper-indented lines continue a description.
        .filter(|l| !l[2..].starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

/// Every `-x`/`--long` option in clap's help, and which of them take a value (`--out <FILE>`).
fn help_flags(help: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut flags = BTreeSet::new();
    let mut valued = BTreeSet::new();
    for line in help.lines().map(str::trim_start).filter(|l| l.starts_with('-')) {
        // `-v, --verbose...`, `--out <FILE>`, `--format <FORMAT>`
        let spec = line.split("  ").next().unwrap_or(line);
        for part in spec.split(", ") {
            let mut words = part.split_whitespace();
            let Some(name) = words.next() else { continue };
            let name = name.trim_end_matches("...");
            if name.starts_with('-') {
                flags.insert(name.to_owned());
                if words.next().is_some_and(|w| w.starts_with('<')) {
                    valued.insert(name.to_owned());
                }
            }
        }
    }
    (flags, valued)
}

/// What is wrong with one invocation, if anything.
fn check_invocation(surface: &CliSurface, args: &[String]) -> Result<(), String> {
    let mut words = args.iter().peekable();
    // Global flags may come before the subcommand.
    let sub = loop {
        let Some(word) = words.next() else { return Err("no subcommand".into()) };
        if !word.starts_with('-') {
            break word;
        }
        let flag = word.split('=').next().unwrap_or(word);
        if !surface.subcommands.get("plan").is_some_and(|f| f.contains(flag)) {
            return Err(format!("unknown global flag `{flag}`"));
        }
        if surface.takes_value.contains(flag) && !word.contains('=') {
            words.next();
        }
    };
    let Some(flags) = surface.subcommands.get(sub.as_str()) else {
        return Err(format!(
            "unknown subcommand `{sub}`; offboard has {}",
            surface.subcommands.keys().cloned().collect::<Vec<_>>().join(", ")
        ));
    };
    while let Some(word) = words.next() {
        if word == "--" {
            break;
        }
        if !word.starts_with('-') || word == "-" {
            continue; // a positional
        }
        let flag = word.split('=').next().unwrap_or(word);
        if !flags.contains(flag) {
            return Err(format!("`offboard {sub}` has no flag `{flag}`"));
        }
        if surface.takes_value.contains(flag) && !word.contains('=') {
            words.next();
        }
    }
    Ok(())
}

#[test]
fn every_example_parses_and_calls_offboard_only_with_flags_that_exist() {
    let surface = cli_surface();
    for (path, dialect) in workflow_files() {
        let value = parse(&path);
        assert!(value.is_object(), "{} is a YAML mapping", path.display());
        let mut scripts = Vec::new();
        shell_scripts(&value, dialect, &mut scripts);
        let invocations: Vec<Vec<String>> = scripts.iter().flat_map(|s| offboard_invocations(s)).collect();
        let subs: BTreeSet<&str> = invocations.iter().filter_map(|a| a.first()).map(String::as_str).collect();
        for needed in ["plan", "apply", "report"] {
            assert!(subs.contains(needed), "{} runs `offboard {needed}` (found {subs:?})", path.display());
        }
        for args in &invocations {
            if let Err(problem) = check_invocation(surface, args) {
                panic!("{}: `offboard {}`: {problem}", path.display(), args.join(" "));
            }
        }
        let all: String = invocations.iter().map(|a| a.join(" ") + "\n").collect();
        for needle in ["--out plan.json", "--journal journal.jsonl", "--detailed-exitcode"] {
            assert!(all.contains(needle), "{} uses {needle}:\n{all}", path.display());
        }
    }
}

#[test]
fn github_workflow_has_the_three_jobs_with_oidc_and_one_updated_comment() {
    let path = workspace_root().join("examples/github-actions/offboard.yml");
    let wf = parse(&path);
    let on = &wf["on"];
    for trigger in ["pull_request", "push", "schedule"] {
        assert!(!on[trigger].is_null(), "triggers on {trigger}");
    }
    let jobs = wf["jobs"].as_object().expect("jobs");
    for (name, job) in jobs {
        assert_eq!(job["permissions"]["id-token"], "write", "job {name} gets AWS credentials through OIDC");
        let uses: Vec<&str> = job["steps"].as_array().unwrap().iter().filter_map(|s| s["uses"].as_str()).collect();
        assert!(
            uses.iter().any(|u| u.starts_with("aws-actions/configure-aws-credentials@")),
            "job {name} assumes a role: {uses:?}"
        );
        for step in job["steps"].as_array().unwrap() {
            if step["uses"].as_str().is_some_and(|u| u.starts_with("aws-actions/configure-aws-credentials@")) {
                assert!(step["with"]["role-to-assume"].is_string(), "job {name}: role-to-assume");
                assert!(step["with"].get("aws-access-key-id").is_none(), "job {name}: no stored keys");
            }
        }
    }
    assert!(wf["permissions"].as_object().is_some_and(|p| p.is_empty()), "nothing is granted by default");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("<!-- offboard-plan -->") && text.contains("updateComment"), "one comment, updated");
    assert!(text.contains("head_sha="), "apply finds the plan run by the PR's head commit");
}

#[test]
fn gitlab_pipeline_has_rules_for_merge_requests_main_and_schedules() {
    let ci = parse(&workspace_root().join("examples/gitlab-ci.yml"));
    let rules = |job: &str| -> String {
        let rules = &ci[job]["rules"];
        assert!(rules.is_array(), "job {job} has rules");
        rules.to_string()
    };
    assert!(rules("offboard:plan").contains("merge_request_event"));
    assert!(rules("offboard:apply").contains("CI_DEFAULT_BRANCH"));
    assert!(rules("offboard:drift").contains("schedule"));
    assert_eq!(ci[".aws"]["id_tokens"]["AWS_ID_TOKEN"]["aud"], "sts.amazonaws.com", "OIDC for AWS");
    let stages: Vec<&str> = ci["stages"].as_array().unwrap().iter().filter_map(|s| s.as_str()).collect();
    for job in ["offboard:build", "offboard:plan", "offboard:apply", "offboard:drift"] {
        let stage = ci[job]["stage"].as_str().unwrap_or_else(|| panic!("{job} has a stage"));
        assert!(stages.contains(&stage), "{job}'s stage {stage} is declared");
    }
}

// The checker itself: it must catch what it is there to catch.

fn surface_for_unit_tests() -> CliSurface {
    let flags = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
    let global = ["--endpoint-url", "--region", "-v", "--verbose", "-h", "--help"];
    let mut plan = flags(&global);
    plan.extend(flags(&["--out", "--format", "--detailed-exitcode", "--journal"]));
    let mut apply = flags(&global);
    apply.extend(flags(&["--journal", "--max-plan-age"]));
    CliSurface {
        subcommands: [("plan".to_owned(), plan), ("apply".to_owned(), apply)].into_iter().collect(),
        takes_value: flags(&["--endpoint-url", "--region", "--out", "--format", "--journal", "--max-plan-age"]),
    }
}

#[test]
fn the_checker_refuses_unknown_flags_and_subcommands() {
    let surface = surface_for_unit_tests();
    let check = |script: &str| -> Vec<Result<(), String>> {
        offboard_invocations(script).iter().map(|a| check_invocation(&surface, a)).collect()
    };
    assert_eq!(check("offboard plan --out plan.json --format markdown > plan.md"), vec![Ok(())]);
    assert_eq!(
        check("offboard plan --detailed-exitcode-typo"),
        vec![Err("`offboard plan` has no flag `--detailed-exitcode-typo`".into())]
    );
    assert_eq!(
        check("offboard aply plan.json"),
        vec![Err("unknown subcommand `aply`; offboard has apply, plan".into())]
    );
    assert_eq!(
        check("offboard apply plan.json --auto-approve"),
        vec![Err("`offboard apply` has no flag `--auto-approve`".into())]
    );
    assert_eq!(check("offboard --regoin us-east-1 plan"), vec![Err("unknown global flag `--regoin`".into())]);
    assert_eq!(check("offboard --region us-east-1 plan --out=plan.json"), vec![Ok(())]);
    // A flag's value that looks like a subcommand is not one.
    assert_eq!(check("offboard apply --journal plan p.json"), vec![Ok(())]);
}

#[test]
fn invocations_are_found_in_command_position_only() {
    let script = "set -e\n\
        cargo install --path crates/offboard-cli --root \"$RUNNER_TEMP/offboard\"\n\
        echo offboard plan is not run here # offboard apply in a comment neither\n\
        offboard plan --out plan.json \\\n  --format markdown > plan.md\n\
        if ! offboard apply reviewed/plan.json --journal journal.jsonl; then exit 3; fi\n\
        out=$(offboard report journal.jsonl --format json) && RUST_LOG=warn offboard plan --detailed-exitcode 2>err.txt | tee x\n\
        offboard report journal.jsonl --format markdown >> \"$GITHUB_STEP_SUMMARY\"";
    let found = offboard_invocations(script);
    let joined: Vec<String> = found.iter().map(|a| a.join(" ")).collect();
    assert_eq!(
        joined,
        vec![
            "plan --out plan.json --format markdown",
            "apply reviewed/plan.json --journal journal.jsonl",
            "report journal.jsonl --format json",
            "plan --detailed-exitcode",
            "report journal.jsonl --format markdown",
        ]
    );
}

#[test]
fn help_parsing_finds_subcommands_and_valued_flags() {
    let help = "Usage: offboard [OPTIONS] <COMMAND>\n\nCommands:\n  validate  Check\n  plan      Read\n  help      Print this\n\nOptions:\n      --endpoint-url <URL>\n  -v, --verbose...  More\n";
    assert_eq!(help_subcommands(help), vec!["validate", "plan"]);
    let (flags, valued) = help_flags(help);
    assert_eq!(flags, ["--endpoint-url", "--verbose", "-v"].iter().map(|s| (*s).to_owned()).collect());
    assert_eq!(valued, ["--endpoint-url".to_owned()].into_iter().collect());
}
