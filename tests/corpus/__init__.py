"""The corpus of malformed stack files: one file per case in malformed/ (or written at test time, ``GENERATED``),
named by what is wrong.

Every file is ``base.yaml`` broken in one way. ``CASES`` holds, for each, the exit status of ``auth0-m2m``
(2: not a stack file Pulumi reads the same way, or over the limits; 1: read, but the configuration is
refused) and the exact lines of the error, with ``{file}`` standing for the file's name as the command
shows it. ``PULUMI_REFUSES`` are the files the Pulumi CLI (3.276, file backend) refuses to read itself:
the project refuses every one of them too (tests/integration/test_pulumi_reading.py checks both against
the real CLI).
"""

from __future__ import annotations

import functools
from pathlib import Path

HERE = Path(__file__).resolve().parent
BASE = HERE / "base.yaml"
MALFORMED = HERE / "malformed"

PULUMI_REFUSES = frozenset({
    'billion-laughs',
    'boolean-as-key',
    'config-is-a-list',
    'control-character',
    'duplicate-config-key',
    'duplicate-field-in-a-grant',
    'esc-environment',
    'infinite-number',
    'key-with-two-colons',
    'list-as-key',
    'list-document',
    'merge-of-a-scalar',
    'not-a-number',
    'not-utf-8',
    'recursive-alias',
    'scalar-document',
    'tab-indentation',
    'unknown-anchor',
    'yaml-syntax-error',
})

CASES: dict[str, tuple[int, list[str]]] = {
    'alias-as-key': (2, [
        '{file}:4: an alias (*name) as a mapping key; keys must be written out',
    ]),
    'billion-laughs': (2, [
        '{file}: aliases expand the document to more than 1,000,000 values (the limit)',
    ]),
    'boolean-as-key': (2, [
        "{file}:4: the key 'true' is read as a boolean; keys must be strings (quote it)",
    ]),
    'config-is-a-list': (2, [
        '{file}:1: `config:` holds a list; it must be a mapping of config keys',
    ]),
    'control-character': (2, [
        '{file}:22: character U+0000 (a control character) is not allowed in YAML',
    ]),
    'deny-grant-with-organizations': (1, [
        "{file}:27: application 'billing-sync', grant for API 'orders' (https://orders.api.example.com/), field 'organizations': organization_usage is 'deny', which forbids organization authorizations; remove ['acme', 'globex'] or set organization_usage to 'allow' or 'require'",
    ]),
    'duplicate-config-key': (2, [
        '{file}:5: mapping key "auth0-m2m:environment" already defined at line 3',
    ]),
    'duplicate-field-in-a-grant': (2, [
        '{file}:28: mapping key "organization_usage" already defined at line 27',
    ]),
    'duplicate-key-bare-and-namespaced': (2, [
        "{file}:5: config key 'production' is the same key as 'auth0-m2m:production' at line 4 (Pulumi adds the project's name to keys without a namespace)",
    ]),
    'empty': (2, [
        '{file}: the file is empty; a stack file is a mapping with a `config:` key',
    ]),
    'esc-environment': (1, [
        '{file}:1: ESC environments (`environment:`) are not supported: the stack file must hold the whole configuration, so that what is reviewed is what is deployed',
    ]),
    'fractional-token-lifetime': (1, [
        "{file}:19: API 'billing', field 'token_lifetime': 3600.5 is a number, not a whole number",
    ]),
    'hexadecimal-number': (1, [
        "{file}:19: API 'billing', field 'token_lifetime': '0xE10' is read by Pulumi as 3600; write that, or quote the value if it is text",
    ]),
    'huge-value': (1, [
        "{file}:3: field 'environment': 'devdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevdevde... (9,000 characters) is not an environment name: 1-32 lowercase letters, digits or '-'",
    ]),
    'infinite-number': (2, [
        '{file}:4: -.inf (not a number or infinite) cannot be a config value: Pulumi refuses it',
    ]),
    'justification-without-any-organization': (1, [
        "{file}:29: application 'billing-sync', grant for API 'orders' (https://orders.api.example.com/), field 'justification': a justification only applies with allow_any_organization: true; remove it (or grant any-organization access, if that is what it justifies)",
    ]),
    'key-with-two-colons': (2, [
        "{file}:4: config key 'auth0-m2m:apps:billing' is not of the form <namespace>:<name>",
    ]),
    'legacy-octal-number': (1, [
        "{file}:19: API 'billing', field 'token_lifetime': '0100' is read by Pulumi as 64; write that, or quote the value if it is text",
    ]),
    'list-as-key': (2, [
        '{file}:24: a mapping key is a sequence; keys must be strings',
    ]),
    'list-document': (2, [
        '{file}:1: the file holds a list; a stack file is a mapping with a `config:` key',
    ]),
    'merge-of-a-scalar': (2, [
        '{file}:30: a merge key (<<) needs a mapping or a sequence of mappings',
    ]),
    'misspelled-field': (1, [
        "{file}:20: field 'aplications': unknown field 'aplications' (misspelled, or not supported here)",
    ]),
    'name-on-an-unmanaged-api': (1, [
        "{file}:15: API 'orders' (https://orders.api.example.com/), field 'name': name only applies to APIs this stack manages (manage: true); this API is managed elsewhere, so the value would be ignored: remove it",
    ]),
    'namespace-one-letter-off': (1, [
        "{file}:5: config key 'auth0-m2n:production': namespace 'auth0-m2n' is not 'auth0-m2m' (a typo?): Pulumi would hand this value to nobody; write auth0-m2m:production",
    ]),
    'namespace-with-underscore': (1, [
        "{file}:4: config key 'auth0_m2m:production': namespace 'auth0_m2m' is not 'auth0-m2m' (a typo?): Pulumi would hand this value to nobody; write auth0-m2m:production",
    ]),
    'namespace-without-dash': (1, [
        "{file}:5: config key 'auth0m2m:protect': namespace 'auth0m2m' is not 'auth0-m2m' (a typo?): Pulumi would hand this value to nobody; write auth0-m2m:protect",
    ]),
    'nested-too-deep': (2, [
        '{file}:23: nesting deeper than 64 levels (the limit)',
    ]),
    'not-a-number': (2, [
        '{file}:19: .nan (not a number or infinite) cannot be a config value: Pulumi refuses it',
    ]),
    'not-utf-8': (2, [
        '{file}:22: not UTF-8: byte 0xe9 at column 47',
    ]),
    'number-as-display-name': (1, [
        "{file}:30: application 'support-console', field 'display_name': 42 is a number, not a string",
    ]),
    'number-as-key': (2, [
        "{file}:24: the key '1' is read as a number; keys must be strings (quote it)",
    ]),
    'on-as-protect': (1, [
        "{file}:5: field 'protect': 'on' is not a boolean: write true or false (Pulumi reads stack files as YAML 1.2, where yes, no, on, off, y and n are strings)",
    ]),
    'one-as-production': (1, [
        "{file}:4: field 'production': '1' is not a boolean: write true or false",
    ]),
    'only-a-comment': (2, [
        '{file}: the file is empty; a stack file is a mapping with a `config:` key',
    ]),
    'plain-text-client-secret': (1, [
        "{file}:3: config key 'auth0:clientSecret': holds a credential in plain text: store it encrypted with `pulumi config set --secret auth0:clientSecret` (it reads the value from stdin or a prompt)",
    ]),
    'plain-text-password-in-another-namespace': (1, [
        "{file}:3: config key 'reports:database': 'reports:database.password' holds a credential in plain text: store it encrypted with `pulumi config set --secret --path reports:database.password`",
    ]),
    'provider-namespace-misspelled': (1, [
        "{file}:2: config key 'Auth0:domain': namespace 'Auth0' is not 'auth0' (a typo?): Pulumi would hand this value to nobody; write auth0:domain",
    ]),
    'python-tag': (2, [
        "{file}:22: YAML tag '!!python/object/apply:os.system' is not allowed in a stack file: write the value plainly or quoted",
    ]),
    'quoted-true-as-manage': (1, [
        "{file}:17: API 'billing', field 'manage': 'true' is a string, not a boolean: write true without quotes",
    ]),
    'recursive-alias': (2, [
        '{file}:26: alias *loop refers to the node that contains it',
    ]),
    'scalar-document': (2, [
        "{file}:1: the file holds the text 'auth0-m2m:environment dev'; a stack file is a mapping with a `config:` key",
    ]),
    'secret-in-the-estate': (1, [
        "{file}:3: config key 'auth0-m2m:environment', field 'environment': the estate's config must be plain text so that it can be reviewed and diffed; set it with `pulumi config set` without --secret",
    ]),
    'str-tag': (2, [
        "{file}:3: YAML tag '!!str' is not allowed in a stack file: write the value plainly or quoted",
    ]),
    'tab-indentation': (2, [
        '{file}:3: YAML syntax error: found a tab character that violates indentation',
    ]),
    'timestamp-as-text': (1, [
        "{file}:22: application 'billing-sync', field 'description': '2024-01-31' is read by Pulumi as the timestamp '2024-01-31 00:00:00 +0000 UTC'; write that, or quote the value if it is text",
    ]),
    'token-lifetime-on-an-unmanaged-api': (1, [
        "{file}:15: API 'orders' (https://orders.api.example.com/), field 'token_lifetime': token_lifetime only applies to APIs this stack manages (manage: true); this API is managed elsewhere, so the value would be ignored: remove it",
    ]),
    'too-large': (2, [
        '{file}: the file is 1,166,956 bytes; the limit is 1,048,576 bytes (1 MiB)',
    ]),
    'too-many-aliases': (2, [
        '{file}:135: more than 100 aliases (the limit)',
    ]),
    'two-documents': (2, [
        "{file}:35: a second YAML document ('---'): a stack file holds one document (Pulumi would silently read the first only)",
    ]),
    'unknown-anchor': (2, [
        "{file}:26: unknown anchor 'orders' referenced",
    ]),
    'unknown-top-level-key': (1, [
        "{file}:1: unknown top-level key 'confg': Pulumi would ignore it (known: config, encryptionsalt, secretsprovider, encryptedkey)",
    ]),
    'utf-16': (2, [
        '{file}:1: the file is UTF-16 (byte order mark); stack files are UTF-8',
    ]),
    'y-as-allow-any-organization': (1, [
        "{file}:33: application 'support-console', grant for API 'billing' (https://billing.api.example.com/), field 'allow_any_organization': 'y' is not a boolean: write true or false (Pulumi reads stack files as YAML 1.2, where yes, no, on, off, y and n are strings)",
    ]),
    'yaml-directive': (2, [
        '{file}:1: YAML directives (%YAML, %TAG) are not allowed in a stack file',
    ]),
    'yaml-syntax-error': (2, [
        "{file}:27: YAML syntax error: did not find expected ',' or ']'",
    ]),
    'yes-as-production': (1, [
        "{file}:4: field 'production': 'yes' is not a boolean: write true or false (Pulumi reads stack files as YAML 1.2, where yes, no, on, off, y and n are strings)",
    ]),
}


#: Cases written at test time instead of committed (a megabyte of padding is no use in the repository), into
#: the repository's untracked work directory. Each is deterministic: the same bytes on every machine.
GENERATED_DIR = HERE.parents[1] / ".work" / "corpus"


def _too_large() -> str:
    """``base.yaml`` (without its header comment) and 11,000 lines of padding: 1,166,956 bytes, over 1 MiB."""
    body = BASE.read_text().splitlines(keepends=True)[2:]
    return "".join(body) + "".join(f"# {'padding ' * 12}{i:07d}\n" for i in range(11_000))


GENERATED = {"too-large": _too_large}


@functools.cache
def _generated(case: str) -> Path:
    """The file of a generated case, written (or checked) once per test process."""
    path = GENERATED_DIR / f"{case}.yaml"
    text = GENERATED[case]()
    if not path.is_file() or path.read_text() != text:
        GENERATED_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


def files() -> dict[str, Path]:
    """Case name -> its file (committed in malformed/, or written into GENERATED_DIR)."""
    found = {path.stem: path for path in MALFORMED.glob("*.yaml")}
    found.update({case: _generated(case) for case in GENERATED})
    return dict(sorted(found.items()))


def expected(case: str, source: str) -> list[str]:
    """The error lines of ``case`` for a file shown as ``source``."""
    return [line.replace("{file}", source) for line in CASES[case][1]]
