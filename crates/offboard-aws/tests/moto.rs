//! The adapter against moto (an emulator nobody here wrote) for Identity Center and the
//! Identity Store: read_state → plan → apply → verify → apply again, through the real SDKs.
//! moto must be installed (`scripts/setup-moto.sh`); `MotoServer::start` panics otherwise.

mod common;

use aws_credential_types::Credentials;
use aws_sdk_identitystore::types::{Email, Name};
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use common::*;
use offboard_aws::Clients;
use offboard_core::grant::Grant;
use offboard_core::grant::SsoAssignment;
use offboard_core::outcome::OutcomeResult;
use offboard_core::principal::{PrincipalKind, PrincipalRef};
use offboard_core::state::Resolution;
use offboard_tests::moto::MotoServer;
use std::collections::BTreeSet;

fn sdk_config(moto: &MotoServer) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(&moto.url)
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
            "test", "test", None, None, "moto",
        )))
        .build()
}

struct Org {
    instance_arn: String,
    alice: String,
    bob: String,
    interns: String,
    ps_admin: String,
    ps_read: String,
}

async fn seed(config: &aws_config::SdkConfig) -> Org {
    let sso = aws_sdk_ssoadmin::Client::new(config);
    let ids = aws_sdk_identitystore::Client::new(config);
    let instances = sso.list_instances().send().await.unwrap();
    let instance_arn = instances.instances()[0].instance_arn().unwrap().to_owned();
    let store = instances.instances()[0].identity_store_id().unwrap().to_owned();

    let user = |name: &'static str, email: &'static str| {
        ids.create_user()
            .identity_store_id(&store)
            .user_name(name)
            .display_name(name)
            .name(Name::builder().given_name(name).family_name("Example").build())
            .emails(Email::builder().value(email).primary(true).build())
            .send()
    };
    let alice = user("alice.wong", "alice@northwind.example").await.unwrap().user_id().to_owned();
    let bob = user("bob.martin", "bob@northwind.example").await.unwrap().user_id().to_owned();
    let interns = ids
        .create_group()
        .identity_store_id(&store)
        .display_name("Summer Interns")
        .send()
        .await
        .unwrap()
        .group_id()
        .to_owned();

    let ps = |name: &'static str| {
        sso.create_permission_set().instance_arn(&instance_arn).name(name).session_duration("PT1H").send()
    };
    let ps_admin =
        ps("AdministratorAccess").await.unwrap().permission_set().unwrap().permission_set_arn().unwrap().to_owned();
    let ps_read =
        ps("ReadOnlyAccess").await.unwrap().permission_set().unwrap().permission_set_arn().unwrap().to_owned();

    for (account, ps, ptype, pid) in [
        ("222222222222", &ps_admin, PrincipalType::User, &alice),
        ("333333333333", &ps_read, PrincipalType::User, &alice),
        ("222222222222", &ps_read, PrincipalType::Group, &interns),
        ("222222222222", &ps_admin, PrincipalType::User, &bob),
        ("333333333333", &ps_admin, PrincipalType::User, &bob),
    ] {
        sso.create_account_assignment()
            .instance_arn(&instance_arn)
            .target_id(account)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(ps)
            .principal_type(ptype)
            .principal_id(pid)
            .send()
            .await
            .unwrap();
    }
    Org { instance_arn, alice, bob, interns, ps_admin, ps_read }
}

fn sso_grant(account: &str, ps: &str, kind: PrincipalKind, id: &str) -> Grant {
    Grant::SsoAssignment(SsoAssignment {
        account_id: account.into(),
        permission_set_arn: ps.into(),
        principal_type: kind,
        principal_id: id.into(),
    })
}

#[tokio::test]
async fn read_plan_apply_verify_reapply_against_moto() {
    let moto = MotoServer::start();
    let config = sdk_config(&moto);
    let org = seed(&config).await;
    let clients = Clients::from_sdk_config(&config);
    let limits = fast_limits();

    // No identity_store_id: discovered with ListInstances. Alice by userName, Bob by id (keeps
    // account 222222222222), the interns by displayName, and a user who does not exist.
    let cfg = format!("version: 1\nsso:\n  instance_arn: {}\n", org.instance_arn);
    let leavers = format!(
        "version: 1\nusers:\n  - user: alice.wong\n    reason: HR-1 left\n  - user_id: {}\n    reason: HR-2 moved\n    keep:\n      sso_accounts: [\"222222222222\"]\n  - user: nobody@northwind.example\n    reason: HR-3 already deleted upstream\ngroups:\n  - group: Summer Interns\n    reason: OPS-77 ended\n",
        org.bob
    );
    let policy = policy(&cfg, &[("leavers.yaml", &leavers)]);

    let state = offboard_aws::read_state(&clients, &policy, &limits).await.expect("read_state against moto");
    let get = |p: &PrincipalRef| state.get(p).unwrap_or_else(|| panic!("{p} missing from the state"));
    let alice = get(&PrincipalRef::user_name("alice.wong"));
    assert_eq!(
        alice.resolution,
        Resolution::Found {
            id: org.alice.clone(),
            name: Some("alice.wong".into()),
            email: Some("alice@northwind.example".into()),
        }
    );
    assert_eq!(
        alice.grants,
        BTreeSet::from([
            sso_grant("222222222222", &org.ps_admin, PrincipalKind::User, &org.alice),
            sso_grant("333333333333", &org.ps_read, PrincipalKind::User, &org.alice),
        ])
    );
    let bob = get(&PrincipalRef::user_id(org.bob.clone()));
    assert_eq!(
        bob.resolution,
        Resolution::Found {
            id: org.bob.clone(),
            name: Some("bob.martin".into()),
            email: Some("bob@northwind.example".into()),
        }
    );
    assert_eq!(bob.grants.len(), 2);
    assert_eq!(get(&PrincipalRef::user_name("nobody@northwind.example")).resolution, Resolution::NotFound);
    let interns = get(&PrincipalRef::group_name("Summer Interns"));
    assert_eq!(
        interns.grants,
        BTreeSet::from([sso_grant("222222222222", &org.ps_read, PrincipalKind::Group, &org.interns)])
    );
    assert_eq!(state.labels.get(&org.ps_admin).map(String::as_str), Some("AdministratorAccess"));

    let stats = clients.call_stats();
    assert_eq!(stats.get("sso:ListInstances"), 1, "{stats}");
    // Looking up alice by userName, nobody by userName then by email and bob by id, and
    // describing the found ones, would cost 5 calls: one page of ListUsers answers all of it
    // (read_strategy.rs). Three principals cost three ListAccountAssignmentsForPrincipal, fewer
    // than listing the permission sets' accounts (one ListPermissionSets shows that).
    assert_eq!(stats.get("identitystore:ListUsers"), 1, "{stats}");
    assert_eq!(stats.get("identitystore:GetUserId") + stats.get("identitystore:DescribeUser"), 0, "{stats}");
    assert_eq!(stats.get("sso:ListAccountAssignmentsForPrincipal"), 3, "{stats}");
    assert_eq!(stats.get("sso:ListPermissionSets"), 1, "{stats}");

    let plan = make_plan(&policy, &state);
    let planned: BTreeSet<Grant> = plan.actions.iter().flat_map(|a| a.items.iter().map(|i| i.grant.clone())).collect();
    let expected_removed = BTreeSet::from([
        sso_grant("222222222222", &org.ps_admin, PrincipalKind::User, &org.alice),
        sso_grant("333333333333", &org.ps_read, PrincipalKind::User, &org.alice),
        sso_grant("333333333333", &org.ps_admin, PrincipalKind::User, &org.bob),
        sso_grant("222222222222", &org.ps_read, PrincipalKind::Group, &org.interns),
    ]);
    assert_eq!(planned, expected_removed);

    let report = apply_collect(&clients, &plan, &limits).await;
    assert!(report.is_complete(), "{:#?}", report.outcomes);
    assert_eq!(report.counts().removed, 4);
    assert!(report.outcomes.iter().all(|o| o.request_id.is_some() && o.attempts == 1), "{:#?}", report.outcomes);
    assert_eq!(report.calls.get("sso:DeleteAccountAssignment"), 4, "{}", report.calls);
    // moto finishes deletions synchronously: nothing to poll.
    assert_eq!(report.calls.get("sso:DescribeAccountAssignmentDeletionStatus"), 0, "{}", report.calls);

    assert_eq!(offboard_aws::verify(&clients, &plan, &limits).await.unwrap(), Vec::<Grant>::new());
    // Nothing outside the plan was touched: Bob's kept assignment is still there.
    let sso = aws_sdk_ssoadmin::Client::new(&config);
    let left = sso
        .list_account_assignments()
        .instance_arn(&org.instance_arn)
        .account_id("222222222222")
        .permission_set_arn(&org.ps_admin)
        .send()
        .await
        .unwrap();
    let left: Vec<&str> = left.account_assignments().iter().filter_map(|a| a.principal_id()).collect();
    assert_eq!(left, vec![org.bob.as_str()]);

    // Re-applying the same plan converges: everything already removed, no deletion sent.
    let again = apply_collect(&clients, &plan, &limits).await;
    assert_eq!(results(&again), vec![&OutcomeResult::AlreadyRemoved; 4]);
    assert_eq!(again.calls.get("sso:DeleteAccountAssignment"), 0, "{}", again.calls);
    assert!(again.outcomes.iter().all(|o| o.attempts == 0 && o.request_id.is_none()));

    // And a fresh read plans nothing more.
    let state = offboard_aws::read_state(&clients, &policy, &limits).await.unwrap();
    assert!(make_plan(&policy, &state).actions.is_empty());
}
