"""A stack deployed by the library before the layout change (commit a1afab3, one flat package) keeps every resource
under the current code: same URNs, nothing created, replaced or deleted, and nothing written to the tenant.

Since then the components record more of their inputs in the state (each grant's API key and scopes, the estate's
APIs: what the access check reads from a program without stack keys), so the first `pulumi up` after the upgrade is
a one-time update of the two component types only, which touches no Auth0 object; after it, previews show nothing.

The old program and library come from git (`git archive`), the old library is put first on PYTHONPATH for the
deploy, and the current checkout's program previews and updates the same stack afterwards.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile

import pytest

from auth0_m2m import contract
from auth0_m2m.contract import PROVIDER_VERSION

from .harness import REPO, PulumiProject

pytestmark = pytest.mark.integration

#: The last commit of the flat layout (components/auth0_m2m/*.py), before the model/resources/tools split.
OLD_LAYOUT = "a1afab3"


@pytest.fixture(scope="module")
def old_layout(tmp_path_factory):
    """The old program and library, extracted from git."""
    found = subprocess.run(["git", "cat-file", "-e", f"{OLD_LAYOUT}^{{commit}}"], cwd=REPO, capture_output=True)
    if found.returncode != 0:
        shallow = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=REPO, capture_output=True,
                                 text=True).stdout.strip()
        if shallow == "true":
            pytest.skip(f"a shallow clone lacks commit {OLD_LAYOUT} (the old layout); fetch the history to run this")
        pytest.fail(f"commit {OLD_LAYOUT} (the old layout) is not in this repository")
    archive = subprocess.run(["git", "archive", OLD_LAYOUT, "components", "__main__.py"], cwd=REPO,
                             capture_output=True, check=True).stdout
    root = tmp_path_factory.mktemp("old-layout")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    return root


def test_a_stack_deployed_by_the_old_layout_previews_without_any_change(tmp_path, module_emulator, old_layout):
    project = PulumiProject(tmp_path / "project", module_emulator)
    current_program = (project.root / "__main__.py").read_text()

    # The old program imports a module only the old layout has: the deploy cannot silently use the new code.
    assert "from auth0_m2m.program import export_estate" in (old_layout / "__main__.py").read_text()
    shutil.copy(old_layout / "__main__.py", project.root / "__main__.py")
    old_env = {**project.env, "PYTHONPATH": str(old_layout / "components")}
    project.env, new_env = old_env, project.env
    try:
        project.up()
    finally:
        project.env = new_env
    deployed = project.run("stack", "export").stdout
    urns = sorted(r["urn"] for r in json.loads(deployed)["deployment"]["resources"])
    assert any(u.endswith("auth0:index/client:Client::billing-sync") for u in urns), urns

    (project.root / "__main__.py").write_text(current_program)
    steps = project.preview_steps()
    changed = [(s["op"], s["urn"]) for s in steps if s["op"] != "same"]
    # Only the components' recorded inputs may change: an update of a component, never of an Auth0 resource.
    assert all(op == "update" and urn_type(urn) in COMPONENT_TYPES for op, urn in changed), changed
    for step in steps:
        if step["op"] == "update":
            old, new = step["oldState"]["inputs"], step["newState"]["inputs"]
            differing = {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}
            assert differing and differing <= RECORDED_INPUTS_GAINED, (step["urn"], differing)
            for grant in new.get("grants", []):  # what was recorded before is still recorded, unchanged
                assert {k: v for k, v in grant.items() if k not in ("api", "scopes")} in old.get("grants", []), grant

    module_emulator.reset_requests()
    project.up()
    counters = module_emulator.requests()
    writes = {route: n for route, n in counters["by_route"].items()
              if route.split()[0] in ("POST", "PUT", "PATCH", "DELETE") and " /api/v2/" in route}
    assert writes == {}, counters
    project.preview("--expect-no-changes")
    after = sorted(r["urn"] for r in json.loads(project.run("stack", "export").stdout)["deployment"]["resources"])
    # Every resource keeps its URN; only the default provider moves to the project's plugin version (the library
    # asks for it since "one provider everywhere"), which Pulumi applies without replacing anything.
    def resources(names: list[str]) -> list[str]:
        return [urn for urn in names if "::pulumi:providers:" not in urn]

    assert resources(after) == resources(urns)
    assert [urn.rsplit("::", 1)[-1] for urn in after if "::pulumi:providers:auth0" in urn] == [
        f"default_{PROVIDER_VERSION.replace('.', '_').replace('-', '_')}"
    ]
    assert "All " in project.access_check().stdout


#: The component types, and the inputs they record since the old layout (contract.RecordedEstate's `apis`, and
#: `grants`, whose entries gained `api` and `scopes`).
COMPONENT_TYPES = {contract.ESTATE_TYPE, contract.M2M_APPLICATION_TYPE}
RECORDED_INPUTS_GAINED = {"apis", "grants"}


def urn_type(urn: str) -> str:
    """The resource's own type from a URN (``...::<parent types$>type::name``)."""
    return urn.split("::")[2].split("$")[-1]
