"""kchat: run a business channel's 1:1 customer chat from a shell."""

__version__ = "0.1.0"
