//! AWS Organizations `ListAccounts`, the one Organizations call offboard makes: the names of the
//! accounts, shown in plans as `production (333333333333)` and used for
//! `guardrails.protected_accounts` given by name. There is no Organizations model in
//! `offboard-models`, so, like STS (`sts.rs`), it is answered here, before the model-driven
//! decoding: awsJson1_1, `X-Amz-Target: AWSOrganizationsV20161128.ListAccounts`.
//!
//! The accounts are the fixture's `sso.accounts`, in fixture order, with the Identity Center
//! instance's owner as the management account. [`Faults::deny_organizations`] answers
//! `AccessDeniedException`, as AWS does for a role without `organizations:ListAccounts`.

use serde_json::{Value, json};

use crate::faults::Faults;
use crate::fixture::{FIXTURE_EPOCH_SECONDS, Org};

/// `X-Amz-Target` of `ListAccounts`.
pub(crate) const LIST_ACCOUNTS_TARGET: &str = "AWSOrganizationsV20161128.ListAccounts";

/// `MaxResults`: 1..=20 (the model's range); AWS's default page is 20 too.
const MAX_RESULTS: usize = 20;

/// Whether a request is an Organizations request (answered here).
pub(crate) fn is_organizations(method: &str, target: Option<&str>) -> bool {
    method == "POST" && target.is_some_and(|t| t.starts_with("AWSOrganizationsV20161128."))
}

/// The HTTP status and awsJson1_1 body of the answer.
pub(crate) fn answer(org: &Org, faults: &Faults, target: Option<&str>, body: &[u8]) -> (u16, Value) {
    let error = |status: u16, code: &str, message: String| (status, json!({"__type": code, "Message": message}));
    if target != Some(LIST_ACCOUNTS_TARGET) {
        let operation = target.and_then(|t| t.split_once('.')).map_or("", |(_, op)| op);
        return error(
            400,
            "UnknownOperationException",
            format!(
                "offboard-sandbox does not emulate AWSOrganizationsV20161128.{operation}; it emulates ListAccounts"
            ),
        );
    }
    if faults.deny_organizations {
        return error(400, "AccessDeniedException", "You don't have permissions to access this resource.".to_owned());
    }
    let input: Value = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return error(400, "InvalidInputException", "The request body is not a JSON object.".to_owned()),
        }
    };
    let max = match input.get("MaxResults") {
        None => MAX_RESULTS,
        Some(n) => match n.as_u64().filter(|n| (1..=MAX_RESULTS as u64).contains(n)) {
            Some(n) => n as usize,
            None => {
                return error(
                    400,
                    "InvalidInputException",
                    format!(
                        "You provided a value that does not match the required pattern: MaxResults {n} must be 1 to {MAX_RESULTS}."
                    ),
                );
            }
        },
    };
    let start = match input.get("NextToken").map(Value::as_str) {
        None => 0,
        Some(Some(token)) => match token.strip_prefix("accounts-").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) if n <= org.sso.accounts.len() => n,
            _ => return error(400, "InvalidInputException", "The NextToken is not valid.".to_owned()),
        },
        Some(None) => return error(400, "InvalidInputException", "NextToken must be a string.".to_owned()),
    };
    let owner = &org.sso.owner_account_id;
    let org_id = format!("o-{}", &owner[..10.min(owner.len())]);
    let accounts: Vec<Value> = org
        .sso
        .accounts
        .iter()
        .skip(start)
        .take(max)
        .map(|a| {
            json!({
                "Id": a.id,
                "Arn": format!("arn:aws:organizations::{owner}:account/{org_id}/{}", a.id),
                "Email": format!("aws+{}@northwind.example", a.id),
                "Name": a.name,
                "Status": "ACTIVE",
                "State": "ACTIVE",
                "JoinedMethod": if &a.id == owner { "CREATED" } else { "INVITED" },
                "JoinedTimestamp": FIXTURE_EPOCH_SECONDS,
            })
        })
        .collect();
    let next = start + accounts.len();
    let mut out = json!({ "Accounts": accounts });
    if next < org.sso.accounts.len() {
        out["NextToken"] = json!(format!("accounts-{next}"));
    }
    (200, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org() -> Org {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sandbox/org.yaml");
        Org::from_path(path).unwrap()
    }

    #[test]
    fn pages_through_the_fixture_accounts_and_denies_on_the_fault() {
        let org = org();
        let n = org.sso.accounts.len();
        assert!(n >= 2, "the example has several accounts");
        let (status, first) = answer(&org, &Faults::none(), Some(LIST_ACCOUNTS_TARGET), br#"{"MaxResults": 1}"#);
        assert_eq!(status, 200);
        assert_eq!(first["Accounts"].as_array().unwrap().len(), 1);
        assert_eq!(first["Accounts"][0]["Id"], json!(org.sso.accounts[0].id));
        assert_eq!(first["Accounts"][0]["Name"], json!(org.sso.accounts[0].name));
        let token = first["NextToken"].as_str().unwrap();
        let body = format!(r#"{{"NextToken": "{token}"}}"#);
        let (_, rest) = answer(&org, &Faults::none(), Some(LIST_ACCOUNTS_TARGET), body.as_bytes());
        assert_eq!(rest["Accounts"].as_array().unwrap().len(), n - 1);
        assert!(rest.get("NextToken").is_none());

        let (status, bad) = answer(&org, &Faults::none(), Some(LIST_ACCOUNTS_TARGET), br#"{"MaxResults": 21}"#);
        assert_eq!((status, bad["__type"].as_str()), (400, Some("InvalidInputException")));
        let denied = Faults { deny_organizations: true, ..Faults::none() };
        let (status, err) = answer(&org, &denied, Some(LIST_ACCOUNTS_TARGET), b"{}");
        assert_eq!((status, err["__type"].as_str()), (400, Some("AccessDeniedException")));
        assert!(is_organizations("POST", Some(LIST_ACCOUNTS_TARGET)));
        assert!(!is_organizations("POST", Some("AWSIdentityStore.DescribeUser")));
    }
}
