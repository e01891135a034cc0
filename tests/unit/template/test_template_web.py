"""The web app in AWS: served by the playback distribution from web/ in the media bucket (beside media, which
keeps its behaviours), readable there by that distribution only, and signed in through the Cognito hosted
UI back to the app's URL; the outputs `reelstack web deploy` reads."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Any

from template_support import REPO_ROOT

from reelstack_tools.web_config import REQUIRED_OUTPUTS, SCOPE

SECURITY_HEADERS = "67f7725c-6f97-4210-82d7-5512b31e9d03"  # managed SecurityHeadersPolicy
CORS_AND_SECURITY_HEADERS = "eaab4381-ed33-4a86-88ca-d9558dc6cd63"  # managed CORS-with-preflight-and-...
MEDIA_KEYS = (
    "renditions/v1/master.m3u8",
    "renditions/v1/720/seg_00001.ts",
    "renditions/v1/poster.jpg",
    "avatars/u1.webp",
)


def _config(template: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"]["PlaybackDistribution"]["Properties"]["DistributionConfig"]


def _web_behaviours(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["PathPattern"]: b for b in _config(template)["CacheBehaviors"] if b["TargetOriginId"] == "web"}


def _policy(template: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    return template["Resources"][ref["Ref"]]["Properties"]["CachePolicyConfig"]


def test_the_app_is_a_second_origin_on_the_same_bucket_under_web(template: dict[str, Any]) -> None:
    """GIVEN the playback distribution WHEN its origins are read
    THEN `web` is the media bucket through the same origin access control, under /web, and the root URL
    reads the app's page, while the default behaviour still serves media from the media origin."""
    config = _config(template)
    origins = {origin["Id"]: origin for origin in config["Origins"]}

    assert set(origins) == {"media", "web"}
    web, media = origins["web"], origins["media"]
    assert web["OriginPath"] == "/web"
    assert web["DomainName"] == media["DomainName"]
    assert web["OriginAccessControlId"] == media["OriginAccessControlId"]
    assert config["DefaultRootObject"] == "web/index.html"
    default = config["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "media"
    assert default["CachePolicyId"] == {"Ref": "ImmutableMediaCachePolicy"}
    # The page at `/` comes through the default behaviour: security headers, and CORS for players still.
    assert default["ResponseHeadersPolicyId"] == CORS_AND_SECURITY_HEADERS


def test_the_apps_paths_go_to_the_web_origin_with_their_caching(template: dict[str, Any]) -> None:
    """GIVEN the web behaviours WHEN read THEN hashed assets are cached a year, the page, config.json and
    the icon seconds at most (revalidated); all HTTPS, GET/HEAD only, with the security headers."""
    behaviours = _web_behaviours(template)
    assets = _policy(template, behaviours["/assets/*"]["CachePolicyId"])

    assert assets["DefaultTTL"] == assets["MaxTTL"] == 365 * 24 * 3600
    for pattern in ("/index.html", "/config.json", "/favicon.svg"):
        policy = _policy(template, behaviours[pattern]["CachePolicyId"])
        assert policy["MinTTL"] == 0 and policy["MaxTTL"] <= 60, pattern
    for pattern, behaviour in behaviours.items():
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https", pattern
        assert behaviour["AllowedMethods"] == ["GET", "HEAD"], pattern
        assert behaviour["ResponseHeadersPolicyId"] == SECURITY_HEADERS, pattern


def test_every_top_level_file_of_the_app_is_routed_and_no_media_path_is(template: dict[str, Any]) -> None:
    """GIVEN web/public (copied to the top of the build by Vite), the page and config.json
    WHEN matched against the web behaviours THEN each has one (a file added to web/public needs its
    behaviour here, or it would be asked of the media origin), and no media key matches any."""
    patterns = [pattern.lstrip("/") for pattern in _web_behaviours(template)]
    public = [path.name for path in (REPO_ROOT / "web" / "public").iterdir() if path.is_file()]

    for name in [*public, "index.html", "config.json", "assets/index-CjxBTJFD.js"]:
        assert any(fnmatchcase(name, pattern) for pattern in patterns), f"{name} is not routed to the app"
    for key in MEDIA_KEYS:
        assert not any(fnmatchcase(key, pattern) for pattern in patterns), key


def test_the_distribution_reads_the_web_prefix_and_nothing_more(template: dict[str, Any]) -> None:
    """GIVEN the media bucket policy WHEN its statements for the playback distribution are read
    THEN the app's statement grants GetObject on web/* only, and the media statement still only objects
    tagged public under renditions/ and avatars/."""
    statements = template["Resources"]["MediaBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    by_sid = {s.get("Sid"): s for s in statements if "Sid" in s}
    web, media = by_sid["WebAppThroughCloudFront"], by_sid["PlaybackThroughCloudFront"]

    assert web["Effect"] == "Allow" and web["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert web["Action"] == "s3:GetObject"
    assert web["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/web/*"}
    # the same distribution as media, and no tag condition (the app's files are public)
    assert web["Condition"] == {
        "StringEquals": {"AWS:SourceArn": media["Condition"]["StringEquals"]["AWS:SourceArn"]}
    }
    assert media["Resource"] == [
        {"Fn::Sub": "${MediaBucket.Arn}/renditions/*"},
        {"Fn::Sub": "${MediaBucket.Arn}/avatars/*"},
    ]
    assert media["Condition"]["StringEquals"]["s3:ExistingObjectTag/visibility"] == "public"


def test_the_app_client_signs_in_through_the_hosted_ui_back_to_the_app(template: dict[str, Any]) -> None:
    """GIVEN the app client and the outputs WHEN read THEN the client allows the code flow (PKCE: a public
    client) with the scopes config.json asks for, back to the app's URL, and keeps SRP for apps."""
    client = template["Resources"]["UserPoolClient"]["Properties"]
    app_url = template["Outputs"]["WebAppUrl"]["Value"]

    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthScopes"] == SCOPE.split()
    assert client["CallbackURLs"] == client["LogoutURLs"] == [app_url]
    condition, custom, default = app_url["Fn::If"]
    assert condition == "HasPlaybackCertificate"
    # web/src/auth.ts: redirect_uri and logout_uri are the page's origin and "/"
    assert custom == {"Fn::Sub": "https://${PlaybackDomainName}/"}
    assert default == {"Fn::Sub": "https://${PlaybackDistribution.DomainName}/"}
    assert client["GenerateSecret"] is False
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    assert set(client["ExplicitAuthFlows"]) == {"ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}


def test_the_hosted_ui_has_a_domain_by_stage_and_account_unless_named(template: dict[str, Any]) -> None:
    """GIVEN the user pool's domain WHEN read THEN its prefix is the parameter, or reelstack-<Stage>-<account>,
    which the parameter's own pattern accepts; the SignInUrl output is that domain's hosted UI."""
    domain = template["Resources"]["UserPoolDomain"]["Properties"]
    parameter = template["Parameters"]["SignInDomainPrefix"]

    assert domain["UserPoolId"] == {"Ref": "UserPool"}
    assert domain["Domain"] == {
        "Fn::If": [
            "HasSignInDomainPrefix",
            {"Ref": "SignInDomainPrefix"},
            {"Fn::Sub": "reelstack-${Stage}-${AWS::AccountId}"},
        ]
    }
    assert parameter["Default"] == ""
    for prefix in ("", "reelstack-dev-123456789012", "my-app"):
        assert re.fullmatch(parameter["AllowedPattern"], prefix), prefix
    for prefix in ("-app", "app-", "My-App", "app.example"):
        assert not re.fullmatch(parameter["AllowedPattern"], prefix), prefix
    assert template["Outputs"]["SignInUrl"]["Value"] == {
        "Fn::Sub": "https://${UserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"
    }


def test_the_outputs_the_web_deploy_reads_are_there(template: dict[str, Any]) -> None:
    """GIVEN the template's outputs WHEN compared with what `reelstack web deploy` reads THEN none is missing."""
    assert set(REQUIRED_OUTPUTS) <= set(template["Outputs"])
    assert template["Outputs"]["PlaybackDistributionId"]["Value"] == {"Ref": "PlaybackDistribution"}
    assert template["Outputs"]["MediaBucketName"]["Value"] == {"Ref": "MediaBucket"}
