"""`reelstack web deploy --stack NAME` end to end against moto (S3, CloudFront, CloudFormation in process):
the build lands under web/ with its headers and config.json, earlier builds are retired then deleted, and
the page is invalidated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from reelstack_tools.cli import main
from reelstack_tools.web_deploy import WebDeployer
from reelstack_tools.web_release import RETIRED_TAG

REGION = "us-east-1"
STACK = "reelstack-test"
SIGN_IN = "https://reelstack-test-123456789012.auth.us-east-1.amazoncognito.com"
API_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/test/"


@dataclass(frozen=True)
class Deployed:
    s3: Any
    cloudfront: Any
    bucket: str
    distribution_id: str
    app_url: str

    def object(self, key: str) -> dict[str, Any]:
        return dict(self.s3.get_object(Bucket=self.bucket, Key=key))

    def web_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="web/").get("Contents", [])
        return sorted(item["Key"] for item in listed)

    def tags(self, key: str) -> dict[str, str]:
        tags = self.s3.get_object_tagging(Bucket=self.bucket, Key=key)["TagSet"]
        return {tag["Key"]: tag["Value"] for tag in tags}

    def invalidated_paths(self) -> list[list[str]]:
        listed = self.cloudfront.list_invalidations(DistributionId=self.distribution_id)
        batches = []
        for item in listed["InvalidationList"].get("Items", []):
            got = self.cloudfront.get_invalidation(DistributionId=self.distribution_id, Id=item["Id"])
            batches.append(sorted(got["Invalidation"]["InvalidationBatch"]["Paths"]["Items"]))
        return batches


def _distribution(cloudfront: Any, bucket: str) -> dict[str, Any]:
    origin = {"Id": "media", "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com"}
    created = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "reelstack-test",
            "Comment": "playback and the web app",
            "Enabled": True,
            "DefaultRootObject": "web/index.html",
            "Origins": {"Quantity": 1, "Items": [origin | {"S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "media", "ViewerProtocolPolicy": "redirect-to-https"},
        }
    )
    return dict(created["Distribution"])


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Deployed]:
    """A stack in moto's CloudFormation holding the media bucket, with the outputs the deploy reads, and
    the playback distribution (which moto's CloudFormation does not create) named by one of them."""
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        cloudfront = boto3.client("cloudfront", region_name=REGION)
        cloudformation = boto3.client("cloudformation", region_name=REGION)
        bucket = f"reelstack-media-test-{REGION}"
        distribution = _distribution(cloudfront, bucket)
        app_url = f"https://{distribution['DomainName']}/"
        outputs = {
            "Stage": "test",
            "ApiUrl": API_URL,
            "SignInUrl": SIGN_IN,
            "UserPoolClientId": "testclient123",
            "MediaBucketName": {"Ref": "MediaBucket"},
            "PlaybackDistributionId": distribution["Id"],
            "WebAppUrl": app_url,
        }
        template = {
            "Resources": {"MediaBucket": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": bucket}}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }
        cloudformation.create_stack(StackName=STACK, TemplateBody=json.dumps(template))
        yield Deployed(s3, cloudfront, bucket, distribution["Id"], app_url)


def build(dist: Path, version: str) -> Path:
    """A Vite-like build whose hashed files are named after `version`."""
    (dist / "assets").mkdir(parents=True, exist_ok=True)
    for old in (dist / "assets").iterdir():
        old.unlink()
    (dist / "index.html").write_text(f'<script type="module" src="/assets/index-{version}.js"></script>')
    (dist / "assets" / f"index-{version}.js").write_text(f"import('/assets/hls-{version}.js')")
    (dist / "assets" / f"hls-{version}.js").write_text("export default 1")
    (dist / "favicon.svg").write_text("<svg/>")
    (dist / ".built").write_text("")
    return dist


def deploy(dist: Path, *extra: str) -> int:
    return main(["web", "deploy", "--stack", STACK, "--region", REGION, "--dist", str(dist), *extra])


def test_the_build_and_its_config_go_up_with_their_headers(
    stack: Deployed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a built app and a deployed stack
    dist = build(tmp_path / "dist", "AAAA1111")
    # WHEN it is deployed to the stack
    code = deploy(dist)
    out = capsys.readouterr().out
    # THEN every file of the build (not its stamp) and config.json are under web/
    assert code == 0, out
    assert stack.web_keys() == [
        "web/assets/hls-AAAA1111.js",
        "web/assets/index-AAAA1111.js",
        "web/config.json",
        "web/favicon.svg",
        "web/index.html",
    ]
    # AND the hashed assets are immutable for a year, the page and config.json revalidated
    asset = stack.object("web/assets/index-AAAA1111.js")
    assert (asset["ContentType"], asset["CacheControl"]) == (
        "text/javascript; charset=utf-8",
        "public, max-age=31536000, immutable",
    )
    page = stack.object("web/index.html")
    assert (page["ContentType"], page["CacheControl"]) == ("text/html; charset=utf-8", "no-cache")
    assert page["Body"].read() == (dist / "index.html").read_bytes()
    # AND config.json names the stack's API stage and its hosted UI for the code flow
    config = stack.object("web/config.json")
    assert (config["ContentType"], config["CacheControl"]) == ("application/json", "no-cache")
    assert json.loads(config["Body"].read()) == {
        "stage": "test",
        "api_url": API_URL.rstrip("/"),
        "auth": {
            "provider": "cognito",
            "authorize_url": f"{SIGN_IN}/oauth2/authorize",
            "token_url": f"{SIGN_IN}/oauth2/token",
            "logout_url": f"{SIGN_IN}/logout",
            "client_id": "testclient123",
            "scope": "openid email profile",
        },
    }
    # AND the root, the page and the configuration are invalidated, and the app's URL is said
    assert stack.invalidated_paths() == [["/", "/config.json", "/index.html"]]
    assert stack.app_url in out


def test_earlier_builds_stay_a_while_then_go(stack: Deployed, tmp_path: Path) -> None:
    # GIVEN a first build deployed, then a second with other hashed names
    dist = tmp_path / "dist"
    assert deploy(build(dist, "AAAA1111")) == 0
    assert deploy(build(dist, "BBBB2222")) == 0
    # THEN the first build's assets are still there (pages opened before still load them), marked retired
    keys = stack.web_keys()
    assert {"web/assets/index-AAAA1111.js", "web/assets/hls-AAAA1111.js"} <= set(keys)
    assert RETIRED_TAG in stack.tags("web/assets/hls-AAAA1111.js")
    # AND the current build's are not marked
    assert RETIRED_TAG not in stack.tags("web/assets/hls-BBBB2222.js")
    # WHEN a third deploy keeps retired files 0 days
    assert deploy(build(dist, "CCCC3333"), "--keep-days", "0") == 0
    # THEN only the current build is left
    assert [key for key in stack.web_keys() if key.startswith("web/assets/")] == [
        "web/assets/hls-CCCC3333.js",
        "web/assets/index-CCCC3333.js",
    ]


def test_a_file_that_comes_back_loses_its_retired_mark(stack: Deployed, tmp_path: Path) -> None:
    # GIVEN build A, then B (A's files marked retired), then A again
    dist = tmp_path / "dist"
    for version in ("AAAA1111", "BBBB2222", "AAAA1111"):
        assert deploy(build(dist, version)) == 0
    # THEN A's files are current and unmarked, B's marked
    assert RETIRED_TAG not in stack.tags("web/assets/index-AAAA1111.js")
    assert RETIRED_TAG in stack.tags("web/assets/index-BBBB2222.js")


def test_the_page_is_written_after_every_file_it_names(stack: Deployed, tmp_path: Path) -> None:
    # GIVEN the deployer with moto's clients, its S3 writes recorded in order
    written: list[str] = []
    stack.s3.meta.events.register(
        "before-parameter-build.s3.PutObject", lambda params, **_: written.append(params["Key"])
    )
    deployer = WebDeployer(stack.s3, stack.cloudfront, stack.bucket, stack.distribution_id)
    # WHEN a build is released
    released = deployer.release(build(tmp_path / "dist", "AAAA1111"), {"stage": "test"}, timedelta(days=7))
    # THEN the assets went first and the page last
    assert written[:2] == ["web/assets/hls-AAAA1111.js", "web/assets/index-AAAA1111.js"]
    assert written[-1] == "web/index.html"
    assert released.uploaded == len(written) == 5


def test_missing_outputs_or_build_exit_1_saying_what_to_do(
    stack: Deployed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a stack deployed from a template without the web app's outputs
    older = boto3.client("cloudformation", region_name=REGION)
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}, "Outputs": {"Stage": {"Value": "old"}}}
    older.create_stack(StackName="reelstack-old", TemplateBody=json.dumps(template))
    dist = build(tmp_path / "dist", "AAAA1111")
    # WHEN the app is deployed to it THEN it fails naming the outputs and `sam deploy`
    code = main(["web", "deploy", "--stack", "reelstack-old", "--region", REGION, "--dist", str(dist)])
    assert code == 1
    assert "SignInUrl" in (err := capsys.readouterr().err) and "sam deploy" in err
    # AND an unbuilt app is refused with `make web`, nothing uploaded
    assert deploy(tmp_path / "nothing") == 1
    assert "make web" in capsys.readouterr().err
    assert stack.web_keys() == []
    # AND a stack that does not exist is an error
    assert main(["web", "deploy", "--stack", "no-such-stack", "--region", REGION]) == 1
