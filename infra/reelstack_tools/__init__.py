"""Developer tooling: the `reelstack` CLI, the local cloud, the upload client and the demo."""
