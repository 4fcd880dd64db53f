//! STS `GetCallerIdentity`, the one call offboard makes to STS: it records in each plan which
//! AWS account the credentials belong to, and `apply` refuses to act in another one. STS speaks
//! the awsQuery protocol (a form-encoded POST to `/`, an XML answer), unlike the services the
//! rest of the sandbox emulates, so it is answered here, before the JSON/CBOR decoding. The
//! sandbox's credentials belong to the Identity Center instance's owner account.

/// Whether a request is an awsQuery `GetCallerIdentity` (no `X-Amz-Target`, `POST /`).
pub(crate) fn is_get_caller_identity(method: &str, path: &str, target: Option<&str>, body: &[u8]) -> bool {
    method == "POST"
        && path == "/"
        && target.is_none()
        && body.split(|b| *b == b'&').any(|pair| pair == b"Action=GetCallerIdentity")
}

/// The XML answer, for the fixture's owner account.
pub(crate) fn caller_identity(account_id: &str, request_id: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
<GetCallerIdentityResult>\
<Arn>arn:aws:sts::{account_id}:assumed-role/offboard-sandbox/offboard</Arn>\
<UserId>AROAOFFBOARDSANDBOX:offboard</UserId>\
<Account>{account_id}</Account>\
</GetCallerIdentityResult>\
<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>\
</GetCallerIdentityResponse>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_form_encoded_get_caller_identity_is_recognised() {
        let body = b"Action=GetCallerIdentity&Version=2011-06-15";
        assert!(is_get_caller_identity("POST", "/", None, body));
        assert!(!is_get_caller_identity("POST", "/", Some("AWSIdentityStore.DescribeUser"), body));
        assert!(!is_get_caller_identity("GET", "/", None, body));
        assert!(!is_get_caller_identity("POST", "/", None, b"Action=GetCallerIdentityX"));
        let xml = caller_identity("111111111111", "r-1");
        assert!(xml.contains("<Account>111111111111</Account>") && xml.contains("<RequestId>r-1</RequestId>"));
    }
}
