"""Access and personal data: verification codes and sessions, the audit log, the
personal-info plugin and its requests, sealed codes in the outbox.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _admin(nullable: bool = False, index: bool = False) -> sa.Column:
    return sa.Column(
        "admin_id", sa.Integer(), sa.ForeignKey("admins.id"), nullable=nullable, index=index
    )


def upgrade() -> None:
    op.create_table(
        "auth_codes",
        _id(),
        _admin(index=True),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("via", sa.String(), nullable=False),
        _when("created_at"),
        _when("expires_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("used_at", nullable=True),
    )
    op.create_table(
        "auth_sessions",
        _id(),
        _admin(index=True),
        sa.Column("token_hash", sa.String(), nullable=False, unique=True),
        _when("created_at"),
        _when("expires_at"),
        _when("ended_at", nullable=True),
    )
    op.create_table(
        "audit_log",
        _id(),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        _admin(nullable=True),
        _when("at"),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=True),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Index("ix_audit_log_channel_at", "channel_id", "at"),
    )
    op.create_table(
        "plugins",
        _id(),
        sa.Column(
            "channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False, unique=True
        ),
        sa.Column("biz_app", sa.String(), nullable=False),
        sa.Column("fields", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        _when("registered_at"),
    )
    op.create_table(
        "info_requests",
        _id(),
        sa.Column("channel_id", sa.Integer(), sa.ForeignKey("channels.id"), nullable=False),
        sa.Column("room_id", sa.Integer(), sa.ForeignKey("rooms.id"), nullable=False, index=True),
        _admin(),
        sa.Column("fields", sa.String(), nullable=False),
        _when("requested_at"),
        _when("answered_at", nullable=True),
    )
    with op.batch_alter_table("consents") as batch:
        batch.add_column(sa.Column("request_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_consents_request_id_info_requests", "info_requests", ["request_id"], ["id"]
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("admin_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sealed_text", sa.Text(), nullable=True))
        batch.create_foreign_key("fk_outbox_admin_id_admins", "admins", ["admin_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_admin_id_admins", type_="foreignkey")
        batch.drop_column("sealed_text")
        batch.drop_column("admin_id")
    with op.batch_alter_table("consents") as batch:
        batch.drop_constraint("fk_consents_request_id_info_requests", type_="foreignkey")
        batch.drop_column("request_id")
    for table in ("info_requests", "plugins", "audit_log", "auth_sessions", "auth_codes"):
        op.drop_table(table)
