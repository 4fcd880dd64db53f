"""boto3 against `offboard sandbox serve`: every operation offboard uses, through botocore's own
wire code (awsJson1_1 for Kendra, SSO Admin and Identity Store; rpcv2Cbor for AppStream, which
botocore 1.44.5 speaks by default), with botocore's client-side validation left ON so a request
that AWS would reject never reaches the sandbox unnoticed.

Usage: boto3_sandbox.py ENDPOINT_URL   (run by tests/tests/boto3_sandbox.rs)
Prints one JSON object with what it saw; exits non-zero on the first mismatch.
"""

import json
import sys

import boto3
import botocore.exceptions

LEAVER = "alice.wong@northwind.example"
INSTANCE = "arn:aws:sso:::instance/ssoins-7223a1b2c3d4e5f6"
STORE = "d-906700a1b2"
INDEX = "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c"


def client(name, url):
    return boto3.client(
        name,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def main(url):
    seen = {}
    ids = client("identitystore", url)
    user_id = ids.get_user_id(
        IdentityStoreId=STORE,
        AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": LEAVER}},
    )["UserId"]
    seen["user_id"] = user_id
    described = ids.describe_user(IdentityStoreId=STORE, UserId=user_id)
    assert described["UserName"] == LEAVER, described
    try:
        ids.get_user_id(
            IdentityStoreId=STORE,
            AlternateIdentifier={"UniqueAttribute": {"AttributePath": "userName", "AttributeValue": "nobody@x"}},
        )
        raise AssertionError("an unknown user must be ResourceNotFoundException")
    except ids.exceptions.ResourceNotFoundException:
        pass

    sso = client("sso-admin", url)
    instances = sso.list_instances()["Instances"]
    assert [i["InstanceArn"] for i in instances] == [INSTANCE], instances
    paginator = sso.get_paginator("list_account_assignments_for_principal")
    assignments = [
        a
        for page in paginator.paginate(InstanceArn=INSTANCE, PrincipalId=user_id, PrincipalType="USER", MaxResults=1)
        for a in page["AccountAssignments"]
    ]
    assert len(assignments) >= 2, assignments
    seen["sso_assignments"] = len(assignments)
    target = assignments[-1]
    deletion = sso.delete_account_assignment(
        InstanceArn=INSTANCE,
        TargetId=target["AccountId"],
        TargetType="AWS_ACCOUNT",
        PermissionSetArn=target["PermissionSetArn"],
        PrincipalType="USER",
        PrincipalId=user_id,
    )["AccountAssignmentDeletionStatus"]
    assert deletion["Status"] in ("IN_PROGRESS", "SUCCEEDED"), deletion
    status = sso.describe_account_assignment_deletion_status(
        InstanceArn=INSTANCE, AccountAssignmentDeletionRequestId=deletion["RequestId"]
    )["AccountAssignmentDeletionStatus"]
    assert status["RequestId"] == deletion["RequestId"], status
    seen["deletion_created_date_type"] = type(status.get("CreatedDate")).__name__

    appstream = client("appstream", url)
    stacks = [s["Name"] for s in appstream.describe_stacks()["Stacks"]]
    assert len(stacks) == 3, stacks
    seen["stacks"] = stacks
    seen["stack_created_time_type"] = type(appstream.describe_stacks()["Stacks"][0].get("CreatedTime")).__name__
    associations = appstream.describe_user_stack_associations(UserName=LEAVER, AuthenticationType="USERPOOL")[
        "UserStackAssociations"
    ]
    assert associations, "the leaver has AppStream stacks in the example org"
    result = appstream.batch_disassociate_user_stack(
        UserStackAssociations=[
            {"StackName": associations[0]["StackName"], "UserName": LEAVER, "AuthenticationType": "USERPOOL"},
            {"StackName": "no-such-stack", "UserName": LEAVER, "AuthenticationType": "USERPOOL"},
        ]
    )
    codes = [e["ErrorCode"] for e in result.get("errors", [])]
    assert codes == ["STACK_NOT_FOUND"], result
    seen["appstream_item_errors"] = codes
    left = appstream.describe_user_stack_associations(UserName=LEAVER, AuthenticationType="USERPOOL")[
        "UserStackAssociations"
    ]
    assert len(left) == len(associations) - 1, left

    kendra = client("kendra", url)
    personas = kendra.list_entity_personas(IndexId=INDEX, Id="support-portal")["SummaryItems"]
    assert any(p["EntityId"] == user_id for p in personas), personas
    failed = kendra.disassociate_personas_from_entities(IndexId=INDEX, Id="support-portal", EntityIds=[user_id])
    assert not failed.get("FailedEntityList"), failed
    mapping = kendra.describe_principal_mapping(IndexId=INDEX, DataSourceId="confluence-wiki", GroupId="summer-interns")
    assert mapping["GroupId"] == "summer-interns", mapping
    kendra.delete_principal_mapping(
        IndexId=INDEX, DataSourceId="confluence-wiki", GroupId="summer-interns", OrderingId=32535158400000
    )
    after = kendra.describe_principal_mapping(IndexId=INDEX, DataSourceId="confluence-wiki", GroupId="summer-interns")
    statuses = [s["Status"] for s in after["GroupOrderingIdSummaries"]]
    assert statuses and statuses[-1] in ("DELETING", "DELETED"), statuses
    seen["mapping_statuses"] = statuses

    # botocore's own validation and the sandbox's agree on a bad request: a 26-item batch is
    # refused client-side by botocore, so send an out-of-range value the sandbox must refuse.
    try:
        kendra.list_entity_personas(IndexId="too-short", Id="support-portal")
        raise AssertionError("a 9-character index id must be refused")
    except botocore.exceptions.ParamValidationError:
        seen["bad_index_refused_by"] = "botocore"
    except kendra.exceptions.ValidationException:
        seen["bad_index_refused_by"] = "sandbox"

    print(json.dumps(seen, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
