"""Request validation in the words Auth0 uses.

Auth0's Management API validates bodies and query strings against JSON schemas
(with ``additionalProperties: false``) and reports the *first* problem as

    Payload validation error: 'Additional properties not allowed: foo'.
    Payload validation error: 'String is too long (300 chars), maximum 200' on property name (<description>).
    Query validation error: 'Value 101 is greater than maximum 100' on property per_page (<description>).

The quoted part uses z-schema's message templates, which is why this is a small
purpose-built checker over a JSON-Schema subset rather than a general validator
whose messages would not match.  Supported keywords: type (string or list,
``"null"`` for nullable), enum, pattern, minLength, maxLength, minimum, maximum,
minItems, maxItems, items, properties, required, additionalProperties (bool or a
schema for map values), minProperties, maxProperties, description.
"""

from __future__ import annotations

import json
import re
from typing import Any

from auth0_emulator.errors import ApiError

Schema = dict[str, Any]


class SchemaError(Exception):
    def __init__(self, message: str, path: str = "", description: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.description = description


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_ok(actual: str, allowed: list[str]) -> bool:
    if actual in allowed:
        return True
    return actual == "integer" and "number" in allowed


def _check(value: Any, schema: Schema, path: str, desc: str | None) -> None:
    desc = schema.get("description", desc)
    allowed = schema.get("type")
    if allowed is not None:
        allowed_list = allowed if isinstance(allowed, list) else [allowed]
        actual = json_type(value)
        if not _type_ok(actual, allowed_list):
            shown = ",".join(t for t in allowed_list if t != "null") or "null"
            raise SchemaError(f"Expected type {shown} but found type {actual}", path, desc)
    if value is None:
        return
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"No enum match for: {_show(value)}", path, desc)
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise SchemaError(
                f"String is too short ({len(value)} chars), minimum {schema['minLength']}", path, desc
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise SchemaError(
                f"String is too long ({len(value)} chars), maximum {schema['maxLength']}", path, desc
            )
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise SchemaError(f"String does not match pattern {schema['pattern']}: {value}", path, desc)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise SchemaError(f"Value {_num(value)} is less than minimum {schema['minimum']}", path, desc)
        if "maximum" in schema and value > schema["maximum"]:
            raise SchemaError(f"Value {_num(value)} is greater than maximum {schema['maximum']}", path, desc)
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            raise SchemaError(f"Array is too short ({len(value)}), minimum {schema['minItems']}", path, desc)
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            raise SchemaError(f"Array is too long ({len(value)}), maximum {schema['maxItems']}", path, desc)
        if "items" in schema:
            for index, item in enumerate(value):
                _check(item, schema["items"], _join(path, str(index)), None)
    if isinstance(value, dict):
        props: dict[str, Schema] = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                raise SchemaError(f"Missing required property: {name}", path, desc)
        extra = schema.get("additionalProperties", True)
        if extra is False:
            unknown = [k for k in value if k not in props]
            if unknown:
                raise SchemaError(f"Additional properties not allowed: {unknown[0]}", path, desc)
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            raise SchemaError(
                f"Too few properties defined ({len(value)}), minimum {schema['minProperties']}", path, desc
            )
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            raise SchemaError(
                f"Too many properties defined ({len(value)}), maximum {schema['maxProperties']}", path, desc
            )
        for key, item in value.items():
            if key in props:
                _check(item, props[key], _join(path, key), None)
            elif isinstance(extra, dict):
                _check(item, extra, _join(path, key), None)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _format(kind: str, err: SchemaError) -> str:
    if not err.path:
        return f"{kind} validation error: '{err.message}'."
    if err.description:
        return f"{kind} validation error: '{err.message}' on property {err.path} ({err.description})."
    return f"{kind} validation error: '{err.message}' on property {err.path}."


def validate_body(body: Any, schema: Schema) -> dict[str, Any]:
    """Validate a request body; raise Auth0's 400 ``invalid_body`` on the first problem."""
    try:
        _check(body, schema, "", None)
    except SchemaError as err:
        raise ApiError(400, _format("Payload", err), "invalid_body") from None
    return body


def validate_query(query: dict[str, Any], schema: Schema) -> dict[str, Any]:
    try:
        _check(query, schema, "", None)
    except SchemaError as err:
        raise ApiError(400, _format("Query", err), "invalid_query_string") from None
    return query


# ---------------------------------------------------------------------------------
# Query-string handling.  Query values arrive as strings; Auth0 coerces numbers and
# booleans before validating, and reports a non-number as a type error.

def coerce_query(raw: dict[str, str], types: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in raw.items():
        kind = types.get(key, "string")
        if kind == "integer":
            try:
                out[key] = int(value)
            except ValueError:
                try:
                    out[key] = float(value)
                except ValueError:
                    out[key] = value  # reported as "Expected type integer but found type string"
        elif kind == "boolean":
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
        else:
            out[key] = value
    return out
