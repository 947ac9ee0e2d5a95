"""Access that holds (R-AUTH-5, R-ROLE-1): who started each job run, which OS user a verified
session belongs to, wrong verification tries by time (for the hourly limit), and the store's
facts about itself (which sealing key its data is sealed with).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("job_runs") as table:
        table.add_column(sa.Column("started_by", sa.String(), nullable=True))
        table.add_column(sa.Column("admin", sa.String(), nullable=True))
    with op.batch_alter_table("auth_sessions") as table:
        table.add_column(sa.Column("os_user", sa.String(), nullable=True))
    op.create_table(
        "auth_failures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("admin_id", sa.Integer(), sa.ForeignKey("admins.id"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_auth_failures_admin_at", "auth_failures", ["admin_id", "at"])
    op.create_index("ix_auth_codes_admin_created", "auth_codes", ["admin_id", "created_at"])
    op.create_table(
        "store_facts",
        sa.Column("name", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("store_facts")
    op.drop_index("ix_auth_codes_admin_created", "auth_codes")
    op.drop_index("ix_auth_failures_admin_at", "auth_failures")
    op.drop_table("auth_failures")
    with op.batch_alter_table("auth_sessions") as table:
        table.drop_column("os_user")
    with op.batch_alter_table("job_runs") as table:
        table.drop_column("admin")
        table.drop_column("started_by")
