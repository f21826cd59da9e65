"""Property-based: any valid configuration yields exactly the expected resources, and never authorizes an
organization on a grant whose usage is deny."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auth0_m2m import Estate, StackConfigError, validate

from ..pulumi_harness import run

ORGS = ["acme", "globex", "initech", "umbrella"]
APIS = {"orders": "https://orders.example.com/", "billing": "https://billing.example.com/", "reports": "urn:reports"}
SCOPES = ["read:a", "write:a", "export:b"]


@st.composite
def grants(draw, api: str):
    usage = draw(st.sampled_from(["deny", "allow", "require"]))
    grant = {"api": api, "scopes": draw(st.lists(st.sampled_from(SCOPES), max_size=4)), "organization_usage": usage}
    if usage != "deny":
        grant["organizations"] = draw(st.lists(st.sampled_from(ORGS), max_size=6))
        grant["allow_any_organization"] = draw(st.booleans())
    return grant


@st.composite
def applications(draw, name: str):
    apis = draw(st.lists(st.sampled_from(sorted(APIS)), unique=True, max_size=3))
    app = {"name": name, "grants": [draw(grants(api)) for api in apis]}
    required = [g for g in app["grants"] if g["organization_usage"] == "require"]
    if required and draw(st.booleans()):
        # A default organization that every require grant accepts (the rules demand it).
        default = draw(st.sampled_from(ORGS))
        for g in required:
            if not g.get("allow_any_organization") and default not in g["organizations"]:
                g["organizations"].append(default)
        app["default_organization"] = default
    return app


@st.composite
def estates(draw):
    names = draw(st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), unique=True, min_size=1, max_size=4))
    return {
        "environment": "prop",
        "organizations": {org: {"manage": draw(st.booleans())} if draw(st.booleans()) else {"id": f"org_{org}1"} for org in ORGS},
        "apis": {key: {"identifier": ident, "manage": draw(st.booleans())} for key, ident in APIS.items()},
        "applications": [draw(applications(name)) for name in names],
    }


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(estates())
def test_valid_configs_yield_exactly_the_expected_resources(raw):
    config = validate(raw, "stacks/Pulumi.prop.yaml")
    monitor = run(lambda: Estate(config.environment, config))

    clients = {r.name for r in monitor.of_type("auth0:index/client:Client")}
    assert clients == {app.name for app in config.applications}
    expected_grants = {f"{app.name}/{APIS[g.api]}": g for app in config.applications for g in app.grants}
    registered = {r.name: r for r in monitor.of_type("auth0:index/clientGrant:ClientGrant")}
    assert set(registered) == set(expected_grants)
    for name, g in expected_grants.items():
        assert registered[name].inputs["organizationUsage"] == g.organization_usage.value
        assert registered[name].inputs["scopes"] == sorted(set(g.scopes))

    links = monitor.of_type("auth0:index/organizationClientGrant:OrganizationClientGrant")
    expected_links = {f"{name}/{org}" for name, g in expected_grants.items() for org in g.organizations}
    assert {r.name for r in links} == expected_links
    deny_grants = {name for name, g in expected_grants.items() if g.organization_usage.value == "deny"}
    assert not [r for r in links if r.parent_name in deny_grants]


@settings(max_examples=60, deadline=None)
@given(estates(), st.sampled_from(ORGS))
def test_deny_grant_with_an_organization_is_always_refused(raw, org):
    apps = raw["applications"]
    apps[0]["grants"] = [{"api": "orders", "organization_usage": "deny", "organizations": [org]}]
    apps[0].pop("default_organization", None)
    try:
        validate(raw, "stacks/Pulumi.prop.yaml")
    except StackConfigError as error:
        assert any(p.field == "organizations" and "deny" in p.message for p in error.problems)
    else:
        raise AssertionError("a deny grant with an organization authorization was accepted")
