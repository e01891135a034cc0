"""The resumable chunk upload client behind `reelstack upload`.

Library use: ``upload_file(path, api_url=..., token=..., title=..., tags=..., chunk_size=..., parallel=...)``
returns an ``UploadResult``; set the ``cancel`` event from another thread to stop (``UploadInterrupted``), and call
again to resume (``result.resumed_parts`` says how many chunks were already on the server).

Exports are resolved lazily, so importing ``reelstack_tools.uploader.command`` (which every ``reelstack``
subcommand does while building its parser) costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import UploadResult, upload_file
    from .errors import ApiError, TransferFailed, UploadError, UploadInterrupted
    from .progress import ProgressListener

_EXPORTS = {
    "UploadResult": "client",
    "upload_file": "client",
    "ApiError": "errors",
    "TransferFailed": "errors",
    "UploadError": "errors",
    "UploadInterrupted": "errors",
    "ProgressListener": "progress",
}

__all__ = [
    "ApiError",
    "ProgressListener",
    "TransferFailed",
    "UploadError",
    "UploadInterrupted",
    "UploadResult",
    "upload_file",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
