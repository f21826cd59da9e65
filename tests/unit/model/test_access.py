"""The expected-access decision, table-driven over Auth0's rules for M2M tokens with organizations."""

from __future__ import annotations

import pytest

from auth0_m2m import GrantConfig, decide, expected_access, load_stack_file


def grant(usage: str, organizations=(), any_org=False) -> GrantConfig:
    return GrantConfig(api="orders", organization_usage=usage, organizations=list(organizations), allow_any_organization=any_org)


# (grant, requested organization, default organization) -> (allowed, org claim)
TABLE = [
    # usage deny: only requests without an organization; the default organization never applies
    ("no grant", None, None, None, (False, None)),
    ("deny, no org", grant("deny"), None, None, (True, None)),
    ("deny, no org, default set", grant("deny"), None, "acme", (True, None)),
    ("deny, org named", grant("deny"), "acme", None, (False, None)),
    # usage allow: with or without; no default organization applied
    ("allow, no org", grant("allow", ["acme"]), None, "acme", (True, None)),
    ("allow, authorized org", grant("allow", ["acme"]), "acme", None, (True, "acme")),
    ("allow, unauthorized org", grant("allow", ["acme"]), "globex", None, (False, None)),
    ("allow, any org", grant("allow", any_org=True), "globex", None, (True, "globex")),
    # usage require: an organization always; the default organization when none is named
    ("require, authorized org", grant("require", ["acme"]), "acme", None, (True, "acme")),
    ("require, unauthorized org", grant("require", ["acme"]), "globex", None, (False, None)),
    ("require, any org", grant("require", any_org=True), "globex", None, (True, "globex")),
    ("require, no org, default authorized", grant("require", ["acme"]), None, "acme", (True, "acme")),
    ("require, no org, default via any org", grant("require", any_org=True), None, "acme", (True, "acme")),
    ("require, no org, default unauthorized", grant("require", ["globex"]), None, "acme", (False, None)),
    ("require, no org, no default", grant("require", ["acme"]), None, None, (False, None)),
    ("require, explicit org wins over default", grant("require", ["acme", "globex"]), "globex", "acme", (True, "globex")),
]


@pytest.mark.parametrize("g, requested, default, expected", [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_decide(g, requested, default, expected):
    decision = decide(g, requested, default)
    assert (decision.allowed, decision.organization) == expected
    assert decision.reason


def test_expected_access_covers_every_application_api_and_organization():
    config = load_stack_file("stacks/Pulumi.local.yaml")
    rows = list(expected_access(config))
    assert len(rows) == len(config.applications) * len(config.apis) * (len(config.organizations) + 1)
    by_key = {(r.application, r.api, r.requested_organization): r.decision for r in rows}
    assert by_key[("billing-sync", "orders", None)].organization == "acme"
    assert not by_key[("billing-sync", "orders", "initech")].allowed
    assert by_key[("support-console", "orders", "umbrella")].allowed
    assert not by_key[("ledger-reconciler", "billing", "acme")].allowed
    assert not by_key[("ledger-reconciler", "orders", None)].allowed
