"""Making a store: its schema, a channel and its owner, a demo channel."""
