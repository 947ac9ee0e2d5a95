"""Command modules: each parses its arguments, calls the domain layer and renders."""
