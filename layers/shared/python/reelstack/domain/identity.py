"""Who is calling: the principal extracted from a verified token."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    user_id: str
    username: str
    groups: frozenset[str] = frozenset()

    def has_role(self, role: str) -> bool:
        return role in self.groups


def principal_from_claims(claims: dict[str, object]) -> Principal:
    """Cognito ID-token claims (`sub`, `cognito:username`, `cognito:groups`) -> Principal."""
    user_id = str(claims["sub"])
    username = str(claims.get("cognito:username") or claims.get("username") or user_id)
    raw_groups = claims.get("cognito:groups") or []
    groups = frozenset(str(g) for g in raw_groups) if isinstance(raw_groups, list) else frozenset()
    return Principal(user_id=user_id, username=username, groups=groups)
