"""PostgreSQL: pg_trgm moved out of the store's schema into a schema of its own.

Migration 0006 installed the extension where the first store's search path pointed, inside
that store's schema. Every store of the database uses the one installation, so dropping
that schema (`DROP SCHEMA … CASCADE`, a test store, an old copy) dropped the extension and
with it the trigram index of every other store, silently. An installation made elsewhere
(`public`, or already apart) is left where it is.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

EXTENSIONS_SCHEMA = "kchat_extensions"

# Moved only by a role that may: one that owns the extension and may create in the schema
# (or create the schema). A store whose extension a database owner installed stays as it
# is, rather than fail its upgrade.
_INSIDE_THIS_STORE = sa.text("""
    SELECT 1 FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm' AND n.nspname = current_schema() AND n.nspname <> 'public'
      AND pg_has_role(e.extowner, 'MEMBER')
      AND CASE WHEN to_regnamespace(:schema) IS NULL
               THEN has_database_privilege(current_database(), 'CREATE')
               ELSE has_schema_privilege(:schema, 'CREATE') END""")


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    if connection.execute(_INSIDE_THIS_STORE, {"schema": EXTENSIONS_SCHEMA}).scalar() is None:
        return
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {EXTENSIONS_SCHEMA}")
    op.execute(f"ALTER EXTENSION pg_trgm SET SCHEMA {EXTENSIONS_SCHEMA}")


def downgrade() -> None:
    # Nothing to undo: where the extension lives is not part of the store's schema.
    pass
