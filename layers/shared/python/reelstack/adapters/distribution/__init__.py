"""Adapters of search, the nightly profiles and (next) the feed (the SDK users)."""
