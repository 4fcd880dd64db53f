//! The JSON Schemas of `offboard schema`: the committed files in `docs/schemas/` are what the
//! binary prints, every example policy, a plan of the shipped fixture and a journal validate
//! against them with an independent validator (Python `jsonschema`, Draft 2020-12), and a
//! file with an unknown key does not. The schema files the example policies point at exist.

use offboard_tests::cli::{Run, bare_offboard, example_fixture, workspace_root};
use offboard_tests::policy_repo::PolicyRepo;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DOCUMENTS: [&str; 4] = ["config", "leavers", "plan", "journal"];

fn printed_schema(document: &str) -> String {
    Run::of(bare_offboard(Path::new("/")).args(["schema", document])).expect_code(0).stdout
}

fn committed(document: &str) -> PathBuf {
    workspace_root().join("docs/schemas").join(format!("{document}.schema.json"))
}

#[test]
fn committed_schemas_are_what_offboard_schema_prints() {
    for document in DOCUMENTS {
        let printed = printed_schema(document);
        let path = committed(document);
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            printed == on_disk,
            "{} differs from `offboard schema {document}`; regenerate it: offboard schema {document} > {}",
            path.display(),
            path.display()
        );
        let schema: Value = serde_json::from_str(&printed).unwrap();
        assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema", "{document}");
    }
}

/// Every YAML file under `policies/`, with the schema it names in its first line.
fn example_policies() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut dirs = vec![workspace_root().join("policies")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).unwrap();
                let first = text.lines().next().unwrap_or("");
                let schema = first.strip_prefix("# yaml-language-server: $schema=").unwrap_or_else(|| {
                    panic!("{} should start with a yaml-language-server $schema comment", path.display())
                });
                out.push((path, schema.trim().to_owned()));
            }
        }
    }
    out.sort();
    assert!(out.len() >= 2, "the example policies: {out:?}");
    out
}

fn yaml_to_json(text: &str) -> Value {
    serde_saphyr::from_str(text).expect("the example parses as YAML")
}

/// Runs the Python validator on the cases; one answer per case, by name.
fn validate(cases: &[Value]) -> Vec<Value> {
    let python = workspace_root().join(".venv/bin/python");
    assert!(python.is_file(), "{} is missing: run scripts/setup-moto.sh (it installs jsonschema)", python.display());
    let mut child = Command::new(&python)
        .arg(workspace_root().join("tests/python/validate_schema.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    child.stdin.take().unwrap().write_all(serde_json::to_string(cases).unwrap().as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "the validator failed: {}", String::from_utf8_lossy(&output.stderr));
    let answers: Vec<Value> =
        String::from_utf8_lossy(&output.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(answers.len(), cases.len(), "one answer per case: {answers:?}");
    for answer in &answers {
        assert_eq!(answer["schema_ok"], true, "the schema itself is valid Draft 2020-12: {answer}");
    }
    answers
}

#[test]
fn examples_plans_and_journals_validate_and_unknown_keys_do_not() {
    let schema = |document: &str| -> Value { serde_json::from_str(&printed_schema(document)).unwrap() };
    let mut cases = Vec::new();
    for (path, reference) in example_policies() {
        // The comment's path is relative to the file and names one of the committed schemas.
        let target = path.parent().unwrap().join(&reference);
        let target = target.canonicalize().unwrap_or_else(|e| panic!("{}: {reference} ({e})", path.display()));
        let document = DOCUMENTS
            .into_iter()
            .find(|d| target == committed(d).canonicalize().unwrap())
            .unwrap_or_else(|| panic!("{} points at {reference}, not a committed schema", path.display()));
        let expected = if path.file_name().unwrap() == "offboard.yaml" { "config" } else { "leavers" };
        assert_eq!(document, expected, "{}", path.display());
        let instance = yaml_to_json(&std::fs::read_to_string(&path).unwrap());
        cases.push(json!({"name": path.display().to_string(), "schema": schema(document), "instance": instance}));
    }

    // A plan of the shipped fixture, and the journal of applying it.
    let repo = PolicyRepo::example();
    let fixture = example_fixture();
    let sandbox = |args: &[&str]| {
        let mut command = bare_offboard(repo.root());
        command.arg("--sandbox").arg(&fixture).args(args);
        command
    };
    Run::of(&mut sandbox(&["plan", "policies", "--out", "plan.json"])).expect_code(0);
    Run::of(&mut sandbox(&["apply", "plan.json", "--journal", "journal.jsonl"])).expect_code(0);
    let plan: Value = serde_json::from_str(&repo.read("plan.json")).unwrap();
    assert!(!plan["actions"].as_array().unwrap().is_empty(), "a plan with removals");
    cases.push(json!({"name": "plan.json", "schema": schema("plan"), "instance": plan}));
    let journal = repo.read("journal.jsonl");
    assert!(journal.lines().count() > 1, "{journal}");
    for (i, line) in journal.lines().enumerate() {
        let instance: Value = serde_json::from_str(line).unwrap();
        cases.push(json!({"name": format!("journal line {i}"), "schema": schema("journal"), "instance": instance}));
    }

    // What must fail: unknown keys anywhere, a wrong version, a bad enum.
    let config = yaml_to_json(&std::fs::read_to_string(workspace_root().join("policies/offboard.yaml")).unwrap());
    let mut typo = config.clone();
    typo["guardrails"]["protected_acounts"] = json!(["111111111111"]);
    let mut version = config.clone();
    version["version"] = json!(2);
    let leaver = json!({"version": 1, "users": [{"user": "a@x.example", "reason": "left", "kepe": {}}]});
    let both = json!({"version": 1, "users": [{"user": "a", "user_id": "b", "reason": "left"}]});
    let mut plan_typo = plan.clone();
    plan_typo["extra"] = json!(1);
    let bad = [
        ("config with an unknown key", "config", typo),
        ("config of version 2", "config", version),
        ("leaver with an unknown key", "leavers", leaver),
        ("leaver with user and user_id", "leavers", both),
        ("plan with an unknown key", "plan", plan_typo),
    ];
    let good = cases.len();
    for (name, document, instance) in &bad {
        cases.push(json!({"name": name, "schema": schema(document), "instance": instance}));
    }

    let answers = validate(&cases);
    for answer in &answers[..good] {
        assert_eq!(answer["valid"], true, "valid against its schema: {answer}");
    }
    for answer in &answers[good..] {
        assert_eq!(answer["valid"], false, "must not validate: {answer}");
    }
}
