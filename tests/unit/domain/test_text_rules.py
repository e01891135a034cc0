"""The text rules every route that takes text applies (domain.text): NFC, no control or invisible
formatting characters (joiners only where they shape text), canonical content types."""

from __future__ import annotations

import pytest

from reelstack.domain.text import canonical_content_type, clean_text, unsafe_character
from reelstack.errors import InvalidRequest

BIDI_AND_INVISIBLE = [
    "\u202e",  # RIGHT-TO-LEFT OVERRIDE: "clip\u202e4pm.exe" reads as "clipexe.mp4"
    "\u202d",  # LEFT-TO-RIGHT OVERRIDE
    "\u2066",  # LEFT-TO-RIGHT ISOLATE
    "\u2069",  # POP DIRECTIONAL ISOLATE
    "\u200b",  # ZERO WIDTH SPACE
    "\u2060",  # WORD JOINER
    "\ufeff",  # ZERO WIDTH NO-BREAK SPACE (BOM)
    "\u00ad",  # SOFT HYPHEN
    "\x00",
    "\x1b",  # ESC: terminal escape sequences in logs
    "\x7f",
    "\x85",  # NEXT LINE (C1 control)
    "\u2028",  # LINE SEPARATOR
]


@pytest.mark.parametrize("char", BIDI_AND_INVISIBLE, ids=lambda c: f"U+{ord(c):04X}")
def test_control_format_and_separator_characters_are_refused(char: str) -> None:
    # GIVEN a filename with a bidi override, zero-width or control character inside
    # WHEN it is cleaned THEN it is refused with the field's name
    with pytest.raises(InvalidRequest) as refused:
        clean_text(f"clip{char}4pm.exe", field="filename", max_length=255)
    assert (refused.value.code, refused.value.details["field"]) == ("invalid_field", "filename")
    assert f"U+{ord(char):04X}" in refused.value.message


def test_a_lone_surrogate_from_json_is_refused() -> None:
    # GIVEN what json.loads makes of "\ud800" WHEN cleaned THEN refused (it cannot be stored as UTF-8)
    with pytest.raises(InvalidRequest):
        clean_text("a\ud800b", field="title", max_length=200)


def test_text_is_normalised_to_nfc_and_stripped() -> None:
    # GIVEN "é" written decomposed (e + combining acute) and Hangul jamo, with spaces around
    # WHEN cleaned THEN it is stored composed (NFC) and stripped
    assert clean_text("  Caf\u0065\u0301 \u1100\u1161 ", field="title", max_length=200) == "Café 가"


@pytest.mark.parametrize(
    "text",
    [
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family emoji: ZWJ sequence
        "\U0001f469\u200d\U0001f52c",  # woman scientist
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",  # Persian "mikhaham" with a ZWNJ
        "\u0915\u094d\u200d\u0937",  # Devanagari half-form with ZWJ
    ],
)
def test_joiners_that_shape_text_are_kept(text: str) -> None:
    # GIVEN emoji sequences and scripts that need a zero-width joiner or non-joiner
    # WHEN cleaned THEN they are accepted unchanged
    assert clean_text(text, field="title", max_length=200) == text


@pytest.mark.parametrize(
    "text", ["ad\u200cmin", "\u200d\U0001f600", "\U0001f600\u200d", "a \u200d b", "é\u200d\u200dé"]
)
def test_joiners_anywhere_else_are_refused(text: str) -> None:
    # GIVEN joiners between ASCII letters, at an edge, next to a space or in a row
    # WHEN cleaned THEN refused: there they only hide differences
    with pytest.raises(InvalidRequest):
        clean_text(text, field="tags", max_length=50)


def test_newlines_and_tabs_only_in_multiline_fields() -> None:
    # GIVEN a reviewer's two-line reason WHEN cleaned as multi-line THEN kept; as a title THEN refused
    reason = "nudity at 0:03\n\tsee frame 2"
    assert clean_text(reason, field="reason", max_length=1000, multiline=True) == reason
    assert unsafe_character(reason) == "\n"
    with pytest.raises(InvalidRequest):
        clean_text(reason, field="title", max_length=200)
    # AND bidi overrides stay refused in multi-line text
    with pytest.raises(InvalidRequest):
        clean_text("ok\u202e", field="reason", max_length=1000, multiline=True)


@pytest.mark.parametrize(
    ("value", "kwargs"),
    [(7, {}), ("", {}), ("   ", {}), ("x" * 51, {}), ("x" * 10_000, {})],
)
def test_wrong_types_and_lengths_are_refused(value: object, kwargs: dict) -> None:
    with pytest.raises(InvalidRequest):
        clean_text(value, field="tags", max_length=50, **kwargs)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("video/mp4", "video/mp4"),
        ("Video/MP4", "video/mp4"),
        ("video/mp4; x=<script>", "video/mp4"),
        ('video/mp4; codecs="avc1.640028, mp4a.40.2"', "video/mp4"),
        (" video/quicktime ;charset=binary", "video/quicktime"),
        ("video/x-matroska", "video/x-matroska"),
    ],
)
def test_content_types_are_stored_canonical(sent: str, stored: str) -> None:
    # GIVEN a content type with case and parameters WHEN canonicalised THEN type/subtype, lower case
    assert canonical_content_type(sent) == stored


@pytest.mark.parametrize(
    "sent",
    ["video", "video/", "/mp4", "video/mp4/x", "vid eo/mp4", "video/<script>", "video/mp\u202e4", 7, None],
)
def test_what_is_no_media_type_has_no_canonical_form(sent: object) -> None:
    assert canonical_content_type(sent) is None
