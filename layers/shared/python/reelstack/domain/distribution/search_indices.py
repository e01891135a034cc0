"""The search indices as data: settings and mappings of `videos` and `profiles`, each behind an alias.

Readers and writers use the alias (`videos`, `profiles`); the index behind it has a version in its
name (`videos-v1`). A mapping change creates the next version (`videos-v2`), fills it, and swaps the
alias in one `_aliases` call, so searches never see a missing or half-built index.

`profiles` keeps a user's interest weights in a `rank_features` field (`tag_weights`): the feed asks
"videos of these tags" and "users with this tag, strongest first"; a `rank_feature` query scores a
document by one tag's weight without scripts, and a profile is read whole by its id. A nested
`interests: [{tag, weight}]` would cost one hidden document per tag and a nested query per read.
Tag names become field names there, so they are normalised (`profile_tag_field`) and never contain
dots. Pure: no SDK, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

VIDEOS_ALIAS = "videos"
PROFILES_ALIAS = "profiles"
VIDEOS_VERSION = 1
PROFILES_VERSION = 1

# Case and accents folded ("Café" finds "cafe"); the keyword twin is folded too, for exact matches.
ANALYSIS: dict[str, Any] = {
    "analyzer": {
        "folded": {
            "type": "custom",
            "tokenizer": "standard",
            "filter": ["lowercase", "asciifolding"],
        }
    },
    "normalizer": {
        "folded_keyword": {"type": "custom", "filter": ["lowercase", "asciifolding"]},
    },
}

VIDEOS_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "video_id": {"type": "keyword"},
        "author": {"type": "keyword"},
        "title": {
            "type": "text",
            "analyzer": "folded",
            "fields": {
                "keyword": {"type": "keyword", "normalizer": "folded_keyword", "ignore_above": 256},
                "suggest": {"type": "search_as_you_type", "analyzer": "folded"},
            },
        },
        "tags": {"type": "keyword", "normalizer": "folded_keyword"},
        "region": {"type": "keyword"},
        "language": {"type": "keyword"},
        "duration_s": {"type": "float"},
        "published_at": {"type": "date"},
        "updated_at": {"type": "date"},
        "like_count": {"type": "long"},
        "play_count": {"type": "long"},
        "heat": {"type": "scaled_float", "scaling_factor": 1000},
        "storage_tier": {"type": "keyword"},
        # Returned with a hit, never searched: the API turns them into URLs.
        "poster_key": {"type": "keyword", "index": False, "doc_values": False},
        "playback_key": {"type": "keyword", "index": False, "doc_values": False},
    },
}

PROFILES_MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "user_id": {"type": "keyword"},
        "tag_weights": {"type": "rank_features"},
        "updated_at": {"type": "date"},
        "version": {"type": "long"},
    },
}


@dataclass(frozen=True)
class IndexSpec:
    """One aliased index: the alias, the versioned index behind it, and its body."""

    alias: str
    version: int
    mappings: dict[str, Any]
    shards: int = 1
    replicas: int = 0

    @property
    def index(self) -> str:
        return versioned_name(self.alias, self.version)

    def body(self) -> dict[str, Any]:
        """The create-index body: settings (shards, replicas, analysis), mappings and the alias."""
        return {
            "settings": {
                "index": {"number_of_shards": self.shards, "number_of_replicas": self.replicas},
                "analysis": ANALYSIS,
            },
            "mappings": self.mappings,
            "aliases": {self.alias: {}},
        }


def versioned_name(alias: str, version: int) -> str:
    if version < 1:
        raise ValueError(f"index versions start at 1, not {version}")
    return f"{alias}-v{version}"


def index_specs(replicas: int = 0) -> tuple[IndexSpec, ...]:
    """Every index the platform reads: `replicas` is 0 on one node, 1+ on a multi-AZ domain."""
    return (
        IndexSpec(VIDEOS_ALIAS, VIDEOS_VERSION, VIDEOS_MAPPINGS, replicas=replicas),
        IndexSpec(PROFILES_ALIAS, PROFILES_VERSION, PROFILES_MAPPINGS, replicas=replicas),
    )


def profile_tag_field(tag: str) -> str:
    """A tag as a `rank_features` key: folded to lower case, dots (path separators there) replaced."""
    field = tag.strip().lower().replace(".", "_")
    if not field:
        raise ValueError("an interest tag must not be empty")
    return field


def profile_document(
    user_id: str, interests: dict[str, float], updated_at: str, version: int
) -> dict[str, Any]:
    """A profile document; rank_features accept only positive weights, so the others are left out."""
    weights: dict[str, float] = {}
    for tag, weight in interests.items():
        if weight > 0:
            field = profile_tag_field(tag)
            weights[field] = max(weights.get(field, 0.0), float(weight))
    return {"user_id": user_id, "tag_weights": weights, "updated_at": updated_at, "version": version}
