"""kchat's batch jobs and their scheduler; they call the same domain layer as the commands."""
