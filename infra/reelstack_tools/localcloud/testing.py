"""What tests, benchmarks and the demo use to run the local cloud as a subprocess (see `client`)."""

from reelstack_tools.localcloud.client import CloudHandle, CloudStartError, Invocation, running_local_cloud

__all__ = ["CloudHandle", "CloudStartError", "Invocation", "running_local_cloud"]
