"""Running a DynamoDB transaction that may lose a race: conditions that fail mean "already so",
conflicts and throttling mean "try again" (the like store's rules, shared by the social stores)."""

from __future__ import annotations

import time
from collections.abc import Callable

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from reelstack.adapters.tables import transaction_connection
from reelstack.errors import DependencyFailed

ATTEMPTS = 8
_RETRIED = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


def reasons(exc: TransactWriteError) -> set[str]:
    return {reason.code for reason in exc.cancellation_reasons or () if reason is not None}


def transact(region: str, build: Callable[[TransactWrite], None], what: str) -> bool:
    """Run the transaction `build` fills; True when it committed, False when one of its conditions
    failed (nothing was written). A conflict re-runs it (backing off); anything else is 503."""
    return not transact_or_failed_checks(region, build, what)


def transact_or_failed_checks(region: str, build: Callable[[TransactWrite], None], what: str) -> list[bool]:
    """As `transact`, but on a failed condition say which: one flag per action, in the order `build`
    added them (True: that action's condition failed); [] when the transaction committed."""
    for attempt in range(ATTEMPTS):
        try:
            with TransactWrite(connection=transaction_connection(region)) as transaction:
                build(transaction)
            return []
        except TransactWriteError as exc:
            found = reasons(exc)
            if "ConditionalCheckFailed" in found and not found - {"ConditionalCheckFailed", "None"}:
                return [
                    reason is not None and reason.code == "ConditionalCheckFailed"
                    for reason in exc.cancellation_reasons or ()
                ]
            if not found & _RETRIED:
                raise DependencyFailed(f"{what} failed: {exc.msg}") from exc
        time.sleep(min(0.01 * 2**attempt, 0.5))
    raise DependencyFailed(f"{what} kept conflicting")
