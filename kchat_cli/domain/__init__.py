"""The domain layer: every rule of kchat. It never imports Typer and never prints."""
