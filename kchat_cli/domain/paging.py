"""Listings cut at a limit (`--limit`): the records shown, and how many match in all when
the limit left some out, so that a cut listing can say so."""

import sqlalchemy as sa


class Page(list):
    """Records, a list like any other; `cut` says whether the limit left some out, and
    `total` how many match in all, where that is known (None otherwise)."""

    def __init__(self, records=(), total: int | None = None, *, cut: bool | None = None):
        super().__init__(records)
        self.total = total
        self.cut = total is not None if cut is None else cut


def first_rows(db, query: sa.Select, limit: int) -> tuple[list, int | None]:
    """The rows of `query` up to `limit` (0: all of them), and how many rows it has in all
    when some were left out, else None. One row more than the limit is read to learn whether
    any are left out; only then are they counted."""
    if not limit:
        return list(db.execute(query)), None
    rows = list(db.execute(query.limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], count(db, query)


def count(db, query: sa.Select) -> int:
    """How many rows `query` has."""
    counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    return db.execute(counted).scalar_one()
