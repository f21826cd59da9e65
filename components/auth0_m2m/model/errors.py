"""Configuration problems, and the errors that report them all at once.

Every message names the stack file (and the line, when the problem was found in a file), then where in it
the problem is (organization, API, application, grant, or a config key) and the field, so that a platform
engineer can fix the file without reading this code. Values from the file are quoted with :func:`quote`,
never longer than :data:`MAX_QUOTED` characters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Union

#: Longest quotation of a value from a stack file in a message (characters, quotes and ellipsis included).
MAX_QUOTED = 100


def quote(value: Any, limit: int = MAX_QUOTED) -> str:
    """``repr`` of a value from a stack file, shortened to at most ``limit`` characters."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = len(value) if isinstance(value, (str, list, dict, tuple)) else None
    unit = "characters" if isinstance(value, str) else "entries"
    suffix = f"... ({size:,} {unit})" if size is not None else "..."
    return text[: max(limit - len(suffix), 1)] + suffix


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stack configuration."""

    field: str
    message: str
    application: Optional[str] = None
    api: Optional[str] = None
    audience: Optional[str] = None
    organization: Optional[str] = None
    key: Optional[str] = None
    """A config key that is not part of the estate (``auth0:clientSecret``), for problems about the file."""
    line: Optional[int] = None
    """1-based line in the stack file, when the problem was found in a file."""
    path: tuple[Union[str, int], ...] = ()
    """Where the value is in the estate's config (``("applications", 2, "grants", 0, "scopes")``), when known."""

    def location(self) -> str:
        parts = []
        if self.key is not None:
            parts.append(f"config key {quote(self.key)}")
        if self.application is not None:
            parts.append(f"application {quote(self.application)}")
        if self.api is not None:
            api = f"API {quote(self.api)}" + (f" ({self.audience})" if self.audience else "")
            parts.append(f"grant for {api}" if self.application is not None else api)
        elif self.organization is not None:
            parts.append(f"organization {quote(self.organization)}")
        if self.field:
            parts.append(f"field {quote(self.field)}")
        return ", ".join(parts)

    def format(self, source: str) -> str:
        where = f"{source}:{self.line}" if self.line else source
        location = self.location()
        return f"{where}: {location}: {self.message}" if location else f"{where}: {self.message}"

    def as_dict(self, source: str) -> dict[str, Any]:
        """The problem for machines (``--json``): stable keys, absent parts as null."""
        return {
            "file": source,
            "line": self.line,
            "key": self.key,
            "application": self.application,
            "api": self.api,
            "audience": self.audience,
            "organization": self.organization,
            "field": self.field or None,
            "message": self.message,
            "text": self.format(source),
        }


class StackConfigError(ValueError):
    """A stack configuration that must not be deployed. Raised before any resource is registered."""

    #: Exit status of the ``auth0-m2m`` command for this error (see ``auth0_m2m.tools.output``).
    unreadable = False

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        count = len(self.problems)
        header = f"{self.source}: {count} configuration problem{'s' if count != 1 else ''}; nothing was deployed."
        return "\n".join([header, *(f"  - {p.format(self.source)}" for p in self.problems)])


class UnreadableStackFile(StackConfigError):
    """A file that cannot be read as a stack file at all: missing, too large, not UTF-8, not YAML that Pulumi
    reads, or not one mapping. Reported as a single problem."""

    unreadable = True

    def __init__(self, source: str, message: str, line: Optional[int] = None):
        super().__init__(source, [Problem(field="", message=message, line=line)])

    def _text(self) -> str:
        return f"{self.problems[0].format(self.source)} (the file was not read)"
