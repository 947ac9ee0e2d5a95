"""Listings cut at a limit (`--limit`): the records shown, and whether the limit left some
out (and how many match in all where counts kept as rooms change say it for free), so that
a cut listing can say so."""

import sqlalchemy as sa


class Page(list):
    """Records, a list like any other; `cut` says whether the limit left some out, and
    `total` how many match in all, where that is known (None otherwise)."""

    def __init__(self, records=(), total: int | None = None, *, cut: bool | None = None):
        super().__init__(records)
        self.total = total
        self.cut = total is not None if cut is None else cut


def first_rows(db, query: sa.Select, limit: int) -> tuple[list, bool]:
    """The rows of `query` up to `limit` (0: all of them), and whether some were left out:
    one row more than the limit is read to learn it; those left out are not counted, so
    the first page costs the same however many rows there are."""
    if not limit:
        return list(db.execute(query)), False
    rows = list(db.execute(query.limit(limit + 1)))
    return rows[:limit], len(rows) > limit
