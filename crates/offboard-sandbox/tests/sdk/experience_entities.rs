//! Kendra `DisassociateEntitiesFromExperience` through aws-sdk-kendra: access removed, personas
//! kept, failures listed per entity, the model's limits enforced.

use aws_sdk_kendra::operation::disassociate_entities_from_experience::DisassociateEntitiesFromExperienceOutput;
use aws_sdk_kendra::types::{EntityConfiguration, EntityType};
use offboard_sandbox::{Faults, Org, RunningSandbox, Sandbox};

use crate::common::*;

const SUPPORT: &str = "support-portal";
const ENGINEERING: &str = "engineering-search";
const CAROL: &str = "carol.diaz@northwind.example";
const PEDRO: &str = "pedro.alvarez@northwind.example";

fn entity(id: &str, kind: EntityType) -> EntityConfiguration {
    EntityConfiguration::builder().entity_id(id).entity_type(kind).build().unwrap()
}

async fn disassociate(
    c: &Clients,
    experience: &str,
    entities: Vec<EntityConfiguration>,
) -> Result<DisassociateEntitiesFromExperienceOutput, Option<String>> {
    c.kendra
        .disassociate_entities_from_experience()
        .index_id(INDEX_ID)
        .id(experience)
        .set_entity_list(Some(entities))
        .send()
        .await
        .map_err(|e| code(&e))
}

/// Entity ids of `ListExperienceEntities`, every page.
async fn entity_ids(c: &Clients, experience: &str) -> Vec<String> {
    let pages = c
        .kendra
        .list_experience_entities()
        .index_id(INDEX_ID)
        .id(experience)
        .into_paginator()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .unwrap();
    let mut ids: Vec<String> =
        pages.iter().flat_map(|p| p.summary_items()).map(|e| e.entity_id().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

async fn persona_ids(c: &Clients, experience: &str) -> Vec<String> {
    let out = c.kendra.list_entity_personas().index_id(INDEX_ID).id(experience).send().await.unwrap();
    let mut ids: Vec<String> = out.summary_items().iter().map(|p| p.entity_id().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn failed_ids(out: &DisassociateEntitiesFromExperienceOutput) -> Vec<String> {
    let mut ids: Vec<String> = out.failed_entity_list().iter().map(|f| f.entity_id().unwrap().to_owned()).collect();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn removing_entities_removes_access_and_keeps_personas() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let alice = user_id(&sandbox, ALICE);
    let support_group = group_id(&sandbox, "Customer Support");
    let before = entity_ids(&c, SUPPORT).await;
    assert!(before.contains(&alice) && before.contains(&support_group), "{before:?}");
    let personas_before = persona_ids(&c, SUPPORT).await;

    let out =
        disassociate(&c, SUPPORT, vec![entity(&alice, EntityType::User), entity(&support_group, EntityType::Group)])
            .await
            .unwrap();
    assert!(out.failed_entity_list().is_empty(), "{out:?}");

    let after = entity_ids(&c, SUPPORT).await;
    let expected: Vec<String> = before.iter().filter(|e| **e != alice && **e != support_group).cloned().collect();
    assert_eq!(after, expected);
    // The personas stay (the sandbox does not cascade; see the kendra module's documentation).
    assert_eq!(persona_ids(&c, SUPPORT).await, personas_before);
    // Only this experience: Alice keeps her access to the other one.
    assert!(entity_ids(&c, ENGINEERING).await.contains(&alice));

    let snap = sandbox.snapshot();
    let alices: Vec<_> = snap.experience_entities_of(ALICE).iter().map(|e| e.experience_id.clone()).collect();
    assert_eq!(alices, [ENGINEERING]);
    assert!(snap.experience_entities_of("Customer Support").is_empty());
    assert_eq!(snap.personas_of("Customer Support").len(), 1);
    let engineering: Vec<_> =
        snap.kendra_experience_entities.iter().filter(|e| e.experience_id == ENGINEERING).collect();
    assert_eq!(engineering.len(), 7);
    let mut sorted_records = snap.kendra_experience_entities.clone();
    sorted_records.sort();
    assert_eq!(sorted_records, snap.kendra_experience_entities);
    let record = snap.experience_entities_of("Platform Engineering")[0];
    assert_eq!((record.entity_type.as_str(), record.index_id.as_str()), ("GROUP", INDEX_ID));

    // Removing it again fails for that entity only: it no longer has access.
    let again = disassociate(&c, SUPPORT, vec![entity(&alice, EntityType::User)]).await.unwrap();
    assert_eq!(failed_ids(&again), [alice]);
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn failures_are_listed_per_entity_and_the_rest_applies() {
    let sandbox = start(Faults::none().with_failing_entity(CAROL)).await;
    let c = clients(&sandbox).await;
    let (alice, bob, carol, pedro) =
        (user_id(&sandbox, ALICE), user_id(&sandbox, BOB), user_id(&sandbox, CAROL), user_id(&sandbox, PEDRO));
    let interns = group_id(&sandbox, "Summer Interns");
    let out = disassociate(
        &c,
        SUPPORT,
        vec![
            entity(&bob, EntityType::User),     // has no access to the support portal
            entity(&alice, EntityType::Group),  // Alice is a user
            entity(&interns, EntityType::User), // Summer Interns is a group
            entity(&carol, EntityType::User),   // the fault
            entity(&pedro, EntityType::User),   // fine
        ],
    )
    .await
    .unwrap();
    assert_eq!(failed_ids(&out), sorted(vec![bob.clone(), alice.clone(), interns.clone(), carol.clone()]));
    let message = |id: &str| {
        out.failed_entity_list().iter().find(|f| f.entity_id() == Some(id)).and_then(|f| f.error_message()).unwrap()
    };
    assert!(message(&alice).contains("USER"), "{}", message(&alice));
    assert!(message(&interns).contains("GROUP"), "{}", message(&interns));
    assert!(message(&bob).contains("access"), "{}", message(&bob));
    let left = entity_ids(&c, SUPPORT).await;
    assert!(!left.contains(&pedro));
    for kept in [&alice, &interns, &carol] {
        assert!(left.contains(kept), "{kept} was kept: {left:?}");
    }
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn limits_and_unknown_experiences() {
    let sandbox = start(Faults::none()).await;
    let c = clients(&sandbox).await;
    let alice = user_id(&sandbox, ALICE);
    let unknown = |i: usize| format!("906700a1b2-00000000-0000-4000-8000-{i:012}");
    let before = sandbox.snapshot();

    let forty_one: Vec<_> = (0..41).map(|i| entity(&unknown(i), EntityType::User)).collect();
    assert_eq!(disassociate(&c, SUPPORT, forty_one).await.unwrap_err().as_deref(), Some("ValidationException"));
    assert_eq!(disassociate(&c, SUPPORT, vec![]).await.unwrap_err().as_deref(), Some("ValidationException"));
    let robot = entity(&alice, EntityType::from("ROBOT"));
    assert_eq!(disassociate(&c, SUPPORT, vec![robot]).await.unwrap_err().as_deref(), Some("ValidationException"));
    let not_an_id = entity("alice", EntityType::User);
    assert_eq!(disassociate(&c, SUPPORT, vec![not_an_id]).await.unwrap_err().as_deref(), Some("ValidationException"));
    let err = disassociate(&c, "no-such-experience", vec![entity(&alice, EntityType::User)]).await.unwrap_err();
    assert_eq!(err.as_deref(), Some("ResourceNotFoundException"));
    let err = c
        .kendra
        .disassociate_entities_from_experience()
        .index_id("00000000-0000-4000-8000-000000000000")
        .id(SUPPORT)
        .entity_list(entity(&alice, EntityType::User))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(err.is_resource_not_found_exception(), "{err:?}");
    assert_eq!(sandbox.snapshot(), before, "rejected requests change nothing");

    // 40 entities are allowed, but at most 25 failures fit in the answer.
    let mut forty: Vec<_> = (0..39).map(|i| entity(&unknown(i), EntityType::User)).collect();
    forty.push(entity(&alice, EntityType::User));
    let out = disassociate(&c, SUPPORT, forty).await.unwrap();
    assert_eq!(out.failed_entity_list().len(), 25);
    assert!(!entity_ids(&c, SUPPORT).await.contains(&alice), "the one associated entity was removed");
    assert_conformant(&sandbox);
}

#[tokio::test]
async fn fixture_entities_without_a_persona() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/FIXTURE.md")).unwrap();
    let start = text.find("```yaml\n").unwrap() + 8;
    let end = start + text[start..].find("```").unwrap();
    let org = Org::from_yaml_str(&text[start..end], "FIXTURE.md").unwrap();
    let sandbox: RunningSandbox = Sandbox::start(org, Faults::none()).await.unwrap();
    let c = clients(&sandbox).await;
    let ben = user_id(&sandbox, "ben.ode@example.com");
    let index = "0123456789abcdef0123456789abcdef0123";
    let listed = c.kendra.list_experience_entities().index_id(index).id("portal").send().await.unwrap();
    let ben_entry = listed.summary_items().iter().find(|e| e.entity_id() == Some(ben.as_str())).unwrap();
    assert_eq!(ben_entry.entity_type(), Some(&EntityType::User));
    let personas = c.kendra.list_entity_personas().index_id(index).id("portal").send().await.unwrap();
    assert!(personas.summary_items().iter().all(|p| p.entity_id() != Some(ben.as_str())), "Ben has no persona");
    assert_eq!(sandbox.snapshot().experience_entities_of("ben.ode@example.com").len(), 1);

    let out = c
        .kendra
        .disassociate_entities_from_experience()
        .index_id(index)
        .id("portal")
        .entity_list(entity(&ben, EntityType::User))
        .send()
        .await
        .unwrap();
    assert!(out.failed_entity_list().is_empty());
    assert!(sandbox.snapshot().experience_entities_of("ben.ode@example.com").is_empty());
    assert_conformant(&sandbox);
}
