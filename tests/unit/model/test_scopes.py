"""The Management API scopes each command needs: what in a stack adds which scope, and the message naming them."""

from __future__ import annotations

import pytest

from auth0_m2m import validate
from auth0_m2m.model.scopes import Command, StackNeeds, missing_scopes_message, required_scopes, scopes_for

NONE = StackNeeds(False, False, False)
ALL = StackNeeds(True, True, True)


def stack(organizations: dict, apis: dict | None = None) -> dict:
    return {
        "environment": "test",
        "organizations": organizations,
        "apis": apis or {"orders": {"identifier": "https://orders.example.com/"}},
        "applications": [{"name": "sync", "grants": [{"api": "orders", "organization_usage": "require",
                                                      "organizations": sorted(organizations)}]}],
    }


@pytest.mark.parametrize(
    "config, needs",
    [
        (stack({"acme": {"id": "org_1"}}), NONE),
        (stack({"acme": {"manage": True}}), StackNeeds(True, False, False)),
        (stack({"acme": {}}), StackNeeds(False, False, True)),
        (stack({"acme": {"id": "org_1"}}, {"orders": {"identifier": "https://o/", "manage": True}}),
         StackNeeds(False, True, False)),
    ],
    ids=["by id", "created", "looked up by name", "API created"],
)
def test_what_a_stack_contains_decides_what_it_needs(config, needs):
    assert StackNeeds.of(validate(config, "test")) == needs


def test_an_organization_no_application_uses_is_not_looked_up():
    config = stack({"acme": {"id": "org_1"}})
    config["organizations"]["unused"] = {}
    assert StackNeeds.of(validate(config, "test")).organization_lookups is False


@pytest.mark.parametrize("command", [Command.ACCESS_CHECK, Command.REPORT, Command.DIFF])
def test_commands_that_do_not_call_the_management_api_need_nothing(command):
    assert required_scopes(command, ALL) == {}


def test_a_preview_needs_scopes_only_for_lookups():
    assert required_scopes(Command.PREVIEW, NONE) == {}
    assert set(required_scopes(Command.PREVIEW, StackNeeds(True, True, False))) == set()
    assert set(required_scopes(Command.PREVIEW, StackNeeds(False, False, True))) == {
        "read:organizations", "read:organization_client_grants", "read:organization_members",
        "read:organization_connections"}


def test_up_needs_what_a_preview_and_a_refresh_of_the_same_stack_need():
    for needs in (NONE, ALL, StackNeeds(True, False, True)):
        up = set(required_scopes(Command.UP, needs))
        assert set(required_scopes(Command.PREVIEW, needs)) <= up
        assert set(required_scopes(Command.REFRESH, needs)) <= up


def test_preview_with_refresh_is_both():
    assert required_scopes(Command.PREVIEW_REFRESH, ALL) == {
        **required_scopes(Command.REFRESH, ALL), **required_scopes(Command.PREVIEW, ALL)}


def test_client_secrets_are_read_only_where_a_secret_is_stored():
    """read:client_keys (secrets) where the state keeps a secret; destroy reads clients without their secrets."""
    for command in (Command.UP, Command.REFRESH, Command.RECOVER):
        assert "read:client_keys" in required_scopes(command, NONE)
    destroy = required_scopes(Command.DESTROY, ALL)
    assert "read:client_keys" not in destroy and "read:clients" in destroy and "read:client_credentials" not in destroy
    assert "update:client_keys" not in {s for c in Command if c is not Command.ROTATE_SECRET for s in required_scopes(c, ALL)}


def test_every_scope_says_why():
    for command in Command:
        for scope, why in required_scopes(command, ALL).items():
            assert ":" in scope and len(why) > 10, (command, scope)


def test_the_message_names_each_missing_scope_and_why():
    message = missing_scopes_message(
        Command.UP, {"create:clients": "create the applications' clients"}, "'abc' (auth0:clientId)",
        "stacks/Pulumi.dev.yaml")
    assert message.startswith("stacks/Pulumi.dev.yaml: the Management API client 'abc' (auth0:clientId) lacks 1 "
                              "scope that `up` needs for this stack: create:clients (create the applications' clients)")
    assert "Auth0 Management API" in message and "auth0-m2m scopes" in message


def test_scopes_for_a_shipped_stack():
    from auth0_m2m import load_stack_file
    from pathlib import Path

    prod = load_stack_file(Path(__file__).resolve().parents[3] / "stacks" / "Pulumi.prod.yaml")
    assert scopes_for(Command.PREVIEW, prod) == {}  # production stacks give organizations by id


@pytest.mark.parametrize("needs", [StackNeeds(*flags) for flags in
                                   [(False, False, False), (True, False, False), (False, True, False), (True, True, True)]])
def test_adoption_only_reads_and_a_fast_up_needs_the_repair_and_the_up(needs):
    for command in (Command.IMPORT, Command.IMPORT_STATE_ONLY):
        assert all(scope.startswith("read:") for scope in required_scopes(command, needs)), command
        assert "read:clients" not in required_scopes(command, needs)  # read:client_keys lists clients too
    assert set(required_scopes(Command.UP_FAST, needs)) == (
        set(required_scopes(Command.UP, needs)) | set(required_scopes(Command.IMPORT_STATE_ONLY, needs))
    )


def test_key_credentials_add_the_credential_writes_to_up_and_destroy_only():
    keyed = StackNeeds(False, False, False, key_credentials=True)
    assert set(required_scopes(Command.UP, keyed)) - set(required_scopes(Command.UP, NONE)) == {
        "create:client_credentials", "update:client_credentials", "delete:client_credentials"}
    assert set(required_scopes(Command.DESTROY, keyed)) - set(required_scopes(Command.DESTROY, NONE)) == {
        "delete:client_credentials"}
    for command in (Command.PREVIEW, Command.REFRESH, Command.IMPORT, Command.RECOVER, Command.ACCESS_CHECK):
        assert required_scopes(command, keyed) == required_scopes(command, NONE), command


def test_rotate_secret_needs_update_client_keys_and_the_refresh_that_stores_the_new_secret():
    scopes = set(required_scopes(Command.ROTATE_SECRET, NONE))
    assert scopes == set(required_scopes(Command.REFRESH, NONE)) | {"update:client_keys"}
    assert "update:client_keys" not in {s for c in Command if c is not Command.ROTATE_SECRET
                                        for s in required_scopes(c, ALL)}
