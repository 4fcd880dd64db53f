//! Kendra through aws-sdk-kendra.

use std::time::Duration;

use aws_sdk_kendra::types::{GroupMembers, MemberUser, Persona, PrincipalMappingStatus};
use offboard_sandbox::Faults;

use crate::common::*;

const SUPPORT: &str = "support-portal";
const ENGINEERING: &str = "engineering-search";
const WIKI: &str = "confluence-wiki";

#[tokio::test]
async fn describe_data_source_finds_a_configured_one_and_names_what_is_missing() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let ds = c.kendra.describe_data_source().index_id(INDEX_ID).id(WIKI).send().await.unwrap();
    assert_eq!(ds.id(), Some(WIKI));
    assert_eq!(ds.index_id(), Some(INDEX_ID));
    assert_eq!(ds.status().map(|s| s.as_str()), Some("ACTIVE"));
    let err = c.kendra.describe_data_source().index_id(INDEX_ID).id("no-such-source").send().await.unwrap_err();
    let err = err.into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert!(err.to_string().contains("no-such-source"), "{err}");
    let missing_index = "ffffffff-ffff-4fff-8fff-ffffffffffff";
    let err = c.kendra.describe_data_source().index_id(missing_index).id(WIKI).send().await.unwrap_err();
    assert!(err.into_service_error().is_resource_not_found_exception());
}

#[tokio::test]
async fn index_data_sources_and_experiences() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let index = c.kendra.describe_index().id(INDEX_ID).send().await.unwrap();
    assert_eq!(index.name(), Some("northwind-knowledge"));
    assert_eq!(index.id(), Some(INDEX_ID));
    let sources = c.kendra.list_data_sources().index_id(INDEX_ID).max_results(1).send().await.unwrap();
    assert_eq!(sources.summary_items().len(), 1);
    let token = sources.next_token().unwrap();
    let rest = c.kendra.list_data_sources().index_id(INDEX_ID).max_results(1).next_token(token).send().await.unwrap();
    let mut ids =
        vec![sources.summary_items()[0].id().unwrap().to_owned(), rest.summary_items()[0].id().unwrap().to_owned()];
    ids.sort();
    assert_eq!(ids, [WIKI, "sharepoint-hr"]);
    assert!(rest.next_token().is_none());
    let experiences = c.kendra.list_experiences().index_id(INDEX_ID).send().await.unwrap();
    let mut names: Vec<_> = experiences.summary_items().iter().map(|e| e.id().unwrap().to_owned()).collect();
    names.sort();
    assert_eq!(names, [ENGINEERING, SUPPORT]);

    let missing = "00000000-0000-4000-8000-000000000000";
    let err = c.kendra.describe_index().id(missing).send().await.unwrap_err().into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c.kendra.describe_index().id("short").send().await.unwrap_err().into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn personas_and_entities_page() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let pages: Vec<_> = c
        .kendra
        .list_entity_personas()
        .index_id(INDEX_ID)
        .id(ENGINEERING)
        .max_results(3)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(pages.len(), 3);
    let personas: Vec<_> = pages.iter().flat_map(|p| p.summary_items()).collect();
    assert_eq!(personas.len(), 7);
    let alice = user_id(&sandbox, ALICE);
    let alice_persona = personas.iter().find(|p| p.entity_id() == Some(alice.as_str())).unwrap();
    assert_eq!(alice_persona.persona(), Some(&Persona::Owner));

    // No MaxResults: fixed pages of 10.
    let entities: Vec<_> = c
        .kendra
        .list_experience_entities()
        .index_id(INDEX_ID)
        .id(SUPPORT)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let all: Vec<_> = entities.iter().flat_map(|p| p.summary_items()).collect();
    assert_eq!(all.len(), 6);
    let interns = all.iter().find(|e| e.entity_id() == Some(group_id(&sandbox, "Summer Interns").as_str())).unwrap();
    assert_eq!(interns.display_data().and_then(|d| d.group_name()), Some("Summer Interns"));

    let err = c
        .kendra
        .list_entity_personas()
        .index_id(INDEX_ID)
        .id("no-such-experience")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn disassociate_personas_with_failed_entities() {
    let sandbox = start(Faults::none().with_failing_entity("Platform Engineering")).await;
    let c = clients(&sandbox).await;
    let alice = user_id(&sandbox, ALICE);
    let platform = group_id(&sandbox, "Platform Engineering");
    let unknown = "906700a1b2-00000000-0000-4000-8000-000000000000".to_owned();
    let out = c
        .kendra
        .disassociate_personas_from_entities()
        .index_id(INDEX_ID)
        .id(ENGINEERING)
        .entity_ids(&alice)
        .entity_ids(&platform)
        .entity_ids(&unknown)
        .send()
        .await
        .unwrap();
    let mut failed: Vec<_> = out.failed_entity_list().iter().map(|f| f.entity_id().unwrap().to_owned()).collect();
    failed.sort();
    let mut expected = vec![platform.clone(), unknown];
    expected.sort();
    assert_eq!(failed, expected);
    assert!(out.failed_entity_list().iter().all(|f| f.error_message().is_some()));
    let snapshot = sandbox.snapshot();
    let alice_left: Vec<_> = snapshot.personas_of(ALICE).iter().map(|p| p.experience_id.clone()).collect();
    assert_eq!(alice_left, [SUPPORT]);
    assert_eq!(snapshot.personas_of("Platform Engineering").len(), 1);

    // Entity access stays after the persona is gone.
    let entities = c.kendra.list_experience_entities().index_id(INDEX_ID).id(ENGINEERING).send().await.unwrap();
    assert!(entities.summary_items().iter().any(|e| e.entity_id() == Some(alice.as_str())));

    let err = c
        .kendra
        .disassociate_personas_from_entities()
        .index_id(INDEX_ID)
        .id(ENGINEERING)
        .set_entity_ids(Some(vec![]))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

async fn summaries(c: &Clients, data_source: Option<&str>, group: &str) -> Vec<(PrincipalMappingStatus, i64)> {
    let out = c
        .kendra
        .describe_principal_mapping()
        .index_id(INDEX_ID)
        .set_data_source_id(data_source.map(str::to_owned))
        .group_id(group)
        .send()
        .await
        .unwrap();
    out.group_ordering_id_summaries().iter().map(|s| (s.status().cloned().unwrap(), s.ordering_id().unwrap())).collect()
}

#[tokio::test]
async fn delete_principal_mapping_goes_deleting_then_deleted() {
    let sandbox = start(Faults::none().with_deletion_delay(Duration::from_secs(3600))).await;
    let c = clients(&sandbox).await;
    let seeded = 1_735_689_600_000_i64;
    assert_eq!(summaries(&c, Some(WIKI), "summer-interns").await, [(PrincipalMappingStatus::Succeeded, seeded)]);
    c.kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .data_source_id(WIKI)
        .group_id("summer-interns")
        .ordering_id(seeded + 1)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summaries(&c, Some(WIKI), "summer-interns").await,
        [(PrincipalMappingStatus::Succeeded, seeded), (PrincipalMappingStatus::Deleting, seeded + 1)]
    );
    assert!(sandbox.snapshot().group_mappings_of("summer-interns").iter().all(|m| m.present));

    sandbox.set_faults(Faults::none()).unwrap();
    assert_eq!(
        summaries(&c, Some(WIKI), "summer-interns").await,
        [(PrincipalMappingStatus::Succeeded, seeded), (PrincipalMappingStatus::Deleted, seeded + 1)]
    );
    let snapshot = sandbox.snapshot();
    let mappings = snapshot.group_mappings_of("summer-interns");
    let wiki = mappings.iter().find(|m| m.data_source_id.as_deref() == Some(WIKI)).unwrap();
    assert!(!wiki.present);
    let index_level = mappings.iter().find(|m| m.data_source_id.is_none()).unwrap();
    assert!(index_level.present, "the index-level mapping is separate");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn ordering_id_lower_than_the_latest_is_not_applied() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let seeded = 1_735_689_600_000_i64;
    // A newer PUT (e.g. someone re-added the group after the plan was made) ...
    c.kendra
        .put_principal_mapping()
        .index_id(INDEX_ID)
        .group_id("summer-interns")
        .group_members(
            GroupMembers::builder()
                .member_users(MemberUser::builder().user_id("priya.raman@northwind.example").build().unwrap())
                .build(),
        )
        .ordering_id(seeded + 100)
        .send()
        .await
        .unwrap();
    // ... is not overridden by a delete with an older ordering id.
    c.kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .group_id("summer-interns")
        .ordering_id(seeded + 50)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summaries(&c, None, "summer-interns").await,
        [(PrincipalMappingStatus::Succeeded, seeded), (PrincipalMappingStatus::Succeeded, seeded + 100)]
    );
    let snapshot = sandbox.snapshot();
    let mapping =
        snapshot.group_mappings_of("summer-interns").into_iter().find(|m| m.data_source_id.is_none()).unwrap();
    assert!(mapping.present);
    assert_eq!(mapping.member_users, ["priya.raman@northwind.example"]);

    // An equal ordering id is applied.
    c.kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .group_id("summer-interns")
        .ordering_id(seeded + 100)
        .send()
        .await
        .unwrap();
    assert_eq!(
        summaries(&c, None, "summer-interns").await.last(),
        Some(&(PrincipalMappingStatus::Deleted, seeded + 100))
    );
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn failing_group_mapping_delete_ends_failed() {
    let sandbox = start(Faults::none().with_failing_entity("platform-engineering")).await;
    let c = clients(&sandbox).await;
    c.kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .data_source_id(WIKI)
        .group_id("platform-engineering")
        .send()
        .await
        .unwrap();
    let out = c
        .kendra
        .describe_principal_mapping()
        .index_id(INDEX_ID)
        .data_source_id(WIKI)
        .group_id("platform-engineering")
        .send()
        .await
        .unwrap();
    let last = out.group_ordering_id_summaries().last().unwrap();
    assert_eq!(last.status(), Some(&PrincipalMappingStatus::Failed));
    assert!(last.failure_reason().is_some());
    assert!(sandbox.snapshot().group_mappings_of("platform-engineering")[0].present);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn unknown_groups_and_data_sources_are_not_found() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let err = c
        .kendra
        .describe_principal_mapping()
        .index_id(INDEX_ID)
        .group_id("never-mapped")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .data_source_id("no-such-source")
        .group_id("summer-interns")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    let err = c
        .kendra
        .delete_principal_mapping()
        .index_id(INDEX_ID)
        .group_id("never-mapped")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn groups_older_than_an_ordering_id() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let pages: Vec<_> = c
        .kendra
        .list_groups_older_than_ordering_id()
        .index_id(INDEX_ID)
        .data_source_id(WIKI)
        .ordering_id(1_735_689_600_001)
        .max_results(2)
        .into_paginator()
        .send()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let groups: Vec<_> =
        pages.iter().flat_map(|p| p.groups_summaries()).map(|g| g.group_id().unwrap().to_owned()).collect();
    assert_eq!(groups, ["customer-support", "platform-engineering", "summer-interns"]);
    let none = c
        .kendra
        .list_groups_older_than_ordering_id()
        .index_id(INDEX_ID)
        .data_source_id(WIKI)
        .ordering_id(1_735_689_600_000)
        .send()
        .await
        .unwrap();
    assert!(none.groups_summaries().is_empty());
    let err = c
        .kendra
        .list_groups_older_than_ordering_id()
        .index_id(INDEX_ID)
        .ordering_id(1)
        .max_results(11)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_validation_exception(), "{err:?}");
    assert_conformant(&sandbox);
}
