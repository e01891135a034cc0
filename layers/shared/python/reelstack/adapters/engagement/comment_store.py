"""Comments in DynamoDB, with the video's comment count and each thread's reply count kept exact.

Table `comments`: pk `video_id`, sk `comment_id` (time-ordered: newest sorts last). Each item holds
`author_id`, `author_name`, `text`, `created_at`, `status` (pending | visible | held), `reply_to`
(replies only), `thread` = "<video>#root" for a top-level comment or "<video>#<parent>" for a reply,
`reply_count` (top-level), and two sparse keys:
  `top_key`    "<reply count, 10 digits>#<comment id>", on VISIBLE top-level comments only
  `held_shard` "held", only while HELD (the reviewers' queue; `held_at` orders it)
GSIs: `thread-index` (thread, comment_id) newest or oldest first; `thread-top-index` (thread, top_key)
most replied first; `held-index` (held_shard, held_at).

Counts move only inside the transaction that changes visibility:
  publish  pending|held -> visible  + video comments +1 (+ the parent's reply_count +1 for a reply)
  remove   delete IF status = s     (- the same, when s was visible)
so `comments` always equals the visible comments, however often a step is retried. A deleted comment
is gone (its item deleted), so it leaves every list and count at once.
"""

from __future__ import annotations

import time
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from reelstack.adapters.cursors import decode_cursor, encode_cursor
from reelstack.adapters.engagement.social_counters import SocialCounters, video_subject
from reelstack.adapters.engagement.transactions import transact, transact_or_failed_checks
from reelstack.adapters.tables import bound_model
from reelstack.domain.engagement.comments import COMMENTS, Comment, CommentStatus, thread_of, top_key
from reelstack.errors import DependencyFailed

HELD_SHARD = "held"


class ThreadIndex(GlobalSecondaryIndex["CommentRecord"]):
    class Meta:
        index_name = "thread-index"
        projection = AllProjection()

    thread = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)


class ThreadTopIndex(GlobalSecondaryIndex["CommentRecord"]):
    class Meta:
        index_name = "thread-top-index"
        projection = AllProjection()

    thread = UnicodeAttribute(hash_key=True)
    top_key = UnicodeAttribute(range_key=True)


class HeldIndex(GlobalSecondaryIndex["CommentRecord"]):
    class Meta:
        index_name = "held-index"
        projection = AllProjection()

    held_shard = UnicodeAttribute(hash_key=True)
    held_at = UnicodeAttribute(range_key=True)


class CommentRecord(Model):
    class Meta:
        table_name = "unbound-comments"

    video_id = UnicodeAttribute(hash_key=True)
    comment_id = UnicodeAttribute(range_key=True)
    author_id = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    created_at = UnicodeAttribute()
    status = UnicodeAttribute()
    reply_to = UnicodeAttribute(null=True)
    thread = UnicodeAttribute()
    reply_count = NumberAttribute(null=True)
    top_key = UnicodeAttribute(null=True)
    held_shard = UnicodeAttribute(null=True)
    held_at = UnicodeAttribute(null=True)
    flags = UnicodeAttribute(null=True)  # why the text moderation held it
    by_thread = ThreadIndex()
    by_top = ThreadTopIndex()
    held = HeldIndex()


def _comment(record: Any) -> Comment:
    return Comment(
        comment_id=record.comment_id,
        video_id=record.video_id,
        author_id=record.author_id,
        text=record.text,
        created_at=record.created_at,
        status=CommentStatus(record.status),
        reply_to=record.reply_to,
        author_name=record.author_name or record.author_id,
        reply_count=int(record.reply_count or 0),
        flags=record.flags or "",
    )


class CommentStore:
    def __init__(self, table: str, counters: SocialCounters, region: str) -> None:
        self.model: Any = bound_model(CommentRecord, table, region)
        self.counters = counters
        self.region = region

    # -- writes --------------------------------------------------------------------------------------
    def add(self, comment: Comment) -> bool:
        """Store a new (pending) comment; False when its id is taken (a retried request)."""
        model = self.model
        item = model(
            video_id=comment.video_id,
            comment_id=comment.comment_id,
            author_id=comment.author_id,
            author_name=comment.author_name,
            text=comment.text,
            created_at=comment.created_at,
            status=comment.status.value,
            reply_to=comment.reply_to,
            thread=thread_of(comment.video_id, comment.reply_to),
            reply_count=0 if comment.reply_to is None else None,
        )
        return transact(
            self.region, lambda t: t.save(item, condition=model.comment_id.does_not_exist()), "commenting"
        )

    def publish(self, comment: Comment) -> bool:
        """pending|held -> visible, counted (and the parent's reply count); False when it is not
        pending or held any more (done already, or deleted), or when its parent was deleted meanwhile
        (the reply is then deleted too: a thread goes with its top-level comment)."""
        model = self.model
        actions = [
            model.status.set(CommentStatus.VISIBLE.value),
            model.held_shard.remove(),
            model.held_at.remove(),
        ]
        if comment.reply_to is None:
            actions.append(model.top_key.set(top_key(0, comment.comment_id)))
        waiting = model.status.is_in(CommentStatus.PENDING.value, CommentStatus.HELD.value)

        def build(transaction: TransactWrite) -> None:
            transaction.update(self._key(comment), actions=actions, condition=waiting)
            self.counters.move(transaction, video_subject(comment.video_id), COMMENTS, comment.author_id, +1)
            if comment.reply_to is not None:
                self._move_replies(transaction, comment, +1)

        failed = transact_or_failed_checks(self.region, build, "publishing a comment")
        if failed and not failed[0]:  # only the parent's check: it is gone
            self._drop(comment)
            return False
        if not failed and comment.reply_to is not None:
            self._retop(comment.video_id, comment.reply_to)
        return not failed

    def _move_replies(self, transaction: TransactWrite, reply: Comment, delta: int) -> None:
        model = self.model
        transaction.update(
            model(video_id=reply.video_id, comment_id=reply.reply_to),
            actions=[model.reply_count.add(delta)],
            condition=model.comment_id.exists(),
        )

    def _drop(self, comment: Comment) -> None:
        """Delete a comment that was never counted (pending or held)."""
        model = self.model
        waiting = model.status.is_in(CommentStatus.PENDING.value, CommentStatus.HELD.value)
        transact(self.region, lambda t: t.delete(self._key(comment), condition=waiting), "deleting a comment")

    def hold(self, comment: Comment, flags: str, at: str) -> bool:
        """pending -> held (the reviewers' queue); False when it is not pending."""
        model = self.model
        try:
            self._key(comment).update(
                actions=[
                    model.status.set(CommentStatus.HELD.value),
                    model.held_shard.set(HELD_SHARD),
                    model.held_at.set(at),
                    model.flags.set(flags or "flagged"),
                ],
                condition=model.status == CommentStatus.PENDING.value,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DependencyFailed(f"holding a comment failed: {exc.msg}") from exc
        return True

    def remove(self, comment: Comment) -> bool:
        """Delete the comment as it was read (its status unchanged since), uncounting a visible one;
        False when it changed or went meanwhile (read it again)."""
        model = self.model
        visible = comment.status is CommentStatus.VISIBLE

        def build(transaction: TransactWrite, with_parent: bool = True) -> None:
            transaction.delete(self._key(comment), condition=model.status == comment.status.value)
            if visible:
                self.counters.move(
                    transaction, video_subject(comment.video_id), COMMENTS, comment.author_id, -1
                )
                if comment.reply_to is not None and with_parent:
                    self._move_replies(transaction, comment, -1)

        failed = transact_or_failed_checks(self.region, build, "deleting a comment")
        if failed and not failed[0]:  # only the parent's check: it went first, uncount this alone
            return transact(self.region, lambda t: build(t, with_parent=False), "deleting a comment")
        if not failed and visible and comment.reply_to is not None:
            self._retop(comment.video_id, comment.reply_to)
        return not failed

    def _retop(self, video_id: str, parent_id: str) -> None:
        """Bring a top-level comment's `top_key` in line with its reply count (a conditional write on the
        count it read: the last writer always matches the final count)."""
        model = self.model
        for _ in range(8):
            try:
                parent = model.get(video_id, parent_id, consistent_read=True)
            except DoesNotExist:
                return
            if parent.status != CommentStatus.VISIBLE.value:
                return
            count = int(parent.reply_count or 0)
            try:
                parent.update(
                    actions=[model.top_key.set(top_key(count, parent_id))],
                    condition=(model.reply_count == count) & (model.status == CommentStatus.VISIBLE.value),
                )
                return
            except UpdateError as exc:
                if exc.cause_response_code != "ConditionalCheckFailedException":
                    raise DependencyFailed(f"ordering comments failed: {exc.msg}") from exc
            time.sleep(0.01)

    def _key(self, comment: Comment) -> Any:
        return self.model(video_id=comment.video_id, comment_id=comment.comment_id)

    # -- reads ---------------------------------------------------------------------------------------
    def get(self, video_id: str, comment_id: str) -> Comment | None:
        try:
            return _comment(self.model.get(video_id, comment_id, consistent_read=True))
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading a comment failed: {exc.msg}") from exc

    def thread(
        self, video_id: str, parent: str | None, viewer: str, *, top: bool, limit: int, cursor: str | None
    ) -> tuple[list[Comment], str | None]:
        """A thread's comments the viewer may see (visible ones, and the viewer's own pending or held
        ones): top-level newest (or most replied) first, or a comment's replies oldest first."""
        model = self.model
        index = model.by_top if top else model.by_thread
        seen = (model.status == CommentStatus.VISIBLE.value) | (model.author_id == viewer)
        try:
            result = index.query(
                thread_of(video_id, parent),
                filter_condition=seen,
                scan_index_forward=parent is not None,
                limit=limit,
                last_evaluated_key=decode_cursor(cursor),
            )
            comments = [_comment(item) for item in result]
            return comments, encode_cursor(result.last_evaluated_key)
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing comments failed: {exc.msg}") from exc

    def replies(self, comment: Comment) -> list[Comment]:
        """Every reply of a top-level comment, whatever its status (for deleting the thread)."""
        try:
            query = self.model.by_thread.query(thread_of(comment.video_id, comment.comment_id))
            return [_comment(item) for item in query]
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing replies failed: {exc.msg}") from exc

    def held_queue(self, limit: int, cursor: str | None) -> tuple[list[Comment], str | None]:
        """Comments waiting for a reviewer, oldest first."""
        try:
            result = self.model.held.query(HELD_SHARD, limit=limit, last_evaluated_key=decode_cursor(cursor))
            return [_comment(item) for item in result], encode_cursor(result.last_evaluated_key)
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing held comments failed: {exc.msg}") from exc
