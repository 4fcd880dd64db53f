//! The Identity Store listed whole (`ListUsers`, `ListGroups`, 100 per page), when that costs
//! fewer calls than looking each leaver up (`read_strategy.rs`).
//!
//! Looking up costs per user declared by name a `GetUserId` and a `DescribeUser` (a third call
//! when the name is an email), per user declared by id a `DescribeUser`, per group a
//! `GetGroupId` or `DescribeGroup`, and per group some user leaver is a member of another
//! `DescribeGroup`. Listing costs one call per hundred users or groups, and the listed groups
//! also tell which of them are few enough to read members per group (`ListGroupMemberships`)
//! instead of groups per user (`ListGroupMembershipsForMember`).
//!
//! A listing answers exactly as the lookups would: userNames and emails compare
//! case-insensitively (as `GetUserId` does), display names exactly (as `GetGroupId`), and a
//! user found by its userName is never looked up by email. Whatever a listing cannot answer
//! for sure (two users whose emails match the same name) is looked up one by one.

use crate::call::Session;
use crate::error::CallFailure;
use crate::identitystore::{self, ListedGroup, ListedUser};
use crate::read_strategy::choose;
use offboard_core::policy::Leaver;
use offboard_core::principal::{PrincipalKind, Selector};
use offboard_core::state::Resolution;
use std::collections::HashMap;

/// What was listed: `None` for a kind that was not listed (or not completely).
#[derive(Debug, Default)]
pub(crate) struct Directory {
    users: Option<Users>,
    groups: Option<Vec<ListedGroup>>,
}

/// The listed users, indexed the ways a lookup finds them: a plan for 10,000 leavers in a
/// directory of 20,000 users must not compare every leaver with every user.
#[derive(Debug, Default)]
struct Users {
    all: Vec<ListedUser>,
    /// Lower-cased userName → users.
    by_name: HashMap<String, Vec<usize>>,
    /// Lower-cased email → users.
    by_email: HashMap<String, Vec<usize>>,
    by_id: HashMap<String, usize>,
}

impl Users {
    fn new(all: Vec<ListedUser>) -> Users {
        let mut users = Users::default();
        for (i, u) in all.iter().enumerate() {
            if let Some(name) = &u.names.user_name {
                users.by_name.entry(name.to_lowercase()).or_default().push(i);
            }
            for e in &u.emails {
                let list = users.by_email.entry(e.to_lowercase()).or_default();
                if !list.contains(&i) {
                    list.push(i);
                }
            }
            users.by_id.insert(u.id.clone(), i);
        }
        users.all = all;
        users
    }

    /// `Some(None)` for no match, `Some(Some(user))` for exactly one, `None` for several.
    fn one(&self, index: &HashMap<String, Vec<usize>>, key: &str) -> Option<Option<&ListedUser>> {
        match index.get(key).map(Vec::as_slice) {
            None | Some([]) => Some(None),
            Some([i]) => Some(Some(&self.all[*i])),
            Some(_) => None,
        }
    }
}

impl Directory {
    /// List the users and the groups of `store` if that is cheaper than looking `leavers` up
    /// (and, for the groups, than reading each user leaver's memberships).
    pub(crate) async fn read(s: &Session<'_>, store: &str, leavers: &[&Leaver]) -> Result<Directory, CallFailure> {
        let (mut user_lookups, mut group_lookups, mut user_leavers) = (0usize, 0usize, 0usize);
        for l in leavers {
            match (&l.principal.kind, &l.principal.selector) {
                (PrincipalKind::User, Selector::Name(_)) => {
                    (user_lookups, user_leavers) = (user_lookups + 2, user_leavers + 1)
                }
                (PrincipalKind::User, Selector::Id(_)) => {
                    (user_lookups, user_leavers) = (user_lookups + 1, user_leavers + 1)
                }
                (PrincipalKind::Group, _) => group_lookups += 1,
            }
        }
        // The groups replace the group leavers' lookups, and (when they are few) each user
        // leaver's membership listing and the `DescribeGroup` of each group a leaver is in.
        let group_calls = group_lookups + user_leavers;
        let users =
            within(s, "Identity Store users", user_lookups, |budget| identitystore::list_users(s, store, budget))
                .await?;
        let groups =
            within(s, "Identity Store groups", group_calls, |budget| identitystore::list_groups(s, store, budget))
                .await?;
        let dir = Directory { users: users.map(Users::new), groups };
        Ok(dir)
    }

    /// The leaver as a lookup would resolve it, or `None` when the listing cannot say for sure
    /// (not listed, or ambiguous): then it is looked up.
    pub(crate) fn resolve(&self, leaver: &Leaver) -> Option<Resolution> {
        let p = &leaver.principal;
        match (&p.kind, &p.selector) {
            (PrincipalKind::User, Selector::Name(name)) => {
                let users = self.users.as_ref()?;
                let wanted = name.to_lowercase();
                let user = match users.one(&users.by_name, &wanted)? {
                    Some(u) => Some(u),
                    None => users.one(&users.by_email, &wanted)?,
                };
                Some(user.map_or(Resolution::NotFound, found_user))
            }
            (PrincipalKind::User, Selector::Id(id)) => {
                let users = self.users.as_ref()?;
                Some(users.by_id.get(id).map_or(Resolution::NotFound, |i| found_user(&users.all[*i])))
            }
            (PrincipalKind::Group, Selector::Name(name)) => {
                let group =
                    only(self.groups.as_ref()?.iter().filter(|g| g.display_name.as_deref() == Some(name.as_str())))?;
                // As `GetGroupId` resolves it: the declared name is the name.
                Some(group.map_or(Resolution::NotFound, |g| Resolution::found(g.id.clone(), Some(name))))
            }
            (PrincipalKind::Group, Selector::Id(id)) => Some(match self.group(id)? {
                Some(name) => Resolution::Found { id: id.clone(), name, email: None },
                None => Resolution::NotFound,
            }),
        }
    }

    /// What `DescribeGroup` would say of group `id`: `None` when the groups were not listed
    /// (ask it), else `Some(None)` for a group the store does not have and `Some(Some(name))`
    /// for one it has (`name` is its display name, if any).
    pub(crate) fn group(&self, id: &str) -> Option<Option<Option<String>>> {
        // Groups are few (hundreds): a scan is fine, and a plan asks once per distinct group.
        let groups = self.groups.as_ref()?;
        Some(groups.iter().find(|g| g.id == id).map(|g| g.display_name.clone()))
    }

    /// The listed groups, when they were listed completely.
    pub(crate) fn groups(&self) -> Option<&[ListedGroup]> {
        self.groups.as_deref()
    }
}

/// A whole listing, read only while it costs fewer calls than the `lookups` it would replace:
/// `None` when it would not (not listed at all when forced per principal, or abandoned at the
/// budget). The choice is logged and announced either way.
async fn within<T, Fut>(
    s: &Session<'_>,
    what: &'static str,
    lookups: usize,
    list: impl FnOnce(usize) -> Fut,
) -> Result<Option<Vec<T>>, CallFailure>
where
    Fut: std::future::Future<Output = Result<crate::paginate::Listed<T>, CallFailure>>,
{
    if lookups == 0 {
        return Ok(None);
    }
    let budget = s.limits.read_strategy.budget(lookups);
    if budget == 0 {
        choose(s, what, false, lookups, None);
        return Ok(None);
    }
    let listed = list(budget).await?;
    choose(s, what, listed.complete, lookups, listed.complete.then_some(listed.pages));
    Ok(listed.complete.then_some(listed.items))
}

fn found_user(u: &ListedUser) -> Resolution {
    Resolution::Found { id: u.id.clone(), name: u.names.user_name.clone(), email: u.names.email.clone() }
}

/// `Some(None)` for no match, `Some(Some(x))` for exactly one, `None` for several.
fn only<T>(mut matches: impl Iterator<Item = T>) -> Option<Option<T>> {
    let first = matches.next();
    match matches.next() {
        Some(_) => None,
        None => Some(first),
    }
}

/// The memberships of every user in `users`, read per group: one `ListGroupMemberships` per
/// group of the directory. Only for users in `users`; every other user's rows are dropped.
pub(crate) async fn memberships_by_group(
    s: &Session<'_>,
    store: &str,
    groups: &[ListedGroup],
    users: &std::collections::BTreeSet<&str>,
) -> Result<HashMap<String, Vec<identitystore::Membership>>, CallFailure> {
    let reads = groups.iter().map(|g| identitystore::members_of(s, store, &g.id)).collect();
    let mut by_user: HashMap<String, Vec<identitystore::Membership>> = HashMap::new();
    for rows in crate::call::bounded(reads, s.limits.concurrency).await {
        for (user, m) in rows? {
            if users.contains(user.as_str()) {
                by_user.entry(user).or_default().push(m);
            }
        }
    }
    Ok(by_user)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identitystore::UserNames;
    use offboard_core::principal::PrincipalRef;

    fn user(id: &str, name: &str, emails: &[&str]) -> ListedUser {
        ListedUser {
            id: id.into(),
            names: UserNames { user_name: Some(name.into()), email: emails.first().map(|e| (*e).to_owned()) },
            emails: emails.iter().map(|e| (*e).to_owned()).collect(),
        }
    }

    fn leaver(p: PrincipalRef) -> Leaver {
        Leaver {
            principal: p,
            reason: String::new(),
            effective: None,
            scope: Default::default(),
            keep: Default::default(),
            kendra_group_id: None,
            origin: offboard_core::policy::Origin { path: String::new(), line: 0, column: 0 },
        }
    }

    fn dir() -> Directory {
        Directory {
            users: Some(Users::new(vec![
                user("u1", "Alice", &["alice@example.com"]),
                user("u2", "bob", &["shared@example.com", "bob@example.com"]),
                user("u3", "carol", &["shared@example.com"]),
            ])),
            groups: Some(vec![
                ListedGroup { id: "g1".into(), display_name: Some("Admins".into()) },
                ListedGroup { id: "g2".into(), display_name: None },
            ]),
        }
    }

    #[test]
    fn users_resolve_like_get_user_id_then_describe_user() {
        let d = dir();
        let r = d.resolve(&leaver(PrincipalRef::user_name("alice"))).unwrap();
        assert_eq!(
            r,
            Resolution::Found { id: "u1".into(), name: Some("Alice".into()), email: Some("alice@example.com".into()) }
        );
        assert_eq!(d.resolve(&leaver(PrincipalRef::user_name("BOB@example.com"))).unwrap().id(), Some("u2"));
        assert_eq!(d.resolve(&leaver(PrincipalRef::user_name("nobody"))), Some(Resolution::NotFound));
        assert_eq!(d.resolve(&leaver(PrincipalRef::user_id("u3"))).unwrap().id(), Some("u3"));
        assert_eq!(d.resolve(&leaver(PrincipalRef::user_id("u9"))), Some(Resolution::NotFound));
        // Two users share the email: the listing cannot say which one GetUserId would answer.
        assert_eq!(d.resolve(&leaver(PrincipalRef::user_name("shared@example.com"))), None);
    }

    #[test]
    fn groups_resolve_by_exact_display_name_or_id() {
        let d = dir();
        assert_eq!(d.resolve(&leaver(PrincipalRef::group_name("Admins"))).unwrap().id(), Some("g1"));
        assert_eq!(d.resolve(&leaver(PrincipalRef::group_name("admins"))), Some(Resolution::NotFound));
        assert_eq!(
            d.resolve(&leaver(PrincipalRef::group_id("g2"))),
            Some(Resolution::Found { id: "g2".into(), name: None, email: None })
        );
        assert_eq!(d.group("g9"), Some(None));
        assert_eq!(Directory::default().group("g1"), None);
        assert_eq!(Directory::default().resolve(&leaver(PrincipalRef::user_name("alice"))), None);
    }
}
