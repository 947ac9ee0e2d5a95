"""Room management: permanent blocks, removed admins, saved replies, coupons, friend groups.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _channel() -> sa.Column:
    return sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False)


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("block_permanent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("admins", _when("removed_at", nullable=True))
    op.create_table(
        "replies",
        sa.Column("id", sa.Integer(), primary_key=True),
        _channel(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.UniqueConstraint("channel_id", "name"),
    )
    op.create_table(
        "coupons",
        sa.Column("id", sa.Integer(), primary_key=True),
        _channel(),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("benefit", sa.String(), nullable=False),
        _when("valid_until"),
        _when("created_at"),
    )
    op.create_table(
        "friend_groups",
        sa.Column("id", sa.Integer(), primary_key=True),
        _channel(),
        sa.Column("name", sa.String(), nullable=False),
        _when("created_at"),
        sa.UniqueConstraint("channel_id", "name"),
    )
    op.create_table(
        "group_members",
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("friend_groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True, index=True),
    )


def downgrade() -> None:
    for table in ("group_members", "friend_groups", "coupons", "replies"):
        op.drop_table(table)
    with op.batch_alter_table("admins") as batch:
        batch.drop_column("removed_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("block_permanent")
