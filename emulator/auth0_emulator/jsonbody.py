"""Request bodies as JSON, refused the way Auth0 refuses them: a 400, never a 500.

``json.loads`` alone lets three things through that end as a server error further on: nesting deep
enough to exhaust the interpreter's recursion limit (``RecursionError``), integers longer than Python's
4,300-digit conversion limit (``ValueError``), and non-finite numbers (``NaN``, ``Infinity``, ``1e999``),
which Auth0's JavaScript JSON parser does not accept and which no response could carry back. The nesting
depth is checked before parsing, over the bracket characters outside strings.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

#: Deepest nesting of arrays and objects accepted in a body. Auth0's deepest documented bodies nest about
#: six levels; past this the emulator answers as it does for unparsable JSON (an emulator choice, see
#: emulator/README.md).
MAX_DEPTH = 100

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")


class InvalidJson(ValueError):
    """The body is not JSON the emulator (or Auth0) accepts."""


def too_deep(raw: bytes, limit: int = MAX_DEPTH) -> bool:
    """Whether ``raw`` nests arrays and objects deeper than ``limit`` (strings are skipped)."""
    depth = 0
    for match in _BRACKETS.finditer(_STRING.sub(b'""', raw)):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise InvalidJson(f"number out of range: {text[:40]}")
    return value


def _no_constants(name: str) -> Any:
    raise InvalidJson(f"{name} is not JSON")


def parse(raw: bytes, parse_float: Any = None) -> Any:
    """The body's JSON value; raises InvalidJson for anything Auth0 would not parse (or the emulator could
    not answer with). ``parse_float`` post-processes finite floats (e.g. 3600.0 -> 3600)."""
    if too_deep(raw):
        raise InvalidJson(f"nested deeper than {MAX_DEPTH} levels")

    def number(text: str) -> Any:
        _finite(text)
        return parse_float(text) if parse_float else float(text)

    try:
        return json.loads(raw, parse_float=number, parse_constant=_no_constants)
    except InvalidJson:
        raise
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidJson(str(error)[:200]) from None
