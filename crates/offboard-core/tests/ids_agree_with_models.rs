//! The identifier rules in `offboard_core::ids` are copies of constraints in the official AWS
//! models. This test reads the same shapes from the embedded models (`offboard-models`) and fails
//! when a rule and its model drift apart: a model update that changes a pattern or a length
//! breaks the build here, not an apply halfway through.

use offboard_core::ids::{self, IdKind, ORDERING_ID_MAX, ORDERING_ID_MIN, Rule};
use offboard_models::{Service, Shape};

fn model_shape(rule: &Rule) -> &'static Shape {
    let service = Service::ALL
        .into_iter()
        .find(|s| s.botocore_name() == rule.model_service)
        .unwrap_or_else(|| panic!("{:?}: no embedded model named {}", rule.kind, rule.model_service));
    service
        .model()
        .shape(rule.model_shape)
        .unwrap_or_else(|| panic!("{:?}: {} has no shape {}", rule.kind, rule.model_service, rule.model_shape))
}

#[test]
fn every_rule_copies_its_model_shape() {
    for rule in ids::rules() {
        let shape = model_shape(rule);
        assert_eq!(shape.shape_type.as_str(), "string", "{:?}", rule.kind);
        assert_eq!(rule.min_len, shape.min_length(), "{:?}: min length differs from {}", rule.kind, shape.name);
        assert_eq!(rule.max_len, shape.max_length(), "{:?}: max length differs from {}", rule.kind, shape.name);
        assert_eq!(rule.pattern, shape.pattern.as_deref(), "{:?}: pattern differs from {}", rule.kind, shape.name);
    }
}

#[test]
fn every_kind_has_a_rule_and_samples() {
    assert_eq!(ids::rules().len(), IdKind::ALL.len());
    for kind in IdKind::ALL {
        assert!(!samples(kind).0.is_empty() && !samples(kind).1.is_empty(), "{kind:?} has no samples");
    }
}

/// (valid, invalid) values for each kind. Invalid ones break the length or the pattern.
fn samples(kind: IdKind) -> (Vec<String>, Vec<String>) {
    let s = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    match kind {
        IdKind::InstanceArn => (
            s(&[
                "arn:aws:sso:::instance/ssoins-1234567890abcdef",
                "arn:aws-us-gov:sso:::instance/ins-abcdefghijklmnop",
            ]),
            s(&[
                "arn:aws:sso:::instance/foo",
                "arn:aws:sso:::instance/ssoins-1234567890abcdefX",
                "ssoins-1234567890abcdef",
                "x",
            ]),
        ),
        IdKind::IdentityStoreId => (
            s(&[
                "d-1234567890",
                "d-906700a1b2",
                "0123abcd-0123-4567-89ab-0123456789ab",
                "arn:aws:identitystore::123456789012:identitystore/d-1234567890",
            ]),
            s(&["d-12345", "D-1234567890", "d-123456789g", "", "store"]),
        ),
        IdKind::AccountId => {
            (s(&["012345678901", "111111111111"]), s(&["12345678901", "1234567890123", "12345678901a", ""]))
        }
        IdKind::PermissionSetArn => (
            s(&["arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"]),
            s(&[
                "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1",
                "arn:aws:sso:::instance/ssoins-1234567890abcdef",
            ]),
        ),
        IdKind::PrincipalId => (
            s(&["9067c7d3b0-1f2e3d4c-5b6a-4789-8abc-def012345678", "1f2e3d4c-5b6a-4789-8ABC-def012345678"]),
            s(&["alice", "9067c7d3b-1f2e3d4c-5b6a-4789-8abc-def012345678", "1f2e3d4c5b6a47898abcdef012345678", ""]),
        ),
        IdKind::UserName | IdKind::AppstreamUserName => (
            s(&["alice@example.com", "Ünïcødé_user", "a"]),
            vec!["alice wong".into(), "tab\there".into(), String::new(), "a".repeat(129)],
        ),
        IdKind::GroupDisplayName => (
            s(&["Summer Interns", "AWSControlTowerAdmins", "Équipe\u{3000}Paris"]),
            vec![String::new(), "bell\u{7}".into(), "x".repeat(1025)],
        ),
        IdKind::AppstreamStackName => (
            s(&["engineering-desktop", "A.b_c-1"]),
            vec!["-leading".into(), "has space".into(), String::new(), "s".repeat(102)],
        ),
        IdKind::KendraIndexId => (
            s(&["4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c", "0123456789abcdef0123456789abcdef0123"]),
            s(&[
                "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6",
                "-e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c",
                "4e2f1c8a_9b3d_4a5e_8f6c_1d2e3f4a5b6c",
            ]),
        ),
        IdKind::KendraExperienceId => {
            (s(&["support-portal", "exp_1"]), vec!["_x".into(), "a b".into(), String::new(), "e".repeat(37)])
        }
        IdKind::KendraDataSourceId => {
            (s(&["confluence-wiki", "ds_1"]), vec!["-ds".into(), "ds.1".into(), String::new(), "d".repeat(101)])
        }
        IdKind::KendraGroupId => (
            s(&["summer-interns", "Any text at all: ü €"]),
            vec!["bad\tgroup".into(), "nul\u{0}".into(), String::new(), "g".repeat(1025)],
        ),
    }
}

/// What the model says about a value: length bounds, then its pattern (whole value).
fn model_accepts(shape: &Shape, value: &str) -> bool {
    let len = value.chars().count() as u64;
    shape.min_length().is_none_or(|m| len >= m)
        && shape.max_length().is_none_or(|m| len <= m)
        && shape.pattern_matches(value).unwrap_or(true)
}

#[test]
fn validator_agrees_with_the_model_on_samples() {
    for rule in ids::rules() {
        let shape = model_shape(rule);
        assert!(
            shape.pattern.is_none() || shape.pattern_regex().is_some(),
            "{:?}: model pattern does not compile",
            rule.kind
        );
        let (valid, invalid) = samples(rule.kind);
        for v in &valid {
            assert!(model_accepts(shape, v), "{:?}: sample {v:?} should be valid per the model", rule.kind);
            assert_eq!(ids::check(rule.kind, v), Ok(()), "{:?}: {v:?}", rule.kind);
        }
        for v in &invalid {
            assert!(!model_accepts(shape, v), "{:?}: sample {v:?} should be invalid per the model", rule.kind);
            assert!(ids::check(rule.kind, v).is_err(), "{:?}: {v:?} accepted", rule.kind);
        }
        let example = rule.example.trim_matches('"');
        assert!(model_accepts(shape, example), "{:?}: example {example:?} is invalid per the model", rule.kind);
    }
}

#[test]
fn ordering_id_range_is_the_models() {
    let shape = Service::Kendra.model().shape("PrincipalOrderingId").unwrap();
    assert_eq!(shape.shape_type.as_str(), "long");
    assert_eq!(shape.min, Some(ORDERING_ID_MIN as f64));
    assert_eq!(shape.max, Some(ORDERING_ID_MAX as f64));
    assert!(ids::check_ordering_id(ORDERING_ID_MAX).is_ok());
    assert!(ids::check_ordering_id(ORDERING_ID_MAX + 1).is_err());
    assert!(ids::check_ordering_id(ORDERING_ID_MIN - 1).is_err());
}

#[test]
fn principal_ids_are_also_valid_kendra_entity_ids() {
    // A leaver's user_id/group_id is sent both as an SSO PrincipalId and a Kendra EntityId.
    let sso = Service::SsoAdmin.model().shape("PrincipalId").unwrap();
    let kendra = Service::Kendra.model().shape("EntityId").unwrap();
    assert_eq!((sso.min_length(), sso.max_length()), (kendra.min_length(), kendra.max_length()));
    let (valid, invalid) = samples(IdKind::PrincipalId);
    for v in valid.iter().chain(&invalid) {
        assert_eq!(model_accepts(sso, v), model_accepts(kendra, v), "{v:?}");
    }
}
