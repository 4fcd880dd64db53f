//! The main job against moto, an emulator nobody here wrote: `plan` → `apply` → `plan` says "No
//! changes", with the built binary, for Identity Center and the Identity Store (moto has no
//! AppStream experiences/Kendra personas worth the name). moto must be installed
//! (`scripts/setup-moto.sh`); `MotoServer::start` fails the test loudly otherwise.
//!
//! Where moto differs from AWS (see the table in `offboard_tests::moto`), the test asserts what
//! matters for offboard and says why:
//! - moto's identity store id (`d-` + 10 of [a-z0-9]) fails the real pattern, so the config
//!   omits `identity_store_id` and offboard discovers it with ListInstances, as on AWS.
//! - moto's permission set ARNs (`…:instance/ssoins-…/ps-…`) fail the real pattern too: they come
//!   back from AWS as data, and the plan must carry them unchanged into DeleteAccountAssignment.
//! - moto deletes synchronously (SUCCEEDED at once) and has no
//!   ListAccountAssignmentDeletionStatus (HTTP 500 with an HTML body). The run must still finish
//!   with every deletion confirmed, which is what the exit code, the journal and the re-read
//!   state show; which polling call was used is the adapter's business (its own moto test counts
//!   calls).

use aws_sdk_identitystore::types::{Email, Name};
use aws_sdk_ssoadmin::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_ssoadmin::types::PrincipalType;
use offboard_core::grant::SsoAssignment;
use offboard_core::{Grant, PrincipalKind};
use offboard_tests::access::planned_removals;
use offboard_tests::cli::{REGION, Run, offboard_at};
use offboard_tests::journal;
use offboard_tests::moto::MotoServer;
use offboard_tests::policy_repo::PolicyRepo;
use offboard_tests::sso::{AccountAssignment, principal_kind};
use std::collections::BTreeSet;

fn sdk_config(moto: &MotoServer) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&moto.url)
        .credentials_provider(aws_sdk_ssoadmin::config::SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "moto",
        )))
        .build()
}

/// What the test seeded into moto.
struct Seeded {
    instance_arn: String,
    /// Every principal id seeded with its type: the whole organisation, so listing their
    /// assignments lists every assignment there is.
    principals: Vec<(PrincipalType, String)>,
    alice: String,
    interns: String,
    admin: String,
}

async fn seed(config: &aws_config::SdkConfig) -> Seeded {
    let sso = aws_sdk_ssoadmin::Client::new(config);
    let ids = aws_sdk_identitystore::Client::new(config);
    let instances = sso.list_instances().send().await.expect("moto answers ListInstances");
    let instance = &instances.instances()[0];
    let instance_arn = instance.instance_arn().expect("an instance ARN").to_owned();
    let store = instance.identity_store_id().expect("an identity store id").to_owned();

    let mut users = Vec::new();
    for name in ["alice.wong", "bob.martin", "dave.kim"] {
        let out = ids
            .create_user()
            .identity_store_id(&store)
            .user_name(name)
            .display_name(name)
            .name(Name::builder().given_name(name).family_name("Example").build())
            .emails(Email::builder().value(format!("{name}@northwind.example")).primary(true).build())
            .send()
            .await
            .expect("moto creates the user");
        users.push(out.user_id().to_owned());
    }
    let [alice, bob, dave] = [users[0].clone(), users[1].clone(), users[2].clone()];
    let group = |name: &'static str| ids.create_group().identity_store_id(&store).display_name(name).send();
    let interns = group("Summer Interns").await.expect("moto creates the group").group_id().to_owned();
    let platform = group("Platform Engineering").await.expect("moto creates the group").group_id().to_owned();

    // moto answers CreatePermissionSet with a number for SessionDuration unless one is given,
    // which the SDK cannot read back.
    let permission_set = |name: &'static str| {
        sso.create_permission_set().instance_arn(&instance_arn).name(name).session_duration("PT1H").send()
    };
    let mut arns = Vec::new();
    for name in ["AdministratorAccess", "ReadOnlyAccess"] {
        let out = permission_set(name).await.expect("moto creates the permission set");
        arns.push(out.permission_set().and_then(|p| p.permission_set_arn()).expect("a permission set ARN").to_owned());
    }
    let [admin, read] = [arns[0].clone(), arns[1].clone()];

    let u = PrincipalType::User;
    let g = PrincipalType::Group;
    for (account, ps, kind, id) in [
        ("111111111111", &admin, &u, &alice), // protected account: stays
        ("333333333333", &admin, &u, &alice),
        ("666666666666", &read, &u, &alice),
        ("222222222222", &read, &u, &bob), // kept by bob's policy: stays
        ("444444444444", &admin, &u, &bob),
        ("555555555555", &read, &g, &interns),
        ("888888888888", &admin, &g, &interns),
        ("333333333333", &admin, &u, &dave),    // not a leaver: stays
        ("444444444444", &read, &g, &platform), // not a leaver: stays
    ] {
        let assignment = AccountAssignment {
            instance_arn: instance_arn.clone(),
            account_id: account.to_owned(),
            permission_set_arn: ps.clone(),
            principal_type: kind.clone(),
            principal_id: id.clone(),
        };
        assignment.create(&sso).await.expect("moto creates the assignment");
    }
    let principals =
        vec![(u.clone(), alice.clone()), (u.clone(), bob), (u, dave), (g.clone(), interns.clone()), (g, platform)];
    Seeded { instance_arn, principals, alice, interns, admin }
}

/// Every account assignment of every seeded principal, as grants.
async fn assignments(config: &aws_config::SdkConfig, seeded: &Seeded) -> BTreeSet<Grant> {
    let sso = aws_sdk_ssoadmin::Client::new(config);
    let mut all = BTreeSet::new();
    for (kind, id) in &seeded.principals {
        let mut pages = sso
            .list_account_assignments_for_principal()
            .instance_arn(&seeded.instance_arn)
            .principal_type(kind.clone())
            .principal_id(id)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for a in page.expect("moto lists assignments").account_assignments() {
                all.insert(Grant::SsoAssignment(SsoAssignment {
                    account_id: a.account_id().unwrap_or_default().into(),
                    permission_set_arn: a.permission_set_arn().unwrap_or_default().into(),
                    principal_type: principal_kind(kind),
                    principal_id: a.principal_id().unwrap_or_default().into(),
                }));
            }
        }
    }
    all
}

#[test]
fn plan_apply_then_plan_says_no_changes_against_moto() {
    let moto = MotoServer::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = sdk_config(&moto);
    let seeded = runtime.block_on(seed(&config));
    let before = runtime.block_on(assignments(&config, &seeded));
    assert_eq!(before.len(), 9, "moto stored every seeded assignment: {before:#?}");

    let repo = PolicyRepo::empty();
    repo.write(
        "policies/offboard.yaml",
        &format!(
            "version: 1\nsso:\n  instance_arn: {}\nguardrails:\n  protected_accounts: [\"111111111111\"]\n",
            seeded.instance_arn
        ),
    );
    repo.write(
        "policies/leavers.yaml",
        "version: 1\nusers:\n  - user: alice.wong\n    reason: HR-4211 left\n  - user: bob.martin\n    reason: HR-4230 moved\n    keep:\n      sso_accounts: [\"222222222222\"]\ngroups:\n  - group: Summer Interns\n    reason: OPS-77 ended\n",
    );
    let offboard = || offboard_at(repo.root(), &moto.url);

    Run::of(offboard().args(["plan", "--detailed-exitcode"])).expect_code(2).expect_stdout("Plan: 5 to remove");
    Run::of(offboard().args(["plan", "--out", "plan.json"])).expect_code(0);
    let plan = repo.plan("plan.json");
    let planned = planned_removals(&plan);
    let protected = Grant::SsoAssignment(SsoAssignment {
        account_id: "111111111111".into(),
        permission_set_arn: seeded.admin.clone().into(),
        principal_type: PrincipalKind::User,
        principal_id: seeded.alice.clone().into(),
    });
    assert!(!planned.contains(&protected), "the protected account is never planned");
    assert_eq!(planned.len(), 5, "alice 2, bob 1, interns 2: {planned:#?}");
    assert!(
        planned
            .iter()
            .filter(|g| matches!(g, Grant::SsoAssignment(SsoAssignment { principal_id, .. }) if **principal_id == *seeded.interns))
            .count()
            == 2
    );

    let applied = Run::of(offboard().args(["apply", "plan.json", "--journal", "journal.jsonl"]))
        .expect_code(0)
        .expect_stdout("Apply complete: 5 removed, 0 already removed, 0 failed.");
    let after = runtime.block_on(assignments(&config, &seeded));
    let expected: BTreeSet<Grant> = before.difference(&planned).cloned().collect();
    assert_eq!(after, expected, "exactly the planned assignments are gone from moto");
    assert!(after.contains(&protected));

    let outcomes = journal::read(&repo.path("journal.jsonl"));
    assert_eq!(outcomes.iter().map(|o| o.grant.clone()).collect::<BTreeSet<_>>(), planned);
    for o in &outcomes {
        assert!(journal::is_removed(o), "{o:?}\n{applied}");
        // moto sends x-amzn-RequestId like AWS; the journal keeps it as evidence.
        assert!(o.request_id.is_some(), "{o:?}");
    }

    Run::of(offboard().args(["plan"])).expect_code(0).expect_stdout("No changes");
    Run::of(offboard().args(["plan", "--detailed-exitcode"])).expect_code(0);
    // moto's DeleteAccountAssignment of a missing assignment is ResourceNotFound, as on AWS; the
    // re-applied plan re-reads first, so it sends no deletion and reports each as already removed.
    Run::of(offboard().args(["apply", "plan.json"]))
        .expect_code(0)
        .expect_stdout("Apply complete: 0 removed, 5 already removed, 0 failed.");
    assert_eq!(runtime.block_on(assignments(&config, &seeded)), expected);
}

/// Group memberships against moto, which implements the Identity Store membership operations:
/// with `manage_memberships`, plan → apply → plan removes alice's membership (and with it what
/// the group gave her) and leaves the group, its assignment and its other members alone.
#[test]
fn memberships_are_removed_and_the_group_keeps_its_other_members_against_moto() {
    use aws_sdk_identitystore::types::MemberId;
    let moto = MotoServer::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = sdk_config(&moto);
    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let ids = aws_sdk_identitystore::Client::new(&config);

    let (instance_arn, store, alice, dave, platform) = runtime.block_on(async {
        let instances = sso.list_instances().send().await.expect("moto answers ListInstances");
        let instance = &instances.instances()[0];
        let instance_arn = instance.instance_arn().expect("an instance ARN").to_owned();
        let store = instance.identity_store_id().expect("an identity store id").to_owned();
        let mut users = Vec::new();
        for name in ["alice.wong", "dave.kim"] {
            let out = ids
                .create_user()
                .identity_store_id(&store)
                .user_name(name)
                .display_name(name)
                .name(Name::builder().given_name(name).family_name("Example").build())
                .send()
                .await
                .expect("moto creates the user");
            users.push(out.user_id().to_owned());
        }
        let platform = ids
            .create_group()
            .identity_store_id(&store)
            .display_name("Platform Engineering")
            .send()
            .await
            .expect("moto creates the group")
            .group_id()
            .to_owned();
        for user in &users {
            ids.create_group_membership()
                .identity_store_id(&store)
                .group_id(&platform)
                .member_id(MemberId::UserId(user.clone()))
                .send()
                .await
                .expect("moto creates the membership");
        }
        let ps = sso
            .create_permission_set()
            .instance_arn(&instance_arn)
            .name("PowerUserAccess")
            .session_duration("PT1H")
            .send()
            .await
            .expect("moto creates the permission set");
        let ps = ps.permission_set().and_then(|p| p.permission_set_arn()).expect("an ARN").to_owned();
        AccountAssignment {
            instance_arn: instance_arn.clone(),
            account_id: "444444444444".into(),
            permission_set_arn: ps,
            principal_type: PrincipalType::Group,
            principal_id: platform.clone(),
        }
        .create(&sso)
        .await
        .expect("moto creates the group's assignment");
        (instance_arn, store, users[0].clone(), users[1].clone(), platform)
    });
    let groups_of = |user: &str| -> Vec<String> {
        runtime.block_on(async {
            let out = ids
                .list_group_memberships_for_member()
                .identity_store_id(&store)
                .member_id(MemberId::UserId(user.to_owned()))
                .send()
                .await
                .expect("moto lists memberships");
            out.group_memberships().iter().filter_map(|m| m.group_id().map(str::to_owned)).collect()
        })
    };
    assert_eq!(groups_of(&alice), vec![platform.clone()]);

    let repo = PolicyRepo::empty();
    let config_text =
        format!("version: 1\nsso:\n  instance_arn: {instance_arn}\nidentity_store:\n  manage_memberships: true\n");
    repo.write("policies/offboard.yaml", &config_text);
    repo.write("policies/leavers.yaml", "version: 1\nusers:\n  - user: alice.wong\n    reason: HR-4211 left\n");
    let offboard = || offboard_at(repo.root(), &moto.url);

    Run::of(offboard().args(["plan", "--out", "plan.json"])).expect_code(0).expect_stdout(
        "Plan: 1 to remove (groups 1, sso 0, appstream 0, kendra 0), 0 skipped, 0 remain through groups.",
    );
    let plan = repo.plan("plan.json");
    assert_eq!(plan.actions.len(), 1);
    assert_eq!(plan.actions[0].request.operation(), "DeleteGroupMembership");

    Run::of(offboard().args(["apply", "plan.json", "--journal", "journal.jsonl"]))
        .expect_code(0)
        .expect_stdout("Apply complete: 1 removed, 0 already removed, 0 failed.");
    assert!(groups_of(&alice).is_empty(), "alice is no longer a member");
    assert_eq!(groups_of(&dave), vec![platform.clone()], "dave stays a member");
    let group_assignments = runtime.block_on(async {
        sso.list_account_assignments_for_principal()
            .instance_arn(&instance_arn)
            .principal_type(PrincipalType::Group)
            .principal_id(&platform)
            .send()
            .await
            .expect("moto lists the group's assignments")
            .account_assignments()
            .len()
    });
    assert_eq!(group_assignments, 1, "the group keeps its assignment");
    let outcomes = journal::read(&repo.path("journal.jsonl"));
    assert_eq!(outcomes.len(), 1);
    assert!(journal::is_removed(&outcomes[0]) && outcomes[0].request_id.is_some(), "{outcomes:?}");

    Run::of(offboard().args(["plan", "--detailed-exitcode"])).expect_code(0).expect_stdout("No changes");
    // moto answers a delete of a deleted membership with success (AWS: not found); the re-read
    // before acting means nothing is sent and the item is reported as already removed.
    Run::of(offboard().args(["apply", "plan.json"]))
        .expect_code(0)
        .expect_stdout("Apply complete: 0 removed, 1 already removed, 0 failed.");
}
