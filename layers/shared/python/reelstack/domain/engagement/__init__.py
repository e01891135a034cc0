"""Domain of likes, plays, notifications, rate limits and the interaction log (pure logic)."""
