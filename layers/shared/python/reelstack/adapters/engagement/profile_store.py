"""User profiles in DynamoDB (`users` table, pk `user_id`): display name, bio, avatar, times."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError
from pynamodb.models import Model

from reelstack.adapters.tables import bound_model
from reelstack.domain.engagement.profiles import AvatarUpload, Profile, ProfilePatch
from reelstack.errors import DependencyFailed


class UserRecord(Model):
    class Meta:
        table_name = "unbound-users"

    user_id = UnicodeAttribute(hash_key=True)
    display_name = UnicodeAttribute()
    bio = UnicodeAttribute(null=True)
    avatar_key = UnicodeAttribute(null=True)
    # The newest avatar upload: its id, processing | ready | refused, and why it was refused.
    avatar_pending = UnicodeAttribute(null=True)
    avatar_state = UnicodeAttribute(null=True)
    avatar_reason = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


def _profile(record: Any) -> Profile:
    return Profile(
        user_id=record.user_id,
        display_name=record.display_name,
        bio=record.bio or "",
        avatar_key=record.avatar_key,
        created_at=record.created_at,
        avatar_upload=AvatarUpload(record.avatar_pending, record.avatar_state or "", record.avatar_reason)
        if record.avatar_pending
        else None,
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

    def names(self, user_ids: list[str]) -> dict[str, str]:
        """Display names of several users at once (BatchGetItem); unknown ids are absent."""
        try:
            return {
                record.user_id: record.display_name
                for record in self.model.batch_get(list(dict.fromkeys(user_ids)))
            }
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading profiles failed: {exc.msg}") from exc

    def update(self, user_id: str, patch: ProfilePatch, at: str) -> Profile | None:
        """Apply the patch to an existing profile; None when there is none."""
        model = self.model
        actions = [model.updated_at.set(at)]
        if patch.display_name is not None:
            actions.append(model.display_name.set(patch.display_name))
        if patch.bio is not None:
            actions.append(model.bio.set(patch.bio) if patch.bio else model.bio.remove())
        return self._update(user_id, actions)

    def start_avatar(self, user_id: str, avatar_id: str, at: str) -> Profile | None:
        """A new avatar upload is the one that counts (an older one still processing will not land)."""
        model = self.model
        actions = [
            model.avatar_pending.set(avatar_id),
            model.avatar_state.set("processing"),
            model.avatar_reason.remove(),
            model.updated_at.set(at),
        ]
        return self._update(user_id, actions)

    def finish_avatar(self, user_id: str, avatar_id: str, key: str, at: str) -> Profile | None:
        """Point the profile at the resized avatar, if this upload is still the newest (else None)."""
        model = self.model
        actions = [model.avatar_key.set(key), model.avatar_state.set("ready"), model.updated_at.set(at)]
        return self._update(user_id, actions, model.avatar_pending == avatar_id)

    def refuse_avatar(self, user_id: str, avatar_id: str, reason: str, at: str) -> Profile | None:
        model = self.model
        actions = [
            model.avatar_state.set("refused"),
            model.avatar_reason.set(reason),
            model.updated_at.set(at),
        ]
        return self._update(user_id, actions, model.avatar_pending == avatar_id)

    def _update(self, user_id: str, actions: list[Any], condition: Any = None) -> Profile | None:
        item = self.model(user_id=user_id)
        exists = self.model.user_id.exists()
        try:
            item.update(actions=actions, condition=exists if condition is None else exists & condition)
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise DependencyFailed(f"updating a profile failed: {exc.msg}") from exc
        except PynamoDBException as exc:
            raise DependencyFailed(f"updating a profile failed: {exc.msg}") from exc
        return _profile(item)
