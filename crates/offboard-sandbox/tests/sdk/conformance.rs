//! Every emulated operation, run once through the real SDKs (AppStream over both protocols); every
//! answer the sandbox sent is checked against the official model (the server records findings in
//! the request log in debug builds) and must conform.

use aws_sdk_appstream::types::{AuthenticationType, UserStackAssociation};
use aws_sdk_identitystore::types::{AlternateIdentifier, MemberId, UniqueAttribute};
use aws_sdk_kendra::types::{EntityConfiguration, EntityType, GroupMembers, MemberGroup, MemberUser};
use aws_sdk_ssoadmin::types::PrincipalType;
use aws_smithy_json::protocol::aws_json_rpc::AwsJsonRpcProtocol;
use aws_smithy_types::Document;
use offboard_sandbox::{AwsService, Faults, emulated_operations};

use crate::common::*;

#[tokio::test]
async fn every_operation_answers_per_the_model() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let alice = user_id(&sandbox, ALICE);
    let interns = group_id(&sandbox, "Summer Interns");
    let power = permission_set_arn(&sandbox, "PowerUserAccess");

    // Identity Store.
    let unique = |path: &str, value: &str| {
        AlternateIdentifier::UniqueAttribute(
            UniqueAttribute::builder()
                .attribute_path(path)
                .attribute_value(Document::String(value.into()))
                .build()
                .unwrap(),
        )
    };
    c.ids
        .get_user_id()
        .identity_store_id(STORE_ID)
        .alternate_identifier(unique("userName", ALICE))
        .send()
        .await
        .unwrap();
    c.ids
        .get_group_id()
        .identity_store_id(STORE_ID)
        .alternate_identifier(unique("displayName", "Finance"))
        .send()
        .await
        .unwrap();
    c.ids
        .list_group_memberships_for_member()
        .identity_store_id(STORE_ID)
        .member_id(MemberId::UserId(alice.clone()))
        .send()
        .await
        .unwrap();
    c.ids.describe_user().identity_store_id(STORE_ID).user_id(&alice).send().await.unwrap();
    let platform = group_id(&sandbox, "Platform Engineering");
    c.ids.list_group_memberships().identity_store_id(STORE_ID).group_id(&platform).send().await.unwrap();
    c.ids.describe_group().identity_store_id(STORE_ID).group_id(&platform).send().await.unwrap();
    c.ids.list_users().identity_store_id(STORE_ID).max_results(7).send().await.unwrap();
    c.ids.list_groups().identity_store_id(STORE_ID).send().await.unwrap();
    let _ = c.ids.list_users().identity_store_id("d-0000000000").send().await;
    let membership = c
        .ids
        .get_group_membership_id()
        .identity_store_id(STORE_ID)
        .group_id(&platform)
        .member_id(MemberId::UserId(alice.clone()))
        .send()
        .await
        .unwrap();
    c.ids
        .delete_group_membership()
        .identity_store_id(STORE_ID)
        .membership_id(membership.membership_id())
        .send()
        .await
        .unwrap();
    let _ = c
        .ids
        .delete_group_membership()
        .identity_store_id(STORE_ID)
        .membership_id(membership.membership_id())
        .send()
        .await;
    let _ = c
        .ids
        .get_group_membership_id()
        .identity_store_id(STORE_ID)
        .group_id(&platform)
        .member_id(MemberId::UserId(alice.clone()))
        .send()
        .await;
    let _ = c
        .ids
        .describe_user()
        .identity_store_id(STORE_ID)
        .user_id("906700a1b2-00000000-0000-4000-8000-000000000000")
        .send()
        .await;

    // SSO Admin.
    c.sso.list_instances().send().await.unwrap();
    c.sso.list_permission_sets().instance_arn(INSTANCE_ARN).send().await.unwrap();
    c.sso.describe_permission_set().instance_arn(INSTANCE_ARN).permission_set_arn(&power).send().await.unwrap();
    c.sso
        .list_account_assignments()
        .instance_arn(INSTANCE_ARN)
        .account_id("333333333333")
        .permission_set_arn(&power)
        .send()
        .await
        .unwrap();
    c.sso
        .list_account_assignments_for_principal()
        .instance_arn(INSTANCE_ARN)
        .principal_type(PrincipalType::User)
        .principal_id(&alice)
        .send()
        .await
        .unwrap();
    let deletion = delete(&c, "333333333333", &power, PrincipalType::User, &alice).await.unwrap();
    let request_id = deletion.account_assignment_deletion_status().unwrap().request_id().unwrap().to_owned();
    c.sso
        .describe_account_assignment_deletion_status()
        .instance_arn(INSTANCE_ARN)
        .account_assignment_deletion_request_id(&request_id)
        .send()
        .await
        .unwrap();
    c.sso.list_account_assignment_deletion_status().instance_arn(INSTANCE_ARN).send().await.unwrap();
    c.sso
        .list_accounts_for_provisioned_permission_set()
        .instance_arn(INSTANCE_ARN)
        .permission_set_arn(&power)
        .send()
        .await
        .unwrap();
    create(&c, "333333333333", &power, PrincipalType::User, &alice).await.unwrap();
    let _ = c
        .sso
        .describe_permission_set()
        .instance_arn(INSTANCE_ARN)
        .permission_set_arn(power.replace("ps-", "ps-0"))
        .send()
        .await;

    // AppStream, over CBOR (default) and awsJson1_1.
    let json_config = sdk_config(&sandbox.url(), aws_config::retry::RetryConfig::disabled()).await;
    let json_appstream = aws_sdk_appstream::Client::from_conf(
        aws_sdk_appstream::config::Builder::from(&json_config).protocol(AwsJsonRpcProtocol::aws_json_1_1()).build(),
    );
    let assoc = |stack: &str, user: &str| {
        UserStackAssociation::builder()
            .stack_name(stack)
            .user_name(user)
            .authentication_type(AuthenticationType::Userpool)
            .build()
    };
    for client in [&c.appstream, &json_appstream] {
        client.describe_stacks().send().await.unwrap();
        client.describe_user_stack_associations().stack_name("support-desktop").send().await.unwrap();
        client
            .batch_disassociate_user_stack()
            .user_stack_associations(assoc("no-such-stack", ALICE))
            .send()
            .await
            .unwrap();
        client
            .batch_associate_user_stack()
            .user_stack_associations(assoc("support-desktop", ALICE))
            .send()
            .await
            .unwrap();
        let _ = client.describe_stacks().names("no-such-stack").send().await;
        let _ = client.describe_user_stack_associations().send().await;
    }

    // Kendra.
    c.kendra.describe_index().id(INDEX_ID).send().await.unwrap();
    c.kendra.list_data_sources().index_id(INDEX_ID).send().await.unwrap();
    c.kendra.list_experiences().index_id(INDEX_ID).send().await.unwrap();
    c.kendra.list_entity_personas().index_id(INDEX_ID).id("support-portal").send().await.unwrap();
    c.kendra.list_experience_entities().index_id(INDEX_ID).id("support-portal").send().await.unwrap();
    c.kendra
        .disassociate_personas_from_entities()
        .index_id(INDEX_ID)
        .id("support-portal")
        .entity_ids(&interns)
        .entity_ids("906700a1b2-00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .unwrap();
    let entity =
        |id: &str, kind: EntityType| EntityConfiguration::builder().entity_id(id).entity_type(kind).build().unwrap();
    c.kendra
        .disassociate_entities_from_experience()
        .index_id(INDEX_ID)
        .id("support-portal")
        .entity_list(entity(&interns, EntityType::Group))
        .entity_list(entity(&alice, EntityType::Group))
        .send()
        .await
        .unwrap();
    c.kendra
        .disassociate_entities_from_experience()
        .index_id(INDEX_ID)
        .id("support-portal")
        .entity_list(entity(&alice, EntityType::User))
        .send()
        .await
        .unwrap();
    c.kendra
        .describe_principal_mapping()
        .index_id(INDEX_ID)
        .data_source_id("confluence-wiki")
        .group_id("summer-interns")
        .send()
        .await
        .unwrap();
    c.kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .data_source_id("confluence-wiki")
        .group_id("summer-interns")
        .send()
        .await
        .unwrap();
    c.kendra
        .put_principal_mapping()
        .index_id(INDEX_ID)
        .group_id("new-group")
        .group_members(
            GroupMembers::builder()
                .member_users(MemberUser::builder().user_id("someone").build().unwrap())
                .member_groups(MemberGroup::builder().group_id("all-staff").build().unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    c.kendra
        .list_groups_older_than_ordering_id()
        .index_id(INDEX_ID)
        .ordering_id(32_535_158_400_000)
        .send()
        .await
        .unwrap();
    c.kendra.describe_data_source().index_id(INDEX_ID).id("confluence-wiki").send().await.unwrap();
    let _ = c.kendra.describe_index().id("00000000-0000-4000-8000-000000000000").send().await;
    let _ = c.kendra.describe_data_source().index_id(INDEX_ID).id("no-such-source").send().await;
    let _ = c.kendra.describe_principal_mapping().index_id(INDEX_ID).group_id("never-mapped").send().await;

    let log = sandbox.request_log();
    for service in AwsService::ALL {
        for op in emulated_operations(service) {
            assert!(
                log.iter().any(|r| r.service == service.botocore_name() && r.operation == *op && r.status == 200),
                "{service}.{op} never answered 200"
            );
        }
    }
    let errors = log.iter().filter(|r| r.error.is_some()).count();
    assert!(errors >= 9, "error answers were checked too ({errors})");
    assert_conformant(&sandbox);
}
