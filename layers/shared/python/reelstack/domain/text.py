"""Text a user gives us (filenames, titles, tags, a reviewer's reason) and content types, made safe to store.

One set of rules for every route that takes text:
- text is normalised to NFC, so the same words are stored (and compared, and de-duplicated) the same way;
- Unicode control (Cc) and format (Cf) characters are refused: bidi overrides and isolates (U+202A-202E,
  U+2066-2069) make a name read differently from what it is, zero-width spaces hide differences, and
  control characters break logs and headers. Two format characters are really needed by writing
  systems: the zero-width joiner (emoji sequences such as family or profession emoji, Indic conjuncts)
  and non-joiner (Persian, Indic). They are kept only *between* two visible non-ASCII characters, where
  they shape text; anywhere else (edges, next to ASCII or spaces, in a row) they are refused;
- surrogates (a JSON `\\ud800` decodes to one) are refused: they cannot be stored as UTF-8;
- line and paragraph separators (and newlines, tabs) only where a field is multi-line.

A content type is stored canonical: `type/subtype`, lower-cased RFC 9110 tokens, parameters dropped
(nothing downstream reads them, and they are where markup hides).
"""

from __future__ import annotations

import re
import unicodedata

from reelstack.errors import InvalidRequest

ZERO_WIDTH_JOINER = "\u200d"
ZERO_WIDTH_NON_JOINER = "\u200c"
_JOINERS = frozenset({ZERO_WIDTH_JOINER, ZERO_WIDTH_NON_JOINER})
_MULTILINE_ALLOWED = frozenset({"\n", "\t"})
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_LINE_SEPARATORS = frozenset({"Zl", "Zp"})
# RFC 9110 token characters, as used in a media type's type and subtype.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"^\s*({_TOKEN})/({_TOKEN})\s*(?:;.*)?$", re.DOTALL)


def _refuse(field: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"'{field}' {message}", code="invalid_field", field=field)


def _joiner_shapes_text(text: str, index: int) -> bool:
    """A joiner between two visible non-ASCII characters (not spaces, not format characters)."""
    if index == 0 or index == len(text) - 1:
        return False
    for neighbour in (text[index - 1], text[index + 1]):
        if neighbour.isascii() or neighbour.isspace() or unicodedata.category(neighbour)[0] in "CZ":
            return False
    return True


def unsafe_character(text: str, *, multiline: bool = False) -> str | None:
    """The first character the rules refuse, or None (see the module docstring)."""
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if multiline and char in _MULTILINE_ALLOWED:
            continue
        if char in _JOINERS and _joiner_shapes_text(text, index):
            continue
        if category in _REFUSED_CATEGORIES or (category in _LINE_SEPARATORS and not multiline):
            return char
    return None


def clean_text(
    value: object, *, field: str, max_length: int, min_length: int = 1, multiline: bool = False
) -> str:
    """`value` as stored: a string, NFC, stripped, `min_length..max_length` characters, no unsafe character.

    Raises InvalidRequest (`invalid_field`, with `field`) otherwise. The length is checked on the raw
    string first, so a huge value costs no normalisation.
    """
    if not isinstance(value, str):
        raise _refuse(field, "must be a string")
    if len(value) > 4 * max_length:  # NFC never shrinks text by more than this: skip the work
        raise _refuse(field, f"must be at most {max_length} characters")
    bad = unsafe_character(value, multiline=multiline)
    if bad is not None:
        raise _refuse(
            field, f"must not contain control or invisible formatting characters (U+{ord(bad):04X})"
        )
    text = unicodedata.normalize("NFC", value).strip()
    if not min_length <= len(text) <= max_length:
        raise _refuse(field, f"must be {min_length} to {max_length} characters")
    return text


def canonical_content_type(value: object) -> str | None:
    """`Video/MP4; codecs="avc1"` -> `video/mp4`; None when `value` is not a media type."""
    if not isinstance(value, str) or len(value) > 255:
        return None
    match = _MEDIA_TYPE.match(value)
    if match is None:
        return None
    return f"{match.group(1)}/{match.group(2)}".lower()
