"""Builds the feature gate from settings: the AppConfig flag store, or none (every flag released)."""

from __future__ import annotations

from reelstack.adapters.release.feature_flags import FlagStore
from reelstack.services.release.gates import FeatureGate
from reelstack.settings import FeatureFlagSettings


def build_gate(settings: FeatureFlagSettings) -> FeatureGate:
    if not settings.feature_flags_application:
        return FeatureGate(None)
    return FeatureGate(
        FlagStore(
            settings.feature_flags_application,
            settings.feature_flags_environment,
            settings.feature_flags_profile,
            max_age_s=settings.feature_flags_max_age_seconds,
        )
    )
