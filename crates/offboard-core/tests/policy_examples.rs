//! The example policy repository (`policies/` at the workspace root) must always load: it is
//! what the README, the sandbox demo and the CI examples run against.

use offboard_core::grant::Service;
use offboard_core::policy::{Source, StackSelection, load};
use offboard_core::principal::PrincipalRef;
use std::path::{Path, PathBuf};

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            yaml_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") && !p.ends_with("offboard.yaml") {
            out.push(p);
        }
    }
}

fn read(root: &Path, p: &Path) -> Source {
    let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
    Source { path: rel, text: std::fs::read_to_string(p).unwrap() }
}

#[test]
fn example_policies_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root.join("policies");
    let mut files = Vec::new();
    yaml_files(&dir, &mut files);
    assert!(files.len() >= 3, "expected the example leaver files, found {files:?}");
    let config = read(&root, &dir.join("offboard.yaml"));
    let leavers: Vec<Source> = files.iter().map(|p| read(&root, p)).collect();
    let policy = match load(&config, &leavers) {
        Ok(p) => p,
        Err(e) => panic!("the example policies do not load:\n{e}"),
    };

    let c = &policy.config;
    assert_eq!(c.configured_services(), Service::ALL.into_iter().collect());
    assert_eq!(c.appstream.as_ref().unwrap().stacks, StackSelection::All);
    assert_eq!(c.guardrails.protected_accounts, vec!["111111111111".to_owned()]);
    let alice = policy.leavers.iter().find(|l| l.principal == PrincipalRef::user_name("alice.wong@northwind.example"));
    let alice = alice.expect("alice is declared in policies/leavers");
    assert_eq!(alice.effective.map(|d| d.to_string()), Some("2026-11-20".to_owned()));
    assert_eq!(alice.origin.path, "policies/leavers/2026-11-alice-wong.yaml");
    let carol = policy.leavers.iter().find(|l| l.principal == PrincipalRef::user_name("carol.diaz@northwind.example"));
    assert_eq!(carol.unwrap().scope, [Service::Sso, Service::Kendra, Service::IdentityStore].into_iter().collect());
    let interns = policy.leavers.iter().find(|l| l.principal == PrincipalRef::group_name("Summer Interns"));
    assert_eq!(interns.unwrap().kendra_group_id.as_deref(), Some("summer-interns"));
}
