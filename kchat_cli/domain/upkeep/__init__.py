"""What runs in the background: retention, delivery of the outbox, the record of job runs."""
