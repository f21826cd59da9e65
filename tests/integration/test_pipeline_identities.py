"""What the workflows' read-only jobs do, run for real: a pull request's preview and the scheduled drift check,
each with its own identity (a management client holding exactly its command's scopes) and without writing a
byte of state, and the drift check noticing a change made in the dashboard."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

from auth0_m2m import load_stack_file
from auth0_m2m.model.scopes import Command, scopes_for

from .harness import REPO, PulumiProject

pytestmark = pytest.mark.integration


def backend_digest(project: PulumiProject) -> str:
    digest = hashlib.sha256()
    for path in sorted(project.state_dir.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(project.state_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def identity(emulator, project: PulumiProject, command: Command) -> None:
    scopes = scopes_for(command, load_stack_file(project.stack_file))
    project.use_credentials(*emulator.management_client_with_scopes(scopes, name=f"{command.name.lower()}-identity"))


def test_previews_and_drift_checks_read_only_and_the_drift_check_sees_a_dashboard_change(tmp_path, emulator):
    project = PulumiProject(tmp_path / "project", emulator)
    identity(emulator, project, Command.UP)
    project.up()
    deployed = backend_digest(project)

    # The pull request's preview: the local stack creates its organizations, so its identity needs no scope.
    identity(emulator, project, Command.PREVIEW)
    assert scopes_for(Command.PREVIEW, load_stack_file(project.stack_file)) == {}
    emulator.reset_requests()
    project.preview("--expect-no-changes")
    assert emulator.requests()["total"] == 0
    assert backend_digest(project) == deployed, "a preview wrote to the state backend"

    # The drift job: preview --refresh and the access check; nothing saved.
    identity(emulator, project, Command.PREVIEW_REFRESH)
    check = subprocess.run(
        [str(REPO / ".venv" / "bin" / "auth0-m2m"), "scopes", "--stack", project.stack, "--check", "preview --refresh"],
        cwd=project.root, env=project.env, capture_output=True, text=True, timeout=300,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    project.preview("--refresh", "--expect-no-changes")
    project.access_check()
    assert backend_digest(project) == deployed

    # Someone revokes acme's access to the orders API in the dashboard.
    outputs = project.outputs()
    grant = outputs["applications"]["report-exporter"]["grant_ids"]["https://reporting.api.example.com/"]
    acme = outputs["organization_ids"]["acme"]
    assert emulator.management("DELETE", f"/organizations/{acme}/client-grants/{grant}").status_code == 204
    drift = project.preview("--refresh", "--expect-no-changes", check=False)
    assert drift.returncode != 0 and "OrganizationClientGrant" in drift.stdout, drift.stdout
    access = project.access_check(check=False)
    assert access.returncode == 1 and "differ from the stack config" in access.stdout, access.stdout
    assert backend_digest(project) == deployed
