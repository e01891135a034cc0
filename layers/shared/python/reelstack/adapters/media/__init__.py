"""Adapters of uploads, the ingest workflow (probe, plan, transcode, moderation, review) and high-heat re-encodes (the SDK users)."""
