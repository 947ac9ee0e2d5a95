"""Customer info (R-PII-1/2): asked for through the personal-info plugin, kept sealed, shown
to admins on request, and destroyed three days after use. Above conversations: asking sends
a message in a room."""
