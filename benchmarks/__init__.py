"""Measured comparisons; each prints its ratio against its baseline."""
