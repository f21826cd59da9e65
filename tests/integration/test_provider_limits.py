"""More than 50 applications authorized for one organization: past the page the upstream provider reads.

The bootstrapped provider reads each link by grant id, so create, refresh and preview all see every link
up to Auth0's cap of 100 (which validation enforces)."""

from __future__ import annotations

import pytest

from .harness import PulumiProject

pytestmark = pytest.mark.integration

LINKS = 60


def test_more_than_one_page_of_links_on_an_organization(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)

    def crowded(estate):
        estate["organizations"] = {"acme": {"manage": True}}
        estate["apis"] = {"orders": {"identifier": "https://orders.api.example.com/", "manage": True}}
        estate["applications"] = [
            {"name": f"worker-{i:02d}", "grants": [{"api": "orders", "organization_usage": "require", "organizations": ["acme"]}]}
            for i in range(LINKS)
        ]

    project.edit_config(crowded)
    project.up()
    acme = project.outputs()["organization_ids"]["acme"]
    listed = emulator.management("GET", f"/organizations/{acme}/client-grants", params={"include_totals": "true", "per_page": 100}).json()
    assert listed["total"] == LINKS
    project.run("refresh", "--yes", "--skip-preview", "--expect-no-changes")
    project.preview("--expect-no-changes")
