"""Reading the channel at large: the status, reply-time reports, exports."""
