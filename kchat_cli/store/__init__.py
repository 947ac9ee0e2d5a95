"""The store layer: models, engine and sessions, dialect details. No rules live here."""
