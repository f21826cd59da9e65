"""Public keys an import is given, to adopt private_key_jwt applications.

Auth0 never returns a registered PEM: a credential answers with its name, algorithm, expiry and ``kid`` (the
RFC 7638 thumbprint of the key) only. So ``auth0-m2m import --public-keys DIR`` reads the public keys (or
certificates) the team already has, and matches them to the tenant's credentials by key id. A key file inside
the repository is written as ``pem_file`` (relative to the repository root, as the stack file expects), one
outside it inline as ``pem``. Private keys are never used, read further or written anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from ..model.keys import inspect_public_key

#: Larger files are no PEM public key or certificate (an RSA 4096 certificate is under 3 KB).
MAX_KEY_FILE_BYTES = 64 * 1024


@dataclass(frozen=True)
class KnownKey:
    """A public key the import was given."""

    key_id: str
    pem: str
    pem_file: Optional[str]
    """Path relative to the repository root, when the file is inside the repository (else None: written inline)."""
    is_certificate: bool
    source: str


@dataclass
class KeyDirectory:
    """The public keys found in the directories given, by key id, and what was left out (said to the user)."""

    keys: dict[str, KnownKey] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def read_public_keys(directories: Iterable[Path], repository: Path) -> KeyDirectory:
    """Every public key or certificate in the directories (recursively; hidden files and directories left out).

    Files that hold no public key are ignored; a file holding a private key is named in ``ignored`` and not
    read further. Two files with the same key keep the first (by path), so the result does not depend on the
    order of the directory listing. Raises ValueError for a directory that does not exist.
    """
    found = KeyDirectory()
    root = repository.resolve()
    for directory in directories:
        base = Path(directory).expanduser()
        if not base.is_dir():
            raise ValueError(f"--public-keys {str(directory)!r} is not a directory")
        for path in sorted(base.rglob("*")):
            relative_parts = path.relative_to(base).parts
            if any(part.startswith(".") for part in relative_parts) or not path.is_file():
                continue
            try:
                if path.stat().st_size > MAX_KEY_FILE_BYTES:
                    continue
                text = path.read_text()
            except (OSError, UnicodeDecodeError):
                continue
            if "-----BEGIN" not in text:
                continue
            if "PRIVATE KEY" in text:
                found.ignored.append(f"{path}: a private key, not used (give public keys: openssl rsa -in key.pem -pubout)")
                continue
            try:
                info = inspect_public_key(text)
            except ValueError as error:
                found.ignored.append(f"{path}: {error}")
                continue
            if info.key_id in found.keys:
                continue
            found.keys[info.key_id] = KnownKey(
                key_id=info.key_id,
                pem=text.strip() + "\n",
                pem_file=_inside(path, root),
                is_certificate=info.certificate_expiry is not None,
                source=str(path),
            )
    return found


def _inside(path: Path, root: Path) -> Optional[str]:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return None
