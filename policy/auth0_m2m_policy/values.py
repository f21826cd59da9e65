"""Resource properties as plain Python values, with unknowns made explicit.

pulumi-policy hands policies a proxy that raises ``UnknownValueError`` when a value is not known yet
(during a preview: ids of resources not created yet, outputs of other resources). An uncaught
``UnknownValueError`` makes the SDK turn the whole policy into an advisory "can't run during preview"
note, so the policies here never let one escape: they convert the properties once with :func:`plain`,
which replaces every unknown value by the :data:`UNKNOWN` marker, and then decide explicitly what an
unknown means for each rule (skip with a reason, match through parent/dependency relationships, or
fail closed).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import (
    UNKNOWN_ARCHIVE_VALUE,
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_ASSET_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

# How an unknown value arrives (the engine sends UNKNOWN_STRING_VALUE; the SDK defines one per type).
SENTINELS = frozenset(
    {
        UNKNOWN_ARCHIVE_VALUE,
        UNKNOWN_ARRAY_VALUE,
        UNKNOWN_ASSET_VALUE,
        UNKNOWN_BOOLEAN_VALUE,
        UNKNOWN_NUMBER_VALUE,
        UNKNOWN_OBJECT_VALUE,
        UNKNOWN_STRING_VALUE,
    }
)


class _Unknown:
    """A value that is not known yet (preview). Falsy, equal only to itself."""

    _instance = None

    def __new__(cls) -> "_Unknown":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown during preview>"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


def plain(value: Any) -> Any:
    """``value`` (possibly a pulumi-policy proxy) as dicts, lists and scalars; unknowns become UNKNOWN."""
    if isinstance(value, str):
        return UNKNOWN if value in SENTINELS else value
    if isinstance(value, Mapping):
        out: dict = {}
        for key in list(iter(value)):
            try:
                item = value[key]
            except UnknownValueError:
                out[key] = UNKNOWN
                continue
            out[key] = plain(item)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items: list = []
        for index in range(len(value)):
            try:
                items.append(plain(value[index]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


def get(props: Any, *path: Any) -> Any:
    """``props[path[0]][path[1]]...`` of a plain value: None when absent, UNKNOWN when not known."""
    current = props
    for key in path:
        if current is UNKNOWN:
            return UNKNOWN
        if isinstance(key, int):
            if not isinstance(current, list) or key >= len(current):
                return None
            current = current[key]
        else:
            if not isinstance(current, dict):
                return None
            current = current.get(key)
    return current


def is_known(value: Any) -> bool:
    """True when ``value`` contains no unknown part."""
    if value is UNKNOWN:
        return False
    if isinstance(value, dict):
        return all(is_known(v) for v in value.values())
    if isinstance(value, list):
        return all(is_known(v) for v in value)
    return True
