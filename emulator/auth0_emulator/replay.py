"""Replay conformance: recorded real Auth0 traffic against a fresh emulator.

For every go-vcr recording (``AUTH0_RECORDINGS_DIR``, else ``/work/shared/auth0-recordings``
or ``../shared/auth0-recordings`` from the repository root) a fresh emulator is
started, and each interaction is replayed in order:

* recorded ids (``org_…``, ``cgr_…``, ``cred_…``, 32-character client ids, 24-hex
  resource-server ids) are replaced, in URLs and bodies, by the ids the emulator
  returned at the same step (learned by walking recorded and actual responses side
  by side);
* the status code must be equal, and the JSON *shape* must be equal: the same keys
  present and absent, the same JSON types, recursively; scalar values are compared
  too, except ids (compared through the id map), secrets, certificates, key ids
  and timestamps;
* interactions on paths the emulator does not serve (connections, users, roles, …)
  are skipped and counted, and so are interactions that reference an object
  created by a skipped one.

Recordings are from different years; a few fields were added to Auth0's answers
after the older ones were made.  Those differences are listed in ``SUPERSEDED``
with the newer recording that shows the current shape; they are reported as
"superseded", not as mismatches.  Everything else is a mismatch.

Run: ``python -m auth0_emulator.replay [-v]`` prints a table and exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from auth0_emulator import process

# Paths this emulator serves (relative to /api/v2).
IN_SCOPE = [
    re.compile(p)
    for p in (
        r"^/clients(/[^/]+(/rotate-secret|/credentials(/[^/]+)?)?)?$",
        r"^/client-grants(/[^/]+(/organizations)?)?$",
        r"^/organizations(/name/[^/]+)?$",
        r"^/organizations/[^/]+(/client-grants(/[^/]+)?|/members|/connections|/enabled_connections)?$",
        r"^/resource-servers(/.+)?$",
    )
]

ID_PATTERNS = [
    re.compile(p)
    for p in (
        r"^org_[A-Za-z0-9]{16}$",
        r"^cgr_[A-Za-z0-9]{16}$",
        r"^cred_[A-Za-z0-9]{10,}$",
        r"^con_[A-Za-z0-9]{16}$",
        r"^[A-Za-z0-9]{32}$",
        r"^[0-9a-f]{24}$",
    )
]

# Values never compared: secrets, certificates, key material, timestamps.
VOLATILE_KEYS = {
    "client_secret", "cert", "pkcs7", "kid", "thumbprint_sha256", "created_at", "updated_at",
    "deleted_at", "expires_at", "signing_secret", "next",
}

# Newer recordings show fields that Auth0 added after an older recording was made.
# (recording, JSON path regex, difference) -> the recording that shows the current shape.
SUPERSEDED: list[tuple[str, str, str, str]] = [
    (
        "go-auth0/TestOrganizationManager_ClientGrants.yaml",
        r"^(\[\d+\]\.|client_grants\[\d+\]\.)?subject_type$",
        "extra",
        "recorded 2023-11, before grants carried subject_type; "
        "terraform-provider-auth0/TestAccOrganizationClientGrant.yaml (2026) shows subject_type=client",
    ),
    (
        "go-auth0/TestOrganizationManager_ClientGrants.yaml",
        r"^(organization_usage|allow_any_organization)$",
        "extra",
        "recorded 2023-11; the link response of terraform-provider-auth0/TestAccOrganizationClientGrant.yaml "
        "(2026) carries the grant's organization_usage and allow_any_organization",
    ),
    (
        "go-auth0/TestOrganizationManager_ClientGrants.yaml",
        r"^subject_type_authorization$",
        "extra",
        "recorded 2023-11, before resource servers carried subject_type_authorization; see any 2025/2026 recording",
    ),
    (
        "go-auth0/TestOrganizationManager_(ClientGrants|Create).yaml",
        r"^cross_origin_authentication$",
        "extra",
        "recorded 2023/2024, before clients carried cross_origin_authentication; see the 2025/2026 recordings",
    ),
    (
        "terraform-provider-auth0/TestAcc.*PrivateKeyJWT.*\\.yaml",
        r"^refresh_token\.(token_lifetime|idle_token_lifetime)$",
        "value",
        "the tenant's refresh-token defaults: 31557600/2592000 in these 2026-05/07 recordings of "
        "../shared/auth0-recordings-next, 2592000/1296000 in every other recording (same tenant, including "
        "go-auth0 ones of 2026-01); the emulator keeps the latter, which the replay suite's 359 interactions check",
    ),
]


def default_recordings_dir(name: str = "auth0-recordings") -> Path:
    """Where the recordings are: ``AUTH0_RECORDINGS_DIR``, else ``../shared/<name>`` from the repository root.

    ``name="auth0-recordings-next"``: recordings kept apart until the emulator answers them (private key JWT).
    """
    env = os.environ.get("AUTH0_RECORDINGS_DIR")
    if env:
        return Path(env) if name == "auth0-recordings" else Path(env).parent / name
    repo_root = Path(__file__).resolve().parents[2]
    candidates = [
        repo_root.parent / "shared" / name,  # ../shared from the repository root
        Path.cwd().parent / "shared" / name,
        Path("/work/shared") / name,
    ]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[0]


def recordings(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.yaml"))


def is_id(value: Any) -> bool:
    return isinstance(value, str) and any(p.match(value) for p in ID_PATTERNS)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def parse_json(text: str) -> Any:
    if not text or not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def api_path(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    path = parts.path
    if path.startswith("/api/v2"):
        path = path[len("/api/v2") :]
    return path, parts.query


@dataclass
class Difference:
    path: str
    kind: str  # missing | extra | type | value | status | length
    detail: str


@dataclass
class Outcome:
    recording: str
    index: int
    method: str
    url: str
    status: str  # match | mismatch | skipped | dependent
    differences: list[Difference] = field(default_factory=list)
    superseded: list[Difference] = field(default_factory=list)
    reason: str = ""


@dataclass
class IdMap:
    forward: dict[str, str] = field(default_factory=dict)

    def learn(self, recorded: Any, actual: Any) -> None:
        if isinstance(recorded, dict) and isinstance(actual, dict):
            for key, value in recorded.items():
                if key in actual:
                    self.learn(value, actual[key])
        elif isinstance(recorded, list) and isinstance(actual, list):
            for rec, act in zip(recorded, actual):
                self.learn(rec, act)
        elif is_id(recorded) and isinstance(actual, str) and recorded not in self.forward:
            if recorded != actual:
                self.forward[recorded] = actual

    def apply(self, text: str) -> str:
        for recorded, actual in sorted(self.forward.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(recorded, actual)
        return text


def compare(
    recorded: Any, actual: Any, ids: IdMap, path: str = ""
) -> list[Difference]:
    diffs: list[Difference] = []
    rtype, atype = json_type(recorded), json_type(actual)
    if rtype != atype:
        return [Difference(path or "$", "type", f"recorded {rtype}, emulator {atype}")]
    if isinstance(recorded, dict):
        for key in recorded:
            sub = f"{path}.{key}" if path else key
            if key not in actual:
                diffs.append(Difference(sub, "missing", "present in the recording, absent from the emulator"))
            else:
                diffs.extend(_compare_value(key, recorded[key], actual[key], ids, sub))
        for key in actual:
            if key not in recorded:
                sub = f"{path}.{key}" if path else key
                diffs.append(Difference(sub, "extra", "absent from the recording, present in the emulator"))
    elif isinstance(recorded, list):
        if len(recorded) != len(actual):
            diffs.append(Difference(path or "$", "length", f"recorded {len(recorded)} items, emulator {len(actual)}"))
        for index, (rec, act) in enumerate(zip(recorded, actual)):
            diffs.extend(compare(rec, act, ids, f"{path}[{index}]"))
    return diffs


def _compare_value(key: str, recorded: Any, actual: Any, ids: IdMap, path: str) -> list[Difference]:
    if isinstance(recorded, (dict, list)) or json_type(recorded) != json_type(actual):
        return compare(recorded, actual, ids, path)
    if key in VOLATILE_KEYS or recorded == "[REDACTED]":
        return []
    if is_id(recorded):
        expected = ids.forward.get(recorded, recorded)
        if is_id(actual) and (recorded not in ids.forward or expected == actual):
            return []
        return [Difference(path, "value", f"id {recorded!r} maps to {expected!r}, emulator {actual!r}")]
    if recorded != actual:
        return [Difference(path, "value", f"recorded {recorded!r}, emulator {actual!r}")]
    return []


def _superseded(recording: str, diff: Difference) -> bool:
    for pattern, path_re, kind, _reason in SUPERSEDED:
        if re.fullmatch(pattern, recording) and kind == diff.kind and re.search(path_re, diff.path):
            return True
    return False


def _redaction_artifact(status: int, body: Any) -> bool:
    # The recorder replaced some error bodies with its redaction of signing_keys.
    return status >= 400 and isinstance(body, dict) and "statusCode" not in body and "signing_keys" in body


def _ids_in(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for item in value.values():
            found |= _ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= _ids_in(item)
    elif is_id(value):
        found.add(value)
    return found


def replay_file(path: Path, name: str, work: Path) -> list[Outcome]:
    data = yaml.safe_load(path.read_text())
    outcomes: list[Outcome] = []
    ids = IdMap()
    skipped_ids: set[str] = set()
    with process.start(work / re.sub(r"\W+", "_", name)) as emulator, emulator.management_client() as http:
        for interaction in data.get("interactions", []):
            request, response = interaction["request"], interaction["response"]
            method, url = request["method"], request["url"]
            api, query = api_path(url)
            outcome = Outcome(name, interaction.get("id", len(outcomes)), method, f"{api}{'?' + query if query else ''}", "")
            recorded_body = parse_json(response.get("body", ""))
            body_text = request.get("body") or ""
            if not any(p.match(api) for p in IN_SCOPE):
                outcome.status, outcome.reason = "skipped", "path outside the emulator's scope"
                skipped_ids |= _ids_in(recorded_body)
                outcomes.append(outcome)
                continue
            referenced = {i for i in skipped_ids if i in url or i in body_text} - set(ids.forward)
            if referenced:
                outcome.status = "dependent"
                outcome.reason = f"references {', '.join(sorted(referenced))} created by a skipped interaction"
                skipped_ids |= _ids_in(recorded_body)
                outcomes.append(outcome)
                continue
            target = ids.apply(api) + ("?" + ids.apply(query) if query else "")
            # Path segments were escaped by the recorder's client; keep them as sent.
            content = ids.apply(body_text).strip() if method not in ("GET", "DELETE") else ""
            headers = {"Content-Type": "application/json"} if content else {}
            actual = http.request(method, "/api/v2" + target, content=content.encode() or None, headers=headers)
            actual_body = parse_json(actual.text)
            diffs: list[Difference] = []
            if actual.status_code != response["code"]:
                diffs.append(Difference("$", "status", f"recorded {response['code']}, emulator {actual.status_code}: {actual.text[:300]}"))
            elif _redaction_artifact(response["code"], recorded_body):
                pass  # only the status is comparable
            else:
                diffs = compare(recorded_body, actual_body, ids)
            ids.learn(recorded_body, actual_body)
            for diff in diffs:
                (outcome.superseded if _superseded(name, diff) else outcome.differences).append(diff)
            outcome.status = "mismatch" if outcome.differences else "match"
            outcomes.append(outcome)
    return outcomes


def run(directory: Path | None = None, verbose: bool = False) -> tuple[list[Outcome], str]:
    directory = directory or default_recordings_dir()
    files = recordings(directory)
    if not files:
        raise FileNotFoundError(f"no recordings under {directory}")
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="auth0-replay-") as tmp:
        for path in files:
            name = str(path.relative_to(directory))
            outcomes.extend(replay_file(path, name, Path(tmp)))
    return outcomes, report(outcomes, directory, verbose)


def report(outcomes: list[Outcome], directory: Path, verbose: bool = False) -> str:
    lines = [f"Replay of {directory}", ""]
    header = f"{'recording':<62} {'total':>5} {'match':>5} {'mism.':>5} {'skip':>5} {'dep.':>5} {'supers.':>7}"
    lines += [header, "-" * len(header)]
    names = list(dict.fromkeys(o.recording for o in outcomes))
    for name in names:
        rows = [o for o in outcomes if o.recording == name]
        lines.append(
            f"{name:<62} {len(rows):>5} {sum(o.status == 'match' for o in rows):>5} "
            f"{sum(o.status == 'mismatch' for o in rows):>5} {sum(o.status == 'skipped' for o in rows):>5} "
            f"{sum(o.status == 'dependent' for o in rows):>5} {sum(len(o.superseded) for o in rows):>7}"
        )
    matched = sum(o.status == "match" for o in outcomes)
    mismatched = sum(o.status == "mismatch" for o in outcomes)
    skipped = sum(o.status == "skipped" for o in outcomes)
    dependent = sum(o.status == "dependent" for o in outcomes)
    in_scope = matched + mismatched
    rate = 100.0 * matched / in_scope if in_scope else 0.0
    lines += [
        "-" * len(header),
        f"in scope: {in_scope}   matched: {matched}   mismatched: {mismatched}   match rate: {rate:.1f}%",
        f"skipped: {skipped + dependent} ({skipped} outside the emulator's scope, "
        f"{dependent} referencing objects created by skipped interactions)",
        f"superseded differences (older recordings, see SUPERSEDED): {sum(len(o.superseded) for o in outcomes)}",
    ]
    for outcome in outcomes:
        if outcome.status == "mismatch" or (verbose and (outcome.superseded or outcome.status in ("skipped", "dependent"))):
            lines.append(f"\n{outcome.status.upper()} {outcome.recording} #{outcome.index} {outcome.method} {outcome.url}")
            if outcome.reason:
                lines.append(f"    {outcome.reason}")
            for diff in outcome.differences:
                lines.append(f"    {diff.kind:<8} {diff.path}: {diff.detail}")
            for diff in outcome.superseded:
                lines.append(f"    superseded {diff.kind} {diff.path}")
    return "\n".join(lines)


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    matched = sum(o.status == "match" for o in outcomes)
    mismatched = sum(o.status == "mismatch" for o in outcomes)
    return {
        "in_scope": matched + mismatched,
        "matched": matched,
        "mismatched": mismatched,
        "skipped": sum(o.status in ("skipped", "dependent") for o in outcomes),
        "match_rate": (matched / (matched + mismatched)) if matched + mismatched else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m auth0_emulator.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--recordings", type=Path, default=None, help="recordings directory")
    parser.add_argument("-v", "--verbose", action="store_true", help="also list skipped and superseded interactions")
    args = parser.parse_args(argv)
    outcomes, text = run(args.recordings, args.verbose)
    print(text)
    return 1 if any(o.status == "mismatch" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
