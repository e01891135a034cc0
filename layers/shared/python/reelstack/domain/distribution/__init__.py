"""Domain of search, the nightly profiles and (next) the feed (pure logic)."""
