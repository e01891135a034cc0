"""Services of search, the nightly profiles and (next) the feed (use cases)."""
