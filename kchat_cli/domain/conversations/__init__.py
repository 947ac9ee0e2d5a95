"""The chat itself: rooms and their status, messages in and out, what admins do in rooms."""
