"""How each file of the web app's build (`web/dist`, made by `make web`) is served, the same by the local
cloud (`localcloud.web_site`) and in AWS (`reelstack web deploy` sets it on the objects CloudFront reads):
its Content-Type and its Cache-Control.

Vite names what it writes under `assets/` after a hash of the content, so such a file never changes under
its name: cached a year, immutable. The page, its configuration and the other top-level files keep their
names from build to build: a browser revalidates them at every load (`no-cache`), so a new build shows at
the next one.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path, PurePosixPath

DEFAULT_DIST = Path(__file__).resolve().parents[2] / "web" / "dist"
ASSETS_DIR = "assets"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"

# Fixed here rather than read from the machine's mime.types, so that every machine serves and deploys the
# same headers.
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
}


def content_type(name: str) -> str:
    """The Content-Type of a build's file, by its name."""
    suffix = PurePosixPath(name).suffix.lower()
    return _TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def is_hashed_asset(path: str) -> bool:
    """Whether `path` (relative to the build, `/`-separated) is one of Vite's content-hashed files."""
    return PurePosixPath(path.lstrip("/")).parts[:1] == (ASSETS_DIR,)


def cache_control(path: str) -> str:
    """The Cache-Control of the build's file at `path` (relative to the build, `/`-separated)."""
    return IMMUTABLE if is_hashed_asset(path) else REVALIDATE
