"""The local cloud: the whole template running on loopback, no Docker, no AWS account.

`LocalCloud` runs it in this process; `running_local_cloud` runs `reelstack up` as a subprocess and
returns a `CloudHandle` to use it. Imports stay lazy: worker processes import this package too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CloudHandle", "CloudOptions", "LocalCloud", "running_local_cloud"]

_EXPORTS = {
    "CloudOptions": "reelstack_tools.localcloud.cloud",
    "LocalCloud": "reelstack_tools.localcloud.cloud",
    "CloudHandle": "reelstack_tools.localcloud.client",
    "running_local_cloud": "reelstack_tools.localcloud.client",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
