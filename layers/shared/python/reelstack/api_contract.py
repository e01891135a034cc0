"""The API's contract: an OpenAPI 3.0 document of every route, served at `GET /openapi.json`.

It is the source of truth for what a client may send and what it gets back: each route's path and
query parameters, its body, every answer's status and body, and the errors it can answer (always
`{code, message}`, with details beside them). Limits come from the code that enforces them (page
sizes, text lengths, enums), so the two cannot drift apart; tests keep its operations equal to the
app's routes (tests/unit/api) and fuzz the running API against it (tests/integration/contract/).

Security: every route takes a bearer JWT (`Authorization: Bearer <id token>`), except the public
ones (`PUBLIC_ROUTES`). A route's `429 rate_limited` comes from the caller's token bucket for it.
"""

from __future__ import annotations

from typing import Any

from reelstack.domain.distribution.degradation import LEVELS as DEGRADATION_LEVELS
from reelstack.domain.distribution.feed import MAX_PAGE as FEED_MAX_PAGE
from reelstack.domain.distribution.feed import FeedMode
from reelstack.domain.engagement.avatars import AVATAR_TYPES, MAX_AVATAR_BYTES
from reelstack.domain.engagement.comments import MAX_COMMENT_CHARS, CommentStatus
from reelstack.domain.engagement.interactions import DEVICES
from reelstack.domain.engagement.notifications import KINDS as NOTIFICATION_KINDS
from reelstack.domain.engagement.plays import MAX_WATCHED_MS
from reelstack.domain.engagement.profiles import MAX_BIO, MAX_DISPLAY_NAME
from reelstack.domain.engagement.shares import CHANNELS
from reelstack.domain.media.uploads import (
    MAX_FILENAME_LENGTH,
    MAX_PARTS_PER_REQUEST,
    MAX_TAG_LENGTH,
    UploadMode,
    UploadStatus,
)
from reelstack.domain.storage.roi import Tier
from reelstack.domain.videos import VideoStatus
from reelstack.domain.workflow.execution_rows import STATUSES as EXECUTION_STATUSES
from reelstack.domain.workflow.state_timeline import STATE_OUTCOMES
from reelstack.services.distribution.following_feed import MAX_PAGE as FOLLOWING_MAX_PAGE
from reelstack.services.distribution.search import MAX_LIMIT as SEARCH_MAX_LIMIT
from reelstack.services.distribution.search import MAX_SUGGESTIONS
from reelstack.services.engagement.comments import ORDERS
from reelstack.services.media.review import MAX_REASON_LENGTH
from reelstack.services.operations import DEFAULT_EXECUTIONS, EXECUTION_NAME_PATTERN, MAX_EXECUTIONS
from reelstack.settings import WORKFLOWS, UploadLimits

PUBLIC_ROUTES = frozenset({("/health", "GET"), ("/openapi.json", "GET"), ("/s/{token}", "GET")})
PAGE_MAX = 100  # the page size cap of the DynamoDB-backed lists (videos, likes, comments, follows...)

Schema = dict[str, Any]

# -- schema helpers -----------------------------------------------------------------------------------


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: Schema) -> Schema:
    return {**schema, "nullable": True}


STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
NUM: Schema = {"type": "number"}
BOOL: Schema = {"type": "boolean"}
URL: Schema = {"type": "string"}
CURSOR: Schema = _nullable(STR)


def _obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """An object with these properties (more may come: clients ignore what they do not know)."""
    schema: Schema = {"type": "object", "properties": {**required, **(optional or {})}}
    return schema | ({"required": sorted(required)} if required else {})


def _enum(values: Any) -> Schema:
    return {"type": "string", "enum": [str(value) for value in values]}


def _page(item: str) -> Schema:
    return _obj({"items": {"type": "array", "items": _ref(item)}, "cursor": CURSOR})


def _closed(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A request body object: exactly these fields (another field is a 400)."""
    return {**_obj(required, optional), "additionalProperties": False}


def _open_body(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    """A request body object of these fields; other fields are ignored (the upload and play routes'
    parsers read the fields they know, so older and newer clients work alike)."""
    return {**_obj(required, optional), "description": "fields not listed here are ignored"}


# -- components ---------------------------------------------------------------------------------------

_SCHEMAS: dict[str, Schema] = {
    "Error": _obj(
        {"code": STR, "message": STR},
        {"request_id": {**STR, "description": "5xx only: finds the logged details"}},
    ),
    "Health": _obj({"status": {"type": "string", "enum": ["ok"]}}),
    "Failure": _obj({"stage": STR, "code": STR, "message": STR}),
    "Video": _obj(
        {
            "video_id": STR,
            "owner": STR,
            "status": _enum(VideoStatus),
            "title": STR,
            "tags": {"type": "array", "items": STR},
            "created_at": STR,
            "updated_at": STR,
            "size": _nullable(INT),
        },
        {
            "failure": _ref("Failure"),
            "duration_s": _nullable(NUM),
            "width": _nullable(INT),
            "height": _nullable(INT),
            "playback_url": URL,
            "poster_url": _nullable(URL),
            "sprite_url": _nullable(URL),
            "renditions": {"type": "array", "items": {"type": "object"}},
            "published_at": _nullable(STR),
            "storage_tier": _enum(Tier),
            "moderation": {"type": "object"},
            "timeline": {"type": "array", "items": {"type": "object"}},
            "upload_id": _nullable(STR),
            "execution_arn": _nullable(STR),
            "like_count": INT,
            "liked_by_me": BOOL,
            "play_count": INT,
            "comment_count": INT,
            "share_count": INT,
        },
    ),
    "VideoPage": _page("Video"),
    "SharedVideo": {"allOf": [_ref("Video"), _obj({"shared_via": _enum(CHANNELS)})]},
    "NewUpload": _open_body(
        {
            "filename": {"type": "string", "minLength": 1, "maxLength": MAX_FILENAME_LENGTH},
            "size": {"type": "integer", "minimum": 1, "maximum": UploadLimits().max_upload_bytes},
            "content_type": {"type": "string", "description": "a video/* media type", "example": "video/mp4"},
        },
        {
            "chunk_size": {
                "type": "integer",
                "nullable": True,
                "minimum": UploadLimits().min_chunk_size,
                "maximum": UploadLimits().max_chunk_size,
            },
            "sha256": {"type": "string", "nullable": True, "pattern": "^[0-9a-fA-F]{64}$"},
            "title": {
                "type": "string",
                "nullable": True,
                "maxLength": UploadLimits().max_title_length,
                "description": "absent or null: the filename without its extension",
            },
            "tags": {
                "type": "array",
                "nullable": True,
                "maxItems": UploadLimits().max_tags,
                "items": {"type": "string", "minLength": 1, "maxLength": MAX_TAG_LENGTH},
            },
        },
    ),
    "UploadOpened": _obj(
        {
            "upload_id": STR,
            "video_id": STR,
            "size": INT,
            "chunk_size": INT,
            "chunk_count": INT,
            "mode": _enum(UploadMode),
            "expires_at": STR,
        }
    ),
    "UploadState": _obj(
        {
            "upload_id": STR,
            "video_id": STR,
            "status": _enum([*UploadStatus, "EXPIRED"]),
            "mode": _enum(UploadMode),
            "size": INT,
            "chunk_size": INT,
            "chunk_count": INT,
            "expires_at": STR,
            "received_parts": {"type": "array", "items": INT},
            "missing_parts": {"type": "array", "items": INT},
        },
        {"wrong_size_parts": {"type": "array", "items": INT}, "failure": {"type": "object"}},
    ),
    "PartsRequest": _open_body(
        {
            "part_numbers": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_PARTS_PER_REQUEST,
                "items": {"type": "integer", "minimum": 1},
            }
        },
        {
            "checksums": {
                "type": "object",
                "nullable": True,
                "description": "part number -> base64 SHA-256 of the part",
                "additionalProperties": {"type": "string", "minLength": 44, "maxLength": 44},
            },
            "expires_in": {"type": "integer", "nullable": True, "minimum": 1},
        },
    ),
    "PresignedParts": _obj(
        {
            "upload_id": STR,
            "parts": {
                "type": "array",
                "items": _obj(
                    {
                        "part_number": INT,
                        "size": INT,
                        "url": URL,
                        "method": {"type": "string", "enum": ["PUT"]},
                        "headers": {"type": "object", "additionalProperties": STR},
                        "expires_at": STR,
                    }
                ),
            },
        }
    ),
    "UploadAccepted": _obj(
        {
            "video_id": STR,
            "upload_id": STR,
            "status": _enum(VideoStatus),
            "upload_status": _enum(UploadStatus),
        }
    ),
    "UploadAborted": _obj(
        {"upload_id": STR, "status": {"type": "string", "enum": ["ABORTED"]}, "deleted_objects": INT}
    ),
    "SearchHit": _obj(
        {
            "video_id": STR,
            "title": STR,
            "author": STR,
            "poster_url": _nullable(URL),
            "playback_url": _nullable(URL),
            "duration_s": _nullable(NUM),
            "like_count": INT,
        }
    ),
    "SearchPage": _page("SearchHit"),
    "Suggestions": _obj({"suggestions": {"type": "array", "items": STR}}),
    "SimilarVideos": _obj({"items": {"type": "array", "items": _ref("SearchHit")}}),
    "FeedItem": _obj(
        {
            "video_id": STR,
            "title": STR,
            "author": STR,
            "poster_url": _nullable(URL),
            "playback_url": _nullable(URL),
            "duration": _nullable(NUM),
            "like_count": INT,
            "reason": STR,
        }
    ),
    "FeedPage": _obj(
        {
            "items": {"type": "array", "items": _ref("FeedItem")},
            "mode": _enum(FeedMode),
            "ranked_by": STR,
            "next_cursor": CURSOR,
        },
        {
            "degraded": _obj({"reasons": {"type": "array", "items": STR}}),
            # The ranker version of a gray release that ranked this page (absent: the stack's ranker).
            "ranker_version": STR,
        },
    ),
    "NotInterested": _obj({"video_id": STR, "not_interested": BOOL, "newly_marked": BOOL}),
    "ReviewItem": _obj(
        {
            "video_id": STR,
            "title": STR,
            "owner": STR,
            "waiting_since": STR,
            "reasons": {"type": "array"},
            "flagged_frames": {"type": "array", "items": {"type": "object"}},
        }
    ),
    "ReviewQueue": _page("ReviewItem"),
    "ExecutionState": _obj(
        {
            "name": STR,
            "entered_s": {**NUM, "description": "seconds from the execution's start"},
            "exited_s": _nullable(NUM),
            "seconds": {**NUM, "description": "so far, for a state still running"},
            "outcome": _enum(STATE_OUTCOMES),
            "attempts": INT,
            "error": _nullable(STR),
            "cause": _nullable(STR),
        }
    ),
    "Execution": _obj(
        {
            "name": {**STR, "description": "the execution's name (the video id, for ingest)"},
            "status": _enum(EXECUTION_STATUSES),
            "started": STR,
            "stopped": _nullable(STR),
            "seconds": NUM,
            "current_state": _nullable(STR),
            "failed_state": _nullable(STR),
            "error": _nullable(STR),
            "cause": _nullable(STR),
            "states": {"type": "array", "items": _ref("ExecutionState")},
        }
    ),
    "ExecutionPage": _obj(
        {
            "workflow": STR,
            "workflows": {"type": "array", "items": STR},
            "as_of": STR,
            "items": {"type": "array", "items": _ref("Execution")},
        }
    ),
    "DegradationSwitch": _obj(
        {
            "level": _enum(DEGRADATION_LEVELS),
            "on": BOOL,
            "signal": _nullable(NUM),
            "measured_age_s": _nullable(NUM),
            "changed_age_s": _nullable(NUM),
            "enter": NUM,
            "leave": NUM,
            "hold_s": NUM,
        }
    ),
    "FeedHealth": _obj(
        {
            "mode": _enum(FeedMode),
            "active": {"type": "array", "items": _enum(DEGRADATION_LEVELS)},
            "switches": {"type": "array", "items": _ref("DegradationSwitch")},
            "as_of": STR,
        }
    ),
    "Decision": _closed(
        {"decision": {"type": "string", "enum": ["approve", "reject"]}},
        {"reason": {"type": "string", "maxLength": MAX_REASON_LENGTH}},
    ),
    "Decided": _obj(
        {"video_id": STR, "decision": {"type": "string", "enum": ["approve", "reject"]}, "reviewer": STR}
    ),
    "Notification": _obj(
        {
            "id": STR,
            "kind": _enum(NOTIFICATION_KINDS),
            "video_id": _nullable(STR),
            "latest_at": STR,
            "actors": INT,
            "text": STR,
        }
    ),
    "NotificationPage": _page("Notification"),
    "LikeAnswer": _obj({"video_id": STR, "liked": BOOL, "like_count": INT}),
    "LikedPage": _obj(
        {"items": {"type": "array", "items": _obj({"video_id": STR, "liked_at": STR})}, "cursor": CURSOR}
    ),
    "Play": _open_body(
        {
            "session_id": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
            "watched_ms": {"type": "number", "minimum": 0, "maximum": MAX_WATCHED_MS},
        }
    ),
    "PlayAnswer": _obj(
        {
            "video_id": STR,
            "counted": BOOL,
            "reason": {"type": "string", "enum": ["counted", "below_threshold", "duplicate"]},
        }
    ),
    "Archived": _obj({"video_id": STR, "storage_tier": _enum(Tier)}),
    "PlaybackReady": _obj(
        {"video_id": STR, "status": {"type": "string", "enum": ["READY"]}, "playback_url": URL},
        {"quality": {"type": "string", "enum": ["low"]}, "rendition": STR, "retry_after": INT},
    ),
    "PlaybackRestoring": _obj(
        {"video_id": STR, "status": {"type": "string", "enum": ["RESTORING"]}, "retry_after": INT}
    ),
    "Profile": _obj(
        {
            "user_id": STR,
            "display_name": STR,
            "bio": STR,
            "avatar_url": _nullable(URL),
            "follower_count": INT,
            "following_count": INT,
            "video_count": INT,
        },
        {
            "avatar_upload": _obj(
                {
                    "avatar_id": STR,
                    "state": {"type": "string", "enum": ["processing", "ready", "refused"]},
                    "reason": _nullable(STR),
                }
            )
        },
    ),
    "ProfilePatch": {
        **_closed(
            {},
            {
                "display_name": {"type": "string", "minLength": 1, "maxLength": MAX_DISPLAY_NAME},
                "bio": {"type": "string", "maxLength": MAX_BIO},
            },
        ),
        "minProperties": 1,
    },
    "AvatarRequest": _closed(
        {
            "content_type": _enum(AVATAR_TYPES),
            "size": {"type": "integer", "minimum": 1, "maximum": MAX_AVATAR_BYTES},
        }
    ),
    "AvatarUpload": _obj(
        {
            "avatar_id": STR,
            "upload": _obj(
                {
                    "url": URL,
                    "method": {"type": "string", "enum": ["PUT"]},
                    "headers": {"type": "object", "additionalProperties": STR},
                }
            ),
            "expires_in": INT,
        }
    ),
    "FollowAnswer": _obj({"user_id": STR, "following": BOOL, "follower_count": INT}),
    "FollowPage": _obj(
        {
            "items": {"type": "array", "items": _obj({"user_id": STR, "display_name": STR, "since": STR})},
            "cursor": CURSOR,
        }
    ),
    "NewComment": _closed(
        {"text": {"type": "string", "minLength": 1, "maxLength": MAX_COMMENT_CHARS}},
        {"reply_to": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}},
    ),
    "Comment": _obj(
        {
            "comment_id": STR,
            "video_id": STR,
            "author_id": STR,
            "author_name": STR,
            "text": STR,
            "created_at": STR,
            "status": _enum(CommentStatus),
            "reply_to": _nullable(STR),
        },
        {"reply_count": INT},
    ),
    "CommentPage": _page("Comment"),
    "HeldComment": {"allOf": [_ref("Comment"), _obj({"flags": {"type": "array", "items": STR}})]},
    "HeldCommentPage": _page("HeldComment"),
    "CommentDeleted": _obj({"video_id": STR, "comment_id": STR, "deleted": BOOL}),
    "CommentDecision": _closed({"decision": {"type": "string", "enum": ["approve", "reject"]}}),
    "CommentDecided": _obj(
        {"video_id": STR, "comment_id": STR, "status": {"type": "string", "enum": ["visible", "rejected"]}}
    ),
    "ShareRequest": _closed({"channel": _enum(CHANNELS)}),
    "Share": _obj(
        {"video_id": STR, "channel": _enum(CHANNELS), "token": STR, "url": URL, "share_count": INT}
    ),
    "OpenApiDocument": _obj({"openapi": STR, "info": {"type": "object"}, "paths": {"type": "object"}}),
}

_RETRY_AFTER = {"Retry-After": {"required": True, "schema": {"type": "string", "pattern": "^[0-9]+$"}}}
_ERRORS: dict[int, tuple[str, dict[str, Any]]] = {
    400: ("invalid request: `code` says what (invalid_json, invalid_limit, invalid_field...)", {}),
    401: (
        "no valid bearer token (`unauthorized`)",
        {"WWW-Authenticate": {"required": True, "schema": STR}},
    ),
    403: ("a known caller who may not do this", {}),
    404: ("not found, or not the caller's to know about (also a path no route matches)", {}),
    409: ("the resource's state does not allow this now", {}),
    410: ("the resource is gone (aborted or expired)", {}),
    413: ("the body is over the route's cap (`body_too_large`), or the declared size over a limit", {}),
    415: ("the body is not sent as JSON (`unsupported_media_type`)", {}),
    429: (
        "the caller's token bucket for this route is empty (`rate_limited`): retry after Retry-After",
        _RETRY_AFTER,
    ),
    500: ("an unexpected failure (`internal_error`, with a request_id)", {}),
    503: ("a dependency is unavailable, or the route is paused under load (`overloaded`)", _RETRY_AFTER),
}


def _error_response(status: int) -> Schema:
    description, headers = _ERRORS[status]
    answer: Schema = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        answer["headers"] = {
            name: {"schema": h["schema"], "required": h["required"]} for name, h in headers.items()
        }
    return answer


# -- parameters ---------------------------------------------------------------------------------------


def _path(name: str, description: str) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def _query(name: str, schema: Schema, description: str) -> Schema:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


def _limit(maximum: int, default: int) -> Schema:
    return {
        **_query(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
            "page size (empty: the default)",
        ),
        "allowEmptyValue": True,
    }


_CURSOR_Q = {
    **_query("cursor", STR, "the `cursor` of the previous page, as given (empty: the first page)"),
    "allowEmptyValue": True,
}
_REGION_HEADERS = [
    {"name": "CloudFront-Viewer-Country", "in": "header", "required": False, "schema": STR},
    {"name": "X-Viewer-Region", "in": "header", "required": False, "schema": STR},
]
_VIDEO = _path("video_id", "a video id")
_USER = _path("user_id", "a user id (the `sub` of their token)")
_UPLOAD = _path("upload_id", "an upload id (from POST /uploads)")
_COMMENT = _path("comment_id", "a comment id")


# -- operations ---------------------------------------------------------------------------------------


def _operation(
    summary: str,
    ok: dict[int, str],
    errors: tuple[int, ...] = (),
    *,
    params: list[Schema] | None = None,
    body: str | None = None,
    public: bool = False,
    limited: bool = False,
    headers: dict[int, dict[str, Any]] | None = None,
) -> Schema:
    """One operation: `ok` maps each success status to its schema name; every operation can also answer
    413 (body over the route's cap), 500 and 503; authenticated ones 401; `limited` ones 429."""
    statuses = set(errors) | {413, 500, 503}
    if not public:
        statuses.add(401)
    if limited:
        statuses.add(429)
    if params and any(param["in"] == "path" for param in params):
        statuses.add(404)
    if body is not None:  # malformed (400), or not sent as JSON (415)
        statuses |= {400, 415}
    responses: dict[str, Schema] = {}
    for status, schema in ok.items():
        responses[str(status)] = {
            "description": "success",
            "content": {"application/json": {"schema": _ref(schema)}},
        }
        if headers and status in headers:
            responses[str(status)]["headers"] = headers[status]
    for status in sorted(statuses):
        responses[str(status)] = _error_response(status)
    operation: Schema = {"summary": summary, "parameters": params or [], "responses": responses}
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _ref(body)}},
        }
    if public:
        operation["security"] = []
    return operation


def _paths() -> dict[str, dict[str, Schema]]:
    comments_q = [
        _query("order", _enum(ORDERS), "top-level comments newest first, or most replied first"),
        _query("reply_to", STR, "list this comment's replies instead, oldest first"),
        _limit(PAGE_MAX, 20),
        _CURSOR_Q,
    ]
    return {
        "/health": {"get": _operation("Liveness", {200: "Health"}, public=True)},
        "/openapi.json": {"get": _operation("This document", {200: "OpenApiDocument"}, public=True)},
        "/uploads": {
            "post": _operation(
                "Open a chunked upload (and its video record)",
                {201: "UploadOpened"},
                (409,),
                body="NewUpload",
                limited=True,
            )
        },
        "/uploads/{upload_id}": {
            "get": _operation(
                "Where an upload stands: received and missing chunks",
                {200: "UploadState"},
                params=[_UPLOAD],
                limited=True,
            ),
            "delete": _operation(
                "Abort an upload and free what it stored", {200: "UploadAborted"}, (409,), params=[_UPLOAD]
            ),
        },
        "/uploads/{upload_id}/parts": {
            "post": _operation(
                "Presigned PUT URLs for chunks",
                {200: "PresignedParts"},
                (409, 410),
                params=[_UPLOAD],
                body="PartsRequest",
                limited=True,
            )
        },
        "/uploads/{upload_id}/complete": {
            "post": _operation(
                "Complete an upload: the video starts processing (idempotent)",
                {202: "UploadAccepted"},
                (409, 410),
                params=[_UPLOAD],
                limited=True,
            )
        },
        "/search": {
            "get": _operation(
                "Published videos matching q, best first",
                {200: "SearchPage"},
                (400,),
                params=[
                    {
                        **_query("q", {"type": "string", "minLength": 1}, "the text to search for"),
                        "required": True,
                    },
                    _query("tag", STR, "only videos with this tag"),
                    _limit(SEARCH_MAX_LIMIT, 20),
                    _CURSOR_Q,
                ],
                limited=True,
            )
        },
        "/search/suggest": {
            "get": _operation(
                "Titles completing q",
                {200: "Suggestions"},
                (400,),
                params=[
                    {
                        **_query("q", {"type": "string", "minLength": 1}, "the text typed so far"),
                        "required": True,
                    },
                    _limit(MAX_SUGGESTIONS, 8),
                ],
                limited=True,
            )
        },
        "/videos/{video_id}/similar": {
            "get": _operation(
                "Videos like this one, none of its author's",
                {200: "SimilarVideos"},
                (400,),
                params=[_VIDEO, _limit(SEARCH_MAX_LIMIT, 20)],
                limited=True,
            )
        },
        "/feed": {
            "get": _operation(
                "The caller's home feed",
                {200: "FeedPage"},
                (400,),
                params=[
                    _limit(FEED_MAX_PAGE, FEED_MAX_PAGE),
                    _CURSOR_Q,
                    *_REGION_HEADERS,
                    {
                        "name": "X-Device",
                        "in": "header",
                        "required": False,
                        "description": f"the viewer's device: {', '.join(DEVICES)} (any other value is ignored)",
                        "schema": STR,
                    },
                ],
                limited=True,
            )
        },
        "/videos/{video_id}/not-interested": {
            "post": _operation(
                "Never show this video again", {200: "NotInterested"}, params=[_VIDEO], limited=True
            )
        },
        "/videos": {
            "get": _operation(
                "The caller's videos at every stage, newest first",
                {200: "VideoPage"},
                (400,),
                params=[
                    {
                        **_query(
                            "author", {"type": "string", "enum": ["me"]}, "`me` (or the caller's own id)"
                        ),
                        "required": True,
                    },
                    _limit(PAGE_MAX, 20),
                    _CURSOR_Q,
                ],
                limited=True,
            )
        },
        "/moderation/queue": {
            "get": _operation(
                "Reviewers: videos waiting for a decision",
                {200: "ReviewQueue"},
                (400, 403),
                params=[_limit(PAGE_MAX, 20), _CURSOR_Q],
                limited=True,
            )
        },
        "/moderation/{video_id}/decision": {
            "post": _operation(
                "Reviewers: approve or reject a held video",
                {200: "Decided"},
                (403, 410),
                params=[_VIDEO],
                body="Decision",
            )
        },
        "/ops/executions": {
            "get": _operation(
                "Operators: a workflow's newest executions, each state's timing and outcome",
                {200: "ExecutionPage"},
                (400, 403),
                params=[
                    _query("workflow", _enum(WORKFLOWS), "which state machine (default: ingest)"),
                    _query("status", _enum(EXECUTION_STATUSES), "only executions in this status"),
                    _query("video", {**STR, "pattern": EXECUTION_NAME_PATTERN}, "one execution, by name"),
                    _limit(MAX_EXECUTIONS, DEFAULT_EXECUTIONS),
                ],
                limited=True,
            )
        },
        "/ops/feed-health": {
            "get": _operation(
                "Operators: the feed's mode, its degradation switches and their signals",
                {200: "FeedHealth"},
                (403,),
                limited=True,
            )
        },
        "/notifications": {
            "get": _operation(
                "The caller's notifications, newest first",
                {200: "NotificationPage"},
                (400,),
                params=[_limit(PAGE_MAX, 20), _CURSOR_Q],
                limited=True,
            )
        },
        "/videos/{video_id}": {
            "get": _operation(
                "A video (its owner sees every stage)", {200: "Video"}, params=[_VIDEO], limited=True
            )
        },
        "/videos/{video_id}/like": {
            "post": _operation("Like a published video", {200: "LikeAnswer"}, params=[_VIDEO], limited=True),
            "delete": _operation("Take a like back", {200: "LikeAnswer"}, params=[_VIDEO], limited=True),
        },
        "/videos/{video_id}/plays": {
            "post": _operation(
                "A play beacon (counted later, in batches)",
                {202: "PlayAnswer"},
                params=[_VIDEO, *_REGION_HEADERS],
                body="Play",
                limited=True,
            )
        },
        "/videos/{video_id}/archive": {
            "post": _operation(
                "The owner moves a published video cold; its URLs stay",
                {200: "Archived"},
                (403, 409),
                params=[_VIDEO],
                limited=True,
            )
        },
        "/videos/{video_id}/playback": {
            "get": _operation(
                "Where to play a video; a cold one is restored first (202, ask again after Retry-After)",
                {200: "PlaybackReady", 202: "PlaybackRestoring"},
                (409,),
                params=[_VIDEO],
                limited=True,
                headers={202: _RETRY_AFTER},
            )
        },
        "/me/likes": {
            "get": _operation(
                "The caller's liked videos, newest like first",
                {200: "LikedPage"},
                (400,),
                params=[_limit(PAGE_MAX, 20), _CURSOR_Q],
                limited=True,
            )
        },
        "/me": {
            "patch": _operation(
                "Change the caller's display name or bio", {200: "Profile"}, (404,), body="ProfilePatch"
            )
        },
        "/me/avatar": {
            "post": _operation(
                "A presigned PUT for a new avatar image",
                {201: "AvatarUpload"},
                (404,),
                body="AvatarRequest",
                limited=True,
            )
        },
        "/users/{user_id}": {
            "get": _operation("A user's profile", {200: "Profile"}, params=[_USER], limited=True)
        },
        "/users/{user_id}/follow": {
            "post": _operation(
                "Follow a user (idempotent)", {200: "FollowAnswer"}, (400,), params=[_USER], limited=True
            ),
            "delete": _operation(
                "Unfollow a user", {200: "FollowAnswer"}, (400,), params=[_USER], limited=True
            ),
        },
        "/users/{user_id}/followers": {
            "get": _operation(
                "A user's followers, newest first",
                {200: "FollowPage"},
                (400,),
                params=[_USER, _limit(PAGE_MAX, 20), _CURSOR_Q],
                limited=True,
            )
        },
        "/users/{user_id}/following": {
            "get": _operation(
                "Whom a user follows, newest first",
                {200: "FollowPage"},
                (400,),
                params=[_USER, _limit(PAGE_MAX, 20), _CURSOR_Q],
                limited=True,
            )
        },
        "/feed/following": {
            "get": _operation(
                "The newest videos of the people the caller follows",
                {200: "VideoPage"},
                (400, 404),  # 404 feature_disabled: not rolled out to the caller yet
                params=[_limit(FOLLOWING_MAX_PAGE, 10), _CURSOR_Q],
                limited=True,
            )
        },
        "/videos/{video_id}/comments": {
            "post": _operation(
                "Comment on a published video (pending until the text moderation has read it)",
                {201: "Comment"},
                (409,),
                params=[_VIDEO],
                body="NewComment",
                limited=True,
            ),
            "get": _operation(
                "A video's comments, or a comment's replies",
                {200: "CommentPage"},
                (400,),
                params=[_VIDEO, *comments_q],
                limited=True,
            ),
        },
        "/videos/{video_id}/comments/{comment_id}": {
            "delete": _operation(
                "Delete a comment (its author, or the video's)",
                {200: "CommentDeleted"},
                (403,),
                params=[_VIDEO, _COMMENT],
            )
        },
        "/moderation/comments": {
            "get": _operation(
                "Reviewers: the comments the text moderation held, oldest first",
                {200: "HeldCommentPage"},
                (400, 403),
                params=[_limit(PAGE_MAX, 20), _CURSOR_Q],
                limited=True,
            )
        },
        "/moderation/comments/{video_id}/{comment_id}/decision": {
            "post": _operation(
                "Reviewers: approve or reject a held comment",
                {200: "CommentDecided"},
                (403, 409),
                params=[_VIDEO, _COMMENT],
                body="CommentDecision",
            )
        },
        "/videos/{video_id}/share": {
            "post": _operation(
                "A link that opens the video without signing in",
                {201: "Share"},
                params=[_VIDEO],
                body="ShareRequest",
                limited=True,
            )
        },
        "/s/{token}": {
            "get": _operation(
                "Public: the shared video while it is published",
                {200: "SharedVideo"},
                params=[_path("token", "a share token")],
                public=True,
            )
        },
    }


def openapi_document() -> dict[str, Any]:
    """The whole document (a fresh dict each call: callers may change theirs)."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "reelstack API",
            "version": "1",
            "description": (
                "Every error answers `{code, message}` (and details beside them) with its HTTP status. "
                "Every route takes a bearer JWT unless it says `security: []`."
            ),
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": _SCHEMAS,
        },
    }
