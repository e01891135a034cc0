"""The media bucket: multipart uploads, staged chunks, presigned PUTs, merges, streaming reads and file transfers."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import accelerated_s3_client, client, error_code
from reelstack.errors import DependencyFailed, NotFound

CHUNK_CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class PresignedPut:
    url: str
    headers: dict[str, str]


@dataclass(frozen=True)
class StoredPart:
    part_number: int
    size: int
    etag: str


@dataclass(frozen=True)
class RestoreState:
    storage_class: str
    requested: bool  # a restore was asked for (in progress or done)
    restored: bool  # a restored copy can be read now

    @property
    def readable(self) -> bool:
        return self.storage_class not in ARCHIVE_CLASSES or self.restored


ARCHIVE_CLASSES = frozenset({"GLACIER", "DEEP_ARCHIVE"})


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str
    storage_class: str = "STANDARD"
    last_modified: datetime | None = None  # a copy onto itself (a class change) resets it


def _required_headers(url: str, size: int, content_type: str, checksum: str | None) -> dict[str, str]:
    """Exactly the headers the client must send: every signed header but host, plus Content-Type."""
    signed = parse_qs(urlsplit(url).query).get("X-Amz-SignedHeaders", [""])[0].split(";")
    values = {"content-length": str(size), "content-type": content_type}
    if checksum is not None:
        values["x-amz-checksum-sha256"] = checksum
    headers = {"Content-Type": content_type}
    for name in signed:
        if name == "content-length":
            headers["Content-Length"] = values[name]
        elif name in values and name != "content-type":
            headers[name] = values[name]
    return headers


class MediaStorage:
    """S3 operations on one bucket; SDK errors become domain errors.

    With `accelerate`, the presigned PUTs clients upload chunks to name S3 Transfer Acceleration's
    endpoint (the bucket must have it enabled: the template's TransferAcceleration parameter); every
    other call goes to the regional endpoint as before.
    """

    def __init__(self, bucket: str, s3: Any = None, accelerate: bool = False, presigner: Any = None) -> None:
        self.bucket = bucket
        self._s3 = s3
        self.accelerate = accelerate
        self._presigner = presigner

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = client("s3")
        return self._s3

    @property
    def presigner(self) -> Any:
        """The client that signs upload URLs: the accelerated one when asked for, else `s3`."""
        if self._presigner is None:
            self._presigner = accelerated_s3_client() if self.accelerate else self.s3
        return self._presigner

    def _call(self, operation: str, **params: Any) -> Any:
        try:
            return getattr(self.s3, operation)(Bucket=self.bucket, **params)
        except ClientError as exc:
            code = error_code(exc)
            if code in {"NoSuchUpload", "NoSuchKey", "404", "NotFound"}:
                # The S3 code stays in the exception chain (logged), out of any answer.
                raise NotFound("the stored object does not exist", code="storage_not_found") from exc
            raise DependencyFailed(f"S3 {operation} failed: {code or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"S3 {operation} failed: {exc}") from exc

    # -- multipart uploads -------------------------------------------------------------------------
    def create_multipart_upload(self, key: str, content_type: str) -> str:
        return str(self._call("create_multipart_upload", Key=key, ContentType=content_type)["UploadId"])

    def presign_part(
        self, key: str, s3_upload_id: str, part_number: int, size: int, checksum: str | None, expires_in: int
    ) -> PresignedPut:
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "UploadId": s3_upload_id,
            "PartNumber": part_number,
            "ContentLength": size,
        }
        if checksum is not None:
            params["ChecksumSHA256"] = checksum
        url = self.presigner.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires_in)
        return PresignedPut(url=url, headers=_required_headers(url, size, CHUNK_CONTENT_TYPE, checksum))

    def list_parts(self, key: str, s3_upload_id: str) -> dict[int, StoredPart]:
        parts: dict[int, StoredPart] = {}
        marker = 0
        while True:
            page = self._call(
                "list_parts", Key=key, UploadId=s3_upload_id, PartNumberMarker=marker, MaxParts=1000
            )
            for part in page.get("Parts", []):
                number = int(part["PartNumber"])
                parts[number] = StoredPart(number, int(part["Size"]), str(part["ETag"]))
            if not page.get("IsTruncated"):
                return parts
            marker = int(page["NextPartNumberMarker"])

    def upload_part(self, key: str, s3_upload_id: str, part_number: int, body: bytes) -> str:
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        response = self._call(
            "upload_part",
            Key=key,
            UploadId=s3_upload_id,
            PartNumber=part_number,
            Body=body,
            ChecksumSHA256=digest,
        )
        return str(response["ETag"])

    def complete_multipart_upload(self, key: str, s3_upload_id: str, parts: list[StoredPart]) -> str:
        manifest = {
            "Parts": [{"PartNumber": p.part_number, "ETag": p.etag} for p in sorted(parts, key=_number)]
        }
        response = self._call(
            "complete_multipart_upload", Key=key, UploadId=s3_upload_id, MultipartUpload=manifest
        )
        return str(response.get("ETag", ""))

    def abort_multipart_upload(self, key: str, s3_upload_id: str) -> None:
        try:
            self._call("abort_multipart_upload", Key=key, UploadId=s3_upload_id)
        except NotFound:
            return  # already aborted or completed: nothing left to free

    # -- staged chunks and plain objects -----------------------------------------------------------
    def presign_put(
        self,
        key: str,
        size: int,
        checksum: str | None,
        expires_in: int,
        content_type: str = CHUNK_CONTENT_TYPE,
    ) -> PresignedPut:
        """A PUT of exactly `size` bytes of `content_type` (both signed: another length or type is
        refused by S3), with the SHA-256 it must match when `checksum` is given."""
        params: dict[str, Any] = {
            "Bucket": self.bucket,
            "Key": key,
            "ContentLength": size,
            "ContentType": content_type,
        }
        if checksum is not None:
            params["ChecksumSHA256"] = checksum
        url = self.presigner.generate_presigned_url("put_object", Params=params, ExpiresIn=expires_in)
        return PresignedPut(url=url, headers=_required_headers(url, size, content_type, checksum))

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        objects: list[ObjectInfo] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Prefix": prefix}
            if token:
                params["ContinuationToken"] = token
            page = self._call("list_objects_v2", **params)
            objects.extend(
                ObjectInfo(
                    o["Key"],
                    int(o["Size"]),
                    str(o["ETag"]),
                    str(o.get("StorageClass") or "STANDARD"),
                    o.get("LastModified"),
                )
                for o in page.get("Contents", [])
            )
            if not page.get("IsTruncated"):
                return objects
            token = page["NextContinuationToken"]

    def delete_prefix(self, prefix: str) -> int:
        keys = [o.key for o in self.list_objects(prefix)]
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            response = self._call("delete_objects", Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise DependencyFailed(
                    f"{len(response['Errors'])} objects under {prefix} were not deleted "
                    f"(first: {first.get('Key')}: {first.get('Code')})"
                )
        return len(keys)

    def head(self, key: str) -> ObjectInfo | None:
        try:
            response = self._call("head_object", Key=key)
        except NotFound:
            return None
        return ObjectInfo(key, int(response["ContentLength"]), str(response["ETag"]))

    def read_chunks(self, key: str, chunk_size: int = 8 * 1024 * 1024) -> Iterator[bytes]:
        """Stream an object in bounded chunks (memory stays at one chunk)."""
        body = self._call("get_object", Key=key)["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def read(self, key: str) -> bytes:
        return b"".join(self.read_chunks(key))

    def read_dated(self, key: str) -> tuple[bytes, datetime | None]:
        """A small object's bytes and the LastModified of that very version (one GET)."""
        response = self._call("get_object", Key=key)
        body = response["Body"]
        try:
            return body.read(), response.get("LastModified")
        finally:
            body.close()

    def download_to(self, key: str, path: str) -> int:
        """Stream an object into a local file (one chunk in memory); no partial file is left on failure."""
        size = 0
        try:
            with open(path, "wb") as file:
                for chunk in self.read_chunks(key):
                    file.write(chunk)
                    size += len(chunk)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            raise
        return size

    def upload_file(
        self,
        key: str,
        path: str,
        content_type: str,
        cache_control: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """Stream a local file to `key` (multipart when large), with its Content-Type and Cache-Control,
        and `tags` set by the same request (an overwritten object is never seen untagged)."""
        extra = {"ContentType": content_type}
        if cache_control is not None:
            extra["CacheControl"] = cache_control
        if tags:
            extra["Tagging"] = urlencode(tags)
        try:
            self.s3.upload_file(path, self.bucket, key, ExtraArgs=extra)
        except S3UploadFailedError as exc:
            raise DependencyFailed(f"S3 upload of {key} failed: {exc}") from exc
        except ClientError as exc:
            raise DependencyFailed(f"S3 upload of {key} failed: {error_code(exc) or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"S3 upload of {key} failed: {exc}") from exc

    def tag_prefix(self, prefix: str, tags: dict[str, str], parallelism: int = 16) -> int:
        """Set `tags` on every object under `prefix` (replacing their tag sets); the count tagged."""
        tag_set = {"TagSet": [{"Key": key, "Value": value} for key, value in tags.items()]}
        keys = [obj.key for obj in self.list_objects(prefix)]
        with ThreadPoolExecutor(max_workers=max(1, min(parallelism, len(keys)))) as pool:
            list(pool.map(lambda key: self._call("put_object_tagging", Key=key, Tagging=tag_set), keys))
        return len(keys)

    def copy(self, source_key: str, target_key: str) -> None:
        """Server-side copy (multipart beyond 5 GB), keeping the content type."""
        try:
            self.s3.copy({"Bucket": self.bucket, "Key": source_key}, self.bucket, target_key)
        except ClientError as exc:
            raise DependencyFailed(f"S3 copy failed: {error_code(exc) or exc}") from exc

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=key)

    def put_bytes(
        self,
        key: str,
        body: bytes,
        content_type: str,
        cache_control: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        """A small object (a report, a playlist) in one PUT, tagged by that PUT when `tags` are given."""
        extra: dict[str, str] = {}
        if cache_control is not None:
            extra["CacheControl"] = cache_control
        if tags:
            extra["Tagging"] = urlencode(tags)
        self._call("put_object", Key=key, Body=body, ContentType=content_type, **extra)

    # -- storage classes and restores ------------------------------------------------------------------
    def set_storage_class(self, key: str, storage_class: str) -> None:
        """Copy an object onto itself in `storage_class`: key, content type, metadata and tags stay.
        (Objects over 5 GB would need a multipart copy; renditions and segments are far smaller.)"""
        self._call(
            "copy_object",
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            StorageClass=storage_class,
            MetadataDirective="COPY",
            TaggingDirective="COPY",
        )

    def restore_state(self, key: str) -> RestoreState:
        """Where an object stands: its class, and for an archived one whether it can be read now."""
        response = self._call("head_object", Key=key)
        restore = str(response.get("Restore") or "")
        return RestoreState(
            storage_class=str(response.get("StorageClass") or "STANDARD"),
            requested='ongoing-request="' in restore,
            restored='ongoing-request="false"' in restore,
        )

    def request_restore(self, key: str, days: int, tier: str) -> None:
        """Ask S3 to restore an archived object for `days` (a repeated ask is not an error)."""
        try:
            self.s3.restore_object(
                Bucket=self.bucket,
                Key=key,
                RestoreRequest={"Days": days, "GlacierJobParameters": {"Tier": tier}},
            )
        except ClientError as exc:
            if error_code(exc) == "RestoreAlreadyInProgress":
                return
            raise DependencyFailed(f"S3 restore of {key} failed: {error_code(exc) or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"S3 restore of {key} failed: {exc}") from exc


def _number(part: StoredPart) -> int:
    return part.part_number
