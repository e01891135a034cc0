"""User profiles in DynamoDB (`users` table, pk `user_id`): display name, bio, avatar, times."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError
from pynamodb.models import Model

from reelstack.adapters.tables import bound_model
from reelstack.domain.engagement.profiles import Profile, ProfilePatch
from reelstack.errors import DependencyFailed


class UserRecord(Model):
    class Meta:
        table_name = "unbound-users"

    user_id = UnicodeAttribute(hash_key=True)
    display_name = UnicodeAttribute()
    bio = UnicodeAttribute(null=True)
    avatar_key = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def _profile(record: Any) -> Profile:
    return Profile(
        user_id=record.user_id,
        display_name=record.display_name,
        bio=record.bio or "",
        avatar_key=record.avatar_key,
        created_at=record.created_at,
    )


class ProfileStore:
    def __init__(self, table: str, region: str) -> None:
        self.model: Any = bound_model(UserRecord, table, region)

    def ensure(self, user_id: str, display_name: str, at: str) -> None:
        """Make the user's profile unless it exists (never overwrites a name the user chose)."""
        model = self.model
        try:
            model(user_id=user_id).update(
                actions=[
                    model.display_name.set(model.display_name | display_name),
                    model.created_at.set(model.created_at | at),
                    model.updated_at.set(model.updated_at | at),
                ]
            )
        except PynamoDBException as exc:
            raise DependencyFailed(f"recording a profile failed: {exc.msg}") from exc

    def get(self, user_id: str) -> Profile | None:
        try:
            return _profile(self.model.get(user_id, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a profile failed: {exc.msg}") from exc

    def update(self, user_id: str, patch: ProfilePatch, at: str) -> Profile | None:
        """Apply the patch to an existing profile; None when there is none."""
        model = self.model
        actions = [model.updated_at.set(at)]
        if patch.display_name is not None:
            actions.append(model.display_name.set(patch.display_name))
        if patch.bio is not None:
            actions.append(model.bio.set(patch.bio) if patch.bio else model.bio.remove())
        return self._update(user_id, actions)

    def set_avatar(self, user_id: str, key: str, at: str) -> Profile | None:
        model = self.model
        return self._update(user_id, [model.avatar_key.set(key), model.updated_at.set(at)])

    def _update(self, user_id: str, actions: list[Any]) -> Profile | None:
        item = self.model(user_id=user_id)
        try:
            item.update(actions=actions, condition=self.model.user_id.exists())
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise DependencyFailed(f"updating a profile failed: {exc.msg}") from exc
        except PynamoDBException as exc:
            raise DependencyFailed(f"updating a profile failed: {exc.msg}") from exc
        return _profile(item)
