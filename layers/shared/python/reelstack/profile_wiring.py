"""Building the nightly profile run's steps from their settings (cached per process)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from reelstack.adapters.distribution.interest_cache import InterestCache
from reelstack.adapters.distribution.interest_table import InterestTable
from reelstack.adapters.distribution.profile_writer import prune, write_profiles
from reelstack.adapters.distribution.search_client import SearchClient
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.distribution.profile_runs import InterestProfile, JobSettings
from reelstack.services.distribution.profile_runs import ProfileRuns
from reelstack.settings import ProfileRunSettings, profile_run_settings


class LakeObjects:
    """The lake bucket as the profile run reads it (keys under a prefix, whole objects)."""

    def __init__(self, storage: MediaStorage) -> None:
        self._storage = storage

    def list_keys(self, prefix: str) -> list[str]:
        return [item.key for item in self._storage.list_objects(prefix)]

    def read(self, key: str) -> bytes:
        return self._storage.read(key)


class SearchProfiles:
    """The `profiles` alias, written per part and pruned after the switch."""

    def __init__(self, search: SearchClient) -> None:
        self._search = search

    def write(self, version: int, profiles: Sequence[InterestProfile]) -> int:
        return write_profiles(self._search.client, version, profiles)

    def prune(self, version: int) -> int:
        return prune(self._search.client, version)


def interest_cache(settings: ProfileRunSettings) -> InterestCache:
    return InterestCache(
        settings.redis_url,
        cluster=settings.redis_cluster,
        timeout_s=settings.interests_cache_timeout_seconds,
        ttl_s=settings.interests_ttl_seconds,
    )


def build_profile_runs(settings: ProfileRunSettings) -> ProfileRuns:
    job = JobSettings(
        days=settings.profile_window_days,
        top_tags=settings.profile_top_tags,
        top_neighbours=settings.profile_top_neighbours,
        min_support=settings.profile_min_support,
        half_life_days=settings.profile_half_life_days,
        history_cap=settings.profile_history_cap,
    )
    return ProfileRuns(
        LakeObjects(MediaStorage(settings.lake_bucket)),
        InterestTable(settings.interests_table, ttl_s=settings.interests_ttl_seconds + 86400),
        interest_cache(settings),
        SearchProfiles(SearchClient(settings)),
        bucket=settings.lake_bucket,
        events_prefix=settings.lake_events_prefix,
        runs_prefix=settings.profile_runs_prefix,
        daily_stats_prefix=settings.lake_daily_stats_prefix,
        job=job,
        min_ratio=settings.profile_min_ratio,
    )


@cache
def profile_runs() -> ProfileRuns:
    return build_profile_runs(profile_run_settings())
