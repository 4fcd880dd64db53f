//! Which model patterns the validator cannot check. The list is pinned so it cannot grow
//! silently when the models are updated: a new entry means a new constraint goes unchecked.

use offboard_models::Service;

#[test]
fn only_these_patterns_do_not_compile() {
    let mut found: Vec<(String, String)> = Service::ALL
        .into_iter()
        .flat_map(|service| {
            service
                .model()
                .uncompilable_patterns()
                .into_iter()
                .map(move |(shape, _, _)| (service.botocore_name().to_owned(), shape.to_owned()))
        })
        .collect();
    found.sort();
    let expected: Vec<(String, String)> = [
        // All seven use look-around, which the `regex` crate does not support.
        ("appstream", "S3Bucket"),
        ("appstream", "TagKey"),
        ("kendra", "DataSourceDateFieldFormat"),
        ("kendra", "Domain"),
        ("kendra", "OneDriveUser"),
        ("kendra", "ServiceNowHostUrl"),
        ("sso-admin", "Duration"),
    ]
    .into_iter()
    .map(|(s, n)| (s.to_owned(), n.to_owned()))
    .collect();
    assert_eq!(found, expected);
}

#[test]
fn uncompilable_patterns_fail_for_look_around_only() {
    for service in Service::ALL {
        for (shape, pattern, error) in service.model().uncompilable_patterns() {
            assert!(error.contains("look-around"), "{shape} ({pattern}) fails for another reason: {error}");
        }
    }
}

#[test]
fn every_other_pattern_compiles_and_is_cached() {
    let mut checked = 0;
    for service in Service::ALL {
        let model = service.model();
        let broken: Vec<&str> = model.uncompilable_patterns().into_iter().map(|(shape, _, _)| shape).collect();
        for shape in model.shapes().filter(|s| s.pattern.is_some()) {
            let compiled = shape.pattern_regex();
            assert_eq!(compiled.is_none(), broken.contains(&shape.name.as_str()));
            if let Some(first) = compiled {
                let again = shape.pattern_regex().unwrap();
                assert!(std::ptr::eq(first, again), "{} recompiled", shape.name);
                checked += 1;
            }
        }
    }
    // 43 + 16 + 29 + 78 patterns in the four models, minus the seven above.
    assert_eq!(checked, 43 + 16 + 29 + 78 - 7);
}

#[test]
fn accepts_str_checks_length_pattern_and_enum_like_validate_input() {
    let shape = |service: Service, name: &str| service.model().shape(name).unwrap();
    let account = shape(Service::SsoAdmin, "AccountId");
    assert!(account.accepts_str("111111111111"));
    assert!(!account.accepts_str("11111111111"), "too short");
    assert!(!account.accepts_str("\u{661}11111111111"), "Java's \\d is ASCII-only");
    let name = shape(Service::SsoAdmin, "PermissionSetName");
    assert!(name.accepts_str(&"a".repeat(32)));
    assert!(!name.accepts_str(&"a".repeat(33)), "max 32");
    assert!(!name.accepts_str(""), "min 1");
    let persona = shape(Service::Kendra, "Persona");
    assert!(persona.accepts_str("OWNER"));
    assert!(!persona.accepts_str("owner"), "enum values are exact");
    // Length counts Unicode scalar values, not bytes: 128 two-byte characters fit UserName.
    assert!(shape(Service::IdentityStore, "UserName").accepts_str(&"é".repeat(128)));
    // An uncompilable pattern is not checked, as in validate_input.
    let duration = shape(Service::SsoAdmin, "Duration");
    assert!(duration.pattern_regex().is_none());
    assert!(duration.accepts_str("not a duration"));
}
