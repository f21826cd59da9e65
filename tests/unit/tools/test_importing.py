"""Planning an import from a tenant's M2M applications: keys, classification, what is skipped and why, and the
stack file it writes (deterministic, validated, only additions)."""

from __future__ import annotations

import copy
import random
from typing import Optional

import pytest

from auth0_m2m import validate
from auth0_m2m.model.loading import parse_stack_text
from auth0_m2m.tools.importing import ExistingEstate, api_key, estate_values, plan_import, slug
from auth0_m2m.tools.management import TenantIndex
from auth0_m2m.tools.stackfile import add_estate

ORDERS = "https://orders.example.com/"
BILLING = "https://billing.example.com/"
OWN = "own-credential"
ORGS = {"org_acme1": "acme", "org_globex1": "globex", "org_initech1": "initech"}


class FakeTenant:
    """The Management API reads the index makes, over in-memory objects."""

    def __init__(self, clients: list[dict], grants: list[dict], links: dict[str, list[str]],
                 credentials: Optional[dict[str, list[dict]]] = None):
        self._clients, self._grants, self._links = clients, grants, links
        self._credentials = credentials or {}
        self.reads = 0

    def credentials(self, client_id):
        self.reads += 1
        return copy.deepcopy(self._credentials.get(client_id, []))

    def clients(self):
        self.reads += 1
        return copy.deepcopy(self._clients)

    def client_grants(self, **filters):
        self.reads += 1
        return copy.deepcopy(self._grants)

    def grant_organizations(self, grant_id):
        self.reads += 1
        return [{"id": org, "name": ORGS[org]} for org in self._links.get(grant_id, [])]

    def organization(self, org_id):
        self.reads += 1
        return {"id": org_id, "name": ORGS[org_id]} if org_id in ORGS else None

    def organization_named(self, name):
        return next(({"id": i, "name": n} for i, n in ORGS.items() if n == name), None)

    def resource_server(self, identifier):
        return None


def client(client_id: str, name: str, **fields) -> dict:
    return {"client_id": client_id, "name": name, "app_type": "non_interactive", "grant_types": ["client_credentials"],
            "token_endpoint_auth_method": "client_secret_post", "is_first_party": True, **fields}


def grant(grant_id: str, client_id: str, audience: str, **fields) -> dict:
    return {"id": grant_id, "client_id": client_id, "audience": audience, "scope": ["read"], "subject_type": "client",
            **fields}


def tenant(*apps: tuple[dict, list[dict]], links: Optional[dict] = None,
           credentials: Optional[dict[str, list[dict]]] = None) -> FakeTenant:
    clients = [c for c, _ in apps] + [client(OWN, "Deploy Credential")]
    grants = [g for _, gs in apps for g in gs]
    return FakeTenant(clients, grants, links or {}, credentials)


def plan(fake: FakeTenant, existing: Optional[ExistingEstate] = None, **options):
    existing = existing or ExistingEstate(raw={}, config=None, environment="dev")
    return plan_import(TenantIndex(fake), existing, source="stacks/Pulumi.dev.yaml", own_client_id=OWN, **options)


def written(result, existing_text: str = "config:\n  auth0:domain: example.eu.auth0.com\n") -> str:
    return add_estate(existing_text, environment="dev", organizations=result.organizations, apis=result.apis,
                      applications=result.entries, pins=result.pins)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Billing Sync", "billing-sync"),
        ("  ACME -- Orders (prod) ", "acme-orders-prod"),
        ("Café Ünïcode", "cafe-unicode"),
        ("report.exporter_v2", "report.exporter_v2"),
        ("***", "app"),
        ("x" * 80, "x" * 64),
    ],
)
def test_application_keys_are_slugs_of_the_auth0_name(name, expected):
    assert slug(name, "app") == expected


@pytest.mark.parametrize(
    "identifier, expected",
    [
        ("https://orders.example.com/", "orders.example.com"),
        ("https://api.example.com/v2/billing", "api.example.com-v2-billing"),
        ("urn:acme:reports", "urn-acme-reports"),
        ("HTTPS://Orders.Example.COM", "orders.example.com"),
    ],
)
def test_api_keys_are_derived_from_the_identifier(identifier, expected):
    assert api_key(identifier) == expected


def test_an_m2m_application_becomes_an_entry_with_its_grants_organizations_and_default():
    fake = tenant(
        (client("c1", "Billing Sync", description="Syncs", client_metadata={"owner": "billing"},
                default_organization={"organization_id": "org_acme1", "flows": ["client_credentials"]}),
         [grant("g1", "c1", ORDERS, scope=["write", "read"], organization_usage="require"),
          grant("g2", "c1", BILLING)]),
        links={"g1": ["org_globex1", "org_acme1"]},
    )
    result = plan(fake)
    assert result.entries == [{
        "name": "billing-sync",
        "display_name": "Billing Sync",
        "description": "Syncs",
        "metadata": {"owner": "billing"},
        "default_organization": "acme",
        "grants": [
            # No organization_usage in Auth0 means deny; scopes sorted; organizations by stack key.
            {"api": "billing.example.com", "scopes": ["read"], "organization_usage": "deny"},
            {"api": "orders.example.com", "scopes": ["read", "write"], "organization_usage": "require",
             "organizations": ["acme", "globex"]},
        ],
    }]
    assert result.organizations == {"acme": {"id": "org_acme1"}, "globex": {"id": "org_globex1"}}
    assert result.apis == {"billing.example.com": {"identifier": BILLING}, "orders.example.com": {"identifier": ORDERS}}
    assert not result.skipped


def test_other_clients_and_the_importing_credential_are_left_alone():
    spa = client("s1", "Portal", app_type="spa", grant_types=["authorization_code"])
    web_with_cc = client("w1", "Web App", app_type="regular_web")
    fake = tenant((spa, []), (web_with_cc, []), (client("c1", "Worker"), [grant("g1", "c1", ORDERS)]))
    assert [e["name"] for e in plan(fake).entries] == ["worker"]


UNSUPPORTED = [
    ("extra grant types", {"grant_types": ["client_credentials", "password"]}, {},
     "grant types besides client_credentials: password", True),
    ("private key JWT with a credential not registered",
     {"client_authentication_methods": {"private_key_jwt": {"credentials": [{"id": "cred_1"}]}},
      "token_endpoint_auth_method": None}, {},
     "private_key_jwt credential cred_1 is attached but not registered", False),
    ("TLS client authentication", {"client_authentication_methods": {"tls_client_auth": {"credentials": [{"id": "c"}]}},
                                   "token_endpoint_auth_method": None}, {},
     "authenticates with tls_client_auth, which the stack file does not support", False),
    ("no authentication method", {"token_endpoint_auth_method": None}, {},
     "no token endpoint authentication method", True),
    ("third party", {"is_first_party": False}, {}, "a third-party application", True),
    ("all scopes", {}, {"allow_all_scopes": True}, "allows every scope of the API (allow_all_scopes)", True),
    ("authorization details", {}, {"authorization_details_types": ["payment"]}, "authorization_details_types", True),
    ("user grant", {}, {"subject_type": "user"}, "has subject type 'user'", True),
    ("login settings", {"logo_uri": "https://x/logo.png", "cross_origin_authentication": True,
                        "token_exchange": {"allow_any_profile_of_type": []}, "sso_disabled": False}, {},
     "client settings the stack file does not manage: cross_origin_authentication, logo_uri", True),
]


@pytest.mark.parametrize("client_fields, grant_fields, reason, importable",
                         [case[1:] for case in UNSUPPORTED], ids=[case[0] for case in UNSUPPORTED])
def test_what_the_stack_file_cannot_express_is_skipped_with_its_reason(client_fields, grant_fields, reason, importable):
    fake = tenant((client("c1", "Odd One", **client_fields), [grant("g1", "c1", ORDERS, **grant_fields)]))
    result = plan(fake)
    assert not result.entries
    [(app, reasons)] = result.skipped
    assert app.client_id == "c1" and any(reason in r for r in reasons), reasons
    forced = plan(tenant((client("c1", "Odd One", **client_fields), [grant("g1", "c1", ORDERS, **grant_fields)])),
                  include_unsupported=True)
    assert bool(forced.entries) == importable
    if importable:
        assert forced.applications[0].adjustments  # what the next up changes, said in words


RULES = [
    ("deny grant authorizing organizations", {}, {"organization_usage": "deny"}, ["org_acme1"],
     "has organization_usage deny but authorizes organizations ['acme']",
     lambda e: "organizations" not in e["grants"][0]),
    ("deny grant with any organization", {}, {"allow_any_organization": True}, [],
     "organization_usage deny with allow_any_organization",
     lambda e: "allow_any_organization" not in e["grants"][0]),
    ("default organization without a require grant",
     {"default_organization": {"organization_id": "org_acme1", "flows": ["client_credentials"]}},
     {"organization_usage": "allow"}, ["org_acme1"],
     "default organization 'acme' never applies: no grant requires an organization",
     lambda e: "default_organization" not in e),
    ("default organization not authorized",
     {"default_organization": {"organization_id": "org_acme1", "flows": ["client_credentials"]}},
     {"organization_usage": "require"}, ["org_globex1"],
     "default organization 'acme' never applies: it is not authorized on ['orders.example.com']",
     lambda e: "default_organization" not in e),
]


@pytest.mark.parametrize("client_fields, grant_fields, links, reason, adjusted",
                         [case[1:] for case in RULES], ids=[case[0] for case in RULES])
def test_dead_or_contradictory_access_is_skipped_or_left_out_never_widened(client_fields, grant_fields, links, reason, adjusted):
    def make():
        return tenant((client("c1", "Odd One", **client_fields), [grant("g1", "c1", ORDERS, **grant_fields)]),
                      links={"g1": links})

    [(_, reasons)] = plan(make()).skipped
    assert any(reason in r for r in reasons), reasons
    forced = plan(make(), include_unsupported=True)
    [entry] = forced.entries
    assert adjusted(entry)
    parse_stack_text(written(forced), "stacks/Pulumi.dev.yaml")


def test_applications_sharing_an_auth0_name_get_numbered_keys_and_pinned_client_ids_in_any_listing_order():
    apps = [(client(cid, "Data Export"), [grant(f"g{cid}", cid, ORDERS)]) for cid in ("zz9", "aa1", "mm5")]
    results = []
    for seed in range(3):
        shuffled = apps[:]
        random.Random(seed).shuffle(shuffled)
        results.append(written(plan(tenant(*shuffled))))
    assert results[0] == results[1] == results[2]
    config = parse_stack_text(results[0], "stacks/Pulumi.dev.yaml")
    assert [(a.name, a.client_id) for a in config.applications] == [
        ("data-export", "aa1"), ("data-export-2", "mm5"), ("data-export-3", "zz9")
    ]


def test_select_narrows_by_glob_on_the_auth0_name():
    fake = tenant(*[(client(f"c{i}", name), [grant(f"g{i}", f"c{i}", ORDERS)])
                    for i, name in enumerate(["Billing Sync", "Billing Export", "Fraud"])])
    assert [e["name"] for e in plan(fake, patterns=["Billing *"]).entries] == ["billing-export", "billing-sync"]
    assert [e["name"] for e in plan(fake, patterns=["Fraud", "*Export"]).entries] == ["billing-export", "fraud"]


EXISTING = """\
# The dev tenant.
config:
  auth0:domain: dev.eu.auth0.com
  auth0-m2m:environment: dev
  auth0-m2m:organizations:
    acme: {id: org_acme1}
    partners: {}            # looked up by name
  auth0-m2m:apis:
    orders: {identifier: https://orders.example.com/}
  auth0-m2m:applications:
    - name: billing-sync    # deployed
      grants:
        - api: orders
          scopes: [read]
    - name: planned         # in the file, not deployed yet
      display_name: Fraud Scoring
      grants: []
"""


def existing(text: str = EXISTING, state_clients: Optional[dict] = None) -> ExistingEstate:
    raw, stack = estate_values(text, "x", "auth0-m2m")
    return ExistingEstate(raw=raw, config=stack.validate(), state_clients=state_clients or {"billing-sync": "c1"},
                          environment="dev")


def test_into_a_stack_that_manages_some_applications_only_the_others_are_added():
    fake = tenant(
        (client("c1", "billing-sync"), [grant("g1", "c1", ORDERS)]),
        (client("c2", "Fraud Scoring"), [grant("g2", "c2", ORDERS)]),
        (client("c3", "Reports"), [grant("g3", "c3", ORDERS, organization_usage="allow")]),
        links={"g3": ["org_acme1"]},
    )
    result = plan(fake, existing())
    assert result.already_managed == 1
    assert [e["name"] for e in result.entries] == ["reports"]
    assert result.entries[0]["grants"] == [
        {"api": "orders", "scopes": ["read"], "organization_usage": "allow", "organizations": ["acme"]}
    ]  # the stack's own keys for the API and the organization
    assert not result.apis and not result.organizations
    [(fraud, reasons)] = result.skipped
    assert fraud.client_id == "c2" and "auth0-m2m import --state-only" in reasons[0]

    text = written(result, EXISTING)
    assert text.startswith(EXISTING.rstrip("\n"))  # comments and every existing line kept; additions at the end
    assert written(plan(fake, existing()), EXISTING) == text


def test_a_second_client_with_a_managed_applications_name_pins_both():
    fake = tenant(
        (client("c1", "billing-sync"), [grant("g1", "c1", ORDERS)]),
        (client("c9", "billing-sync"), [grant("g9", "c9", ORDERS)]),
    )
    result = plan(fake, existing())
    assert result.pins == {"billing-sync": "c1"}
    config = parse_stack_text(written(result, EXISTING), "x")
    assert [(a.name, a.client_id) for a in config.applications if a.auth0_name == "billing-sync"] == [
        ("billing-sync", "c1"), ("billing-sync-2", "c9")
    ]


def test_a_production_stack_skips_any_organization_access_without_a_justification():
    production = EXISTING.replace("auth0-m2m:environment: dev", "auth0-m2m:environment: dev\n  auth0-m2m:production: true")
    fake = tenant((client("c5", "Support"), [grant("g5", "c5", ORDERS, organization_usage="allow",
                                                     allow_any_organization=True)]))
    [(_, reasons)] = plan(fake, existing(production)).skipped
    assert "needs a justification" in reasons[0]


def test_reads_are_one_listing_of_clients_and_grants_plus_one_per_grant():
    apps = [(client(f"c{i}", f"App {i}"), [grant(f"g{i}a", f"c{i}", ORDERS), grant(f"g{i}b", f"c{i}", BILLING)])
            for i in range(10)]
    fake = tenant(*apps)
    plan(fake)
    assert fake.reads == 2 + 20


def test_a_strict_import_that_would_update_names_the_resource_and_the_properties():
    from auth0_m2m.tools.adoption import refused_updates

    output = """
 =  auth0:index:Client app-one importing (0s)
 =  auth0:index:Client app-one imported (0.12s)
 ~  auth0:index:ClientGrant app-one/https://a.example.com/ updating (0s) [diff: ~organizationUsage,scopes]
 ~  auth0:index:ClientGrant app-one/https://a.example.com/ updating failed (0.01s) [diff: ~organizationUsage,scopes]; error: auth0-m2m: refusing to update
 ~  auth0:index:Client app-two updating (0s) [diff: -description]
"""
    assert refused_updates(output) == {
        "app-one/https://a.example.com/": "~organizationUsage,scopes",
        "app-two": "-description",
    }


def test_an_application_a_strict_import_found_different_is_skipped_or_imported_with_the_change_named():
    def make():
        return tenant((client("c1", "Odd"), [grant("g1", "c1", ORDERS)]), (client("c2", "Fine"), [grant("g2", "c2", ORDERS)]))

    result = plan(make(), differing={"c1": "-crossOriginAuth,logoUri"})
    assert [e["name"] for e in result.entries] == ["fine"]
    [(app, reasons)] = result.skipped
    assert reasons == ["settings the stack file cannot express (-crossOriginAuth,logoUri)"]
    forced = plan(make(), differing={"c1": "-crossOriginAuth,logoUri"}, include_unsupported=True)
    assert [e["name"] for e in forced.entries] == ["fine", "odd"]


# --- private_key_jwt applications and token quotas ----------------------------------------------------------

def _public_pem(bits: int = 2048) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _known(pem: str, pem_file: Optional[str] = None):
    from auth0_m2m.model.keys import inspect_public_key
    from auth0_m2m.tools.public_keys import KnownKey

    return KnownKey(key_id=inspect_public_key(pem).key_id, pem=pem, pem_file=pem_file, is_certificate=False,
                    source=pem_file or "inline")


KEY_CLIENT = {"client_authentication_methods": {"private_key_jwt": {"credentials": [{"id": "cred_b"}, {"id": "cred_a"}]}},
              "token_endpoint_auth_method": None}


def _key_tenant(names=("2027-05", "2026-11"), algs=("PS256", "RS256"), expiry="2099-01-31T00:00:00.000Z"):
    pems = [_public_pem(), _public_pem()]
    known = [_known(pems[0], "keys/gw-b.pub.pem"), _known(pems[1])]
    credentials = [
        {"id": "cred_b", "credential_type": "public_key", "kid": known[0].key_id, "alg": algs[0], "name": names[0],
         "expires_at": expiry},
        {"id": "cred_a", "credential_type": "public_key", "kid": known[1].key_id, "alg": algs[1], "name": names[1]},
    ]
    fake = tenant((client("c1", "Partner Gateway", **KEY_CLIENT), [grant("g1", "c1", ORDERS)]),
                  credentials={"c1": credentials})
    return fake, {k.key_id: k for k in known}, pems


def test_a_private_key_jwt_application_is_imported_with_the_public_keys_given():
    fake, keys, pems = _key_tenant()
    result = plan(fake, keys=keys, key_files=lambda path: {"keys/gw-b.pub.pem": pems[0]}[path])
    assert not result.skipped
    [entry] = result.entries
    assert entry["authentication_method"] == "private_key_jwt"
    # By name (the program's order), whatever order Auth0 attached them in; a key in the repository by its path.
    assert entry["public_keys"] == [
        {"name": "2026-11", "pem": pems[1]},
        {"name": "2027-05", "pem_file": "keys/gw-b.pub.pem", "algorithm": "PS256", "expires_at": "2099-01-31T00:00:00Z"},
    ]
    # The file as written reads back as Pulumi reads it (a multi-line PEM, an expiry that must stay a string).
    from auth0_m2m.model.loading import read_stack_bytes

    text = written(result)
    config = read_stack_bytes(text.encode(), "stack", "auth0-m2m").validate(
        key_files=lambda path: {"keys/gw-b.pub.pem": pems[0]}[path])
    keys_read = config.applications[0].public_keys
    assert [k.key_id for k in keys_read] == [_known(pems[1]).key_id, _known(pems[0]).key_id]
    assert keys_read[1].expires_at.isoformat() == "2099-01-31T00:00:00+00:00"


def test_a_private_key_jwt_application_whose_keys_are_not_all_given_is_skipped_with_the_missing_ones():
    fake, keys, _ = _key_tenant()
    one = dict([next(iter(keys.items()))])
    result = plan(fake, keys=one, key_files=lambda path: _public_pem())
    assert not result.entries
    [(app, reasons)] = result.skipped
    [reason] = reasons
    assert "Auth0 never returns a registered public key" in reason and "'2026-11'" in reason
    assert "--public-keys DIR" in reason
    assert not plan(_key_tenant()[0], include_unsupported=True).entries, "no key, no import, even when forced"


def test_a_credential_name_the_stack_file_refuses_is_renamed_only_when_forced():
    fake, keys, pems = _key_tenant(names=("Partner key (new)", "2026-11"))
    reader = lambda path: pems[0]  # noqa: E731
    [(app, reasons)] = plan(fake, keys=keys, key_files=reader).skipped
    assert "credential name 'Partner key (new)' is not a key name" in reasons[0]
    forced = plan(fake, keys=keys, key_files=reader, include_unsupported=True)
    assert [k["name"] for k in forced.entries[0]["public_keys"]] == ["2026-11", "Partner-key-new"]
    assert "registers that key again as 'Partner-key-new'" in forced.applications[0].adjustments[0]


def test_token_quotas_are_imported():
    quota = {"token_quota": {"client_credentials": {"per_hour": 10, "per_day": 100, "enforce": False}}}
    only_daily = {"token_quota": {"client_credentials": {"per_day": 50, "enforce": True}}}
    fake = tenant((client("c1", "Capped", **quota), [grant("g1", "c1", ORDERS)]),
                  (client("c2", "Daily", **only_daily), [grant("g2", "c2", ORDERS)]))
    entries = {e["name"]: e for e in plan(fake).entries}
    assert entries["capped"]["token_quota"] == {"per_hour": 10, "per_day": 100, "enforce": False}
    assert entries["daily"]["token_quota"] == {"per_day": 50}


def test_a_quota_or_description_the_stack_file_refuses_skips_the_application_with_the_gates_message():
    odd_quota = {"token_quota": {"client_credentials": {"per_hour": 100, "per_day": 10}}}
    fake = tenant((client("c1", "Odd Quota", **odd_quota), [grant("g1", "c1", ORDERS)]),
                  (client("c2", "Long Text", description="x" * 200), [grant("g2", "c2", ORDERS)]),
                  (client("c3", "Fine"), [grant("g3", "c3", ORDERS)]))
    result = plan(fake)
    assert [e["name"] for e in result.entries] == ["fine"]
    reasons = {app.name: " ".join(r) for app, r in result.skipped}
    assert "per_hour 100 exceeds per_day 10" in reasons["Odd Quota"]
    assert "field 'description': 'xxxx" in reasons["Long Text"] and "is longer than 140 characters (200)" in reasons["Long Text"]
