"""An `up` killed mid-way, then `auth0-m2m recover` (refresh with pending creates resolved) and `up`:
the tenant converges with no duplicate clients, grants or organization links."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest

from auth0_m2m import load_stack_file

from .harness import REPO, PulumiProject, kill_mid_way

pytestmark = pytest.mark.integration


def test_killed_up_then_recover_and_up_converges_without_duplicates(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    # Killed while creates are in flight, with every plugin it started.
    kill_mid_way(
        project, emulator,
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", project.stack],
        writes=20, latency_ms=150,
    )

    recover = subprocess.run(
        [str(REPO / ".venv" / "bin" / "auth0-m2m"), "recover", "--stack", project.stack],
        cwd=project.root, env=project.env, capture_output=True, text=True, timeout=600,
    )
    assert recover.returncode == 0, recover.stdout + recover.stderr
    project.up()
    project.preview("--expect-no-changes")

    config = load_stack_file(project.stack_file)
    state = emulator.state()
    management = emulator.connection["client_id"]
    names = Counter(c["name"] for c in state["clients"] if c["client_id"] != management)
    assert names == Counter(app.auth0_name for app in config.applications)
    grants = Counter((g["client_id"], g["audience"]) for g in state["client_grants"] if g["client_id"] != management)
    assert all(count == 1 for count in grants.values()), grants
    assert sum(grants.values()) == sum(len(app.grants) for app in config.applications)
    links = state["organization_client_grants"]
    assert len(links) == len({(link["organization_id"], link["grant_id"]) for link in links})
    assert len(links) == sum(len(g.organizations) for app in config.applications for g in app.grants)
    project.access_check()
