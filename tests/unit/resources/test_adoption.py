"""Adoption, the program's side: which resources an adopting update imports, leaves alone or refuses to create,
and the tools' map of what the program registers (names, types, URNs), checked against the components."""

from __future__ import annotations

import json

import pulumi
import pytest

from auth0_m2m import Estate, contract, validate
from auth0_m2m.resources.adoption import adopt_from_environment
from auth0_m2m.tools.adoption import declared_resources, declared_urns

from tests.type_tokens import CLIENT, GRANT, LINK

from ..pulumi_harness import PROJECT, run
from .test_components import ESTATE

ORDERS = "https://orders.example.com/"


def config():
    return validate(ESTATE, "stacks/Pulumi.test.yaml")


def test_the_tools_know_every_resource_the_program_registers_and_its_urn():
    registered = run(lambda: Estate("test", config()))
    custom = {(r.type, r.name) for r in registered.registrations.values() if r.custom}
    assert custom == {(d.type, d.name) for d in declared_resources(config())}

    # The engine builds a URN from the chain of parent types (the mocks do not): follow the parents.
    def chain(registration) -> tuple[str, ...]:
        parent = registered.registrations.get(registration.parent)
        if parent is None or parent.type == "pulumi:pulumi:Stack":
            return ()
        return (*chain(parent), parent.type)

    urns = {
        f"urn:pulumi:test::{PROJECT}::{'$'.join((*chain(r), r.type))}::{r.name}"
        for r in registered.registrations.values()
        if r.type != "pulumi:pulumi:Stack"
    }
    assert urns == declared_urns(config(), "test", PROJECT)


def adopting(tmp_path, monkeypatch, plan: contract.AdoptionPlan):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    monkeypatch.setenv(contract.ADOPTION_PLAN_ENV, str(path))

    def program():
        adopt_from_environment()
        return Estate("test", config())

    return run(program)


def test_listed_resources_are_imported_and_can_never_be_changed_by_the_adopting_update(tmp_path, monkeypatch):
    everything = [f"{d.type}::{d.name}" for d in declared_resources(config())]
    client = f"{CLIENT}::billing-sync"
    grant = f"{GRANT}::billing-sync/{ORDERS}"
    known = [key for key in everything if key not in (client, grant)]
    registered = adopting(tmp_path, monkeypatch, {
        "imports": {client: "abc", grant: "cgr_1"}, "known": known, "excluded": [],
    })
    imported = registered.by_name(CLIENT, "billing-sync")
    assert (imported.import_id, imported.ignore_changes) == ("abc", ["*"])
    assert registered.by_name(GRANT, f"billing-sync/{ORDERS}").import_id == "cgr_1"
    other = registered.by_name(CLIENT, "support-console")
    assert (other.import_id, other.ignore_changes) == ("", ["*"])  # in the state already: left as it is


def test_a_resource_the_plan_does_not_know_is_refused_before_it_is_created(tmp_path, monkeypatch):
    everything = [f"{d.type}::{d.name}" for d in declared_resources(config())]
    unknown = f"{LINK}::billing-sync/{ORDERS}/globex"
    with pytest.raises(Exception, match="refusing to create"):
        adopting(tmp_path, monkeypatch, {
            "imports": {}, "known": [k for k in everything if k != unknown], "excluded": [],
        })


def test_without_a_plan_nothing_changes(monkeypatch):
    monkeypatch.delenv(contract.ADOPTION_PLAN_ENV, raising=False)
    registered = run(lambda: (adopt_from_environment(), Estate("test", config())))
    assert not any(r.import_id or r.ignore_changes for r in registered.registrations.values())
