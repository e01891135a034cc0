"""Delivery: the playback CDN (three cache levels, a cache policy per kind of object, logs, WAF, TLS),
the signed path for held videos, Transfer Acceleration, and the scanner's skips each with a reason."""

from __future__ import annotations

import re
from typing import Any

from template_support import REPO_ROOT, resources_of_type

YEAR = 365 * 24 * 3600


def _config(template: dict[str, Any], name: str) -> dict[str, Any]:
    return template["Resources"][name]["Properties"]["DistributionConfig"]


def _cache_policy(template: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"][ref["Ref"]]["Properties"]["CachePolicyConfig"]


def test_playback_goes_edge_regional_shield_origin(template: dict[str, Any]) -> None:
    """GIVEN the playback distribution WHEN its media origin (the default behaviour's) is read
    THEN it is the media bucket through origin access control, behind Origin Shield in the stack's region."""
    config = _config(template, "PlaybackDistribution")
    (origin,) = [o for o in config["Origins"] if o["Id"] == config["DefaultCacheBehavior"]["TargetOriginId"]]

    assert "OriginPath" not in origin
    assert origin["DomainName"] == {"Fn::GetAtt": ["MediaBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["PlaybackOriginAccessControl", "Id"]}
    assert origin["OriginShield"] == {"Enabled": True, "OriginShieldRegion": {"Ref": "AWS::Region"}}


def test_media_files_are_cached_a_year_and_playlists_seconds(template: dict[str, Any]) -> None:
    """GIVEN the playback distribution's behaviours WHEN their cache policies are read
    THEN immutable media (the default) is kept a year, playlists (*.m3u8) at most a minute; neither
    puts cookies, headers or query strings in the cache key."""
    config = _config(template, "PlaybackDistribution")
    media = _cache_policy(template, config["DefaultCacheBehavior"]["CachePolicyId"])
    (playlists_behaviour,) = [b for b in config["CacheBehaviors"] if b["TargetOriginId"] == "media"]
    playlists = _cache_policy(template, playlists_behaviour["CachePolicyId"])

    assert media["DefaultTTL"] == media["MaxTTL"] == YEAR and media["MinTTL"] >= 86400
    assert playlists_behaviour["PathPattern"] == "*.m3u8"
    assert playlists["DefaultTTL"] <= 10 and playlists["MaxTTL"] <= 60 and playlists["MinTTL"] == 0
    for policy in (media, playlists):
        key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["CookiesConfig"] == {"CookieBehavior": "none"}
        assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
        assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_distributions_log_are_guarded_and_need_tls_on_a_custom_domain(template: dict[str, Any]) -> None:
    """GIVEN both distributions WHEN read THEN each logs to the logs bucket and has the playback web ACL
    (where CloudFront's ACLs exist); with a custom domain, the public one refuses TLS below 1.2."""
    for name in ("PlaybackDistribution", "PrivatePlaybackDistribution"):
        config = _config(template, name)
        assert config["Logging"]["Bucket"] == {"Fn::GetAtt": ["LogsBucket", "RegionalDomainName"]}
        assert config["WebACLId"] == {
            "Fn::If": ["InUsEast1", {"Fn::GetAtt": ["PlaybackWebAcl", "Arn"]}, {"Ref": "AWS::NoValue"}]
        }
    condition, custom, default = _config(template, "PlaybackDistribution")["ViewerCertificate"]["Fn::If"]
    assert condition == "HasPlaybackCertificate"
    assert custom["MinimumProtocolVersion"] == "TLSv1.2_2021" and custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}
    acl = template["Resources"]["PlaybackWebAcl"]["Properties"]
    assert acl["Scope"] == "CLOUDFRONT"
    assert {rule["Name"] for rule in acl["Rules"]} >= {"per-ip-rate", "aws-known-bad-inputs"}


def test_held_videos_are_served_only_through_signed_requests(template: dict[str, Any]) -> None:
    """GIVEN the private playback resources WHEN read
    THEN every behaviour of the private distribution trusts only the stack's key group, the bucket lets
    that distribution read renditions untagged, and the public distribution still only public objects."""
    resources = template["Resources"]
    config = _config(template, "PrivatePlaybackDistribution")
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    statements = resources["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    (public,) = [s for s in statements if s.get("Sid") == "PlaybackThroughCloudFront"]
    (signed,) = [s["Fn::If"] for s in statements if "Fn::If" in s]

    for name in ("PrivatePlaybackDistribution", "PlaybackKeyGroup", "PlaybackPublicKey"):
        assert resources[name]["Condition"] == "PrivatePlaybackEnabled"
    assert all(b["TrustedKeyGroups"] == [{"Ref": "PlaybackKeyGroup"}] for b in behaviours)
    assert all(b["ViewerProtocolPolicy"] == "https-only" for b in behaviours)
    assert public["Condition"]["StringEquals"]["s3:ExistingObjectTag/visibility"] == "public"
    assert signed[0] == "PrivatePlaybackEnabled" and signed[2] == {"Ref": "AWS::NoValue"}
    assert signed[1]["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/renditions/*"}
    assert "PrivatePlaybackDistribution" in signed[1]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]


def test_transfer_acceleration_is_one_parameter_off_by_default(template: dict[str, Any]) -> None:
    """GIVEN the TransferAcceleration parameter WHEN read with the bucket and the API's environment
    THEN it defaults to off, turns on the bucket's acceleration, and tells the API to presign through it."""
    bucket = template["Resources"]["MediaBucket"]["Properties"]
    environment = template["Resources"]["ApiFunction"]["Properties"]["Environment"]["Variables"]

    assert template["Parameters"]["TransferAcceleration"]["Default"] == "false"
    assert bucket["AccelerateConfiguration"] == {
        "Fn::If": ["TransferAccelerationEnabled", {"AccelerationStatus": "Enabled"}, {"Ref": "AWS::NoValue"}]
    }
    assert environment["S3_ACCELERATE"] == {"Ref": "TransferAcceleration"}


def test_every_queue_and_the_alarm_topic_declare_encryption(template: dict[str, Any]) -> None:
    """GIVEN every queue and topic WHEN read THEN each declares its encryption at rest: SSE-SQS for queues
    (S3 and EventBridge send to them), a key CloudWatch may use for the alarm topic."""
    for name, queue in resources_of_type(template, "AWS::SQS::Queue").items():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties, name
    for name, topic in resources_of_type(template, "AWS::SNS::Topic").items():
        assert "KmsMasterKeyId" in topic["Properties"], name
    key_policy = template["Resources"]["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
    assert any(s["Principal"] == {"Service": "cloudwatch.amazonaws.com"} for s in key_policy)


def test_every_skipped_scanner_check_has_its_reason_beside_it() -> None:
    """GIVEN .checkov.yaml WHEN its skip-check list is read THEN every check id has a comment right above it."""
    lines = (REPO_ROOT / ".checkov.yaml").read_text().splitlines()
    start = lines.index("skip-check:")
    skipped = 0
    for index in range(start + 1, len(lines)):
        match = re.match(r"^  - (CKV2?_[A-Z]+_\d+)\s*$", lines[index])
        if match:
            skipped += 1
            assert lines[index - 1].strip().startswith("#"), f"{match.group(1)} has no reason above it"
        elif lines[index] and not lines[index].startswith("  "):
            break
    assert skipped >= 1


def test_access_logs_of_the_api_buckets_and_search_domain(template: dict[str, Any]) -> None:
    """GIVEN the API, the media and lake buckets and the search domain WHEN read THEN each writes access or
    error logs: the API's stage after the account's logging role is set, the buckets to LogsBucket once its
    policy lets S3's log delivery write there."""
    resources = template["Resources"]
    api = resources["Api"]

    assert api["DependsOn"] == "ApiGatewayAccount"
    assert api["Properties"]["AccessLogSetting"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }
    for bucket in ("MediaBucket", "LakeBucket"):
        logging = resources[bucket]["Properties"]["LoggingConfiguration"]
        assert logging["DestinationBucketName"] == {"Ref": "LogsBucket"}, bucket
        depends_on = resources[bucket]["DependsOn"]
        assert "LogsBucketPolicy" in ([depends_on] if isinstance(depends_on, str) else depends_on), bucket
    options = resources["SearchDomain"]["Properties"]["LogPublishingOptions"]
    assert all(option["Enabled"] is True for option in options.values()) and "ES_APPLICATION_LOGS" in options
