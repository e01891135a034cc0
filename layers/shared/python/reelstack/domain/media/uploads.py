"""Chunked, resumable uploads: validating what a client declares, planning chunks, checking what arrived.

Chunks of at least 5 MiB are S3 multipart parts (S3's own minimum part size); smaller chunks (down to
256 KiB, 1 MiB by default for weak networks) are staged as objects and coalesced by the merge function.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reelstack.domain.request_input import BODY_OVERHEAD, text_body_cap
from reelstack.domain.text import canonical_content_type, clean_text
from reelstack.errors import InvalidRequest, TooLarge
from reelstack.settings import UploadLimits

MiB = 1024 * 1024
S3_MIN_PART_SIZE = 5 * MiB
S3_MAX_PARTS = 10_000
MAX_PARTS_PER_REQUEST = 1_000
MAX_FILENAME_LENGTH = 255
MAX_TAG_LENGTH = 50
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")
# One part in a presign body at its longest: a part number (5 digits) and ", " in `part_numbers`,
# `"10000": "<44 base64 characters>", ` in `checksums`: 64 bytes compact. Twice that leaves room for
# any pretty-printing (a line and its indentation per value): 1,000 parts fit in ~127 KiB.
PART_REQUEST_BYTES_PER_PART = 128


def open_upload_body_cap(limits: UploadLimits) -> int:
    """`POST /uploads`: filename, title and every tag at their longest (+ quotes and commas)."""
    text_chars = MAX_FILENAME_LENGTH + limits.max_title_length + limits.max_tags * (MAX_TAG_LENGTH + 3)
    return text_body_cap(text_chars)


PART_REQUEST_BODY_CAP = BODY_OVERHEAD + MAX_PARTS_PER_REQUEST * PART_REQUEST_BYTES_PER_PART


class UploadMode(StrEnum):
    MULTIPART = "multipart"  # every chunk is an S3 multipart part
    STAGED = "staged"  # every chunk is a staged object, coalesced at completion


class UploadStatus(StrEnum):
    OPEN = "OPEN"
    MERGING = "MERGING"
    COMPLETED = "COMPLETED"
    ABORTED = "ABORTED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class UploadRequest:
    """A validated `POST /uploads` body."""

    filename: str
    size: int
    content_type: str
    chunk_size: int
    chunk_count: int
    mode: UploadMode
    sha256: str | None
    title: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class UploadSession:
    """One upload as stored: what was declared, how it is chunked, and where it stands."""

    upload_id: str
    video_id: str
    owner: str
    filename: str
    size: int
    content_type: str
    chunk_size: int
    chunk_count: int
    mode: UploadMode
    status: UploadStatus
    created_at: str
    expires_at: str
    title: str
    tags: tuple[str, ...] = ()
    sha256: str | None = None
    s3_upload_id: str | None = None
    assembly_key: str | None = None
    merge_started_at: str | None = None
    merge_invoked_at: str | None = None  # when the merge function last accepted it (None: never)
    failure: dict[str, str] | None = None

    @property
    def merged_by_s3(self) -> bool:
        """Multipart chunks without a declared whole-file hash: S3 merges them server-side at once."""
        return self.mode is UploadMode.MULTIPART and self.sha256 is None

    def expected_chunk_size(self, part_number: int) -> int:
        return expected_chunk_size(self.size, self.chunk_size, part_number)


@dataclass(frozen=True)
class ChunkCheck:
    """What arrived compared with what was declared."""

    received: tuple[int, ...]
    missing: tuple[int, ...]
    wrong_size: tuple[dict[str, int], ...] = field(default=())

    @property
    def complete(self) -> bool:
        return not self.missing and not self.wrong_size


@dataclass(frozen=True)
class PartRequest:
    """A validated `POST /uploads/{id}/parts` body: part numbers (deduplicated, in asked order)."""

    part_numbers: tuple[int, ...]
    checksums: Mapping[int, str]


def _require_int(body: Mapping[str, Any], name: str) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRequest(f"'{name}' must be an integer", code="invalid_field", field=name)
    return value


def _content_type_allowed(content_type: str, allowed: str) -> bool:
    """`content_type` is canonical (`type/subtype`, lower case)."""
    return any(fnmatch.fnmatchcase(content_type, pattern.strip().lower()) for pattern in allowed.split(","))


def chunk_count_for(size: int, chunk_size: int) -> int:
    return max(1, math.ceil(size / chunk_size))


def expected_chunk_size(size: int, chunk_size: int, part_number: int) -> int:
    count = chunk_count_for(size, chunk_size)
    if not 1 <= part_number <= count:
        raise InvalidRequest(f"part {part_number} is outside 1..{count}", code="invalid_part_number")
    return chunk_size if part_number < count else size - chunk_size * (count - 1)


def mode_for(chunk_size: int) -> UploadMode:
    return UploadMode.MULTIPART if chunk_size >= S3_MIN_PART_SIZE else UploadMode.STAGED


def _parse_tags(raw: Any, limits: UploadLimits) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidRequest("'tags' must be a list of strings", code="invalid_field", field="tags")
    # Counted before any tag is looked at: the work per request stays bounded whatever was sent.
    if len(raw) > limits.max_tags:
        raise InvalidRequest(
            f"at most {limits.max_tags} tags", code="too_many_tags", field="tags", max_tags=limits.max_tags
        )
    cleaned = (
        clean_text(tag.lower() if isinstance(tag, str) else tag, field="tags", max_length=MAX_TAG_LENGTH)
        for tag in raw
    )
    return tuple(dict.fromkeys(cleaned))  # de-duplicated, first occurrence's order


def parse_upload_request(body: Any, limits: UploadLimits) -> UploadRequest:
    """Validate a `POST /uploads` body against the upload policy; raise with a machine-readable code."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the body must be a JSON object", code="invalid_body")
    filename = clean_text(body.get("filename"), field="filename", max_length=MAX_FILENAME_LENGTH)
    size = _require_int(body, "size")
    if size <= 0:
        raise InvalidRequest("'size' must be positive", code="invalid_field", field="size")
    if size > limits.max_upload_bytes:
        raise TooLarge(
            f"{size} bytes exceeds the limit of {limits.max_upload_bytes} bytes",
            code="too_large",
            max_upload_bytes=limits.max_upload_bytes,
        )
    content_type = canonical_content_type(body.get("content_type"))
    if content_type is None or not _content_type_allowed(content_type, limits.allowed_content_types):
        raise InvalidRequest(
            f"the content type is not accepted (allowed: {limits.allowed_content_types})",
            code="unsupported_content_type",
        )
    chunk_size = (
        limits.default_chunk_size if body.get("chunk_size") is None else _require_int(body, "chunk_size")
    )
    if not limits.min_chunk_size <= chunk_size <= limits.max_chunk_size:
        raise InvalidRequest(
            f"'chunk_size' must be between {limits.min_chunk_size} and {limits.max_chunk_size} bytes",
            code="invalid_chunk_size",
        )
    chunk_count = chunk_count_for(size, chunk_size)
    max_chunks = min(limits.max_chunks, S3_MAX_PARTS)
    if chunk_count > max_chunks:
        raise InvalidRequest(
            f"{chunk_count} chunks exceeds the limit of {max_chunks}; use a larger chunk_size",
            code="too_many_chunks",
            max_chunks=max_chunks,
        )
    sha256 = body.get("sha256")
    if sha256 is not None and (not isinstance(sha256, str) or not _SHA256_HEX.match(sha256)):
        raise InvalidRequest(
            "'sha256' must be 64 hexadecimal characters", code="invalid_field", field="sha256"
        )
    title = body.get("title")
    if title is None:
        title = filename.rsplit(".", 1)[0] if "." in filename else filename
    title = clean_text(title, field="title", max_length=limits.max_title_length, min_length=0)
    return UploadRequest(
        filename=filename,
        size=size,
        content_type=content_type,
        chunk_size=chunk_size,
        chunk_count=chunk_count,
        mode=mode_for(chunk_size),
        sha256=sha256.lower() if sha256 else None,
        title=title,
        tags=_parse_tags(body.get("tags"), limits),
    )


def _valid_checksum(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 44:
        return False
    try:
        return len(base64.b64decode(value, validate=True)) == 32
    except (binascii.Error, ValueError):
        return False


def parse_part_request(body: Any, chunk_count: int) -> PartRequest:
    """Validate a `POST /uploads/{id}/parts` body: any order, repeats allowed, checksums optional."""
    if not isinstance(body, Mapping):
        raise InvalidRequest("the body must be a JSON object", code="invalid_body")
    raw_numbers = body.get("part_numbers")
    if not isinstance(raw_numbers, list) or not raw_numbers:
        raise InvalidRequest(
            "'part_numbers' must be a non-empty list", code="invalid_field", field="part_numbers"
        )
    # Counted before the loop (repeats included): the work per request stays bounded.
    if len(raw_numbers) > MAX_PARTS_PER_REQUEST:
        raise InvalidRequest(f"at most {MAX_PARTS_PER_REQUEST} parts per request", code="too_many_parts")
    for value in raw_numbers:
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= chunk_count:
            raise InvalidRequest(
                f"part numbers must be integers in 1..{chunk_count}",
                code="invalid_part_number",
                part_number=value if isinstance(value, int) else None,
            )
    numbers = tuple(dict.fromkeys(raw_numbers))  # de-duplicated in asked order, by hashing
    raw_checksums = body.get("checksums") or {}
    if not isinstance(raw_checksums, Mapping):
        raise InvalidRequest("'checksums' must be an object", code="invalid_field", field="checksums")
    if len(raw_checksums) > len(numbers):
        raise InvalidRequest("more checksums than parts asked for", code="invalid_checksum")
    asked = frozenset(numbers)
    checksums: dict[int, str] = {}
    for key, value in raw_checksums.items():
        number = (
            int(key) if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 5 else None
        )
        if number is None:
            raise InvalidRequest("a checksum key is not a part number", code="invalid_checksum")
        if number not in asked:
            raise InvalidRequest(
                f"checksum given for part {number} that was not asked for", code="invalid_checksum"
            )
        if not _valid_checksum(value):
            raise InvalidRequest(
                f"checksum of part {number} must be a base64 SHA-256 digest",
                code="invalid_checksum",
                part_number=number,
            )
        checksums[number] = value
    return PartRequest(part_numbers=numbers, checksums=checksums)


def check_chunks(size: int, chunk_size: int, received_sizes: Mapping[int, int]) -> ChunkCheck:
    """Compare the chunks S3 holds (part number -> bytes) with the declared size and chunking."""
    count = chunk_count_for(size, chunk_size)
    received = tuple(sorted(n for n in received_sizes if 1 <= n <= count))
    missing = tuple(n for n in range(1, count + 1) if n not in received_sizes)
    wrong = tuple(
        {"part_number": n, "expected": expected_chunk_size(size, chunk_size, n), "actual": received_sizes[n]}
        for n in received
        if received_sizes[n] != expected_chunk_size(size, chunk_size, n)
    )
    return ChunkCheck(received=received, missing=missing, wrong_size=wrong)


def coalesce_groups(chunk_count: int, chunk_size: int, target_part_size: int) -> list[range]:
    """Group consecutive staged chunks into multipart parts of at least 5 MiB (the last may be smaller)."""
    per_part = max(1, math.ceil(max(target_part_size, S3_MIN_PART_SIZE) / chunk_size))
    return [
        range(first, min(first + per_part, chunk_count + 1)) for first in range(1, chunk_count + 1, per_part)
    ]


def staging_prefix(upload_id: str) -> str:
    return f"staging/{upload_id}/"


def staged_chunk_key(upload_id: str, part_number: int) -> str:
    return f"{staging_prefix(upload_id)}{part_number:05d}"


def part_number_from_staged_key(key: str) -> int | None:
    tail = key.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None


def assembly_key_for(upload_id: str) -> str:
    """Where a multipart upload with a declared whole-file SHA-256 is assembled before verification."""
    return f"staging/{upload_id}/assembled"
