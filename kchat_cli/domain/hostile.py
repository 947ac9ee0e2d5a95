"""Customer input is hostile (R-INPUT-1): what a store cannot hold, and what a spreadsheet
would run. (What a terminal would act on is the renderer's business: `render.visible`, and
`safe_json` for JSON.)"""

import re

from kchat_cli.errors import Invalid

# A store cannot hold NUL (PostgreSQL) nor a lone surrogate (either, as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
# OWASP's CSV injection list: a cell starting with one of these is a formula to a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def storable(text: str) -> str:
    """Text as every store can hold it: a NUL or a lone surrogate becomes U+FFFD, so that a
    customer's message is kept, visibly marked, instead of refused for one character."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def spreadsheet_safe(text: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading ' defuses a formula (OWASP)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


NAME_LIMIT = 50  # a name someone types: a group, a coupon, a saved reply, an admin…
TEXT_LIMIT = 1000  # a text sent to customers, as the guide's message limit


def typed(value: str, what: str, limit: int = NAME_LIMIT) -> str:
    """A name or text an admin typed: not empty, not over `limit` characters, storable."""
    if not value.strip():
        raise Invalid(f"{what} is empty")
    if len(value) > limit:
        raise Invalid(f"{what} has {len(value):,} characters; the limit is {limit:,}")
    return storable(value)
