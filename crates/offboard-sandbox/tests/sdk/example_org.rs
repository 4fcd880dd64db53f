//! The shipped example org agrees with the example policies: every leaver has something to lose
//! in every service, and the protected principals are there.

use offboard_sandbox::Faults;

use crate::common::*;

#[tokio::test]
async fn example_org_gives_every_leaver_access_to_remove() {
    let org = example_org();
    assert_eq!(org.sso.arn, INSTANCE_ARN);
    assert_eq!(org.identity_store.id, STORE_ID);
    assert!(org.identity_store.users.len() >= 30);
    assert_eq!(org.identity_store.groups.len(), 6);
    assert_eq!(org.sso.accounts.len(), 8);
    assert_eq!(org.sso.permission_sets.len(), 5);
    assert_eq!(org.appstream.stacks.len(), 3);
    let index = org.index(INDEX_ID).unwrap();
    let experiences: Vec<_> = index.experiences.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(experiences, ["support-portal", "engineering-search"]);
    assert!(index.data_sources.iter().any(|d| d.id == "confluence-wiki"));

    let sandbox = start(Faults::none()).await;
    let s = sandbox.snapshot();
    // alice: 3 SSO (one on the protected account), 2 AppStream, VIEWER + OWNER personas.
    let alice: Vec<_> = s.assignments_of(ALICE).iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(alice, ["111111111111", "333333333333", "666666666666"]);
    assert_eq!(s.associations_of(ALICE).len(), 2);
    assert!(s.associations_of(ALICE).iter().all(|a| a.authentication_type == "USERPOOL"));
    let mut personas: Vec<_> =
        s.personas_of(ALICE).iter().map(|p| (p.experience_id.as_str(), p.persona.as_str())).collect();
    personas.sort();
    assert_eq!(personas, [("engineering-search", "OWNER"), ("support-portal", "VIEWER")]);
    // bob: the kept account plus two others, 1 AppStream, a persona.
    let bob: Vec<_> = s.assignments_of(BOB).iter().map(|a| a.account_id.as_str()).collect();
    assert_eq!(bob, ["222222222222", "444444444444", "555555555555"]);
    assert_eq!(s.associations_of(BOB).len(), 1);
    assert_eq!(s.personas_of(BOB).len(), 1);
    for user in ["carol.diaz@northwind.example", "erin.fox@northwind.example"] {
        assert!(!s.assignments_of(user).is_empty(), "{user}");
        assert!(!s.associations_of(user).is_empty(), "{user}");
        assert!(!s.personas_of(user).is_empty(), "{user}");
    }
    assert_eq!(s.associations_of("carol.diaz@northwind.example").len(), 1);
    // Summer Interns: 2 group assignments, a persona on support-portal, mappings at the wiki and
    // at index level.
    assert_eq!(s.assignments_of("Summer Interns").len(), 2);
    assert_eq!(s.personas_of("Summer Interns")[0].experience_id, "support-portal");
    let mut scopes: Vec<_> = s.group_mappings_of("summer-interns").iter().map(|m| m.data_source_id.clone()).collect();
    scopes.sort();
    assert_eq!(scopes, [None, Some("confluence-wiki".to_owned())]);
    // Protected principals have access that must never be touched.
    assert!(s.assignments_of("breakglass@northwind.example").len() >= 3);
    assert!(!s.assignments_of("AWSControlTowerAdmins").is_empty());
    let untouchable = s
        .sso_assignments
        .iter()
        .filter(|a| !a.principal_name.contains("alice") && !a.principal_name.contains("bob"))
        .count();
    assert!(untouchable > 20, "{untouchable}");
}

#[test]
fn the_fixture_doc_example_in_fixture_md_loads() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FIXTURE.md")).unwrap();
    let start = text.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + text[start..].find("```").unwrap();
    let org = offboard_sandbox::Org::from_yaml_str(&text[start..end], "FIXTURE.md").unwrap();
    assert_eq!(org.identity_store.users.len(), 2);
}
