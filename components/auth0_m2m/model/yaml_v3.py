"""YAML read the way Pulumi reads stack files: Go's gopkg.in/yaml.v3, with bounded work.

Pulumi decodes ``Pulumi.<stack>.yaml`` with gopkg.in/yaml.v3 (v3.0.1 in Pulumi 3.276) into untyped values.
A reviewer, the project's tools and Pulumi must read the same values from the same bytes, so this module
reproduces yaml.v3's reading rather than PyYAML's (YAML 1.1) one:

- plain scalars resolve like yaml.v3 (``resolve.go``): ``true``/``True``/``TRUE`` and ``false``/... are
  booleans, ``yes``/``no``/``on``/``off``/``y``/``n`` are strings; ``null``/``Null``/``NULL``/``~``/empty are
  null; integers in Go syntax (``0x1F``, ``0o17``, ``0b101``, the legacy octal ``017``, ``_`` separators),
  floats (``.inf``/``.nan`` and a YAML float pattern; ``08`` is the float 8), timestamps (``2001-12-14``);
- a mapping key written twice is an error naming both lines (yaml.v3 refuses it as well);
- ``<<`` merge keys merge like yaml.v3: the mapping's own keys win, then earlier merge sources.

It is stricter than yaml.v3 where yaml.v3's reading surprises a reader, and says so: explicit tags
(``!!str``, ``!!python/name:...``), ``%YAML``/``%TAG`` directives, more than one document (yaml.v3 silently
reads the first only) and keys that are not strings are errors.

The work is bounded before anything is built: the byte size is checked before decoding, the nesting depth
and the number of aliases while the event stream is read (libyaml's parser is iterative), and the size and
depth of the document once aliases are expanded are computed on the node graph before any expansion.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Iterator, Optional, Union

import yaml

from .errors import quote

Path = tuple[Union[str, int], ...]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Limits:
    """What a stack file may cost to read. Documented in the README ("Limits")."""

    max_bytes: int = 1024 * 1024
    """Size of the file in bytes, checked before it is decoded."""
    max_aliases: int = 100
    """Aliases (``*name``) in the file."""
    max_depth: int = 64
    """Nesting of mappings and sequences, aliases expanded (the document's top mapping is level 1)."""
    max_nodes: int = 1_000_000
    """Scalars, mappings and sequences once aliases are expanded (a 1 MiB file without aliases has fewer)."""


DEFAULT_LIMITS = Limits()


class YamlError(ValueError):
    """The bytes are not a stack file yaml.v3 would read the same way; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: Optional[int] = None):
        super().__init__(message)
        self.message = message
        self.line = line


class GoTimestamp(str):
    """A plain scalar yaml.v3 reads as a timestamp; its value is Go's ``time.Time.String()`` of it, which is
    what Pulumi hands a program. ``text`` keeps what the file says."""

    text: str

    def __new__(cls, rendered: str, text: str) -> "GoTimestamp":
        value = super().__new__(cls, rendered)
        value.text = text
        return value


@dataclass(frozen=True)
class Surprise:
    """A plain scalar whose yaml.v3 reading differs from how it reads to a person (``0100`` is 64)."""

    line: int
    text: str
    value: Any
    kind: str


@dataclass
class Document:
    """A decoded document: plain Python values (dict, list, str, int, float, bool, None) and where they are."""

    value: Any
    lines: dict[Path, int] = field(default_factory=dict)
    """1-based line of every mapping key and sequence item, by path from the top of the document."""
    surprises: dict[Path, Surprise] = field(default_factory=dict)
    """Plain scalars whose reading may surprise (non-decimal or legacy-octal numbers, timestamps), by path."""

    def line(self, path: Path) -> Optional[int]:
        """The line of ``path``, or of its longest prefix that has one."""
        for end in range(len(path), 0, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None


# --------------------------------------------------------------------------------------------------
# Reading: bytes -> text -> a node graph (anchors shared, nothing expanded), within the limits


class _Node:
    """A node of the document graph; an alias occurrence holds the anchored node as ``content[0]``."""

    __slots__ = ("kind", "line", "value", "plain", "content", "anchor", "alias")

    def __init__(self, kind: str, line: int, value: str = "", plain: bool = False, anchor: Optional[str] = None,
                 alias: bool = False, content: Optional[list] = None):
        self.kind = kind  # "scalar", "mapping", "sequence", "alias"
        self.line = line
        self.value = value
        self.plain = plain
        self.content: list[_Node] = content if content is not None else []
        self.anchor = anchor
        self.alias = alias


def decode_text(data: bytes) -> str:
    """The file's text: UTF-8, with a UTF-8 byte order mark dropped (as Pulumi does)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
        if data.startswith(bom):
            raise YamlError(f"the file is {name} (byte order mark); stack files are UTF-8", 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        raise YamlError(f"not UTF-8: byte 0x{data[error.start]:02x} at column {column}", line) from None


def parse(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[Optional[_Node], int]:
    """The first and only document of ``data`` as a node graph (None for a file without a document), and the
    number of aliases in it."""
    if len(data) > limits.max_bytes:
        raise YamlError(f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,} bytes (1 MiB)")
    text = decode_text(data)
    try:
        return _compose(yaml.parse(text, Loader=_Loader), limits)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "not valid YAML"
        if "maximum nesting depth" in problem:  # libyaml's own bound, met first by very deep flow collections
            problem = f"nesting deeper than {limits.max_depth} levels (the limit)"
            raise YamlError(problem, mark.line + 1 if mark else None) from None
        raise YamlError(f"YAML syntax error: {problem}", mark.line + 1 if mark else None) from None
    except yaml.reader.ReaderError as error:
        raise YamlError(_reader_message(error), _line_of_offset(text, error.position)) from None
    except yaml.YAMLError as error:  # pragma: no cover - every libyaml error is one of the above
        raise YamlError(f"YAML syntax error: {error}") from None


def _reader_message(error: yaml.reader.ReaderError) -> str:
    character = error.character
    if isinstance(character, str):
        return f"character U+{ord(character):04X} (a control character) is not allowed in YAML"
    if isinstance(character, int):
        return f"character U+{character:04X} (a control character) is not allowed in YAML"
    return f"YAML syntax error: {error.reason}"


def _line_of_offset(text: str, position: int) -> int:
    # libyaml reports byte offsets into the UTF-8 encoding of the text.
    encoded = text.encode("utf-8")
    return encoded[:position].count(b"\n") + 1


def _compose(events: Iterator[yaml.Event], limits: Limits) -> tuple[Optional[_Node], int]:
    anchors: dict[str, _Node] = {}
    open_anchors: set[str] = set()
    stack: list[_Node] = []
    root: list[_Node] = []  # the document's node, once added
    documents = 0
    aliases = 0
    scalar, alias_event = yaml.ScalarEvent, yaml.AliasEvent
    mapping_start, sequence_start = yaml.MappingStartEvent, yaml.SequenceStartEvent
    collection_end = (yaml.MappingEndEvent, yaml.SequenceEndEvent)

    for event in events:
        kind = type(event)
        if kind is scalar:
            if event.tag is not None:
                raise YamlError(f"YAML tag {quote(_short(event.tag))} is not allowed in a stack file: write the value "
                                "plainly or quoted", event.start_mark.line + 1)
            node = _Node("scalar", event.start_mark.line + 1, event.value, not event.style and event.implicit[0],
                         event.anchor)
            (stack[-1].content if stack else root).append(node)
            if event.anchor:
                anchors[event.anchor] = node
        elif kind in collection_end:
            node = stack.pop()
            if node.anchor:
                open_anchors.discard(node.anchor)
                anchors[node.anchor] = node
        elif kind is mapping_start or kind is sequence_start:
            line = event.start_mark.line + 1
            if event.tag is not None:
                raise YamlError(f"YAML tag {quote(_short(event.tag))} is not allowed in a stack file: write the value "
                                "plainly or quoted", line)
            if len(stack) + 1 > limits.max_depth:
                raise YamlError(f"nesting deeper than {limits.max_depth} levels (the limit)", line)
            node = _Node("mapping" if kind is mapping_start else "sequence", line, anchor=event.anchor)
            (stack[-1].content if stack else root).append(node)
            stack.append(node)
            if event.anchor:
                open_anchors.add(event.anchor)
        elif kind is alias_event:
            line = event.start_mark.line + 1
            aliases += 1
            if aliases > limits.max_aliases:
                raise YamlError(f"more than {limits.max_aliases} aliases (the limit)", line)
            name = event.anchor
            if name in open_anchors:
                raise YamlError(f"alias *{name[:60]} refers to the node that contains it", line)
            if name not in anchors:
                raise YamlError(f"unknown anchor {quote(name)} referenced", line)
            (stack[-1].content if stack else root).append(_Node("alias", line, content=[anchors[name]], alias=True))
        elif kind is yaml.DocumentStartEvent:
            documents += 1
            line = event.start_mark.line + 1
            if documents > 1:
                raise YamlError("a second YAML document ('---'): a stack file holds one document (Pulumi would "
                                "silently read the first only)", line)
            if event.version or event.tags:
                raise YamlError("YAML directives (%YAML, %TAG) are not allowed in a stack file", line)
    return (root[0] if root else None), aliases


def _short(tag: str) -> str:
    return "!!" + tag[len("tag:yaml.org,2002:"):] if tag.startswith("tag:yaml.org,2002:") else tag


def check_expansion(root: _Node, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a document whose aliases would expand past the limits, without expanding it."""
    size: dict[int, tuple[int, int]] = {}  # id(node) -> (nodes, height)
    # Post-order over the graph without recursion; anchored nodes are measured once.
    pending: list[tuple[_Node, bool]] = [(root, False)]
    while pending:
        node, done = pending.pop()
        if id(node) in size:
            continue
        if not done:
            pending.append((node, True))
            pending.extend((child, False) for child in node.content if id(child) not in size)
            continue
        if node.kind == "scalar":
            size[id(node)] = (1, 0)
        elif node.alias:
            size[id(node)] = size[id(node.content[0])]
        else:
            nodes = 1 + sum(size[id(c)][0] for c in node.content)
            height = 1 + max((size[id(c)][1] for c in node.content), default=0)
            size[id(node)] = (min(nodes, limits.max_nodes + 1), height)
    nodes, height = size[id(root)]
    if nodes > limits.max_nodes:
        raise YamlError(f"aliases expand the document to more than {limits.max_nodes:,} values (the limit)")
    if height > limits.max_depth:
        raise YamlError(f"aliases nest the document deeper than {limits.max_depth} levels (the limit)")


# --------------------------------------------------------------------------------------------------
# Decoding: the node graph -> Python values, as yaml.v3 decodes into interface{}


def load(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Optional[Document]:
    """Read ``data`` as Pulumi reads a stack file; None when the file holds no document (empty)."""
    root, aliases = parse(data, limits)
    if root is None:
        return None
    if aliases:  # without aliases the events already bounded the size and the depth
        check_expansion(root, limits)
    document = Document(value=None)
    document.value = _Decoder(document).decode(root, ())
    return document


class _Decoder:
    def __init__(self, document: Document):
        self.document = document

    def decode(self, node: _Node, path: Path) -> Any:
        # Depth is bounded (events, check_expansion), so recursion stays within max_depth frames.
        if node.alias:
            return self.decode(node.content[0], path)
        if node.kind == "scalar":
            return self.scalar(node, path)
        if node.kind == "sequence":
            items = []
            for index, child in enumerate(node.content):
                self.document.lines.setdefault(path + (index,), child.line)
                items.append(self.decode(child, path + (index,)))
            return items
        return self.mapping(node, path)

    def scalar(self, node: _Node, path: Path) -> Any:
        if not node.plain or node.value[:1] not in _HINTS_OR_EMPTY:
            return node.value  # quoted, or plain text that cannot be anything but a string (most values)
        kind, value = resolve_plain(node.value)
        if kind == "merge":
            return node.value
        if kind in ("int", "float", "timestamp") and not _reads_as_written(node.value, kind):
            self.document.surprises[path] = Surprise(node.line, node.value, value, kind)
        if kind == "float" and (math.isnan(value) or math.isinf(value)):
            raise YamlError(f"{node.value} (not a number or infinite) cannot be a config value: Pulumi refuses it",
                            node.line)
        if kind == "float" and value == 0:
            # Pulumi writes the decoded file back to YAML and reads it again (Go's 'g' format): -0.0 comes back
            # as the integer 0; every other float comes back as the same number.
            return 0.0
        return value

    def key(self, node: _Node) -> str:
        if node.alias:
            raise YamlError("an alias (*name) as a mapping key; keys must be written out", node.line)
        target = node
        if target.kind != "scalar":
            raise YamlError(f"a mapping key is a {target.kind}; keys must be strings", node.line)
        if target.plain and target.value[:1] in _HINTS_OR_EMPTY:
            kind, value = resolve_plain(target.value)
            if kind not in ("str", "merge"):
                raise YamlError(f"the key {quote(target.value)} is read as a {_KIND_NAMES.get(kind, kind)}; keys must be "
                                "strings (quote it)", node.line)
        return target.value

    def mapping(self, node: _Node, path: Path) -> dict:
        pairs = []
        seen: dict[str, int] = {}
        for key_node, value_node in zip(node.content[0::2], node.content[1::2]):
            name = self.key(key_node)
            if name in seen:
                raise YamlError(f"mapping key {_quoted(name[:MAX_KEY_SHOWN])} already defined at line {seen[name]}",
                                key_node.line)
            seen[name] = key_node.line
            pairs.append((name, key_node, value_node))
        result: dict[str, Any] = {}
        merges: list[_Node] = []
        for name, key_node, value_node in pairs:
            if name == "<<" and key_node.plain and not key_node.alias:
                merges.append(value_node)
                continue
            self.document.lines[path + (name,)] = key_node.line
            result[name] = self.decode(value_node, path + (name,))
        for merge in merges:
            for source in self.merge_sources(merge):
                # Decoded on the side: only the keys it adds bring their lines and readings along.
                scratch = Document(value=None)
                for name, value in _Decoder(scratch).decode(source, path).items():
                    if name in result:
                        continue
                    result[name] = value
                    prefix = path + (name,)
                    self.document.lines.update({p: v for p, v in scratch.lines.items() if p[: len(prefix)] == prefix})
                    self.document.surprises.update(
                        {p: v for p, v in scratch.surprises.items() if p[: len(prefix)] == prefix}
                    )
        return result

    def merge_sources(self, node: _Node) -> list[_Node]:
        target = node.content[0] if node.alias else node
        if target.kind == "mapping":
            return [node]
        if target.kind == "sequence" and not node.alias:
            sources = []
            for item in target.content:
                resolved = item.content[0] if item.alias else item
                if resolved.kind != "mapping":
                    break
                sources.append(item)
            else:
                return sources
        raise YamlError("a merge key (<<) needs a mapping or a sequence of mappings", node.line)


MAX_KEY_SHOWN = 98  # a duplicated key is shown (in double quotes, as Pulumi shows it) up to this length

_KIND_NAMES = {"int": "number", "float": "number", "bool": "boolean", "null": "null", "timestamp": "timestamp"}


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --------------------------------------------------------------------------------------------------
# Plain scalars: yaml.v3's resolve(), in Python

_MAP = {
    **{word: ("bool", True) for word in ("true", "True", "TRUE")},
    **{word: ("bool", False) for word in ("false", "False", "FALSE")},
    **{word: ("null", None) for word in ("", "~", "null", "Null", "NULL")},
    **{word: ("float", math.nan) for word in (".nan", ".NaN", ".NAN")},
    **{word: ("float", math.inf) for word in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{word: ("float", -math.inf) for word in ("-.inf", "-.Inf", "-.INF")},
    "<<": ("merge", "<<"),
}
_HINTS = {**{c: "S" for c in "+-"}, **{c: "D" for c in "0123456789"}, **{c: "M" for c in "yYnNtTfFoO~"}, ".": "."}
_HINTS_OR_EMPTY = frozenset(_HINTS) | {""}
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# Go's strconv.ParseFloat syntax for decimal input (yaml.v3 calls it on text starting with '.').
_GO_DECIMAL_FLOAT = re.compile(r"[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_GO_INT = re.compile(r"(?P<sign>[-+]?)(?:0[xX](?P<hex>[0-9a-fA-F]+)|0[oO](?P<oct>[0-7]+)|0[bB](?P<bin>[01]+)|"
                     r"(?P<legacy>0[0-7]*)|(?P<dec>[1-9][0-9]*))")
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1
# Numbers as a person reads them (JSON's syntax): anything else that resolves to a number is a surprise.
_CANONICAL_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")


def resolve_plain(text: str) -> tuple[str, Any]:
    """What yaml.v3 makes of an untagged plain scalar: (kind, value), kind one of str, bool, null, int,
    float, timestamp, merge."""
    hint = _HINTS.get(text[:1], "N" if text == "" else None)
    if hint is None:
        return "str", text
    if text in _MAP:
        return _MAP[text]
    if hint == ".":
        value = _go_parse_float(text)
        return ("float", value) if value is not None else ("str", text)
    if hint in ("D", "S"):
        timestamp = _parse_timestamp(text)
        if timestamp is not None:
            return "timestamp", timestamp
        plain = text.replace("_", "")
        number = _go_parse_int(plain)
        if number is not None:
            return "int", number
        if _YAML_FLOAT.fullmatch(plain):
            value = _go_parse_float(plain)
            if value is not None:
                return "float", value
    return "str", text


def _go_parse_int(text: str) -> Optional[int]:
    """strconv.ParseInt(text, 0, 64), then strconv.ParseUint(text, 0, 64) (no sign)."""
    match = _GO_INT.fullmatch(text)
    if not match:
        return None
    sign = -1 if match.group("sign") == "-" else 1
    for group, base in (("hex", 16), ("oct", 8), ("bin", 2), ("legacy", 8), ("dec", 10)):
        digits = match.group(group)
        if digits is not None:
            value = sign * int(digits, base)
            break
    if _INT64[0] <= value <= _INT64[1]:
        return value
    if not match.group("sign") and 0 <= value <= _UINT64_MAX:
        return value
    return None


def _go_parse_float(text: str) -> Optional[float]:
    """strconv.ParseFloat(text, 64) for the decimal syntax yaml.v3 hands it; None where Go fails (overflow)."""
    if not _GO_DECIMAL_FLOAT.fullmatch(text):
        return None
    value = float(text)
    return None if math.isinf(value) else value


def _reads_as_written(text: str, kind: str) -> bool:
    return kind != "timestamp" and _CANONICAL_NUMBER.fullmatch(text) is not None


# Timestamps: yaml.v3 tries these Go layouts on plain scalars that start with four digits and '-'.
_TS_DATE = r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
_TS_TIME = r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})(?:[.,](?P<f>[0-9]+))?"
_TIMESTAMP_FORMATS = (
    re.compile(_TS_DATE + r"[Tt]" + _TS_TIME + r"(?:(?P<z>Z)|(?P<oh>[-+][0-9]{2}):(?P<om>[0-9]{2}))"),
    re.compile(_TS_DATE + r" " + _TS_TIME),
    re.compile(_TS_DATE),
)


def _parse_timestamp(text: str) -> Optional[GoTimestamp]:
    if len(text) < 5 or not text[:4].isdigit() or text[4] != "-":
        return None
    for pattern in _TIMESTAMP_FORMATS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = match.groupdict()
        try:
            offset = 0
            if parts.get("oh"):
                hours = int(parts["oh"])
                offset = (abs(hours) * 60 + int(parts["om"])) * (-1 if parts["oh"].startswith("-") else 1)
            moment = datetime(
                int(parts["y"]), int(parts["m"]), int(parts["d"]),
                int(parts.get("H") or 0), int(parts.get("M") or 0), int(parts.get("S") or 0),
                tzinfo=timezone(timedelta(minutes=offset)),
            )
        except ValueError:
            continue
        return GoTimestamp(_go_time_string(moment, parts.get("f") or "", offset, bool(parts.get("oh"))), text)
    return None


def _go_time_string(moment: datetime, fraction: str, offset_minutes: int, has_offset: bool) -> str:
    """Go's time.Time.String() of a parsed timestamp, on a machine whose local zone is UTC (as CI runners are)."""
    fraction = fraction[:9].rstrip("0")
    text = moment.strftime("%Y-%m-%d %H:%M:%S") + (f".{fraction}" if fraction else "")
    sign = "-" if offset_minutes < 0 else "+"
    numeric = f"{sign}{abs(offset_minutes) // 60:02d}{abs(offset_minutes) % 60:02d}"
    zone = "UTC" if offset_minutes == 0 else numeric
    return f"{text} {numeric} {zone}"


# --------------------------------------------------------------------------------------------------
# Go's encoding/json, for the values Pulumi hands a program as text


def go_json(value: Any) -> str:
    """The JSON text Pulumi hands a program for an object- or list-valued config key: Go's ``json.Marshal``
    (sorted keys, Go's float format) of the value as Pulumi decodes it again from its own JSON, where a
    number that is not an int64 becomes a float64."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value) if _INT64[0] <= value <= _INT64[1] else go_float(float(value))
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, str):
        import json

        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{go_json(str(k))}:{go_json(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_json(v) for v in value) + "]"
    raise TypeError(f"not a decoded YAML value: {type(value).__name__}")


def go_float(value: float) -> str:
    """A float64 as Go's encoding/json writes it: shortest digits, exponent only below 1e-6 or from 1e21."""
    if math.isnan(value) or math.isinf(value):
        raise ValueError("NaN and infinities have no JSON form")
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    shortest = Decimal(repr(value))
    if 1e-6 <= abs(value) < 1e21:
        text = format(shortest, "f")
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text
    sign, digits, exponent = shortest.normalize().as_tuple()
    assert isinstance(exponent, int)  # finite (checked above): never 'n', 'N' or 'F'
    mantissa = "".join(map(str, digits))
    power = exponent + len(mantissa) - 1
    body = mantissa[0] + ("." + mantissa[1:] if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{body}e{'-' if power < 0 else '+'}{abs(power):02d}".replace("e-0", "e-")


# --------------------------------------------------------------------------------------------------
# Writing: values back to YAML that yaml.v3 (and YAML 1.1 readers) read as the same values


class _SafeDumper(yaml.SafeDumper):
    """PyYAML's safe dumper, quoting every string that yaml.v3 would read as something else (``0o17``,
    ``2001-12-14``); PyYAML already quotes the ones YAML 1.1 would (``yes``, ``on``)."""

    def represent_str(self, data: str) -> yaml.ScalarNode:
        node = super().represent_str(str(data))
        if node.style is None and resolve_plain(str(data))[0] != "str":
            node.style = '"'
        return node

    def represent_timestamp(self, data: GoTimestamp) -> yaml.ScalarNode:
        # Written as it was read, so that Pulumi reads the same timestamp again.
        return self.represent_scalar("tag:yaml.org,2002:timestamp", data.text, style=None)


_SafeDumper.add_representer(str, _SafeDumper.represent_str)
_SafeDumper.add_representer(GoTimestamp, _SafeDumper.represent_timestamp)


def dump(value: Any) -> str:
    """``value`` (as :func:`load` returns it) as YAML text that :func:`load`, and Pulumi, read back unchanged."""
    # allow_unicode=False: PyYAML writes line separators such as U+0085 raw into quoted scalars, where YAML
    # folds them into spaces; escaped, every character reads back as itself.
    return yaml.dump(value, Dumper=_SafeDumper, sort_keys=False, allow_unicode=False, width=120)
