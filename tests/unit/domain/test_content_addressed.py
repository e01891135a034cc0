"""Content-addressed media files: the name from a digest (`ffmpeg_ladder.content_addressed_name`) and
the media playlist rewritten to name it (`hls.rename_resources`)."""

from __future__ import annotations

import hashlib

import pytest

from reelstack.domain.media.ffmpeg_ladder import MEDIA_FILE, content_addressed_name
from reelstack.domain.media.hls import parse_media_playlist, rename_resources
from reelstack.errors import InvalidRequest

DIGEST = hashlib.sha256(b"some fMP4 bytes").hexdigest()
NEW = f"media-{DIGEST[:16]}.mp4"

# ffmpeg's single-file playlist, as `-hls_flags single_file` writes it.
SINGLE_FILE = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="media.mp4",BYTERANGE="1353@0"
#EXTINF:2.000000,
#EXT-X-BYTERANGE:197306@1353
media.mp4
#EXTINF:2.000000,
#EXT-X-BYTERANGE:213660@198659
media.mp4
#EXTINF:1.000000,
#EXT-X-BYTERANGE:102150@412319
media.mp4
#EXT-X-ENDLIST
"""

# An older rendition: init and segments in separate files, whole-file segments.
SEPARATE_FILES = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.002000,
seg_00000.m4s
#EXTINF:2.002000,
seg_00001.m4s
#EXT-X-ENDLIST
"""


def test_the_name_is_the_stem_and_the_first_16_hex_digits_of_the_sha256() -> None:
    # GIVEN the file ffmpeg writes and the SHA-256 of its bytes
    # WHEN it is named after its content
    name = content_addressed_name(MEDIA_FILE, DIGEST)
    # THEN it is media-<16 hex>.mp4
    assert name == NEW
    assert content_addressed_name("init.mp4", DIGEST) == f"init-{DIGEST[:16]}.mp4"
    assert content_addressed_name("sub/seg_00001.m4s", DIGEST) == f"sub/seg_00001-{DIGEST[:16]}.m4s"


def test_naming_a_named_file_again_by_the_same_content_keeps_its_name() -> None:
    # GIVEN a file already named after its content
    # WHEN it is named again, by the same or by other content
    other = hashlib.sha256(b"other bytes").hexdigest()
    # THEN the old hash is replaced, never stacked
    assert content_addressed_name(NEW, DIGEST) == NEW
    assert content_addressed_name(NEW, other) == f"media-{other[:16]}.mp4"


@pytest.mark.parametrize("digest", ["", DIGEST[:16], DIGEST.upper(), DIGEST[:-1] + "g", DIGEST + "0"])
def test_a_digest_that_is_not_a_hex_sha256_is_refused(digest: str) -> None:
    # GIVEN something that is not 64 lowercase hex digits WHEN it names a file THEN ValueError
    with pytest.raises(ValueError):
        content_addressed_name(MEDIA_FILE, digest)


def test_rewriting_a_single_file_playlist_changes_every_uri_and_nothing_else() -> None:
    # GIVEN ffmpeg's single-file playlist (the map and every segment read media.mp4)
    before = parse_media_playlist(SINGLE_FILE)
    # WHEN its media file is renamed
    rewritten = rename_resources(SINGLE_FILE, {MEDIA_FILE: NEW})
    # THEN it still parses, and reads only the new name: the map and every segment
    after = parse_media_playlist(rewritten)
    assert after.resources == (NEW,)
    assert after.init_uri == NEW and all(s.uri == NEW for s in after.segments)
    assert "media.mp4" not in rewritten
    # AND nothing else changed: ranges, durations, tags, line for line
    assert after.init_range == before.init_range
    assert [(s.duration_s, s.byte_range) for s in after.segments] == [
        (s.duration_s, s.byte_range) for s in before.segments
    ]
    assert (after.version, after.target_duration_s, after.playlist_type, after.ended) == (
        before.version,
        before.target_duration_s,
        before.playlist_type,
        before.ended,
    )
    assert rewritten == SINGLE_FILE.replace('URI="media.mp4"', f'URI="{NEW}"').replace(
        "\nmedia.mp4\n", f"\n{NEW}\n"
    )
    old_lines, new_lines = SINGLE_FILE.splitlines(), rewritten.splitlines()
    changed = [i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert [old_lines[i] for i in changed] == [
        '#EXT-X-MAP:URI="media.mp4",BYTERANGE="1353@0"',
        "media.mp4",
        "media.mp4",
        "media.mp4",
    ]


def test_line_endings_whitespace_and_other_map_attributes_are_kept() -> None:
    # GIVEN a playlist with CRLF line endings, an indented URI line and an attribute after the URI
    text = (
        SINGLE_FILE.replace('URI="media.mp4",BYTERANGE="1353@0"', 'BYTERANGE="1353@0",URI="media.mp4",X-A=1')
        .replace("\nmedia.mp4\n#EXT-X-ENDLIST", "\n  media.mp4  \n#EXT-X-ENDLIST")
        .replace("\n", "\r\n")
    )
    # WHEN it is rewritten
    rewritten = rename_resources(text, {MEDIA_FILE: NEW})
    # THEN only the URIs differ
    assert rewritten == text.replace("media.mp4", NEW)
    assert parse_media_playlist(rewritten).resources == (NEW,)


def test_every_file_of_a_separate_file_playlist_can_be_renamed() -> None:
    # GIVEN an older rendition's playlist (init and whole-file segments)
    names = {
        uri: content_addressed_name(uri, DIGEST) for uri in parse_media_playlist(SEPARATE_FILES).resources
    }
    # WHEN every file it reads is renamed
    after = parse_media_playlist(rename_resources(SEPARATE_FILES, names))
    # THEN each URI is its file's new name, in the same order, the durations unchanged
    assert after.resources == tuple(names.values())
    assert [s.duration_s for s in after.segments] == [2.002, 2.002]
    assert after.init_range is None and all(s.byte_range is None for s in after.segments)


def test_an_empty_renaming_leaves_the_text_as_it_was() -> None:
    # GIVEN no renames WHEN the playlist is rewritten THEN it is the same text
    assert rename_resources(SINGLE_FILE, {}) == SINGLE_FILE
    assert rename_resources(SINGLE_FILE, {MEDIA_FILE: MEDIA_FILE}) == SINGLE_FILE


@pytest.mark.parametrize(
    "renames",
    [
        {"other.mp4": NEW},  # the playlist does not read it
        {MEDIA_FILE: ""},
        {MEDIA_FILE: "#EXTINF:1,"},
        {MEDIA_FILE: 'a"b.mp4'},
        {MEDIA_FILE: "a\nb.mp4"},
        {MEDIA_FILE: " padded.mp4"},
    ],
    ids=["unknown", "empty", "a-tag", "quote", "newline", "padded"],
)
def test_a_renaming_the_playlist_cannot_carry_is_refused(renames: dict[str, str]) -> None:
    # GIVEN a rename of a file the playlist does not read, or to a name a playlist cannot hold
    # WHEN it is applied THEN invalid_playlist
    with pytest.raises(InvalidRequest) as caught:
        rename_resources(SINGLE_FILE, renames)
    assert caught.value.code == "invalid_playlist"
