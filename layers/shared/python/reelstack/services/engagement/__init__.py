"""Services of likes, plays, notifications, rate limits and the interaction log (use cases)."""
