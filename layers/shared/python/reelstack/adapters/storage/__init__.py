"""Adapters of storage tiers, prices and the ROI engine's decisions and play predictor (the SDK users)."""
