//! Per-principal and per-container reads give the same observed state (`read_strategy.rs`):
//! on generated organisations (a property test against the in-process sandbox) and on the
//! shipped fixture with the example policies, for `plan`'s reads and for `apply`'s re-reads.

mod common;

use common::*;
use offboard_aws::{Clients, Limits, ReadStrategy};
use offboard_core::outcome::Outcome;
use offboard_core::policy::Policy;
use offboard_core::state::ObservedState;
use offboard_sandbox::{Faults, Org, RunningSandbox};
use proptest::prelude::*;
use std::fmt::Write as _;

async fn start(org: Org) -> (RunningSandbox, Clients) {
    start_sandbox(org, Faults::none()).await
}

fn limits(read_strategy: ReadStrategy) -> Limits {
    Limits { read_strategy, ..fast_limits() }
}

/// `read_state` under each strategy; panics unless all three agree. Returns the state and the
/// calls each strategy made.
async fn read_all_ways(org: &Org, policy: &Policy) -> (ObservedState, [u64; 3]) {
    let mut states = Vec::new();
    let mut calls = [0; 3];
    for (i, strategy) in
        [ReadStrategy::PerPrincipal, ReadStrategy::PerContainer, ReadStrategy::Cheaper].into_iter().enumerate()
    {
        let (_sandbox, clients) = start(org.clone()).await;
        let state = offboard_aws::read_state(&clients, policy, &limits(strategy))
            .await
            .unwrap_or_else(|e| panic!("{strategy:?}: {e}"));
        calls[i] = clients.call_stats().total();
        states.push(state);
    }
    assert_same(&states[0], &states[1], "per principal vs per container");
    assert_same(&states[0], &states[2], "per principal vs the cheaper choice");
    (states.remove(0), calls)
}

/// Equal states, or a panic naming only what differs.
fn assert_same(a: &ObservedState, b: &ObservedState, what: &str) {
    if a == b {
        return;
    }
    let mut diff = String::new();
    for (pa, pb) in a.principals.iter().zip(&b.principals) {
        if pa != pb {
            let only_a: Vec<_> = pa.grants.difference(&pb.grants).collect();
            let only_b: Vec<_> = pb.grants.difference(&pa.grants).collect();
            let _ = writeln!(
                diff,
                "{}: resolution {:?} / {:?}\n  only left: {only_a:?}\n  only right: {only_b:?}",
                pa.principal, pa.resolution, pb.resolution
            );
        }
    }
    if a.groups != b.groups {
        let _ = writeln!(diff, "groups: {:?}\n   vs  {:?}", a.groups, b.groups);
    }
    if a.labels != b.labels || a.location != b.location {
        let _ = writeln!(diff, "labels/location differ");
    }
    panic!("{what}:\n{diff}");
}

#[tokio::test]
async fn both_strategies_read_the_shipped_fixture_alike() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sandbox/org.yaml");
    let org = Org::from_path(&path).unwrap();
    let policy = example_policy();
    let (state, calls) = read_all_ways(&org, &policy).await;
    // Not vacuous: the example leavers have access in every service.
    assert!(state.principals.iter().map(|p| p.grants.len()).sum::<usize>() > 15, "{state:?}");
    assert!(!state.groups.is_empty());
    assert!(calls[2] <= calls[0].min(calls[1]) * 2, "the choice costs at most twice the cheaper: {calls:?}");
}

/// Apply's re-reads: the same plan applied under each strategy on fresh sandboxes gives the
/// same outcomes (ignoring request ids), and a second apply finds everything already removed.
#[tokio::test]
async fn both_strategies_reread_alike_before_acting() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/sandbox/org.yaml");
    let org = Org::from_path(&path).unwrap();
    let policy = example_policy();
    let mut results: Vec<Vec<(String, String, String)>> = Vec::new();
    for strategy in [ReadStrategy::PerPrincipal, ReadStrategy::PerContainer] {
        let (_sandbox, clients) = start(org.clone()).await;
        let state = offboard_aws::read_state(&clients, &policy, &limits(strategy)).await.unwrap();
        let plan = make_plan(&policy, &state);
        assert!(plan.actions.len() > 10);
        let first = apply_collect(&clients, &plan, &limits(strategy)).await;
        let again = apply_collect(&clients, &plan, &limits(strategy)).await;
        assert!(
            again.outcomes.iter().all(|o| matches!(o.result, offboard_core::outcome::OutcomeResult::AlreadyRemoved)),
            "{strategy:?}: {:?}",
            again.outcomes
        );
        let key = |o: &Outcome| (o.action_id.clone(), format!("{:?}", o.grant), format!("{:?}", o.result));
        let mut outcomes: Vec<_> = first.outcomes.iter().map(key).collect();
        // Deletions finish in any order.
        outcomes.sort();
        results.push(outcomes);
    }
    assert_eq!(results[0], results[1]);
}

/// A generated organisation: users `u0..`, groups `g0..`, accounts, permission sets, stacks and
/// one Kendra experience, with random access, and a random set of leavers.
#[derive(Clone, Debug)]
struct Gen {
    users: usize,
    /// Per group: its members (user indexes).
    groups: Vec<Vec<usize>>,
    accounts: usize,
    permission_sets: usize,
    /// (principal, account, permission set); principal < users is a user, else group - users.
    assignments: Vec<(usize, usize, usize)>,
    stacks: usize,
    /// (user, stack)
    associations: Vec<(usize, usize)>,
    /// (principal, owner?)
    personas: Vec<(usize, bool)>,
    /// Leavers: (principal, declared in upper case / by email).
    leavers: Vec<(usize, bool)>,
    named_stacks: bool,
}

fn organisation() -> impl Strategy<Value = Gen> {
    (2usize..14, 0usize..4, 1usize..4, 1usize..4, 1usize..4, any::<bool>()).prop_flat_map(
        |(users, groups, accounts, permission_sets, stacks, named_stacks)| {
            let principals = users + groups;
            (
                proptest::collection::vec(proptest::collection::vec(0..users, 0..5), groups),
                proptest::collection::vec((0..principals, 0..accounts, 0..permission_sets), 0..30),
                proptest::collection::vec((0..users, 0..stacks), 0..15),
                proptest::collection::vec((0..principals, any::<bool>()), 0..8),
                proptest::collection::vec((0..principals + 1, any::<bool>()), 1..8),
            )
                .prop_map(move |(members, assignments, associations, personas, leavers)| Gen {
                    users,
                    groups: members,
                    accounts,
                    permission_sets,
                    assignments,
                    stacks,
                    associations,
                    personas,
                    leavers,
                    named_stacks,
                })
        },
    )
}

const INSTANCE: &str = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6";
const STORE: &str = "d-906700a1b2";
const INDEX: &str = "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c";

fn user(i: usize) -> String {
    format!("user{i}@example.com")
}

fn group(i: usize) -> String {
    format!("Group {i}")
}

fn account(i: usize) -> String {
    format!("{}", 100000000000u64 + i as u64)
}

/// `key:` followed by no `- item` line is YAML null, not an empty list: write `key: []`.
fn empty_lists_explicit(y: &str) -> String {
    let lines: Vec<&str> = y.lines().collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let next_is_item = lines.get(i + 1).is_some_and(|n| n.trim_start().starts_with("- "));
        let is_list_key = [
            "users:",
            "groups:",
            "assignments:",
            "associations:",
            "personas:",
            "accounts:",
            "permission_sets:",
            "stacks:",
        ]
        .iter()
        .any(|k| line.trim() == *k);
        out.push_str(line);
        if is_list_key && !next_is_item {
            out.push_str(" []");
        }
        out.push('\n');
    }
    out
}

fn principal(g: &Gen, p: usize) -> (&'static str, String) {
    if p < g.users { ("users", user(p)) } else { ("groups", group(p - g.users)) }
}

impl Gen {
    fn org_yaml(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(y, "version: 1\nregion: us-east-1\nidentity_store:\n  id: {STORE}\n  users:");
        for i in 0..self.users {
            // Every third user has a userName that is not its email.
            if i % 3 == 2 {
                let _ = writeln!(y, "    - {{ user_name: user{i}, emails: [\"{}\"] }}", user(i));
            } else {
                let _ = writeln!(y, "    - {{ user_name: {} }}", user(i));
            }
        }
        let _ = writeln!(y, "  groups:");
        for (i, members) in self.groups.iter().enumerate() {
            let mut names: Vec<String> = members.iter().map(|m| self.user_name(*m)).collect();
            names.sort();
            names.dedup();
            let _ = writeln!(y, "    - {{ display_name: {}, members: [{}] }}", group(i), names.join(", "));
        }
        let _ = writeln!(
            y,
            "sso:\n  instance_arn: {INSTANCE}\n  name: gen\n  owner_account_id: \"{}\"\n  accounts:",
            account(0)
        );
        for a in 0..self.accounts {
            let _ = writeln!(y, "    - {{ id: \"{}\", name: account-{a} }}", account(a));
        }
        let _ = writeln!(y, "  permission_sets:");
        for p in 0..self.permission_sets {
            let _ = writeln!(y, "    - {{ name: Set{p} }}");
        }
        let _ = writeln!(y, "  assignments:");
        let mut seen = std::collections::BTreeSet::new();
        for &(p, a, ps) in &self.assignments {
            if !seen.insert((p, a, ps)) {
                continue;
            }
            let (kind, name) = principal(self, p);
            let name = if kind == "users" { self.user_name(p) } else { name };
            let _ = writeln!(
                y,
                "    - {{ permission_set: Set{ps}, accounts: [\"{}\"], {kind}: [\"{name}\"] }}",
                account(a)
            );
        }
        let _ = writeln!(y, "appstream:\n  account_id: \"{}\"\n  stacks:", account(0));
        for s in 0..self.stacks {
            let _ = writeln!(y, "    - {{ name: stack-{s} }}");
        }
        let _ = writeln!(y, "  associations:");
        for s in 0..self.stacks {
            let mut users: Vec<String> =
                self.associations.iter().filter(|(_, st)| *st == s).map(|(u, _)| self.user_name(*u)).collect();
            users.sort();
            users.dedup();
            if !users.is_empty() {
                let _ = writeln!(y, "    - {{ stack: stack-{s}, users: [{}] }}", users.join(", "));
            }
        }
        let _ = writeln!(
            y,
            "kendra:\n  indexes:\n    - id: {INDEX}\n      name: gen\n      edition: ENTERPRISE_EDITION\n      experiences:\n        - id: portal\n          name: portal\n          personas:"
        );
        let mut seen = std::collections::BTreeSet::new();
        for &(p, owner) in &self.personas {
            if !seen.insert(p) {
                continue;
            }
            let (kind, name) = principal(self, p);
            let (key, name) = if kind == "users" { ("user", self.user_name(p)) } else { ("group", name) };
            let persona = if owner { "OWNER" } else { "VIEWER" };
            let _ = writeln!(y, "            - {{ {key}: \"{name}\", persona: {persona} }}");
        }
        empty_lists_explicit(&y)
    }

    fn user_name(&self, u: usize) -> String {
        if u % 3 == 2 { format!("user{u}") } else { user(u) }
    }

    fn policy(&self) -> Policy {
        let stacks = if self.named_stacks { "[stack-0]".to_owned() } else { "[\"*\"]".to_owned() };
        let config = format!(
            "version: 1\nsso:\n  instance_arn: {INSTANCE}\n  identity_store_id: {STORE}\nappstream:\n  authentication_type: USERPOOL\n  stacks: {stacks}\nkendra:\n  indexes:\n    - id: {INDEX}\n      experiences: [portal]\nidentity_store:\n  manage_memberships: true\n"
        );
        let (mut users, mut groups) = (String::new(), String::new());
        let mut seen = std::collections::BTreeSet::new();
        for &(p, variant) in &self.leavers {
            if !seen.insert(p) {
                continue;
            }
            if p == self.users + self.groups.len() {
                let _ = writeln!(users, "  - user: nobody@example.com\n    reason: T-1");
            } else if p < self.users {
                // By email (the userName differs for every third user) or in upper case.
                let name = if variant { user(p).to_uppercase() } else { user(p) };
                let _ = writeln!(users, "  - user: {name}\n    reason: T-1");
            } else {
                let _ = writeln!(groups, "  - group: {}\n    reason: T-1", group(p - self.users));
            }
        }
        let mut leavers = "version: 1\n".to_owned();
        if !users.is_empty() {
            leavers.push_str("users:\n");
            leavers.push_str(&users);
        }
        if !groups.is_empty() {
            leavers.push_str("groups:\n");
            leavers.push_str(&groups);
        }
        policy(&config, &[("leavers/gen.yaml", &leavers)])
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn both_strategies_read_generated_organisations_alike(g in organisation()) {
        let org = Org::from_yaml_str(&g.org_yaml(), "generated.yaml")
            .unwrap_or_else(|e| panic!("generated fixture: {e}\n{}", g.org_yaml()));
        let policy = g.policy();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let (state, _) = read_all_ways(&org, &policy).await;
            prop_assert_eq!(state.principals.len(), policy.leavers.len());
            Ok(())
        })?;
    }
}
