"""Words of the product that light modules (the command line's start-up) need without
loading the models."""

STATUSES = ("unread", "unanswered", "answered", "completed")  # R-STATUS-1, in its order
STATUS_FILTERS = (*STATUSES, "in-progress", "all")  # R-FILTER-1
MAX_ID = 2**31 - 1  # the largest id either store's integer keys hold
MAX_LIMIT = 10_000_000  # a --limit beyond any store's rows; 0 means all


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 room`, `2 rooms`, `1,000 rooms`: a count and its noun, singular or plural."""
    if count == 1:
        return f"1 {noun}"
    return f"{count:,} {plural or noun + 's'}"
