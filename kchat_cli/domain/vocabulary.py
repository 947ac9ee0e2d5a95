"""Words of the product that light modules (the command line's start-up) need without
loading the models."""

STATUSES = ("unread", "unanswered", "answered", "completed")  # R-STATUS-1, in its order
STATUS_FILTERS = (*STATUSES, "in-progress", "all")  # R-FILTER-1
