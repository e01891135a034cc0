"""CloudFront distributions in front of a bucket, served locally by the S3 endpoint itself.

A distribution whose default behaviour targets an S3 origin answers `GetAtt <Distribution>.DomainName`
with `<local AWS host:port>/_cdn/<bucket><origin path>`, served by `cdn.LocalCdn`: the same relative
paths (HLS playlists, segments) resolve against it as against `https://<id>.cloudfront.net/`.
A distribution whose default behaviour trusts key groups is served under `/_cdn-signed/` instead, to
signed requests only (`trusted_keys` gives the local CDN the keys). Caching is not reproduced.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa

from reelstack_tools.localcloud.cdn import cdn_path
from reelstack_tools.localcloud.cdn_signing import load_public_key
from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource

_S3_HOST_MARKERS = (".s3.", ".s3-")


class UnservableDistribution(ValueError):
    """The distribution's default origin is not an S3 bucket."""


def bucket_of_origin(domain_name: str) -> str:
    """`bucket.s3.us-east-1.amazonaws.com` (or `bucket.s3.amazonaws.com`) -> `bucket`."""
    for marker in _S3_HOST_MARKERS:
        if marker in domain_name:
            return domain_name.split(marker, 1)[0]
    raise UnservableDistribution(f"origin {domain_name} is not an S3 bucket")


def serve_distribution(stack: Stack, clients: Clients, resource: Resource) -> None:
    config = stack.properties(resource.logical_id)["DistributionConfig"]
    target = config["DefaultCacheBehavior"]["TargetOriginId"]
    (origin,) = [o for o in config["Origins"] if o["Id"] == target]
    bucket = bucket_of_origin(str(origin["DomainName"]))
    origin_path = str(origin.get("OriginPath") or "").rstrip("/")
    host = urlsplit(stack.naming.aws_endpoint).netloc
    signed = bool(config["DefaultCacheBehavior"].get("TrustedKeyGroups"))
    stack.record(
        resource.logical_id,
        DomainName=f"{host}{cdn_path(bucket, origin_path, signed=signed)}",
        Id=stack.physical_name(resource.logical_id),
    )


def trusted_keys(stack: Stack) -> dict[str, rsa.RSAPublicKey]:
    """Key pair id (a public key's Ref, its id in AWS) -> the key, for every key in an active key group."""
    in_groups = {
        str(item)
        for group in stack.resources("AWS::CloudFront::KeyGroup")
        for item in stack.properties(group.logical_id)["KeyGroupConfig"]["Items"]
    }
    keys: dict[str, rsa.RSAPublicKey] = {}
    for resource in stack.resources("AWS::CloudFront::PublicKey"):
        key_id = str(stack.ref(resource.logical_id))
        if key_id in in_groups:
            encoded = stack.properties(resource.logical_id)["PublicKeyConfig"]["EncodedKey"]
            keys[key_id] = load_public_key(str(encoded))
    return keys
