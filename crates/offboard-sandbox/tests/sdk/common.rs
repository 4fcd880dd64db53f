//! Shared test support: the example org, SDK clients pointed at a sandbox, raw HTTP.

use std::net::SocketAddr;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_credential_types::Credentials;
use aws_sdk_ssoadmin::operation::create_account_assignment::{
    CreateAccountAssignmentError, CreateAccountAssignmentOutput,
};
use aws_sdk_ssoadmin::operation::delete_account_assignment::{
    DeleteAccountAssignmentError, DeleteAccountAssignmentOutput,
};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use offboard_sandbox::{Faults, LoggedRequest, Org, RunningSandbox, Sandbox};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub const INSTANCE_ARN: &str = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6";
pub const STORE_ID: &str = "d-906700a1b2";
pub const INDEX_ID: &str = "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c";
pub const ALICE: &str = "alice.wong@northwind.example";
pub const BOB: &str = "bob.martin@northwind.example";

pub fn example_org() -> Org {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/sandbox/org.yaml");
    Org::from_path(path).unwrap()
}

pub async fn start(faults: Faults) -> RunningSandbox {
    Sandbox::start(example_org(), faults).await.unwrap()
}

/// SDK clients for all four services, retries off unless asked for.
pub struct Clients {
    pub sso: aws_sdk_ssoadmin::Client,
    pub ids: aws_sdk_identitystore::Client,
    pub appstream: aws_sdk_appstream::Client,
    pub kendra: aws_sdk_kendra::Client,
}

pub async fn sdk_config(url: &str, retry: RetryConfig) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("AKIDSANDBOX", "sandbox-secret", None, None, "test"))
        .endpoint_url(url)
        .retry_config(retry)
        .load()
        .await
}

pub async fn clients(sandbox: &RunningSandbox) -> Clients {
    clients_with(sandbox, RetryConfig::disabled()).await
}

pub async fn clients_with(sandbox: &RunningSandbox, retry: RetryConfig) -> Clients {
    let config = sdk_config(&sandbox.url(), retry).await;
    Clients {
        sso: aws_sdk_ssoadmin::Client::new(&config),
        ids: aws_sdk_identitystore::Client::new(&config),
        appstream: aws_sdk_appstream::Client::new(&config),
        kendra: aws_sdk_kendra::Client::new(&config),
    }
}

/// The error code of an SDK error (`None` for a dispatch failure without a response).
pub fn code<E: ProvideErrorMetadata>(err: &E) -> Option<String> {
    err.code().map(str::to_owned)
}

/// Every logged answer conformed to the model.
pub fn assert_conformant(sandbox: &RunningSandbox) {
    let bad: Vec<LoggedRequest> = sandbox.request_log().into_iter().filter(|r| !r.conformance.is_empty()).collect();
    assert!(bad.is_empty(), "answers that do not conform to the model: {bad:#?}");
}

/// Identity Store id of a user name, from the org the sandbox was seeded with.
pub fn user_id(sandbox: &RunningSandbox, user_name: &str) -> String {
    sandbox.org().user_by_name(user_name).unwrap().id.clone()
}

pub fn group_id(sandbox: &RunningSandbox, display_name: &str) -> String {
    sandbox.org().group_by_name(display_name).unwrap().id.clone()
}

pub fn permission_set_arn(sandbox: &RunningSandbox, name: &str) -> String {
    sandbox.org().permission_set_by_name(name).unwrap().arn.clone()
}

/// A raw HTTP/1.1 answer.
#[derive(Debug)]
pub struct Raw {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Raw {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }
}

/// Sends one request over a fresh connection (`Connection: close`) and reads the whole answer.
pub async fn raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Raw> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut all = Vec::new();
    stream.read_to_end(&mut all).await?;
    let split = all
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "no HTTP answer"))?;
    let head = String::from_utf8_lossy(&all[..split]).to_string();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines.filter_map(|l| l.split_once(": ")).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    Ok(Raw { status, headers, body: all[split + 4..].to_vec() })
}

/// POST of an awsJson1_1 request.
pub async fn post_json(sandbox: &RunningSandbox, target: &str, body: &Value) -> Raw {
    raw(
        sandbox.addr(),
        "POST",
        "/",
        &[
            ("X-Amz-Target", target),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("Authorization", "AWS4-HMAC-SHA256 anything"),
        ],
        body.to_string().as_bytes(),
    )
    .await
    .unwrap()
}

/// POST of an rpcv2Cbor request; the answer body is decoded to a CBOR value.
pub async fn post_cbor(sandbox: &RunningSandbox, operation: &str, body: &ciborium::Value) -> (Raw, ciborium::Value) {
    let mut bytes = Vec::new();
    ciborium::into_writer(body, &mut bytes).unwrap();
    let answer = raw(
        sandbox.addr(),
        "POST",
        &format!("/service/PhotonAdminProxyService/operation/{operation}"),
        &[("smithy-protocol", "rpc-v2-cbor"), ("Content-Type", "application/cbor"), ("Accept", "application/cbor")],
        &bytes,
    )
    .await
    .unwrap();
    let value = ciborium::from_reader(answer.body.as_slice()).unwrap();
    (answer, value)
}

/// A CBOR map with text keys.
pub fn cbor_map(entries: Vec<(&str, ciborium::Value)>) -> ciborium::Value {
    ciborium::Value::Map(entries.into_iter().map(|(k, v)| (ciborium::Value::Text(k.to_owned()), v)).collect())
}

/// The value of `key` in a CBOR map.
pub fn cbor_get<'a>(map: &'a ciborium::Value, key: &str) -> Option<&'a ciborium::Value> {
    match map {
        ciborium::Value::Map(entries) => entries.iter().find(|(k, _)| k.as_text() == Some(key)).map(|(_, v)| v),
        _ => None,
    }
}

/// `DeleteAccountAssignment` of one (account, permission set, principal) on the sandbox's instance.
pub async fn delete(
    c: &Clients,
    account: &str,
    ps: &str,
    kind: aws_sdk_ssoadmin::types::PrincipalType,
    id: &str,
) -> Result<DeleteAccountAssignmentOutput, aws_sdk_ssoadmin::error::SdkError<DeleteAccountAssignmentError>> {
    c.sso
        .delete_account_assignment()
        .instance_arn(INSTANCE_ARN)
        .target_id(account)
        .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
        .permission_set_arn(ps)
        .principal_type(kind)
        .principal_id(id)
        .send()
        .await
}

/// `CreateAccountAssignment`, the same target as [`delete`]: how tests re-grant.
pub async fn create(
    c: &Clients,
    account: &str,
    ps: &str,
    kind: aws_sdk_ssoadmin::types::PrincipalType,
    id: &str,
) -> Result<CreateAccountAssignmentOutput, aws_sdk_ssoadmin::error::SdkError<CreateAccountAssignmentError>> {
    c.sso
        .create_account_assignment()
        .instance_arn(INSTANCE_ARN)
        .target_id(account)
        .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
        .permission_set_arn(ps)
        .principal_type(kind)
        .principal_id(id)
        .send()
        .await
}
