//! Hostile input fails fast with a message that names the limit: YAML bombs, huge files, deep
//! nesting. ("Fast" is not timed here; the budgets make the work bounded, which these tests
//! show by the error being the budget error and not an out-of-memory or a hang.)

use offboard_core::policy::load::{MAX_FILE_BYTES, load_config};
use offboard_core::policy::{Source, load};

const CONFIG: &str = "version: 1\nsso:\n  instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef\n";

fn leaver_errors(text: &str) -> Vec<String> {
    let config = Source { path: "offboard.yaml".into(), text: CONFIG.into() };
    let file = Source { path: "bad.yaml".into(), text: text.into() };
    match load(&config, &[file]) {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn billion_laughs_fails_on_the_alias_budget() {
    let mut bomb = String::from(
        "version: 1\nlol0: &l0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!("lol{i}: &l{i} [*l{p},*l{p},*l{p},*l{p},*l{p},*l{p},*l{p},*l{p},*l{p}]\n"));
    }
    let errs = leaver_errors(&bomb);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("bad.yaml:"), "{}", errs[0]);
    assert!(errs[0].contains("its aliases expand to more than 10000 nodes"), "{}", errs[0]);
    assert!(errs[0].contains("billion laughs"), "{}", errs[0]);
}

#[test]
fn oversized_file_is_refused_before_parsing() {
    // Not even YAML: had it been parsed, the error would be a syntax error instead.
    let text = format!("version: 1\n{}", "[".repeat(MAX_FILE_BYTES));
    let errs = leaver_errors(&text);
    assert_eq!(
        errs,
        vec![format!(
            "bad.yaml:1:1: the file is {} bytes; a policy file may be at most 1048576 bytes (1 MiB): \
             split it into several leaver files",
            MAX_FILE_BYTES + 11
        )]
    );
    // Exactly at the limit is still read (and here fails on its content, not its size).
    let text = format!("version: 1\nusers: 5\n#{}", "x".repeat(MAX_FILE_BYTES - 21));
    assert_eq!(text.len(), MAX_FILE_BYTES);
    let errs = leaver_errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("bad.yaml:2:8: users: expected a list"), "{errs:#?}");
}

#[test]
fn deep_nesting_fails_on_the_depth_budget() {
    let text = format!("version: 1\nusers: {}{}\n", "[".repeat(200), "]".repeat(200));
    let errs = leaver_errors(&text);
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].starts_with("bad.yaml:2:"), "{}", errs[0]);
    assert!(errs[0].contains("nests more than 32 levels deep"), "{}", errs[0]);

    let mut block = String::from("version: 1\nusers:\n");
    for depth in 1..100 {
        block.push_str(&format!("{}k:\n", "  ".repeat(depth)));
    }
    let errs = leaver_errors(&block);
    assert!(errs[0].contains("nests more than 32 levels deep"), "{errs:#?}");
}

#[test]
fn many_documents_are_refused() {
    let errs = leaver_errors("version: 1\n---\nversion: 1\n");
    assert_eq!(errs.len(), 1, "{errs:#?}");
    assert!(errs[0].contains("a policy file holds one YAML document"), "{}", errs[0]);
}

#[test]
fn the_config_has_the_same_limits() {
    let config = Source { path: "offboard.yaml".into(), text: "x: ".to_owned() + &"a".repeat(MAX_FILE_BYTES) };
    let err = load_config(&config).unwrap_err();
    assert!(err.to_string().starts_with("offboard.yaml:1:1: the file is"), "{err}");
}
