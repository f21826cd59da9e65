"""Configuration problems, and the error that reports them all at once.

Every message names the stack file, then where in it the problem is (organization, API, application,
grant) and the field, so that a platform engineer can fix the file without reading this code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a stack configuration."""

    field: str
    message: str
    application: Optional[str] = None
    api: Optional[str] = None
    audience: Optional[str] = None
    organization: Optional[str] = None

    def location(self) -> str:
        parts = []
        if self.application is not None:
            parts.append(f"application {self.application!r}")
        if self.api is not None:
            api = f"API {self.api!r}" + (f" ({self.audience})" if self.audience else "")
            parts.append(f"grant for {api}" if self.application is not None else api)
        elif self.organization is not None:
            parts.append(f"organization {self.organization!r}")
        parts.append(f"field {self.field!r}")
        return ", ".join(parts)

    def format(self, source: str) -> str:
        return f"{source}: {self.location()}: {self.message}"


class StackConfigError(ValueError):
    """A stack file that must not be deployed. Raised before any resource is registered."""

    def __init__(self, source: str, problems: Iterable[Problem]):
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        header = f"{source}: {count} configuration problem{'s' if count != 1 else ''}; nothing was deployed."
        super().__init__("\n".join([header, *(f"  - {p.format(source)}" for p in self.problems)]))
