"""Organizations the stack does not own, referenced by name: one lookup per organization per run."""

from __future__ import annotations

import pytest

from .harness import PulumiProject

pytestmark = pytest.mark.integration


def test_existing_organization_is_found_by_name_and_authorized(tmp_path, emulator):
    existing = emulator.management("POST", "/organizations", json={"name": "partner-co", "display_name": "Partner Co"})
    assert existing.status_code == 201, existing.text
    partner_id = existing.json()["id"]
    project = PulumiProject(tmp_path / "project", emulator)

    def reference_by_name(estate):
        estate["organizations"]["partner-co"] = {}
        estate["applications"].append(
            {"name": "partner-sync", "grants": [{"api": "orders", "scopes": ["read:orders"], "organization_usage": "require", "organizations": ["partner-co"]}]}
        )

    project.edit_config(reference_by_name)
    emulator.reset_requests()
    project.up()
    lookups = emulator.requests()["by_route"].get("GET /api/v2/organizations/name/{name}", 0)
    assert lookups == 1
    assert project.outputs()["organization_ids"]["partner-co"] == partner_id
    links = emulator.management("GET", f"/organizations/{partner_id}/client-grants", params={"include_totals": "true"}).json()
    assert links["total"] == 1
    project.access_check()
    # The stack does not own the organization: destroying the stack leaves it in the tenant.
    project.run("destroy", "--yes", "--skip-preview")
    assert emulator.management("GET", f"/organizations/{partner_id}").status_code == 200
