//! `load` returns Ok or Err for any input, never panics: arbitrary text, and valid policies with
//! random edits (the realistic case: a typo in a reviewed file).

use offboard_core::policy::{Source, load};
use proptest::prelude::*;

const CONFIG: &str = "\
version: 1
sso:
  instance_arn: arn:aws:sso:::instance/ssoins-1234567890abcdef
appstream: {stacks: [\"*\"]}
kendra:
  indexes:
    - id: 4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c
      experiences: [support-portal]
guardrails:
  protected_users: [breakglass@example.com]
  protected_accounts: [\"111111111111\"]
";

const LEAVERS: &str = "\
version: 1
users:
  - user: alice@example.com
    reason: HR-4211 left
    effective: 2026-11-20
    scope: [sso, kendra]
    keep:
      sso_accounts: [\"222222222222\"]
groups:
  - group: Summer Interns
    kendra_group_id: summer-interns
    reason: internship ended
";

fn run(config: &str, leavers: &str) {
    let config = Source { path: "offboard.yaml".into(), text: config.into() };
    let file = Source { path: "l.yaml".into(), text: leavers.into() };
    if let Err(errors) = load(&config, &[file]) {
        // Every error is rendered without panicking and is located when it is about a file.
        for e in &errors.0 {
            let _ = e.to_string();
        }
        assert!(!errors.0.is_empty());
    }
}

/// Replaces, inserts or deletes characters of `base` at the given positions.
fn mutate(base: &str, edits: &[(usize, u8, char)]) -> String {
    let mut chars: Vec<char> = base.chars().collect();
    for &(pos, op, c) in edits {
        if chars.is_empty() {
            chars.push(c);
            continue;
        }
        let i = pos % chars.len();
        match op % 3 {
            0 => chars[i] = c,
            1 => chars.insert(i, c),
            _ => {
                chars.remove(i);
            }
        }
    }
    chars.into_iter().collect()
}

fn yaml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            ':', '-', ' ', '\n', '\t', '"', '\'', '[', ']', '{', '}', '&', '*', '!', '#', '|', '>', '0', 'x', '~', '%',
            '@', '?', ','
        ]),
        any::<char>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(config in ".{0,300}", leavers in ".{0,300}") {
        run(&config, &leavers);
        run(CONFIG, &leavers);
    }

    #[test]
    fn mutated_valid_policies_never_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), yaml_char()), 1..8),
        which in any::<bool>(),
    ) {
        if which {
            run(CONFIG, &mutate(LEAVERS, &edits));
        } else {
            run(&mutate(CONFIG, &edits), LEAVERS);
        }
    }
}

#[test]
fn the_unmutated_inputs_are_valid() {
    // Otherwise the mutation test would only ever explore the error paths.
    let config = Source { path: "offboard.yaml".into(), text: CONFIG.into() };
    let file = Source { path: "l.yaml".into(), text: LEAVERS.into() };
    let policy = load(&config, &[file]).unwrap();
    assert_eq!(policy.leavers.len(), 2);
}
