"""Settings, one pydantic model per function family, read from the environment at cold start.

The template (or the local cloud, from the same template) sets the variables; nothing here has an
endpoint: boto3 and PynamoDB pick up `AWS_ENDPOINT_URL` when the local cloud sets it.
"""

from __future__ import annotations

from functools import cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from reelstack.domain.engagement.plays import PlayPolicy
from reelstack.domain.engagement.rate_limits import TokenBucket, parse_rate_limits
from reelstack.domain.media.upload_quota import OpenUploadQuota

MiB = 1024 * 1024
GiB = 1024 * MiB


class _Base(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    aws_region: str = Field(default="us-east-1", validation_alias="AWS_REGION")


class SdkSettings(_Base):
    """How long the AWS SDK clients (boto3, PynamoDB) wait and how often they try, per process.

    The defaults suit background functions (a merge streams large parts). The template gives the API
    tighter values (SDK_* variables): API Gateway gives up after 29 s, so a slow dependency must
    fail (503 with Retry-After) well before that: attempts x (connect + read) + backoff < 29 s.
    """

    sdk_connect_timeout_seconds: float = 5.0
    sdk_read_timeout_seconds: float = 60.0
    sdk_max_attempts: int = 4  # first try included (botocore `total_max_attempts`, standard mode)

    @property
    def worst_case_seconds(self) -> float:
        """The longest one SDK call can take before it raises (standard mode backs off <= 1 s, 2 s, ...)."""
        backoff = sum(min(2.0**attempt, 20.0) for attempt in range(self.sdk_max_attempts - 1))
        return (
            self.sdk_max_attempts * (self.sdk_connect_timeout_seconds + self.sdk_read_timeout_seconds)
            + backoff
        )


@cache
def sdk_settings() -> SdkSettings:
    return SdkSettings()


class StorageSettings(_Base):
    media_bucket: str
    presign_expiry_seconds: int = 900
    # Presigned chunk URLs through S3 Transfer Acceleration (<bucket>.s3-accelerate.amazonaws.com): the
    # template's TransferAcceleration parameter, which also turns it on for the bucket. Off locally.
    s3_accelerate: bool = False


class TableSettings(_Base):
    uploads_table: str
    videos_table: str


class UploadLimits(_Base):
    """Upload policy: what a client may declare when it opens an upload."""

    max_upload_bytes: int = 2 * GiB
    allowed_content_types: str = "video/*"
    default_chunk_size: int = MiB
    min_chunk_size: int = 256 * 1024
    max_chunk_size: int = 64 * MiB
    max_chunks: int = 10_000
    upload_ttl_seconds: int = 24 * 3600
    max_title_length: int = 200
    max_tags: int = 20
    # Per user (`reelstack.domain.media.upload_quota`; 0 = no limit): uploads OPEN at once and the bytes they
    # declare. Keep the bytes at least `max_upload_bytes`, or no upload of the largest size can open.
    max_open_uploads: int = 10
    max_upload_bytes_in_flight: int = 8 * GiB

    def open_upload_quota(self) -> OpenUploadQuota:
        return OpenUploadQuota(max_open=self.max_open_uploads, max_bytes=self.max_upload_bytes_in_flight)


class AuthSettings(_Base):
    """JWT verification. In AWS the issuer is the Cognito user pool's provider URL."""

    auth_issuer: str
    auth_audience: str
    auth_reviewer_group: str = "reviewer"
    auth_operator_group: str = "operator"  # who may read the workflows' executions and the feed's health
    # The `token_use` claim a token must carry: Cognito ID tokens (and the local issuer's) say "id".
    auth_token_use: str = "id"

    @property
    def issuer_url(self) -> str:
        """Cognito's `ProviderURL` has no scheme; the local issuer's has one."""
        issuer = self.auth_issuer.rstrip("/")
        return issuer if "://" in issuer else f"https://{issuer}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer_url}/.well-known/jwks.json"


class PlaybackSettings(_Base):
    """Where players fetch published media: the CDN's domain (CloudFront's, or the local S3 path)."""

    playback_domain: str = ""

    @property
    def playback_base_url(self) -> str:
        """`https://<domain>`; plain http for a loopback domain (the local cloud); "" when unset."""
        domain = self.playback_domain.strip().rstrip("/")
        if not domain or "://" in domain:
            return domain
        host = domain.split("/", 1)[0].rsplit(":", 1)[0]
        local = host in ("127.0.0.1", "localhost", "[::1]")
        return f"{'http' if local else 'https'}://{domain}"


class PrivatePlaybackSettings(_Base):
    """Held videos, for their owner and reviewers: CloudFront signed URLs on the private distribution.

    All three set (a stack with a key pair, and the local cloud, which makes one): the
    `adapters.media_signer.CloudFrontSigner` signs with the private key read from the Secrets Manager
    secret. Any unset (a stack deployed without a key pair): presigned S3 GETs (`media_signer`).
    """

    private_playback_domain: str = ""
    playback_key_pair_id: str = ""
    playback_signing_key_secret: str = ""


class NotificationSettings(_Base):
    """Author notifications: their table and the aggregation window."""

    notifications_table: str
    notification_window_seconds: int = 3600


class RedisClusterSetting(_Base):
    """Whether the cache is a Redis cluster: ElastiCache Serverless always is (`adapters.redis_client`)."""

    redis_cluster: bool = False


class LikeSettings(RedisClusterSetting):
    """Likes: the Redis cache (ElastiCache) in front of the DynamoDB truth (likes + sharded counters)."""

    redis_url: str
    likes_table: str
    like_counters_table: str
    like_counter_shards: int = 10  # raise only: lowering it would strand counts on dropped shards
    like_cache_ttl_seconds: int = 24 * 3600  # a video's cached likes are rebuilt from DynamoDB this often
    like_cache_timeout_seconds: float = 0.5  # past this Redis counts as down: answers come from DynamoDB


class LikesQueueSettings(_Base):
    """Where the API queues like changes for the durable write."""

    likes_queue_url: str


class PlayStatsSettings(RedisClusterSetting):
    """Plays: when one counts (`reelstack.domain.engagement.plays`) and the Redis fast side (hot list, interests)."""

    redis_url: str
    play_min_watched_ms: int = 3000
    play_min_fraction: float = 0.5  # or half the video, whichever comes first
    play_dedup_window_seconds: int = 3600  # one counted play per viewer per video per window
    interest_half_life_seconds: float = 6 * 3600
    hot_bucket_seconds: int = 600
    hot_buckets: int = 6  # the hot list spans the last hour by default
    hot_half_life_seconds: float = 1800
    play_cache_timeout_seconds: float = 0.5

    def play_policy(self) -> PlayPolicy:
        return PlayPolicy(
            min_watched_ms=self.play_min_watched_ms,
            min_fraction=self.play_min_fraction,
            dedup_window_s=self.play_dedup_window_seconds,
        )


class PlayDailyStatsSettings(_Base):
    """The durable side of plays: per video per day in DynamoDB."""

    play_daily_stats_table: str


class PlaysQueueSettings(_Base):
    """Where the API queues counted plays for the daily aggregation."""

    plays_queue_url: str


class RateLimitSettings(RedisClusterSetting):
    """Per-user token buckets per route (`reelstack.domain.engagement.rate_limits` grammar; "" = no limits)."""

    rate_limits: str = (
        "like=10/s:burst=20;play=30/s:burst=60;read=10/s:burst=50;playback=5/s:burst=30;"
        "upload=30/m:burst=20;presign=5/s:burst=50;complete=2/s:burst=10;archive=10/m:burst=10;"
        "follow=5/s:burst=20;comment=1/s:burst=10;share=2/s:burst=10"
    )
    rate_limit_timeout_seconds: float = 0.2

    def buckets(self) -> dict[str, TokenBucket]:
        return parse_rate_limits(self.rate_limits)


class SearchSettings(_Base):
    """The search domain (OpenSearch): its endpoint and how long a request may wait.

    In AWS the endpoint is the domain's VPC endpoint (`https://vpc-...es.amazonaws.com`) and requests
    are SigV4-signed; the local cloud sets `REELSTACK_LOCAL=1` and an `http://127.0.0.1:...` endpoint.
    Short timeouts: search health drives the feed's degradation, so a slow node counts as down.
    """

    search_endpoint: str
    reelstack_local: bool = False
    search_timeout_seconds: float = 2.0
    search_max_retries: int = 1
    search_replicas: int = 0  # of each index the bootstrap creates (0 on one node, 1 on a 2-AZ domain)
    search_retry_after_seconds: int = 5  # the Retry-After of a 503 search_unavailable
    search_max_query_chars: int = 200  # the longest `q` the search routes take (400 query_too_long)


class DirtyCountsSettings(RedisClusterSetting):
    """Where the likes and plays workers mark videos whose counts moved (`adapters.distribution.dirty_counts`) for
    the search count refresh; "" = no marks (counts in the index then change only on re-index)."""

    redis_url: str = ""
    dirty_counts_timeout_seconds: float = 0.5


class InteractionLogQueueSettings(_Base):
    """Where the workers forward events for the interaction log ("" = not forwarded)."""

    interaction_log_queue_url: str = ""


class PlaysWorkerSettings(PlayDailyStatsSettings, DirtyCountsSettings, InteractionLogQueueSettings):
    """The plays queue's consumer: daily stats, the dirty marks of the search count refresh, and the
    interaction log's forward."""


class ArchiveSettings(_Base):
    """Cold videos: how a play-time restore from Glacier Flexible Retrieval is asked for."""

    restore_tier: str = "Expedited"  # Expedited (1-5 min) | Standard (3-5 h) | Bulk (5-12 h)
    restore_days: int = 7  # how long S3 keeps the restored copy (the objects are copied back at once)
    archive_keeps_low_rendition: bool = True  # the lowest H.264 rendition stays playable (Glacier IR)
    event_bus_name: str = "default"  # where settled tier changes go (VideoTierChanged)


class FeedSettings(_Base):
    """The home feed: the ranker and its budget, the exposure slice, and the degradation thresholds."""

    interests_table: str = ""  # the nightly profiles' durable copy ("" = Redis only)
    ranker_endpoint_name: str = ""  # the SageMaker endpoint; "" = no ranker (the fallback order)
    feed_ranker_timeout_seconds: float = 0.25  # the ranker's budget per page
    feed_exposure_share: float = 0.005  # slots given to an unranked fresh video (logged as exposure)
    feed_realtime_lag_seconds: float = 5.0  # level 1: real-time path lag -> offline interests
    feed_search_min_active_shards_percent: float = 90.0  # level 2: below -> the cached hot list
    feed_overload_requests_per_second: float = 200.0  # level 3: feed pages per second, fleet-wide
    feed_health_probe_seconds: float = 2.0  # how often one process measures each signal
    feed_degradation_hold_seconds: float = 10.0  # a signal must stay clear this long to switch back


class SocialSettings(_Base):
    """Profiles, follows, comments and shares: their tables, the comments queue, the counters' shards."""

    users_table: str
    follows_table: str
    social_counters_table: str
    comments_table: str
    shares_table: str
    comments_queue_url: str
    social_counter_shards: int = 10
    # Where share links point ("" = the API's own address, as the request that made the link saw it).
    share_base_url: str = ""


class CommentModerationSettings(TableSettings):
    """The comment moderation step: the comments and counters, the videos (their authors), the events."""

    comments_table: str
    social_counters_table: str
    social_counter_shards: int = 10
    event_bus_name: str = "default"
    text_moderation_threshold: float = 0.8


class AvatarSettings(StorageSettings):
    """The avatar function: the bucket the uploads arrive in and avatars are served from, the profiles."""

    users_table: str
    scratch_dir: str = "/tmp"


@cache
def avatar_settings() -> AvatarSettings:
    return AvatarSettings()  # type: ignore[call-arg]


@cache
def comment_moderation_settings() -> CommentModerationSettings:
    return CommentModerationSettings()  # type: ignore[call-arg]


class FeatureFlagSettings(_Base):
    """Where the feature flags live (AWS AppConfig) and how long a process keeps the document it read.

    No application configured: every flag has its released value (tests that run the API without the
    stack's AppConfig). The API polls at most every `feature_flags_max_age_seconds`: a rollout or a
    rollback reaches every request that starts after that (0: the next request)."""

    feature_flags_application: str = ""
    feature_flags_environment: str = ""
    feature_flags_profile: str = ""
    feature_flags_max_age_seconds: int = 15


WORKFLOWS = ("ingest", "heat", "tiering", "profiles")  # the state machines operators may list


class OperationsSettings(_Base):
    """The state machines the operator page lists (`/ops/executions?workflow=`); "" = not deployed."""

    ingest_state_machine_arn: str = ""
    heat_state_machine_arn: str = ""
    tiering_state_machine_arn: str = ""
    profiles_state_machine_arn: str = ""

    def workflows(self) -> dict[str, str]:
        """Workflow name -> state machine ARN, for those configured."""
        named = {
            "ingest": self.ingest_state_machine_arn,
            "heat": self.heat_state_machine_arn,
            "tiering": self.tiering_state_machine_arn,
            "profiles": self.profiles_state_machine_arn,
        }
        return {name: arn for name, arn in named.items() if arn}


class ApiSettings(
    OperationsSettings,
    FeatureFlagSettings,
    SocialSettings,
    FeedSettings,
    StorageSettings,
    TableSettings,
    UploadLimits,
    AuthSettings,
    PlaybackSettings,
    PrivatePlaybackSettings,
    NotificationSettings,
    LikeSettings,
    LikesQueueSettings,
    PlayStatsSettings,
    PlayDailyStatsSettings,
    PlaysQueueSettings,
    RateLimitSettings,
    ArchiveSettings,
    SearchSettings,
    SdkSettings,
):
    """The HTTP API function (its SDK timeouts, set tight by the template, are read by the clients
    through `sdk_settings()`)."""

    merge_function_name: str
    waiting_tasks_table: str


class HotListSettings(
    StorageSettings, TableSettings, PlayStatsSettings, PlayDailyStatsSettings, LikeSettings
):
    """The hot-list run (every 10 minutes): the counters, the videos, the durable stats, the likes."""

    hot_list_size: int = 200


@cache
def hot_list_settings() -> HotListSettings:
    return HotListSettings()  # type: ignore[call-arg]


class MergeSettings(StorageSettings, TableSettings):
    """The merge function: coalesces staged chunks and verifies declared checksums."""

    merge_part_size: int = 8 * MiB
    merge_parallelism: int = 4  # chunk reads and part uploads in flight at once


class IngestTriggerSettings(_Base):
    """The function that starts one ingest execution per original."""

    ingest_state_machine_arn: str


class IngestSettings(StorageSettings, TableSettings, PlaybackSettings):
    """The ingest workflow's stage functions."""

    # Probe policy: what the platform accepts (4K = 3840x2160 in either orientation).
    min_duration_seconds: float = 1.0
    max_duration_seconds: float = 600.0
    max_long_side: int = 3840
    max_short_side: int = 2160
    # Plan: the declared rendition spec (`reelstack.domain.media.rendition_spec` grammar; "" = the default).
    rendition_spec: str = ""
    # Moderation policy (`reelstack.domain.media.moderation` grammar; "" = the default).
    moderation_policy: str = ""
    # Publish: the bus `VideoPublished` goes to.
    event_bus_name: str = "default"
    scratch_dir: str = "/tmp"
    # The high-heat Plan: the GPU container's job queue ("" = no GPU backend: long twins stay on the Lambda).
    gpu_job_queue: str = ""


class IngestSweeperSettings(TableSettings):
    """The ingest sweeper: the outbox's bus, and the ingest state machine whose ended runs it checks."""

    event_bus_name: str = "default"
    ingest_state_machine_arn: str
    outbox_grace_seconds: float = 60.0
    ingest_sweep_lookback_seconds: float = 86_400.0
    ingest_sweep_limit: int = 200


@cache
def ingest_sweeper_settings() -> IngestSweeperSettings:
    return IngestSweeperSettings()  # type: ignore[call-arg]


class ReviewSettings(TableSettings, StorageSettings):
    """Human review of held videos: the waiting tasks (Step Functions task tokens) and their frames."""

    waiting_tasks_table: str


class LikesWorkerSettings(LikeSettings, TableSettings, DirtyCountsSettings, InteractionLogQueueSettings):
    """The likes queue's consumer: durable writes, cache reconciling, `VideoLiked` to the bus."""

    event_bus_name: str = "default"


class TieringSettings(StorageSettings, TableSettings, PlayDailyStatsSettings):
    """The nightly tiering: where the videos and play stats are, how big a page is, the prices."""

    tiering_page_size: int = 100
    event_bus_name: str = "default"  # where settled tier changes go (VideoTierChanged)
    tiering_history_days: int = 60  # the decisions' recent plays and last play
    tiering_forecast_days: int = 365  # the play history a forecast reads (since publication, at most)
    # Price overrides (`reelstack.domain.storage.pricing.parse_prices` grammar, "" = us-east-1 list prices).
    prices: str = ""


class LikeCountSettings(_Base):
    """The durable like counts only (`LikeStore.count`): no cache, no queue."""

    likes_table: str
    like_counters_table: str


class TieringPageSettings(TieringSettings, LikeCountSettings):
    """A page of the nightly tiering also starts the high-heat workflow when the ROI says REENCODE, and
    forecasts plays with the trained predictor when `play_model_key` names its artifact."""

    heat_state_machine_arn: str
    # The play predictor's joblib artifact in the media bucket (`models/play-predictor/<name>.joblib`,
    # written by `reelstack roi train`); "" = the exponential-decay baseline.
    play_model_key: str = ""
    scratch_dir: str = "/tmp"  # where the artifact is downloaded at cold start


@cache
def tiering_settings() -> TieringSettings:
    return TieringSettings()  # type: ignore[call-arg]


@cache
def tiering_page_settings() -> TieringPageSettings:
    return TieringPageSettings()  # type: ignore[call-arg]


@cache
def plays_worker_settings() -> PlaysWorkerSettings:
    return PlaysWorkerSettings()  # type: ignore[call-arg]


@cache
def likes_worker_settings() -> LikesWorkerSettings:
    return LikesWorkerSettings()  # type: ignore[call-arg]


@cache
def api_settings() -> ApiSettings:
    return ApiSettings()  # type: ignore[call-arg]


@cache
def merge_settings() -> MergeSettings:
    return MergeSettings()  # type: ignore[call-arg]


class MergeSweeperSettings(StorageSettings, TableSettings):
    """The scheduled sweeper of uploads stuck in MERGING (`reelstack.domain.media.merge_sweep`)."""

    merge_function_name: str
    # MERGING but the merge function was never handed the upload (its invoke failed) for this long.
    merge_unstarted_after_seconds: int = 120
    # Handed to the merge function this long ago and still MERGING: beyond the function's 3 attempts
    # of 15 minutes with Lambda's retry delays, so the merge is lost (not merely slow).
    merge_stuck_after_seconds: int = 3600
    # MERGING this long since `complete`: failed, whatever the chunks (the client gets an answer).
    merge_give_up_after_seconds: int = 6 * 3600
    merge_sweep_limit: int = 100  # uploads looked at per run (the rest wait for the next run)


@cache
def merge_sweeper_settings() -> MergeSweeperSettings:
    return MergeSweeperSettings()  # type: ignore[call-arg]


@cache
def ingest_trigger_settings() -> IngestTriggerSettings:
    return IngestTriggerSettings()  # type: ignore[call-arg]


@cache
def ingest_settings() -> IngestSettings:
    return IngestSettings()  # type: ignore[call-arg]


@cache
def review_settings() -> ReviewSettings:
    return ReviewSettings()  # type: ignore[call-arg]


class TranscodeBackendSettings(StorageSettings):
    """The MediaConvert and GPU (AWS Batch) transcode backends: submitting jobs, resuming the workflow."""

    waiting_tasks_table: str
    # MediaConvert: the role it assumes to read originals and write renditions; "" = no MediaConvert.
    mediaconvert_role_arn: str = ""
    mediaconvert_queue_arn: str = ""  # "" = the account's Default queue
    # GPU: the AWS Batch job queue and job definition of the NVENC container; "" = no GPU backend.
    gpu_job_queue: str = ""
    gpu_job_definition: str = ""
    # The stage jobs are tagged with (MediaConvert user metadata: the EventBridge rule filters on it).
    reelstack_stage: str = "dev"
    scratch_dir: str = "/tmp"


@cache
def transcode_backend_settings() -> TranscodeBackendSettings:
    return TranscodeBackendSettings()  # type: ignore[call-arg]


@cache
def notification_settings() -> NotificationSettings:
    return NotificationSettings()  # type: ignore[call-arg]


class SearchIndexerSettings(SearchSettings, TableSettings, LikeCountSettings, PlayDailyStatsSettings):
    """The search indexer and the count refresher: the records, the durable counts, the engine."""

    redis_url: str = ""
    redis_cluster: bool = False
    dirty_counts_timeout_seconds: float = 0.5
    count_refresh_page_size: int = 200  # videos per bulk request
    count_refresh_max_pages: int = 20  # per run (the rest waits for the next run)


@cache
def search_indexer_settings() -> SearchIndexerSettings:
    return SearchIndexerSettings()  # type: ignore[call-arg]


class ProfileRunSettings(SearchSettings, RedisClusterSetting):
    """The nightly profile run's Lambda steps: the lake, the interest stores, the job's knobs."""

    lake_bucket: str
    interests_table: str
    redis_url: str
    lake_events_prefix: str = "lake/interactions/v1"
    profile_runs_prefix: str = "lake/profiles/runs"
    lake_daily_stats_prefix: str = "lake/daily_stats/v1"
    interests_cache_timeout_seconds: float = 2.0
    interests_ttl_seconds: int = 3 * 86400  # a version outlives the next two nights
    profile_window_days: int = 30
    profile_top_tags: int = 20
    profile_top_neighbours: int = 20
    profile_min_support: int = 2
    profile_half_life_days: float = 7.0
    profile_history_cap: int = 200
    profile_min_ratio: float = 0.5  # a run with fewer profiles than this share of the serving one is refused


@cache
def profile_run_settings() -> ProfileRunSettings:
    return ProfileRunSettings()  # type: ignore[call-arg]


class InteractionLogWriterSettings(TableSettings):
    """The log writer: the videos it looks up, the lake it writes, the DLQ of malformed events."""

    lake_bucket: str
    interaction_log_dlq_url: str


@cache
def interaction_log_writer_settings() -> InteractionLogWriterSettings:
    return InteractionLogWriterSettings()  # type: ignore[call-arg]
