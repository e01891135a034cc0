"""``reelstack upload FILE``: argparse glue around ``upload_file`` (progress bar, Ctrl-C, exit codes)."""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

HELP = "upload a video in resumable chunks (run the same command again to resume an interrupted upload)"

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def _size(text: str) -> int:
    from .sizes import parse_size

    try:
        value = parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    if value <= 0:
        raise argparse.ArgumentTypeError("must be more than 0 bytes")
    return value


def _parallel(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return value


def _tags(text: str) -> list[str]:
    return [tag.strip() for tag in text.split(",") if tag.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="the video file to upload")
    parser.add_argument("--title", help="the video's title (default: the file name without extension)")
    parser.add_argument("--tags", type=_tags, default=[], help="comma-separated tags, e.g. cats,funny")
    parser.add_argument(
        "--chunk-size",
        type=_size,
        default="8MiB",
        metavar="SIZE",
        help="chunk size: 1MiB, 8MiB, 512KiB or bytes (default 8MiB; under 5 MiB chunks are staged objects)",
    )
    parser.add_argument(
        "--parallel", type=_parallel, default=4, metavar="N", help="chunks in flight at once (default 4)"
    )
    parser.add_argument(
        "--api",
        help="API base URL (default: $REELSTACK_API, the local cloud's api_url, http://127.0.0.1:8000)",
    )
    who = parser.add_mutually_exclusive_group()
    who.add_argument("--token", metavar="JWT", help="bearer token (default: $REELSTACK_TOKEN)")
    who.add_argument("--user", metavar="NAME", help="mint a local-cloud token for this user")
    parser.add_argument(
        "--sha256",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="declare the whole file's SHA-256 for end-to-end verification (one extra read before the upload); "
        "default: on for staged chunks (< 5 MiB) of files up to 512 MiB, off for multipart (S3 checks each part)",
    )
    parser.add_argument("--content-type", help="MIME type (default: guessed from the file name)")
    parser.add_argument(
        "--quiet",
        "-q",
        action="store_true",
        help="no progress bar or notes; print only the video id (or --json)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON summary on stdout")


def resume_hint(args: argparse.Namespace) -> str:
    """The command that resumes this upload (the token itself is never echoed)."""
    from .sizes import size_flag

    words = ["reelstack", "upload", str(args.file)]
    if args.title is not None:
        words += ["--title", args.title]
    if args.tags:
        words += ["--tags", ",".join(args.tags)]
    words += ["--chunk-size", size_flag(args.chunk_size), "--parallel", str(args.parallel)]
    if args.api:
        words += ["--api", args.api]
    if args.user:
        words += ["--user", args.user]
    command = shlex.join(words)
    if args.token:
        command += " --token <JWT>"
    return command


def run(args: argparse.Namespace) -> int:
    from .client import describe, upload_file
    from .config import resolve_api_url, resolve_token
    from .errors import ApiError, TransferFailed, UploadError, UploadInterrupted
    from .progress import NotePrinter, ProgressListener, RichProgress

    try:
        api_url = resolve_api_url(args.api)
        token = resolve_token(args.token, args.user)
    except UploadError as exc:
        _err(f"error: {exc.message}")
        return EXIT_USAGE
    except Exception as exc:  # the local token issuer failed
        _err(f"error: could not mint a token for {args.user!r}: {exc}")
        return EXIT_USAGE

    cancel = threading.Event()
    listener: ProgressListener
    if args.quiet:
        listener = ProgressListener()
    elif args.json and not sys.stderr.isatty():
        listener = NotePrinter()
    else:
        listener = RichProgress(args.file.name)
    try:
        with _interruptible(cancel, listener), _live(listener):
            result = upload_file(
                args.file,
                api_url=api_url,
                token=token,
                title=args.title,
                tags=args.tags,
                chunk_size=args.chunk_size,
                parallel=args.parallel,
                progress=listener,
                cancel=cancel,
                sha256=args.sha256,
                content_type=args.content_type,
            )
    except (UploadInterrupted, KeyboardInterrupt) as exc:
        if isinstance(exc, UploadInterrupted):
            _err(exc.message)
        _err(f"stopped. To resume, run the same command:\n  {resume_hint(args)}")
        return EXIT_INTERRUPTED
    except ApiError as exc:
        _err(f"error: {exc}")
        if exc.status == 401:
            _err("the API refused the token: pass --token, set REELSTACK_TOKEN, or use --user NAME")
        elif exc.status == 0:
            _err(f"is the API up at {api_url}? (`reelstack up` starts the local cloud)")
        if exc.upload_id:
            _err(f"upload {exc.upload_id} is kept; to resume, run the same command:\n  {resume_hint(args)}")
        return EXIT_FAILED
    except TransferFailed as exc:
        _err(f"error: {exc.message}")
        _err(f"the chunks already sent are kept; to resume, run the same command:\n  {resume_hint(args)}")
        return EXIT_FAILED
    except UploadError as exc:
        _err(f"error: {exc.message}")
        if exc.upload_id:
            _err(f"to resume, run the same command:\n  {resume_hint(args)}")
        return EXIT_FAILED if exc.upload_id else EXIT_USAGE
    except OSError as exc:
        _err(f"error: {exc}")
        return EXIT_USAGE

    if args.json:
        summary = result.summary()
        ordered = {
            k: summary[k] for k in ("upload_id", "video_id", "status", "bytes", "seconds", "resumed_parts")
        }
        ordered.update(summary)
        _out(json.dumps(ordered))
    elif args.quiet:
        _out(result.video_id)
    else:
        _out(describe(result))
    return EXIT_OK


@contextmanager
def _live(listener: object) -> Iterator[None]:
    from .progress import RichProgress

    if isinstance(listener, RichProgress):
        with listener:
            yield
    else:
        yield


@contextmanager
def _interruptible(cancel: threading.Event, listener: object) -> Iterator[None]:
    """First Ctrl-C: stop cleanly (in-flight chunks finish). Second Ctrl-C: stop now."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_sigint(signum: int, frame: FrameType | None) -> None:
        if cancel.is_set():
            raise KeyboardInterrupt
        cancel.set()
        note = getattr(listener, "note", None)
        if callable(note):
            note("stopping after the chunks in flight (Ctrl-C again to quit at once)")

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()
