"""The tenant's data directory is private to its owner.

Its SQLite database holds every client secret, and its files hold the CA's and the signing keys' private
keys: the directory is 0700 and every file in it 0600. The server also sets its umask to 077, so what it
writes later (the database's journal files, ``connection.json`` with the management client's secret, new
keys) is created private, with no window in which another user could open it.
"""

from __future__ import annotations

import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_directory(path: Path) -> Path:
    """Create ``path`` (0700) or make an existing one private, with the files directly in it (0600)."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    os.chmod(path, DIR_MODE)
    for child in path.iterdir():
        if child.is_file() and not child.is_symlink():
            os.chmod(child, FILE_MODE)
    return path


def private_umask() -> None:
    """Files and directories this process creates from now on are its owner's only."""
    os.umask(0o077)


def open_private(path: Path, mode: str = "ab"):
    """Open (creating it 0600) a file in a private directory, e.g. the log."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    fd = os.open(path, flags, FILE_MODE)
    os.chmod(path, FILE_MODE)
    return os.fdopen(fd, mode)
