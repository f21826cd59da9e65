"""What the engine's config map shows beyond the estate: credentials in plain text and near-miss namespaces
(table-driven; the same function runs in the program and on stack files)."""

from __future__ import annotations

import pytest

from auth0_m2m.model.loading import config_problems


@pytest.mark.parametrize(
    "key, value, secret, flagged",
    [
        ("auth0:clientSecret", "s3cr3t", False, True),
        ("auth0:clientSecret", "s3cr3t", True, False),
        ("auth0:apiToken", "t", False, True),
        ("auth0:clientAssertionPrivateKey", "-----BEGIN", False, True),
        ("app:dbPassword", "hunter2", False, True),
        ("app:client_secret", "x", False, True),
        ("app:readAsSecret", "true", False, False),  # a switch, not a credential
        ("app:webhookSecret", "", False, False),  # nothing stored
        ("auth0:clientId", "abc", False, False),
        ("auth0:domain", "example.eu.auth0.com", False, False),
        ("app:tokenLifetime", "3600", False, False),
        ("app:db", '{"host": "db", "password": "hunter2"}', False, True),
        ("app:db", '{"host": "db", "passwords": {"rotate": true}}', False, False),
    ],
)
def test_credentials_in_plain_text(key, value, secret, flagged):
    problems = config_problems({key: value}, {key} if secret else set())
    assert bool(problems) is flagged, problems
    if flagged:
        assert "pulumi config set --secret" in problems[0].message


@pytest.mark.parametrize(
    "namespace, target",
    [("auth0_m2m", "auth0-m2m"), ("auth0m2m", "auth0-m2m"), ("auth0-m2n", "auth0-m2m"), ("auth0-2mm", "auth0-m2m"),
     ("Auth0", "auth0"), ("auth", "auth0"), ("auht0", "auth0"), ("oauth", "auth0"),
     ("auth0-m2m", None), ("auth0", None), ("aws", None), ("azure", None), ("pulumi", None), ("myapp", None)],
)
def test_near_miss_namespaces(namespace, target):
    problems = config_problems({f"{namespace}:x": "v"}, set())
    if target is None:
        assert problems == []
    else:
        assert f"is not '{target}' (a typo?)" in problems[0].message
        assert problems[0].message.endswith(f"write {target}:x")
