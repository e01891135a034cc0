"""Adapters of likes, plays, notifications, rate limits and the interaction log (the SDK users)."""
