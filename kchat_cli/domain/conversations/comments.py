"""Comments users leave on the channel's home posts. A blocked user's comments after the
block are hidden from other users (R-BLOCK-2)."""

import sqlalchemy as sa

from kchat_cli.domain.actor import Actor
from kchat_cli.domain.paging import Page, first_rows
from kchat_cli.store.models import Comment, User

COMMENT_FIELDS = ("id", "post", "user", "text", "ts", "hidden")


def list_comments(actor: Actor, *, hidden: bool, limit: int) -> Page:
    session, channel_id = actor.db, actor.channel_id
    query = (
        sa.select(Comment.id, Comment.post, User.key, Comment.text, Comment.ts, Comment.hidden)
        .join(User, User.id == Comment.user_id)
        .where(Comment.channel_id == channel_id, Comment.hidden.is_(hidden))
        .order_by(Comment.ts.desc(), Comment.id.desc())
    )
    rows, cut = first_rows(session, query, limit)
    return Page([dict(zip(COMMENT_FIELDS, row, strict=True)) for row in rows], cut=cut)
