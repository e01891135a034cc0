"""Services of gray release: per-request feature gates."""
