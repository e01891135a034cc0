"""Building the social services (profiles, follows, the following feed, comments, shares) from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from reelstack.adapters.distribution.following_cache import FollowingCache
from reelstack.adapters.engagement.comment_store import CommentStore
from reelstack.adapters.engagement.follow_store import FollowStore
from reelstack.adapters.engagement.profile_store import ProfileStore
from reelstack.adapters.engagement.share_store import ShareStore
from reelstack.adapters.engagement.social_counters import SocialCounters
from reelstack.adapters.events import EventPublisher
from reelstack.adapters.media.avatar_images import AvatarImages
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.queue_sender import QueueSender
from reelstack.adapters.repositories import Repositories
from reelstack.domain.engagement.rate_limits import Limiter
from reelstack.domain.videos import Video
from reelstack.services.distribution.following_feed import FollowingFeed
from reelstack.services.engagement.avatars import AvatarStage, AvatarUploads
from reelstack.services.engagement.comments import (
    CommentAnnouncer,
    CommentModeration,
    CommentReview,
    CommentService,
)
from reelstack.services.engagement.shares import ShareService
from reelstack.services.engagement.social import SOCIAL_EVENT_SOURCE, FollowService, ProfileService
from reelstack.settings import ApiSettings, avatar_settings, comment_moderation_settings


@dataclass(frozen=True)
class Social:
    """The API's social services, sharing their stores."""

    profiles: ProfileService
    avatars: AvatarUploads
    follows: FollowService
    following_feed: FollowingFeed
    comments: CommentService
    review: CommentReview
    shares: ShareService
    counters: SocialCounters


def social_counters(settings: ApiSettings) -> SocialCounters:
    return SocialCounters(settings.social_counters_table, settings.aws_region, settings.social_counter_shards)


def follow_store(settings: ApiSettings, counters: SocialCounters | None = None) -> FollowStore:
    return FollowStore(settings.follows_table, counters or social_counters(settings), settings.aws_region)


def build_social(
    settings: ApiSettings,
    repos: Repositories,
    videos: Callable[[str], Video | None],
    public_view: Callable[[Video], dict[str, Any]],
    media_url: Callable[[str], str],
    share_base: Callable[[], str],
    limiter: Limiter | None,
) -> Social:
    region = settings.aws_region
    counters = social_counters(settings)
    events = EventPublisher(settings.event_bus_name, source=SOCIAL_EVENT_SOURCE)
    follows = follow_store(settings, counters)
    comments = CommentStore(settings.comments_table, counters, region)
    profile_store = ProfileStore(settings.users_table, region)
    profiles = ProfileService(profile_store, counters, repos.published_count_of, media_url)
    following_feed = FollowingFeed(
        follows,
        repos.newest_published_of,
        repos.get_videos,
        public_view,
        FollowingCache(settings.redis_url, cluster=settings.redis_cluster),
    )
    announcer = CommentAnnouncer(comments, events, videos)
    return Social(
        profiles=profiles,
        avatars=AvatarUploads(
            profile_store, MediaStorage(settings.media_bucket), settings.presign_expiry_seconds
        ),
        follows=FollowService(
            profiles, follows, counters, events, limiter=limiter, on_change=following_feed.forget
        ),
        following_feed=following_feed,
        comments=CommentService(
            comments,
            QueueSender(settings.comments_queue_url),
            videos,
            limiter=limiter,
            names=profiles.display_name,
        ),
        review=CommentReview(comments, announcer, settings.auth_reviewer_group),
        shares=ShareService(
            ShareStore(settings.shares_table, counters, region),
            counters,
            repos.get_video,  # not the 30 s cache: a taken-down video's links close at once
            public_view,
            share_base,
            events,
            limiter=limiter,
        ),
        counters=counters,
    )


@cache
def comment_moderation() -> CommentModeration:
    """The comments queue's consumer: the text moderation step (the packaged word list and classifier)."""
    from reelstack.adapters.engagement.text_moderator import PackagedTextModerator
    from reelstack.services.published_videos import PublishedVideos

    settings = comment_moderation_settings()
    counters = SocialCounters(
        settings.social_counters_table, settings.aws_region, settings.social_counter_shards
    )
    store = CommentStore(settings.comments_table, counters, settings.aws_region)
    videos = PublishedVideos(Repositories.from_settings(settings).get_video).get_video
    events = EventPublisher(settings.event_bus_name, source=SOCIAL_EVENT_SOURCE)
    return CommentModeration(
        store,
        PackagedTextModerator(settings.text_moderation_threshold),
        CommentAnnouncer(store, events, videos),
    )


@cache
def avatar_stage() -> AvatarStage:
    """The avatar function's work: check, resize, switch (ffprobe and ffmpeg of the media image)."""
    settings = avatar_settings()
    return AvatarStage(
        MediaStorage(settings.media_bucket),
        AvatarImages(),
        ProfileStore(settings.users_table, settings.aws_region),
        settings.scratch_dir,
    )
