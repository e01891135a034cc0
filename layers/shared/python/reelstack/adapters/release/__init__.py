"""Adapters of gray release: the feature flags document on AWS AppConfig."""
