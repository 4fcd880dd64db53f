//! The large mutable collections of a [`crate::world::World`], each with the indexes its requests
//! look things up by.
//!
//! A benchmark org has ~20,000 users, ~100,000 assignments and thousands of stack associations,
//! and offboard sends thousands of requests against it. Every request that names one container
//! (an account and permission set, a stack, a group) or one principal is answered from an index
//! here, in time proportional to what it returns, never by scanning everything. Each collection
//! keeps its indexes in step itself: they change only through these methods.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ops::Bound;
use std::time::Instant;

use crate::fixture::{Assignment, Membership, PrincipalType, StackAssociation};
use crate::world::{Deletion, DeletionStatus};

/// SSO account assignments, by (account, permission set) through the set's own order and by
/// principal through an index.
#[derive(Debug, Default)]
pub(crate) struct Assignments {
    /// Ordered by (account, permission set, principal type, principal id): the assignments of one
    /// (account, permission set) are one range.
    all: BTreeSet<Assignment>,
    by_principal: HashMap<(PrincipalType, String), BTreeSet<Assignment>>,
    /// Accounts each permission set was ever assigned in during this sandbox's life (what
    /// `ListAccountsForProvisionedPermissionSet` answers); never shrinks.
    provisioned: BTreeMap<String, BTreeSet<String>>,
}

impl Assignments {
    /// Adds `a`; false when it was there already.
    pub fn insert(&mut self, a: Assignment) -> bool {
        self.note_provisioned(&a);
        if self.all.contains(&a) {
            return false;
        }
        self.by_principal.entry((a.principal_type, a.principal_id.clone())).or_default().insert(a.clone());
        self.all.insert(a)
    }

    pub fn remove(&mut self, a: &Assignment) -> bool {
        let key = (a.principal_type, a.principal_id.clone());
        if let Some(set) = self.by_principal.get_mut(&key) {
            set.remove(a);
            if set.is_empty() {
                self.by_principal.remove(&key);
            }
        }
        self.all.remove(a)
    }

    pub fn contains(&self, a: &Assignment) -> bool {
        self.all.contains(a)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Assignment> {
        self.all.iter()
    }

    /// Records that the permission set of `a` was provisioned to its account (also for
    /// assignments that are gone, e.g. restored deletions).
    pub fn note_provisioned(&mut self, a: &Assignment) {
        if !self.provisioned.get(&a.permission_set_arn).is_some_and(|accounts| accounts.contains(&a.account_id)) {
            self.provisioned.entry(a.permission_set_arn.clone()).or_default().insert(a.account_id.clone());
        }
    }

    /// The accounts `permission_set_arn` was ever assigned in, in order.
    pub fn provisioned_accounts(&self, permission_set_arn: &str) -> impl Iterator<Item = &String> {
        self.provisioned.get(permission_set_arn).into_iter().flatten()
    }

    /// The assignments of one (account, permission set), in order.
    pub fn of_container<'a>(
        &'a self,
        account_id: &'a str,
        permission_set_arn: &'a str,
    ) -> impl Iterator<Item = &'a Assignment> + 'a {
        // The smallest assignment of the container: User is the first principal type, "" the
        // smallest id.
        let first = Assignment {
            account_id: account_id.to_owned(),
            permission_set_arn: permission_set_arn.to_owned(),
            principal_type: PrincipalType::User,
            principal_id: String::new(),
        };
        self.all
            .range(first..)
            .take_while(move |a| a.account_id == account_id && a.permission_set_arn == permission_set_arn)
    }

    /// The assignments of one principal, in order.
    pub fn of_principal(&self, kind: PrincipalType, id: &str) -> impl Iterator<Item = &Assignment> {
        self.by_principal.get(&(kind, id.to_owned())).into_iter().flatten()
    }
}

impl FromIterator<Assignment> for Assignments {
    fn from_iter<I: IntoIterator<Item = Assignment>>(iter: I) -> Assignments {
        let mut out = Assignments::default();
        for a in iter {
            out.insert(a);
        }
        out
    }
}

/// AppStream user-stack associations, by stack through the set's order and by user name through
/// an index.
#[derive(Debug, Default)]
pub(crate) struct Associations {
    /// Ordered by (stack, user name, authentication type).
    all: BTreeSet<StackAssociation>,
    by_user: HashMap<String, BTreeSet<StackAssociation>>,
}

impl Associations {
    pub fn insert(&mut self, a: StackAssociation) -> bool {
        if self.all.contains(&a) {
            return false;
        }
        self.by_user.entry(a.user_name.clone()).or_default().insert(a.clone());
        self.all.insert(a)
    }

    pub fn remove(&mut self, a: &StackAssociation) -> bool {
        if let Some(set) = self.by_user.get_mut(&a.user_name) {
            set.remove(a);
            if set.is_empty() {
                self.by_user.remove(&a.user_name);
            }
        }
        self.all.remove(a)
    }

    pub fn iter(&self) -> impl Iterator<Item = &StackAssociation> {
        self.all.iter()
    }

    /// The associations of `stack` after `after` (from the first when `None`), in order.
    pub fn of_stack<'a>(
        &'a self,
        stack: &'a str,
        after: Option<&StackAssociation>,
    ) -> impl Iterator<Item = &'a StackAssociation> + 'a {
        let lower = match after {
            Some(a) => Bound::Excluded(a.clone()),
            None => Bound::Included(StackAssociation {
                stack_name: stack.to_owned(),
                user_name: String::new(),
                authentication_type: String::new(),
            }),
        };
        self.all.range((lower, Bound::Unbounded)).take_while(move |a| a.stack_name == stack)
    }

    /// The associations of one user name, in order.
    pub fn of_user(&self, user_name: &str) -> impl Iterator<Item = &StackAssociation> {
        self.by_user.get(user_name).into_iter().flatten()
    }
}

impl FromIterator<StackAssociation> for Associations {
    fn from_iter<I: IntoIterator<Item = StackAssociation>>(iter: I) -> Associations {
        let mut out = Associations::default();
        for a in iter {
            out.insert(a);
        }
        out
    }
}

/// Identity Store group memberships by id, with the ids of each group's and each user's.
#[derive(Debug, Default)]
pub(crate) struct Memberships {
    by_id: BTreeMap<String, Membership>,
    by_group: HashMap<String, BTreeSet<String>>,
    by_user: HashMap<String, BTreeSet<String>>,
}

impl Memberships {
    pub fn insert(&mut self, m: Membership) {
        if let Some(old) = self.by_id.get(&m.id).cloned() {
            self.remove(&old.id);
        }
        self.by_group.entry(m.group_id.clone()).or_default().insert(m.id.clone());
        self.by_user.entry(m.user_id.clone()).or_default().insert(m.id.clone());
        self.by_id.insert(m.id.clone(), m);
    }

    pub fn remove(&mut self, id: &str) -> Option<Membership> {
        let m = self.by_id.remove(id)?;
        for (index, key) in [(&mut self.by_group, &m.group_id), (&mut self.by_user, &m.user_id)] {
            if let Some(ids) = index.get_mut(key) {
                ids.remove(id);
                if ids.is_empty() {
                    index.remove(key);
                }
            }
        }
        Some(m)
    }

    pub fn get(&self, id: &str) -> Option<&Membership> {
        self.by_id.get(id)
    }

    pub fn values(&self) -> impl Iterator<Item = &Membership> {
        self.by_id.values()
    }

    /// The memberships of a group, by membership id.
    pub fn of_group(&self, group_id: &str) -> impl Iterator<Item = &Membership> {
        self.lookup(self.by_group.get(group_id))
    }

    /// The memberships of a user, by membership id.
    pub fn of_user(&self, user_id: &str) -> impl Iterator<Item = &Membership> {
        self.lookup(self.by_user.get(user_id))
    }

    fn lookup<'a>(&'a self, ids: Option<&'a BTreeSet<String>>) -> impl Iterator<Item = &'a Membership> + 'a {
        ids.into_iter().flatten().filter_map(|id| self.by_id.get(id))
    }
}

impl FromIterator<Membership> for Memberships {
    fn from_iter<I: IntoIterator<Item = Membership>>(iter: I) -> Memberships {
        let mut out = Memberships::default();
        for m in iter {
            out.insert(m);
        }
        out
    }
}

/// Every SSO assignment deletion request, oldest first, with the pending ones indexed.
#[derive(Debug, Default)]
pub(crate) struct Deletions {
    all: Vec<Deletion>,
    by_request: HashMap<String, usize>,
    /// Positions of the IN_PROGRESS requests, oldest first. Every pending request waits the same
    /// delay (the current setting) and arrives no earlier than the one before it, so they complete
    /// in this order and settling stops at the first that is not due.
    pending: VecDeque<usize>,
    pending_by_assignment: HashMap<Assignment, usize>,
}

impl Deletions {
    pub fn push(&mut self, d: Deletion) {
        let at = self.all.len();
        self.by_request.insert(d.request_id.clone(), at);
        if matches!(d.status, DeletionStatus::InProgress { .. }) {
            self.pending.push_back(at);
            self.pending_by_assignment.insert(d.assignment.clone(), at);
        }
        self.all.push(d);
    }

    pub fn all(&self) -> &[Deletion] {
        &self.all
    }

    pub fn get(&self, request_id: &str) -> Option<&Deletion> {
        self.by_request.get(request_id).map(|&i| &self.all[i])
    }

    /// The deletion of `a` that is IN_PROGRESS, if any.
    pub fn pending_for(&self, a: &Assignment) -> Option<&Deletion> {
        self.pending_by_assignment.get(a).map(|&i| &self.all[i])
    }

    /// How many deletions are IN_PROGRESS.
    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }

    /// Completes the pending deletions that `is_due` (oldest first), removing the assignment of
    /// each that succeeds from `assignments`. (Two requests racing for the lock may be queued a
    /// few microseconds out of arrival order; the later-queued one then completes with the
    /// earlier, never before its own delay.)
    pub fn settle(&mut self, assignments: &mut Assignments, is_due: impl Fn(Instant) -> bool) {
        while let Some(&at) = self.pending.front() {
            let deletion = &mut self.all[at];
            if !is_due(deletion.received) {
                break;
            }
            self.pending.pop_front();
            self.pending_by_assignment.remove(&deletion.assignment);
            if let DeletionStatus::InProgress { failure } = &deletion.status {
                deletion.status = match failure {
                    Some(reason) => DeletionStatus::Failed(reason.clone()),
                    None => {
                        assignments.remove(&deletion.assignment);
                        DeletionStatus::Succeeded
                    }
                };
            }
        }
    }
}

impl FromIterator<Deletion> for Deletions {
    fn from_iter<I: IntoIterator<Item = Deletion>>(iter: I) -> Deletions {
        let mut out = Deletions::default();
        for d in iter {
            out.push(d);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assignment(account: &str, ps: &str, kind: PrincipalType, id: &str) -> Assignment {
        Assignment {
            account_id: account.into(),
            permission_set_arn: ps.into(),
            principal_type: kind,
            principal_id: id.into(),
        }
    }

    #[test]
    fn assignment_indexes_follow_inserts_and_removals() {
        let mut set: Assignments = [
            assignment("1", "ps-a", PrincipalType::Group, "g"),
            assignment("1", "ps-a", PrincipalType::User, "u"),
            assignment("1", "ps-b", PrincipalType::User, "u"),
            assignment("2", "ps-a", PrincipalType::User, "u"),
            assignment("0", "ps-a", PrincipalType::User, "v"),
        ]
        .into_iter()
        .collect();
        let container: Vec<_> = set.of_container("1", "ps-a").map(|a| a.principal_id.as_str()).collect();
        assert_eq!(container, ["u", "g"], "users first, then groups, nothing of other containers");
        assert_eq!(set.of_principal(PrincipalType::User, "u").count(), 3);
        assert!(set.remove(&assignment("1", "ps-a", PrincipalType::User, "u")));
        assert!(!set.remove(&assignment("1", "ps-a", PrincipalType::User, "u")));
        assert_eq!(set.of_container("1", "ps-a").count(), 1);
        assert_eq!(set.of_principal(PrincipalType::User, "u").count(), 2);
        assert_eq!(set.of_principal(PrincipalType::Group, "u").count(), 0);
        // Provisioning outlives the assignment.
        let accounts: Vec<_> = set.provisioned_accounts("ps-a").cloned().collect();
        assert_eq!(accounts, ["0", "1", "2"]);
        assert_eq!(set.provisioned_accounts("ps-z").count(), 0);
    }

    #[test]
    fn association_ranges_stay_inside_their_stack() {
        let assoc = |stack: &str, user: &str| StackAssociation {
            stack_name: stack.into(),
            user_name: user.into(),
            authentication_type: "USERPOOL".into(),
        };
        let mut set: Associations =
            [assoc("a", "x"), assoc("b", "bob"), assoc("b", "bob.x"), assoc("b", "carol"), assoc("c", "bob")]
                .into_iter()
                .collect();
        let users = |it: Vec<&StackAssociation>| it.into_iter().map(|a| a.user_name.clone()).collect::<Vec<_>>();
        assert_eq!(users(set.of_stack("b", None).collect()), ["bob", "bob.x", "carol"]);
        assert_eq!(users(set.of_stack("b", Some(&assoc("b", "bob"))).collect()), ["bob.x", "carol"]);
        assert_eq!(set.of_user("bob").count(), 2);
        set.remove(&assoc("c", "bob"));
        assert_eq!(set.of_user("bob").count(), 1);
        assert_eq!(set.of_stack("c", None).count(), 0);
    }

    #[test]
    fn membership_indexes_follow_removals() {
        let m = |id: &str, g: &str, u: &str| Membership { id: id.into(), group_id: g.into(), user_id: u.into() };
        let mut set: Memberships =
            [m("m1", "g1", "u1"), m("m2", "g1", "u2"), m("m3", "g2", "u1")].into_iter().collect();
        assert_eq!(set.of_group("g1").count(), 2);
        assert_eq!(set.of_user("u1").count(), 2);
        assert_eq!(set.remove("m1").map(|x| x.group_id), Some("g1".to_owned()));
        assert_eq!(set.remove("m1"), None);
        assert_eq!(set.of_group("g1").map(|x| x.id.as_str()).collect::<Vec<_>>(), ["m2"]);
        assert_eq!(set.of_user("u1").map(|x| x.id.as_str()).collect::<Vec<_>>(), ["m3"]);
    }
}
