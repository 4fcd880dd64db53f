//! The sandbox's current state as plain data, for tests to assert on.
//!
//! Served by [`crate::RunningSandbox::snapshot`] and `GET /_sandbox/state`. Every list is sorted,
//! so two snapshots of the same state are equal and serialise identically. Names (user names,
//! group display names, permission set names) sit beside the ids so assertions stay readable.

use serde::{Deserialize, Serialize};

/// Everything that offboard can remove, plus the SSO deletion requests seen so far.
///
/// Fields added after the first release carry `#[serde(default)]`, so older snapshot JSON parses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StateSnapshot {
    pub sso_assignments: Vec<AssignmentRecord>,
    pub sso_deletions: Vec<DeletionRecord>,
    pub appstream_associations: Vec<AssociationRecord>,
    pub kendra_personas: Vec<PersonaRecord>,
    pub kendra_group_mappings: Vec<GroupMappingRecord>,
    /// Identity Store group memberships (snapshots written before memberships were state parse
    /// with an empty list).
    #[serde(default)]
    pub group_memberships: Vec<GroupMembershipRecord>,
    /// Entities with access to a Kendra experience, with or without a persona.
    #[serde(default)]
    pub kendra_experience_entities: Vec<ExperienceEntityRecord>,
}

/// One IAM Identity Center account assignment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AssignmentRecord {
    pub account_id: String,
    pub permission_set_name: String,
    pub principal_type: String,
    /// User name or group display name.
    pub principal_name: String,
    pub permission_set_arn: String,
    pub principal_id: String,
}

/// One `DeleteAccountAssignment` request and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRecord {
    pub request_id: String,
    /// `IN_PROGRESS`, `SUCCEEDED` or `FAILED`.
    pub status: String,
    pub failure_reason: Option<String>,
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: String,
    pub principal_id: String,
}

/// One AppStream (stack, user, authentication type) association.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AssociationRecord {
    pub stack_name: String,
    pub user_name: String,
    pub authentication_type: String,
}

/// One Kendra experience persona.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PersonaRecord {
    pub index_id: String,
    pub experience_id: String,
    /// User name or group display name (the entity id when the identity store does not know it).
    pub entity_name: String,
    pub entity_type: String,
    pub entity_id: String,
    /// `OWNER` or `VIEWER`.
    pub persona: String,
}

/// One Identity Store group membership (a user in a group).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupMembershipRecord {
    /// The group's display name (the group id when the identity store does not know it).
    pub group_name: String,
    /// The member's user name (the user id when the identity store does not know it).
    pub user_name: String,
    pub membership_id: String,
    pub group_id: String,
    pub user_id: String,
}

/// One entity (user or group) with access to a Kendra experience (`ListExperienceEntities`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ExperienceEntityRecord {
    pub index_id: String,
    pub experience_id: String,
    /// User name or group display name (the entity id when the identity store does not know it).
    pub entity_name: String,
    /// `USER` or `GROUP`.
    pub entity_type: String,
    pub entity_id: String,
}

/// One Kendra principal mapping (group), including deleted ones, which keep their history.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct GroupMappingRecord {
    pub index_id: String,
    pub data_source_id: Option<String>,
    pub group_id: String,
    /// Status of the newest action: `PROCESSING`, `SUCCEEDED`, `DELETING`, `DELETED` or `FAILED`.
    pub status: String,
    /// Ordering id of the newest action that was accepted (not ignored as out of order).
    pub ordering_id: u64,
    /// False once a delete has completed.
    pub present: bool,
    pub member_users: Vec<String>,
    pub member_groups: Vec<String>,
}

impl StateSnapshot {
    /// Assignments of the principal with this user name or group display name.
    pub fn assignments_of(&self, principal_name: &str) -> Vec<&AssignmentRecord> {
        self.sso_assignments.iter().filter(|a| a.principal_name == principal_name).collect()
    }

    /// AppStream associations of this user name.
    pub fn associations_of(&self, user_name: &str) -> Vec<&AssociationRecord> {
        self.appstream_associations.iter().filter(|a| a.user_name == user_name).collect()
    }

    /// Kendra personas of the entity with this user name or group display name.
    pub fn personas_of(&self, entity_name: &str) -> Vec<&PersonaRecord> {
        self.kendra_personas.iter().filter(|p| p.entity_name == entity_name).collect()
    }

    /// Group memberships of the user with this user name.
    pub fn memberships_of(&self, user_name: &str) -> Vec<&GroupMembershipRecord> {
        self.group_memberships.iter().filter(|m| m.user_name == user_name).collect()
    }

    /// Kendra experiences (index id, experience id) the entity with this user name or group
    /// display name has access to.
    pub fn experience_entities_of(&self, entity_name: &str) -> Vec<&ExperienceEntityRecord> {
        self.kendra_experience_entities.iter().filter(|e| e.entity_name == entity_name).collect()
    }

    /// Kendra group mappings (present or not) of this ACL group id.
    pub fn group_mappings_of(&self, group_id: &str) -> Vec<&GroupMappingRecord> {
        self.kendra_group_mappings.iter().filter(|m| m.group_id == group_id).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_written_before_memberships_and_entities_still_parse() {
        let old = r#"{"sso_assignments":[],"sso_deletions":[],"appstream_associations":[],
            "kendra_personas":[],"kendra_group_mappings":[]}"#;
        let parsed: StateSnapshot = serde_json::from_str(old).unwrap();
        assert_eq!(parsed, StateSnapshot::default());
        let mut current = StateSnapshot::default();
        current.group_memberships.push(GroupMembershipRecord {
            group_name: "G".into(),
            user_name: "u".into(),
            membership_id: "m".into(),
            group_id: "g".into(),
            user_id: "i".into(),
        });
        let text = serde_json::to_string(&current).unwrap();
        assert!(text.contains(r#""group_memberships":[{"group_name":"G""#), "{text}");
        assert!(text.contains(r#""kendra_experience_entities":[]"#), "{text}");
        assert_eq!(serde_json::from_str::<StateSnapshot>(&text).unwrap(), current);
    }
}
