"""Writing estate entries into a stack file without disturbing anything else in it.

``auth0-m2m import`` adds organizations, APIs and applications to ``stacks/Pulumi.<stack>.yaml``. The file also
holds the provider settings, encrypted secrets, the passphrase's ``encryptionsalt`` and people's comments, so it
is edited with a round-trip YAML library (ruamel.yaml): existing keys, their order, quoting, comments and
indentation are kept, new entries are appended in a fixed order, and a file with nothing to add is left
byte-for-byte as it was.

Values are written so that every YAML reader agrees on them: Pulumi reads stack files with YAML 1.2 rules, the
project's tools and many linters with YAML 1.1 rules, so a string either would read as something else
(``on``, ``no``, ``0123``, ``1_000``, ``12:30``, ``null``, ...) is quoted.
"""

from __future__ import annotations

import io
from typing import Any, Iterable, Mapping, Optional

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString, SingleQuotedScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from ..contract import NAMESPACE

# Key order of an application entry and of a grant, as a person would write them.
APPLICATION_KEYS = (
    "name", "display_name", "client_id", "description", "metadata", "authentication_method", "public_keys",
    "token_quota", "default_organization", "grants",
)
PUBLIC_KEY_KEYS = ("name", "pem_file", "pem", "algorithm", "expires_at")
GRANT_KEYS = ("api", "scopes", "organization_usage", "allow_any_organization", "organizations", "justification")


def _yaml(text: str) -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096  # never fold a long description or identifier onto a second line
    # The project's own style (sequences indented under their key) unless the file has sequences in another.
    indent, offset = 4, 2
    if text.strip():
        _, guessed_indent, guessed_offset = load_yaml_guess_indent(text)
        if guessed_offset is not None:
            indent, offset = max(guessed_indent or 2, guessed_offset + 2), guessed_offset
    y.indent(mapping=2, sequence=indent, offset=offset)
    return y


_YAML_12 = YAML(typ="safe", pure=True)


def safe_scalar(value: str) -> str:
    """``value``, quoted when a YAML 1.1 or 1.2 reader would read it as anything but this string."""
    for load in (yaml.safe_load, _YAML_12.load):
        try:
            parsed = load(value)
        except Exception:  # not even valid YAML on its own: quote it
            parsed = None
        if not (isinstance(parsed, str) and parsed == value):
            return SingleQuotedScalarString(value)
    return value


def _node(value: Any, flow: bool = False) -> Any:
    if isinstance(value, str):
        return safe_scalar(value)
    if isinstance(value, Mapping):
        node = CommentedMap()
        for key, item in value.items():
            node[safe_scalar(key)] = _node(item, flow=True)
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq(_node(item, flow=True) for item in value)
        seq.fa.set_flow_style()
        return seq
    return value


def application_node(entry: Mapping[str, Any]) -> CommentedMap:
    """An application entry in block style, with short lists and mappings in flow style."""
    node = CommentedMap()
    for key in APPLICATION_KEYS:
        if key not in entry:
            continue
        if key == "grants":
            grants = CommentedSeq()
            for grant in entry["grants"]:
                grant_node = CommentedMap()
                for grant_key in GRANT_KEYS:
                    if grant_key in grant:
                        grant_node[grant_key] = _node(grant[grant_key], flow=True)
                grants.append(grant_node)
            node[key] = grants
        elif key == "public_keys":
            keys = CommentedSeq()
            for public_key in entry["public_keys"]:
                key_node = CommentedMap()
                for field in PUBLIC_KEY_KEYS:
                    if field == "pem" and field in public_key:
                        # A PEM inline as a literal block: its lines as they are in the file it came from.
                        key_node[field] = LiteralScalarString(public_key[field])
                    elif field in public_key:
                        key_node[field] = _node(public_key[field], flow=True)
                keys.append(key_node)
            node[key] = keys
        else:
            node[key] = _node(entry[key], flow=True)
    return node


def add_estate(
    text: str,
    *,
    environment: Optional[str] = None,
    organizations: Mapping[str, Mapping[str, Any]] = {},
    apis: Mapping[str, Mapping[str, Any]] = {},
    applications: Iterable[Mapping[str, Any]] = (),
    pins: Mapping[str, str] = {},
    namespace: str = NAMESPACE,
) -> str:
    """The stack file ``text`` with new estate entries added; ``text`` itself when there is nothing to add.

    ``organizations`` and ``apis`` are new entries by key (appended in sorted order), ``applications`` new
    entries (appended in the given order), ``pins`` existing application name -> client id to pin.
    ``environment`` is set only when the file has none.
    """
    applications = list(applications)
    prefix = f"{namespace}:"
    y = _yaml(text)
    document = y.load(text) if text.strip() else None
    if document is None:
        document = CommentedMap()
    config = document.get("config")
    if config is None:
        config = document["config"] = CommentedMap()
    changed = False

    if environment and f"{prefix}environment" not in config:
        config[f"{prefix}environment"] = safe_scalar(environment)
        changed = True
    for section, entries in (("organizations", organizations), ("apis", apis)):
        if not entries:
            continue
        mapping = _container(config, f"{prefix}{section}", CommentedMap)
        for key in sorted(entries):
            if key in mapping:
                raise ValueError(f"{prefix}{section} already has an entry {key!r}")
            mapping[safe_scalar(key)] = _node(entries[key], flow=True)
        changed = True
    if applications or pins:
        sequence = _container(config, f"{prefix}applications", CommentedSeq)
        for existing in sequence:
            if existing.get("name") in pins:
                keys = list(existing.keys())
                after = max(keys.index(k) for k in ("name", "display_name") if k in keys)
                existing.insert(after + 1, "client_id", safe_scalar(pins[existing["name"]]))
        for entry in applications:
            sequence.append(application_node(entry))
        changed = True
    if not changed:
        return text
    out = io.StringIO()
    y.dump(document, out)
    return out.getvalue()


def _container(config: CommentedMap, key: str, kind: type) -> Any:
    """The mapping or sequence under ``key``, created (block style) when absent or empty in flow style."""
    value = config.get(key)
    if value is None or (not value and getattr(value, "fa", None) is not None and value.fa.flow_style()):
        value = kind()
        config[key] = value
    return value
