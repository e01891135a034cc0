"""Building services from a function's settings at cold start (cached per process)."""

from __future__ import annotations

from functools import cache

from reelstack.adapters.distribution.dirty_counts import DirtyCounts, build_dirty_counts
from reelstack.adapters.engagement.like_cache import LikeCache
from reelstack.adapters.engagement.like_store import LikeStore
from reelstack.adapters.engagement.notification_store import NotificationStore
from reelstack.adapters.engagement.play_daily_stats import DailyStats
from reelstack.adapters.engagement.realtime_lag import RealtimeLag
from reelstack.adapters.events import EventPublisher
from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.adapters.media.executions import EndedExecutions
from reelstack.adapters.media.keyframes import KeyframeSampler
from reelstack.adapters.media.mediaconvert import MediaConvertJobs
from reelstack.adapters.media.nudity_detector import NudeNetDetector
from reelstack.adapters.media.outbox_store import OutboxStore
from reelstack.adapters.media.probe import MediaProber
from reelstack.adapters.media.sprite_tiles import SpriteTiler
from reelstack.adapters.media.transcoder import FfmpegTranscoder
from reelstack.adapters.media.waiting_tasks import WaitingTasks
from reelstack.adapters.media.workflow import StepFunctionsWorkflow, TaskCallbacks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.media_urls import MediaUrls
from reelstack.adapters.repositories import Repositories
from reelstack.adapters.storage.play_model_store import PlayModelStore
from reelstack.adapters.storage.tier_events import TierAnnouncingRepositories
from reelstack.domain.media.backends import LambdaBudget
from reelstack.domain.media.media import ProbePolicy
from reelstack.domain.media.moderation import parse_moderation_policy
from reelstack.domain.media.rendition_spec import parse_rendition_spec
from reelstack.domain.storage.pricing import parse_prices
from reelstack.domain.storage.reencode_pacing import ReencodePacing
from reelstack.log_wiring import interaction_log
from reelstack.services.engagement.likes import EVENT_SOURCE as LIKES_EVENT_SOURCE
from reelstack.services.engagement.likes import LikeConsumer, LikeWorker
from reelstack.services.engagement.notifications import NotificationService
from reelstack.services.engagement.plays import PlayAggregator
from reelstack.services.media.heat import HeatStages, HevcTranscoder
from reelstack.services.media.heat_start import HeatStarter
from reelstack.services.media.ingest import IngestStages
from reelstack.services.media.ingest_sweep import IngestSweeper
from reelstack.services.media.mediaconvert_completion import MediaConvertCompletion
from reelstack.services.media.moderation import ModerationStage
from reelstack.services.media.outbox import OutboxRelay
from reelstack.services.media.processing import ProcessingStages
from reelstack.services.media.review import ReviewService
from reelstack.services.media.transcode import TranscodeStage
from reelstack.services.media.transcode_backends import BackendConfig, TranscodeBackends
from reelstack.services.published_videos import PublishedVideos
from reelstack.services.storage.reencode_ledger import ReencodeLedger
from reelstack.services.storage.tiering import (
    Forecast,
    LikeCounts,
    ModelForecast,
    StartReencode,
    TieringService,
    decay_forecast,
)
from reelstack.services.storage.tiering_run import TieringRun
from reelstack.settings import (
    TieringPageSettings,
    TieringSettings,
    ingest_settings,
    ingest_sweeper_settings,
    likes_worker_settings,
    notification_settings,
    plays_worker_settings,
    review_settings,
    tiering_page_settings,
    tiering_settings,
    transcode_backend_settings,
)


@cache
def ingest_stages() -> IngestStages:
    """The ingest workflow's record-keeping stages (Admit, RecordFailure)."""
    settings = ingest_settings()
    return IngestStages(MediaStorage(settings.media_bucket), Repositories.from_settings(settings))


@cache
def processing_stages() -> ProcessingStages:
    """Probe, Plan, Publish and Reject, configured by the ingest settings."""
    settings = ingest_settings()
    repos = Repositories.from_settings(settings)
    events = EventPublisher(settings.event_bus_name)
    return ProcessingStages(
        MediaStorage(settings.media_bucket),
        repos,
        prober=MediaProber(),
        probe_policy=ProbePolicy(
            min_duration_s=settings.min_duration_seconds,
            max_duration_s=settings.max_duration_seconds,
            max_long_side=settings.max_long_side,
            max_short_side=settings.max_short_side,
        ),
        rendition_spec=parse_rendition_spec(settings.rendition_spec),
        budget=LambdaBudget(),
        events=events,
        urls=MediaUrls(settings.media_bucket, settings.playback_base_url),
        relay=OutboxRelay(OutboxStore(repos.tables), events),
        scratch_root=settings.scratch_dir,
    )


@cache
def ingest_sweeper() -> IngestSweeper:
    """The outbox's late deliveries and the ingest runs that ended without a final video status."""
    settings = ingest_sweeper_settings()
    repos = Repositories.from_settings(settings)
    return IngestSweeper(
        OutboxRelay(OutboxStore(repos.tables), EventPublisher(settings.event_bus_name)),
        EndedExecutions(settings.ingest_state_machine_arn),
        repos,
        outbox_grace_s=settings.outbox_grace_seconds,
        lookback_s=settings.ingest_sweep_lookback_seconds,
        limit=settings.ingest_sweep_limit,
    )


@cache
def review_service() -> ReviewService:
    """The review queue's consumer side (holding videos for reviewers)."""
    settings = review_settings()
    return ReviewService(
        Repositories.from_settings(settings),
        WaitingTasks(settings.waiting_tasks_table, settings.aws_region),
        TaskCallbacks(),
        MediaUrls(settings.media_bucket),
    )


@cache
def moderation_stage() -> ModerationStage:
    """Moderate: keyframes through NudeNet under the configured policy (the model loads on first use)."""
    settings = ingest_settings()
    return ModerationStage(
        MediaStorage(settings.media_bucket),
        KeyframeSampler(),
        NudeNetDetector(),
        parse_moderation_policy(settings.moderation_policy),
        scratch_root=settings.scratch_dir,
    )


@cache
def transcode_stage() -> TranscodeStage:
    """Transcode on the ffmpeg Lambda: the plan's ladder from one decode, uploaded under renditions/."""
    settings = ingest_settings()
    # The same decode keeps candidate stills for Moderate, as its policy wants them.
    transcoder = FfmpegTranscoder(moderation=parse_moderation_policy(settings.moderation_policy))
    return TranscodeStage(MediaStorage(settings.media_bucket), transcoder, scratch_root=settings.scratch_dir)


@cache
def heat_stages() -> HeatStages:
    """The high-heat workflow's stages: the backend choice, HEVC twins on the ffmpeg Lambda, the merged
    master playlist (the GPU container makes the twins Plan sends it)."""
    settings = ingest_settings()
    return HeatStages(
        MediaStorage(settings.media_bucket),
        Repositories.from_settings(settings),
        HevcTranscoder(),
        parse_rendition_spec(settings.rendition_spec),
        scratch_root=settings.scratch_dir,
        gpu_available=bool(settings.gpu_job_queue),
    )


@cache
def transcode_backends() -> TranscodeBackends:
    """Submitting MediaConvert and GPU (AWS Batch) jobs for the ingest workflow's transcode Tasks and the
    high-heat workflow's EncodeWithGpu."""
    settings = transcode_backend_settings()
    return TranscodeBackends(
        MediaStorage(settings.media_bucket),
        WaitingTasks(settings.waiting_tasks_table, settings.aws_region),
        MediaConvertJobs(),
        BatchJobs(),
        BackendConfig(
            mediaconvert_role_arn=settings.mediaconvert_role_arn,
            mediaconvert_queue_arn=settings.mediaconvert_queue_arn,
            gpu_job_queue=settings.gpu_job_queue,
            gpu_job_definition=settings.gpu_job_definition,
            stage=settings.reelstack_stage,
        ),
        scratch_root=settings.scratch_dir,
    )


@cache
def mediaconvert_completion() -> MediaConvertCompletion:
    """Finishing MediaConvert's outputs (poster, sprite) and resuming the execution waiting on the job."""
    settings = transcode_backend_settings()
    return MediaConvertCompletion(
        MediaStorage(settings.media_bucket),
        WaitingTasks(settings.waiting_tasks_table, settings.aws_region),
        TaskCallbacks(),
        SpriteTiler(),
        scratch_root=settings.scratch_dir,
    )


@cache
def notification_service() -> NotificationService:
    """Likes, comments, replies and follows -> aggregated notifications."""
    return NotificationService(NotificationStore.from_settings(notification_settings()))


@cache
def like_consumer() -> LikeConsumer:
    """The likes queue's consumer: durable writes, cache reconciling, `VideoLiked` (source reelstack.likes)."""
    settings = likes_worker_settings()
    store, cache_ = LikeStore.from_settings(settings), LikeCache.from_settings(settings)
    return LikeConsumer(
        LikeWorker(store, cache_, interaction_log(settings.interaction_log_queue_url)),
        store,
        EventPublisher(settings.event_bus_name, source=LIKES_EVENT_SOURCE),
        PublishedVideos(Repositories.from_settings(settings).get_video),
    )


@cache
def play_aggregator() -> PlayAggregator:
    """The plays queue's consumer: a batch of counted plays -> one DynamoDB write per (video, day)."""
    settings = plays_worker_settings()
    dirty = build_dirty_counts(
        settings.redis_url, settings.redis_cluster, settings.dirty_counts_timeout_seconds
    )
    lag = RealtimeLag(settings.redis_url, cluster=settings.redis_cluster) if settings.redis_url else None
    return PlayAggregator(
        DailyStats.from_settings(settings), dirty, interaction_log(settings.interaction_log_queue_url), lag
    )


@cache
def like_dirty_counts() -> DirtyCounts | None:
    """Where the likes worker marks videos whose like count moved (the search count refresh)."""
    settings = likes_worker_settings()
    return build_dirty_counts(
        settings.redis_url, settings.redis_cluster, settings.dirty_counts_timeout_seconds
    )


def play_forecast(settings: TieringPageSettings, storage: MediaStorage | None = None) -> Forecast:
    """The tiering's play forecast: the trained predictor PLAY_MODEL_KEY names (downloaded to the scratch
    directory and loaded: `PlayModelUnavailable` if it cannot be, no fallback), else the decay baseline."""
    key = settings.play_model_key.strip()
    if not key:
        return decay_forecast
    store = PlayModelStore(storage or MediaStorage(settings.media_bucket))
    return ModelForecast(store.load(key, settings.scratch_dir), name=f"model {key}")


def build_tiering_run(
    settings: TieringSettings,
    start_reencode: StartReencode | None = None,
    *,
    likes: LikeCounts | None = None,
    forecast: Forecast = decay_forecast,
) -> TieringRun:
    """The nightly tiering over the published-index, a page at a time (`forecast` of the play stats)."""
    storage = MediaStorage(settings.media_bucket)
    # Settled tier changes become VideoTierChanged (the search index's storage_tier).
    repos = TierAnnouncingRepositories.announcing(settings, EventPublisher(settings.event_bus_name))
    tiering = TieringService(
        storage,
        repos,
        DailyStats.from_settings(settings),
        likes=likes,
        prices=parse_prices(settings.prices),
        forecast=forecast,
        start_reencode=start_reencode,
        history_days=settings.tiering_history_days,
        forecast_days=settings.tiering_forecast_days,
    )
    ledger = ReencodeLedger(storage, ReencodePacing())
    return TieringRun(repos, tiering, storage, page_size=settings.tiering_page_size, ledger=ledger)


def build_tiering_page_run(settings: TieringPageSettings, start_reencode: StartReencode | None) -> TieringRun:
    """A page's tiering: the like counts, and the trained play model when PLAY_MODEL_KEY is set (loaded
    here, once: callers cache the run per cold start)."""
    likes = LikeStore(settings.likes_table, settings.like_counters_table, settings.aws_region)
    return build_tiering_run(settings, start_reencode, likes=likes, forecast=play_forecast(settings))


@cache
def tiering_run() -> TieringRun:
    """A page of the nightly tiering: REENCODE decisions start the high-heat workflow; the play model
    (PLAY_MODEL_KEY) is loaded once per cold start."""
    settings = tiering_page_settings()
    return build_tiering_page_run(
        settings, HeatStarter(StepFunctionsWorkflow(settings.heat_state_machine_arn))
    )


@cache
def tiering_summary() -> TieringRun:
    """The nightly tiering's summary: adds the page reports up (starts nothing)."""
    return build_tiering_run(tiering_settings())
