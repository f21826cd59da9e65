"""The GitHub Actions workflows: actionlint finds nothing, and the rules this project relies on hold.

actionlint (pinned in scripts/install-actionlint) is built from the Go module proxy into the toolchain
cache once; a lint error fails these tests. It also runs shellcheck on `run:` scripts when shellcheck is
on PATH. The stack detection script of changed-stacks.yml is run for real against a scratch git
repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
ACTION_FILES = sorted((REPO / ".github" / "actions").glob("*/action.yml"))
# Third-party and GitHub actions: a full commit SHA (with its version in a comment) or an exact release tag.
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@([0-9a-f]{40}|v\d+\.\d+\.\d+)$")


@pytest.fixture(scope="session")
def actionlint() -> str:
    result = subprocess.run([str(REPO / "scripts" / "install-actionlint")], capture_output=True, text=True,
                            timeout=900)
    if result.returncode != 0:
        pytest.fail(f"scripts/install-actionlint failed:\n{result.stdout}\n{result.stderr}")
    path = result.stdout.strip().splitlines()[-1]
    assert os.access(path, os.X_OK), path
    return path


def load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    if True in workflow:  # YAML 1.1 reads the key `on` as a boolean
        workflow["on"] = workflow.pop(True)
    return workflow


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def test_the_workflows_exist():
    assert {p.name for p in WORKFLOW_FILES} == {"changed-stacks.yml", "pull-request.yml", "deploy.yml", "drift.yml"}


def test_actionlint_finds_no_problem(actionlint):
    result = subprocess.run([actionlint, "-no-color", "-oneline", *map(str, WORKFLOW_FILES)], cwd=REPO,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"actionlint:\n{result.stdout}{result.stderr}"


def test_actionlint_reports_a_broken_workflow(actionlint, tmp_path):
    """The lint is real: the same workflow with a job depending on a missing job fails."""
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    for path in WORKFLOW_FILES:
        text = path.read_text()
        if path.name == "pull-request.yml":
            text = text.replace("needs: changes\n", "needs: no-such-job\n", 1)
        (tmp_path / ".github" / "workflows" / path.name).write_text(text)
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)  # actionlint's project root
    result = subprocess.run([actionlint, "-no-color", "-oneline"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert 'needs job "no-such-job" which does not exist' in result.stdout


def test_every_action_is_pinned():
    for path in WORKFLOW_FILES + ACTION_FILES:
        for uses in re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)", path.read_text(), re.M):
            if uses.startswith("./"):
                continue  # this repository's reusable workflow
            assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA or an exact version"


def test_secrets_are_never_interpolated_into_scripts():
    """Secrets reach scripts through env: only, so they are never part of a logged command line."""
    for path in WORKFLOW_FILES:
        workflow = yaml.safe_load(path.read_text())
        for job in workflow.get("jobs", {}).values():
            for step in job.get("steps", []):
                assert "secrets." not in step.get("run", "") and "secrets[" not in step.get("run", ""), (path, step)
                assert "${{" not in step.get("run", "") or "matrix." not in step.get("run", ""), (path, step)


def test_pull_requests_comment_the_access_diff_and_the_preview_in_place():
    workflow = load("pull-request.yml")
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    assert workflow["jobs"]["access-diff"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    diff_steps = steps(workflow, "access-diff")
    diff = next(s for s in diff_steps if s.get("id") == "diff")
    assert 'auth0-m2m diff --base "$BASE_SHA"' in diff["run"]
    assert diff["env"]["BASE_SHA"] == "${{ github.event.pull_request.base.sha }}"
    comment = next(s for s in diff_steps if s.get("uses", "").startswith("actions/github-script@"))
    assert "updateComment" in comment["with"]["script"] and "auth0-m2m-access-diff:" in comment["with"]["script"]

    preview = next(s for s in steps(workflow, "preview") if s.get("with", {}).get("command") == "preview")
    assert preview["uses"].startswith("pulumi/actions@")
    assert preview["with"]["comment-on-pr"] is True and preview["with"]["edit-pr-comment"] is True
    assert preview["with"]["policyPacks"] == "${{ matrix.production && 'policy' || '' }}"
    assert workflow["jobs"]["access-diff"]["strategy"]["matrix"] == "${{ fromJSON(needs.changes.outputs.stacks) }}"
    assert workflow["jobs"]["changes"]["uses"] == "./.github/workflows/changed-stacks.yml"


def test_deploys_gate_on_a_preview_then_check_access_after_up():
    workflow = load("deploy.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert workflow["concurrency"]["cancel-in-progress"] is False
    production = workflow["jobs"]["deploy-production"]
    others = workflow["jobs"]["deploy"]
    assert "deploy" in production["needs"]
    for job, pack in ((others, None), (production, "policy")):
        assert job["environment"] == "${{ matrix.stack }}"
        pulumi_steps = [s for s in job["steps"] if s.get("with", {}).get("command")]
        # The Action's `up` skips Pulumi's preview: every deploy previews first, so a failure changes nothing.
        assert [s["with"]["command"] for s in pulumi_steps] == ["preview", "up"]
        assert all(s["with"].get("policyPacks") == pack for s in pulumi_steps)
        names = [s.get("run", "") + s.get("uses", "") for s in job["steps"]]
        up = next(i for i, s in enumerate(job["steps"]) if s.get("with", {}).get("command") == "up")
        check = next(i for i, n in enumerate(names) if "auth0-m2m access-check" in n)
        assert check > up, "the access check runs after every deploy"
        assert 'exit "$status"' in job["steps"][check]["run"], "a difference fails the job"
        assert any('auth0-m2m scopes --stack "$STACK" --check up' in n for n in names[:up])
    assert others["strategy"]["matrix"] == "${{ fromJSON(needs.changes.outputs.nonproduction) }}"
    assert production["strategy"]["matrix"] == "${{ fromJSON(needs.changes.outputs.production) }}"


def test_a_scheduled_drift_job_previews_with_refresh_and_checks_access_per_stack():
    workflow = load("drift.yml")
    assert "schedule" in workflow["on"] and "workflow_dispatch" in workflow["on"]
    assert workflow["jobs"]["stacks"]["with"]["base"] == ""  # every stack
    drift = workflow["jobs"]["drift"]
    assert drift["environment"] == "${{ matrix.stack }}-drift"
    script = next(s for s in drift["steps"] if s.get("id") == "drift")["run"]
    assert 'pulumi preview --refresh --expect-no-changes' in script and "auth0-m2m access-check" in script
    assert "$GITHUB_STEP_SUMMARY" in script
    report = workflow["jobs"]["report"]
    assert report["permissions"] == {"issues": "write"} and "environment" not in report
    assert "issues.create" in report["steps"][-1]["with"]["script"]


# ------------------------------------------------------------------------------------------------
# The detection script of changed-stacks.yml, run for real


def detection_script() -> str:
    step = next(s for s in steps(load("changed-stacks.yml"), "detect") if s.get("id") == "detect")
    return step["run"]


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture()
def scratch(tmp_path):
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    (repo / "components").mkdir()
    (repo / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "toolchain.lock", repo / "scripts" / "toolchain.lock")
    shutil.copy(REPO / "Pulumi.yaml", repo / "Pulumi.yaml")
    for stack, production in (("local", False), ("dev", False), ("staging", False), ("prod", True), ("eu", True)):
        (repo / "stacks" / f"Pulumi.{stack}.yaml").write_text(
            f"config:\n  auth0-m2m:environment: {stack}\n  auth0-m2m:production: {str(production).lower()}\n")
    (repo / "components" / "lib.py").write_text("x = 1\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "add", ".")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base")
    return repo


def commit(repo: Path) -> str:
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "change")
    return git(repo, "rev-parse", "HEAD")


def detect(repo: Path, base: str, head: str) -> dict:
    output = repo.parent / "github_output"
    output.write_text("")
    # The workflow installs the project first; here it is the test's own environment.
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    result = subprocess.run(["bash", "-e", "-c", detection_script()], cwd=repo, capture_output=True, text=True,
                            env={**os.environ, "PATH": path, "BASE": base, "HEAD": head, "EXCLUDED_STACKS": "local",
                                 "GITHUB_OUTPUT": str(output)}, timeout=60)
    assert result.returncode == 0, result.stderr
    values = dict(line.split("=", 1) for line in output.read_text().splitlines())
    for key in ("stacks", "nonproduction", "production"):
        values[key] = [(e["stack"], e["production"], e["exists"]) for e in json.loads(values[key])["include"]]
    return values


def test_detection_of_changed_stack_files(scratch):
    base = git(scratch, "rev-parse", "HEAD")
    (scratch / "stacks" / "Pulumi.staging.yaml").write_text("config:\n  auth0-m2m:environment: staging2\n")
    (scratch / "stacks" / "Pulumi.local.yaml").write_text("config: {}\n")
    (scratch / "stacks" / "Pulumi.eu.yaml").unlink()
    head = commit(scratch)
    found = detect(scratch, base, head)
    assert found["stacks"] == [("eu", False, False), ("staging", False, True)]
    assert found["nonproduction"] == [("staging", False, True)]
    assert found["production"] == [] and found["any-production"] == "false"
    assert found["any"] == "true"
    lock = (REPO / "scripts" / "toolchain.lock").read_text()
    assert found["pulumi-version"] == re.search(r"^PULUMI_VERSION=(\S+)$", lock, re.M).group(1)


def test_detection_when_the_library_changes_or_without_a_base(scratch):
    base = git(scratch, "rev-parse", "HEAD")
    (scratch / "components" / "lib.py").write_text("x = 2\n")
    head = commit(scratch)
    everything = [("dev", False, True), ("eu", True, True), ("prod", True, True), ("staging", False, True)]
    assert detect(scratch, base, head)["stacks"] == everything
    assert detect(scratch, "0" * 40, head)["stacks"] == everything
    assert detect(scratch, "", head)["production"] == [("eu", True, True), ("prod", True, True)]


def test_detection_of_nothing(scratch):
    base = git(scratch, "rev-parse", "HEAD")
    (scratch / "README.md").write_text("docs\n")
    head = commit(scratch)
    found = detect(scratch, base, head)
    assert found["stacks"] == [] and found["any"] == "false" and found["any-production"] == "false"


@pytest.mark.parametrize(
    "line, production",
    [
        ("auth0-m2m:production: true", True),
        ("auth0-m2m:production: True", True),  # a YAML 1.2 boolean: what Pulumi reads as true
        ('auth0-m2m:production: "true"', True),  # what `pulumi config set auth0-m2m:production true` writes
        ("auth0-m2m:production:    true   # production!", True),
        ("auth0-m2m:production: false", False),
        ("auth0-m2m:production: yes", True),  # not a boolean for Pulumi: the stack is refused; fail closed
        ("auth0-m2m:production: false\n  auth0-m2m:production: true", True),  # duplicate key: unreadable
        ("production: true", True),  # no namespace: Pulumi adds the project's (auth0-m2m)
    ],
    ids=["true", "True", "quoted true", "comment", "false", "yes", "duplicate key", "bare key"],
)
def test_detection_reads_production_as_pulumi_does(scratch, line, production):
    """The old regex missed `True`, quoted values, comments and bare keys; the loader reads them all as Pulumi."""
    base = git(scratch, "rev-parse", "HEAD")
    (scratch / "stacks" / "Pulumi.staging.yaml").write_text(f"config:\n  auth0-m2m:environment: staging2\n  {line}\n")
    head = commit(scratch)
    found = detect(scratch, base, head)
    assert found["stacks"] == [("staging", production, True)]
    assert found["any-production"] == ("true" if production else "false")
