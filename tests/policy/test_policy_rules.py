"""The policy pack's rules, in process: the analyzer service fed the requests the engine would send.

Fast and table-like; the same policies run through the real Pulumi CLI in test_policy_pack.py.
"""

from __future__ import annotations

import pytest

from tests.type_tokens import APP_TYPE as APP, CLIENT, CREDENTIALS, ESTATE_TYPE as ESTATE, GRANT, LINK, ORG, PROVIDER

from .analyzer import UNKNOWN, Analyzer, Resource, hooks, policies, secret, urn

ANY_ORG = "any-organization-requires-justification"
DENY = "no-organizations-on-deny-grant"
DEFAULT_ORG = "default-organization-authorized"
PROTECT = "protect-production-clients-and-grants"
SECRETS = "no-plaintext-client-secret"
ORDERS = "https://orders.example.com/"


@pytest.fixture(autouse=True)
def fresh_analyzer_memory():
    """What the hooks remember (parents, inputs, components) is per process: start each test empty."""
    for memory in (hooks._parents, hooks._components, hooks._inputs):
        memory.clear()
    yield


def names(violations) -> list[str]:
    return [v.policy for v in violations]


def only(violations, policy: str):
    found = [v for v in violations if v.policy == policy]
    assert len(found) == 1, violations
    assert found[0].mandatory
    return found[0]


def test_the_pack_has_the_five_policies_all_mandatory():
    assert policies.names() == [ANY_ORG, DENY, DEFAULT_ORG, PROTECT, SECRETS]
    assert all(p.enforcement_level.value == "mandatory" for p in policies.ALL)


# ------------------------------------------------------------------------------------------------
# any-organization-requires-justification


def raw_grant(allow_any, name="support/orders", **extra) -> Resource:
    return Resource(GRANT, name, {"audience": ORDERS, "organizationUsage": "allow", "allowAnyOrganization": allow_any,
                                  "clientId": UNKNOWN, **extra})


def test_raw_grant_with_any_organization_needs_a_justification_in_the_policy_config():
    violation = only(Analyzer().analyze(raw_grant(True)), ANY_ORG)
    assert "client grant 'support/orders' (audience https://orders.example.com/) allows any organization without " \
           "a recorded justification" in violation.message
    assert '"justifications": {"support/orders"' in violation.message


@pytest.mark.parametrize("key", ["support/orders", urn(GRANT, "support/orders")])
def test_a_justification_in_the_policy_config_by_name_or_urn_satisfies_it(key):
    analyzer = Analyzer(policy_config={ANY_ORG: {"justifications": {key: "Support staff act for any customer"}}})
    assert analyzer.analyze(raw_grant(True)) == []


def test_a_too_short_justification_does_not_count():
    analyzer = Analyzer(policy_config={ANY_ORG: {"justifications": {"support/orders": "because"}}})
    only(analyzer.analyze(raw_grant(True)), ANY_ORG)


def test_grants_without_any_organization_pass():
    assert Analyzer().analyze(raw_grant(False)) == []
    assert Analyzer().analyze(Resource(GRANT, "g", {"audience": ORDERS, "organizationUsage": "deny"})) == []


def test_an_unknown_allow_any_organization_fails_closed():
    violation = only(Analyzer().analyze(raw_grant(UNKNOWN)), ANY_ORG)
    assert "allowAnyOrganization is not known during preview" in violation.message


def component(grants, name="support") -> Resource:
    return Resource(APP, name, {"application": name, "production": True, "default_organization": None,
                                "grants": grants}, parent=urn(ESTATE, "prod"), parent_types=(ESTATE,))


def grant_under(component_resource: Resource, allow_any=True) -> tuple[Resource, Resource]:
    client = Resource(CLIENT, component_resource.name, {"name": component_resource.name},
                      parent=component_resource.urn, parent_types=(ESTATE, APP))
    grant = Resource(GRANT, f"{component_resource.name}/{ORDERS}",
                     {"audience": ORDERS, "organizationUsage": "allow", "allowAnyOrganization": allow_any},
                     parent=client.urn, parent_types=(ESTATE, APP, CLIENT))
    return client, grant


def test_component_grants_use_the_justification_the_component_recorded():
    analyzer = Analyzer()
    app = component([{"audience": ORDERS, "allow_any_organization": True, "organizations": [],
                      "organization_usage": "allow", "justification": "Support staff act for any customer"}])
    client, grant = grant_under(app)
    assert analyzer.analyze(app) == []
    assert analyzer.analyze(client) == []
    assert analyzer.analyze(grant) == []


def test_component_without_justification_is_reported_on_the_component_and_the_grant():
    analyzer = Analyzer()
    app = component([{"audience": ORDERS, "allow_any_organization": True, "justification": None}], name="tool")
    client, grant = grant_under(app)
    violation = only(analyzer.analyze(app), ANY_ORG)
    assert "M2M application 'tool' allows any organization for audience https://orders.example.com/ without a " \
           "justification" in violation.message
    analyzer.analyze(client)
    assert "without a recorded justification" in only(analyzer.analyze(grant), ANY_ORG).message


def test_component_grant_whose_component_records_no_such_access_is_reported():
    analyzer = Analyzer()
    app = component([{"audience": ORDERS, "allow_any_organization": False, "justification": None}], name="liar")
    client, grant = grant_under(app)
    analyzer.analyze(app)
    analyzer.analyze(client)
    assert "records no any-organization access" in only(analyzer.analyze(grant), ANY_ORG).message


def test_component_grant_whose_component_was_not_seen_fails_closed():
    app = component([], name="unseen")
    _, grant = grant_under(app)
    assert "cannot be checked" in only(Analyzer().analyze(grant), ANY_ORG).message


# ------------------------------------------------------------------------------------------------
# no-organizations-on-deny-grant


def org(name, org_id=UNKNOWN) -> Resource:
    return Resource(ORG, name, {"name": name, "id": org_id})


def test_authorization_parented_to_a_deny_grant_is_reported():
    grant = Resource(GRANT, "ledger", {"organizationUsage": "deny", "id": UNKNOWN})
    acme = org("acme")
    link = Resource(LINK, "ledger/acme", {"grantId": UNKNOWN, "organizationId": UNKNOWN}, parent=grant.urn,
                    parent_types=(GRANT,), dependencies={"organizationId": [acme.urn]})
    violation = only(Analyzer().analyze_stack([grant, acme, link]), DENY)
    assert violation.urn == link.urn
    assert "organization authorization 'ledger/acme' authorizes organization 'acme' on client grant 'ledger', whose " \
           "organization_usage is deny" in violation.message


def test_authorization_found_through_the_grant_id_dependency_during_preview():
    grant = Resource(GRANT, "ledger", {"organizationUsage": "deny", "id": UNKNOWN})
    link = Resource(LINK, "ledger/acme", {"grantId": UNKNOWN, "organizationId": "org_acme"},
                    dependencies={"grantId": [grant.urn]})
    assert names(Analyzer().analyze_stack([grant, link])) == [DENY]


def test_authorization_found_through_a_known_grant_id():
    grant = Resource(GRANT, "ledger", {"id": "cgr_1", "organizationUsage": "deny"})
    other = Resource(GRANT, "other", {"id": "cgr_2", "organizationUsage": "require"})
    link = Resource(LINK, "ledger/acme", {"grantId": "cgr_1", "organizationId": "org_acme"})
    link_ok = Resource(LINK, "other/acme", {"grantId": "cgr_2", "organizationId": "org_acme"})
    violations = Analyzer().analyze_stack([grant, other, link, link_ok])
    assert [v.urn for v in violations] == [link.urn]


def test_a_grant_without_organization_usage_is_deny():
    grant = Resource(GRANT, "ledger", {"id": "cgr_1"})
    link = Resource(LINK, "ledger/acme", {"grantId": "cgr_1", "organizationId": "org_acme"})
    assert names(Analyzer().analyze_stack([grant, link])) == [DENY]


def test_undecidable_authorizations_are_skipped_with_a_reason(capsys):
    grant = Resource(GRANT, "ledger", {"organizationUsage": "deny", "id": UNKNOWN})
    link = Resource(LINK, "mystery", {"grantId": UNKNOWN, "organizationId": "org_acme"})
    foreign = Resource(LINK, "foreign", {"grantId": "cgr_elsewhere", "organizationId": "org_acme"})
    assert Analyzer().analyze_stack([grant, link, foreign]) == []
    err = capsys.readouterr().err
    assert "skipped organization authorization 'mystery': grantId of 'mystery' is not known yet" in err
    assert "grantId cgr_elsewhere of 'foreign' is not a client grant of this stack" in err


def test_authorizations_on_allow_and_require_grants_pass():
    grants = [Resource(GRANT, u, {"organizationUsage": u, "id": UNKNOWN}) for u in ("allow", "require")]
    links = [Resource(LINK, f"{g.name}/acme", {"grantId": UNKNOWN, "organizationId": "org_acme"}, parent=g.urn,
                      parent_types=(GRANT,)) for g in grants]
    assert Analyzer().analyze_stack(grants + links) == []


# ------------------------------------------------------------------------------------------------
# default-organization-authorized


def billing(default_org_props, dependencies=None, flows=("client_credentials",)) -> Resource:
    return Resource(CLIENT, "billing", {"clientId": UNKNOWN, "defaultOrganization": {
        "organizationId": default_org_props, "flows": list(flows)}}, dependencies=dependencies)


def test_default_organization_not_authorized_on_a_require_grant_is_reported():
    acme, globex = org("acme"), org("globex")
    client = billing(UNKNOWN, {"defaultOrganization": [acme.urn]})
    grant = Resource(GRANT, "billing/orders", {"clientId": UNKNOWN, "audience": ORDERS, "organizationUsage": "require",
                                               "allowAnyOrganization": False, "id": UNKNOWN},
                     dependencies={"clientId": [client.urn]})
    link = Resource(LINK, "billing/orders/globex", {"grantId": UNKNOWN, "organizationId": UNKNOWN},
                    dependencies={"grantId": [grant.urn], "organizationId": [globex.urn]})
    violation = only(Analyzer().analyze_stack([acme, globex, client, grant, link]), DEFAULT_ORG)
    assert violation.urn == grant.urn
    assert "client 'billing' has default organization 'acme', but its client grant 'billing/orders' (audience " \
           "https://orders.example.com/, organization_usage require) is not authorized for it" in violation.message

    authorized = Resource(LINK, "billing/orders/acme", {"grantId": UNKNOWN, "organizationId": UNKNOWN},
                          dependencies={"grantId": [grant.urn], "organizationId": [acme.urn]})
    assert Analyzer().analyze_stack([acme, globex, client, grant, link, authorized]) == []


def library_shaped(default_org, link_orgs, usage="require", allow_any=False):
    """Client -> grant (child) -> authorizations (children), organizations referenced by known ids."""
    client = billing(default_org)
    grant = Resource(GRANT, "billing/orders", {"clientId": UNKNOWN, "audience": ORDERS, "organizationUsage": usage,
                                               "allowAnyOrganization": allow_any}, parent=client.urn,
                     parent_types=(CLIENT,))
    links = [Resource(LINK, f"billing/orders/{o}", {"grantId": UNKNOWN, "organizationId": o}, parent=grant.urn,
                      parent_types=(CLIENT, GRANT)) for o in link_orgs]
    return [client, grant, *links]


@pytest.mark.parametrize(
    "default_org, link_orgs, usage, allow_any, reported",
    [
        ("org_acme", ["org_globex"], "require", False, True),
        ("org_acme", ["org_acme", "org_globex"], "require", False, False),
        ("org_acme", [], "require", True, False),  # any organization: the default one too
        ("org_acme", [], "allow", False, False),  # the default organization only applies to require
        ("org_acme", [], "deny", False, False),
    ],
)
def test_default_organization_by_known_ids(default_org, link_orgs, usage, allow_any, reported):
    violations = Analyzer().analyze_stack(library_shaped(default_org, link_orgs, usage, allow_any))
    assert names(violations) == ([DEFAULT_ORG] if reported else [])


def test_default_organization_not_for_client_credentials_is_ignored():
    resources = library_shaped("org_acme", [])
    resources[0] = billing("org_acme", flows=())
    resources[0].props["defaultOrganization"]["flows"] = ["authorization_code"]
    assert Analyzer().analyze_stack(resources) == []


def test_default_organization_with_an_unknown_authorization_is_skipped(capsys):
    resources = library_shaped("org_acme", [])
    resources.append(Resource(LINK, "billing/orders/new", {"grantId": UNKNOWN, "organizationId": UNKNOWN},
                              parent=resources[1].urn, parent_types=(CLIENT, GRANT)))
    assert Analyzer().analyze_stack(resources) == []
    assert "an organization it is authorized for is not known yet" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------------
# protect-production-clients-and-grants


@pytest.mark.parametrize("resource_type", [CLIENT, GRANT])
def test_unprotected_clients_and_grants_in_a_prod_stack_are_reported(resource_type):
    resource = Resource(resource_type, "exporter", {}, stack="prod")
    violation = only(Analyzer(stack="prod").analyze(resource), PROTECT)
    assert "is not protected from deletion (stack name 'prod' is one of ['prod', 'production'])" in violation.message
    resource.protect = True
    assert Analyzer(stack="prod").analyze(resource) == []


@pytest.mark.parametrize(
    "analyzer, production",
    [
        (lambda: Analyzer(stack="staging"), False),
        (lambda: Analyzer(stack="staging", policy_config={PROTECT: {"production": True}}), True),
        (lambda: Analyzer(stack="staging", policy_config={PROTECT: {"productionStacks": ["staging"]}}), True),
        (lambda: Analyzer(stack="staging", config={"auth0-m2m:production": "true"}), True),
        (lambda: Analyzer(stack="staging", config={"auth0-m2m:production": "false"}), False),
        # Not a boolean as the engine hands it over (YAML 1.2: yes is text; "True" quoted is text): the library
        # refuses the stack; the pack holds any other program to production's rules (fail closed).
        (lambda: Analyzer(stack="staging", config={"auth0-m2m:production": "yes"}), True),
        (lambda: Analyzer(stack="staging", config={"auth0-m2m:production": "True"}), True),
        (lambda: Analyzer(stack="staging", config={"auth0-m2m:production": "no"}), True),
    ],
    ids=["name", "policy config", "productionStacks", "config true", "config false", "config yes", "config True text",
         "config no"],
)
def test_what_makes_a_stack_production(analyzer, production):
    violations = analyzer().analyze(Resource(CLIENT, "exporter", {}, stack="staging"))
    assert names(violations) == ([PROTECT] if production else [])
    if production and "not true or false" in violations[0].message:
        assert "counts as production" in violations[0].message


def test_other_resources_need_no_protection():
    for resource_type in (LINK, CREDENTIALS, ORG):
        assert Analyzer(stack="prod").analyze(Resource(resource_type, "x", {}, stack="prod")) == []


# ------------------------------------------------------------------------------------------------
# no-plaintext-client-secret


def provider(props, name="default_3_41_0") -> Resource:
    return Resource(PROVIDER, name, {"domain": "tenant.example.com", "clientId": "abc", **props})


def test_provider_client_secret_must_be_a_secret():
    violation = only(Analyzer().analyze(provider({"clientSecret": "plain"})), SECRETS)
    assert "auth0 provider 'default_3_41_0' has its clientSecret in plain text" in violation.message
    assert Analyzer().analyze(provider({"clientSecret": secret("hidden")})) == []
    assert names(Analyzer().analyze(provider({"apiToken": "plain"}))) == [SECRETS]
    assert Analyzer().analyze(provider({})) == []


def test_plaintext_credentials_in_stack_config_are_reported_once():
    analyzer = Analyzer(config={"auth0:clientSecret": "plain", "tenantClientSecret": "x", "auth0:domain": "d"},
                        secret_keys=())
    violations = analyzer.analyze(provider({"clientSecret": "plain"}))
    messages = [v.message for v in violations]
    assert len(messages) == 2, messages
    assert any("has its clientSecret in plain text" in m for m in messages)
    assert any("stack config key tenantClientSecret holds a credential in plain text" in m for m in messages)

    secure = Analyzer(config={"auth0:clientSecret": "hidden"}, secret_keys=("auth0:clientSecret",))
    assert secure.analyze(provider({"clientSecret": secret("hidden")})) == []


def credentials(value) -> Resource:
    props = {"clientId": UNKNOWN, "authenticationMethod": "client_secret_post"}
    if value is not None:
        props["clientSecret"] = value
    return Resource(CREDENTIALS, "exporter/credentials", props)


def test_client_credentials_secret():
    assert "set client_secret in plain text" in only(Analyzer().analyze(credentials("plain")), SECRETS).message
    assert Analyzer().analyze(credentials(secret("hidden"))) == []
    assert Analyzer().analyze(credentials(None)) == []
    assert Analyzer().analyze(credentials(secret(UNKNOWN))) == []


def test_client_credentials_secret_from_plaintext_config():
    analyzer = Analyzer(config={"exporterSecret": "s3cr3t-value"})
    violation = only(analyzer.analyze(credentials(secret("s3cr3t-value"))), SECRETS)
    assert "take client_secret from the plain-text stack config key exporterSecret" in violation.message
    secure = Analyzer(config={"exporterSecret": "s3cr3t-value"}, secret_keys=("exporterSecret",))
    assert secure.analyze(credentials(secret("s3cr3t-value"))) == []


def test_a_private_key_registered_as_a_private_key_jwt_credential_is_reported():
    public = "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----\n"
    private = "-----BEGIN PRIVATE KEY-----\nMIIE...\n-----END PRIVATE KEY-----\n"

    def keyed(pem):
        return Resource(CREDENTIALS, "partner/credentials", {
            "clientId": "partner-client", "authenticationMethod": "private_key_jwt",
            "privateKeyJwt": {"credentials": [{"name": "2026-11", "credentialType": "public_key", "pem": pem}]}})

    assert Analyzer().analyze(keyed(public)) == []
    violation = only(Analyzer().analyze(keyed(private)), SECRETS)
    assert "register a private key as private_key_jwt credential 2026-11" in violation.message


# ------------------------------------------------------------------------------------------------
# robustness


def test_an_error_inside_a_policy_is_a_violation_not_a_crash(monkeypatch, capsys):
    def broken(*_):
        raise RuntimeError("boom")

    monkeypatch.setattr(policies, "Estate", broken)
    violations = Analyzer().analyze_stack([Resource(GRANT, "g", {"organizationUsage": "deny"})])
    assert {v.policy for v in violations} == {DENY, DEFAULT_ORG}
    assert all("could not be evaluated (RuntimeError: boom)" in v.message for v in violations)
    assert "RuntimeError: boom" in capsys.readouterr().err


def test_outputs_unknown_in_preview_fall_back_to_the_declared_inputs(capsys):
    """A client to be created has an unknown defaultOrganization output even when none was declared."""
    analyzer = Analyzer()
    declared_none = Resource(CLIENT, "tenant-wide", {"name": "tenant-wide"})
    assert analyzer.analyze(declared_none) == []
    acme = org("acme")
    declared = Resource(CLIENT, "billing", {"name": "billing", "defaultOrganization": {
        "organizationId": UNKNOWN, "flows": ["client_credentials"]}})
    assert analyzer.analyze(declared) == []
    grant = Resource(GRANT, "billing/orders", {"clientId": UNKNOWN, "organizationUsage": "require"},
                     parent=declared.urn, parent_types=(CLIENT,))
    assert analyzer.analyze(grant) == []

    # What AnalyzeStack gets in the preview: outputs, with the optional ones unknown.
    outputs = [
        Resource(CLIENT, "tenant-wide", {"name": "tenant-wide", "defaultOrganization": UNKNOWN}),
        Resource(CLIENT, "billing", {"name": "billing", "defaultOrganization": UNKNOWN},
                 dependencies={"defaultOrganization": [acme.urn]}),
        acme,
        Resource(GRANT, "billing/orders", {"clientId": UNKNOWN, "organizationUsage": UNKNOWN,
                                           "allowAnyOrganization": UNKNOWN}, parent=declared.urn,
                 parent_types=(CLIENT,)),
    ]
    violation = only(analyzer.analyze_stack(outputs), DEFAULT_ORG)
    assert "client 'billing' has default organization 'acme'" in violation.message
    assert "skipped" not in capsys.readouterr().err
