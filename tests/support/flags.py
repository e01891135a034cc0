"""Feature flags in tests: `reelstack flags` against the session's local cloud, and a reset to the
released document (the cloud is shared by the whole session)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from reelstack.domain.release.flags import released_document
from reelstack_tools.cli import main as reelstack
from reelstack_tools.flags_command import deployer_for


def flags(cloud: Any, *args: str) -> int:
    """`reelstack flags ARGS` on the local cloud: its exit status."""
    return reelstack(["flags", "--state-dir", str(cloud.state_dir), *args])


def release_every_flag(cloud: Any) -> None:
    deployer_for(SimpleNamespace(stack=None, state_dir=cloud.state_dir)).publish(
        released_document(), "tests: every flag released"
    )
