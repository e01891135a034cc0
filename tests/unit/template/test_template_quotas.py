"""Per-user quotas and the per-address cap in the template: the API function is given the upload quota
and the rate limits, the uploads table has the sparse index the quota counts with, and a WAF web ACL
with a rate-based rule guards the API's stage."""

from __future__ import annotations

from typing import Any

from template_support import resources_of_type

from reelstack.settings import UploadLimits

WEB_ACL = "AWS::WAFv2::WebACL"
ASSOCIATION = "AWS::WAFv2::WebACLAssociation"


def _api_environment(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"])


def test_the_quota_parameters_reach_the_api_function(template: dict[str, Any]) -> None:
    # GIVEN the template's parameters WHEN the API function's environment is read
    environment = _api_environment(template)
    # THEN the upload quota and the rate limits are the parameters
    assert environment["MAX_OPEN_UPLOADS"] == {"Ref": "MaxOpenUploads"}
    assert environment["MAX_UPLOAD_BYTES_IN_FLIGHT"] == {"Ref": "MaxUploadBytesInFlight"}
    assert environment["RATE_LIMITS"] == {"Ref": "RateLimits"}
    # AND their defaults are the settings' own (a deployment and a bare UploadLimits agree)
    parameters = template["Parameters"]
    limits = UploadLimits()
    assert int(parameters["MaxOpenUploads"]["Default"]) == limits.max_open_uploads
    assert int(parameters["MaxUploadBytesInFlight"]["Default"]) == limits.max_upload_bytes_in_flight
    # AND the bytes in flight leave room for at least one upload of the largest size
    assert int(parameters["MaxUploadBytesInFlight"]["Default"]) >= int(
        parameters["MaxUploadBytes"]["Default"]
    )


def test_the_uploads_table_indexes_open_uploads_by_owner_and_expiry(template: dict[str, Any]) -> None:
    # GIVEN the uploads table WHEN its open-owner index is read
    table = template["Resources"]["UploadsTable"]["Properties"]
    indexes = {index["IndexName"]: index for index in table["GlobalSecondaryIndexes"]}
    index = indexes["open-owner-index"]
    # THEN it is keyed as the PynamoDB model queries it and carries the declared size, nothing more
    from reelstack.adapters.tables import OpenOwnerIndex

    assert index["KeySchema"] == [
        {"AttributeName": "open_owner", "KeyType": "HASH"},
        {"AttributeName": "expires_at", "KeyType": "RANGE"},
    ]
    assert OpenOwnerIndex.Meta.index_name == "open-owner-index"
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["size"]}


def test_a_web_acl_with_a_per_ip_rate_rule_guards_the_api(template: dict[str, Any]) -> None:
    # GIVEN the template WHEN its WAF web ACLs are read
    acls = resources_of_type(template, WEB_ACL)
    assert sorted(acls) == ["ApiWebAcl", "PlaybackWebAcl"]  # the playback CDN's: test_template_delivery
    acl = acls["ApiWebAcl"]["Properties"]
    # THEN it is regional (API Gateway's kind), allows by default and has a rate-based rule per IP
    # whose limit is the parameter, blocking with 429
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in acl["Rules"]}
    rate = rules["per-ip-rate"]
    assert rate["Statement"]["RateBasedStatement"] == {
        "Limit": {"Ref": "ApiRequestsPerIpPer5Min"},
        "EvaluationWindowSec": 300,
        "AggregateKeyType": "IP",
    }
    assert rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    # AND the AWS common rule set follows it, its body size rule only counting (the app caps bodies)
    common = rules["aws-common-rules"]["Statement"]["ManagedRuleGroupStatement"]
    assert (common["VendorName"], common["Name"]) == ("AWS", "AWSManagedRulesCommonRuleSet")
    assert {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}} in common["RuleActionOverrides"]
    assert sorted(rule["Priority"] for rule in acl["Rules"]) == list(range(len(rules)))


def test_the_web_acl_is_associated_with_the_api_stage_sam_generates(transformed: dict[str, Any]) -> None:
    # GIVEN the transformed template (the stage exists only once SAM generated it)
    resources = transformed["Resources"]
    stages = [name for name, resource in resources.items() if resource["Type"] == "AWS::ApiGateway::Stage"]
    assert len(stages) == 1
    # WHEN the ACL's association is read
    associations = [resource for resource in resources.values() if resource["Type"] == ASSOCIATION]
    assert len(associations) == 1
    properties = associations[0]["Properties"]
    # THEN it names the ACL and the ARN of that stage of the Api (a reference to the generated stage,
    # so CloudFormation creates the association after it, whatever the Stage parameter is)
    assert properties["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    assert properties["ResourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${Api}/stages/${"
        + stages[0]
        + "}"
    }
