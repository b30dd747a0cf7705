"""drift-bot: why is this Argo CD Application OutOfSync, and what is the narrowest fix."""

__version__ = "0.1.0"
