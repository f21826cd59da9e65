"""Mock tests of the components in other teams' programs: organization ids from other resources and stacks,
several estates in one program, name scopes, and collisions reported before anything is registered."""

from __future__ import annotations

import pulumi
import pulumi_auth0 as auth0
import pytest

from auth0_m2m import ApplicationConfig, Estate, M2MApplication, M2MApplicationArgs, validate
from auth0_m2m.resources.claims import NameCollisionError

from tests.type_tokens import API, APP_TYPE, CLIENT, CREDENTIALS, ESTATE_TYPE, GRANT, LINK, ORG, SCOPES

from ..pulumi_harness import TenantMocks, capture, run

ORDERS = "https://orders.example.com/"


def estate(environment: str, **overrides) -> dict:
    raw = {
        "environment": environment,
        "organizations": {"acme": {"manage": True}},
        "apis": {"orders": {"identifier": ORDERS, "manage": True, "scopes": {"read:orders": "r"}}},
        "applications": [
            {
                "name": "billing-sync",
                "default_organization": "acme",
                "grants": [{"api": "orders", "scopes": ["read:orders"], "organization_usage": "require",
                            "organizations": ["acme"]}],
            }
        ],
    }
    raw.update(overrides)
    return raw


def application(**grant) -> ApplicationConfig:
    return ApplicationConfig.model_validate(
        {"name": "billing-sync", "default_organization": "acme",
         "grants": [{"api": "orders", "scopes": ["read:orders"], "organization_usage": "require",
                     "organizations": ["acme"], **grant}]}
    )


def names(monitor, type_: str) -> list[str]:
    return [r.name for r in monitor.of_type(type_)]


# --- organization ids are pulumi.Inputs -----------------------------------------------------------------------


def test_an_organization_created_in_the_consumers_program():
    def program():
        acme = auth0.Organization("acme", name="acme", display_name="Acme")
        app = M2MApplication("billing-sync", M2MApplicationArgs(
            application=application(), audiences={"orders": ORDERS}, organization_ids={"acme": acme.id}))
        return capture({"org": acme.id, "client": app.client_id})

    monitor = run(program)
    org_id = monitor.by_name(ORG, "acme").id
    assert org_id.startswith("org_")
    assert monitor.by_name(LINK, f"billing-sync/{ORDERS}/acme").inputs["organizationId"] == org_id
    assert monitor.by_name(CLIENT, "billing-sync").inputs["defaultOrganization"] == {
        "organizationId": org_id, "flows": ["client_credentials"]}


class PlatformStack(TenantMocks):
    """Plays a platform stack that exports its organizations' ids, read through a StackReference."""

    def new_resource(self, args):
        if args.typ == "pulumi:pulumi:StackReference":
            return args.name, {"name": args.name,
                               "outputs": {"organization_ids": {"acme": "org_fromplatform01", "globex": "org_x"}}}
        return super().new_resource(args)


def test_an_organization_id_read_through_a_stack_reference():
    def program():
        platform = pulumi.StackReference("acme-corp/auth0-platform/prod")
        ids = platform.require_output("organization_ids")
        M2MApplication("billing-sync", M2MApplicationArgs(
            application=application(), audiences={"orders": ORDERS},
            organization_ids={"acme": ids.apply(lambda organizations: organizations["acme"])}))

    monitor = run(program, tenant=PlatformStack())
    assert monitor.by_name(LINK, f"billing-sync/{ORDERS}/acme").inputs["organizationId"] == "org_fromplatform01"
    assert monitor.by_name(CLIENT, "billing-sync").inputs["defaultOrganization"]["organizationId"] == \
        "org_fromplatform01"


# --- names: unchanged without a scope, prefixed with one ---------------------------------------------------------


def test_one_estate_keeps_the_names_every_existing_stack_has():
    config = validate(estate("prod"), "test")
    monitor = run(lambda: Estate("prod", config))
    assert names(monitor, APP_TYPE) == ["billing-sync"]
    assert names(monitor, CLIENT) == ["billing-sync"]
    assert names(monitor, CREDENTIALS) == ["billing-sync/credentials"]
    assert names(monitor, GRANT) == [f"billing-sync/{ORDERS}"]
    assert names(monitor, LINK) == [f"billing-sync/{ORDERS}/acme"]
    assert names(monitor, ORG) == ["org/acme"]
    assert names(monitor, API) == ["api/orders"]
    assert names(monitor, SCOPES) == ["api/orders/scopes"]
    assert all(not r.aliases for r in monitor.registrations.values())


def test_a_name_scope_prefixes_every_name_and_adds_no_alias():
    config = validate(estate("prod"), "test")
    monitor = run(lambda: Estate("team-b", config, name_scope="team-b"))
    assert names(monitor, ESTATE_TYPE) == ["team-b"]
    assert names(monitor, APP_TYPE) == ["team-b:billing-sync"]
    assert names(monitor, CLIENT) == ["team-b:billing-sync"]
    assert names(monitor, CREDENTIALS) == ["team-b:billing-sync/credentials"]
    assert names(monitor, GRANT) == [f"team-b:billing-sync/{ORDERS}"]
    assert names(monitor, LINK) == [f"team-b:billing-sync/{ORDERS}/acme"]
    assert names(monitor, ORG) == ["team-b:org/acme"]
    assert names(monitor, API) == ["team-b:api/orders"]
    assert names(monitor, SCOPES) == ["team-b:api/orders/scopes"]
    # No alias from the unscoped names: it could adopt another estate's live client.
    assert all(not r.aliases for r in monitor.registrations.values())
    # What Auth0 sees does not change: the client's name is the application's.
    assert monitor.by_name(CLIENT, "team-b:billing-sync").inputs["name"] == "billing-sync"


@pytest.mark.parametrize("scope", ["Team", "team b", "team:b", "-x", "x" * 65])
def test_an_invalid_name_scope_is_refused_before_anything_is_registered(scope):
    config = validate(estate("prod"), "test")

    def program():
        with pytest.raises(ValueError, match=f"name_scope {scope!r} is not a valid name scope"):
            Estate("prod", config, name_scope=scope)

    assert [r.type for r in run(program).registrations.values()] == ["pulumi:pulumi:Stack"]


def test_an_empty_name_scope_is_no_scope():
    config = validate(estate("prod"), "test")
    assert names(run(lambda: Estate("prod", config, name_scope="")), CLIENT) == ["billing-sync"]


# --- several estates in one program ------------------------------------------------------------------------------


def two_tenants():
    return (auth0.Provider("tenant-a", domain="a.example.com"), auth0.Provider("tenant-b", domain="b.example.com"))


def test_two_estates_with_their_own_scopes_and_tenants_live_side_by_side():
    def program():
        tenant_a, tenant_b = two_tenants()
        Estate("team-a", validate(estate("team-a"), "a"), pulumi.ResourceOptions(provider=tenant_a), name_scope="team-a")
        Estate("team-b", validate(estate("team-b"), "b"), pulumi.ResourceOptions(provider=tenant_b), name_scope="team-b")

    monitor = run(program)
    assert names(monitor, CLIENT) == ["team-a:billing-sync", "team-b:billing-sync"]
    assert len({r.urn for r in monitor.registrations.values()}) == len(monitor.registrations)


def test_an_existing_estate_keeps_its_names_beside_a_new_scoped_one():
    def program():
        tenant_a, tenant_b = two_tenants()
        Estate("prod", validate(estate("prod"), "a"), pulumi.ResourceOptions(provider=tenant_a))
        Estate("team-b", validate(estate("team-b"), "b"), pulumi.ResourceOptions(provider=tenant_b), name_scope="team-b")

    monitor = run(program)
    assert names(monitor, CLIENT) == ["billing-sync", "team-b:billing-sync"]


def collision(program) -> tuple[str, list]:
    """The collision error a program raises, and what had been registered until then."""
    caught: list[NameCollisionError] = []

    def guarded():
        try:
            program()
        except NameCollisionError as error:
            caught.append(error)

    monitor = run(guarded)
    assert caught, "no collision was reported"
    return str(caught[0]), monitor


def test_two_unscoped_estates_with_the_same_keys_collide_before_the_second_registers_anything():
    def program():
        tenant_a, tenant_b = two_tenants()
        Estate("team-a", validate(estate("team-a"), "a"), pulumi.ResourceOptions(provider=tenant_a))
        Estate("team-b", validate(estate("team-b"), "b"), pulumi.ResourceOptions(provider=tenant_b))

    message, monitor = collision(program)
    assert message.startswith("Estate 'team-b' collides with another component of this program; nothing of it was "
                              "registered:")
    assert "resource name 'billing-sync' (M2MApplication, same URN): already made by application 'billing-sync' of " \
           "Estate 'team-a'" in message
    assert "resource name 'org/acme' (Organization, same URN)" in message
    assert "resource name 'api/orders' (ResourceServer, same URN)" in message
    assert "Estate('team-b', config, name_scope='team-b')" in message
    assert names(monitor, ESTATE_TYPE) == ["team-a"]
    assert names(monitor, CLIENT) == ["billing-sync"]


def test_two_estates_of_one_name_collide_even_with_scopes():
    def program():
        tenant_a, tenant_b = two_tenants()
        Estate("prod", validate(estate("prod"), "a"), pulumi.ResourceOptions(provider=tenant_a), name_scope="a")
        Estate("prod", validate(estate("prod"), "b"), pulumi.ResourceOptions(provider=tenant_b), name_scope="b")

    message, monitor = collision(program)
    assert "resource name 'prod' (Estate, same URN)" in message
    assert names(monitor, CLIENT) == ["a:billing-sync"]


def test_scoped_estates_in_one_tenant_still_need_distinct_auth0_names():
    def program():
        Estate("team-a", validate(estate("team-a"), "a"), name_scope="team-a")
        Estate("team-b", validate(estate("team-b"), "b"), name_scope="team-b")

    message, monitor = collision(program)
    assert message.startswith("Estate 'team-b' (name scope 'team-b') collides")
    assert "Auth0 client name 'billing-sync' (through the default auth0 provider): already made by application " \
           "'billing-sync' of Estate 'team-a' (name scope 'team-a')" in message
    assert "Auth0 organization name 'acme'" in message
    assert f"Auth0 API identifier '{ORDERS}'" in message
    assert "(display_name)" in message
    assert names(monitor, ESTATE_TYPE) == ["team-a"]


def test_distinct_auth0_names_let_two_scoped_estates_share_a_tenant():
    def program():
        Estate("team-a", validate(estate("team-a"), "a"), name_scope="team-a")
        b = estate("team-b", organizations={"acme": {"id": "org_acme000000001"}},
                   apis={"orders": {"identifier": ORDERS}})
        b["applications"][0]["display_name"] = "Team B billing sync"
        Estate("team-b", validate(b, "b"), name_scope="team-b")

    monitor = run(program)
    assert [r.inputs["name"] for r in monitor.of_type(CLIENT)] == ["billing-sync", "Team B billing sync"]


def test_applications_used_alone_collide_by_name_or_auth0_name():
    def args(**extra):
        return M2MApplicationArgs(application=application(), audiences={"orders": ORDERS},
                                  organization_ids={"acme": "org_acme000000001"}, **extra)

    message, monitor = collision(lambda: (M2MApplication("billing-sync", args()), M2MApplication("billing-sync", args())))
    assert "M2MApplication 'billing-sync' collides" in message
    assert "resource name 'billing-sync' (M2MApplication, same URN)" in message
    assert names(monitor, CLIENT) == ["billing-sync"]

    message, _ = collision(lambda: (M2MApplication("billing-sync", args()),
                                    M2MApplication("billing-sync", args(name_scope="other"))))
    assert "resource name" not in message
    assert "Auth0 client name 'billing-sync'" in message
    assert "M2MApplicationArgs.name_scope" in message


def test_an_application_alone_beside_an_estate_with_the_same_application():
    def program():
        Estate("prod", validate(estate("prod"), "a"))
        M2MApplication("billing-sync", M2MApplicationArgs(
            application=application(), audiences={"orders": ORDERS}, organization_ids={"acme": "org_acme000000001"}))

    message, _ = collision(program)
    # Different URNs (the estate's application is below the estate), but one Auth0 client name.
    assert "resource name" not in message
    assert message.startswith("M2MApplication 'billing-sync' collides")
    assert "Auth0 client name 'billing-sync' (through the default auth0 provider): already made by application " \
           "'billing-sync' of Estate 'prod'" in message


def test_claims_belong_to_one_program_run():
    config = validate(estate("prod"), "test")
    for _ in range(2):
        assert names(run(lambda: Estate("prod", config)), CLIENT) == ["billing-sync"]


def test_adopted_clients_pinned_by_id_may_share_an_auth0_name():
    """`auth0-m2m import` adopts a tenant's clients of one name, each pinned by its client_id (the rules allow it):
    the claim is the pinned id, so the estate is no collision with itself; a second pin of one id still is."""
    pinned = [
        {"name": "sync-a", "display_name": "sync", "client_id": "A" * 32, "grants": [{"api": "orders"}]},
        {"name": "sync-b", "display_name": "sync", "client_id": "B" * 32, "grants": [{"api": "orders"}]},
    ]
    monitor = run(lambda: Estate("dev", validate(estate("dev", applications=pinned), "dev")))
    assert names(monitor, CLIENT) == ["sync-a", "sync-b"]

    def twice():
        Estate("a", validate(estate("a", applications=pinned[:1]), "a"), name_scope="a")
        Estate("b", validate(estate("b", organizations={}, apis={"orders": {"identifier": "https://o-b/"}},
                                    applications=[{**pinned[0], "grants": [{"api": "orders"}]}]), "b"), name_scope="b")

    with pytest.raises(NameCollisionError) as error:
        run(twice)
    assert f"Auth0 client id '{'A' * 32}'" in str(error.value)
