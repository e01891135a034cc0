"""The search indices as data: versioned names behind aliases, the mappings the search and the feed
rely on, and profile documents fit for a rank_features field."""

from __future__ import annotations

import pytest

from reelstack.domain.distribution.search_indices import (
    PROFILES_ALIAS,
    VIDEOS_ALIAS,
    index_specs,
    profile_document,
    profile_tag_field,
    versioned_name,
)


def test_each_index_has_a_versioned_name_behind_its_alias() -> None:
    # GIVEN the index specs WHEN their names and bodies are read
    specs = {spec.alias: spec for spec in index_specs()}
    # THEN videos-v1 and profiles-v1 carry the aliases readers use
    assert specs[VIDEOS_ALIAS].index == "videos-v1"
    assert specs[PROFILES_ALIAS].index == "profiles-v1"
    for spec in specs.values():
        assert spec.body()["aliases"] == {spec.alias: {}}
    with pytest.raises(ValueError):
        versioned_name("videos", 0)


def test_the_videos_mapping_has_the_fields_search_filters_and_sorts_on() -> None:
    # GIVEN the videos mapping
    body = index_specs()[0].body()
    properties = body["mappings"]["properties"]
    # THEN title is folded text with a keyword twin and a completion field, ids and filters are keywords
    assert body["mappings"]["dynamic"] == "strict"
    assert properties["title"]["type"] == "text"
    assert properties["title"]["analyzer"] == "folded"
    assert body["settings"]["analysis"]["analyzer"]["folded"]["filter"] == ["lowercase", "asciifolding"]
    assert properties["title"]["fields"]["keyword"]["type"] == "keyword"
    assert properties["title"]["fields"]["suggest"]["type"] == "search_as_you_type"
    for keyword in ("video_id", "author", "tags", "region", "language", "storage_tier"):
        assert properties[keyword]["type"] == "keyword", keyword
    assert properties["duration_s"]["type"] == "float"
    assert properties["published_at"]["type"] == "date"
    assert {properties[name]["type"] for name in ("like_count", "play_count")} == {"long"}
    assert properties["heat"]["type"] == "scaled_float"
    # AND the media keys are stored, not indexed
    assert properties["poster_key"]["index"] is False
    assert properties["playback_key"]["index"] is False


def test_replicas_follow_the_domain_size() -> None:
    # GIVEN one node and then a two-zone domain WHEN the specs are built THEN replicas are 0 and 1
    assert {spec.body()["settings"]["index"]["number_of_replicas"] for spec in index_specs()} == {0}
    assert {spec.body()["settings"]["index"]["number_of_replicas"] for spec in index_specs(1)} == {1}


def test_a_profile_keeps_positive_weights_under_folded_tag_names() -> None:
    # GIVEN interests with mixed case, a dotted tag, a duplicate and non-positive weights
    document = profile_document("u1", {"Cats": 0.5, "cats": 0.7, "a.b": 1.0, "dull": 0.0, "bad": -1}, "t", 3)
    # THEN rank_features get positive weights only, one per folded tag (the larger kept)
    assert document == {
        "user_id": "u1",
        "tag_weights": {"cats": 0.7, "a_b": 1.0},
        "updated_at": "t",
        "version": 3,
    }
    with pytest.raises(ValueError):
        profile_tag_field("  ")
