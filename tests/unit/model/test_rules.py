"""Every validation rule, table-driven: a stack that breaks it, and the exact message a user reads."""

from __future__ import annotations

import copy

import pytest

from auth0_m2m import StackConfigError, validate

SOURCE = "stacks/Pulumi.prod.yaml"

BASE = {
    "environment": "prod",
    "production": True,
    "organizations": {"acme": {"id": "org_acme0001"}, "globex": {"id": "org_globex001"}},
    "apis": {"orders": {"identifier": "https://orders.example.com/", "scopes": {"read:orders": "", "write:orders": ""}}},
    "applications": [
        {
            "name": "billing-sync",
            "default_organization": "acme",
            "grants": [{"api": "orders", "scopes": ["read:orders"], "organization_usage": "require", "organizations": ["acme"]}],
        }
    ],
}


def with_changes(change) -> dict:
    raw = copy.deepcopy(BASE)
    change(raw)
    return raw


def grant(raw: dict) -> dict:
    return raw["applications"][0]["grants"][0]


def app(raw: dict) -> dict:
    return raw["applications"][0]


GRANT_AT = "stacks/Pulumi.prod.yaml: application 'billing-sync', grant for API 'orders' (https://orders.example.com/)"

CASES = [
    (
        "deny with organization authorizations",
        lambda r: (grant(r).update(organization_usage="deny"), app(r).pop("default_organization")),
        f"{GRANT_AT}, field 'organizations': organization_usage is 'deny', which forbids organization authorizations; "
        "remove ['acme'] or set organization_usage to 'allow' or 'require'",
    ),
    (
        "deny with allow_any_organization",
        lambda r: (
            grant(r).update(organization_usage="deny", organizations=[], allow_any_organization=True, justification="internal support tool"),
            app(r).pop("default_organization"),
        ),
        f"{GRANT_AT}, field 'allow_any_organization': allow_any_organization: true contradicts organization_usage "
        "'deny'; set organization_usage to 'allow' or 'require', or remove allow_any_organization",
    ),
    (
        "default organization without a require grant",
        lambda r: grant(r).update(organization_usage="allow"),
        "stacks/Pulumi.prod.yaml: application 'billing-sync', field 'default_organization': default organization "
        "'acme' would never apply: no grant of this application has organization_usage 'require'",
    ),
    (
        "default organization not authorized for a require grant",
        lambda r: grant(r).update(organizations=["globex"]),
        f"{GRANT_AT}, field 'organizations': default organization 'acme' is not authorized for this 'require' grant, "
        "so Auth0 would refuse tokens requested without an organization; add 'acme' to organizations or set "
        "allow_any_organization",
    ),
    (
        "duplicate application names",
        lambda r: r["applications"].append(copy.deepcopy(app(r))),
        "stacks/Pulumi.prod.yaml: application 'billing-sync', field 'name': 2 applications are named "
        "'billing-sync'; application names must be unique in a stack",
    ),
    (
        "duplicate Auth0 names",
        lambda r: r["applications"].append({**copy.deepcopy(app(r)), "name": "billing-sync-2", "display_name": "billing-sync"}),
        "stacks/Pulumi.prod.yaml: application 'billing-sync-2', field 'display_name': Auth0 name 'billing-sync' is "
        "already used by application 'billing-sync'; applications may share an Auth0 name only when each pins its "
        "existing client with client_id",
    ),
    (
        "duplicate Auth0 names, only one client pinned",
        lambda r: r["applications"].append(
            {**copy.deepcopy(app(r)), "name": "billing-sync-2", "display_name": "billing-sync", "client_id": "c2"}
        ),
        "stacks/Pulumi.prod.yaml: application 'billing-sync-2', field 'display_name': Auth0 name 'billing-sync' is "
        "already used by application 'billing-sync'; applications may share an Auth0 name only when each pins its "
        "existing client with client_id",
    ),
    (
        "one client pinned by two applications",
        lambda r: (
            app(r).update(client_id="AbC123"),
            r["applications"].append({**copy.deepcopy(app(r)), "name": "billing-sync-2", "client_id": "AbC123"}),
        ),
        "stacks/Pulumi.prod.yaml: application 'billing-sync-2', field 'client_id': client id 'AbC123' is already "
        "pinned by application 'billing-sync'",
    ),
    (
        "duplicate audiences within an application",
        lambda r: app(r)["grants"].append({"api": "orders", "scopes": ["write:orders"]}),
        f"{GRANT_AT}, field 'grants': 2 grants for the same API; merge them into one entry (one grant per audience)",
    ),
    (
        "two API keys for one identifier",
        lambda r: r["apis"].update(orders2={"identifier": "https://orders.example.com/"}),
        "stacks/Pulumi.prod.yaml: API 'orders2' (https://orders.example.com/), field 'identifier': API 'orders2' has "
        "identifier 'https://orders.example.com/', which API 'orders' already has",
    ),
    (
        "unknown API",
        lambda r: app(r)["grants"].append({"api": "invoices", "scopes": []}),
        "stacks/Pulumi.prod.yaml: application 'billing-sync', grant for API 'invoices', field 'api': unknown API "
        "'invoices'; APIs declared in this stack: orders",
    ),
    (
        "unknown organization in a grant",
        lambda r: grant(r).update(organizations=["acme", "initech"]),
        f"{GRANT_AT}, field 'organizations': unknown organization 'initech'; organizations declared in this stack: "
        "acme, globex",
    ),
    (
        "unknown default organization",
        lambda r: app(r).update(default_organization="initech"),
        "stacks/Pulumi.prod.yaml: application 'billing-sync', field 'default_organization': unknown organization "
        "'initech'; organizations declared in this stack: acme, globex",
    ),
    (
        "scope the API does not define",
        lambda r: grant(r).update(scopes=["read:orders", "delete:orders"]),
        f"{GRANT_AT}, field 'scopes': scopes ['delete:orders'] are not defined by API 'orders'; it defines "
        "['read:orders', 'write:orders']",
    ),
    (
        "invalid scope string",
        lambda r: grant(r).update(scopes=["read orders"]),
        f"{GRANT_AT}, field 'scopes': scope 'read orders' is not a valid scope value (1-280 characters, no whitespace)",
    ),
    (
        "organization name Auth0 would reject",
        lambda r: r["organizations"].update({"Globex Corp": {}}),
        "stacks/Pulumi.prod.yaml: organization 'Globex Corp', field 'name': 'Globex Corp' is not an Auth0 "
        "organization name: 1-50 lowercase letters, digits, '_' or '-'",
    ),
    (
        "organization name too long",
        lambda r: r["organizations"].update({"a" * 51: {}}),
        f"stacks/Pulumi.prod.yaml: organization '{'a' * 51}', field 'name': '{'a' * 51}' is not an Auth0 "
        "organization name: 1-50 lowercase letters, digits, '_' or '-'",
    ),
    (
        "organization both managed and referenced by id",
        lambda r: r["organizations"]["globex"].update(manage=True),
        "stacks/Pulumi.prod.yaml: organization 'globex', field 'id': set either manage: true (this stack creates it) "
        "or id (it exists already), not both",
    ),
    (
        "two names for one organization id",
        lambda r: r["organizations"].update(initech={"id": "org_acme0001"}),
        "stacks/Pulumi.prod.yaml: organization 'initech', field 'id': id 'org_acme0001' is already the id of "
        "organization 'acme'",
    ),
    (
        "display name on an organization the stack does not manage",
        lambda r: r["organizations"]["globex"].update(display_name="Globex"),
        "stacks/Pulumi.prod.yaml: organization 'globex', field 'display_name': display_name only applies to "
        "organizations this stack manages (manage: true)",
    ),
    (
        "any organization in production without justification",
        lambda r: grant(r).update(allow_any_organization=True),
        f"{GRANT_AT}, field 'justification': allow_any_organization: true in a production stack needs a "
        "justification (at least 10 characters) saying why this application must reach every organization",
    ),
    (
        "unknown field (typo)",
        lambda r: grant(r).update(organisation_usage="allow"),
        f"{GRANT_AT}, field 'organisation_usage': unknown field 'organisation_usage' (misspelled, or not supported here)",
    ),
    (
        "unknown usage value",
        lambda r: grant(r).update(organization_usage="required"),
        f"{GRANT_AT}, field 'organization_usage': 'required' is not one of 'deny', 'allow' or 'require'",
    ),
    (
        "missing API identifier",
        lambda r: r["apis"].update(billing={"manage": True}),
        "stacks/Pulumi.prod.yaml: API 'billing', field 'identifier': required field is missing",
    ),
    (
        "application name that cannot be a stable key",
        lambda r: app(r).update(name="Billing Sync"),
        "stacks/Pulumi.prod.yaml: application 'Billing Sync', field 'name': 'Billing Sync' is not a key: 1-64 "
        "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit",
    ),
    (
        "client metadata over Auth0's limit of 10 keys",
        lambda r: app(r).update(metadata={f"k{i}": "v" for i in range(11)}),
        "stacks/Pulumi.prod.yaml: application 'billing-sync', field 'metadata': at most 10 entries are allowed "
        "(Auth0's limit), found 11",
    ),
]


@pytest.mark.parametrize("change, expected", [(c, e) for _, c, e in CASES], ids=[name for name, _, _ in CASES])
def test_rule_reports_the_file_application_api_and_field(change, expected):
    with pytest.raises(StackConfigError) as error:
        validate(with_changes(change), SOURCE)
    messages = [problem.format(SOURCE) for problem in error.value.problems]
    assert messages == [expected]


def test_base_stack_is_valid():
    assert validate(BASE, SOURCE).applications[0].name == "billing-sync"


def test_more_than_100_authorizations_on_one_organization_is_refused_with_the_counts():
    raw = copy.deepcopy(BASE)
    raw["production"] = False
    raw["applications"] = [
        {"name": f"app-{i:03d}", "grants": [{"api": "orders", "organization_usage": "allow", "organizations": ["acme"]}]}
        for i in range(101)
    ]
    with pytest.raises(StackConfigError) as error:
        validate(raw, SOURCE)
    assert [p.format(SOURCE) for p in error.value.problems] == [
        "stacks/Pulumi.prod.yaml: organization 'acme', field 'organizations': 101 grants are authorized for this "
        "organization across the stack; Auth0 allows at most 100 (1 too many)"
    ]
    raw["applications"].pop()
    validate(raw, SOURCE)


def test_applications_sharing_an_auth0_name_are_accepted_when_each_pins_its_client():
    # Two clients with one name in the tenant, both adopted: the pinned client id tells them apart.
    raw = with_changes(
        lambda r: (
            app(r).update(client_id="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", display_name="Billing"),
            r["applications"].append(
                {**copy.deepcopy(app(r)), "name": "billing-2", "client_id": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}
            ),
        )
    )
    assert [a.auth0_name for a in validate(raw, SOURCE).applications] == ["Billing", "Billing"]


def test_any_organization_outside_production_needs_no_justification():
    raw = with_changes(lambda r: (r.update(production=False), grant(r).update(allow_any_organization=True)))
    assert validate(raw, SOURCE).applications[0].grants[0].allow_any_organization


def test_any_organization_in_production_with_justification_is_accepted():
    raw = with_changes(lambda r: grant(r).update(allow_any_organization=True, justification="Support must reach every customer"))
    assert validate(raw, SOURCE).applications[0].grants[0].justification


def test_all_problems_are_reported_at_once_with_a_header():
    raw = with_changes(
        lambda r: (
            grant(r).update(organizations=["nope"], scopes=["delete:orders"]),
            app(r).update(default_organization="zilch"),
        )
    )
    with pytest.raises(StackConfigError) as error:
        validate(raw, SOURCE)
    text = str(error.value)
    assert text.splitlines()[0] == "stacks/Pulumi.prod.yaml: 3 configuration problems; nothing was deployed."
    assert len(error.value.problems) == 3


def test_scopes_and_organizations_are_normalized():
    raw = with_changes(lambda r: (grant(r).update(scopes=["write:orders", "read:orders", "write:orders"], organizations=["globex", "acme", "acme"])))
    parsed = validate(raw, SOURCE).applications[0].grants[0]
    assert parsed.scopes == ("read:orders", "write:orders")
    assert parsed.organizations == ("acme", "globex")
