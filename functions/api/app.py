"""The HTTP API (a Chalice app behind API Gateway): authenticate, parse, call one service, answer.

Every route here is also declared as an Api event in template.yaml (a test keeps the two equal).
Each route is an `endpoint` with a body cap: the raw body's size is checked first (413), then the
caller is authenticated (401), then a token is taken from the caller's bucket for the route, if it has
one (429 `rate_limited` with Retry-After; `RATE_LIMITS`), and only then are its parameters and body
parsed. The like and play services take their own buckets.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache, wraps
from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from chalice import Chalice, CORSConfig, Response
from chalice.app import Request

from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.adapters.engagement.like_cache import LikeCache
from reelstack.adapters.engagement.like_store import LikeStore
from reelstack.adapters.engagement.notification_store import NotificationStore
from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.engagement.play_stats import PlayStats
from reelstack.adapters.engagement.rate_limiter import RateLimiter
from reelstack.adapters.engagement.realtime_lag import RealtimeLag
from reelstack.adapters.events import EventPublisher
from reelstack.adapters.functions import AsyncInvoker
from reelstack.adapters.media.waiting_tasks import WaitingTasks
from reelstack.adapters.media.workflow import TaskCallbacks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.media_signer import MediaSigner, media_signer
from reelstack.adapters.media_urls import MediaUrls
from reelstack.adapters.queue_sender import QueueSender
from reelstack.adapters.repositories import Repositories
from reelstack.adapters.storage.tier_events import TierAnnouncingRepositories
from reelstack.adapters.tokens import JwtVerifier
from reelstack.adapters.workflow_executions import StepFunctionsExecutions
from reelstack.api_contract import openapi_document
from reelstack.domain.engagement.comments import COMMENT_BODY_CAP
from reelstack.domain.engagement.interactions import DEVICES
from reelstack.domain.engagement.likes import LikeAnswer
from reelstack.domain.engagement.plays import region_of
from reelstack.domain.engagement.profiles import PROFILE_BODY_CAP
from reelstack.domain.engagement.rate_limits import (
    ARCHIVE_ROUTE,
    COMPLETE_ROUTE,
    PLAYBACK_ROUTE,
    PRESIGN_ROUTE,
    READ_ROUTE,
    UPLOAD_ROUTE,
)
from reelstack.domain.identity import Principal
from reelstack.domain.media.uploads import PART_REQUEST_BODY_CAP, open_upload_body_cap
from reelstack.domain.request_input import (
    DEFAULT_BODY_CAP,
    parse_json_body,
    parse_limit,
    require_body_within,
    require_json_body,
)
from reelstack.errors import DependencyFailed, ReelstackError
from reelstack.feed_wiring import build_feed
from reelstack.http_errors import error_answer, internal_error_body
from reelstack.observability import logger, metrics, tracer
from reelstack.release_wiring import build_gate
from reelstack.services.auth import Authenticator
from reelstack.services.distribution.feed import FeedContext, FeedService
from reelstack.services.distribution.search import SearchService
from reelstack.services.engagement.likes import LikeService
from reelstack.services.engagement.notifications import NotificationService
from reelstack.services.engagement.plays import PlayService
from reelstack.services.media.review import DECISION_BODY_CAP, ReviewService
from reelstack.services.media.uploads import UploadService
from reelstack.services.operations import OperationsService
from reelstack.services.published_videos import PublishedVideos
from reelstack.services.release.gates import FeatureGate
from reelstack.services.storage.archive import ArchiveService
from reelstack.services.videos import VideoService
from reelstack.settings import api_settings
from reelstack.social_wiring import Social, build_social


# Logs are Powertools' (JSON, correlation id), not Chalice's: Chalice takes the logger named after the
# app, gives it a stdout handler, stops it propagating and sets it to ERROR, which, named `reelstack`,
# silenced every `reelstack.*` logger below WARNING in the same process (the local cloud's, in tests).
class ReelstackApi(Chalice):
    """Chalice, with every route taking a request of any Content-Type: Chalice's own check answered 415
    in its `{Code, Message}` shape, even to a GET (no body) that carried the header. A route that reads
    a JSON body checks its media type itself (`_json_body`: 415 `unsupported_media_type`)."""

    def route(self, path: str, **kwargs: Any) -> Callable[..., Any]:
        kwargs.setdefault("content_types", ["*/*"])
        return super().route(path, **kwargs)


app = ReelstackApi(app_name="reelstack-api", configure_logs=False)
app.debug = False
DEGRADED_HEADER = "X-Reelstack-Degraded"
# Browsers need the CORS headers on every answer, not only preflights, and may read the degraded flag.
app.api.cors = CORSConfig(allow_origin="*", expose_headers=[DEGRADED_HEADER])


@cache
def _repos() -> Repositories:
    return Repositories.from_settings(api_settings())


@cache
def _uploads() -> UploadService:
    settings = api_settings()
    return UploadService(
        storage=MediaStorage(settings.media_bucket, accelerate=settings.s3_accelerate),
        repos=_repos(),
        merger=AsyncInvoker(settings.merge_function_name),
        limits=settings,
        presign_expiry_seconds=settings.presign_expiry_seconds,
        quota=settings.open_upload_quota(),
    )


@cache
def _urls() -> MediaUrls:
    settings = api_settings()
    return MediaUrls(settings.media_bucket, settings.playback_base_url)


@cache
def _previews() -> MediaSigner:
    """Signed links to held videos (CloudFront's private distribution in AWS, presigned S3 GETs locally)."""
    settings = api_settings()
    return media_signer(
        settings.media_bucket,
        settings.private_playback_domain,
        settings.playback_key_pair_id,
        settings.playback_signing_key_secret,
    )


@cache
def _like_store() -> LikeStore:
    return LikeStore.from_settings(api_settings())


@cache
def _archive() -> ArchiveService:
    settings = api_settings()
    return ArchiveService(
        # Settled tier changes become VideoTierChanged (the search index's storage_tier).
        TierAnnouncingRepositories.announcing(settings, EventPublisher(settings.event_bus_name)),
        MediaStorage(settings.media_bucket),
        _urls().public,
        restore_tier=settings.restore_tier,
        restore_days=settings.restore_days,
        keep_low_rendition=settings.archive_keeps_low_rendition,
    )


@cache
def _published() -> PublishedVideos:
    """Video lookups of the like and play routes (published videos remembered for 30 s)."""
    return PublishedVideos(_repos().get_video)


@cache
def _limiter() -> RateLimiter:
    settings = api_settings()
    return RateLimiter.from_settings(settings, settings.redis_url)


@cache
def _likes() -> LikeService:
    settings = api_settings()
    cache_ = LikeCache.from_settings(settings)
    sender = QueueSender(settings.likes_queue_url)
    return LikeService(
        cache_,
        _like_store(),
        sender,
        _published(),
        limiter=_limiter(),
        interests=PlayStats.from_settings(settings),
    )


@cache
def _daily_plays() -> DailyStats:
    return DailyStats.from_settings(api_settings())


@cache
def _plays() -> PlayService:
    settings = api_settings()
    return PlayService(
        _published(),
        PlayStats.from_settings(settings),
        QueueSender(settings.plays_queue_url),
        settings.play_policy(),
        limiter=_limiter(),
        lag=RealtimeLag(settings.redis_url, cluster=settings.redis_cluster),
    )


@cache
def _videos() -> VideoService:
    return VideoService(
        _repos(),
        _urls(),
        likes=_like_store(),
        plays=_daily_plays(),
        social=lambda: _social().counters,
        previews=_previews(),
    )


@cache
def _social() -> Social:
    return build_social(
        api_settings(),
        _repos(),
        _published().get_video,
        lambda video: _videos().public(video),
        _urls().public,
        _share_base,
        _limiter(),
    )


def _profile_seen(principal: Principal) -> None:
    """The caller's profile exists from their first request on; never the reason a request fails."""
    try:
        _social().profiles.seen(principal)
    except Exception as error:  # a misconfigured table must not take every route down with it
        logger.warning("profile not recorded", extra={"error": str(error)})


def _share_base() -> str:
    """Where share links point: SHARE_BASE_URL, else this API as the current request reached it."""
    configured = api_settings().share_base_url.strip()
    if configured:
        return configured
    request = _request()
    headers = request.headers
    host = headers.get("host", "localhost")
    scheme = headers.get("x-forwarded-proto", "https" if host.endswith("amazonaws.com") else "http")
    stage = str(request.context.get("stage", "")) if host.endswith("amazonaws.com") else ""
    return f"{scheme}://{host}" + (f"/{stage}" if stage else "")


@cache
def _notifications() -> NotificationService:
    return NotificationService(NotificationStore.from_settings(api_settings()))


@cache
def _reviews() -> ReviewService:
    settings = api_settings()
    return ReviewService(
        _repos(),
        WaitingTasks(settings.waiting_tasks_table, settings.aws_region),
        TaskCallbacks(),
        _urls(),
        reviewer_group=settings.auth_reviewer_group,
        previews=_previews(),
    )


@cache
def _search() -> SearchService:
    settings = api_settings()
    return SearchService(
        SearchClient(settings),
        _urls().public,
        max_query_chars=settings.search_max_query_chars,
        seen=PlayStats.from_settings(settings).seen,
    )


@cache
def _authenticator() -> Authenticator:
    settings = api_settings()
    return Authenticator(
        JwtVerifier(
            settings.issuer_url, settings.auth_audience, settings.jwks_url, token_use=settings.auth_token_use
        )
    )


View = Callable[..., Any]
# The request being handled: its caller (set by `endpoint` before the view runs) and its body cap.
_caller: ContextVar[Principal | None] = ContextVar("caller", default=None)
_body_cap: ContextVar[int] = ContextVar("body_cap", default=DEFAULT_BODY_CAP)


def _request() -> Request:
    request = app.current_request
    assert request is not None, "only called while a request is being handled"
    return request


def _request_id() -> str:
    request = app.current_request
    return str(request.context.get("requestId", "")) if request is not None else ""


def _principal() -> Principal:
    """The authenticated caller (`endpoint` authenticated it before the view began)."""
    principal = _caller.get()
    assert principal is not None, "only called from an authenticated endpoint"
    return principal


def _raw_body() -> bytes:
    raw = _request().raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


def _json_body() -> Any:
    """The request's JSON body: 415 when sent as another media type, 413 over the cap, 400 malformed."""
    raw = _raw_body()
    require_json_body(_request().headers.get("content-type"), raw)
    return parse_json_body(raw, _body_cap.get())


def _error_response(exc: ReelstackError) -> Response:
    """Our code and a plain message; what went wrong inside goes to the log (with the correlation id)."""
    answer = error_answer(exc, _request_id())
    detail = {
        "code": exc.code,
        "detail": exc.message,
        "cause": repr(exc.__cause__) if exc.__cause__ else None,
    }
    if answer.server_side:
        logger.exception("dependency failed", extra=detail)
    elif exc.__cause__ is not None:
        logger.info("request refused", extra=detail)
    headers: dict[str, str | list[str]] = dict(answer.headers)
    return Response(body=answer.body, status_code=answer.status, headers=headers)


@cache
def _gate() -> FeatureGate:
    return build_gate(api_settings())


def _region() -> str | None:
    """The viewer's country (CloudFront's header in AWS; `X-Viewer-Region` from tests and tools)."""
    headers = _request().headers
    return region_of(headers.get("cloudfront-viewer-country") or headers.get("x-viewer-region"))


def endpoint(
    *,
    max_body: int | Callable[[], int] = DEFAULT_BODY_CAP,
    public: bool = False,
    bucket: str | None = None,
    feature: str | None = None,
) -> Callable[[View], View]:
    """Body size (413), then the caller (401, unless `public`), then a token from the caller's `bucket`
    (429 with Retry-After; no bucket, or none configured for it: not limited), then the route's
    `feature` flag for this caller (404 `feature_disabled` while it is not rolled out to them), then
    the view; errors as JSON answers.

    `max_body` may be computed from settings (a callable, read on the first request, not at import).
    Domain errors become `{code, message}` with their status; anything else a logged 500.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = body_cap = None
            try:
                cap = max_body() if callable(max_body) else max_body
                require_body_within(len(_raw_body()), cap)
                body_cap = _body_cap.set(cap)
                if not public:
                    principal = _authenticator().principal(_request().headers)
                    caller = _caller.set(principal)
                    if bucket is not None:
                        _limiter().enforce(principal.user_id, bucket)
                    if feature is not None:
                        _gate().require(feature, principal.user_id, _region())
                    _profile_seen(principal)
                return view(*args, **kwargs)
            except ReelstackError as exc:
                return _error_response(exc)
            except Exception:
                logger.exception("unhandled error")
                return Response(body=internal_error_body(_request_id()), status_code=500)
            finally:
                if caller is not None:
                    _caller.reset(caller)
                if body_cap is not None:
                    _body_cap.reset(body_cap)

        wrapper.rate_bucket = bucket  # type: ignore[attr-defined]
        wrapper.feature = feature  # type: ignore[attr-defined]
        wrapper.public = public  # type: ignore[attr-defined]
        return wrapper

    return decorate


@app.route("/health", methods=["GET"])
@endpoint(public=True)
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.route("/openapi.json", methods=["GET"])
@endpoint(public=True)
def openapi() -> dict[str, Any]:
    """The API's contract (reelstack.api_contract): every route, its bodies, answers and errors."""
    return openapi_document()


@app.route("/uploads", methods=["POST"])
@endpoint(max_body=lambda: open_upload_body_cap(api_settings()), bucket=UPLOAD_ROUTE)
def open_upload() -> Response:
    return Response(body=_uploads().open(_principal(), _json_body()), status_code=201)


@app.route("/uploads/{upload_id}", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def upload_status(upload_id: str) -> dict[str, Any]:
    return _uploads().status(_principal(), upload_id)


@app.route("/uploads/{upload_id}/parts", methods=["POST"])
@endpoint(max_body=PART_REQUEST_BODY_CAP, bucket=PRESIGN_ROUTE)
def presign_parts(upload_id: str) -> dict[str, Any]:
    return _uploads().presign_parts(_principal(), upload_id, _json_body())


@app.route("/uploads/{upload_id}/complete", methods=["POST"])
@endpoint(bucket=COMPLETE_ROUTE)
def complete_upload(upload_id: str) -> Response:
    return Response(body=_uploads().complete(_principal(), upload_id).to_dict(), status_code=202)


@app.route("/uploads/{upload_id}", methods=["DELETE"])
@endpoint()
def abort_upload(upload_id: str) -> dict[str, Any]:
    return _uploads().abort(_principal(), upload_id)


def _query(name: str) -> str | None:
    params = _request().query_params
    value = params.get(name) if params else None
    return str(value) if value is not None else None


def _query_params() -> dict[str, list[str]]:
    """Every query parameter with all its values (the search routes refuse unknown and repeated ones)."""
    params = _request().query_params
    return {str(name): [str(value) for value in params.getlist(name)] for name in params} if params else {}


@app.route("/search", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def search() -> dict[str, Any]:
    """`?q=&tag=&limit=&cursor=` -> `{items, cursor}`: published videos, best match first."""
    return _search().search(_query_params())


@app.route("/search/suggest", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def search_suggest() -> dict[str, Any]:
    """`?q=&limit=` -> `{suggestions}`: distinct titles completing q (503 while the feed is overloaded)."""
    _refuse_when_overloaded()
    return _search().suggest(_query_params())


@app.route("/videos/{video_id}/similar", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def similar_videos(video_id: str) -> dict[str, Any]:
    """`?limit=` -> `{items}`: videos like this one by title and tags, none of its author's (503 while
    the feed is overloaded)."""
    _refuse_when_overloaded()
    return _search().similar(video_id, _query_params(), _principal().user_id)


@cache
def _feed() -> FeedService:
    return build_feed(api_settings(), SearchClient(api_settings()), _urls())


@cache
def _operations() -> OperationsService:
    settings = api_settings()
    return OperationsService(
        StepFunctionsExecutions(),
        settings.workflows(),
        lambda: _feed().health.snapshot(),
        operator_group=settings.auth_operator_group,
    )


def _refuse_when_overloaded() -> None:
    """Degradation level 3: the non-core routes step aside so the home feed stays up. If the load
    cannot be known (no feed configured, its Redis unreadable), nothing is refused over it."""
    try:
        overloaded = _feed().health.overloaded()
    except (ReelstackError, ValueError) as error:
        logger.warning("overload unknown: not refusing", extra={"error": str(error)})
        overloaded = False
    if overloaded:
        raise DependencyFailed(
            "the service is busy: this route is paused while the home feed is protected",
            code="overloaded",
            retry_after_s=api_settings().feed_degradation_hold_seconds,
        )


def _feed_context() -> FeedContext:
    device = _request().headers.get("x-device")
    region = _region()
    return FeedContext(
        region=region,
        device=device if device in DEVICES else None,
        hour=datetime.now(UTC).hour,
        ranker_version=str(_gate().value("ranker_version", _principal().user_id, region) or ""),
    )


@app.route("/feed", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def feed() -> dict[str, Any]:
    """`?limit=&cursor=` -> `{items, mode, degraded?, next_cursor}`: the viewer's home feed."""
    return _feed().page(_principal(), _query("limit"), _query("cursor"), _feed_context()).to_dict()


@app.route("/videos/{video_id}/not-interested", methods=["POST"])
@endpoint(bucket=READ_ROUTE)
def not_interested(video_id: str) -> dict[str, Any]:
    """Never show this video again, and weigh its tags and author less for the caller."""
    return _feed().not_interested(_principal(), video_id, _published().get_video)


@app.route("/videos", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def list_videos() -> dict[str, Any]:
    return _videos().list_by_author(_principal(), _query("author"), _query("limit"), _query("cursor"))


@app.route("/moderation/queue", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def moderation_queue() -> dict[str, Any]:
    limit = parse_limit(_query("limit"), default=20, maximum=100)
    return _reviews().queue(_principal(), limit, _query("cursor"))


@app.route("/moderation/{video_id}/decision", methods=["POST"])
@endpoint(max_body=DECISION_BODY_CAP)
def moderation_decision(video_id: str) -> dict[str, Any]:
    return _reviews().decide(_principal(), video_id, _json_body())


@app.route("/ops/executions", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def ops_executions() -> dict[str, Any]:
    """Operators: `?workflow=&status=&video=&limit=` -> the newest executions with their states' timings."""
    return _operations().executions(
        _principal(), _query("workflow"), _query("status"), _query("limit"), _query("video")
    )


@app.route("/ops/feed-health", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def ops_feed_health() -> dict[str, Any]:
    """Operators: the feed's mode now, each degradation switch, its last signal and thresholds."""
    return _operations().feed_health(_principal())


@app.route("/notifications", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def list_notifications() -> dict[str, Any]:
    return _notifications().newest(_principal(), _query("limit"), _query("cursor"))


@app.route("/videos/{video_id}", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def get_video(video_id: str) -> dict[str, Any]:
    return _videos().get(_principal(), video_id)


def _like_response(answer: LikeAnswer) -> Response:
    """`{video_id, liked, like_count}`; answered from DynamoDB because Redis is down: flagged in a header."""
    headers: dict[str, str | list[str]] = {DEGRADED_HEADER: "redis-unavailable"} if answer.degraded else {}
    return Response(body=answer.to_dict(), status_code=200, headers=headers)


@app.route("/videos/{video_id}/like", methods=["POST"])
@endpoint()
def like_video(video_id: str) -> Response:
    return _like_response(_likes().like(_principal(), video_id))


@app.route("/videos/{video_id}/like", methods=["DELETE"])
@endpoint()
def unlike_video(video_id: str) -> Response:
    return _like_response(_likes().unlike(_principal(), video_id))


@app.route("/videos/{video_id}/plays", methods=["POST"])
@endpoint()
def record_play(video_id: str) -> Response:
    """`{session_id, watched_ms}` -> 202 `{video_id, counted, reason}` (counted later, in batches)."""
    headers = _request().headers
    region = headers.get("cloudfront-viewer-country") or headers.get("x-viewer-region")
    return Response(body=_plays().record(_principal(), video_id, _json_body(), region), status_code=202)


@app.route("/videos/{video_id}/archive", methods=["POST"])
@endpoint(bucket=ARCHIVE_ROUTE)
def archive_video(video_id: str) -> dict[str, Any]:
    """The owner moves a published video cold (Glacier); its URLs stay the same."""
    return _archive().archive(_principal(), video_id)


@app.route("/videos/{video_id}/playback", methods=["GET"])
@endpoint(bucket=PLAYBACK_ROUTE)
def playback(video_id: str) -> Response:
    """200 `{status: READY, playback_url}`; for a cold video the restore starts and the answer is 202
    `{status: RESTORING, retry_after}`, or 200 with `quality: "low"` and `retry_after` when the archive
    kept a low rendition playing (ask again after Retry-After for the full ladder)."""
    status, body = _archive().playback(_principal(), video_id)
    headers: dict[str, str | list[str]] = (
        {"Retry-After": str(body["retry_after"])} if "retry_after" in body else {}
    )
    return Response(body=body, status_code=status, headers=headers)


@app.route("/me/likes", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def my_likes() -> dict[str, Any]:
    return _likes().liked_videos(_principal(), _query("limit"), _query("cursor"))


# -- social: profiles, follows, the following feed, comments, shares ---------------------------------
@app.route("/users/{user_id}", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def get_user(user_id: str) -> dict[str, Any]:
    """`{user_id, display_name, bio, avatar_url, follower_count, following_count, video_count}` (and,
    for the caller's own, `avatar_upload`: where the newest avatar upload stands)."""
    return _social().profiles.get(_principal(), user_id)


@app.route("/me", methods=["PATCH"])
@endpoint(max_body=PROFILE_BODY_CAP)
def patch_me() -> dict[str, Any]:
    """`{display_name?, bio?}` -> the caller's profile."""
    return _social().profiles.patch(_principal(), _json_body())


@app.route("/me/avatar", methods=["POST"])
@endpoint(bucket=UPLOAD_ROUTE)
def request_avatar_upload() -> Response:
    """`{content_type, size}` -> 201 `{avatar_id, upload: {url, method, headers}, expires_in}`: PUT the
    image there; it is checked and resized, then shown (see `avatar_upload` on GET /users/{me})."""
    return Response(body=_social().avatars.request(_principal(), _json_body()), status_code=201)


@app.route("/users/{user_id}/follow", methods=["POST"])
@endpoint()
def follow_user(user_id: str) -> dict[str, object]:
    return _social().follows.follow(_principal(), user_id).to_dict()


@app.route("/users/{user_id}/follow", methods=["DELETE"])
@endpoint()
def unfollow_user(user_id: str) -> dict[str, object]:
    return _social().follows.unfollow(_principal(), user_id).to_dict()


@app.route("/users/{user_id}/followers", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def followers(user_id: str) -> dict[str, Any]:
    return _social().follows.follows_of(user_id, "in", _query("limit"), _query("cursor"))


@app.route("/users/{user_id}/following", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def following(user_id: str) -> dict[str, Any]:
    return _social().follows.follows_of(user_id, "out", _query("limit"), _query("cursor"))


@app.route("/feed/following", methods=["GET"])
@endpoint(bucket=READ_ROUTE, feature="following_feed")
def following_feed() -> dict[str, Any]:
    """`?limit=&cursor=` -> `{items, cursor}`: the newest videos of the people the caller follows."""
    return _social().following_feed.page(_principal(), _query("limit"), _query("cursor"))


@app.route("/videos/{video_id}/comments", methods=["POST"])
@endpoint(max_body=COMMENT_BODY_CAP, feature="comments")
def post_comment(video_id: str) -> Response:
    """`{text, reply_to?}` -> 201 the comment, `pending` until the text moderation step has read it."""
    return Response(body=_social().comments.post(_principal(), video_id, _json_body()), status_code=201)


@app.route("/videos/{video_id}/comments", methods=["GET"])
@endpoint(bucket=READ_ROUTE, feature="comments")
def list_comments(video_id: str) -> dict[str, Any]:
    """`?order=newest|top&reply_to=&limit=&cursor=` -> `{items, cursor}`."""
    return _social().comments.list(
        _principal(),
        video_id,
        order=_query("order"),
        reply_to=_query("reply_to"),
        limit_text=_query("limit"),
        cursor=_query("cursor"),
    )


@app.route("/videos/{video_id}/comments/{comment_id}", methods=["DELETE"])
@endpoint()
def delete_comment(video_id: str, comment_id: str) -> dict[str, Any]:
    return _social().comments.delete(_principal(), video_id, comment_id)


@app.route("/moderation/comments", methods=["GET"])
@endpoint(bucket=READ_ROUTE)
def held_comments() -> dict[str, Any]:
    """Reviewers only: the comments the text moderation held, oldest first."""
    return _social().review.queue(_principal(), _query("limit"), _query("cursor"))


@app.route("/moderation/comments/{video_id}/{comment_id}/decision", methods=["POST"])
@endpoint(max_body=DECISION_BODY_CAP)
def decide_comment(video_id: str, comment_id: str) -> dict[str, Any]:
    """Reviewers only: `{decision: approve | reject}`."""
    return _social().review.decide(_principal(), video_id, comment_id, _json_body())


@app.route("/videos/{video_id}/share", methods=["POST"])
@endpoint(feature="shares")
def share_video(video_id: str) -> Response:
    """`{channel}` -> `{url, token, channel, share_count}`: a link that opens the video without signing in."""
    return Response(body=_social().shares.share(_principal(), video_id, _json_body()), status_code=201)


@app.route("/s/{token}", methods=["GET"])
@endpoint(public=True)
def open_share(token: str) -> dict[str, Any]:
    """Public: the shared video's view while it is published (404 otherwise)."""
    return _social().shares.open(token)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The Lambda entry point: Powertools context, then Chalice routes by `requestContext.resourcePath`."""
    response: dict[str, Any] = app(event, context)
    return response
