//! One test per class of policy error: each asserts the exact `path:line:column` and the words
//! that say what is wrong and what would be right.

use offboard_core::policy::{Source, load};

const CONFIG: &str = "\
version: 1
sso:
  instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef
kendra:
  indexes:
    - id: 4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c
guardrails:
  protected_users: [breakglass@example.com]
  protected_groups: [AWSControlTowerAdmins]
";

fn src(path: &str, text: &str) -> Source {
    Source { path: path.into(), text: text.into() }
}

/// Every error of loading CONFIG with the given leaver files, as displayed.
fn errors_with(config: &str, files: &[(&str, &str)]) -> Vec<String> {
    let files: Vec<Source> = files.iter().map(|(p, t)| src(p, t)).collect();
    match load(&src("offboard.yaml", config), &files) {
        Ok(p) => panic!("expected errors, loaded {} leavers", p.leavers.len()),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn errors(files: &[(&str, &str)]) -> Vec<String> {
    errors_with(CONFIG, files)
}

/// Asserts exactly one error, at `at`, containing every word in `words`.
fn assert_one(errs: &[String], at: &str, words: &[&str]) {
    assert_eq!(errs.len(), 1, "expected one error, got: {errs:#?}");
    let e = &errs[0];
    assert!(e.starts_with(&format!("{at}: ")), "expected the error at {at}, got: {e}");
    for w in words {
        assert!(e.contains(w), "missing {w:?} in: {e}");
    }
}

#[test]
fn unknown_key_in_a_leaver_suggests_the_right_one() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    resaon: left\n")]);
    // The typo and the missing reason are both reported: one run lists everything to fix.
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs[0].starts_with("l.yaml:3:5: users[0]: `reason` is missing"), "{}", errs[0]);
    assert_eq!(
        errs[1],
        "l.yaml:4:5: users[0]: unknown key `resaon`; did you mean `reason`? \
         Valid keys here: user, user_id, reason, effective, scope, keep"
    );
}

#[test]
fn unknown_key_in_the_config() {
    let config = format!("{CONFIG}apstream:\n  stacks: [\"*\"]\n");
    let errs = errors_with(&config, &[]);
    assert_one(&errs, "offboard.yaml:10:1", &["unknown key `apstream`", "did you mean `appstream`?"]);
}

#[test]
fn kendra_group_id_on_a_user_is_explained() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    reason: left\n    kendra_group_id: g\n",
    )]);
    assert_one(&errs, "l.yaml:5:5", &["unknown key `kendra_group_id`", "applies to groups only"]);
}

#[test]
fn wrong_type_says_what_was_expected() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  user: a@example.com\n")]);
    assert_one(&errs, "l.yaml:3:3", &["users: expected a list of user entries, found a mapping", "`- item`"]);
}

#[test]
fn a_number_where_text_is_expected_says_quote_it() {
    let errs = errors(&[("l.yaml", "version: 1\ngroups:\n  - group: 2026\n    reason: cohort\n")]);
    assert_one(&errs, "l.yaml:3:12", &["groups[0].group: expected", "found the number 2026", "quote it: \"2026\""]);
}

#[test]
fn missing_reason() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n")]);
    assert_one(&errs, "l.yaml:3:5", &["users[0]: `reason` is missing", "add reason:", "journal"]);
}

#[test]
fn empty_reason() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    reason: \"  \"\n")]);
    assert_one(&errs, "l.yaml:4:13", &["users[0].reason: is empty", "why access is removed"]);
    // A key with nothing after it is null, which is not a reason either.
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    reason:\n")]);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("users[0].reason: expected why access is removed"), "{}", errs[0]);
}

#[test]
fn version_other_than_1() {
    let errs = errors(&[("l.yaml", "version: 2\nusers:\n  - whatever: 1\n")]);
    // A file of another version is not read further: its schema is unknown.
    assert_one(&errs, "l.yaml:1:10", &["version: 2 is not supported", "`version: 1`"]);
    let errs = errors(&[("l.yaml", "users:\n  - user: a@example.com\n    reason: left\n")]);
    assert_one(&errs, "l.yaml:1:1", &["`version` is missing", "add `version: 1`"]);
    let errs = errors_with(&CONFIG.replace("version: 1", "version: \"1\""), &[]);
    assert_one(&errs, "offboard.yaml:1:10", &["expected the number 1", "without quotes"]);
}

#[test]
fn same_principal_twice_in_one_file() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    reason: one\n  - user: a@example.com\n    reason: two\n",
    )]);
    assert_one(
        &errs,
        "l.yaml:5:5",
        &["user a@example.com is declared twice: here and at l.yaml:3:5", "declare each principal once"],
    );
}

#[test]
fn same_principal_twice_across_files_names_both_places() {
    let errs = errors(&[
        ("a.yaml", "version: 1\ngroups:\n  - group: Interns\n    reason: one\n"),
        ("b.yaml", "version: 1\n\ngroups:\n  - group: interns\n    reason: two\n"),
    ]);
    assert_one(&errs, "b.yaml:4:5", &["group interns is declared twice: here and at a.yaml:3:5"]);
    // By id as well.
    let id = "9067c7d3b0-1f2e3d4c-5b6a-4789-8abc-def012345678";
    let entry = format!("version: 1\nusers:\n  - user_id: {id}\n    reason: r\n");
    let errs = errors(&[("a.yaml", &entry), ("b.yaml", &entry)]);
    assert_one(&errs, "b.yaml:3:5", &[&format!("user id {id} is declared twice: here and at a.yaml:3:5")]);
}

#[test]
fn protected_user_cannot_be_a_leaver() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: BreakGlass@example.com\n    reason: oops\n")]);
    assert_one(
        &errs,
        "l.yaml:3:11",
        &[
            "user BreakGlass@example.com is protected",
            "guardrails.protected_users at offboard.yaml:8:21",
            "remove this entry",
        ],
    );
}

#[test]
fn protected_group_cannot_be_a_leaver() {
    let errs = errors(&[("l.yaml", "version: 1\ngroups:\n  - group: AWSControlTowerAdmins\n    reason: oops\n")]);
    assert_one(
        &errs,
        "l.yaml:3:12",
        &["group AWSControlTowerAdmins is protected", "guardrails.protected_groups at offboard.yaml:9:22"],
    );
}

#[test]
fn invalid_effective_date() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    effective: 2026-02-30\n",
    )]);
    assert_one(
        &errs,
        "l.yaml:5:16",
        &["users[0].effective: \"2026-02-30\" is not a valid date", "YYYY-MM-DD, e.g. 2026-11-20"],
    );
    let errs =
        errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    effective: 20261120\n")]);
    assert_one(&errs, "l.yaml:5:16", &["expected a date written YYYY-MM-DD", "found the number 20261120"]);
}

#[test]
fn unknown_scope_entry() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    scope: [sso, identitycenter]\n",
    )]);
    assert_one(
        &errs,
        "l.yaml:5:18",
        &["users[0].scope[1]: unknown service \"identitycenter\"", "valid: sso, appstream, kendra"],
    );
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    scope: [ssso]\n")]);
    assert_one(&errs, "l.yaml:5:13", &["unknown service \"ssso\"; did you mean sso? valid: sso, appstream, kendra"]);
}

#[test]
fn scope_entry_for_an_unconfigured_service() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    scope: [sso, appstream]\n",
    )]);
    assert_one(
        &errs,
        "l.yaml:5:18",
        &["users[0].scope[1]: appstream is not configured in offboard.yaml", "would remove nothing"],
    );
}

#[test]
fn empty_scope() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    scope: []\n")]);
    assert_one(&errs, "l.yaml:5:12", &["users[0].scope: is empty, so nothing would be removed"]);
}

#[test]
fn user_and_user_id_together_or_neither() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    user_id: 9067c7d3b0-1f2e3d4c-5b6a-4789-8abc-def012345678\n    reason: r\n",
    )]);
    assert_one(&errs, "l.yaml:4:5", &["set either `user` or `user_id`, not both"]);
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - reason: r\n")]);
    assert_one(&errs, "l.yaml:3:5", &["users[0]: names no user", "`user: alice@example.com`", "`user_id: "]);
}

#[test]
fn unquoted_account_id_says_quote_it() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    keep:\n      sso_accounts: [012345678901]\n",
    )]);
    assert_one(
        &errs,
        "l.yaml:6:22",
        &[
            "users[0].keep.sso_accounts[0]: 012345678901 is read by YAML as the number 12345678901",
            "not a 12-digit account id; quote it: \"012345678901\"",
        ],
    );
    // A bare 12-digit number without a leading zero is unambiguous and accepted.
    let policy = load(
        &src("offboard.yaml", CONFIG),
        &[src(
            "l.yaml",
            "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    keep: {sso_accounts: [222222222222]}\n",
        )],
    )
    .unwrap();
    assert_eq!(policy.leavers[0].keep.sso_accounts, vec!["222222222222".to_owned()]);
}

#[test]
fn bad_identifiers_state_the_rule() {
    let config = CONFIG.replace("ssoins-1234567890abcdef", "foo");
    let errs = errors_with(&config, &[]);
    assert_one(
        &errs,
        "offboard.yaml:3:17",
        &["sso.instance_arn: \"arn:aws:sso:::instance/foo\" is not an Identity Center instance ARN: it must match \
           arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16} \
           (e.g. arn:aws:sso:::instance/ssoins-1234567890abcdef)"],
    );
    let config = CONFIG.replace("4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c", "short-index");
    let errs = errors_with(&config, &[]);
    assert_one(
        &errs,
        "offboard.yaml:6:11",
        &[
            "kendra.indexes[0].id: \"short-index\" is not a Kendra index id: it must be exactly 36 characters long, not 11",
        ],
    );
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user_id: not-an-id\n    reason: r\n")]);
    assert_one(&errs, "l.yaml:3:14", &["users[0].user_id: \"not-an-id\" is not an Identity Store user or group id"]);
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: alice wong\n    reason: r\n")]);
    assert_one(
        &errs,
        "l.yaml:3:11",
        &["users[0].user: \"alice wong\" is not an Identity Store user name", "no spaces"],
    );
}

#[test]
fn kendra_group_id_with_a_control_character() {
    let errs = errors(&[(
        "l.yaml",
        "version: 1\ngroups:\n  - group: Interns\n    kendra_group_id: \"bad\\tgroup\"\n    reason: r\n",
    )]);
    assert_one(
        &errs,
        "l.yaml:4:22",
        &["groups[0].kendra_group_id: \"bad\\tgroup\" is not a Kendra group id", "without control characters"],
    );
}

#[test]
fn all_errors_of_all_files_are_collected() {
    let errs = errors(&[
        (
            "a.yaml",
            "version: 1\nusers:\n  - user: a@example.com\n  - user: b@example.com\n    reason: r\n    effective: soon\n",
        ),
        ("b.yaml", "version: 1\ngroups:\n  - group_id: nope\n    reason: r\n"),
    ]);
    assert_eq!(errs.len(), 3, "{errs:#?}");
    assert!(errs[0].starts_with("a.yaml:3:5: users[0]: `reason` is missing"), "{}", errs[0]);
    assert!(errs[1].starts_with("a.yaml:6:16: users[1].effective:"), "{}", errs[1]);
    assert!(errs[2].starts_with("b.yaml:3:15: groups[0].group_id:"), "{}", errs[2]);
}

#[test]
fn duplicate_yaml_key_names_both_places() {
    let errs = errors(&[("l.yaml", "version: 1\nusers:\n  - user: a@example.com\n    reason: r\n    reason: s\n")]);
    assert_one(&errs, "l.yaml:5:5", &["users[0]: `reason` is set twice (first at l.yaml:4:5); keep one"]);
}

#[test]
fn config_sections_in_a_leaver_file_are_explained() {
    let errs = errors(&[("l.yaml", "version: 1\nguardrails: {}\n")]);
    assert_one(&errs, "l.yaml:2:1", &["unknown key `guardrails`", "belongs in offboard.yaml"]);
}

#[test]
fn config_errors() {
    let errs = errors_with("version: 1\nguardrails: {max_removals: 0}\n", &[]);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(errs[0].starts_with("offboard.yaml:1:1: configures no service"), "{}", errs[0]);
    assert!(
        errs[1].starts_with("offboard.yaml:2:28: guardrails.max_removals: 0 would refuse every plan"),
        "{}",
        errs[1]
    );

    let errs = errors_with("version: 1\nappstream:\n  authentication_type: userpool\n  stacks: [\"*\", desk]\n", &[]);
    assert_eq!(errs.len(), 2, "{errs:#?}");
    assert!(
        errs[0].contains("offboard.yaml:3:24: appstream.authentication_type: \"userpool\"")
            && errs[0].contains("write it in capitals: USERPOOL"),
        "{}",
        errs[0]
    );
    assert!(
        errs[1].starts_with("offboard.yaml:4:12: appstream.stacks[0]: \"*\" means every stack and cannot be combined"),
        "{}",
        errs[1]
    );

    let errs = errors_with(&format!("{CONFIG}  protected_accounts: [\"111111111111\", \"111111111111\"]\n"), &[]);
    assert_one(
        &errs,
        "offboard.yaml:10:40",
        &["guardrails.protected_accounts[1]: \"111111111111\" is listed twice (first at offboard.yaml:10:24)"],
    );
}

#[test]
fn invalid_yaml_is_located() {
    let errs = errors(&[("l.yaml", "version: 1\nusers: [a, b\nx: y\n")]);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("l.yaml:3:2: this is not valid YAML"), "{}", errs[0]);
    assert!(errs[0].contains("fix the syntax"), "{}", errs[0]);
}

#[test]
fn empty_files() {
    let errs = errors(&[("l.yaml", "# nothing yet\n")]);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("the leaver file is empty"), "{}", errs[0]);
    let errs = errors_with("", &[]);
    assert_one(&errs, "offboard.yaml:1:1", &["the config file is empty"]);
}
