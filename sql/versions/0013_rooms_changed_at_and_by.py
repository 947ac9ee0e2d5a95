"""When a room last changed, and by whom (an admin's login, `ingest` or a job's name):
`kchat watch` says so for each room change. Rooms changed before this show neither.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rooms", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("rooms", sa.Column("changed_by", sa.String(), nullable=True))


def downgrade() -> None:
    # In place on both dialects: a rebuilt rooms table would break the messages' references.
    op.drop_column("rooms", "changed_by")
    op.drop_column("rooms", "changed_at")
