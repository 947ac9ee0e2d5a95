"""Chat settings, hours and holidays; notice claims; job runs and locks.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.add_column(
        "channels", sa.Column("chat_on", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("channels", sa.Column("offhours_text", sa.Text(), nullable=True))
    op.add_column(
        "channels", sa.Column("guide_on", sa.Boolean(), nullable=False, server_default=sa.true())
    )
    op.add_column("channels", sa.Column("guide_text", sa.Text(), nullable=True))
    op.add_column("users", _when("entered_at", nullable=True))
    op.create_table(
        "chat_hours",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.UniqueConstraint("channel_id", "weekday", "start_minute", "end_minute"),
    )
    op.create_table(
        "holidays",
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("note", sa.String(), nullable=True),
    )
    op.create_table(
        "notice_claims",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("kind", sa.String(), primary_key=True),
        sa.Column("period", sa.String(), primary_key=True),
        _when("claimed_at"),
    )
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False),
        _when("as_of"),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        _when("started_at"),
        _when("finished_at", nullable=True),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Index("ix_job_runs_name_started", "name", "started_at"),
    )
    op.create_table(
        "locks",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("holder", sa.String(), nullable=False),
        _when("acquired_at"),
        _when("expires_at"),
    )


def downgrade() -> None:
    for table in ("locks", "job_runs", "notice_claims", "holidays", "chat_hours"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("entered_at")
    with op.batch_alter_table("channels") as batch:
        for column in ("guide_text", "guide_on", "offhours_text", "chat_on"):
            batch.drop_column(column)
