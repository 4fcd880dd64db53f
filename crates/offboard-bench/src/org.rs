//! The generated organisation: N leavers and M stayers of the same shape, written as a sandbox
//! fixture and a policy directory, plus the counts the lower bound is computed from.
//!
//! Everything is derived from a seed with a fixed generator (SplitMix64, below), so the same
//! flags give byte-identical files on every machine and every release of the dependencies.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{Context, bail};

use crate::bound::Workload;

/// The identity store, instance and Kendra ids of the generated organisation. They only have to
/// match the AWS patterns the sandbox checks (`d-` + 10 hex, `ssoins-` + 16, a 36-character id).
pub const IDENTITY_STORE_ID: &str = "d-90670bec11";
pub const INSTANCE_ARN: &str = "arn:aws:sso:::instance/ssoins-b3c1b3c1b3c1b3c1";
pub const KENDRA_INDEX_ID: &str = "b3c1b3c1-0000-4000-8000-00000000be9c";
pub const EXPERIENCE_ID: &str = "bench-portal";

/// How the organisation is shaped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Users declared as leavers in the policy.
    pub leavers: u32,
    /// Users of the same shape that are not declared and must keep everything.
    pub stayers: u32,
    /// Direct account assignments per user, all distinct (account, permission set) pairs.
    pub assignments: u32,
    pub accounts: u32,
    pub permission_sets: u32,
    /// Identity Store groups; every user is a member of one or two of them.
    pub groups: u32,
    /// Account assignments held by each group.
    pub group_assignments: u32,
    /// AppStream stacks; every user is associated with one of them.
    pub stacks: u32,
    pub seed: u64,
}

impl Shape {
    /// Refuses shapes that cannot be generated, with what would work instead.
    pub fn check(&self) -> anyhow::Result<()> {
        let pairs = u64::from(self.accounts) * u64::from(self.permission_sets);
        if self.leavers == 0 {
            bail!("--leavers is 0; a benchmark needs at least one leaver");
        }
        if self.accounts == 0 || self.accounts > 1000 {
            bail!("--accounts is {}; expected 1..=1000", self.accounts);
        }
        if self.permission_sets == 0 || self.permission_sets > 1000 {
            bail!("--permission-sets is {}; expected 1..=1000", self.permission_sets);
        }
        if u64::from(self.assignments) > pairs || u64::from(self.group_assignments) > pairs {
            bail!(
                "{} assignments per user and {} per group do not fit in {} accounts × {} permission sets ({pairs} \
                 distinct pairs); raise --accounts or --permission-sets",
                self.assignments,
                self.group_assignments,
                self.accounts,
                self.permission_sets
            );
        }
        if self.groups == 0 {
            bail!("--groups is 0; expected at least 1 (every user is a member of one or two groups)");
        }
        if self.stacks == 0 {
            bail!("--stacks is 0; expected at least 1 (every user has one AppStream association)");
        }
        if u64::from(self.leavers) + u64::from(self.stayers) > 1_000_000 {
            bail!("{} users is more than this generator is meant for (1,000,000)", self.leavers + self.stayers);
        }
        Ok(())
    }
}

/// A generated organisation: the fixture, the policy files and the counts behind the bound.
#[derive(Debug)]
pub struct Generated {
    /// The sandbox fixture (`offboard sandbox serve --org`).
    pub fixture_yaml: String,
    /// `offboard.yaml` of the policy directory.
    pub config_yaml: String,
    /// `leavers/leavers.yaml` of the policy directory.
    pub leavers_yaml: String,
    /// User names of the leavers, in the order of the leavers file.
    pub leaver_names: Vec<String>,
    pub workload: Workload,
}

pub fn leaver_name(i: u32) -> String {
    format!("leaver-{i:05}@bench.example")
}

pub fn stayer_name(i: u32) -> String {
    format!("stayer-{i:05}@bench.example")
}

fn account_id(i: u32) -> String {
    format!("{:012}", 300_000_000_000u64 + u64::from(i))
}

fn permission_set_name(i: u32) -> String {
    format!("BenchPS{i:03}")
}

fn group_name(i: u32) -> String {
    format!("bench-team-{i:03}")
}

fn stack_name(i: u32) -> String {
    format!("bench-stack-{i:03}")
}

/// SplitMix64: tiny, fast, and fixed forever (unlike `rand`'s `StdRng`, whose output may change
/// between releases), so a seed names one organisation for good.
#[derive(Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` for spreading a benchmark's grants (n ≤ 10⁶, bias < 10⁻¹³).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// `k` distinct values of `0..n` (Floyd's algorithm: k draws, no n-sized buffer).
    fn distinct(&mut self, k: u64, n: u64) -> BTreeSet<u64> {
        let mut chosen = BTreeSet::new();
        for j in (n - k)..n {
            let t = self.below(j + 1);
            if !chosen.insert(t) {
                chosen.insert(j);
            }
        }
        chosen
    }
}

/// Who holds one (account, permission set) pair.
#[derive(Debug, Default)]
struct Pair {
    users: Vec<String>,
    groups: Vec<String>,
    /// A leaver holds it directly: apply re-reads it (per-container strategy).
    touched: bool,
}

/// Generates the organisation `shape` describes.
pub fn generate(shape: &Shape) -> anyhow::Result<Generated> {
    shape.check()?;
    let mut rng = SplitMix64(shape.seed);
    let pairs_total = u64::from(shape.accounts) * u64::from(shape.permission_sets);
    // Pair index p ↔ (account p / P, permission set p % P).
    let pair_of = |p: u64| -> (u32, u32) {
        let ps = u64::from(shape.permission_sets);
        // Both fit in u32: p < accounts × permission sets and each is ≤ 1000.
        ((p / ps) as u32, (p % ps) as u32)
    };

    // Users: leavers first, then stayers; both kinds get exactly the same draws.
    let users: Vec<(String, bool)> = (1..=shape.leavers)
        .map(|i| (leaver_name(i), true))
        .chain((1..=shape.stayers).map(|i| (stayer_name(i), false)))
        .collect();

    let mut pairs: BTreeMap<(u32, u32), Pair> = BTreeMap::new();
    let mut members: Vec<Vec<&str>> = vec![Vec::new(); shape.groups as usize];
    let mut stack_users: Vec<Vec<&str>> = vec![Vec::new(); shape.stacks as usize];
    let mut leaver_groups: BTreeSet<u32> = BTreeSet::new();
    let mut leaver_memberships: Vec<u64> = Vec::with_capacity(shape.leavers as usize);

    for (name, is_leaver) in &users {
        for p in rng.distinct(u64::from(shape.assignments), pairs_total) {
            let pair = pairs.entry(pair_of(p)).or_default();
            pair.users.push(name.clone());
            pair.touched |= *is_leaver;
        }
        let how_many = if shape.groups >= 2 { 1 + rng.below(2) } else { 1 };
        let groups = rng.distinct(how_many, u64::from(shape.groups));
        for &g in &groups {
            members[g as usize].push(name);
            if *is_leaver {
                leaver_groups.insert(g as u32);
            }
        }
        if *is_leaver {
            leaver_memberships.push(groups.len() as u64);
        }
        stack_users[rng.below(u64::from(shape.stacks)) as usize].push(name);
    }
    for g in 0..shape.groups {
        for p in rng.distinct(u64::from(shape.group_assignments), pairs_total) {
            pairs.entry(pair_of(p)).or_default().groups.push(group_name(g));
        }
    }

    let workload = workload(shape, &pairs, &members, &stack_users, &leaver_groups, &leaver_memberships);
    let fixture_yaml = fixture_yaml(shape, &users, &pairs, &members, &stack_users)?;
    let leaver_names: Vec<String> = (1..=shape.leavers).map(leaver_name).collect();
    Ok(Generated {
        fixture_yaml,
        config_yaml: config_yaml(shape),
        leavers_yaml: leavers_yaml(&leaver_names),
        leaver_names,
        workload,
    })
}

/// The counts the bound needs, taken from the organisation as generated (not from the flags), so
/// the bound stays right whatever the draws were.
fn workload(
    shape: &Shape,
    pairs: &BTreeMap<(u32, u32), Pair>,
    members: &[Vec<&str>],
    stack_users: &[Vec<&str>],
    leaver_groups: &BTreeSet<u32>,
    leaver_memberships: &[u64],
) -> Workload {
    let count = |v: usize| v as u64;
    let mut accounts_per_permission_set = vec![0u64; shape.permission_sets as usize];
    for &(_, ps) in pairs.keys() {
        accounts_per_permission_set[ps as usize] += 1;
    }
    let group_assignments: Vec<u64> = (0..shape.groups)
        .map(|g| {
            let name = group_name(g);
            count(pairs.values().filter(|p| p.groups.contains(&name)).count())
        })
        .collect();
    let leaver_stacks: Vec<u64> = stack_users
        .iter()
        .filter(|users| users.iter().any(|u| u.starts_with("leaver-")))
        .map(|users| count(users.len()))
        .collect();
    // Permission sets the plan must name: those of the leavers' assignments and of what remains
    // to them through their groups.
    let leaver_group_names: BTreeSet<String> = leaver_groups.iter().map(|&g| group_name(g)).collect();
    let named_permission_sets: BTreeSet<u32> = pairs
        .iter()
        .filter(|(_, p)| p.touched || p.groups.iter().any(|g| leaver_group_names.contains(g)))
        .map(|(&(_, ps), _)| ps)
        .collect();
    let users = u64::from(shape.leavers) + u64::from(shape.stayers);
    Workload {
        leavers: u64::from(shape.leavers),
        users,
        groups: u64::from(shape.groups),
        permission_sets: u64::from(shape.permission_sets),
        named_permission_sets: count(named_permission_sets.len()),
        leaver_assignments: vec![u64::from(shape.assignments); shape.leavers as usize],
        leaver_memberships: leaver_memberships.to_vec(),
        leaver_group_assignments: leaver_groups.iter().map(|&g| group_assignments[g as usize]).collect(),
        group_members: members.iter().map(|m| count(m.len())).collect(),
        accounts_per_permission_set,
        pair_assignments: pairs.values().map(|p| count(p.users.len() + p.groups.len())).collect(),
        touched_pair_assignments: pairs
            .values()
            .filter(|p| p.touched)
            .map(|p| count(p.users.len() + p.groups.len()))
            .collect(),
        stacks: u64::from(shape.stacks),
        stack_associations: stack_users.iter().map(|u| count(u.len())).collect(),
        touched_stack_associations: leaver_stacks,
        leaver_associations: u64::from(shape.leavers),
        personas: users,
        experience_entities: users,
        leaver_personas: u64::from(shape.leavers),
        leaver_experience_entities: u64::from(shape.leavers),
    }
}

/// A YAML flow list of plain scalars (every generated name is a plain scalar).
fn flow_list<S: AsRef<str>>(items: &[S]) -> String {
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("[{}]", inner.join(", "))
}

fn fixture_yaml(
    shape: &Shape,
    users: &[(String, bool)],
    pairs: &BTreeMap<(u32, u32), Pair>,
    members: &[Vec<&str>],
    stack_users: &[Vec<&str>],
) -> anyhow::Result<String> {
    let mut y = String::with_capacity(users.len() * (120 + 60 * shape.assignments as usize));
    let w = &mut y;
    writeln!(
        w,
        "# Generated by bench-mass (crates/offboard-bench): {} leavers and {} stayers,",
        shape.leavers, shape.stayers
    )?;
    writeln!(
        w,
        "# {} assignments each, seed {}. Format: crates/offboard-sandbox/FIXTURE.md.",
        shape.assignments, shape.seed
    )?;
    writeln!(w, "version: 1\nregion: us-east-1\nidentity_store:\n  id: {IDENTITY_STORE_ID}\n  users:")?;
    for (name, _) in users {
        writeln!(w, "    - {{ user_name: {name} }}")?;
    }
    writeln!(w, "  groups:")?;
    for (g, m) in members.iter().enumerate() {
        let g = u32::try_from(g).context("too many groups")?;
        writeln!(w, "    - display_name: {}\n      members: {}", group_name(g), flow_list(m))?;
    }
    writeln!(w, "sso:\n  instance_arn: {INSTANCE_ARN}\n  accounts:")?;
    for a in 0..shape.accounts {
        writeln!(w, "    - {{ id: \"{}\", name: bench-account-{a:03} }}", account_id(a))?;
    }
    writeln!(w, "  permission_sets:")?;
    for p in 0..shape.permission_sets {
        writeln!(w, "    - name: {}", permission_set_name(p))?;
    }
    writeln!(w, "  assignments:")?;
    for (&(a, p), pair) in pairs {
        writeln!(w, "    - permission_set: {}\n      accounts: [\"{}\"]", permission_set_name(p), account_id(a))?;
        if !pair.users.is_empty() {
            writeln!(w, "      users: {}", flow_list(&pair.users))?;
        }
        if !pair.groups.is_empty() {
            writeln!(w, "      groups: {}", flow_list(&pair.groups))?;
        }
    }
    writeln!(w, "appstream:\n  stacks:")?;
    for s in 0..shape.stacks {
        writeln!(w, "    - name: {}", stack_name(s))?;
    }
    writeln!(w, "  associations:")?;
    for (s, u) in stack_users.iter().enumerate().filter(|(_, u)| !u.is_empty()) {
        let s = u32::try_from(s).context("too many stacks")?;
        writeln!(w, "    - stack: {}\n      users: {}", stack_name(s), flow_list(u))?;
    }
    writeln!(w, "kendra:\n  indexes:\n    - id: {KENDRA_INDEX_ID}\n      name: bench-index\n      experiences:")?;
    writeln!(w, "        - id: {EXPERIENCE_ID}\n          name: {EXPERIENCE_ID}\n          personas:")?;
    for (name, _) in users {
        writeln!(w, "            - {{ user: {name}, persona: VIEWER }}")?;
    }
    Ok(y)
}

fn config_yaml(shape: &Shape) -> String {
    let stacks: Vec<String> = (0..shape.stacks).map(stack_name).collect();
    format!(
        "# Generated by bench-mass (crates/offboard-bench) for its generated sandbox organisation.\n\
         version: 1\n\
         sso:\n  instance_arn: {INSTANCE_ARN}\n  identity_store_id: {IDENTITY_STORE_ID}\n\
         appstream:\n  authentication_type: USERPOOL\n  stacks: {stacks}\n\
         kendra:\n  indexes:\n    - id: {KENDRA_INDEX_ID}\n      experiences: [{EXPERIENCE_ID}]\n\
         # Memberships stay (an identity provider owns them): the plan shows what remains through groups.\n\
         identity_store:\n  manage_memberships: false\n",
        stacks = flow_list(&stacks),
    )
}

fn leavers_yaml(names: &[String]) -> String {
    let mut y = String::from("# Generated by bench-mass (crates/offboard-bench).\nversion: 1\nusers:\n");
    for name in names {
        y.push_str("  - user: ");
        y.push_str(name);
        y.push_str("\n    reason: BENCH mass offboarding\n");
    }
    y
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> Shape {
        Shape {
            leavers: 7,
            stayers: 5,
            assignments: 3,
            accounts: 4,
            permission_sets: 3,
            groups: 4,
            group_assignments: 2,
            stacks: 3,
            seed: 42,
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_files_and_another_seed_other_ones() {
        let a = generate(&small()).unwrap();
        let b = generate(&small()).unwrap();
        assert_eq!(a.fixture_yaml, b.fixture_yaml);
        assert_eq!(a.workload, b.workload);
        let c = generate(&Shape { seed: 43, ..small() }).unwrap();
        assert_ne!(a.fixture_yaml, c.fixture_yaml);
    }

    #[tokio::test]
    async fn the_sandbox_accepts_the_fixture_and_it_has_the_shape_asked_for() {
        let shape = small();
        let generated = generate(&shape).unwrap();
        let org = offboard_sandbox::Org::from_yaml_str(&generated.fixture_yaml, "generated.yaml")
            .unwrap_or_else(|e| panic!("{e}\n{}", generated.fixture_yaml));
        let sandbox = offboard_sandbox::Sandbox::start(org, offboard_sandbox::Faults::none()).await.unwrap();
        let snapshot = sandbox.snapshot();
        sandbox.shutdown().await;
        let users = (shape.leavers + shape.stayers) as usize;
        let user_assignments: Vec<_> = snapshot.sso_assignments.iter().filter(|a| a.principal_type == "USER").collect();
        assert_eq!(user_assignments.len(), users * shape.assignments as usize);
        for name in (1..=shape.leavers).map(leaver_name).chain((1..=shape.stayers).map(stayer_name)) {
            let mine = user_assignments.iter().filter(|a| a.principal_name == name).count();
            assert_eq!(mine, shape.assignments as usize, "{name}");
            let memberships = snapshot.group_memberships.iter().filter(|m| m.user_name == name).count();
            assert!((1..=2).contains(&memberships), "{name}: {memberships} memberships");
        }
        let group_assignments = snapshot.sso_assignments.len() - user_assignments.len();
        assert_eq!(group_assignments, (shape.groups * shape.group_assignments) as usize);
        assert_eq!(snapshot.appstream_associations.len(), users);
        assert_eq!(snapshot.kendra_personas.len(), users);
        let w = &generated.workload;
        assert_eq!(w.pair_assignments.iter().sum::<u64>() as usize, snapshot.sso_assignments.len());
        assert_eq!(w.group_members.iter().sum::<u64>() as usize, snapshot.group_memberships.len());
        assert_eq!(w.stack_associations.iter().sum::<u64>() as usize, users);
    }

    #[test]
    fn the_leavers_file_names_every_leaver_by_user_name() {
        let generated = generate(&small()).unwrap();
        assert_eq!(generated.leaver_names.len(), 7);
        for name in &generated.leaver_names {
            assert!(generated.leavers_yaml.contains(&format!("  - user: {name}\n")), "{name}");
        }
        assert!(!generated.leavers_yaml.contains("stayer-"));
        assert!(generated.config_yaml.contains("stacks: [bench-stack-000, bench-stack-001, bench-stack-002]"));
    }

    #[test]
    fn shapes_that_cannot_be_generated_are_refused_with_a_way_out() {
        let err = generate(&Shape { assignments: 13, ..small() }).unwrap_err().to_string();
        assert!(err.contains("raise --accounts or --permission-sets"), "{err}");
        assert!(generate(&Shape { leavers: 0, ..small() }).is_err());
        assert!(generate(&Shape { groups: 0, ..small() }).is_err());
        assert!(generate(&Shape { stacks: 0, ..small() }).is_err());
        // Every pair taken is fine.
        assert!(generate(&Shape { assignments: 12, ..small() }).is_ok());
    }

    #[test]
    fn floyd_draws_distinct_values_in_range() {
        let mut rng = SplitMix64(7);
        for (k, n) in [(0, 5), (1, 1), (5, 5), (3, 1000)] {
            let chosen = rng.distinct(k, n);
            assert_eq!(chosen.len() as u64, k);
            assert!(chosen.iter().all(|&v| v < n));
        }
    }
}
