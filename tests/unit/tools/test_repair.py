"""The state-only repair leaves nothing half-applied: when its adopting update fails, the state it exported first
is written back before the error reaches the user."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest

from auth0_m2m.tools import repair
from auth0_m2m.tools.adoption import AdoptionError, StackState


class FakePulumi:
    def __init__(self):
        self.restored: list[dict] = []
        self.deployment = {"resources": [{"urn": "urn:pulumi:dev::p::pulumi:pulumi:Stack::p-dev"}]}

    def export(self) -> StackState:
        return StackState({"deployment": dict(self.deployment)})

    def restore(self, state: StackState, say=None) -> None:
        self.restored.append(state.deployment)


def test_a_failed_adopting_update_restores_the_state_it_started_from(monkeypatch, tmp_path):
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text("config: {}\n")
    to_import = SimpleNamespace(id="cgr_1", in_state=False)
    survey = SimpleNamespace(to_import=lambda: [to_import], located=[to_import], missing=lambda: [])
    monkeypatch.setattr(repair, "stack_file", lambda pulumi: stack_file)
    monkeypatch.setattr(repair, "load_stack_file", lambda path: object())
    monkeypatch.setattr(repair, "tenant_for", lambda pulumi: contextlib.nullcontext(SimpleNamespace(calls={})))
    monkeypatch.setattr(repair, "TenantIndex", lambda tenant: object())
    monkeypatch.setattr(repair, "locate", lambda config, index, ids: survey)
    monkeypatch.setattr(repair, "find_orphans", lambda *args, **kwargs: [])

    def failing_adopt(*args, **kwargs):
        raise AdoptionError("`pulumi up` failed for stack 'dev': error: diffing ...")

    monkeypatch.setattr(repair, "adopt", failing_adopt)
    pulumi = FakePulumi()
    with pytest.raises(AdoptionError, match="diffing"):
        repair.run_repair(pulumi, preview=False, say=lambda line: None)
    # Once to drop pending operations before the update, once to put the state back after it failed.
    assert len(pulumi.restored) == 2
    assert pulumi.restored[-1] == {"deployment": pulumi.deployment}
