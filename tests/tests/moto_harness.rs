//! The moto harness itself: moto starts, answers the Rust SDKs, and is found or reported missing.

use aws_sdk_identitystore::types::{AlternateIdentifier, Name, UniqueAttribute};
use aws_sdk_ssoadmin::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};
use offboard_tests::moto::MotoServer;

/// The one SDK configuration both clients are made from: moto's endpoint, a fixed region and
/// dummy credentials.
fn config(moto: &MotoServer) -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "test",
            "test",
            None,
            None,
            "moto-harness",
        )))
        .endpoint_url(&moto.url)
        .build()
}

fn sso_admin(moto: &MotoServer) -> aws_sdk_ssoadmin::Client {
    aws_sdk_ssoadmin::Client::new(&config(moto))
}

fn identity_store(moto: &MotoServer) -> aws_sdk_identitystore::Client {
    aws_sdk_identitystore::Client::new(&config(moto))
}

#[tokio::test]
async fn list_instances_returns_moto_default_instance() {
    let moto = MotoServer::start();
    let output = sso_admin(&moto).list_instances().send().await.expect("moto answers ListInstances");
    let instances = output.instances();
    assert_eq!(instances.len(), 1, "moto creates exactly one instance per region");
    let instance = &instances[0];
    let arn = instance.instance_arn().unwrap_or_default();
    assert!(arn.starts_with("arn:aws:sso:::instance/ssoins-"), "unexpected instance ARN {arn:?}");
    let store = instance.identity_store_id().unwrap_or_default();
    assert!(store.starts_with("d-") && store.len() == 12, "unexpected identity store id {store:?}");
    assert_eq!(instance.owner_account_id(), Some("123456789012"));
}

#[tokio::test]
async fn seed_makes_the_instance_deterministic_and_reset_replaces_it() {
    let first = MotoServer::start();
    first.seed(7);
    let second = MotoServer::start();
    second.seed(7);
    let arn_of = |output: aws_sdk_ssoadmin::operation::list_instances::ListInstancesOutput| {
        output.instances()[0].instance_arn().unwrap_or_default().to_owned()
    };
    let a = arn_of(sso_admin(&first).list_instances().send().await.unwrap());
    let b = arn_of(sso_admin(&second).list_instances().send().await.unwrap());
    assert_eq!(a, b, "the same seed gives the same instance");

    second.reset();
    let c = arn_of(sso_admin(&second).list_instances().send().await.unwrap());
    assert_ne!(b, c, "reset drops the instance; the next call creates another");
}

/// moto's GetUserId omits `UserArn`, which the model marks required; this pins that the Rust SDK
/// still accepts the answer (it fills the missing member with an empty string), so tests against
/// moto can use GetUserId.
#[tokio::test]
async fn identity_store_user_round_trip() {
    let moto = MotoServer::start();
    let instances = sso_admin(&moto).list_instances().send().await.unwrap();
    let store = instances.instances()[0].identity_store_id().unwrap().to_owned();
    let ids = identity_store(&moto);
    let created = ids
        .create_user()
        .identity_store_id(&store)
        .user_name("alice")
        .display_name("Alice Example")
        .name(Name::builder().given_name("Alice").family_name("Example").build())
        .send()
        .await
        .expect("moto creates the user");
    let found = ids
        .get_user_id()
        .identity_store_id(&store)
        .alternate_identifier(AlternateIdentifier::UniqueAttribute(
            UniqueAttribute::builder()
                .attribute_path("userName")
                .attribute_value(aws_smithy_types::Document::String("alice".into()))
                .build()
                .unwrap(),
        ))
        .send()
        .await
        .expect("moto finds the user by userName");
    assert_eq!(found.user_id(), created.user_id());
    assert_eq!(found.identity_store_id(), store);
    assert_eq!(found.user_arn(), "", "moto 5.2.5 sends no UserArn");
}

/// moto answers `SessionDuration` as the number 3600 when the request leaves it out, which the
/// SDK cannot read; with an explicit duration the call works. Its permission set ARNs are also
/// shaped `…:instance/ssoins-…/ps-…`, unlike AWS's `…:permissionSet/ssoins-…/ps-…`.
#[tokio::test]
async fn create_permission_set_needs_an_explicit_session_duration() {
    let moto = MotoServer::start();
    let sso = sso_admin(&moto);
    let instances = sso.list_instances().send().await.unwrap();
    let instance_arn = instances.instances()[0].instance_arn().unwrap().to_owned();

    let without = sso.create_permission_set().instance_arn(&instance_arn).name("ReadOnly").send().await;
    assert!(without.is_err(), "moto's numeric SessionDuration became readable: {without:?}");

    let with = sso
        .create_permission_set()
        .instance_arn(&instance_arn)
        .name("Admin")
        .session_duration("PT1H")
        .send()
        .await
        .expect("moto creates the permission set");
    let arn = with.permission_set().and_then(|p| p.permission_set_arn()).unwrap_or_default();
    assert!(arn.starts_with(&format!("{instance_arn}/ps-")), "unexpected permission set ARN {arn:?}");
}

#[test]
#[should_panic(expected = "bash scripts/setup-moto.sh")]
fn missing_binary_panics_with_the_setup_hint() {
    MotoServer::start_with(std::path::Path::new("/nonexistent/moto_server"));
}
