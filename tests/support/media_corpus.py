"""The bad-media corpus, made by ffmpeg at test time: what users upload, good and bad.

Used by the probe tests (no cloud) and by the workflow tests (each file through the local cloud).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

FFMPEG = ["ffmpeg", "-nostdin", "-v", "error", "-y"]
X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
TRUNCATED_AT = (0.3, 0.6, 0.9)
# 59.94 fps with frames dropped irregularly (every 7th from the 4th, every 11th from the 6th): gaps of 1-3.
IRREGULAR_DROPS = r"select='not(eq(mod(n\,7)\,3)+eq(mod(n\,11)\,5))'"


def ffmpeg(*args: str | Path) -> None:
    subprocess.run([*FFMPEG, *map(str, args)], check=True, capture_output=True, timeout=60)


def pattern(size: str = "320x240", rate: str = "30", seconds: float = 2) -> list[str]:
    return ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]


def flat(size: str, seconds: float = 2) -> list[str]:
    """A single-colour source: cheap to encode at 4K."""
    return ["-f", "lavfi", "-i", f"color=c=navy:size={size}:rate=30:duration={seconds}"]


def tone(seconds: float) -> list[str]:
    return ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]


def cut(source: Path, target: Path, fraction: float) -> Path:
    data = source.read_bytes()
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def cut_at_packet_end(source: Path, target: Path, fraction: float) -> Path:
    """Cut exactly where a packet ends (at or after `fraction` of the bytes): no packet is left partial."""
    packets = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=pos,size", "-of", "csv=p=0", str(source)],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    ends = sorted(int(pos) + int(size) for pos, size in (line.split(",")[:2] for line in packets))
    data = source.read_bytes()
    target.write_bytes(data[: next(end for end in ends if end >= len(data) * fraction)])
    return target


def build_corpus(d: Path) -> dict[str, Path]:
    """Every file of the corpus, by case name, written into `d`."""
    if shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None:
        raise RuntimeError("ffmpeg and ffprobe must be on PATH")
    files: dict[str, Path] = {}

    files["zero_bytes"] = d / "zero.mp4"
    files["zero_bytes"].write_bytes(b"")
    files["text_renamed"] = d / "notes.mp4"
    files["text_renamed"].write_text("These are my holiday notes, not a video.\n" * 20)

    # A 3 s 320x240 H.264/AAC clip, index ("moov") at the end as ffmpeg writes it by default...
    files["three_seconds"] = d / "clip.mp4"
    ffmpeg(*pattern(seconds=3), *tone(3), *X264, "-c:a", "aac", "-shortest", files["three_seconds"])
    # ...and the same remuxed with the index first ("faststart", as uploaded by most apps).
    files["faststart"] = d / "clip_faststart.mp4"
    ffmpeg("-i", files["three_seconds"], "-c", "copy", "-movflags", "+faststart", files["faststart"])
    files["matroska"] = d / "clip.mkv"
    ffmpeg("-i", files["three_seconds"], "-c", "copy", files["matroska"])
    for fraction in TRUNCATED_AT:
        percent = int(fraction * 100)
        for name in ("three_seconds", "faststart", "matroska"):
            whole = files[name]
            target = d / f"{whole.stem}_cut{percent}{whole.suffix}"
            files[f"{name}_cut_{percent}"] = cut(whole, target, fraction)
    at_packet_end = d / "clip_faststart_cut_at_packet_end.mp4"
    files["faststart_cut_at_packet_end"] = cut_at_packet_end(files["faststart"], at_packet_end, 0.6)

    audio = d / "tone.m4a"
    ffmpeg(*tone(2), "-c:a", "aac", audio)
    files["audio_only"] = audio.rename(d / "tone.mp4")
    files["single_frame"] = d / "one_frame.mp4"
    ffmpeg(*pattern(), "-frames:v", "1", *X264, files["single_frame"])

    # Portrait as phones record it: 1280x720 coded, a display matrix turning it 90 degrees clockwise.
    # ffmpeg 5.1 has no -display_rotation; the `rotate` tag is honoured only when stream-copying, and is
    # written counter-clockwise there, so rotate=270 gives the phone's matrix (ffprobe: rotation -90).
    landscape = d / "landscape_1280x720.mp4"
    ffmpeg(*pattern("1280x720"), *X264, landscape)
    files["portrait_rotated"] = d / "portrait.mp4"
    ffmpeg("-i", landscape, "-c", "copy", "-metadata:s:v:0", "rotate=270", files["portrait_rotated"])

    files["vfr_59_94"] = d / "vfr.mp4"
    ffmpeg(*pattern(rate="60000/1001", seconds=3), "-vf", IRREGULAR_DROPS, "-fps_mode", "vfr", *X264,
           files["vfr_59_94"])  # fmt: skip
    files["uhd_4k"] = d / "uhd.mp4"
    ffmpeg(*flat("3840x2160"), *X264, files["uhd_4k"])
    files["dci_4k"] = d / "dci.mp4"
    ffmpeg(*flat("4096x2160"), *X264, files["dci_4k"])
    files["no_audio"] = d / "silent.mp4"
    ffmpeg(*pattern(), *X264, "-an", files["no_audio"])
    return files
