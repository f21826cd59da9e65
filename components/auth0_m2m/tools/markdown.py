"""Markdown for pull-request comments, safe for values that come from a stack file.

A stack file is written by whoever opens the pull request; its values end up in a comment that reviewers
trust. Values are rendered as inline code (nothing inside is a link, an image, HTML or an @mention) or as
escaped text, never as Markdown, and a table cell never breaks its row. GitHub refuses comments over
65,536 characters: :func:`truncate` cuts a rendering at a line, closes what it left open and says so.
"""

from __future__ import annotations

import re

#: GitHub's limit on the body of an issue or pull-request comment (characters).
GITHUB_COMMENT_LIMIT = 65_536

_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>&])")
_BACKTICKS = re.compile(r"`+")


def code(value: object) -> str:
    """``value`` as inline code inside a table cell: one line, pipes escaped (GitHub tables split cells on
    ``|`` even inside code), a fence longer than any run of backticks it contains."""
    content = _one_line(str(value)).replace("|", "\\|")
    if not content.strip():
        return "` `"
    longest = max((len(run) for run in _BACKTICKS.findall(content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return f"{fence}{pad}{content}{pad}{fence}"


def text(value: object) -> str:
    """``value`` as plain text in Markdown: every Markdown character escaped, @mentions and #references
    broken (a word joiner after the sign), one line."""
    escaped = _PUNCTUATION.sub(r"\\\1", _one_line(str(value)))
    return escaped.replace("@", "@\u2060").replace("\\#", "\\#\u2060")


def fenced(value: str, info: str = "") -> str:
    """A fenced code block holding ``value`` verbatim: the fence is longer than any backtick run inside."""
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{value.rstrip(chr(10))}\n{fence}"


def _one_line(value: str) -> str:
    return " ".join(value.split()) if any(c in value for c in "\r\n\t\v\f\u2028\u2029\x85") else value


def truncate(markdown: str, limit: int, note: str) -> tuple[str, bool]:
    """``markdown`` cut to at most ``limit`` characters at a line boundary, with open code fences and
    ``<details>`` closed and ``note`` appended; (text, whether it was cut)."""
    if len(markdown) <= limit:
        return markdown, False
    budget = limit - len(note) - 64  # room for the closing lines and the separator
    if budget <= 0:
        raise ValueError(f"a limit of {limit} characters leaves no room for the report")
    kept: list[str] = []
    size = 0
    fence: str | None = None
    details = 0
    for line in markdown.splitlines(keepends=True):
        if size + len(line) > budget:
            break
        kept.append(line)
        size += len(line)
        stripped = line.strip()
        match = re.match(r"^(`{3,}|~{3,})", stripped)
        if match and (fence is None or stripped.startswith(fence)):
            fence = None if fence is not None else match.group(1)
        elif fence is None:
            details += stripped.count("<details>") - stripped.count("</details>")
    closing = []
    if kept and not kept[-1].endswith("\n"):
        closing.append("\n")
    if fence is not None:
        closing.append(fence + "\n")
    closing += ["\n</details>\n"] * max(details, 0)
    result = "".join(kept + closing) + "\n" + note.rstrip("\n") + "\n"
    return result, True
