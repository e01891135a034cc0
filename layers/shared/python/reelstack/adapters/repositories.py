"""Upload and video records in DynamoDB: reads, atomic creation, and conditional status transitions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException, TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from reelstack.adapters.cursors import decode_cursor, encode_cursor
from reelstack.adapters.tables import (
    BoundTables,
    UploadRecord,
    VideoRecord,
    bind_tables,
    transaction_connection,
)
from reelstack.domain.media.merge_sweep import all_merging_shards, merging_shard
from reelstack.domain.media.upload_quota import OpenUpload
from reelstack.domain.media.uploads import UploadMode, UploadSession, UploadStatus
from reelstack.domain.storage.storage_tiers import StorageState
from reelstack.domain.videos import Failure, Playback, StageRun, Video, VideoStatus
from reelstack.errors import Conflict, DependencyFailed
from reelstack.settings import TableSettings


def _is_condition_failure(exc: PynamoDBException) -> bool:
    return exc.cause_response_code in {"ConditionalCheckFailedException", "TransactionCanceledException"}


def _upload_from(record: UploadRecord) -> UploadSession:
    return UploadSession(
        upload_id=record.upload_id,
        video_id=record.video_id,
        owner=record.owner,
        filename=record.filename,
        size=int(record.size),
        content_type=record.content_type,
        chunk_size=int(record.chunk_size),
        chunk_count=int(record.chunk_count),
        mode=UploadMode(record.mode),
        status=UploadStatus(record.status),
        created_at=record.created_at,
        expires_at=record.expires_at,
        title=record.title,
        tags=tuple(str(tag) for tag in record.tags or ()),
        sha256=record.sha256,
        s3_upload_id=record.s3_upload_id,
        assembly_key=record.assembly_key,
        merge_started_at=record.merge_started_at,
        merge_invoked_at=record.merge_invoked_at,
        failure=record.failure,
    )


def _plain(item: Any) -> dict[str, Any]:
    """An element of an untyped list attribute as a plain dict."""
    return item.as_dict() if hasattr(item, "as_dict") else dict(item)


def _video_from(record: VideoRecord) -> Video:
    failure = Failure(**record.failure) if record.failure else None
    return Video(
        video_id=record.video_id,
        owner=record.owner,
        status=VideoStatus(record.status),
        title=record.title,
        tags=tuple(str(tag) for tag in record.tags or ()),
        created_at=record.created_at,
        updated_at=record.updated_at,
        upload_id=record.upload_id,
        original_key=record.original_key,
        size=int(record.size) if record.size is not None else None,
        execution_arn=record.execution_arn,
        failure=failure,
        media=record.media,
        playback=Playback.from_dict(record.playback) if record.playback else None,
        moderation=record.moderation,
        timeline=tuple(StageRun.from_dict(_plain(item)) for item in record.timeline or ()),
        published_at=record.published_at,
        storage=(
            StorageState.from_dict(record.storage, int(record.storage_version or 0))
            if record.storage
            else None
        ),
    )


@dataclass(frozen=True)
class VideoPage:
    videos: list[Video]
    cursor: str | None  # opaque; pass back for the next page


class Repositories:
    """Both tables, for the use cases that touch both."""

    def __init__(self, tables: BoundTables) -> None:
        self.tables = tables

    @classmethod
    def from_settings(cls, settings: TableSettings) -> Repositories:
        """The deployed tables named by a function's settings."""
        return cls(bind_tables(settings.uploads_table, settings.videos_table, settings.aws_region))

    # -- reads ---------------------------------------------------------------------------------------
    def get_upload(self, upload_id: str) -> UploadSession | None:
        try:
            return _upload_from(self.tables.uploads.get(upload_id, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading upload failed: {exc.msg}") from exc

    def get_video(self, video_id: str) -> Video | None:
        try:
            return _video_from(self.tables.videos.get(video_id, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading video failed: {exc.msg}") from exc

    def get_videos(self, video_ids: Iterable[str]) -> dict[str, Video]:
        """Several videos by id, consistently (BatchGetItem, 100 keys a request); missing ids are absent."""
        keys = list(dict.fromkeys(video_ids))
        try:
            records = self.tables.videos.batch_get(keys, consistent_read=True)
            return {record.video_id: _video_from(record) for record in records}
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading videos failed: {exc.msg}") from exc

    def videos_of(self, owner: str, limit: int, cursor: str | None) -> VideoPage:
        """An owner's videos, newest first, a page at a time (the owner-created index)."""
        index = self.tables.videos.by_owner
        try:
            result = index.query(
                owner, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor)
            )
            videos = [_video_from(record) for record in result]
            return VideoPage(videos, encode_cursor(result.last_evaluated_key))
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing videos failed: {exc.msg}") from exc

    def newest_published_of(self, owner: str, limit: int) -> list[Video]:
        """An owner's newest published videos, newest upload first (the owner-created index, filtered)."""
        index, model = self.tables.videos.by_owner, self.tables.videos
        try:
            result = index.query(
                owner,
                filter_condition=model.status == VideoStatus.PUBLISHED.value,
                scan_index_forward=False,
                limit=limit,
                page_size=max(limit, 25),
            )
            return [_video_from(record) for record in result]
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing videos failed: {exc.msg}") from exc

    def published_count_of(self, owner: str) -> int:
        """How many of an owner's videos are published (a filtered count over the owner-created index)."""
        model = self.tables.videos
        try:
            return int(
                model.count(
                    owner,
                    filter_condition=model.status == VideoStatus.PUBLISHED.value,
                    index_name=model.by_owner.Meta.index_name,
                )
            )
        except PynamoDBException as exc:
            raise DependencyFailed(f"counting videos failed: {exc.msg}") from exc

    def published_page(self, bucket: str, limit: int, cursor: str | None) -> VideoPage:
        """One page of a published-index partition, oldest publication first."""
        try:
            result = self.tables.videos.published.query(
                bucket, limit=limit, last_evaluated_key=decode_cursor(cursor)
            )
            videos = [_video_from(record) for record in result]
            return VideoPage(videos, encode_cursor(result.last_evaluated_key))
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing published videos failed: {exc.msg}") from exc

    def newest_published(self, bucket: str, limit: int) -> list[Video]:
        """The newest publications of a published-index partition, newest first."""
        try:
            result = self.tables.videos.published.query(bucket, scan_index_forward=False, limit=limit)
            return [_video_from(record) for record in result]
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing published videos failed: {exc.msg}") from exc

    # -- writes --------------------------------------------------------------------------------------
    def create_upload_with_video(self, upload: UploadSession, video: Video, forget_at: datetime) -> None:
        """Both records or neither (one DynamoDB transaction); the upload record expires at `forget_at`."""
        upload_item = self.tables.uploads(
            upload_id=upload.upload_id,
            video_id=upload.video_id,
            owner=upload.owner,
            filename=upload.filename,
            size=upload.size,
            content_type=upload.content_type,
            chunk_size=upload.chunk_size,
            chunk_count=upload.chunk_count,
            mode=upload.mode.value,
            status=upload.status.value,
            created_at=upload.created_at,
            updated_at=upload.created_at,
            expires_at=upload.expires_at,
            expires_at_epoch=forget_at,
            title=upload.title,
            tags=list(upload.tags),
            sha256=upload.sha256,
            s3_upload_id=upload.s3_upload_id,
            assembly_key=upload.assembly_key,
            open_owner=upload.owner if upload.status is UploadStatus.OPEN else None,
        )
        video_item = self.tables.videos(
            video_id=video.video_id,
            owner=video.owner,
            status=video.status.value,
            title=video.title,
            tags=list(video.tags),
            created_at=video.created_at,
            updated_at=video.updated_at,
            upload_id=video.upload_id,
            original_key=video.original_key,
            size=video.size,
        )
        try:
            with TransactWrite(connection=transaction_connection(self.tables.region)) as transaction:
                transaction.save(upload_item, condition=self.tables.uploads.upload_id.does_not_exist())
                transaction.save(video_item, condition=self.tables.videos.video_id.does_not_exist())
        except TransactWriteError as exc:
            if _is_condition_failure(exc):
                raise Conflict("an upload with this id already exists", code="duplicate_upload") from exc
            raise DependencyFailed(f"creating upload failed: {exc.msg}") from exc

    def transition_upload(
        self,
        upload_id: str,
        allowed: Iterable[UploadStatus],
        target: UploadStatus,
        now: str,
        *,
        owner: str | None = None,
        **fields: Any,
    ) -> bool:
        """Move an upload to `target` only from one of `allowed`; False when another caller got there first.

        An upload in MERGING is listed in the sparse merging-index (where the sweeper finds it) and
        leaves it with any other status. One in OPEN is listed in the open-owner-index under its
        `owner` (required when moving back to OPEN) and leaves it with any other status: it no longer
        counts against the owner's upload quota.
        """
        model = self.tables.uploads
        actions = [model.status.set(target.value), model.updated_at.set(now)]
        actions += [getattr(model, name).set(value) for name, value in fields.items()]
        if target is UploadStatus.MERGING:
            actions.append(model.merging_shard.set(merging_shard(upload_id)))
        else:
            actions.append(model.merging_shard.remove())
        if target is UploadStatus.OPEN:
            if owner is None:
                raise ValueError("an upload moved back to OPEN needs its owner (the open-owner-index key)")
            actions.append(model.open_owner.set(owner))
        else:
            actions.append(model.open_owner.remove())
        return self._conditional_update(
            model(upload_id=upload_id), actions, model.status.is_in(*(s.value for s in allowed))
        )

    def record_merge_invoked(self, upload_id: str, now: str) -> bool:
        """Note that the merge function accepted the upload (only while it is still MERGING)."""
        model = self.tables.uploads
        return self._conditional_update(
            model(upload_id=upload_id),
            [model.merge_invoked_at.set(now)],
            model.status == UploadStatus.MERGING.value,
        )

    def merging_since(self, cutoff: str, limit: int) -> list[str]:
        """Ids of uploads in MERGING since `cutoff` or earlier, oldest first per merging-index partition,
        at most `limit` in all (a few queries on the sparse index: never a scan of the table)."""
        found: list[str] = []
        index = self.tables.uploads.merging
        try:
            for shard in all_merging_shards():
                if len(found) >= limit:
                    break
                query = index.query(
                    shard, self.tables.uploads.merge_started_at <= cutoff, limit=limit - len(found)
                )
                found += [record.upload_id for record in query]
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing merging uploads failed: {exc.msg}") from exc
        return found

    def open_uploads_of(self, owner: str, now: str) -> list[OpenUpload]:
        """The owner's uploads still OPEN and not expired at `now` (one query of the sparse
        open-owner-index: uploads that completed, aborted or failed are not in it, expired ones are
        outside the key range)."""
        model = self.tables.uploads
        try:
            return [
                OpenUpload(record.upload_id, int(record.size), record.expires_at)
                for record in model.open_by_owner.query(owner, model.expires_at > now)
            ]
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing open uploads failed: {exc.msg}") from exc

    def transition_video(
        self, video_id: str, allowed: Iterable[VideoStatus], target: VideoStatus, now: str, **fields: Any
    ) -> bool:
        """Move a video to `target` only from one of `allowed`; False otherwise."""
        model = self.tables.videos
        actions = [model.status.set(target.value), model.updated_at.set(now)]
        actions += [getattr(model, name).set(value) for name, value in fields.items()]
        return self._conditional_update(
            model(video_id=video_id), actions, model.status.is_in(*(s.value for s in allowed))
        )

    def append_stage_run(self, video_id: str, run: StageRun) -> None:
        """Add one stage run to the video's timeline (only while the video exists)."""
        model = self.tables.videos
        actions = [model.timeline.set((model.timeline | []).append([run.to_dict()]))]
        self._conditional_update(model(video_id=video_id), actions, model.video_id.exists())

    def update_video(self, video_id: str, allowed: Iterable[VideoStatus], now: str, **fields: Any) -> bool:
        """Set fields on a video whose status is one of `allowed`, leaving the status as it is."""
        model = self.tables.videos
        actions = [model.updated_at.set(now)]
        actions += [getattr(model, name).set(value) for name, value in fields.items()]
        return self._conditional_update(
            model(video_id=video_id), actions, model.status.is_in(*(s.value for s in allowed))
        )

    def transition_storage(
        self, video_id: str, expected_version: int, state: StorageState, now: str, **fields: Any
    ) -> bool:
        """Write a published video's storage state (and `fields`) only if its storage version is still
        `expected_version` (0: never written); False when another request moved it first."""
        model = self.tables.videos
        actions = [
            model.storage.set(state.to_dict()),
            model.storage_version.set(state.version),
            model.updated_at.set(now),
        ]
        actions += [getattr(model, name).set(value) for name, value in fields.items()]
        version = (
            model.storage_version == expected_version
            if expected_version
            else model.storage_version.does_not_exist()
        )
        return self._conditional_update(
            model(video_id=video_id), actions, (model.status == VideoStatus.PUBLISHED.value) & version
        )

    def delete_video(self, video_id: str, only_if: VideoStatus) -> bool:
        model = self.tables.videos
        try:
            model(video_id=video_id).delete(condition=model.status == only_if.value)
        except PynamoDBException as exc:
            if _is_condition_failure(exc):
                return False
            raise DependencyFailed(f"deleting video failed: {exc.msg}") from exc
        return True

    @staticmethod
    def _conditional_update(item: Any, actions: list[Any], condition: Any) -> bool:
        try:
            item.update(actions=actions, condition=condition)
        except UpdateError as exc:
            if _is_condition_failure(exc):
                return False
            raise DependencyFailed(f"updating {type(item).__name__} failed: {exc.msg}") from exc
        return True
