"""The one validation gate: every way into the library passes through :func:`validate`.

A stack file, a :class:`StackConfig` built in code for an ``Estate``, and one application given to an
``M2MApplication`` on its own all reach the same function, which either returns a configuration that every
model check and every rule in :mod:`auth0_m2m.model.rules` accepts, or raises :class:`StackConfigError`
listing every problem with the stack file (or component), application, API and field. Nothing is
registered before it returns.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Optional, Union

from pydantic import ValidationError

from . import rules
from .config import KEY_FILE_READER, PATTERN_HELP, ApiConfig, ApplicationConfig, OrganizationConfig, StackConfig
from .errors import Problem, StackConfigError, quote
from .key_files import KeyFileReader


def validate(
    config: Union[Mapping[str, Any], StackConfig], source: str, key_files: Optional[KeyFileReader] = None
) -> StackConfig:
    """Parse (when given raw values) and check a stack's configuration; ``source`` names it in every message.

    ``key_files`` reads the public keys given as ``pem_file`` (default: the working tree at the repository
    root; :func:`auth0_m2m.model.key_files.revision_reader` reads them at a git revision).
    """
    if not isinstance(config, StackConfig):
        raw = config
        try:
            config = StackConfig.model_validate(dict(raw), context={KEY_FILE_READER: key_files})
        except ValidationError as exc:
            raise StackConfigError(source, [_problem_from_pydantic(error, raw) for error in exc.errors()]) from None
    problems = rules.check(config)
    if problems:
        raise StackConfigError(source, problems)
    return config


def parse_application(raw: Mapping[str, Any], source: str) -> ApplicationConfig:
    """One application given as raw values (e.g. a component package's inputs), parsed with the messages a stack
    file's application gets. The rules run afterwards, in :func:`validate_application`."""
    try:
        return ApplicationConfig.model_validate(dict(raw))
    except ValidationError as exc:
        # Located as the first application of a stack, so that messages name it like a stack file's.
        scope = {"applications": [dict(raw)]}
        problems = [
            _problem_from_pydantic({**error, "loc": ("applications", 0, *error["loc"])}, scope)
            for error in exc.errors()
        ]
        raise StackConfigError(source, problems) from None


def validate_application(
    application: ApplicationConfig,
    audiences: Mapping[str, str],
    organizations: Any,
    production: bool,
    source: str,
) -> StackConfig:
    """Check one application given without a stack file, by the same rules, in the scope it can see.

    ``audiences`` are the APIs it may name (key -> identifier), ``organizations`` the organization names it
    may name. Both stand in as unmanaged APIs and existing organizations, so that only genuinely unknown
    references are reported, by the rule that reports them in stack files.
    """
    named = {org for grant in application.grants for org in grant.organizations}
    if application.default_organization:
        named.add(application.default_organization)
    scope = StackConfig(
        environment="component",
        production=production,
        organizations={name: OrganizationConfig() for name in sorted(named) if name in organizations},
        apis={
            key: ApiConfig(identifier=audiences[key])
            for key in sorted({grant.api for grant in application.grants})
            if key in audiences
        },
        applications=(application,),
    )
    return validate(scope, source)


def problem_at(path: tuple, message: str, raw: Mapping[str, Any], line: Optional[int] = None) -> Problem:
    """A problem with the value at ``path`` in a stack's raw values, named as every other problem is
    (application, API, organization, field)."""
    problem = _problem_from_pydantic({"loc": path, "type": "value_error", "msg": message}, raw)
    return replace(problem, line=line) if line is not None else problem


def _problem_from_pydantic(error: Mapping[str, Any], raw: Mapping[str, Any]) -> Problem:
    """Turn a pydantic error location into the names a person knows: application, API, organization."""
    loc = list(error["loc"])
    context: dict[str, Any] = {}  # application, api, audience, organization: names (str) or None
    field_path: list[str] = []
    message = _message(error)
    section = loc[0] if loc else None
    rest = loc[1:]
    if section == "applications" and rest and isinstance(rest[0], int):
        app = _item(raw.get("applications"), rest[0])
        context["application"] = _label(app, "name", rest[0], "#")
        rest = rest[1:]
        if rest[:1] == ["grants"] and len(rest) > 1 and isinstance(rest[1], int):
            grant = _item(app.get("grants") if isinstance(app, dict) else None, rest[1])
            api_key = _label(grant, "api", rest[1], "grant #")
            context["api"] = api_key
            api = (raw.get("apis") or {}).get(api_key) if isinstance(raw.get("apis"), dict) else None
            context["audience"] = api.get("identifier") if isinstance(api, dict) else None
            rest = rest[2:]
        elif rest[:1] == ["public_keys"] and len(rest) > 2 and isinstance(rest[1], int):
            # A field of one key: name the key, as the key's own checks do (an application may have two).
            key = _item(app.get("public_keys") if isinstance(app, dict) else None, rest[1])
            label = f"#{rest[1] + 1}" if rest[2] == "name" else _label(key, "name", rest[1], "#")
            message = f"public key {quote(label) if not label.startswith('#') else label}: {message}"
    elif section in ("organizations", "apis") and rest:
        context["organization" if section == "organizations" else "api"] = str(rest[0])
        rest = rest[1:]
        if rest[:1] == ["[key]"]:
            field_path = ["name" if section == "organizations" else "key"]
            rest = []
    elif section is not None:
        field_path = [str(section)]
    field_path += [str(part) for part in rest if not isinstance(part, int) and part != "[key]"]
    field = ".".join(field_path) or ("grants" if "api" in context and "application" in context else "(entry)")
    path = tuple(part for part in loc if part != "[key]")
    return Problem(field=field, message=message, path=path, **context)


def _item(container: Any, index: int) -> Any:
    if isinstance(container, (list, tuple)) and 0 <= index < len(container):
        return container[index]
    return None


def _label(item: Any, key: str, index: int, prefix: str) -> str:
    if isinstance(item, dict) and isinstance(item.get(key), str):
        return item[key]
    return f"{prefix}{index + 1}"


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        return f"unknown field {quote(error['loc'][-1])} (misspelled, or not supported here)"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        return f"{_shown(value)} is not {PATTERN_HELP.get(pattern, f'a value matching {pattern}')}"
    if kind == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{_shown(value)} is not one of {expected}"
    if kind in ("too_long", "string_too_long"):
        ctx = error.get("ctx") or {}
        actual = len(value) if isinstance(value, (dict, list, tuple, str)) else ctx.get("actual_length")
        if isinstance(value, str):
            return f"{_shown(value)} is longer than {ctx.get('max_length')} characters ({actual})"
        return f"at most {ctx.get('max_length')} entries are allowed (Auth0's limit), found {actual}"
    if kind in ("greater_than_equal", "less_than_equal"):
        ctx = error.get("ctx") or {}
        limit = ctx.get("ge", ctx.get("le"))
        return f"{_shown(value)} is {'below the minimum' if kind == 'greater_than_equal' else 'above the maximum'} {limit}"
    if kind.startswith(("datetime_", "date_")):
        return (f"{_shown(value)} is not a date and time: write ISO 8601 in quotes, e.g. \"2027-11-30T00:00:00Z\" "
                "(UTC when no offset is given)")
    if kind == "bool_type":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return f"{_shown(value)} is a string, not a boolean: write {value.lower()} without quotes"
        hint = (" (Pulumi reads stack files as YAML 1.2, where yes, no, on, off, y and n are strings)"
                if isinstance(value, str) and value.lower() in _YAML11_BOOLEANS else "")
        return f"{_shown(value)} is not a boolean: write true or false{hint}"
    expected = _EXPECTED_TYPES.get(kind)
    if expected is not None:
        return f"{_shown(value)} is {_yaml_type(value)}, not {expected}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def _shown(value: Any) -> str:
    """A value for a message; never a private key, not even its first characters."""
    if _holds_private_key(value):
        return "a private key (not shown: a stack file holds only public keys; keep it with the workload)"
    return quote(value)


def _holds_private_key(value: Any) -> bool:
    if isinstance(value, str):
        return "PRIVATE KEY" in value
    if isinstance(value, dict):
        return any(_holds_private_key(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_holds_private_key(v) for v in value)
    return False


_YAML11_BOOLEANS = {"yes", "no", "on", "off", "y", "n"}
_EXPECTED_TYPES = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "model_attributes_type": "a mapping (key: value)",
    "list_type": "a list",
    "tuple_type": "a list",
}


def _yaml_type(value: Any) -> str:
    """What a value from a stack file is, in YAML's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"
