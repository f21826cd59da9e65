"""Where a public key given as ``pem_file`` is read from: a path relative to the repository root.

The same stack file is read in several places: by the Pulumi program in the project directory, by
``scripts/local-stack`` from ``.state/local-stack``, by ``auth0-m2m diff --base`` at an older git revision.
Paths relative to the repository root mean the same file in all of them; a reader for a revision reads the
key as it was at that revision.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path, PurePosixPath
from typing import Callable, Optional

#: Overrides the repository root (scripts/local-stack sets it: its project directory is elsewhere).
REPOSITORY_ROOT_ENV = "AUTH0_M2M_REPOSITORY_ROOT"

KeyFileReader = Callable[[str], str]
"""Reads a key file by its repository-relative path; raises ``ValueError`` with a message for a person."""


def repository_root(start: Optional[Path] = None) -> Path:
    """``$AUTH0_M2M_REPOSITORY_ROOT``, else the nearest directory from ``start`` (default: the working
    directory) up holding ``.git``, else the nearest holding ``Pulumi.yaml`` (a project outside any
    repository), else ``start`` itself."""
    override = os.environ.get(REPOSITORY_ROOT_ENV)
    if override:
        return Path(override).resolve()
    here = (start or Path.cwd()).resolve()
    for marker in (".git", "Pulumi.yaml"):
        for directory in (here, *here.parents):
            if (directory / marker).exists():
                return directory
    return here


def checked_path(path: str) -> PurePosixPath:
    """A repository-relative path that stays inside the repository."""
    relative = PurePosixPath(path)
    if relative.is_absolute() or "\\" in path or ".." in relative.parts or not relative.parts:
        raise ValueError(
            f"pem_file {path!r} must be a path relative to the repository root, without '..' (e.g. keys/app.pub.pem)"
        )
    return relative


def working_tree_reader(root: Optional[Path] = None) -> KeyFileReader:
    """Key files as they are in the working tree under ``root`` (default: :func:`repository_root`)."""

    def read(path: str) -> str:
        base = root or repository_root()
        file = base / checked_path(path)
        try:
            return file.read_text()
        except FileNotFoundError:
            raise ValueError(f"pem_file {path!r} does not exist (looked in {base})") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(f"pem_file {path!r} could not be read: {error}") from None

    return read


def revision_reader(revision: str, cwd: Optional[Path] = None) -> KeyFileReader:
    """Key files as they were at a git revision (``git show <revision>:<path>``)."""

    def read(path: str) -> str:
        relative = checked_path(path)
        result = subprocess.run(
            ["git", "show", f"{revision}:{relative}"], cwd=cwd, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise ValueError(f"pem_file {path!r} does not exist at revision {revision}")
        return result.stdout

    return read
