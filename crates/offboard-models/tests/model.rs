//! The embedded models: they parse, and expose what the sandbox and core tests read.

use offboard_models::{Service, ShapeType};

#[test]
fn every_embedded_model_parses_and_matches_its_target_prefix() {
    for service in Service::ALL {
        let model = service.model();
        assert_eq!(model.target_prefix(), service.target_prefix());
        assert_eq!(Service::from_target_prefix(service.target_prefix()), Some(service));
        assert!(model.operation_names().count() > 20, "{service:?}");
    }
    assert_eq!(Service::from_target_prefix("AWSSecurityTokenServiceV20110615"), None);
}

#[test]
fn operations_we_use_are_present_with_their_shapes() {
    let sso = Service::SsoAdmin.model();
    assert!(sso.has_operation("DeleteAccountAssignment"));
    assert!(!sso.has_operation("DeleteAccountAssignments"));
    assert_eq!(sso.input_shape("DeleteAccountAssignment"), Some("DeleteAccountAssignmentRequest"));
    assert_eq!(sso.output_shape("DeleteAccountAssignment"), Some("DeleteAccountAssignmentResponse"));
    let mut errors = sso.error_shapes("DeleteAccountAssignment");
    errors.sort_unstable();
    assert_eq!(
        errors,
        [
            "AccessDeniedException",
            "ConflictException",
            "InternalServerException",
            "ResourceNotFoundException",
            "ThrottlingException",
            "ValidationException"
        ]
    );
    assert_eq!(Service::Kendra.model().output_shape("DeletePrincipalMapping"), None);
    assert!(sso.error_shapes("NoSuchOperation").is_empty());
}

#[test]
fn constraints_of_named_shapes() {
    let bounds = |service: Service, name: &str| {
        let shape = service.model().shape(name).unwrap();
        (shape.min, shape.max, shape.pattern.clone())
    };
    let sso = Service::SsoAdmin;
    assert_eq!(bounds(sso, "TargetId"), (Some(12.0), Some(12.0), Some(r"\d{12}".to_owned())));
    assert_eq!(
        bounds(sso, "InstanceArn"),
        (
            Some(10.0),
            Some(1224.0),
            Some("arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}".to_owned())
        )
    );
    let kendra_ordering = Service::Kendra.model().shape("PrincipalOrderingId").unwrap();
    assert_eq!(kendra_ordering.shape_type, ShapeType::Long);
    assert_eq!(kendra_ordering.min, Some(0.0));
    assert_eq!(kendra_ordering.max, Some(32_535_158_400_000.0));
    assert_eq!(kendra_ordering.min_length(), None, "a number has no length");
    let username = Service::AppStream.model().shape("Username").unwrap();
    assert_eq!((username.min_length(), username.max_length()), (Some(1), Some(128)));
    assert!(username.sensitive);
    let kendra_group = Service::Kendra.model().shape("GroupId").unwrap();
    assert_eq!(kendra_group.pattern.as_deref(), Some(r"^\P{C}*$"));
}

#[test]
fn shapes_expose_members_lists_unions_and_enums() {
    let ids = Service::IdentityStore.model();
    let alt = ids.shape("AlternateIdentifier").unwrap();
    assert_eq!(alt.shape_type, ShapeType::Union);
    let names: Vec<&str> = alt.members.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["ExternalId", "UniqueAttribute"]);
    assert_eq!(ids.shape("AttributeValue").unwrap().shape_type, ShapeType::Document);
    let membership = ids.shape("GroupMembership").unwrap();
    assert!(membership.member("MembershipArn").unwrap().required);
    assert!(!membership.member("GroupId").unwrap().required);
    let created_at = membership.member("CreatedAt").unwrap();
    assert_eq!(ids.shape(&created_at.target).unwrap().shape_type, ShapeType::Timestamp);

    let apps = Service::AppStream.model();
    let list = apps.shape("UserStackAssociationList").unwrap();
    assert_eq!(list.shape_type, ShapeType::List);
    assert_eq!(list.list_member.as_deref(), Some("UserStackAssociation"));
    assert_eq!(apps.shape("AuthenticationType").unwrap().enum_values, ["API", "SAML", "USERPOOL", "AWS_AD"]);
    assert_eq!(apps.shape("ResourceNotFoundException").unwrap().http_status, Some(404));
    let tags = apps.shape("Tags").unwrap();
    assert_eq!(tags.shape_type, ShapeType::Map);
    assert_eq!(tags.map_key.as_deref(), Some("TagKey"));
    assert_eq!(tags.map_value.as_deref(), Some("TagValue"));
}

/// Across every operation of the four models, an empty request reports exactly the required
/// members of the input shape as null, and an empty response exactly the required output members.
#[test]
fn empty_bodies_report_exactly_the_required_members_of_every_operation() {
    let mut operations = 0;
    for service in Service::ALL {
        let model = service.model();
        for op in model.operation_names() {
            operations += 1;
            let input = model.shape(model.input_shape(op).unwrap()).unwrap();
            let expected: Vec<String> = input
                .members
                .iter()
                .filter(|m| m.required)
                .map(|m| {
                    let mut chars = m.name.chars();
                    let first = chars.next().unwrap().to_lowercase();
                    first.chain(chars).collect()
                })
                .collect();
            let found: Vec<String> = match model.validate_input(op, &serde_json::json!({})) {
                Ok(()) => Vec::new(),
                Err(v) => {
                    assert!(
                        v.0.iter()
                            .all(|x| x.message == "Member must not be null" && x.value.as_deref() == Some("null")),
                        "{op}: {v}"
                    );
                    v.0.into_iter().map(|x| x.path).collect()
                }
            };
            assert_eq!(found, expected, "{service:?} {op} input");

            let Some(output) = model.output_shape(op) else {
                continue;
            };
            let expected: Vec<&str> =
                model.shape(output).unwrap().members.iter().filter(|m| m.required).map(|m| m.name.as_str()).collect();
            let found: Vec<String> = match model.validate_output(op, &serde_json::json!({})) {
                Ok(()) => Vec::new(),
                Err(v) => v.0.into_iter().map(|x| x.path).collect(),
            };
            assert_eq!(found, expected, "{service:?} {op} output");
        }
    }
    assert_eq!(operations, 79 + 22 + 90 + 66);
}
