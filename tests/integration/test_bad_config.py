"""A bad stack config fails `pulumi preview` and `up` with the validation message and creates nothing."""

from __future__ import annotations

import pytest

from .harness import PulumiProject, grant

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


def test_invalid_stack_fails_before_any_resource_or_api_call(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)

    def deny_with_organizations(estate):
        g = grant(estate, "ledger-reconciler", "billing")
        g["organizations"] = ["acme"]

    project.edit_config(deny_with_organizations)
    emulator.reset_requests()
    for command in (project.preview, project.up):
        result = command(check=False)
        assert result.returncode != 0
        output = result.stdout + result.stderr
        assert (
            "stacks/Pulumi.local.yaml: application 'ledger-reconciler', grant for API 'billing' "
            "(https://billing.api.example.com/), field 'organizations': organization_usage is 'deny'" in output
        ), output
        assert "Traceback" not in output
    assert emulator.requests()["total"] == 0
    resources = project.run("stack", "export").stdout
    assert "auth0:index" not in resources
