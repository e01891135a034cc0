"""Regressions for what fuzzing the API from its OpenAPI document found (tests/integration/contract),
at the level of the code that was wrong: each answered a 5xx, or an error outside `{code, message}`."""

from __future__ import annotations

import pytest

from reelstack.domain.engagement.avatars import parse_avatar_request
from reelstack.domain.engagement.comments import is_comment_id, new_comment_id
from reelstack.domain.request_input import is_json_media_type, require_json_body
from reelstack.errors import InvalidRequest, UnsupportedMediaType
from reelstack.http_errors import error_answer


@pytest.mark.parametrize("content_type", [{}, [], ["image/png"], None, 7])
def test_an_avatar_request_whose_content_type_is_not_a_string_is_a_400(content_type: object) -> None:
    # GIVEN `{content_type: {}, size: 1}` (a dict is not hashable: the membership test raised TypeError, a 500)
    # WHEN parsed THEN 400 invalid_avatar
    with pytest.raises(InvalidRequest) as refused:
        parse_avatar_request({"content_type": content_type, "size": 1})
    assert refused.value.code == "invalid_avatar"


@pytest.mark.parametrize("text", ["", "a" * 65, "a/b", "a b", "é"])
def test_only_ids_of_the_shape_we_give_out_are_comment_ids(text: str) -> None:
    # GIVEN an empty, overlong or foreign id (DynamoDB refuses an empty or overlong sort key: a 503)
    # WHEN checked THEN it is not a comment id, and a new id is
    assert not is_comment_id(text)
    assert is_comment_id(new_comment_id(1_700_000_000_000))


@pytest.mark.parametrize(
    "content_type",
    [None, "", "application/json", "Application/JSON; charset=utf-8", "application/merge-patch+json"],
)
def test_json_media_types_and_no_content_type_read_a_body(content_type: str | None) -> None:
    # GIVEN a body sent as JSON (or with no Content-Type, read as JSON as before) WHEN checked THEN accepted
    assert is_json_media_type(content_type)
    require_json_body(content_type, b'{"a": 1}')


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml"])
def test_a_body_of_another_media_type_is_a_415_in_our_shape(content_type: str) -> None:
    # GIVEN a body sent as another media type (Chalice answered 415 as `{Code, Message}`)
    # WHEN checked THEN 415 unsupported_media_type as `{code, message}`; an empty body has no type to refuse
    with pytest.raises(UnsupportedMediaType) as refused:
        require_json_body(content_type, b'{"channel": "x"}')
    answer = error_answer(refused.value)
    assert answer.status == 415
    assert answer.body["code"] == "unsupported_media_type" and isinstance(answer.body["message"], str)
    require_json_body(content_type, b"  ")
