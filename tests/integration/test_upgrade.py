"""A stack deployed by the library before the layout change (commit a1afab3, one flat package) previews with no
change at all under the current code: same URNs, no replacement, no update.

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
    assert {step["op"] for step in steps} == {"same"}, [(s["op"], s["urn"]) for s in steps if s["op"] != "same"]
    project.preview("--expect-no-changes")
    project.up("--expect-no-changes")
    after = sorted(r["urn"] for r in json.loads(project.run("stack", "export").stdout)["deployment"]["resources"])
    assert after == urns
    assert "All " in project.access_check().stdout
