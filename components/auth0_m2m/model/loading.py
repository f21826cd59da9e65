"""Stack files and stack config, read exactly as Pulumi reads them: the one loader.

Two layers, so that a stack file and a running program reach the same values:

1. :func:`read_stack_bytes` reads ``Pulumi.<stack>.yaml`` the way the Pulumi CLI does (gopkg.in/yaml.v3, see
   :mod:`.yaml_v3`; keys without a namespace take the project's name) and turns it into what the engine
   hands a program and a policy pack: a map from config key to *text*. A top-level value is text (a YAML
   ``true`` and the string ``"true"`` both become ``true``: the engine cannot tell them apart, and
   ``pulumi config set KEY true`` writes the quoted form); an object or list is its JSON, written by Go.
   ``secure:`` values stay opaque: only their being secret is known.
2. :func:`validate_engine_config` turns that map into a validated :class:`StackConfig` through the one gate
   (:func:`auth0_m2m.model.validation.validate`). The Pulumi program calls it with the map the engine gave it
   (``auth0_m2m.resources.program``); the tools call it with the map read from the file.

Both layers refuse what would be silently ignored or misread: plain-text credentials, a config namespace
one or two edits away from ``auth0-m2m`` or ``auth0``, secrets in the estate's own keys (they could not be
reviewed). The file layer also refuses what only the file shows: unknown top-level keys (Pulumi ignores
them), ESC ``environment:`` imports, numbers that Pulumi reads differently from how they read (``0100`` is
64), and everything :mod:`.yaml_v3` refuses (limits, duplicate keys, tags, several documents).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Collection, Iterator, Mapping, Optional, Union

from ..contract import (
    NAMESPACE,
    NAMESPACE_NEAR_MISS_EDITS,
    NOT_CREDENTIALS,
    PROVIDER_NAMESPACE,
    SECRET_KEY_PATTERN,
    config_boolean,
)
from . import yaml_v3
from .config import StackConfig
from .errors import Problem, StackConfigError, UnreadableStackFile, quote
from .key_files import KeyFileReader, repository_root, working_tree_reader
from .validation import problem_at, validate
from .yaml_v3 import DEFAULT_LIMITS, Limits

__all__ = [
    "DEFAULT_LIMITS",
    "ConfigEntry",
    "Limits",
    "StackFile",
    "config_problems",
    "decode_config_value",
    "find_project",
    "load_stack_file",
    "namespace_values",
    "parse_stack_text",
    "read_project",
    "read_stack_bytes",
    "read_stack_file",
    "stack_path",
    "validate_engine_config",
]

#: Top-level keys of a stack file that Pulumi reads (``workspace.ProjectStack``); ``environment`` (ESC
#: imports) is refused: the file must hold the whole configuration that is reviewed.
STACK_FILE_KEYS = ("config", "encryptionsalt", "secretsprovider", "encryptedkey")

_SECRET_KEY = re.compile(SECRET_KEY_PATTERN)


# --------------------------------------------------------------------------------------------------
# The shared layer: the engine's config map -> the estate's raw values, and problems only the map shows


def decode_config_value(text: Optional[str], boolean: bool = False) -> Any:
    """One estate value from the engine's text, as the program reads it.

    Objects and lists arrive as JSON; booleans as "true"/"false" (anything else is kept as text, for the
    model to refuse); everything else is text.
    """
    if text is None:
        return None
    if boolean:
        try:
            return config_boolean(text)
        except ValueError:
            return text
    if text[:1] in ("{", "["):
        try:
            return json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            return text
    return text


def namespace_values(config: Mapping[str, Optional[str]], namespace: str = NAMESPACE) -> dict[str, Any]:
    """The raw values of ``namespace`` (prefix removed), decoded as the program decodes them."""
    prefix = f"{namespace}:"
    booleans = _boolean_fields()
    return {
        key[len(prefix) :]: decode_config_value(text, key[len(prefix) :] in booleans)
        for key, text in config.items()
        if key.startswith(prefix)
    }


def config_problems(
    config: Mapping[str, Optional[str]], secret_keys: Collection[str], namespace: str = NAMESPACE
) -> list[Problem]:
    """What is wrong with a stack's config map beyond the estate's model: plain-text credentials, near-miss
    namespaces, secrets among the estate's keys."""
    problems: list[Problem] = []
    for key in sorted(config):
        space, _, name = key.partition(":")
        if space == namespace:
            if key in secret_keys:
                problems.append(Problem(field=name, key=key, message="the estate's config must be plain text so that "
                                        "it can be reviewed and diffed; set it with `pulumi config set` without "
                                        "--secret"))
            continue
        target = _near_miss(space, namespace)
        if target is not None:
            problems.append(Problem(field="", key=key, message=f"namespace {quote(space)} is not {target!r} (a "
                                    f"typo?): Pulumi would hand this value to nobody; write "
                                    f"{_shell_word(f'{target}:{name}')}"))
            continue
        if key in secret_keys:
            continue
        problems.extend(_plaintext_credentials(key, config[key]))
    return problems


def _plaintext_credentials(key: str, text: Optional[str]) -> Iterator[Problem]:
    space, _, name = key.partition(":")
    if _SECRET_KEY.search(name) and text not in NOT_CREDENTIALS and text is not None:
        yield Problem(field="", key=key, message="holds a credential in plain text: store it encrypted with "
                      f"`pulumi config set --secret {_shell_word(key)}` (it reads the value from stdin or a prompt)")
        return
    if not text or text[:1] not in ("{", "["):
        return
    try:
        value = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        return
    for path in _credential_paths(value, ()):
        dotted = key + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
        yield Problem(field="", key=key, message=f"{quote(dotted)} holds a credential in plain text: store it "
                      f"encrypted with `pulumi config set --secret --path {_shell_word(dotted)}`")


def _shell_word(text: str) -> str:
    """``text`` as one word of a command to paste (quoted when needed), at most 100 characters."""
    if len(text) > 100:
        return quote(text)
    return text if re.fullmatch(r"[A-Za-z0-9_:./-]+", text) else shlex.quote(text)


def _credential_paths(value: Any, path: tuple) -> Iterator[tuple]:
    stack = [(value, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, dict):
            for name, item in sorted(current.items(), reverse=True):
                if isinstance(item, (str, int, float)) and not isinstance(item, bool) and item not in NOT_CREDENTIALS \
                        and _SECRET_KEY.search(name):
                    yield where + (name,)
                elif isinstance(item, (dict, list)):
                    stack.append((item, where + (name,)))
        elif isinstance(current, list):
            stack.extend((item, where + (index,)) for index, item in reversed(list(enumerate(current))))


def _near_miss(space: str, namespace: str) -> Optional[str]:
    for target in (namespace, PROVIDER_NAMESPACE):
        if space != target and _edits(space.lower(), target) <= NAMESPACE_NEAR_MISS_EDITS:
            return target
    return None


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (insertions, deletions, substitutions, adjacent transpositions)."""
    if abs(len(a) - len(b)) > NAMESPACE_NEAR_MISS_EDITS:
        return NAMESPACE_NEAR_MISS_EDITS + 1
    rows = [list(range(len(b) + 1))]
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def _boolean_fields() -> frozenset[str]:
    return frozenset(
        name for name, info in StackConfig.model_fields.items() if "bool" in str(info.annotation).lower()
    )


def validate_engine_config(
    config: Mapping[str, Optional[str]],
    secret_keys: Collection[str],
    source: str,
    namespace: str = NAMESPACE,
    extra_problems: Collection[Problem] = (),
    locate: Optional[Any] = None,
    key_files: Optional[KeyFileReader] = None,
) -> StackConfig:
    """The estate of a stack config map, validated whole: every problem at once, or the configuration.

    ``config`` maps every config key to the text the engine hands a program (None for a secret that is not
    decrypted); ``locate(problem, raw)`` may add a line to each problem; ``key_files`` reads public keys given as
    ``pem_file`` (default: the working tree at the repository root).
    """
    problems = list(extra_problems) + config_problems(config, secret_keys, namespace)
    raw = namespace_values({k: v for k, v in config.items() if k not in secret_keys}, namespace)
    hidden = {key.split(":", 1)[1] for key in secret_keys if key.startswith(f"{namespace}:")}
    try:
        result = validate(raw, source, key_files=key_files)
    except StackConfigError as error:
        # A secret estate key is reported as such, not again as missing; a value the file layer already reported
        # (e.g. an unquoted timestamp) is not reported again for what it became.
        reported = {p.path for p in problems if p.path}
        problems += [p for p in error.problems
                     if not (p.field in hidden and p.message == "required field is missing") and p.path not in reported]
        result = None
    if problems:
        if locate is not None:
            problems = [locate(problem, raw) for problem in problems]
        raise StackConfigError(source, problems)
    assert result is not None
    return result


# --------------------------------------------------------------------------------------------------
# The file layer


@dataclass(frozen=True)
class ConfigEntry:
    """One config key of a stack file, as the engine will hand it over."""

    text: Optional[str]
    """The text a program receives; None for a secret (``secure:``), which only Pulumi can decrypt."""
    secret: bool
    line: Optional[int]
    written: str
    """The key as written in the file (without the project namespace Pulumi adds to bare keys)."""


@dataclass
class StackFile:
    """A stack file read as Pulumi reads it."""

    source: str
    document: yaml_v3.Document
    config: dict[str, ConfigEntry]
    problems: list[Problem] = field(default_factory=list)
    """Problems only the file shows (unknown top-level keys, surprising numbers); reported with validation."""

    @property
    def engine_config(self) -> dict[str, Optional[str]]:
        return {key: entry.text for key, entry in self.config.items()}

    @property
    def secret_keys(self) -> frozenset[str]:
        return frozenset(key for key, entry in self.config.items() if entry.secret)

    def validate(self, namespace: str = NAMESPACE, key_files: Optional[KeyFileReader] = None) -> StackConfig:
        """The estate in this file, validated whole (raises StackConfigError with lines); ``key_files`` reads the
        public keys it names by ``pem_file``."""
        raw = namespace_values({k: v for k, v in self.engine_config.items() if k not in self.secret_keys}, namespace)
        problems = self.problems + self._surprises(namespace, raw)
        return validate_engine_config(
            self.engine_config, self.secret_keys, self.source, namespace, problems,
            locate=lambda problem, raw: self._locate(problem, raw, namespace), key_files=key_files,
        )

    def boolean(self, key: str) -> Optional[bool]:
        """A top-level boolean (e.g. ``auth0-m2m:production``) as programs and policy packs read it; raises
        ValueError when it is set to anything but true or false (or is a secret)."""
        entry = self.config.get(key)
        if entry is None:
            return None
        if entry.secret:
            raise ValueError("it is a secret")
        return config_boolean(entry.text)

    def _surprises(self, namespace: str, raw: Mapping[str, Any]) -> list[Problem]:
        """Numbers and timestamps in the estate's keys that Pulumi reads differently from how they read."""
        keys = {entry.written: key for key, entry in self.config.items()}
        problems = []
        for path, surprise in sorted(self.document.surprises.items(), key=lambda item: item[1].line):
            key = keys.get(path[1]) if len(path) >= 2 and path[0] == "config" and isinstance(path[1], str) else None
            if key is None or not key.startswith(f"{namespace}:"):
                continue
            reading = (f"the timestamp {quote(str(surprise.value))}" if surprise.kind == "timestamp"
                       else repr(surprise.value))
            if surprise.kind == "timestamp" and path[-1:] == ("expires_at",):
                message = (f"{quote(surprise.text)} is read by Pulumi as {reading}, which is not ISO 8601; quote "
                           f"it: expires_at: \"{surprise.text}\"")
            else:
                message = (f"{quote(surprise.text)} is read by Pulumi as {reading}; write that, or quote the value "
                           "if it is text")
            problems.append(problem_at((key.split(":", 1)[1], *path[2:]), message, raw, surprise.line))
        return problems

    def _locate(self, problem: Problem, raw: Mapping[str, Any], namespace: str) -> Problem:
        if problem.line is not None:
            return problem
        if problem.key is not None:
            entry = self.config.get(problem.key)
            line = entry.line if entry else None
        else:
            path = problem.path or _path_of(problem, raw)
            line = None
            if path:
                key = f"{namespace}:{path[0]}"
                entry = self.config.get(key)
                if entry is not None:
                    line = self.document.line(("config", entry.written, *path[1:])) or entry.line
        return _with_line(problem, line)


def _with_line(problem: Problem, line: Optional[int]) -> Problem:
    return problem if line is None else replace(problem, line=line)


def _path_of(problem: Problem, raw: Mapping[str, Any]) -> tuple:
    """Where a rule's problem is in the estate's values, from the names it gives."""
    fields = [part for part in problem.field.split(".") if part] if problem.field else []
    if problem.application is not None:
        apps: Any = raw.get("applications")
        index = _index(apps, lambda app: app.get("name") == problem.application)
        if index is None:
            return ("applications",)
        path: tuple = ("applications", index)
        if problem.api is not None:
            grants = apps[index].get("grants")
            grant = _index(grants, lambda g: g.get("api") == problem.api)
            if grant is not None:
                path += ("grants", grant)
        return path + tuple(fields)
    if problem.organization is not None:
        return ("organizations", problem.organization, *fields)
    if problem.api is not None:
        return ("apis", problem.api, *fields)
    return tuple(fields)


def _index(items: Any, matches: Any) -> Optional[int]:
    if not isinstance(items, list):
        return None
    for index, item in enumerate(items):
        if isinstance(item, dict) and matches(item):
            return index
    return None


def read_stack_bytes(
    data: bytes, source: str, project: Optional[str] = None, limits: Limits = DEFAULT_LIMITS
) -> StackFile:
    """Read a stack file's bytes as Pulumi does; raises UnreadableStackFile for what Pulumi (or the limits)
    would not read. ``project`` is the project's name, the namespace of keys written without one."""
    try:
        document = yaml_v3.load(data, limits)
    except yaml_v3.YamlError as error:
        raise UnreadableStackFile(source, error.message, error.line) from None
    if document is None:
        raise UnreadableStackFile(source, "the file is empty; a stack file is a mapping with a `config:` key")
    top = document.value
    if not isinstance(top, dict):
        raise UnreadableStackFile(source, f"the file holds {_kind(top)}; a stack file is a mapping with a "
                                  "`config:` key", 1)
    problems: list[Problem] = []
    for key in top:
        if key == "environment":
            problems.append(Problem(field="", key=None, line=document.lines.get((key,)), message="ESC environments "
                                    "(`environment:`) are not supported: the stack file must hold the whole "
                                    "configuration, so that what is reviewed is what is deployed"))
        elif key not in STACK_FILE_KEYS:
            problems.append(Problem(field="", line=document.lines.get((key,)), message=f"unknown top-level key "
                                    f"{quote(key)}: Pulumi would ignore it (known: {', '.join(STACK_FILE_KEYS)})"))
    for key in ("encryptionsalt", "secretsprovider", "encryptedkey"):
        if key in top and not isinstance(top[key], str):
            problems.append(Problem(field="", line=document.lines.get((key,)), message=f"{key} is {_kind(top[key])}; "
                                    "it is written by Pulumi as a string"))
    section = top.get("config")
    if section is None:
        section = {}
    if not isinstance(section, dict):
        raise UnreadableStackFile(source, f"`config:` holds {_kind(section)}; it must be a mapping of config keys",
                                  document.lines.get(("config",)))
    config: dict[str, ConfigEntry] = {}
    for written, value in section.items():
        key = written if ":" in written or project is None else f"{project}:{written}"
        line = document.lines.get(("config", written))
        if key.count(":") != 1:
            raise UnreadableStackFile(source, f"config key {quote(written)} is not of the form <namespace>:<name>",
                                      line)
        if key in config:
            raise UnreadableStackFile(source, f"config key {quote(written)} is the same key as "
                                      f"{quote(config[key].written)} at line {config[key].line} (Pulumi adds the "
                                      f"project's name to keys without a namespace)", line)
        config[key] = _entry(value, line, written)
    return StackFile(source=source, document=document, config=config, problems=problems)


def _entry(value: Any, line: Optional[int], written: str) -> ConfigEntry:
    if _is_secure(value):
        return ConfigEntry(text=None, secret=True, line=line, written=written)
    if _contains_secure(value):
        return ConfigEntry(text=None, secret=True, line=line, written=written)
    if value is None:
        text = ""  # Pulumi hands an empty value to programs as "" (with a warning)
    elif isinstance(value, str):
        text = str(value)
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)  # a top-level number keeps its digits (as text); in an object it is a JSON number
    elif isinstance(value, (dict, list, float)):
        text = yaml_v3.go_json(value)
    else:  # pragma: no cover - the YAML layer produces nothing else
        text = str(value)
    return ConfigEntry(text=text, secret=False, line=line, written=written)


def _is_secure(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and isinstance(value.get("secure"), str)


def _contains_secure(value: Any) -> bool:
    stack = [value]
    while stack:
        current = stack.pop()
        if _is_secure(current):
            return True
        if isinstance(current, dict):
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return f"the text {quote(str(value))}"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


# --------------------------------------------------------------------------------------------------
# Files and projects


def read_project(project_dir: Union[str, Path]) -> tuple[str, str]:
    """(name, stack config directory) of the Pulumi project in ``project_dir`` (its Pulumi.yaml)."""
    path = Path(project_dir) / "Pulumi.yaml"
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UnreadableStackFile(source, f"cannot read the project file: {error.strerror or error}") from None
    try:
        document = yaml_v3.load(data)
    except yaml_v3.YamlError as error:
        raise UnreadableStackFile(source, error.message, error.line) from None
    value: Any = document.value if document else None
    name = value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str) or not name:
        raise UnreadableStackFile(source, "the project file has no `name:`")
    config_dir = value.get("stackConfigDir") or ""
    if not isinstance(config_dir, str):
        raise UnreadableStackFile(source, "stackConfigDir is not a string")
    return name, config_dir


def find_project(start: Union[str, Path]) -> Optional[Path]:
    """The nearest directory at or above ``start`` holding a Pulumi.yaml (as the Pulumi CLI looks)."""
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return None


def read_stack_file(
    path: Union[str, Path],
    project: Optional[str] = None,
    source: Optional[str] = None,
    limits: Limits = DEFAULT_LIMITS,
) -> StackFile:
    """Read a stack file from disk (size checked before reading it whole)."""
    path = Path(path)
    source = source or str(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise UnreadableStackFile(source, "no such file") from None
    except IsADirectoryError:
        raise UnreadableStackFile(source, "is a directory, not a stack file") from None
    except OSError as error:
        raise UnreadableStackFile(source, f"cannot be read: {error.strerror or error}") from None
    if len(data) > limits.max_bytes:
        size = path.stat().st_size
        raise UnreadableStackFile(source, f"the file is {size:,} bytes; the limit is {limits.max_bytes:,} bytes (1 MiB)")
    return read_stack_bytes(data, source, project, limits)


def load_stack_file(
    path: Union[str, Path],
    namespace: str = NAMESPACE,
    project: Optional[str] = None,
    source: Optional[str] = None,
    limits: Limits = DEFAULT_LIMITS,
    key_files: Optional[KeyFileReader] = None,
) -> StackConfig:
    """Validate the configuration in a stack file (``stacks/Pulumi.<stack>.yaml``) without Pulumi.

    ``project`` (the namespace of keys written without one) and ``source`` (how messages name the file)
    default to what the nearest Pulumi.yaml says and the path relative to that project. Public keys given as
    ``pem_file`` are read from the repository the stack file is in (``key_files`` overrides it).
    """
    path = Path(path)
    if project is None or source is None:
        root = find_project(path)
        if root is not None:
            if project is None:
                project = read_project(root)[0]
            if source is None:
                source = _relative(path, root)
    reader = key_files or working_tree_reader(repository_root(path.resolve().parent))
    return read_stack_file(path, project, source, limits).validate(namespace, key_files=reader)


def parse_stack_text(text: Union[str, bytes], source: str = "stack file", namespace: str = NAMESPACE,
                     project: Optional[str] = NAMESPACE, key_files: Optional[KeyFileReader] = None) -> StackConfig:
    """The validated estate of a stack file's content (e.g. at a git revision, with ``key_files`` reading the
    public keys at the same revision)."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return read_stack_bytes(data, source, project).validate(namespace, key_files=key_files)


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def stack_path(project_dir: Union[str, Path], stack: str) -> Path:
    """Where a stack's file is in a project (its Pulumi.yaml's stackConfigDir)."""
    _, config_dir = read_project(project_dir)
    return Path(project_dir) / (config_dir or ".") / f"Pulumi.{stack}.yaml"

