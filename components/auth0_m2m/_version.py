"""The library's version: the one place it is written (pyproject.toml reads it; release tags are ``v<version>``)."""

__version__ = "0.2.0"
