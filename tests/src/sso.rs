//! Identity Center assignments as tests handle them behind offboard's back: read from a plan's
//! requests, re-granted or deleted through the SDK (against the sandbox or moto), and compared
//! as grants.

use aws_sdk_ssoadmin::error::SdkError;
use aws_sdk_ssoadmin::operation::create_account_assignment::{
    CreateAccountAssignmentError, CreateAccountAssignmentOutput,
};
use aws_sdk_ssoadmin::operation::delete_account_assignment::{
    DeleteAccountAssignmentError, DeleteAccountAssignmentOutput,
};
use aws_sdk_ssoadmin::types::{PrincipalType, TargetType};
use offboard_core::edge::sso_assignment::DeleteAccountAssignment;
use offboard_core::grant::SsoAssignment;
use offboard_core::{ApiRequest, Grant, Plan, PrincipalKind, Resolution};

/// One account assignment, named the way `CreateAccountAssignment` and
/// `DeleteAccountAssignment` name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountAssignment {
    pub instance_arn: String,
    pub account_id: String,
    pub permission_set_arn: String,
    pub principal_type: PrincipalType,
    pub principal_id: String,
}

/// Sets the members that name the assignment. Both calls take the same ones, but their
/// builders are different types, so a function could not serve both.
macro_rules! naming {
    ($builder:expr, $assignment:expr) => {
        $builder
            .instance_arn(&$assignment.instance_arn)
            .target_id(&$assignment.account_id)
            .target_type(TargetType::AwsAccount)
            .permission_set_arn(&$assignment.permission_set_arn)
            .principal_type($assignment.principal_type.clone())
            .principal_id(&$assignment.principal_id)
    };
}

impl AccountAssignment {
    /// The assignment a plan's request deletes, if it is a `DeleteAccountAssignment`.
    pub fn deleted_by(request: &ApiRequest) -> Option<AccountAssignment> {
        match request {
            ApiRequest::DeleteAccountAssignment(DeleteAccountAssignment {
                instance_arn,
                target_id,
                permission_set_arn,
                principal_type,
                principal_id,
                ..
            }) => Some(AccountAssignment {
                instance_arn: instance_arn.to_string(),
                account_id: target_id.to_string(),
                permission_set_arn: permission_set_arn.to_string(),
                principal_type: PrincipalType::from(principal_type.as_ref()),
                principal_id: principal_id.to_string(),
            }),
            _ => None,
        }
    }

    /// `CreateAccountAssignment` of this assignment: how tests re-grant access.
    pub async fn create(
        &self,
        sso: &aws_sdk_ssoadmin::Client,
    ) -> Result<CreateAccountAssignmentOutput, SdkError<CreateAccountAssignmentError>> {
        naming!(sso.create_account_assignment(), self).send().await
    }

    /// `DeleteAccountAssignment` of this assignment.
    pub async fn delete(
        &self,
        sso: &aws_sdk_ssoadmin::Client,
    ) -> Result<DeleteAccountAssignmentOutput, SdkError<DeleteAccountAssignmentError>> {
        naming!(sso.delete_account_assignment(), self).send().await
    }

    /// The assignment as the grant that plans, journals and sandbox snapshots speak of.
    pub fn grant(&self) -> Grant {
        Grant::SsoAssignment(SsoAssignment {
            account_id: self.account_id.as_str().into(),
            permission_set_arn: self.permission_set_arn.as_str().into(),
            principal_type: principal_kind(&self.principal_type),
            principal_id: self.principal_id.as_str().into(),
        })
    }
}

/// The SDK's principal type as a grant's.
pub fn principal_kind(principal_type: &PrincipalType) -> PrincipalKind {
    match principal_type {
        PrincipalType::User => PrincipalKind::User,
        PrincipalType::Group => PrincipalKind::Group,
        other => panic!("principal type {other:?}; expected USER or GROUP"),
    }
}

/// The Identity Store id a plan resolved for the principal whose name contains `name`.
pub fn resolved_id(plan: &Plan, name: &str) -> String {
    plan.principals
        .iter()
        .find(|p| p.principal.to_string().contains(name))
        .and_then(|p| match &p.resolution {
            Resolution::Found { id, .. } => Some(id.clone()),
            Resolution::NotFound => None,
        })
        .unwrap_or_else(|| panic!("the plan resolved {name}"))
}
