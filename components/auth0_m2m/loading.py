"""Reading a stack's configuration and validating it whole, before any resource exists.

The same raw mapping comes from two places: the Pulumi program (``pulumi.Config`` of the project's
namespace) and the stack file itself (reports and previews that need no Pulumi engine). Both go
through :func:`validate`, which either returns a :class:`StackConfig` that every rule accepts, or
raises :class:`StackConfigError` listing every problem with the stack file, application, API and field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping, Optional

import yaml
from pydantic import ValidationError

from . import rules
from .config import PATTERN_HELP, StackConfig
from .errors import Problem, StackConfigError

# Stack config keys of this library live in this Pulumi config namespace: `auth0-m2m:applications`, ...
NAMESPACE = "auth0-m2m"


def validate(raw: Mapping[str, Any], source: str) -> StackConfig:
    """Parse and check a stack's configuration; ``source`` names the stack file in every message."""
    try:
        cfg = StackConfig.model_validate(dict(raw))
    except ValidationError as exc:
        raise StackConfigError(source, [_problem_from_pydantic(error, raw) for error in exc.errors()]) from None
    problems = rules.check(cfg)
    if problems:
        raise StackConfigError(source, problems)
    return cfg


def load_stack_file(path: str | Path, namespace: str = NAMESPACE) -> StackConfig:
    """Validate the configuration in a stack file (``stacks/Pulumi.<stack>.yaml``) without Pulumi."""
    path = Path(path)
    return validate(read_stack_file(path, namespace), source=_display_path(path))


def read_stack_file(path: Path, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The raw values of ``namespace`` in a stack file, with the namespace prefix removed."""
    return parse_stack_text(path.read_text(), namespace)


def parse_stack_text(text: str, namespace: str = NAMESPACE) -> dict[str, Any]:
    """The raw values of ``namespace`` in a stack file's text (e.g. at a git revision)."""
    document = yaml.safe_load(text) or {}
    config = document.get("config") or {}
    prefix = f"{namespace}:"
    return {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}


def read_pulumi_config(namespace: str = NAMESPACE) -> dict[str, Any]:
    """The raw values of ``namespace`` as the Pulumi engine passed them to this program.

    ``pulumi.Config`` can only fetch keys it is asked for; reading the whole map is what lets a typo
    such as ``auth0-m2m:aplications`` fail validation instead of being ignored.
    """
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    prefix = f"{namespace}:"
    # The engine hands structured values over as JSON text and scalars as plain text.
    return {key[len(prefix) :]: _decode(value) for key, value in values.items() if key.startswith(prefix)}


def stack_file_name(stack: str, config_dir: str = "stacks") -> str:
    """How messages name a stack's file, relative to the project (matches ``stackConfigDir``)."""
    return f"{config_dir}/Pulumi.{stack}.yaml"


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _problem_from_pydantic(error: Mapping[str, Any], raw: Mapping[str, Any]) -> Problem:
    """Turn a pydantic error location into the names a person knows: application, API, organization."""
    loc = list(error["loc"])
    context: dict[str, Optional[str]] = {}
    field_path: list[str] = []
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
    return Problem(field=field, message=_message(error), **context)


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
        return f"unknown field {error['loc'][-1]!r} (misspelled, or not supported here)"
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        pattern = (error.get("ctx") or {}).get("pattern", "")
        return f"{value!r} is not {PATTERN_HELP.get(pattern, f'a value matching {pattern}')}"
    if kind == "enum":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{value!r} is not one of {expected}"
    if kind == "too_long":
        ctx = error.get("ctx") or {}
        actual = len(value) if isinstance(value, (dict, list, tuple, str)) else ctx.get("actual_length")
        return f"at most {ctx.get('max_length')} entries are allowed (Auth0's limit), found {actual}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message
