"""The examples/ programs, deployed with the real Pulumi CLI and provider against the local tenant emulator.

The platform stack and the team stack share one file backend, so the team's StackReference reads the platform's
outputs as it would in production; each project is a copy of its example directory with the connection to the
emulator set by `pulumi config set`.
"""

from __future__ import annotations

import jwt
import pytest

from .harness import REPO, PulumiProject

pytestmark = pytest.mark.integration

EXAMPLES = REPO / "examples"
ORDERS = "https://orders.api.example.com/"
INVOICES = "https://invoices.example.com/"


@pytest.fixture(scope="module")
def emulator(module_emulator):
    return module_emulator


def org_claim(response) -> str | None:
    assert response.status_code == 200, response.text
    return jwt.decode(response.json()["access_token"], options={"verify_signature": False}).get("org_id")


def test_a_team_stack_uses_the_organizations_of_a_platform_stack(tmp_path, emulator):
    backend = tmp_path / "backend"
    platform = PulumiProject(tmp_path / "platform", emulator, stack="dev",
                             source=EXAMPLES / "platform-and-team" / "platform", state_dir=backend, stack_files=True)
    team = PulumiProject(tmp_path / "team", emulator, stack="dev",
                         source=EXAMPLES / "platform-and-team" / "team", state_dir=backend, stack_files=True)

    platform.up()
    organizations = platform.outputs()["organization_ids"]
    assert sorted(organizations) == ["acme", "globex", "initech"]
    assert platform.outputs()["apis"] == {"orders": ORDERS}

    team.up()
    outputs = team.outputs(show_secrets=True)
    client, secret = outputs["client_id"], outputs["client_secret"]
    # The grant requires an organization: the default (acme) when none is named, a named one if authorized.
    assert org_claim(emulator.token(client, secret, ORDERS)) == organizations["acme"]
    assert org_claim(emulator.token(client, secret, ORDERS, organizations["globex"])) == organizations["globex"]
    assert emulator.token(client, secret, ORDERS, organizations["initech"]).status_code != 200

    emulator.reset_requests()
    team.preview("--expect-no-changes")
    platform.preview("--expect-no-changes")
    assert emulator.requests()["total"] == 0

    team.run("destroy", "--yes", "--skip-preview")
    platform.run("destroy", "--yes", "--skip-preview")
    state = emulator.state()
    assert not [c for c in state["clients"] if c.get("name") == "billing-sync"]
    assert not state["organizations"]


def test_an_application_alone_beside_its_own_api(tmp_path, emulator):
    project = PulumiProject(tmp_path / "invoices", emulator, stack="dev", source=EXAMPLES / "application-alone")
    project.up()
    outputs = project.outputs(show_secrets=True)
    organization = outputs["organization_id"]
    assert org_claim(emulator.token(outputs["client_id"], outputs["client_secret"], INVOICES)) == organization
    project.preview("--expect-no-changes")
    project.run("destroy", "--yes", "--skip-preview")


COLLIDING_PROGRAM = '''
from auth0_m2m import Estate, validate

def estate(environment):
    return validate({"environment": environment, "apis": {"orders": {"identifier": "https://orders.example.com/"}},
                     "applications": [{"name": "billing-sync", "grants": [{"api": "orders"}]}]}, environment)

Estate("team-a", estate("team-a"))
Estate("team-b", estate("team-b"))
'''


def test_two_colliding_estates_are_one_clear_error_with_the_real_cli(tmp_path, emulator):
    """`pulumi up` previews first: the collision fails the preview, so nothing at all reaches the tenant."""
    program = tmp_path / "program"
    program.mkdir()
    (program / "Pulumi.yaml").write_text("name: two-estates\nruntime:\n  name: python\n  options:\n    toolchain: pip\n")
    (program / "__main__.py").write_text(COLLIDING_PROGRAM)
    project = PulumiProject(tmp_path / "project", emulator, stack="dev", source=program)
    result = project.run("up", "--yes", check=False)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Estate 'team-b' collides with another component of this program; nothing of it was registered" in output, \
        output
    assert "resource name 'billing-sync' (M2MApplication, same URN): already made by application 'billing-sync' of " \
           "Estate 'team-a'" in output
    assert "Traceback" not in output
    assert not [c for c in emulator.state()["clients"] if c.get("name") == "billing-sync"]
