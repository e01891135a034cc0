"""The feature flags document on AWS AppConfig, read and evaluated through Powertools Feature Flags.

`FlagStore` keeps one Powertools `FeatureFlags` over an `AppConfigStore` (the `appconfigdata` API: a
configuration session, then GetLatestConfiguration at most every `max_age_s` seconds; the document in
between is the cached one). The local cloud answers the same API, so the code is the same in AWS.
A store that cannot be read, or a document that fails Powertools' schema, gives the default the
caller passes (the flag's released value) and a warning in the log: a flag store outage never fails
a request.
"""

from __future__ import annotations

from typing import Any

from reelstack.adapters.aws import client as aws_client
from reelstack.observability import logger


class FlagStore:
    def __init__(
        self, application: str, environment: str, profile: str, *, max_age_s: int = 15, client: Any = None
    ) -> None:
        self.application = application
        self.environment = environment
        self.profile = profile
        self.max_age_s = max_age_s
        self._client = client
        self._flags: Any = None

    @property
    def flags(self) -> Any:
        if self._flags is None:
            from aws_lambda_powertools.utilities.feature_flags import AppConfigStore, FeatureFlags

            store = AppConfigStore(
                environment=self.environment,
                application=self.application,
                name=self.profile,
                max_age=self.max_age_s,
                boto3_client=self._client or aws_client("appconfigdata"),
            )
            self._flags = FeatureFlags(store=store)
        return self._flags

    def evaluate(self, name: str, context: dict[str, Any], default: Any) -> Any:
        from aws_lambda_powertools.utilities.feature_flags.exceptions import SchemaValidationError

        try:
            return self.flags.evaluate(name=name, context=context, default=default)
        except SchemaValidationError as error:
            logger.warning(
                "feature flags: the document is invalid, using defaults", extra={"error": str(error)}
            )
            return default
