"""The search bodies (domain.distribution.search_queries): user text only ever matched, never parsed; a blended,
capped function_score; a total sort order for search_after; suggestions and similar videos."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.distribution.search_queries import (
    MAX_BLEND,
    SORT,
    TITLE_EXACT_BOOST,
    distinct_titles,
    search_body,
    similar_body,
    suggest_body,
    video_hit,
)

NOW_MS = 1_780_000_000_000
PARSING_QUERIES = ("query_string", "simple_query_string", "script", "regexp", "wildcard", "fuzzy")


def _keys(node: Any) -> set[str]:
    """Every key anywhere in a body."""
    if isinstance(node, dict):
        return set(node) | {key for value in node.values() for key in _keys(value)}
    if isinstance(node, list):
        return {key for value in node for key in _keys(value)}
    return set()


def _strings(node: Any) -> set[str]:
    """Every string value anywhere in a body."""
    if isinstance(node, dict):
        return {text for value in node.values() for text in _strings(value)}
    if isinstance(node, list):
        return {text for value in node for text in _strings(value)}
    return {node} if isinstance(node, str) else set()


@pytest.mark.parametrize("text", ['title:x AND "y" OR z*', "a\\b/c [d] {e} ~f ^g", "🏄‍♀️ café"])
def test_user_text_is_only_matched_never_parsed(text: str) -> None:
    """GIVEN text full of query syntax WHEN a search, suggest body is built
    THEN no parsing query appears and the text travels only as a value."""
    for body in (search_body(text, limit=10, now_ms=NOW_MS), suggest_body(text, limit=5)):
        assert not _keys(body) & set(PARSING_QUERIES)
        assert text not in _keys(body)
        assert text in _strings(body)


def test_search_blends_title_exact_tags_recency_and_popularity() -> None:
    """GIVEN a text WHEN its search body is built
    THEN a function_score multiplies relevance (title match, exact title, tags) by 1 + recency decay +
    log1p popularity, capped, with the decay's origin the given instant."""
    body = search_body("sunset surfing", limit=20, now_ms=NOW_MS)
    score = body["query"]["function_score"]
    should = score["query"]["bool"]["should"]

    assert {"match": {"title": {"query": "sunset surfing", "operator": "or"}}} in should
    exact = next(clause for clause in should if "constant_score" in clause)["constant_score"]
    assert exact == {"filter": {"term": {"title.keyword": "sunset surfing"}}, "boost": TITLE_EXACT_BOOST}
    tags = next(clause for clause in should if "terms" in clause)["terms"]["tags"]
    assert tags == ["sunset surfing", "sunset", "surfing"]
    functions = score["functions"]
    assert functions[1]["gauss"]["published_at"]["origin"] == NOW_MS
    popularity = {f["field_value_factor"]["field"]: f for f in functions if "field_value_factor" in f}
    assert set(popularity) == {"like_count", "play_count"}
    assert all(f["field_value_factor"]["modifier"] == "log1p" for f in popularity.values())
    assert (score["score_mode"], score["boost_mode"], score["max_boost"]) == ("sum", "multiply", MAX_BLEND)


def test_pages_sort_in_a_total_order_and_continue_after_the_last_hit() -> None:
    """GIVEN the sort values of a page's last hit WHEN the next page's body is built
    THEN it sorts by score, then newest, then video id, and starts after those values."""
    body = search_body("x", limit=5, now_ms=NOW_MS, after=[1.5, NOW_MS, "v1"])

    assert body["sort"] == SORT
    assert [next(iter(entry)) for entry in SORT] == ["_score", "published_at", "video_id"]
    assert body["search_after"] == [1.5, NOW_MS, "v1"]
    assert "search_after" not in search_body("x", limit=5, now_ms=NOW_MS)
    assert body["size"] == 5


def test_the_tag_filter_is_a_filter_not_a_score() -> None:
    """GIVEN tag=cats WHEN the body is built THEN a term filter on tags wraps the relevance query."""
    query = search_body("x", limit=5, now_ms=NOW_MS, tag="cats")["query"]["function_score"]["query"]

    assert query["bool"]["filter"] == [{"term": {"tags": "cats"}}]
    assert "should" in query["bool"]["must"][0]["bool"]


def test_many_words_give_a_bounded_tag_list() -> None:
    """GIVEN a text of 40 words WHEN the body is built THEN at most the text and 10 words as tags."""
    text = " ".join(f"w{n}" for n in range(40))
    should = search_body(text, limit=5, now_ms=NOW_MS)["query"]["function_score"]["query"]["bool"]["should"]
    tags = next(clause for clause in should if "terms" in clause)["terms"]["tags"]

    assert len(tags) == 11 and tags[0] == text


def test_suggest_is_a_bool_prefix_on_the_search_as_you_type_fields_one_per_title() -> None:
    body = suggest_body("surf les", limit=5)
    match = body["query"]["multi_match"]

    assert match["type"] == "bool_prefix"
    assert match["fields"] == ["title.suggest", "title.suggest._2gram", "title.suggest._3gram"]
    assert body["collapse"] == {"field": "title.keyword"}
    assert body["_source"] == ["title"] and body["size"] == 5


def test_similar_is_more_like_this_of_the_stored_video_without_it_or_its_author() -> None:
    """GIVEN a video in index videos-v1 by ana WHEN the similar body is built
    THEN more_like_this on title and tags of that stored document, excluding its id and ana."""
    query = similar_body("videos-v1", "v1", "ana", limit=7)["query"]["bool"]
    mlt = query["must"][0]["more_like_this"]

    assert mlt["like"] == [{"_index": "videos-v1", "_id": "v1"}]
    assert mlt["fields"] == ["title", "tags"]
    assert {"ids": {"values": ["v1"]}} in query["must_not"]
    assert {"term": {"author": "ana"}} in query["must_not"]


def test_a_hit_becomes_a_video_hit_with_its_sort_values() -> None:
    hit = {
        "_id": "v1",
        "_source": {"video_id": "v1", "title": "T", "author": "a", "poster_key": "p.jpg", "like_count": 3},
        "sort": [2.0, NOW_MS, "v1"],
    }
    parsed = video_hit(hit)

    assert (parsed.video_id, parsed.title, parsed.author, parsed.like_count) == ("v1", "T", "a", 3)
    assert (parsed.poster_key, parsed.playback_key, parsed.duration_s) == ("p.jpg", None, None)
    assert parsed.sort == (2.0, NOW_MS, "v1")


def test_distinct_titles_fold_case_and_spaces_and_keep_the_order() -> None:
    titles = ["Surf Day", "surf  day", "Surfing", "", "SURFING", "Beach"]

    assert distinct_titles(titles, 10) == ["Surf Day", "Surfing", "Beach"]
    assert distinct_titles(titles, 2) == ["Surf Day", "Surfing"]
