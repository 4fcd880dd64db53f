//! The lower bound: how fast any correct offboarding tool could plan and apply a workload under
//! AWS's request quotas, computed analytically from the generated organisation.
//!
//! [`lower_bound`] is the one definition; the README's "Benchmark" section says the same in prose.

/// Requests per second per quota: offboard's defaults, which are AWS's published rates.
/// Identity Center's quota is shared by `sso-admin` and `identitystore` calls.
pub const IDENTITY_CENTER_TPS: f64 = 20.0;
pub const APPSTREAM_TPS: f64 = 10.0;
pub const KENDRA_TPS: f64 = 10.0;

/// Largest pages, per the AWS models (and the sandbox, which follows them).
const IC_PAGE: u64 = 100;
/// `DescribeUserStackAssociations` lists at most 25 associations per answer (the model's
/// `UserStackAssociationList` has max length 25, whatever `MaxResults` asks), and the sandbox
/// pages `DescribeStacks` by 25 too.
const APPSTREAM_PAGE: u64 = 25;
const PERSONA_PAGE: u64 = 100;
/// `ListExperienceEntities` has no `MaxResults`; the sandbox answers 10 per page.
const EXPERIENCE_ENTITY_PAGE: u64 = 10;
/// Items per call of the batch removals.
const APPSTREAM_BATCH: u64 = 25;
const PERSONA_BATCH: u64 = 25;
const EXPERIENCE_ENTITY_BATCH: u64 = 40;

/// What the organisation holds, as far as the bound is concerned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Workload {
    pub leavers: u64,
    /// All users, leavers and stayers.
    pub users: u64,
    pub groups: u64,
    pub permission_sets: u64,
    /// Permission sets the plan shows (of the leavers' assignments and of what remains to them
    /// through groups): each needs one `DescribePermissionSet` for its name.
    pub named_permission_sets: u64,
    /// Direct account assignments of each leaver.
    pub leaver_assignments: Vec<u64>,
    /// Group memberships of each leaver.
    pub leaver_memberships: Vec<u64>,
    /// Account assignments of each group a leaver belongs to (the plan shows what remains).
    pub leaver_group_assignments: Vec<u64>,
    /// Members of each group.
    pub group_members: Vec<u64>,
    /// Accounts each permission set is provisioned to.
    pub accounts_per_permission_set: Vec<u64>,
    /// Assignments (users and groups) at each provisioned (account, permission set) pair.
    pub pair_assignments: Vec<u64>,
    /// The same, for the pairs where a leaver holds an assignment.
    pub touched_pair_assignments: Vec<u64>,
    pub stacks: u64,
    /// Associations of each stack.
    pub stack_associations: Vec<u64>,
    /// The same, for the stacks a leaver is associated with.
    pub touched_stack_associations: Vec<u64>,
    /// AppStream associations of all leavers (each leaver has at most 25).
    pub leaver_associations: u64,
    /// Personas and experience entities in the (one) Kendra experience, and the leavers' share.
    pub personas: u64,
    pub experience_entities: u64,
    pub leaver_personas: u64,
    pub leaver_experience_entities: u64,
}

/// The scenario's settings that the bound depends on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// How long each Identity Center deletion stays IN_PROGRESS, in seconds.
    pub deletion_delay_s: f64,
    /// Identity Center deletions that may be outstanding at once.
    pub cap: u64,
}

/// One quota's calls by both read strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Estimate {
    /// Reading principal by principal (each leaver, its groups, its user name).
    pub per_principal: u64,
    /// Reading container by container (users, groups, permission sets, pairs, stacks).
    pub per_container: u64,
    /// Each service of the quota read the cheaper way (Identity Store users, memberships and
    /// group names, Identity Center assignments are separate choices): never more than either.
    pub per_service: u64,
}

impl Estimate {
    /// The same calls either way.
    fn fixed(calls: u64) -> Estimate {
        Estimate { per_principal: calls, per_container: calls, per_service: calls }
    }

    /// One service's two costs.
    fn choice(per_principal: u64, per_container: u64) -> Estimate {
        Estimate { per_principal, per_container, per_service: per_principal.min(per_container) }
    }

    /// The necessary calls: every service read the cheaper way.
    pub fn necessary(&self) -> u64 {
        self.per_service.min(self.per_principal).min(self.per_container)
    }
}

impl std::ops::Add for Estimate {
    type Output = Estimate;
    fn add(self, o: Estimate) -> Estimate {
        Estimate {
            per_principal: self.per_principal + o.per_principal,
            per_container: self.per_container + o.per_container,
            per_service: self.per_service + o.per_service,
        }
    }
}

impl std::ops::Mul<u64> for Estimate {
    type Output = Estimate;
    fn mul(self, k: u64) -> Estimate {
        Estimate {
            per_principal: self.per_principal * k,
            per_container: self.per_container * k,
            per_service: self.per_service * k,
        }
    }
}

/// The necessary calls of one phase, per quota, and the time they take at the quota's rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PhaseBound {
    pub identity_center: Estimate,
    pub appstream: Estimate,
    pub kendra: Estimate,
    /// Seconds waited for Identity Center deletions (apply only; 0 for plan).
    pub deletion_wait_s: f64,
}

impl PhaseBound {
    /// The bound in seconds: the slowest quota, or the deletion wait if that is longer.
    pub fn seconds(&self) -> f64 {
        let calls = |e: Estimate, tps: f64| e.necessary() as f64 / tps;
        calls(self.identity_center, IDENTITY_CENTER_TPS)
            .max(calls(self.appstream, APPSTREAM_TPS))
            .max(calls(self.kendra, KENDRA_TPS))
            .max(self.deletion_wait_s)
    }

    /// What sets the bound: the name of the slowest quota or the deletion wait.
    pub fn limited_by(&self) -> &'static str {
        let s = self.seconds();
        let calls = |e: Estimate, tps: f64| e.necessary() as f64 / tps;
        if self.deletion_wait_s >= s && self.deletion_wait_s > 0.0 {
            "deletion wait"
        } else if calls(self.identity_center, IDENTITY_CENTER_TPS) >= s {
            "Identity Center quota"
        } else if calls(self.appstream, APPSTREAM_TPS) >= s {
            "AppStream quota"
        } else {
            "Kendra quota"
        }
    }
}

/// Both phases' bounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound {
    pub plan: PhaseBound,
    pub apply: PhaseBound,
    /// Identity Center deletions apply must make (one `DeleteAccountAssignment` each).
    pub ic_deletions: u64,
}

/// Calls to list `n` items `size` at a time; listing nothing still takes one call.
fn pages(n: u64, size: u64) -> u64 {
    n.div_ceil(size).max(1)
}

/// Calls to remove `n` items `size` at a time; removing nothing takes none.
fn batches(n: u64, size: u64) -> u64 {
    n.div_ceil(size)
}

/// **The lower bound.** For each quota (Identity Center = sso-admin + identitystore at 20 TPS,
/// AppStream at 10, Kendra at 10) the *necessary* calls are those of the cheaper of two read
/// strategies, chosen service by service (as offboard chooses):
///
/// - **Identity Store users**: `GetUserId` + `DescribeUser` per leaver, or `ListUsers` (100 per
///   page).
/// - **memberships and group names**: `ListGroupMembershipsForMember` per leaver (100 per page)
///   and `DescribeGroup` per group a leaver is in, or `ListGroups` and `ListGroupMemberships`
///   per group.
/// - **Identity Center assignments**: `ListAccountAssignmentsForPrincipal` per leaver and per
///   group a leaver is in (100 per page), or `ListPermissionSets`,
///   `ListAccountsForProvisionedPermissionSet` per permission set and `ListAccountAssignments`
///   per provisioned (account, permission set) pair (100 per page).
/// - always `ListInstances`, and `DescribePermissionSet` per permission set the plan shows.
/// - **AppStream**: `DescribeUserStackAssociations` per leaver user name, or `DescribeStacks`
///   and `DescribeUserStackAssociations` per stack (25 per page: the model's maximum).
/// - **Kendra** has one strategy: `DescribeIndex`, `ListEntityPersonas` (100 per page) and
///   `ListExperienceEntities` (10 per page).
/// - **apply** = one call per removal (`DeleteAccountAssignment` per assignment; batches of 25
///   for `BatchDisassociateUserStack` and `DisassociatePersonasFromEntities`, 40 for
///   `DisassociateEntitiesFromExperience`) + ⌈IC deletions ÷ cap⌉ `ListAccountAssignmentDeletionStatus`
///   pages + resolving the leavers again + reading what the plan touches twice, before acting
///   and after (offboard verifies every removal), each the cheaper way: per principal
///   (`ListAccountAssignmentsForPrincipal` and `DescribeUserStackAssociations` per leaver) or
///   per container (`ListAccountAssignments` per touched pair, `DescribeUserStackAssociations`
///   per touched stack); Kendra as in plan, twice.
///
/// Plan bound = max over quotas of necessary ÷ TPS. Apply bound = max(the same for apply's
/// calls, IC deletions × deletion delay ÷ cap): at most `cap` deletions are outstanding, each for
/// the delay.
pub fn lower_bound(w: &Workload, s: Settings) -> Bound {
    let ic_page_sum = |v: &[u64]| v.iter().map(|&n| pages(n, IC_PAGE)).sum::<u64>();
    let always = Estimate::fixed(1 + w.named_permission_sets);
    let users = Estimate::choice(2 * w.leavers, pages(w.users, IC_PAGE));

    // Plan.
    let memberships = Estimate::choice(
        ic_page_sum(&w.leaver_memberships) + w.leaver_group_assignments.len() as u64,
        pages(w.groups, IC_PAGE) + ic_page_sum(&w.group_members),
    );
    let assignments = Estimate::choice(
        ic_page_sum(&w.leaver_assignments) + ic_page_sum(&w.leaver_group_assignments),
        pages(w.permission_sets, IC_PAGE)
            + ic_page_sum(&w.accounts_per_permission_set)
            + ic_page_sum(&w.pair_assignments),
    );
    let plan_ic = always + users + memberships + assignments;
    let plan_appstream = Estimate::choice(
        w.leavers,
        pages(w.stacks, APPSTREAM_PAGE) + w.stack_associations.iter().map(|&n| pages(n, APPSTREAM_PAGE)).sum::<u64>(),
    );
    let kendra_read = 1 + pages(w.personas, PERSONA_PAGE) + pages(w.experience_entities, EXPERIENCE_ENTITY_PAGE);
    let plan_kendra = Estimate::fixed(kendra_read);

    // Apply: resolve again, read what the plan touches before acting and after.
    let ic_deletions: u64 = w.leaver_assignments.iter().sum();
    let ic_removals = ic_deletions + batches(ic_deletions, s.cap.max(1));
    let touched = Estimate::choice(ic_page_sum(&w.leaver_assignments), ic_page_sum(&w.touched_pair_assignments));
    let apply_ic = Estimate::fixed(ic_removals + 1) + users + touched * 2;
    let appstream_removals = batches(w.leaver_associations, APPSTREAM_BATCH);
    let touched_stacks = Estimate::choice(
        w.leavers,
        w.touched_stack_associations.iter().map(|&n| pages(n, APPSTREAM_PAGE)).sum::<u64>(),
    );
    let apply_appstream = Estimate::fixed(appstream_removals) + touched_stacks * 2;
    let kendra_removals =
        batches(w.leaver_personas, PERSONA_BATCH) + batches(w.leaver_experience_entities, EXPERIENCE_ENTITY_BATCH);
    let apply_kendra = Estimate::fixed(kendra_removals + 2 * kendra_read);
    let deletion_wait_s = ic_deletions as f64 * s.deletion_delay_s / s.cap.max(1) as f64;

    Bound {
        plan: PhaseBound {
            identity_center: plan_ic,
            appstream: plan_appstream,
            kendra: plan_kendra,
            deletion_wait_s: 0.0,
        },
        apply: PhaseBound {
            identity_center: apply_ic,
            appstream: apply_appstream,
            kendra: apply_kendra,
            deletion_wait_s,
        },
        ic_deletions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2 leavers + 2 stayers, 3 assignments each, 2 groups of 2 members with 1 assignment each,
    /// 4 permission sets on 2 accounts each, 7 pairs, 2 stacks, one persona per user.
    fn tiny() -> Workload {
        Workload {
            leavers: 2,
            users: 4,
            groups: 2,
            permission_sets: 4,
            named_permission_sets: 3,
            leaver_assignments: vec![3, 3],
            leaver_memberships: vec![1, 2],
            leaver_group_assignments: vec![1, 1],
            group_members: vec![2, 2],
            accounts_per_permission_set: vec![2, 2, 2, 1],
            pair_assignments: vec![2, 2, 2, 2, 2, 2, 2],
            touched_pair_assignments: vec![2, 2, 2, 2, 2],
            stacks: 2,
            stack_associations: vec![3, 1],
            touched_stack_associations: vec![3],
            leaver_associations: 2,
            personas: 4,
            experience_entities: 4,
            leaver_personas: 2,
            leaver_experience_entities: 2,
        }
    }

    #[test]
    fn plan_counts_both_strategies_and_takes_the_cheaper_per_service() {
        let b = lower_bound(&tiny(), Settings { deletion_delay_s: 0.0, cap: 10 });
        // 1 + 3 permission sets shown; users 4 | 1; memberships 2 + 2 | 1 + 2; assignments 2 + 2 | 1 + 4 + 7
        assert_eq!(b.plan.identity_center.per_principal, 4 + 4 + 4 + 4);
        assert_eq!(b.plan.identity_center.per_container, 4 + 1 + 3 + 12);
        assert_eq!(b.plan.identity_center.per_service, 4 + 1 + 3 + 4);
        assert_eq!(b.plan.identity_center.necessary(), 12);
        assert_eq!(b.plan.appstream, Estimate { per_principal: 2, per_container: 3, per_service: 2 });
        assert_eq!(b.plan.kendra.necessary(), 3);
        assert!((b.plan.seconds() - 12.0 / 20.0).abs() < 1e-9);
        assert_eq!(b.plan.limited_by(), "Identity Center quota");
    }

    #[test]
    fn apply_adds_removals_status_pages_and_reads_before_and_after() {
        let b = lower_bound(&tiny(), Settings { deletion_delay_s: 0.0, cap: 4 });
        assert_eq!(b.ic_deletions, 6);
        // 6 deletions + ⌈6 ÷ 4⌉ status pages + ListInstances; users 4 | 1; twice 2 per principal | 5 per pair
        assert_eq!(
            b.apply.identity_center,
            Estimate { per_principal: 9 + 4 + 4, per_container: 9 + 1 + 10, per_service: 9 + 1 + 4 }
        );
        assert_eq!(b.apply.appstream, Estimate { per_principal: 1 + 4, per_container: 1 + 2, per_service: 3 });
        // 1 persona batch + 1 entity batch + 3 reads twice
        assert_eq!(b.apply.kendra.necessary(), 8);
        assert_eq!(b.apply.deletion_wait_s, 0.0);
    }

    #[test]
    fn the_deletion_wait_bounds_apply_when_it_is_longer() {
        let b = lower_bound(&tiny(), Settings { deletion_delay_s: 3.0, cap: 2 });
        // 6 deletions × 3 s ÷ 2 outstanding = 9 s, far above 14 calls ÷ 20 TPS
        assert!((b.apply.seconds() - 9.0).abs() < 1e-9);
        assert_eq!(b.apply.limited_by(), "deletion wait");
        assert!(b.plan.deletion_wait_s == 0.0);
    }

    #[test]
    fn large_lists_take_more_pages() {
        let w = Workload {
            leavers: 1,
            users: 250,
            leaver_assignments: vec![250],
            leaver_memberships: vec![0],
            stack_associations: vec![60],
            stacks: 1,
            ..Workload::default()
        };
        let b = lower_bound(&w, Settings { deletion_delay_s: 0.0, cap: 10 });
        // 1 + 2 + 1 (no memberships still costs a call) + 3 pages of 250 assignments
        assert_eq!(b.plan.identity_center.per_principal, 7);
        assert_eq!(b.plan.appstream.per_container, 1 + 3);
        assert_eq!(b.ic_deletions, 250);
        assert_eq!(b.apply.identity_center.per_principal, 250 + 25 + 1 + 2 + 3 * 2);
    }
}
